// Horizon's ResizeTransformer in its default mode='skimage' (horizon_tc_ui's
// data/transformer.py, skimage_resize), bit for bit as Debian 12's NumPy 1.24, scikit-image
// 0.19.3 and SciPy 1.10 compute it on x86-64:
//
//   im_min, im_max = image.min(), image.max()
//   if im_max > im_min:
//       im_std = (image - im_min) / (im_max - im_min)
//       resized = skimage.transform.resize(im_std, (height, width), order=order)
//       out = (resized * (im_max - im_min) + im_min).astype(np.float32)
//   else:
//       out = np.full((height, width, C), im_min, np.float32)
//
// tests/reference/check_skimage_resize.py holds it against those libraries. How each stage
// is computed (and at which precision) is documented in skimage_resize.cc.
//
// Internal to the engine: exposes cv::Mat.
#ifndef HBPREP_ADAPTERS_STEPS_SKIMAGE_RESIZE_H_
#define HBPREP_ADAPTERS_STEPS_SKIMAGE_RESIZE_H_

#include <memory>

#include "absl/status/status.h"
#include "opencv2/core/mat.hpp"

namespace hbprep {

// ResizeTransformer(target_size=(height, width), mode='skimage', method=order) on an
// H x W x C image (C = 1 or 3; CV_8U or CV_32F channels): a CV_32FC(C) height x width result
// in `dst` (reused when it already has that size and type; `dst` may be `src` itself).
//
// INVALID_ARGUMENT for an order outside 0..3, a non-positive size, an empty image, another
// channel count or depth, and float images holding NaN or infinity (the transformer's NumPy
// arithmetic on them is not reproduced).
//
// REQUIRES: the caller bounds the sizes. Working memory: for float32 images a float32 copy
// of the source; the anti-aliased rows the interpolation reads (all rows for orders 2 and
// 3), float64 for uint8 images and float32 for float32 ones; for orders 2 and 3 a float64
// array of the source's size. Time grows with the anti-aliasing kernel, about 8 sigma + 1
// taps per shrinking axis (sigma = (source / target - 1) / 2), applied over the whole image
// for orders 2 and 3 and over the rows and columns the interpolation reads for 0 and 1.
//
// The Gaussian kernel's weights go through NumPy's float64 exp, which on CPUs with
// AVX-512 (F, CD, BW, DQ, VL) is Intel's SVML and elsewhere the C library's exp: this
// follows whichever the running CPU selects, as NumPy does.
absl::Status SkimageResize(const cv::Mat& src, int height, int width, int order, cv::Mat& dst);

// The same, keeping its working arrays from one call to the next (a pipeline keeps one per
// thread: calls of the same or smaller sizes then allocate nothing). Not thread-safe.
class SkimageResizer {
 public:
  SkimageResizer();
  ~SkimageResizer();
  SkimageResizer(SkimageResizer&&) noexcept;
  SkimageResizer& operator=(SkimageResizer&&) noexcept;

  absl::Status Resize(const cv::Mat& src, int height, int width, int order, cv::Mat& dst);

  struct Scratch;  // defined in skimage_resize.cc

 private:
  std::unique_ptr<Scratch> scratch_;
};

}  // namespace hbprep

#endif  // HBPREP_ADAPTERS_STEPS_SKIMAGE_RESIZE_H_
