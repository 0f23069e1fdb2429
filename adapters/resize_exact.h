// OpenCV 4.6's cv::resize arithmetic for INTER_LINEAR, INTER_CUBIC and INTER_AREA on 8-bit and
// float images of 1 to 4 interleaved channels, exactly as Debian 12's amd64 build computes it,
// written without fused multiply-adds (the engine is compiled with -ffp-contract=off) so that
// every architecture gives those bytes. Debian's arm64 build of the same source fuses: its
// coordinates ((dx + 0.5) * scale - 0.5 in one fmadd), its cubic weights, its area tables and
// its float sums (NEON's v_muladd is vfmaq, and GCC contracts scalar a * b + c on aarch64), so
// its cv::resize differs from amd64's by a unit on a small share of values.
//
// What cv::resize computes (modules/imgproc/src/resize.cpp, cv::hal::resize; no IPP, HAL or
// OpenCL on Debian's CPU path), and so what this reproduces, on amd64 (SSE2 baseline: every
// universal intrinsic v_muladd is a multiply and then an add, each rounded):
//
//  Coordinates, per output column (rows alike): scale = 1 / inv_scale (double); centre
//  sampling fx = (float)((dx + 0.5) * scale - 0.5); INTER_AREA where the image grows in either
//  direction samples sx = floor(dx * scale), fx = (float)((dx + 1) - (sx + 1) * inv_scale),
//  fx = fx <= 0 ? 0 : fx - floor(fx). The tap is floor(fx), the fraction fx - tap.
//
//  Separable passes (resizeGeneric_): a horizontal pass per source row into a buffer of
//  dst_width * channels elements, a vertical pass per output row over 2 (linear) or 4 (cubic)
//  such rows, the source rows clamped to the image (their weights kept).
//   - Linear weights 1 - f, f; a tap left of the image is column 0 with f = 0, at or right of
//     the last column the last column with f = 0, and from the first such column on the
//     horizontal pass takes that column times 1 (2048 for 8 bits).
//   - Cubic weights (A = -0.75, in float, in this order):
//       w0 = ((A * (f + 1) - 5A) * (f + 1) + 8A) * (f + 1) - 4A
//       w1 = ((A + 2) * f - (A + 3)) * f * f + 1
//       w2 = ((A + 2) * (1 - f) - (A + 3)) * (1 - f) * (1 - f) + 1
//       w3 = 1 - w0 - w1 - w2
//     on taps tap - 1 .. tap + 2; where a tap leaves the image (columns before the first
//     whose taps are all inside, or from the first whose last tap is outside) it is clamped
//     to the edge and the four products are summed onto 0 in tap order.
//   - 8 bits: weights are shorts, round-half-even(w * 2048), not renormalised; the horizontal
//     pass sums int products. Linear's vertical pass is
//     (((b0 * (v0 >> 4)) >> 16) + ((b1 * (v1 >> 4)) >> 16) + 2) >> 2. Cubic's vertical pass
//     takes SIMD lanes in blocks of 8 elements from the row's start: in float, with
//     b = beta * 2^-22, v0 * b0 + (v1 * b1 + (v2 * b2 + v3 * b3)) rounded half to even and
//     saturated; the remaining (width mod 8) elements take the integer
//     (v0 * b0 + v1 * b1 + v2 * b2 + v3 * b3 + 2^21) >> 22, saturated.
//   - float: horizontal sums left to right (s0 * w0 + s1 * w1 ...); linear's vertical pass
//     v0 * b0 + v1 * b1; cubic's in blocks of 4 elements v0 * b0 + (v1 * b1 + (v2 * b2 +
//     v3 * b3)), the remaining (width mod 4) ((v0 * b0 + v1 * b1) + v2 * b2) + v3 * b3.
//
//  INTER_AREA reducing both ways by a non-integer ratio (resizeArea_, float accumulators for
//  both depths), from computeResizeAreaTab in double per output column (rows alike):
//  fsx1 = dx * scale, fsx2 = fsx1 + scale, cell = min(scale, size - fsx1),
//  sx1 = ceil(fsx1), sx2 = min(floor(fsx2), size - 1), sx1 = min(sx1, sx2); a left part
//  (sx1 - 1, weight (float)((sx1 - fsx1) / cell)) when sx1 - fsx1 > 1e-3, whole columns
//  sx1 .. sx2 - 1 at (float)(1 / cell), a right part (sx2, (float)(min(min(fsx2 - sx2, 1),
//  cell) / cell)) when fsx2 - sx2 > 1e-3. Per source row each output element is
//  0 + s * a + s * a ... in table order; per output row the first source row's buffer times
//  its weight, later ones added (the image's first row adds onto 0); 8 bits round half to
//  even and saturate.
//
// Integer-ratio INTER_AREA (and 2x2 INTER_LINEAR, which cv::resize turns into it) and
// INTER_NEAREST are not here: they use integer sums, float sums of four values and one
// multiply, or one multiply per coordinate, which no architecture can fuse, so cv::resize
// itself gives the same bytes everywhere (resize.h routes them there).
#ifndef HBPREP_ADAPTERS_RESIZE_EXACT_H_
#define HBPREP_ADAPTERS_RESIZE_EXACT_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace hbprep {

// One resize as cv::resize sees it.
struct ResizeShape {
  int src_width = 0, src_height = 0;
  int dst_width = 0, dst_height = 0;
  int channels = 1;  // interleaved
  // cv::resize's inv_scale_x / inv_scale_y: dst / src (in double) when the size is given,
  // the caller's fx, fy otherwise (the size being round(src * f)).
  double inv_scale_x = 0, inv_scale_y = 0;
};

