#include "adapters/frame.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "adapters/resize.h"
#include "hbprep/color.h"
#include "opencv2/core.hpp"
#include "opencv2/imgproc.hpp"

namespace hbprep {
namespace {


absl::string_view FormatName(RawFormat format) {
  switch (format) {
    case RawFormat::kBgr:
      return "bgr";
    case RawFormat::kRgb:
      return "rgb";
    case RawFormat::kGray:
      return "gray";
    case RawFormat::kNv12:
      return "nv12";
    case RawFormat::kI420:
      return "i420";
  }
  return "?";
}

}  // namespace

void Frame::ToBgr() {
  if (!nv12) return;
  const int w = y.cols, h = y.rows;
  bgr.create(h, w, CV_8UC3);
  if (range == ColorRange::kBt601Video) {
    // OpenCV converts even sizes only: an odd last row/column repeats its neighbour (the
    // conversion is per pixel, so the cropped result is exact).
    const int ew = w + w % 2, eh = h + h % 2;
    cv::Mat packed(eh * 3 / 2, ew, CV_8UC1);
    cv::Mat luma = packed.rowRange(0, eh);
    cv::copyMakeBorder(y, luma, 0, eh - h, 0, ew - w, cv::BORDER_REPLICATE);
    uv.reshape(1, eh / 2).copyTo(packed.rowRange(eh, eh * 3 / 2));
    cv::Mat even;
    cv::cvtColor(packed, even, cv::COLOR_YUV2BGR_NV12);
    bgr = even(cv::Rect(0, 0, w, h)).clone();
  } else {
    Nv12ToBgrJfif(y.ptr<uint8_t>(), static_cast<int>(y.step[0]), uv.ptr<uint8_t>(),
                  static_cast<int>(uv.step[0]), bgr.ptr<uint8_t>(), static_cast<int>(bgr.step[0]),
                  w, h);
  }
  nv12 = false;
  y.release();
  uv.release();
}

void Frame::Crop(const cv::Rect& rect) {
  // Chroma stays aligned with luma only when the crop starts on an even pixel. Otherwise the
  // planes from the even pixel before go to BGR (each pixel with its own 2x2 block's chroma,
  // as a conversion of the whole frame gives it), and the crop is finished there.
  if (nv12 && (rect.x % 2 != 0 || rect.y % 2 != 0)) {
    const int x0 = rect.x & ~1, y0 = rect.y & ~1;
    Crop(cv::Rect(x0, y0, rect.x + rect.width - x0, rect.y + rect.height - y0));
    ToBgr();
    bgr = bgr(cv::Rect(rect.x - x0, rect.y - y0, rect.width, rect.height));
    return;
  }
  if (!nv12) {
    bgr = bgr(rect);
    return;
  }
  y = y(rect);
  uv = uv(cv::Rect(rect.x / 2, rect.y / 2, (rect.width + 1) / 2, (rect.height + 1) / 2));
}

void Frame::Resize(int height, int width, int interpolation) {
  if (height == this->height() && width == this->width()) return;
  if (!nv12) {
    cv::Mat out;
    hbprep::Resize(bgr, out, cv::Size(width, height), interpolation);
    bgr = out;
    return;
  }
  cv::Mat y_out, uv_out;
  hbprep::Resize(y, y_out, cv::Size(width, height), interpolation);
  // One chroma sample per 2x2 block, the last block of an odd size included.
  hbprep::Resize(uv, uv_out, cv::Size((width + 1) / 2, (height + 1) / 2), interpolation);
  y = y_out;
  uv = uv_out;
}

namespace {

// One plane of ScaleWindow: `reduce` frame pixels per plane pixel (2 for chroma), output
// sample `at` (0.5: its centre) of each pixel, into `out` (sized: the caller's; empty: new).
void ScalePlaneWindow(const cv::Mat& plane, const cv::Rect2d& window, double reduce,
                      cv::Size size, double at, int how, ScratchPlanes* planes, cv::Mat& out) {
  const double sx = window.width / reduce / size.width, sy = window.height / reduce / size.height;
  if (sx >= 2 && sy >= 2) {
    // A strong reduction: the window rounded to whole plane pixels (at most half a plane
    // pixel, under a quarter of an output pixel) and cv::resize, several times faster.
    // (Shifted by `at` - 0.5 output pixels: where the samples are to sit.)
    const double dx = (at - 0.5) * sx, dy = (at - 0.5) * sy;
    const int x0 = std::max(0, static_cast<int>(std::lround(window.x / reduce + dx)));
    const int y0 = std::max(0, static_cast<int>(std::lround(window.y / reduce + dy)));
    const int x1 = std::clamp(
        static_cast<int>(std::lround((window.x + window.width) / reduce + dx)), x0 + 1,
        plane.cols);
    const int y1 = std::clamp(
        static_cast<int>(std::lround((window.y + window.height) / reduce + dy)), y0 + 1,
        plane.rows);
    const cv::Mat part = plane(cv::Rect(x0, y0, x1 - x0, y1 - y0));
    if (planes != nullptr && !out.empty()) {
      planes->ScalePlane(part, out, how);
    } else {
      Resize(part, out, size, how);
    }
    return;
  }
  // Otherwise sub-pixel exact: output pixel i sampled at `at` (0.5: its centre) sits at plane
  // edge coordinate x + (i + at) * sx, plane pixel-centre coordinate x + (i + at) * sx - 0.5.
  const cv::Matx23d map(sx, 0, window.x / reduce + at * sx - 0.5,  //
                        0, sy, window.y / reduce + at * sy - 0.5);
  cv::warpAffine(plane, out, map, size, how | cv::WARP_INVERSE_MAP, cv::BORDER_REPLICATE);
}

}  // namespace

void Frame::ScaleWindow(const cv::Rect2d& window, int height, int width, int interpolation) {
  if (window == cv::Rect2d(0, 0, this->width(), this->height()) && !chroma_centered) {
    Resize(height, width, interpolation);
    return;
  }
  if (!nv12) {
    cv::Mat out;
    ScalePlaneWindow(bgr, window, 1, {width, height}, 0.5, interpolation, nullptr, out);
    bgr = out;
    return;
  }
  cv::Mat y_out, uv_out;
  ScalePlaneWindow(y, window, 1, {width, height}, 0.5, interpolation, nullptr, y_out);
  // Centred chroma (JPEG's planes): each output block's colour at its top-left pixel's centre
  // (where the reference recipes take it), a quarter of a block from the block's centre, and
  // bicubic, which keeps more of the detail that DCT-domain reduction of 4:2:0 chroma leaves.
  // The planes then cover their blocks, like a camera frame's.
  const cv::Size chroma((width + 1) / 2, (height + 1) / 2);
  if (chroma_centered) {
    ScalePlaneWindow(uv, window, 2, chroma, 0.25, cv::INTER_CUBIC, nullptr, uv_out);
  } else {
    ScalePlaneWindow(uv, window, 2, chroma, 0.5, interpolation, nullptr, uv_out);
  }
  y = y_out;
  uv = uv_out;
  chroma_centered = false;
}

void Frame::ScaleWindowInto(const cv::Rect2d& window, int interpolation, ScratchPlanes& planes,
                            const cv::Mat& y_out, const cv::Mat& uv_out) const {
  // Camera planes only (chroma covering its blocks), as ScaleWindow scales them.
  cv::Mat y_dst = y_out, uv_dst = uv_out;
  if (window == cv::Rect2d(0, 0, width(), height())) {
    // Resize()'s path: the whole planes.
    planes.ScalePlane(y, y_dst, interpolation);
    planes.ScalePlane(uv, uv_dst, interpolation);
    return;
  }
  ScalePlaneWindow(y, window, 1, y_out.size(), 0.5, interpolation, &planes, y_dst);
  ScalePlaneWindow(uv, window, 2, uv_out.size(), 0.5, interpolation, &planes, uv_dst);
}

void Frame::ConvertRange(ColorRange target, cv::Mat y_out, cv::Mat uv_out) {
  if (!nv12 || range == target) return;
  // y' = round((y - 16) * 255 / 219) and c' = round((c - 128) * 255 / 224 + 128) (or back),
  // saturated: convertTo's vectorised affine map gives exactly these values for all 256
  // inputs (tested against the formulas), three times faster than a table lookup.
  const bool to_video = target == ColorRange::kBt601Video;
  const double ky = to_video ? 219.0 / 255.0 : 255.0 / 219.0;
  const double kc = to_video ? 224.0 / 255.0 : 255.0 / 224.0;
  y.convertTo(y_out, CV_8U, ky, to_video ? 16.0 : -16.0 * ky);
  uv.convertTo(uv_out, CV_8U, kc, 128.0 - 128.0 * kc);
  y = y_out;
  uv = uv_out;
  range = target;
}

cv::Mat ScratchPlanes::Y(int rows, int cols) {
  y_.create(rows, cols, CV_8UC1);  // a no-op at the same size
  return y_;
}

cv::Mat ScratchPlanes::UV(int rows, int cols) {
  uv_.create(rows, cols, CV_8UC2);
  return uv_;
}

void ScratchPlanes::ScalePlane(const cv::Mat& src, const cv::Mat& dst, int interpolation) {
  const int channels = src.channels();
  if (interpolation == cv::INTER_LINEAR && src.depth() == CV_8U && (channels == 1 || channels == 2)) {
    Scaler& s = scalers_[channels - 1];
    if (s.src_w != src.cols || s.src_h != src.rows || s.dst_w != dst.cols || s.dst_h != dst.rows ||
        s.channels != channels) {
      s.usable = s.scaler.Reset(src.cols, src.rows, dst.cols, dst.rows, channels);
      s.src_w = src.cols;
      s.src_h = src.rows;
      s.dst_w = dst.cols;
      s.dst_h = dst.rows;
      s.channels = channels;
    }
    if (s.usable) {
      s.scaler.Scale(src.ptr<uint8_t>(), static_cast<ptrdiff_t>(src.step[0]), dst.data,
                     static_cast<ptrdiff_t>(dst.step[0]));
      return;
    }
  }
  cv::Mat out = dst;  // same size and type: Resize writes into dst's memory
  Resize(src, out, dst.size(), interpolation);
}

absl::Status CheckRawImage(absl::string_view bytes, const RawImage& raw,
                           const PrepareOptions& limits, absl::string_view what) {
  const std::string name =
      absl::StrCat(what, ": raw ", FormatName(raw.format), " ", raw.width, "x", raw.height);
  if (raw.width <= 0 || raw.height <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": width and height must be positive"));
  }
  if (raw.width > limits.max_width || raw.height > limits.max_height ||
      int64_t{raw.width} * raw.height > limits.max_pixels) {
    return absl::ResourceExhaustedError(absl::StrCat(name, " is over the limit of ",
                                                     limits.max_width, "x", limits.max_height,
                                                     " and ", limits.max_pixels, " pixels"));
  }
  const bool planar = raw.format == RawFormat::kNv12 || raw.format == RawFormat::kI420;
  if (planar && (raw.width % 2 || raw.height % 2)) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": ", FormatName(raw.format), " needs even width and height"));
  }
  const int pixel_bytes = raw.format == RawFormat::kBgr || raw.format == RawFormat::kRgb ? 3 : 1;
  const int64_t row_bytes = int64_t{raw.width} * pixel_bytes;
  const int64_t stride = raw.stride > 0 ? raw.stride : row_bytes;
  if (stride < row_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": stride ", stride, " is less than a row's ", row_bytes, " bytes"));
  }
  // Rows of the main plane, then (NV12) the UV rows or (I420) the U and V planes, each at
  // the same stride (I420 chroma at stride / 2).
  int64_t needed = stride * (raw.height - 1) + row_bytes;
  if (raw.format == RawFormat::kNv12)
    needed = stride * raw.height + stride * (raw.height / 2 - 1) + row_bytes;
  if (raw.format == RawFormat::kI420) {
    needed = stride * raw.height + 2 * (stride / 2) * (raw.height / 2);
  }
  if (static_cast<int64_t>(bytes.size()) < needed) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, " stride ", stride, " needs ", needed, " bytes, got ", bytes.size()));
  }
  return absl::OkStatus();
}

