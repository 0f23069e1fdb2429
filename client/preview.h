// Contact sheets of prepared tensors (`hbprep preview`, `hbprep prepare --preview`).
#ifndef HBPREP_CLIENT_PREVIEW_H_
#define HBPREP_CLIENT_PREVIEW_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "hbprep/descriptor.h"

namespace hbprep {

struct PreviewSummary {
  int width = 0, height = 0;  // of the PNG
  int rows = 0, tiles = 0;
  std::vector<std::string> notes;  // range and channel-order checks
};

// Renders the tensors of `dir` (a prepared output folder, or plain .npy files) into `png`.
// `descriptor`, when given, decides the NV12 range, the float data's de-normalisation and
// the channel order; without it NV12 is shown as full range, floats min-max scaled.
absl::StatusOr<PreviewSummary> RenderPreview(const std::string& dir, const std::string& png,
                                             const std::optional<Descriptor>& descriptor);

}  // namespace hbprep

#endif  // HBPREP_CLIENT_PREVIEW_H_
