// CenterCrop: S: S x S from (w // 2 - S // 2, h // 2 - S // 2) (CenterCropTransformer's
// slicing, then astype(np.float32)).
#include "adapters/frame.h"
#include "adapters/steps/step_rows.h"

namespace hbprep {
namespace {

void Parse(StepArgs& args, RecipeStep& step) { args.Size(StepArgs::SizeForm::kSquare, &step.size); }

StepShape Shape(const RecipeStep& step, int w, int h) {
  const int s = step.size[0];
  return CropShape(cv::Rect(w / 2 - s / 2, h / 2 - s / 2, s, s));
}

std::optional<cv::Size> FixedSize(const RecipeStep& step, std::optional<cv::Size>) {
  return cv::Size(step.size[0], step.size[0]);
}

absl::Status Run(const RecipeStep& step, Frame& frame, absl::string_view what) {
  return RunShape(step, Shape(step, frame.width(), frame.height()), frame, what);
}

}  // namespace

const StepType kCenterCropStep = {RecipeStep::Kind::kCenterCrop, "CenterCrop", Parse,
                                  NoCanonicalArgs, Shape, FixedSize, FullDecode, Run};

}  // namespace hbprep
