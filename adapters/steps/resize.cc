// Resize: [H, W] | S | {size, mode: opencv|skimage, interpolation, order}
// (ResizeTransformer(target_size, mode, method, interpolation)). opencv: cv2.resize to
// W x H, then astype(np.float32). skimage (the transformer's default mode): the image's own
// min/max scaled to [0, 1], skimage.transform.resize with spline `order` (Gaussian
// anti-aliasing when shrinking), scaled back (skimage_resize.h).
#include "absl/strings/str_cat.h"
#include "adapters/frame.h"
#include "adapters/recipe.h"
#include "adapters/steps/skimage_resize.h"
#include "adapters/steps/step_rows.h"
#include "nlohmann/json.hpp"

namespace hbprep {
namespace {

constexpr Interpolation kAll[] = {Interpolation::kLinear, Interpolation::kCubic,
                                  Interpolation::kNearest, Interpolation::kArea};
constexpr absl::string_view kModes[] = {"opencv", "skimage"};

void Parse(StepArgs& args, RecipeStep& step) {
  args.Size(StepArgs::SizeForm::kPair, &step.size);
  args.Interpolation(kAll, &step.interpolation);
  int mode = static_cast<int>(step.mode);
  args.Choice("mode", kModes, &mode);
  step.mode = static_cast<ResizeMode>(mode);
  int order = -1;
  args.Int("order", 0, 3, &order);
  if (step.mode == ResizeMode::kSkimage) {
    if (step.interpolation != Interpolation::kLinear) {
      args.Fail("interpolation is an argument of mode opencv; mode skimage takes order");
    }
    step.order = order < 0 ? 1 : order;
  } else if (order >= 0) {
    args.Fail("order is an argument of mode skimage");
  }
}

void Canonical(const RecipeStep& step, nlohmann::json& out) {
  if (step.mode == ResizeMode::kSkimage) {
    out["mode"] = ToString(step.mode);
    out["order"] = step.order;
  } else {
    out["interpolation"] = ToString(step.interpolation);
  }
}

StepShape Shape(const RecipeStep& step, int w, int h) {
  StepShape shape = ResizeStepShape(w, h, cv::Size(step.size[1], step.size[0]),
                                    CvInterpolation(step.interpolation));
  if (step.mode == ResizeMode::kSkimage) {
    shape.kind = StepShape::Kind::kPixels;
    // The normalised image and its Gaussian-filtered copy, in float64 (two data pixels each).
    shape.scratch_pixels = 4 * int64_t{w} * h;
  }
  return shape;
}

cv::Size DecodeMinimum(const RecipeStep& step, int, int) { return {step.size[1], step.size[0]}; }

absl::Status Run(const RecipeStep& step, Frame& frame, absl::string_view what) {
  if (step.mode == ResizeMode::kOpencv) {
    return RunShape(step, Shape(step, frame.width(), frame.height()), frame, what);
  }
  // On the data's dtype as the transformer receives it: uint8 pixels (float64 arithmetic)
  // until a step made them float32; and in its channel order (R, G, B after a skimage or pil
  // read), which orders 2 and 3 depend on.
  AsTransformerInput(frame);
  cv::Mat out;
  const SkimageChannels channels =
      frame.reversed_channels ? SkimageChannels::kReversed : SkimageChannels::kSame;
  const absl::Status status =
      SkimageResize(frame.bgr, step.size[0], step.size[1], step.order, channels, out);
  if (!status.ok()) return absl::InvalidArgumentError(absl::StrCat(what, ": ", status.message()));
  frame.bgr = out;
  frame.float32 = true;
  return absl::OkStatus();
}

}  // namespace

const StepType kResizeStep = {RecipeStep::Kind::kResize, "Resize", Parse, Canonical,
                              Shape, FixedSizeHW, DecodeMinimum, Run};

}  // namespace hbprep
