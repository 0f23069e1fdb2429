// WarpAffine: {size: [H, W], scale: s} (WarpAffineTransformer(input_shape, scale), centernet):
// the image's centre (int(w * s) / 2, int(h * s) / 2) mapped to the output's centre, and a
// length of max(h, w) source pixels to W output pixels, by cv2.getAffineTransform of three
// float32 point pairs (the centre, a point half a length above it, and the third point of a
// right angle) and cv2.warpAffine(INTER_LINEAR, BORDER_CONSTANT 0) to W x H; then
// astype(np.float32). The map is between pixel indices, with no half-pixel offset.
#include <algorithm>
#include <cmath>

#include "adapters/frame.h"
#include "adapters/steps/step_rows.h"
#include "nlohmann/json.hpp"
#include "opencv2/imgproc.hpp"

namespace hbprep {
namespace {

void Parse(StepArgs& args, RecipeStep& step) {
  args.Size(StepArgs::SizeForm::kPair, &step.size);
  args.Number("scale", 1e-6, 1e6, &step.scale);
}

void Canonical(const RecipeStep& step, nlohmann::json& out) { out["scale"] = step.scale; }

// The transformer's 2 x 3 matrix (source index -> output index), in double as
// cv2.getAffineTransform returns it.
cv::Mat Matrix(const RecipeStep& step, int w, int h) {
  const int out_h = step.size[0], out_w = step.size[1];
  // int(w * scale) / 2. (a double: the product may pass int's range for hostile scales).
  const float cx = static_cast<float>(std::trunc(w * step.scale) / 2.0);
  const float cy = static_cast<float>(std::trunc(h * step.scale) / 2.0);
  const double s = std::max(h, w);
  // The points as float32 arrays hold them: each is exact for any size hbprep accepts.
  const cv::Point2f src[3] = {
      {cx, cy},
      {cx, static_cast<float>(cy + s * -0.5)},
      {static_cast<float>(cx - s * 0.5), static_cast<float>(cy + s * -0.5)}};
  const float dx = static_cast<float>(out_w * 0.5), dy = static_cast<float>(out_h * 0.5);
  const float up = static_cast<float>(dy + out_w * -0.5);
  const cv::Point2f dst[3] = {{dx, dy}, {dx, up}, {static_cast<float>(dx - out_w * 0.5), up}};
  return cv::getAffineTransform(src, dst);
}

StepShape Shape(const RecipeStep& step, int w, int h) {
  StepShape shape;
  shape.size = cv::Size(step.size[1], step.size[0]);
  // Output index p shows source index (p - t) / k: in edge coordinates (index + 0.5), the
  // source edge 0.5 + (p_edge - 0.5 - t) / k.
  const int out_w = step.size[1];
  const double s = std::max(h, w);
  const double k = out_w / s;
  const double tx = out_w * 0.5 - k * (std::trunc(w * step.scale) / 2.0);
  const double ty = step.size[0] * 0.5 - k * (std::trunc(h * step.scale) / 2.0);
  shape.scale_x = shape.scale_y = 1 / k;
  shape.offset_x = 0.5 - (0.5 + tx) / k;
  shape.offset_y = 0.5 - (0.5 + ty) / k;
  return shape;
}

absl::Status Run(const RecipeStep& step, Frame& frame, absl::string_view) {
  AsTransformerInput(frame);
  cv::Mat out;
  cv::warpAffine(frame.bgr, out, Matrix(step, frame.width(), frame.height()),
                 cv::Size(step.size[1], step.size[0]), cv::INTER_LINEAR, cv::BORDER_CONSTANT,
                 cv::Scalar::all(0));
  frame.bgr = out;
  frame.float32 = true;
  return absl::OkStatus();
}

}  // namespace

const StepType kWarpAffineStep = {RecipeStep::Kind::kWarpAffine, "WarpAffine", Parse, Canonical,
                                  Shape, FixedSizeHW, FullDecode, Run};

}  // namespace hbprep
