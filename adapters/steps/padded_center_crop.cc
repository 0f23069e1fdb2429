// PaddedCenterCrop: S | {size: S, padding: P} (EfficientNet's crop): a square of side
// int(S / (S + P) * min(h, w)) at ((h - side) + 1) // 2, ((w - side) + 1) // 2.
#include <algorithm>

#include "adapters/frame.h"
#include "adapters/steps/step_rows.h"
#include "nlohmann/json.hpp"

namespace hbprep {
namespace {

void Parse(StepArgs& args, RecipeStep& step) {
  args.Size(StepArgs::SizeForm::kSquare, &step.size);
  args.Int("padding", 0, 65536, &step.padding);
}

void Canonical(const RecipeStep& step, nlohmann::json& out) { out["padding"] = step.padding; }

StepShape Shape(const RecipeStep& step, int w, int h) {
  const int s = step.size[0];
  const int side = static_cast<int>(static_cast<double>(s) / (s + step.padding) * std::min(h, w));
  return CropShape(cv::Rect(((w - side) + 1) / 2, ((h - side) + 1) / 2, side, side));
}

absl::Status Run(const RecipeStep& step, Frame& frame, absl::string_view what) {
  return RunShape(step, Shape(step, frame.width(), frame.height()), frame, what);
}

}  // namespace

const StepType kPaddedCenterCropStep = {RecipeStep::Kind::kPaddedCenterCrop,
                                        "PaddedCenterCrop",
                                        Parse,
                                        Canonical,
                                        Shape,
                                        NoFixedSize,
                                        FullDecode,
                                        Run};

}  // namespace hbprep
