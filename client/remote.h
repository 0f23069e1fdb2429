// The C++ client of hbprep-server: channels (TCP, unix sockets, DNS names or comma lists of
// addresses balanced round robin; TLS; bearer token), deadlines on every call, retries of
// UNAVAILABLE only (every hbprep.v1 call is a pure function of its request, so a retry is
// always safe), and conversions from responses to the engine's types, so that a remote
// result is written exactly like an in-process one.
#ifndef HBPREP_CLIENT_REMOTE_H_
#define HBPREP_CLIENT_REMOTE_H_

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "hbprep/engine.h"
#include "hbprep/plan.h"
#include "hbprep/v1/hbprep.grpc.pb.h"

namespace hbprep {

struct RemoteOptions {
  // "host:port", "unix:/path", "dns:///name:port", or "a:1,b:2" (balanced round robin).
  std::string target;
  // Sent as "authorization: Bearer <token>" when not empty.
  std::string token;
  // PEM files: a CA makes the channel TLS; a certificate and key add a client identity
  // (mutual TLS).
  std::string tls_ca_file, tls_cert_file, tls_key_file;
  // Deadline of each call.
  std::chrono::milliseconds timeout{60000};
  // Largest message either way; must match the server's to use its full limit.
  int64_t max_message_bytes = int64_t{64} << 20;
};

class RemoteClient {
 public:
  // Fails only for unreadable TLS files or an empty target; connecting is lazy.
  static absl::StatusOr<std::unique_ptr<RemoteClient>> Connect(const RemoteOptions& options);

  absl::StatusOr<v1::PrepareResponse> Prepare(const v1::PrepareRequest& request);
  absl::StatusOr<v1::DescribeModelResponse> Describe(const v1::DescribeModelRequest& request);
  absl::StatusOr<v1::ListModelsResponse> ListModels();
  // Sends `requests` over one PrepareStream and hands each response to `on_response` in
  // order; stops at the first error `on_response` returns.
  absl::Status PrepareStream(const std::vector<v1::PrepareRequest>& requests,
                             const std::function<absl::Status(v1::PrepareResponse&)>& on_response);
  // grpc.health.v1 Check: "SERVING", "NOT_SERVING", ...
  absl::StatusOr<std::string> Health(const std::string& service);

 private:
  RemoteClient(std::shared_ptr<grpc::Channel> channel, RemoteOptions options);
  void Prepare(grpc::ClientContext* context) const;

  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::InputAdapter::Stub> stub_;
  RemoteOptions options_;
};

// The twin of server/convert: responses as the engine's types.
// A plan from DescribeModel.
// The target in hbprep.v1 and back (an unknown value is the board, as the server reads it).
v1::Target TargetToProto(Target target);
Target TargetFromProto(v1::Target target);
absl::StatusOr<Plan> PlanFromProto(const v1::DescribeModelResponse& response);
// A prepared result from Prepare (dense packing).
absl::StatusOr<Prepared> PreparedFromProto(const v1::PrepareResponse& response);
// The largest board layout (PackStrided) a response's tensor may ask the client to write.
inline constexpr size_t kMaxPackedBytes = size_t{1} << 30;
// A server's answer is checked before anything is written: OK when `got` has exactly the
// tensors of `asked` (the plan DescribeModel gave for options.target), in order, with the
// same names, inputs, adapters, roles, layouts and dtypes (uint8 for calibration/onnx images
// with options.float_as_uint8), shapes and strides equal to the plan's where it is concrete
// and positive where it is dynamic, dense shapes and data byte counts that match, and strides
// PackStrided can lay out (CheckStridedLayout, at most kMaxPackedBytes). INVALID_ARGUMENT
// naming the tensor, the field and both values otherwise.
absl::Status CheckPreparedAgainstPlan(const Plan& asked, const PrepareOptions& options,
                                      const Prepared& got);
// Engine images and options as a request's fields.
void ToProto(const std::vector<InputImage>& images, const std::vector<bool>& is_feature,
             const PrepareOptions& options, v1::PrepareRequest* request);

}  // namespace hbprep

#endif  // HBPREP_CLIENT_REMOTE_H_