// Which of cv::hal::resize's computations cv::resize takes for a shape and an interpolation
// (cv::INTER_* value).
enum class ResizePath {
  kCopy,        // equal sizes: a copy
  kNearest,     // INTER_NEAREST
  kAreaFast,    // INTER_AREA by integer ratios >= 1 both ways, 2x2 INTER_LINEAR included
  kArea,        // INTER_AREA reducing both ways, not by integer ratios
  kLinear,      // INTER_LINEAR
  kAreaLinear,  // INTER_AREA enlarging in either direction: linear with area coordinates
  kCubic,       // INTER_CUBIC
  kOther,       // any other interpolation (Lanczos, the bit-exact ones): not reproduced here
};
ResizePath OpenCvResizePath(const ResizeShape& shape, int interpolation);

// Whether cv::resize's INTER_LINEAR coordinate tables for `shape` are the same computed with
// (Debian arm64) and without (amd64) the fused multiply-add: then, the rest of its 8-bit linear
// arithmetic being integer, any build's cv::resize gives amd64's bytes for 8-bit data.
bool LinearCoordinatesFuseInvariant(const ResizeShape& shape);

// One resizer per geometry. Run is const and allocates its scratch rows per call, so several
// threads may run disjoint row ranges of one resizer at once.
class ExactResizer {
 public:
  enum class Depth { kU8, kF32 };

  // Computes the tables for cv::resize(src, dst, size or (0, 0), fx, fy, interpolation) on
  // `shape` and `depth`. Returns false, leaving the resizer unusable until the next successful
  // Reset, where OpenCvResizePath is not kLinear, kAreaLinear, kCubic or kArea, for channels
  // other than 1..4, non-positive sizes or scales, rows over 2^24 elements or 2^24 rows, and
  // where cv::resize would fail an assertion on the tables: the caller then uses cv::resize.
  bool Reset(const ResizeShape& shape, int interpolation, Depth depth);

  // Output rows [row_begin, row_end) of dst from the whole source: `src` holds src_height rows
  // of src_width * channels elements (uint8_t or float as Reset's depth), `dst` dst_height
  // rows; strides in bytes. Bytes past a destination row are not written. Allocates its
  // scratch rows (a few rows of dst_width * channels elements). REQUIRES: a successful Reset,
  // 0 <= row_begin <= row_end <= dst_height.
  void Run(const void* src, ptrdiff_t src_stride, void* dst, ptrdiff_t dst_stride, int row_begin,
           int row_end) const;

  // Makes Run take the portable scalar loops even where SIMD ones exist (SSE2 on x86-64, NEON
  // on AArch64), so that tests hold both against cv::resize. The bytes are the same either way.
  void set_portable_only(bool portable_only) { portable_only_ = portable_only; }

  const ResizeShape& shape() const { return shape_; }
  ResizePath path() const { return path_; }

 private:
  void RunSeparableU8(const uint8_t* src, ptrdiff_t src_stride, uint8_t* dst, ptrdiff_t dst_stride,
                      int row_begin, int row_end) const;
  void RunSeparableF32(const uint8_t* src, ptrdiff_t src_stride, uint8_t* dst, ptrdiff_t dst_stride,
                       int row_begin, int row_end) const;
  template <typename T>
  void RunArea(const uint8_t* src, ptrdiff_t src_stride, uint8_t* dst, ptrdiff_t dst_stride,
               int row_begin, int row_end) const;
  bool ResetSeparable();
  bool ResetArea();

  ResizeShape shape_;
  ResizePath path_ = ResizePath::kOther;
  Depth depth_ = Depth::kU8;
  bool ready_ = false;
  bool portable_only_ = false;

  // Separable passes: taps per output (2 or 4); per output element (dst_width * channels) the
  // element offset of its tap-1 source element (tap 0 for linear) and its weights (shorts for
  // 8 bits, floats otherwise: ksize per element); elements [xmin_, xmax_) take the interior
  // formula, the others the edge one. Per output row its first tap row (unclamped) and weights.
  int ksize_ = 0;
  int xmin_ = 0, xmax_ = 0;
  std::vector<int32_t> xofs_;
  std::vector<int16_t> xweights_u8_;
  std::vector<float> xweights_f32_;
  std::vector<int32_t> yofs_;
  std::vector<int16_t> yweights_u8_;
  std::vector<float> yweights_f32_;

  // Area: per output pixel (column) its run of (source column, weight) entries
  // [xstart_[dx], xstart_[dx + 1]); per output row its run of (source row, weight).
  std::vector<int32_t> xstart_, xsrc_;
  std::vector<float> xalpha_;
  std::vector<int32_t> ystart_, ysrc_;
  std::vector<float> yalpha_;
  // Area on one 8-bit channel: per group of 4 output pixels its steps
  // [group_start_[g], group_start_[g + 1]), each 4 source columns and 4 weights.
  std::vector<int32_t> group_start_, group_src_;
  std::vector<float> group_alpha_;

  // Output pixels [0 or the first inside, xsimd_end_) take the interior formula and read no
  // source pixel past the row's next-to-last (unless pixels are 4 elements wide), so a SIMD
  // step may read 4 elements at each of their taps.
  int xsimd_end_ = 0;
};

}  // namespace hbprep

#endif  // HBPREP_ADAPTERS_RESIZE_EXACT_H_
