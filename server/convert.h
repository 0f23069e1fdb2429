// The one place that knows both the wire API (hbprep.v1) and the engine's types.
#ifndef HBPREP_SERVER_CONVERT_H_
#define HBPREP_SERVER_CONVERT_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "grpcpp/support/status.h"
#include "hbprep/engine.h"
#include "hbprep/plan.h"
#include "hbprep/v1/hbprep.pb.h"

namespace hbprep {

// The engine's status as a gRPC status: same code, the message as StatusText() gives it.
grpc::Status ToGrpcStatus(const absl::Status& status);

// The message of a status as a client sees it (a gRPC status, or a stream's error field):
// control characters escaped but newlines kept (every error of a file is listed on its own
// line), cut to kStatusTextMaxBytes, so that no echoed value makes the trailer too large.
inline constexpr size_t kStatusTextMaxBytes = 8192;
std::string StatusText(const absl::Status& status);

// TARGET_UNSPECIFIED is the board; a value this server does not know (a newer client's) is
// INVALID_ARGUMENT rather than silently the board.
absl::StatusOr<Target> FromProto(v1::Target target);
v1::Target ToProto(Target target);

// The request's images and options as the engine takes them. INVALID_ARGUMENT for images
// with no source or an unspecified pixel format.
absl::Status FromProto(const v1::PrepareRequest& request, std::vector<InputImage>* images,
                       PrepareOptions* options);

// Fills `response` with the prepared tensors, packed as `packing` says; each tensor's data is
// released once the response holds its copy (`prepared` keeps everything else). INTERNAL when
// a board layout would leave its buffers (CheckStridedLayout).
absl::Status ToProto(Prepared* prepared, v1::Packing packing, v1::PrepareResponse* response);

// Fills `response` with the plan.
void ToProto(const Plan& plan, v1::DescribeModelResponse* response);

// The structured descriptor as the toolchain's yaml text, which the server then parses like
// any other descriptor (so every check and the descriptor hash are the same).
std::string ToYaml(const v1::StructuredDescriptor& structured);

}  // namespace hbprep

#endif  // HBPREP_SERVER_CONVERT_H_
