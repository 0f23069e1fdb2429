// libFuzzer target: the server's request-to-engine conversions on arbitrary wire bytes. The
// bytes are read as an hbprep.v1 PrepareRequest (structured descriptors turned into yaml and
// parsed) and as an Open Inference Protocol ModelInferRequest, which is converted for a
// pyramid, a resizer and a batch-split featuremap model and, when it converts, prepared under
// small limits and answered.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "hbprep/descriptor.h"
#include "hbprep/engine.h"
#include "hbprep/v1/hbprep.pb.h"
#include "inference/grpc_predict_v2.pb.h"
#include "server/convert.h"
#include "server/oip_convert.h"

namespace {

constexpr const char* kYamls[] = {
    "model_parameters: {march: nash-e}\ninput_parameters:\n  input_name: images\n"
    "  input_type_train: rgb\n  input_layout_train: NCHW\n  input_type_rt: nv12\n"
    "  input_shape: 1x3x16x16\n",
    "model_parameters: {march: nash-m}\ninput_parameters:\n  input_name: data\n"
    "  input_type_train: bgr\n  input_layout_train: NCHW\n  input_type_rt: nv12\n"
    "  input_shape: 1x3x16x16\ncompiler_parameters:\n  input_source: {data: resizer}\n",
    "model_parameters: {march: nash-e}\ninput_parameters:\n  input_name: 'image; prior'\n"
    "  input_type_train: 'bgr; featuremap'\n  input_layout_train: 'NCHW; NCHW'\n"
    "  input_type_rt: 'bgr; featuremap'\n  input_shape: '1x3x8x8; 1x2x2x2'\n"
    "  input_batch: 2\n  separate_batch: True\n",
};

const std::vector<hbprep::Descriptor>& Descriptors() {
  static const auto* descriptors = [] {
    auto* out = new std::vector<hbprep::Descriptor>;
    for (const char* yaml : kYamls) {
      std::vector<std::string> warnings;
      out->push_back(*hbprep::ParseDescriptor(yaml, "fuzz", {}, &warnings));
      inference::ModelMetadataResponse metadata;
      hbprep::oip::ToMetadata(out->back(), &metadata);
    }
    return out;
  }();
  return *descriptors;
}

void Infer(const inference::ModelInferRequest& request) {
  for (const hbprep::Descriptor& descriptor : Descriptors()) {
    absl::StatusOr<hbprep::oip::InferCall> call =
        hbprep::oip::FromInferRequest(request, descriptor);
    if (!call.ok()) continue;
    call->options.max_width = call->options.max_height = 256;
    call->options.max_pixels = 1 << 16;
    absl::StatusOr<hbprep::Prepared> prepared =
        hbprep::Prepare(descriptor, call->images, call->options);
    if (!prepared.ok()) continue;
    inference::ModelInferResponse response;
    (void)hbprep::oip::ToInferResponse(request, *prepared, &response);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  hbprep::v1::PrepareRequest request;
  if (request.ParseFromArray(data, static_cast<int>(size))) {
    std::vector<hbprep::InputImage> images;
    hbprep::PrepareOptions options;
    (void)hbprep::FromProto(request, &images, &options);
    if (request.inline_descriptor().has_structured()) {
      const std::string yaml = hbprep::ToYaml(request.inline_descriptor().structured());
      (void)hbprep::ParseDescriptor(yaml, "fuzz", {}, nullptr);
    }
  }
  inference::ModelInferRequest infer;
  if (infer.ParseFromArray(data, static_cast<int>(size))) Infer(infer);
  return 0;
}
