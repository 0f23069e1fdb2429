// Pyramid and resizer inputs: NV12 (or gray) planes at the model's size or the frame's,
// camera planes straight into the outputs, the resizer's ROI and its rules.
#include "adapters/preparer.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "adapters/preparer.h"
#include "adapters/recipe.h"
#include "hbprep/color.h"
#include "hbprep/status_macros.h"
#include "opencv2/core.hpp"
#include "opencv2/imgproc.hpp"

namespace hbprep {

void BgrToNv12(const cv::Mat& bgr_in, Nv12Recipe recipe, std::vector<uint8_t>* y, uint8_t* uv,
               bool yuv444) {
  const int w = bgr_in.cols, h = bgr_in.rows;
  const size_t pixels = static_cast<size_t>(w) * h;
  if (yuv444) {
    const cv::Mat yuv = AsUint8(bgr_in);
    y->resize(pixels);
    for (int r = 0; r < h; ++r) {
      const uint8_t* s = yuv.ptr<uint8_t>(r);
      uint8_t* dy = y->data() + static_cast<size_t>(r) * w;
      for (int c = 0; c < w; ++c) dy[c] = s[3 * c];
      if (r % 2 != 0) continue;
      uint8_t* duv = uv + static_cast<size_t>(r / 2) * w;
      for (int c = 0; c < w; c += 2) {
        duv[c] = s[3 * c + 1];
        duv[c + 1] = s[3 * c + 2];
      }
    }
    return;
  }
  if (bgr_in.depth() == CV_32F && recipe != Nv12Recipe::kOpencv) {
    // Fractional float32 data: the formula on the float values.
    const cv::Mat bgr = bgr_in.isContinuous() ? bgr_in : bgr_in.clone();
    y->resize(pixels);
    FloatRgbToNv12Calc(bgr.ptr<float>(), w * 3, ChannelOrder::kBgr,
                       recipe == Nv12Recipe::kCalcF32, y->data(), w, uv, w, w, h);
    return;
  }
  // The opencv recipe casts float data to uint8 (truncating) before cvtColor.
  const cv::Mat bgr = AsUint8(bgr_in);
  if (recipe == Nv12Recipe::kOpencv) {
    // cvtColor writes its I420 (Y, then U and V planes) into the Y tensor's own buffer, U and
    // V are interleaved into the UV tensor, and the buffer is cut back to the Y plane: the Y
    // plane is never copied.
    y->resize(pixels * 3 / 2);
    cv::Mat i420(h * 3 / 2, w, CV_8UC1, y->data());
    cv::cvtColor(bgr, i420, cv::COLOR_BGR2YUV_I420);
    const cv::Mat planes[] = {cv::Mat(h / 2, w / 2, CV_8UC1, y->data() + pixels),
                              cv::Mat(h / 2, w / 2, CV_8UC1, y->data() + pixels + pixels / 4)};
    cv::Mat interleaved(h / 2, w / 2, CV_8UC2, uv);
    cv::merge(planes, 2, interleaved);
    y->resize(pixels);
    return;
  }
  y->resize(pixels);
  (recipe == Nv12Recipe::kCalcF32 ? RgbToNv12CalcF32 : RgbToNv12Calc)(
      bgr.ptr<uint8_t>(), static_cast<int>(bgr.step[0]), ChannelOrder::kBgr, y->data(), w, uv, w,
      w, h);
}

absl::Status Preparer::CheckRoi(const Roi& roi, int width, int height, const InputView& image) {
  auto bad = [&](const std::string& why) {
    return absl::InvalidArgumentError(absl::StrCat(image.what, ": ROI ", roi.left, ",", roi.top,
                                                   ",", roi.right, ",", roi.bottom, " ", why));
  };
  if (roi.right < roi.left || roi.bottom < roi.top) {
    return bad("has right < left or bottom < top (coordinates are inclusive)");
  }
  if (roi.left < 0 || roi.top < 0 || roi.right >= width || roi.bottom >= height) {
    return bad(absl::StrCat("lies outside the ", width, "x", height, " image"));
  }
  const int64_t rw = int64_t{roi.right} - roi.left + 1, rh = int64_t{roi.bottom} - roi.top + 1;
  // The chip's resizer rules (chip.cc's table).
  const RoiRules& rules = descriptor_.chip->roi;
  if (rules.even_start_odd_end &&
      (roi.left % 2 || roi.top % 2 || roi.right % 2 == 0 || roi.bottom % 2 == 0)) {
    return bad(absl::StrCat("must have even left/top and odd right/bottom on ", rules.board));
  }
  if (rules.max_side > 0) {
    const bool over = rules.max_exclusive ? (rw >= rules.max_side || rh >= rules.max_side)
                                          : (rw > rules.max_side || rh > rules.max_side);
    if (rw < rules.min_side || rh < rules.min_side || over) {
      return bad(absl::StrCat("is ", rw, "x", rh, "; ", rules.board, " needs ", rules.min_side,
                              " <= width, height ", rules.max_exclusive ? "< " : "<= ",
                              rules.max_side));
    }
  }
  if (rules.max_image_width > 0 && width > rules.max_image_width) {
    return bad(absl::StrCat("applies to a ", width, "-wide image; ", rules.board,
                            " takes at most ", rules.max_image_width));
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> Preparer::ScaleCameraPlanes(int index, int item,
                                                 const InputDescriptor& input,
                                                 const InputView& image, const Frame& frame) {
  if (!frame.nv12 || frame.chroma_centered || input.type_rt != ImageType::kNv12 ||
      !CanScalePlanar(input)) {
    return false;
  }
  HBPREP_ASSIGN_OR_RETURN(const ComposedRecipe recipe,
                          ComposeRecipe(input, frame.width(), frame.height(), image.what));
  // The recipe's resizes and crops are one scaling of a window of the frame (ScaleWindow's),
  // here straight into the outputs.
  const int h = static_cast<int>(input.height()), w = static_cast<int>(input.width());
  const bool whole = recipe.window == cv::Rect2d(0, 0, frame.width(), frame.height());
  if (whole && frame.width() == w && frame.height() == h) return false;  // copied as it is
  if (check_continue_) HBPREP_RETURN_IF_ERROR(check_continue_());
  HBPREP_RETURN_IF_ERROR(PlanesOut(index, item, input, image, frame, h, w, recipe.interpolation,
                                   &recipe.window));
  return true;
}

absl::Status Preparer::PlanesOut(int index, int item, const InputDescriptor& input,
                                 const InputView& image, const Frame& frame, int h, int w,
                                 int interpolation, const cv::Rect2d* window) {
  HBPREP_ASSIGN_OR_RETURN(const PlaneRows y, sink_.Plane(index, item, TensorRole::kY, h, w));
  HBPREP_ASSIGN_OR_RETURN(const PlaneRows uv, sink_.Plane(index, item, TensorRole::kUV, h, w));
  const cv::Mat y_out(h, w, CV_8UC1, y.data, static_cast<size_t>(y.stride));
  const cv::Mat uv_out(h / 2, w / 2, CV_8UC2, uv.data, static_cast<size_t>(uv.stride));
  const bool convert = frame.range != input.range && options_.convert_range;
  if (frame.range != input.range && !convert) {
    report_.warnings.push_back(absl::StrCat(
        image.what, ": the frame is ", frame.range == ColorRange::kRegular ? "full" : "video",
        " range but input '", input.name, "' expects ", ToString(input.range),
        "; passed through unconverted as asked"));
  }
  const bool scale = window != nullptr || frame.width() != w || frame.height() != h;
  ScratchPlanes local;
  ScratchPlanes& scratch = scratch_ != nullptr ? *scratch_ : local;
  // Scaled straight into the outputs, or (before a range conversion) into scratch planes.
  Frame scaled = frame;
  if (scale) {
    if (convert) {
      scaled.y = scratch.Y(h, w);
      scaled.uv = scratch.UV(h / 2, w / 2);
    } else {
      scaled.y = y_out;
      scaled.uv = uv_out;
    }
    frame.ScaleWindowInto(window != nullptr ? *window : cv::Rect2d(0, 0, frame.width(), frame.height()),
                          interpolation, scratch, scaled.y, scaled.uv);
  }
  if (convert) {
    scaled.ConvertRange(input.range, y_out, uv_out);
  } else if (!scale) {
    frame.y.copyTo(y_out);
    frame.uv.copyTo(uv_out);
  }
  return absl::OkStatus();
}

absl::Status Preparer::Board(int index, int item, const InputDescriptor& input,
                             const InputView& image, Frame frame) {
  if (input.source == InputSource::kResizer) {
    // The resizer takes the frame as it is; NV12 needs even sizes.
    const int w = frame.width() & ~1, h = frame.height() & ~1;
    if (w == 0 || h == 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          image.what, ": a ", frame.width(), "x", frame.height(), " image is too small for NV12"));
    }
    if (w != frame.width() || h != frame.height()) {
      report_.warnings.push_back(absl::StrCat(image.what, ": ", frame.width(), "x", frame.height(),
                                           " has an odd size; NV12 uses the top-left ", w, "x", h));
      frame.Crop(cv::Rect(0, 0, w, h));
    }
    const Roi roi = image.roi.value_or(Roi{0, 0, w - 1, h - 1});
    HBPREP_RETURN_IF_ERROR(CheckRoi(roi, w, h, image));
    HBPREP_RETURN_IF_ERROR(sink_.FrameSize(index, item, h, w));
    uint8_t roi_bytes[16];
    const int32_t values[4] = {roi.left, roi.top, roi.right, roi.bottom};
    std::memcpy(roi_bytes, values, 16);
    HBPREP_RETURN_IF_ERROR(sink_.Put(index, item, TensorRole::kRoi, roi_bytes));
  } else {
    HBPREP_ASSIGN_OR_RETURN(const bool scaled, ScaleCameraPlanes(index, item, input, image, frame));
    if (scaled) return absl::OkStatus();
    HBPREP_RETURN_IF_ERROR(ApplyRecipe(frame, input, check_continue_, image.what));
  }
  if (check_continue_) HBPREP_RETURN_IF_ERROR(check_continue_());
  const int w = frame.width(), h = frame.height();
  const size_t pixels = static_cast<size_t>(w) * h;

  if (input.type_rt == ImageType::kNv12) {
    if (frame.nv12) return PlanesOut(index, item, input, image, frame, h, w, cv::INTER_LINEAR);
    std::vector<uint8_t> y, uv(pixels / 2);
    BgrToNv12(frame.bgr, RecipeFor(input, frame.float32), &y, uv.data(), frame.yuv444);
    HBPREP_RETURN_IF_ERROR(sink_.Put(index, item, TensorRole::kY, std::move(y)));
    return sink_.Put(index, item, TensorRole::kUV, std::move(uv));
  }
  return Ddr(index, item, input, frame);
}

}  // namespace hbprep