absl::Status CheckFrameView(const FrameView& view, const PrepareOptions& limits,
                            absl::string_view what) {
  auto name = [&] {
    return absl::StrCat(what, ": raw ", FormatName(view.format), " ", view.width, "x",
                        view.height);
  };
  if (view.width <= 0 || view.height <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(name(), ": width and height must be positive"));
  }
  if (view.width > limits.max_width || view.height > limits.max_height ||
      int64_t{view.width} * view.height > limits.max_pixels) {
    return absl::ResourceExhaustedError(absl::StrCat(name(), " is over the limit of ",
                                                     limits.max_width, "x", limits.max_height,
                                                     " and ", limits.max_pixels, " pixels"));
  }
  const bool nv12 = view.format == RawFormat::kNv12, i420 = view.format == RawFormat::kI420;
  if ((nv12 || i420) && (view.width % 2 || view.height % 2)) {
    return absl::InvalidArgumentError(
        absl::StrCat(name(), ": ", FormatName(view.format), " needs even width and height"));
  }
  const int pixel_bytes = view.format == RawFormat::kBgr || view.format == RawFormat::kRgb ? 3 : 1;
  const int planes = nv12 ? 2 : i420 ? 3 : 1;
  for (int p = 0; p < planes; ++p) {
    const int64_t row = p == 0 ? int64_t{view.width} * pixel_bytes
                               : nv12 ? view.width : view.width / 2;
    const char* plane = planes == 1 ? "pixel" : p == 0 ? "Y" : nv12 ? "UV" : p == 1 ? "U" : "V";
    if (view.planes[p].data == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(name(), ": the ", plane, " plane is missing"));
    }
    // A stride beyond 2^31 bytes is no frame's (and row offsets must not overflow).
    if (view.planes[p].stride > (int64_t{1} << 31)) {
      return absl::InvalidArgumentError(absl::StrCat(name(), ": the ", plane, " plane's stride ",
                                                     view.planes[p].stride,
                                                     " is beyond 2^31 bytes"));
    }
    if (view.planes[p].stride != 0 && view.planes[p].stride < row) {
      return absl::InvalidArgumentError(absl::StrCat(name(), ": the ", plane, " plane's stride ",
                                                     view.planes[p].stride,
                                                     " is less than a row's ", row, " bytes"));
    }
  }
  return absl::OkStatus();
}

