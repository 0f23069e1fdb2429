// PadResize: [H, W] | S | {size, pad_value: 127, pad_position: boundary|top_left|bottom_right}
// (PadResizeTransformer): the image scaled by min(W / w, H / h) to int(scale * h) x
// int(scale * w) (cv2.resize, bilinear), on a float32 canvas of pad_value, centred
// ((H - nh) // 2, (W - nw) // 2) or at the top left.
#include <algorithm>
#include <cmath>

#include "adapters/frame.h"
#include "adapters/resize.h"
#include "adapters/steps/step_rows.h"
#include "nlohmann/json.hpp"
#include "opencv2/core.hpp"
#include "opencv2/imgproc.hpp"

namespace hbprep {
namespace {

// The toolchain spells the top-left placement bottom_right (where the padding goes).
constexpr absl::string_view kPositions[] = {"boundary", "top_left", "bottom_right"};

void Parse(StepArgs& args, RecipeStep& step) {
  args.Size(StepArgs::SizeForm::kPair, &step.size);
  args.Number("pad_value", 0, 255, &step.pad_value);
  int position = step.pad_centered ? 0 : 1;
  args.Choice("pad_position", kPositions, &position);
  step.pad_centered = position == 0;
}

void Canonical(const RecipeStep& step, nlohmann::json& out) {
  out["pad_value"] = step.pad_value;
  out["pad_position"] = step.pad_centered ? "boundary" : "top_left";
}

// The scaled image's size.
cv::Size Scaled(const RecipeStep& step, int w, int h) {
  const double scale = std::min(static_cast<double>(step.size[1]) / w,
                                static_cast<double>(step.size[0]) / h);
  return {static_cast<int>(scale * w), static_cast<int>(scale * h)};
}

StepShape Shape(const RecipeStep& step, int w, int h) {
  const cv::Size scaled = Scaled(step, w, h);
  StepShape shape;
  shape.size = cv::Size(step.size[1], step.size[0]);
  shape.scratch_pixels = int64_t{scaled.width} * scaled.height;
  shape.scale_x = static_cast<double>(w) / scaled.width;
  shape.scale_y = static_cast<double>(h) / scaled.height;
  if (step.pad_centered) {  // placed at (left, top): the input starts there
    shape.offset_x = -((step.size[1] - scaled.width) / 2) * shape.scale_x;
    shape.offset_y = -((step.size[0] - scaled.height) / 2) * shape.scale_y;
  }
  return shape;
}

cv::Size DecodeMinimum(const RecipeStep& step, int w, int h) {
  const double scale = std::min(static_cast<double>(step.size[1]) / w,
                                static_cast<double>(step.size[0]) / h);
  return {static_cast<int>(std::ceil(scale * w)), static_cast<int>(std::ceil(scale * h))};
}

absl::Status Run(const RecipeStep& step, Frame& frame, absl::string_view) {
  AsTransformerInput(frame);
  const int th = step.size[0], tw = step.size[1];
  const cv::Size scaled_size = Scaled(step, frame.width(), frame.height());
  cv::Mat scaled;
  Resize(frame.bgr, scaled, scaled_size, cv::INTER_LINEAR);
  const bool fractional_pad = step.pad_value != std::floor(step.pad_value);
  const int type = scaled.depth() == CV_32F || fractional_pad ? CV_32FC3 : CV_8UC3;
  if (scaled.type() != type) scaled.convertTo(scaled, type);
  cv::Mat canvas(th, tw, type, cv::Scalar::all(static_cast<float>(step.pad_value)));
  const int top = step.pad_centered ? (th - scaled_size.height) / 2 : 0;
  const int left = step.pad_centered ? (tw - scaled_size.width) / 2 : 0;
  scaled.copyTo(canvas(cv::Rect(left, top, scaled_size.width, scaled_size.height)));
  frame.bgr = canvas;
  frame.float32 = true;
  return absl::OkStatus();
}

}  // namespace

const StepType kPadResizeStep = {RecipeStep::Kind::kPadResize, "PadResize", Parse, Canonical,
                                 Shape, FixedSizeHW, DecodeMinimum, Run};

}  // namespace hbprep
