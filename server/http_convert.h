// The Open Inference Protocol's HTTP/REST binding (KServe v2) as messages of its gRPC binding:
// an infer request body (JSON, or JSON and Triton's binary tensor data extension) becomes the
// inference::ModelInferRequest the gRPC path takes (server/oip_convert.h converts that for the
// engine), and the ModelInferResponse it produces becomes the HTTP body. Nothing here runs the
// engine or knows a socket: server/http_service.h does, and tests call these directly.
//
// Binary tensor data (Triton's extension): with an Inference-Header-Content-Length of N, the
// body's first N bytes are the JSON header and the rest the inputs that carry
// parameters.binary_data_size, back to back in input order (a BYTES input: each element a
// 4-byte little-endian length and its bytes). An output is sent raw when its
// parameters.binary_data is true, or, when it says nothing, when the request's
// parameters.binary_data_output is true, or, when that says nothing either, when the request
// itself used the binary extension (so an image goes up raw and its tensors come back raw);
// raw outputs follow the JSON header in output order and the response carries
// Inference-Header-Content-Length.
//
// Bounds: the body is at most the caller's limit before it gets here; JSON nesting is at most
// kMaxJsonDepth (checked while parsing, before the nested value is built); every typed input is
// encoded into at most `limit` bytes.
#ifndef HBPREP_SERVER_HTTP_CONVERT_H_
#define HBPREP_SERVER_HTTP_CONVERT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/optional.h"
#include "inference/grpc_predict_v2.pb.h"

namespace hbprep::http {

inline constexpr int kMaxJsonDepth = 16;
inline constexpr absl::string_view kHeaderLengthHeader = "Inference-Header-Content-Length";

// An infer request as the gRPC binding has it, and which outputs go back raw.
struct InferRequest {
  inference::ModelInferRequest request;
  // Per requested output (request.outputs order); for all outputs when none is requested.
  std::vector<bool> binary_outputs;
  bool binary_default = false;  // for outputs not requested by name
};

// Parses an infer request for `model` (and `version`, empty for the latest, from the path).
// `header_length` is the Inference-Header-Content-Length header's text, nullopt without it.
// INVALID_ARGUMENT naming the field for bad JSON, a header length that is not a number or is
// beyond the body, binary sizes that do not add up to the body, data that is not the
// datatype's, or an input encoded into more than `limit` bytes.
absl::StatusOr<InferRequest> ParseInferRequest(absl::string_view body,
                                               absl::optional<absl::string_view> header_length,
                                               const std::string& model,
                                               const std::string& version, size_t limit);

// The HTTP body of `response` (outputs as `parsed` asks), and the JSON header's length when any
// output is raw (the Inference-Header-Content-Length to send), nullopt otherwise.
struct Body {
  std::string bytes;
  absl::optional<size_t> header_length;
};
absl::StatusOr<Body> RenderInferResponse(const InferRequest& parsed,
                                         const inference::ModelInferResponse& response);

// The JSON forms of the metadata answers (KServe v2's $metadata_server_response and
// $metadata_model_response).
std::string RenderServerMetadata(const inference::ServerMetadataResponse& response);
std::string RenderModelMetadata(const inference::ModelMetadataResponse& response);
// {"name": ..., "ready": ...}, what GET /v2/models/{name}/ready answers.
std::string RenderModelReady(const std::string& name, bool ready);

// The HTTP status of an engine status, as Triton's HTTP front end maps its errors: 400 for a bad
// request (and a valid one the model cannot take), 401 without the token, 404 for an unknown
// model or version, 429 when the server cannot take it now (busy pool, memory budget), 503
// while it is unavailable, 504 past the deadline, 500 for faults. (413, a body over the
// message limit, is the front end's own answer: no engine status says it.)
int HttpStatusOf(const absl::Status& status);

// {"error": "<message>"}, the message as StatusText gives it.
std::string ErrorBody(const absl::Status& status);

}  // namespace hbprep::http

#endif  // HBPREP_SERVER_HTTP_CONVERT_H_