Frame FrameFromView(const FrameView& view) {
  // Views: frames never write to their source pixels.
  auto plane = [&](int p, int rows, int cols, int type, int64_t row_bytes) {
    const int64_t stride = view.planes[p].stride > 0 ? view.planes[p].stride : row_bytes;
    return cv::Mat(rows, cols, type, const_cast<uint8_t*>(view.planes[p].data),
                   static_cast<size_t>(stride));
  };
  const int w = view.width, h = view.height;
  Frame frame;
  frame.range = view.range;
  switch (view.format) {
    case RawFormat::kBgr:
      frame.bgr = plane(0, h, w, CV_8UC3, int64_t{w} * 3);
      break;
    case RawFormat::kRgb:
      cv::cvtColor(plane(0, h, w, CV_8UC3, int64_t{w} * 3), frame.bgr, cv::COLOR_RGB2BGR);
      break;
    case RawFormat::kGray:
      cv::cvtColor(plane(0, h, w, CV_8UC1, w), frame.bgr, cv::COLOR_GRAY2BGR);
      break;
    case RawFormat::kNv12:
      frame.nv12 = true;
      frame.y = plane(0, h, w, CV_8UC1, w);
      frame.uv = plane(1, h / 2, w / 2, CV_8UC2, w);
      break;
    case RawFormat::kI420:
      frame.nv12 = true;
      frame.y = plane(0, h, w, CV_8UC1, w);
      cv::merge(std::vector<cv::Mat>{plane(1, h / 2, w / 2, CV_8UC1, w / 2),
                                     plane(2, h / 2, w / 2, CV_8UC1, w / 2)},
                frame.uv);
      break;
  }
  return frame;
}

FrameView ViewOfRaw(absl::string_view bytes, const RawImage& raw) {
  const int pixel_bytes = raw.format == RawFormat::kBgr || raw.format == RawFormat::kRgb ? 3 : 1;
  const int64_t stride = raw.stride > 0 ? raw.stride : int64_t{raw.width} * pixel_bytes;
  const uint8_t* data = reinterpret_cast<const uint8_t*>(bytes.data());
  FrameView view;
  view.format = raw.format;
  view.width = raw.width;
  view.height = raw.height;
  view.range = raw.range;
  view.planes[0] = {data, stride};
  if (raw.format == RawFormat::kNv12) view.planes[1] = {data + stride * raw.height, stride};
  if (raw.format == RawFormat::kI420) {
    // U and V planes at half the stride, one after the other.
    const int64_t cstride = stride / 2;
    view.planes[1] = {data + stride * raw.height, cstride};
    view.planes[2] = {data + stride * raw.height + cstride * (raw.height / 2), cstride};
  }
  return view;
}

}  // namespace hbprep
