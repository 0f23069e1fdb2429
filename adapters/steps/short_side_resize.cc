// ShortSideResize: S | {size: S, interpolation}: the short side to S, the long side
// int(S * (long / short)) (ShortSideResizeTransformer: cv2.resize, then astype(np.float32)).
#include <algorithm>
#include <limits>

#include "adapters/frame.h"
#include "adapters/recipe.h"
#include "adapters/steps/step_rows.h"
#include "nlohmann/json.hpp"

namespace hbprep {
namespace {

constexpr Interpolation kAll[] = {Interpolation::kLinear, Interpolation::kCubic,
                                  Interpolation::kNearest, Interpolation::kArea};

void Parse(StepArgs& args, RecipeStep& step) {
  args.Size(StepArgs::SizeForm::kSquare, &step.size);
  args.Interpolation(kAll, &step.interpolation);
}

void Canonical(const RecipeStep& step, nlohmann::json& out) {
  out["interpolation"] = ToString(step.interpolation);
}

StepShape Shape(const RecipeStep& step, int w, int h) {
  const int s = step.size[0];
  // int(short_size * (long / short)), truncated; beyond int's range it stays at INT_MAX,
  // which the limits refuse.
  auto long_side = [s](int long_px, int short_px) {
    const double value = s * (static_cast<double>(long_px) / short_px);
    return static_cast<int>(std::min(value, double{std::numeric_limits<int>::max()}));
  };
  const cv::Size size = h < w ? cv::Size(long_side(w, h), s) : cv::Size(s, long_side(h, w));
  return ResizeStepShape(w, h, size, CvInterpolation(step.interpolation));
}

cv::Size DecodeMinimum(const RecipeStep& step, int, int) {
  return {step.size[0], step.size[0]};  // the short side at least the size
}

absl::Status Run(const RecipeStep& step, Frame& frame, absl::string_view what) {
  return RunShape(step, Shape(step, frame.width(), frame.height()), frame, what);
}

}  // namespace

const StepType kShortSideResizeStep = {RecipeStep::Kind::kShortSideResize,
                                       "ShortSideResize",
                                       Parse,
                                       Canonical,
                                       Shape,
                                       NoFixedSize,
                                       DecodeMinimum,
                                       Run};

}  // namespace hbprep
