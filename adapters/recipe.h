// The geometry of the float model's recipe (the `hbprep.inputs.<name>.recipe` steps, whose
// rows in adapters/steps/ say what each does): the steps composed into one window, every
// size a request's images will take, for the limits (before any pixel is decoded), and where
// the tensor's pixels come from.
// Internal to the engine: exposes OpenCV's geometry types.
#ifndef HBPREP_ADAPTERS_RECIPE_H_
#define HBPREP_ADAPTERS_RECIPE_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "hbprep/descriptor.h"
#include "hbprep/model.h"
#include "opencv2/core/types.hpp"

namespace hbprep {

// cv::INTER_* for an interpolation.
int CvInterpolation(Interpolation interpolation);

// INVALID_ARGUMENT naming `what` and `step` when `rect` does not lie inside `image`.
absl::Status CheckCrop(const cv::Size& image, const cv::Rect& rect, absl::string_view step,
                       absl::string_view what);

// The recipe's resizes and crops (steps whose StepShape is kResize or kCrop) composed on a
// width x height image.
struct ComposedRecipe {
  cv::Rect2d window;     // what the result shows of the image, in its pixels (fractional)
  int interpolation = 1;  // the last resize's (cv::INTER_LINEAR)
  // How far, in image columns, the pixels the step-by-step recipe reads reach beyond the
  // window: each resize's filter support in its source pixels, in image pixels.
  double reach = 0;
};
absl::StatusOr<ComposedRecipe> ComposeRecipe(const InputDescriptor& input, int width,
                                             int height, absl::string_view what);

// Whether the recipe is resizes and crops only (StepShape kResize, kCrop), which
// ComposeRecipe composes.
bool CanScaleOnce(const InputDescriptor& input);

// Whether NV12 planes can be scaled once through the composed window: resizes and crops,
// none by area (the one-window scaling interpolates; area averaging is cv::resize's, step by
// step).
bool CanScalePlanar(const InputDescriptor& input);

// One step of an image through the recipe: its size before and after.
struct StepSize {
  cv::Size in, out;
  int64_t scratch_pixels = 0;  // StepShape::scratch_pixels
};

// The sizes a width x height image takes through the recipe, step by step, ending with the
// default resize to the model's size when the recipe leaves another size (as the engine
// runs it), into `steps` (reused). Crops that do not fit are INVALID_ARGUMENT, as when the
// recipe runs; a size beyond int's range is RESOURCE_EXHAUSTED.
absl::Status TraceRecipe(const InputDescriptor& input, int width, int height,
                         absl::string_view what, std::vector<StepSize>* steps);

// Where the tensor's pixels of a width x height image come from after the recipe and the
// default resize to the model's size (model.h's ImageGeometry): pure arithmetic on the
// steps, as the engine runs them (PadResize's truncated size and offsets included). The
// recipe's crops are checked by the caller (TraceRecipe); ones that do not fit leave the
// geometry as far as it got.
ImageGeometry RecipeGeometry(const InputDescriptor& input, int width, int height);

}  // namespace hbprep

#endif  // HBPREP_ADAPTERS_RECIPE_H_
