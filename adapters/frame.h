// An image on its way through the recipe (internal to the engine; exposes cv::Mat).
//
// A frame holds BGR pixels, or NV12 planes for as long as every step can work on the
// planes: camera frames then reach NV12 outputs without a round trip through BGR. A step
// that cannot (an odd crop, padding, a non-NV12 output) converts the frame to BGR first.
#ifndef HBPREP_ADAPTERS_FRAME_H_
#define HBPREP_ADAPTERS_FRAME_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "adapters/scale.h"
#include "hbprep/descriptor.h"
#include "hbprep/engine.h"
#include "hbprep/model.h"
#include "opencv2/core/mat.hpp"

namespace hbprep {

class ScratchPlanes;

struct Frame {
  bool nv12 = false;
  cv::Mat bgr;    // CV_8UC3, when !nv12
  cv::Mat y, uv;  // CV_8UC1 h x w and CV_8UC2 ceil(h/2) x ceil(w/2), when nv12
  ColorRange range = ColorRange::kRegular;  // of the NV12 planes
  // Where the chroma samples sit. false: each covers its 2x2 block (camera frames, as
  // cv2.cvtColor reads them). true: at the block's centre, between the luma samples (JPEG's
  // planes); ScaleWindow then takes each output block's colour at its top-left pixel, where
  // the reference recipes take it.
  bool chroma_centered = false;
  // Whether the toolchain's transformers would hold this data as float32 by now: true after
  // any recipe step or resize (each ends in astype(np.float32)), false for decoded pixels.
  // It decides the precision of the "auto" NV12 formula.
  bool float32 = false;
  // Whether the data is a skimage read's: RGB floats in [0, 1], scaled back by 255 after the
  // recipe (ApplyRecipe), as the samples' ScaleTransformer(255) does.
  bool unit_range = false;
  // Whether the channels hold Y, U, V (after the YUV step) rather than B, G, R.
  bool yuv444 = false;
  // Whether the transformers' array holds this frame's channels in the reverse order: R, G, B
  // for a skimage or pil read (the frame holds B, G, R), flipped by SwapRB, cleared by the
  // YUV step (Y, U, V in both). Orders 2 and 3 of a skimage-mode Resize depend on it.
  bool reversed_channels = false;

  int width() const { return nv12 ? y.cols : bgr.cols; }
  int height() const { return nv12 ? y.rows : bgr.rows; }

  // NV12 planes to BGR: video range with OpenCV's BT.601 conversion (cv2.cvtColor
  // COLOR_YUV2BGR_NV12), full range with the JFIF inverse of the "calc" formulas; chroma
  // repeated over each 2x2 block. No-op for BGR frames.
  void ToBgr();
  // Crops `rect`; NV12 frames stay planar when the rect starts on an even pixel.
  void Crop(const cv::Rect& rect);
  // Resizes to height x width with an OpenCV interpolation; NV12 frames stay planar (Y and
  // UV scaled separately, UV to ceil(height/2) x ceil(width/2)).
  void Resize(int height, int width, int interpolation);
  // Scales the part of the frame in `window` (fractional, in frame pixels) to height x width,
  // mapping pixel areas as cv::resize does (output pixel i covers window.x + [i, i+1) *
  // window.width / width). NV12 frames stay planar: each plane scaled on its own, the chroma
  // window being half the luma's, sampled where `chroma_centered` says.
  void ScaleWindow(const cv::Rect2d& window, int height, int width, int interpolation);
  // The same into the caller's planes (`y_out` height x width, `uv_out` the chroma's size,
  // both views that are never reallocated), scaling with `planes` (no allocation for the
  // bilinear whole-pixel cases) without changing this frame.
  void ScaleWindowInto(const cv::Rect2d& window, int interpolation, ScratchPlanes& planes,
                       const cv::Mat& y_out, const cv::Mat& uv_out) const;
  // NV12 planes converted between full and video range (no-op when already `target`). The
  // results go into `y_out` and `uv_out` when they are given with the planes' sizes and
  // types (a caller's buffers), else into new planes.
  void ConvertRange(ColorRange target, cv::Mat y_out = {}, cv::Mat uv_out = {});
};

// The checks FrameFromRaw makes (size, stride, even NV12/I420 sizes, limits), alone.
absl::Status CheckRawImage(absl::string_view bytes, const RawImage& raw,
                           const PrepareOptions& limits, absl::string_view what);

// The planes one thread's calls reuse (model.h's Scratch): camera planes scaled before a
// range conversion, and the scaler.
class ScratchPlanes {
 public:
  // A CV_8UC1 (Y) or CV_8UC2 (UV) plane of rows x cols, the same memory while the size stays.
  cv::Mat Y(int rows, int cols);
  cv::Mat UV(int rows, int cols);
  // `src` scaled to `dst`'s size, into dst's memory (a view: it is never reallocated).
  // Bilinear 8-bit planes go through LinearScaler (cv::resize's bytes without its
  // allocations; its tables kept per plane size), everything else through cv::resize.
  void ScalePlane(const cv::Mat& src, const cv::Mat& dst, int interpolation);

 private:
  // A scaler and the geometry its tables are for.
  struct Scaler {
    LinearScaler scaler;
    int src_w = -1, src_h = -1, dst_w = -1, dst_h = -1, channels = -1;
    bool usable = false;
  };
  cv::Mat y_, uv_;
  Scaler scalers_[2];  // one per channel count: Y (1) and UV (2) keep their tables
};

// An encoded input's bytes.
inline absl::string_view BytesOf(const InputView& view) {
  return {reinterpret_cast<const char*>(view.bytes.data()), view.bytes.size()};
}

// The checks of a frame view: positive sizes within the limits, even NV12/I420 sizes, every
// plane given, with a stride that holds its row. INVALID_ARGUMENT (RESOURCE_EXHAUSTED beyond
// the limits) naming `what`, the field and its value.
absl::Status CheckFrameView(const FrameView& view, const PrepareOptions& limits,
                            absl::string_view what);

// A checked view as a frame: BGR and NV12 view the caller's planes (no copy; no Frame
// operation writes to its source), RGB and gray become BGR, I420's chroma is interleaved.
Frame FrameFromView(const FrameView& view);

// The planes of a raw buffer that CheckRawImage accepted.
FrameView ViewOfRaw(absl::string_view bytes, const RawImage& raw);

}  // namespace hbprep

#endif  // HBPREP_ADAPTERS_FRAME_H_
