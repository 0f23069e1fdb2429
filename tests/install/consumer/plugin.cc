// A shared library over the installed static engine, as a Python module or a pipeline's
// plugin would be: it links only because hbprep::adapters is position-independent code.
#include "hbprep/descriptor.h"
#include "hbprep/plan.h"

// The board plan's tensor count of the model at `yaml_path`, or -1.
extern "C" int consumer_plugin_tensor_count(const char* yaml_path) {
  absl::StatusOr<hbprep::Descriptor> descriptor = hbprep::LoadDescriptorFile(yaml_path, nullptr);
  if (!descriptor.ok()) return -1;
  return static_cast<int>(hbprep::ResolvePlan(*descriptor, hbprep::Target::kBoard).tensors.size());
}
