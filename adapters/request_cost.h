// Internal to the engine: one request checked against the limits before anything is
// allocated, its cost (engine.h's RequestCost), and the image headers read on the way, so
// that decoding does not read them again.
#ifndef HBPREP_ADAPTERS_REQUEST_COST_H_
#define HBPREP_ADAPTERS_REQUEST_COST_H_

#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "adapters/image_io.h"
#include "adapters/recipe.h"
#include "adapters/size_math.h"
#include "hbprep/descriptor.h"
#include "hbprep/engine.h"
#include "hbprep/model.h"
#include "hbprep/plan.h"

namespace hbprep {

// A checked request, and the workspace of the check: reused between calls (a Scratch's),
// checking a request of raw frames allocates nothing.
struct CheckedRequest {
  RequestCost cost;
  // Per image: the checked header of an encoded image; nullopt for raw frames and
  // featuremap files.
  std::vector<std::optional<ImageHeader>> headers;

  // Workspace: resizer frame sizes (even) per input and item, the recipe's steps, a spec.
  struct FrameSize {
    int index, item;
    int64_t width, height;
  };
  std::vector<FrameSize> frame_sizes;
  std::vector<StepSize> steps;
  TensorSpec spec;
};

// INVALID_ARGUMENT naming the model and how many files each input takes unless a request
// of `target` has `files` files.
absl::Status CheckFileCount(const Descriptor& descriptor, Target target, size_t files);

// INVALID_ARGUMENT for a wrong number of images, undecodable headers, bad raw buffers and
// crops that do not fit; RESOURCE_EXHAUSTED naming the image, input or recipe step for a size
// beyond options' limits, for more recipe pixels than the limit, and for more memory than
// options.max_request_bytes. `plan` is ResolvePlan(descriptor, options.target) with
// Prepare's changes (uint8 float data).
absl::Status CheckRequest(const Descriptor& descriptor, const Plan& plan,
                          absl::Span<const InputView> images, const PrepareOptions& options,
                          CheckedRequest* checked);

}  // namespace hbprep

#endif  // HBPREP_ADAPTERS_REQUEST_COST_H_
