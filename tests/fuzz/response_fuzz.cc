// libFuzzer target: what `hbprep --server` does with a server's answer. The bytes are read as
// an hbprep.v1 PrepareResponse, converted, and held against the plans (board and calibration)
// of a J6 resizer model, an OE 1.x packed NV12 model and a ddr image + featuremap model; an
// answer the check accepts must lay out (PackStrided) to exactly the size CheckStridedLayout
// gave, and its ROI tensors must hold their four values: nothing the client writes reads or
// writes out of bounds. Seeds: real answers of hbprep-server for those models.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "client/remote.h"
#include "hbprep/descriptor.h"
#include "hbprep/engine.h"
#include "hbprep/plan.h"
#include "hbprep/v1/hbprep.pb.h"

namespace {

constexpr const char* kYamls[] = {
    "model_parameters: {march: nash-m}\ninput_parameters:\n  input_name: data\n"
    "  input_type_train: bgr\n  input_layout_train: NCHW\n  input_type_rt: nv12\n"
    "  input_shape: 1x3x16x16\ncompiler_parameters:\n  input_source: {data: resizer}\n",
    "model_parameters: {march: bayes-e}\ninput_parameters:\n  input_name: data\n"
    "  input_type_train: rgb\n  input_layout_train: NCHW\n  input_type_rt: nv12\n"
    "  input_shape: 1x3x6x10\n",
    "model_parameters: {march: nash-e}\ninput_parameters:\n  input_name: 'image; prior'\n"
    "  input_type_train: 'bgr; featuremap'\n  input_layout_train: 'NCHW; NCHW'\n"
    "  input_type_rt: 'bgr; featuremap'\n  input_shape: '1x3x4x4; 1x2x3x3'\n",
};

const std::vector<hbprep::Plan>& Plans() {
  static const auto* plans = [] {
    auto* out = new std::vector<hbprep::Plan>;
    for (const char* yaml : kYamls) {
      const hbprep::Descriptor descriptor = *hbprep::ParseDescriptor(yaml, "fuzz", {}, nullptr);
      for (hbprep::Target target : {hbprep::Target::kBoard, hbprep::Target::kCalibration}) {
        out->push_back(hbprep::ResolvePlan(descriptor, target));
      }
    }
    return out;
  }();
  return *plans;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  hbprep::v1::PrepareResponse response;
  if (!response.ParseFromArray(data, static_cast<int>(size))) return 0;
  absl::StatusOr<hbprep::Prepared> prepared = hbprep::PreparedFromProto(response);
  if (!prepared.ok()) return 0;
  for (const hbprep::Plan& plan : Plans()) {
    for (bool as_uint8 : {false, true}) {
      hbprep::PrepareOptions options;
      options.float_as_uint8 = as_uint8;
      if (!hbprep::CheckPreparedAgainstPlan(plan, options, *prepared).ok()) continue;
      for (const hbprep::Tensor& tensor : prepared->tensors) {
        const absl::StatusOr<size_t> packed =
            hbprep::CheckStridedLayout(tensor.spec, tensor.data.size());
        if (!packed.ok() || hbprep::PackStrided(tensor).size() != *packed) __builtin_trap();
        if (tensor.spec.role == hbprep::TensorRole::kRoi) {
          if (tensor.data.size() != 16) __builtin_trap();
          int32_t roi[4];
          std::memcpy(roi, tensor.data.data(), sizeof(roi));
        }
      }
    }
  }
  return 0;
}
