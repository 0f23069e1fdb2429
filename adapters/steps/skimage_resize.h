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

// How `src`'s channels stand to those of the array the transformer resizes.
//  - kSame: channel c is the array's channel c (an opencv read: both B, G, R).
//  - kReversed: channel c is the array's channel C - 1 - c (a B, G, R frame whose
//    transformer holds R, G, B, as after a skimage or pil read); the result keeps `src`'s
//    order.
// Orders 2 and 3 depend on it: SciPy runs the spline prefilter along the channel axis too,
// from the array's first channel to its last, and sums each output element's channel taps
// in the array's order: the same colours in the other order round their float64 sums
// differently, which the float32 results keep where the values are tiny (the 1e-15 residues
// the spline leaves in a black region) and, now and then, as one float32 ulp elsewhere.
// Orders 0 and 1 give the same bits either way.
enum class SkimageChannels { kSame, kReversed };

// ResizeTransformer(target_size=(height, width), mode='skimage', method=order) on an
// H x W x C image (C = 1 or 3; CV_8U or CV_32F channels) whose channels stand to the
// transformer's as `channels` says: a CV_32FC(C) height x width result in `dst` (reused when
// it already has that size and type; `dst` may be `src` itself).
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
absl::Status SkimageResize(const cv::Mat& src, int height, int width, int order,
                           SkimageChannels channels, cv::Mat& dst);

// The same, keeping its working arrays from one call to the next (a pipeline keeps one per
// thread: calls of the same or smaller sizes then allocate nothing). Not thread-safe.
class SkimageResizer {
 public:
  SkimageResizer();
  ~SkimageResizer();
  SkimageResizer(SkimageResizer&&) noexcept;
  SkimageResizer& operator=(SkimageResizer&&) noexcept;

  absl::Status Resize(const cv::Mat& src, int height, int width, int order,
                      SkimageChannels channels, cv::Mat& dst);

  struct Scratch;  // defined in skimage_resize.cc

 private:
  std::unique_ptr<Scratch> scratch_;
};

}  // namespace hbprep

#endif  // HBPREP_ADAPTERS_STEPS_SKIMAGE_RESIZE_H_
