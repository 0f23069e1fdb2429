// YUV: {color_sequence: RGB|BGR} (YUVTransformer): data.astype(np.uint8), cv2.cvtColor
// BGR2YUV_I420 (OpenCV's video-range BT.601; each 2x2 block's chroma from its top-left
// pixel), U and V repeated over their blocks (np.repeat) beside Y: YUV444 data, then
// astype(np.float32). The frame's channels hold Y, U, V from here on (Frame::yuv444), which
// calibration data for input_type_train yuv444 takes as they are and NV12 outputs sample back
// (Y, and each block's top-left chroma). `color_sequence` is the order the sample tells the
// transformer its data has; hbprep always converts the image's true colours (a sample that
// tells it wrong is reproduced with SwapRB before this step). Needs an even size, as
// cvtColor's I420 does.
#include "absl/strings/str_cat.h"
#include "adapters/frame.h"
#include "adapters/preparer.h"
#include "adapters/steps/step_rows.h"
#include "nlohmann/json.hpp"
#include "opencv2/imgproc.hpp"

namespace hbprep {
namespace {

constexpr absl::string_view kSequences[] = {"RGB", "BGR"};

void Parse(StepArgs& args, RecipeStep& step) {
  int sequence = step.rgb_sequence ? 0 : 1;
  args.Choice("color_sequence", kSequences, &sequence);
  step.rgb_sequence = sequence == 0;
}

void Canonical(const RecipeStep& step, nlohmann::json& out) {
  out["color_sequence"] = step.rgb_sequence ? "RGB" : "BGR";
}

StepShape Shape(const RecipeStep&, int w, int h) {
  StepShape shape;
  shape.size = cv::Size(w, h);
  return shape;
}

std::optional<cv::Size> FixedSize(const RecipeStep&, std::optional<cv::Size> in) { return in; }

absl::Status Run(const RecipeStep&, Frame& frame, absl::string_view what) {
  frame.ToBgr();
  const int w = frame.width(), h = frame.height();
  if (w % 2 != 0 || h % 2 != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, ": recipe step YUV needs an even size (OpenCV's I420), got ", h, "x", w));
  }
  cv::Mat i420;
  cv::cvtColor(AsUint8(frame.bgr), i420, cv::COLOR_BGR2YUV_I420);
  const uint8_t* u_plane = i420.ptr<uint8_t>(h);
  const uint8_t* v_plane = u_plane + static_cast<size_t>(w / 2) * (h / 2);
  cv::Mat yuv(h, w, CV_8UC3);
  for (int r = 0; r < h; ++r) {
    const uint8_t* y_row = i420.ptr<uint8_t>(r);
    const uint8_t* u_row = u_plane + static_cast<size_t>(r / 2) * (w / 2);
    const uint8_t* v_row = v_plane + static_cast<size_t>(r / 2) * (w / 2);
    uint8_t* d = yuv.ptr<uint8_t>(r);
    for (int c = 0; c < w; ++c) {
      d[3 * c] = y_row[c];
      d[3 * c + 1] = u_row[c / 2];
      d[3 * c + 2] = v_row[c / 2];
    }
  }
  frame.bgr = yuv;
  frame.yuv444 = true;
  frame.reversed_channels = false;
  frame.float32 = true;
  return absl::OkStatus();
}

}  // namespace

const StepType kYuvStep = {RecipeStep::Kind::kYuv, "YUV", Parse, Canonical,
                           Shape, FixedSize, FullDecode, Run};

}  // namespace hbprep
