// LongSideCrop: the long side cropped to the short one, centred: a square. (The
// transformer slices off:off+height for portrait images, which is not square; hbprep crops
// the square its name and landscape branch describe.)
#include <algorithm>

#include "adapters/frame.h"
#include "adapters/steps/step_rows.h"

namespace hbprep {
namespace {

void Parse(StepArgs& args, RecipeStep&) { args.None(); }

StepShape Shape(const RecipeStep&, int w, int h) {
  const int side = std::min(h, w);
  return CropShape(cv::Rect((w - side) / 2, (h - side) / 2, side, side));
}

absl::Status Run(const RecipeStep& step, Frame& frame, absl::string_view what) {
  return RunShape(step, Shape(step, frame.width(), frame.height()), frame, what);
}

}  // namespace

const StepType kLongSideCropStep = {RecipeStep::Kind::kLongSideCrop, "LongSideCrop", Parse,
                                    NoCanonicalArgs, Shape, NoFixedSize, FullDecode, Run};

}  // namespace hbprep
