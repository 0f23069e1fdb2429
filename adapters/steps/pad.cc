// Pad: {size_divisor: 128, target_size: 512} (PadTransformer, fcos): the long side scaled to
// target_size (scale = target / max(h, w); the result round(w * scale) x round(h * scale),
// Python's round, halves to even; cv2.resize, bilinear), its values cast as astype(np.uint8)
// does, on a zero canvas whose sides are the next multiples of size_divisor, at the top
// left; then astype(np.float32).
#include <algorithm>
#include <cmath>

#include "adapters/frame.h"
#include "adapters/preparer.h"
#include "adapters/resize.h"
#include "adapters/steps/step_rows.h"
#include "nlohmann/json.hpp"
#include "opencv2/core.hpp"
#include "opencv2/imgproc.hpp"

namespace hbprep {
namespace {

void Parse(StepArgs& args, RecipeStep& step) {
  step.size = {512};
  args.Int("target_size", 1, 65536, &step.size[0]);
  args.Int("size_divisor", 1, 65536, &step.size_divisor);
}

void Canonical(const RecipeStep& step, nlohmann::json& out) {
  out["size_divisor"] = step.size_divisor;
}

cv::Size Scaled(const RecipeStep& step, int w, int h) {
  const double scale = static_cast<double>(step.size[0]) / std::max(h, w);
  return {PythonRoundSize(w * scale), PythonRoundSize(h * scale)};
}

int Padded(int side, int divisor) {
  return static_cast<int>(std::min<int64_t>((int64_t{side} + divisor - 1) / divisor * divisor,
                                            2147483647));
}

StepShape Shape(const RecipeStep& step, int w, int h) {
  const cv::Size scaled = Scaled(step, w, h);
  StepShape shape;
  shape.size = cv::Size(Padded(scaled.width, step.size_divisor),
                        Padded(scaled.height, step.size_divisor));
  shape.scratch_pixels = int64_t{scaled.width} * scaled.height;
  shape.scale_x = static_cast<double>(w) / scaled.width;
  shape.scale_y = static_cast<double>(h) / scaled.height;
  return shape;
}

absl::Status Run(const RecipeStep& step, Frame& frame, absl::string_view) {
  AsTransformerInput(frame);
  const cv::Size scaled_size = Scaled(step, frame.width(), frame.height());
  const StepShape shape = Shape(step, frame.width(), frame.height());
  cv::Mat scaled;
  Resize(frame.bgr, scaled, scaled_size, cv::INTER_LINEAR);
  cv::Mat canvas(shape.size, CV_8UC3, cv::Scalar::all(0));
  AsUint8(scaled).copyTo(canvas(cv::Rect(0, 0, scaled_size.width, scaled_size.height)));
  frame.bgr = canvas;
  frame.float32 = true;
  return absl::OkStatus();
}

}  // namespace

const StepType kPadStep = {RecipeStep::Kind::kPad, "Pad", Parse, Canonical,
                           Shape, NoFixedSize, FullDecode, Run};

}  // namespace hbprep
