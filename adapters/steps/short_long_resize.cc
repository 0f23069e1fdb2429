// ShortLongResize: {short: S, long: L} (ShortLongResizeTransformer, Faster R-CNN style):
// im_scale = S / min(h, w), or L / max(h, w) when round(im_scale * max(h, w)) > L;
// cv2.resize(image, None, fx=im_scale, fy=im_scale): the size round(w * im_scale) x
// round(h * im_scale) (cvRound, halves to even) and, unlike a resize by size, coordinates
// mapped by im_scale itself. No astype: the data keeps its dtype. The im_info it reports
// ([h', w', im_scale]) is the geometry's content size and scale.
#include <algorithm>
#include <cmath>

#include "adapters/frame.h"
#include "adapters/resize.h"
#include "adapters/steps/step_rows.h"
#include "opencv2/imgproc.hpp"

namespace hbprep {
namespace {

void Parse(StepArgs& args, RecipeStep& step) {
  step.size = {0, 0};
  args.Int("short", 1, 65536, &step.size[0], /*required=*/true);
  args.Int("long", 1, 65536, &step.size[1], /*required=*/true);
}

double Scale(const RecipeStep& step, int w, int h) {
  double scale = static_cast<double>(step.size[0]) / std::min(h, w);
  if (std::nearbyint(scale * std::max(h, w)) > step.size[1]) {
    scale = static_cast<double>(step.size[1]) / std::max(h, w);
  }
  return scale;
}

StepShape Shape(const RecipeStep& step, int w, int h) {
  const double scale = Scale(step, w, h);
  StepShape shape;
  shape.size = cv::Size(PythonRoundSize(w * scale), PythonRoundSize(h * scale));
  shape.scale_x = shape.scale_y = 1 / scale;
  return shape;
}

absl::Status Run(const RecipeStep& step, Frame& frame, absl::string_view) {
  AsTransformerInput(frame);  // the data as it is: uint8 stays uint8, float32 float32
  const double scale = Scale(step, frame.width(), frame.height());
  cv::Mat out;
  Resize(frame.bgr, out, cv::Size(), scale, scale, cv::INTER_LINEAR);
  frame.bgr = out;
  return absl::OkStatus();
}

}  // namespace

const StepType kShortLongResizeStep = {RecipeStep::Kind::kShortLongResize,
                                       "ShortLongResize",
                                       Parse,
                                       NoCanonicalArgs,
                                       Shape,
                                       NoFixedSize,
                                       FullDecode,
                                       Run};

}  // namespace hbprep
