// libFuzzer target: the descriptor parser on arbitrary text, then everything a parsed
// descriptor feeds (plans for every target, the hash, bindings), and a prepare of small raw
// frames for every target, so that recipe sizes, input shapes and the request's cost meet
// the limits (lowered here, so that what passes them stays small).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "hbprep/descriptor.h"
#include "hbprep/engine.h"
#include "hbprep/identity.h"
#include "hbprep/plan.h"
#include "hbprep/plan_json.h"
#include "nlohmann/json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> warnings;
  absl::StatusOr<hbprep::Descriptor> descriptor =
      hbprep::ParseDescriptor(text, "fuzz", {}, &warnings);
  if (!descriptor.ok()) return 0;
  for (hbprep::Target target :
       {hbprep::Target::kBoard, hbprep::Target::kCalibration, hbprep::Target::kOnnx}) {
    const hbprep::Plan plan = hbprep::ResolvePlan(*descriptor, target);
    (void)hbprep::PlanToJson(plan).dump();
    (void)hbprep::HrtInputStride(plan);
    (void)hbprep::ImageBindings(*descriptor, target);
  }
  (void)hbprep::DescriptorHash(*descriptor);
  for (hbprep::Target target :
       {hbprep::Target::kBoard, hbprep::Target::kCalibration, hbprep::Target::kOnnx}) {
    const size_t count = hbprep::ImageBindings(*descriptor, target).size();
    if (count > 16) continue;
    hbprep::InputImage frame;
    frame.what = "frame";
    frame.raw = hbprep::RawImage{hbprep::RawFormat::kNv12, 64, 48, 0,
                                 hbprep::ColorRange::kRegular};
    frame.bytes.assign(64 * 48 * 3 / 2, '\x50');
    const std::vector<hbprep::InputImage> images(count, frame);
    hbprep::PrepareOptions options;
    options.target = target;
    options.max_width = options.max_height = 4096;
    options.max_pixels = 1 << 20;
    options.max_request_bytes = 64 << 20;
    absl::StatusOr<hbprep::Prepared> prepared = hbprep::Prepare(*descriptor, images, options);
    if (!prepared.ok()) continue;
    for (const hbprep::Tensor& tensor : prepared->tensors) (void)hbprep::PackStrided(tensor);
  }
  return 0;
}
