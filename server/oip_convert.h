// The one place that knows both the Open Inference Protocol (KServe v2, package inference)
// and the engine's types: how a repository model looks as an inference model (README, "Open
// Inference Protocol (KServe v2)").
//
// Inputs: IMAGE (BYTES, one encoded image per element, in the model's binding order), ROI
// (INT32 [n, 4], one inclusive left, top, right, bottom row per image of a resizer input, in
// the same order; board target) for models with a resizer input, and each featuremap input under its own name (FP32, the whole
// input's shape). Outputs: the plan's tensors, dense row-major, named as in the plan.
// Request parameters (strings): target, nv12_recipe, decode, descriptor_hash.
#ifndef HBPREP_SERVER_OIP_CONVERT_H_
#define HBPREP_SERVER_OIP_CONVERT_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "hbprep/descriptor.h"
#include "hbprep/engine.h"
#include "inference/grpc_predict_v2.pb.h"

namespace hbprep::oip {

inline constexpr absl::string_view kImageInput = "IMAGE";
inline constexpr absl::string_view kRoiInput = "ROI";
// Every repository model is version "1" of the inference model of its name.
inline constexpr absl::string_view kModelVersion = "1";

// The protocol's name of a tensor data type: "UINT8", "INT8", "INT16", "UINT16", "INT32",
// "FP32".
absl::string_view DataTypeName(DType dtype);

// NOT_FOUND unless `version` is empty (the latest) or "1".
absl::Status CheckVersion(const std::string& model, const std::string& version);

// The model's inputs and outputs (outputs: the board target's plan; -1 for dimensions that
// follow the image).
void ToMetadata(const Descriptor& descriptor, inference::ModelMetadataResponse* response);

// The elements of a BYTES tensor in the protocol's binary form, each a 4-byte little-endian
// length and then that many bytes. INVALID_ARGUMENT naming `what` when an element is
// truncated or there are more than `limit`.
absl::StatusOr<std::vector<absl::string_view>> SplitBytesElements(absl::string_view raw,
                                                                  absl::string_view what,
                                                                  size_t limit);

// FAILED_PRECONDITION when a featuremap input's name is one the mapping reserves (IMAGE, ROI):
// such a model cannot be served through the protocol until the input is renamed.
absl::Status CheckServable(const Descriptor& descriptor);

// One ModelInfer request as the engine takes it. The images point into the request's bytes
// only through copies: the request may go away once this is built.
struct InferCall {
  std::vector<InputImage> images;  // in ImageBindings order
  PrepareOptions options;
  std::string pinned_hash;            // the descriptor_hash parameter
  std::vector<std::string> warnings;  // parameters hbprep does not know, ignored
};

// INVALID_ARGUMENT naming the input (or parameter), the field and the value for anything the
// model cannot take: unknown or repeated inputs, wrong datatypes or shapes, raw contents that
// do not match, element counts that are not the model's, bad parameter values.
absl::StatusOr<InferCall> FromInferRequest(const inference::ModelInferRequest& request,
                                           const Descriptor& descriptor);

// Fills `response` with the outputs the request names (all, in plan order, when it names
// none) in raw_output_contents, dense row-major. INVALID_ARGUMENT for an output that is not
// one of the prepared tensors.
absl::Status ToInferResponse(const inference::ModelInferRequest& request,
                             const Prepared& prepared, inference::ModelInferResponse* response);

}  // namespace hbprep::oip

#endif  // HBPREP_SERVER_OIP_CONVERT_H_
