// PILCenterCrop: S | [H, W] (PILCenterCropTransformer): Image.fromarray(data.astype('uint8'))
// cropped at (int(round((w - W) / 2.)), int(round((h - H) / 2.))) (Python's round, halves
// to even) to W x H; Pillow fills what lies outside the image with zeros. Then
// astype(np.float32).
#include <algorithm>
#include <cmath>

#include "adapters/frame.h"
#include "adapters/preparer.h"
#include "adapters/steps/step_rows.h"
#include "opencv2/core.hpp"

namespace hbprep {
namespace {

void Parse(StepArgs& args, RecipeStep& step) { args.Size(StepArgs::SizeForm::kPair, &step.size); }

cv::Rect Rect(const RecipeStep& step, int w, int h) {
  const int ch = step.size[0], cw = step.size[1];
  const int top = static_cast<int>(std::nearbyint((h - ch) / 2.0));
  const int left = static_cast<int>(std::nearbyint((w - cw) / 2.0));
  return {left, top, cw, ch};
}

StepShape Shape(const RecipeStep& step, int w, int h) {
  const cv::Rect rect = Rect(step, w, h);
  StepShape shape;
  shape.size = rect.size();
  shape.offset_x = rect.x;
  shape.offset_y = rect.y;
  return shape;
}

absl::Status Run(const RecipeStep& step, Frame& frame, absl::string_view) {
  frame.ToBgr();
  const cv::Mat pixels = AsUint8(frame.bgr);
  const cv::Rect rect = Rect(step, frame.width(), frame.height());
  const cv::Rect inside = rect & cv::Rect(0, 0, pixels.cols, pixels.rows);
  cv::Mat out(rect.size(), CV_8UC3, cv::Scalar::all(0));
  if (!inside.empty()) {
    pixels(inside).copyTo(out(cv::Rect(inside.x - rect.x, inside.y - rect.y, inside.width,
                                       inside.height)));
  }
  frame.bgr = out;
  frame.float32 = true;
  return absl::OkStatus();
}

}  // namespace

const StepType kPilCenterCropStep = {RecipeStep::Kind::kPilCenterCrop,
                                     "PILCenterCrop",
                                     Parse,
                                     NoCanonicalArgs,
                                     Shape,
                                     FixedSizeHW,
                                     FullDecode,
                                     Run};

}  // namespace hbprep
