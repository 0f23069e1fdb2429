// libFuzzer target: the model info parser on arbitrary text, then what a parsed model info
// feeds: the checks against example descriptors of each kind, the plans they resolve, the
// hash, and a prepare of each (the quantised featuremap too; strided packing included)
// under a lowered memory limit, so that strides that would allocate beyond it are refused.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "hbprep/compiled_model.h"
#include "hbprep/engine.h"
#include "hbprep/identity.h"
#include "hbprep/model_info.h"
#include "hbprep/npy.h"
#include "hbprep/plan_json.h"
#include "nlohmann/json.hpp"

namespace {

// A J6 pyramid, a J6 resizer, a J6 ddr image + featuremap, and an OE 1.x pyramid model.
constexpr const char* kYamls[] = {
    "model_parameters: {march: nash-e}\ninput_parameters:\n  input_name: images\n"
    "  input_type_train: rgb\n  input_layout_train: NCHW\n  input_type_rt: nv12\n"
    "  input_shape: 1x3x224x224\n",
    "model_parameters: {march: nash-m}\ninput_parameters:\n  input_name: data\n"
    "  input_type_train: bgr\n  input_layout_train: NCHW\n  input_type_rt: nv12\n"
    "  input_shape: 1x3x64x64\ncompiler_parameters:\n  input_source: {data: resizer}\n",
    "model_parameters: {march: nash-e}\ninput_parameters:\n  input_name: 'image; prior'\n"
    "  input_type_train: 'bgr; featuremap'\n  input_layout_train: 'NCHW; NCHW'\n"
    "  input_type_rt: 'bgr; featuremap'\n  input_shape: '1x3x16x16; 1x4x2x2'\n",
    "model_parameters: {march: bayes-e}\ninput_parameters:\n  input_name: data\n"
    "  input_type_train: rgb\n  input_layout_train: NCHW\n  input_type_rt: nv12\n"
    "  input_shape: 1x3x32x32\n",
};

std::vector<hbprep::Descriptor> Descriptors() {
  std::vector<hbprep::Descriptor> out;
  for (const char* yaml : kYamls) {
    std::vector<std::string> warnings;
    out.push_back(*hbprep::ParseDescriptor(yaml, "fusion", {}, &warnings));
  }
  return out;
}

// A prepare of every kind of model with its model info attached, strided packing included,
// under lowered limits (what passes them stays small).
void PrepareWithModelInfo(const hbprep::Descriptor& descriptor, bool fusion) {
  hbprep::InputImage image;
  image.what = "image";
  image.raw = hbprep::RawImage{hbprep::RawFormat::kBgr, 16, 16, 0, hbprep::ColorRange::kRegular};
  image.bytes.assign(16 * 16 * 3, '\x40');
  std::vector<hbprep::InputImage> images = {image};
  if (fusion) {
    std::vector<float> values(16);
    for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<float>(i) * 0.37f - 3.0f;
    hbprep::InputImage prior;
    prior.what = "prior";
    prior.bytes = hbprep::EncodeNpy(
        hbprep::DType::kFloat32, {1, 4, 2, 2},
        absl::Span<const uint8_t>(reinterpret_cast<const uint8_t*>(values.data()), 64));
    images.push_back(prior);
  }
  hbprep::PrepareOptions options;
  options.max_request_bytes = 64 << 20;
  absl::StatusOr<hbprep::Prepared> prepared = hbprep::Prepare(descriptor, images, options);
  if (!prepared.ok()) return;
  for (const hbprep::Tensor& tensor : prepared->tensors) (void)hbprep::PackStrided(tensor);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::vector<hbprep::Descriptor>* const kDescriptors =
      new std::vector<hbprep::Descriptor>(Descriptors());
  const std::string text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<std::vector<hbprep::ModelInfoModel>> models =
      hbprep::ParseModelInfo(text, "fuzz");
  if (!models.ok()) return 0;
  for (size_t i = 0; i < kDescriptors->size(); ++i) {
    hbprep::Descriptor descriptor = (*kDescriptors)[i];
    std::vector<std::string> warnings;
    if (!hbprep::AttachModelInfo(*models, "fuzz", &descriptor, &warnings).ok()) continue;
    const hbprep::Plan plan = hbprep::ResolvePlan(descriptor, hbprep::Target::kBoard);
    (void)hbprep::PlanToJson(plan).dump();
    (void)hbprep::HrtInputStride(plan);
    (void)hbprep::DescriptorHash(descriptor);
    PrepareWithModelInfo(descriptor, i == 2);
  }
  return 0;
}
