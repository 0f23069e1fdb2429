// Bilinear scaling of 8-bit planes (NV12's Y plane, its interleaved UV plane) that gives the
// same bytes as OpenCV 4.6's cv::resize(src, dst, size, 0, 0, cv::INTER_LINEAR) on CV_8UC1 and
// CV_8UC2, without its per-call allocations and thread dispatch.
//
// What cv::resize computes there (Debian 12's 4.6.0 source, modules/imgproc/src/resize.cpp),
// and so what this reproduces:
//  - per output column and row, a float coordinate (float)((d + 0.5) * scale - 0.5) with
//    scale = 1 / (dst / src) in double (Debian's arm64 build fuses the multiply and subtract,
//    its amd64 build does not; this follows each); its floor is the first tap, and the
//    weights 1 - f and f of the rest f become shorts with 11 fractional bits, rounded half
//    to even;
//  - columns left of the image take column 0 with weights (1, 0), columns at or right of the
//    last take the last column; rows are clamped to the image but keep their weights;
//  - a horizontal pass gives S0 * a0 + S1 * a1 per element (exact integers);
//  - a vertical pass gives (((v0 >> 4) * b0 >> 16) + ((v1 >> 4) * b1 >> 16) + 2) >> 2,
//    the same in its SIMD loop and its scalar tail (4.6 specialises the 8-bit tail to the
//    SIMD arithmetic), so which columns take which loop does not change a byte;
//  - equal sizes are a plain copy; an exact 2x reduction in both directions is INTER_AREA.
// No HAL, IPP or carotene path exists in Debian's build (WITH_IPP=OFF, WITH_CAROTENE=OFF,
// no custom HAL), and OpenCL only runs for UMat destinations.
#ifndef HBPREP_ADAPTERS_SCALE_H_
#define HBPREP_ADAPTERS_SCALE_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace hbprep {

// One scaler per plane geometry (a pipeline keeps one for Y and one for UV). Not thread-safe:
// Scale() uses the scaler's row buffers.
class LinearScaler {
 public:
  // Computes the tables for src_w x src_h -> dst_w x dst_h planes of `channels` (1 or 2)
  // interleaved 8-bit channels. Returns false, leaving the scaler unusable until the next
  // successful Reset, where cv::resize would not take the bilinear path this reproduces (an
  // exact 2x reduction in both directions, which cv::resize turns into INTER_AREA) and for
  // arguments out of range (non-positive sizes, other channel counts, planes wider than
  // 2^24 bytes or taller than 2^24 rows): the caller then uses cv::resize itself.
  // Reuses capacity: calling it again with the same or smaller sizes allocates nothing.
  bool Reset(int src_w, int src_h, int dst_w, int dst_h, int channels);

  // Scales one plane: `src` holds src_h rows of src_w * channels bytes, `dst` receives dst_h
  // rows of dst_w * channels bytes; strides in bytes (either sign, at least a row in size). Bytes past
  // a destination row are not written. Allocates nothing. REQUIRES: a successful Reset.
  void Scale(const uint8_t* src, ptrdiff_t src_stride, uint8_t* dst, ptrdiff_t dst_stride);

  // Makes Scale() take the portable scalar loops even where SIMD ones exist (SSE2 on x86-64,
  // NEON on AArch64), so that tests hold both against cv::resize. The bytes are the same
  // either way.
  void set_portable_only(bool portable_only) { portable_only_ = portable_only; }

 private:
  // The horizontal pass over one source row into `out`, kept as v >> 4 (the only part of v
  // the vertical pass uses; at most 255 * 2048 >> 4 = 32640, so it fits int16).
  void HorizontalPass(const uint8_t* src, int16_t* out) const;

  int src_w_ = 0, src_h_ = 0, dst_w_ = 0, dst_h_ = 0, channels_ = 0;
  bool ready_ = false;
  bool copy_ = false;  // equal sizes: cv::resize copies
  bool portable_only_ = false;
  // Per output pixel: byte offset of channel 0's first tap in a source row, the second tap
  // being `channels` further on. Per output element (dst_w * channels): the two weights,
  // interleaved.
  std::vector<int32_t> xofs_;
  std::vector<int16_t> alpha_;
  // Per output row: the two source rows (clamped) and the two weights, interleaved.
  std::vector<int32_t> yrows_;
  std::vector<int16_t> beta_;
  // Two horizontal-pass rows, reused while consecutive output rows share a source row.
  std::vector<int16_t> rows_;
};

}  // namespace hbprep

#endif  // HBPREP_ADAPTERS_SCALE_H_
