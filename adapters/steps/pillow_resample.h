// Pillow 9.4's Image.resize((width, height), filter) of 8-bit images, byte for byte, as
// Horizon's PILResizeTransformer calls it (Image.fromarray(data, 'RGB'), then resize with the
// default box and reducing_gap, then np.array). Internal to the engine: exposes cv::Mat.
//
// What Pillow 9.4 computes there (PIL/Image.py resize(), _imaging.c _resize,
// libImaging/Resample.c and Geometry.c), and so what this reproduces:
//  - equal sizes: a copy (Image.py returns self.copy()); modes "RGB" and "L" take no other
//    Python-side path (reducing_gap None: no reduce() first; box (0, 0, w, h));
//  - NEAREST: an affine scale (ImagingScaleAffine), a = (double)in / out per axis, source
//    column (int)(x-coordinate) where the coordinate starts at a * 0.5 and a is added once
//    per output column (accumulated in double, not multiplied), rows likewise; coordinates
//    outside the image would give zeros;
//  - every other filter: two separable passes of 8-bit fixed-point convolution, horizontal
//    first (skipped when the width stays), its result clipped to bytes, then vertical
//    (skipped when the height stays). Per axis and output index xx, in double:
//    scale = in / out, filterscale = max(scale, 1), support = filter support * filterscale,
//    center = (xx + 0.5) * scale, first tap xmin = max(0, (int)(center - support + 0.5)),
//    end = min(in, (int)(center + support + 0.5)) ((int) truncates toward zero),
//    weights w = filter((x + xmin - center + 0.5) * (1 / filterscale)), each divided by
//    their sum unless it is 0, then (int)(w * 2^22 +- 0.5) (away from zero);
//    each output byte is clip8(2^21 + sum of byte * weight), clip8(v) = v >> 22 clamped to
//    0..255. The filters (support): BOX (0.5), BILINEAR (1), HAMMING (1), BICUBIC (2, a = -0.5),
//    LANCZOS (3), in Resample.c's own operation order and float constants;
//  - Pillow keeps "RGB" as 4 bytes per pixel; the fourth byte takes no part in the other
//    three's sums, so three bytes per pixel here give the same values.
// This follows the arithmetic of Debian's x86-64 build (no fused multiply-add) on every
// architecture, and needs a C library whose sin() and cos() are Pillow's (glibc's) for
// HAMMING and LANCZOS. Debian's arm64 build fuses the center's multiply-add (harmless: it
// adds 0), BICUBIC's polynomials and HAMMING's 0.54 + 0.46 cos(x) (found by disassembly);
// simulated, those changed no byte over 2506 sizes, 1920 x 1080 included.
#ifndef HBPREP_ADAPTERS_STEPS_PILLOW_RESAMPLE_H_
#define HBPREP_ADAPTERS_STEPS_PILLOW_RESAMPLE_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "opencv2/core/mat.hpp"

namespace hbprep {

enum class PilFilter { kNearest, kBox, kBilinear, kHamming, kBicubic, kLanczos };

// Pillow's name of a filter ("NEAREST", "BOX", "BILINEAR", "HAMMING", "BICUBIC",
// "LANCZOS") and its value in Image.Resampling (NEAREST 0, LANCZOS 1, BILINEAR 2, BICUBIC 3,
// BOX 4, HAMMING 5: what a transformer's `interpolation=Image.BILINEAR` holds).
absl::string_view PilFilterName(PilFilter filter);
int PilFilterValue(PilFilter filter);
// The filter of a name above (exact, upper case); INVALID_ARGUMENT naming it otherwise.
absl::StatusOr<PilFilter> PilFilterFromName(absl::string_view name);

// Image sides PilResize takes (source and result): 1 to this.
inline constexpr int kPilResizeMaxSide = 65536;

// Pillow 9.4's Image.resize((width, height), filter) of an 8-bit image (CV_8UC3 as mode "RGB",
// CV_8UC1 as mode "L"): a height x width image of the same type in `dst`. `src` may be a
// view with any row stride. `dst` is reused when it already has that size and type (a view
// into a caller's buffer stays in place, and nothing outside it is written); otherwise it is
// reallocated. `dst` may be `src` itself (the result then replaces it).
// INVALID_ARGUMENT for other types, empty sources, sides outside 1..kPilResizeMaxSide, and
// reductions whose rows in flight (taps of one output row + 15, x width x channels) would
// pass 256 MiB.
// Allocates per call the coefficient tables, and for the two-pass filters a ring of
// horizontally resampled rows and two blocks of 16 transposed rows; nothing per row or
// pixel. SSE2 (x86-64) and NEON (AArch64) loops where the build has them, the same bytes as
// the portable ones. Thread-safe (no shared state).
absl::Status PilResize(const cv::Mat& src, int height, int width, PilFilter filter, cv::Mat& dst);

namespace pil_resize_internal {
// PilResize on the portable loops alone, whatever SIMD the build has: for tests that hold
// both against Pillow.
absl::Status PilResizePortable(const cv::Mat& src, int height, int width, PilFilter filter,
                               cv::Mat& dst);
}  // namespace pil_resize_internal

}  // namespace hbprep

#endif  // HBPREP_ADAPTERS_STEPS_PILLOW_RESAMPLE_H_
