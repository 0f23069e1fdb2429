// libFuzzer target: the descriptor parser on arbitrary text, then everything a parsed
// descriptor feeds (plans for every target, the hash, bindings).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "adapters/descriptor.h"
#include "adapters/engine.h"
#include "adapters/plan.h"
#include "adapters/plan_json.h"
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
  return 0;
}
