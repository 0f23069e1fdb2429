#include "adapters/scale.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

namespace hbprep {
namespace {

// Weights carry 11 fractional bits (INTER_RESIZE_COEF_BITS in OpenCV).
constexpr int kCoefBits = 11;
constexpr float kCoefScale = 1 << kCoefBits;
// Planes wider or taller than this are refused: offsets and products stay far from int32's
// limits, and the float coordinates keep integer precision.
constexpr int kMaxBytes = 1 << 24;

// OpenCV's saturate_cast<short>(float): round half to even (cvRound is cvtss2si on x86,
// lrintf elsewhere, both in the default rounding mode), then clamp.
int16_t RoundToShort(float value) {
  const long rounded = std::lrint(value);
  return static_cast<int16_t>(std::clamp<long>(rounded, -32768, 32767));
}

// One tap position and its weight pair, as cv::resize derives them for output index `d`:
// the float coordinate, its floor and the fraction, all in the same float operations.
struct Tap {
  int first;
  float fraction;
};
Tap TapFor(int d, double scale) {
  float f = static_cast<float>((d + 0.5) * scale - 0.5);
  const int first = static_cast<int>(std::floor(f));
  f -= static_cast<float>(first);
  return {first, f};
}

// The vertical pass for one output element: each weighted term is the high half of a 16 x 16
// bit product (what the SIMD loop's multiply-high gives, and what 4.6's scalar tail computes
// too), then a rounding shift by 2. Never above 255: the terms sum to at most
// 32640 * 2049 >> 16 = 1020.
inline uint8_t Vertical(int16_t v0, int16_t v1, int b0, int b1) {
  return static_cast<uint8_t>((((v0 * b0) >> 16) + ((v1 * b1) >> 16) + 2) >> 2);
}

void VerticalPortable(const int16_t* r0, const int16_t* r1, int b0, int b1, uint8_t* dst,
                      int n) {
  for (int x = 0; x < n; ++x) dst[x] = Vertical(r0[x], r1[x], b0, b1);
}

// Elements 0..n-1 of the horizontal pass, kept as v >> 4.
void HorizontalPortable(const uint8_t* src, const int32_t* xofs, const int16_t* alpha,
                        int channels, int16_t* out, int begin, int n) {
  for (int j = begin; j < n; ++j) {
    const uint8_t* s = src + xofs[j];
    out[j] = static_cast<int16_t>((s[0] * alpha[2 * j] + s[channels] * alpha[2 * j + 1]) >> 4);
  }
}

#ifdef __SSE2__
// The same integers as VerticalPortable: multiply-high, sum (never near int16's limits) and
// the rounding shift; the pack to bytes never saturates (values are at most 255).
int VerticalSse2(const int16_t* r0, const int16_t* r1, int b0, int b1, uint8_t* dst, int n) {
  const __m128i vb0 = _mm_set1_epi16(static_cast<int16_t>(b0));
  const __m128i vb1 = _mm_set1_epi16(static_cast<int16_t>(b1));
  const __m128i two = _mm_set1_epi16(2);
  auto eight = [&](int x) {
    const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(r0 + x));
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(r1 + x));
    const __m128i sum = _mm_add_epi16(_mm_mulhi_epi16(a, vb0), _mm_mulhi_epi16(b, vb1));
    return _mm_srai_epi16(_mm_add_epi16(sum, two), 2);
  };
  int x = 0;
  for (; x + 16 <= n; x += 16) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + x),
                     _mm_packus_epi16(eight(x), eight(x + 8)));
  }
  for (; x + 8 <= n; x += 8) {
    const __m128i v = eight(x);
    _mm_storel_epi64(reinterpret_cast<__m128i*>(dst + x), _mm_packus_epi16(v, v));
  }
  return x;
}

// One channel: eight outputs at a time from eight 2-byte loads (both taps are adjacent), each
// pair multiplied by its weight pair and summed by pmaddwd, as exact as the scalar sum.
int HorizontalSse2C1(const uint8_t* src, const int32_t* xofs, const int16_t* alpha,
                     int16_t* out, int n) {
  const __m128i zero = _mm_setzero_si128();
  auto pair = [src](int32_t offset) {
    uint16_t p;
    std::memcpy(&p, src + offset, 2);
    return static_cast<short>(p);
  };
  int j = 0;
  for (; j + 8 <= n; j += 8) {
    const int32_t* o = xofs + j;
    const __m128i taps = _mm_setr_epi16(pair(o[0]), pair(o[1]), pair(o[2]), pair(o[3]),
                                        pair(o[4]), pair(o[5]), pair(o[6]), pair(o[7]));
    const __m128i w_lo = _mm_loadu_si128(reinterpret_cast<const __m128i*>(alpha + 2 * j));
    const __m128i w_hi = _mm_loadu_si128(reinterpret_cast<const __m128i*>(alpha + 2 * j + 8));
    const __m128i lo = _mm_madd_epi16(_mm_unpacklo_epi8(taps, zero), w_lo);
    const __m128i hi = _mm_madd_epi16(_mm_unpackhi_epi8(taps, zero), w_hi);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + j),
                     _mm_packs_epi32(_mm_srai_epi32(lo, 4), _mm_srai_epi32(hi, 4)));
  }
  return j;
}

// Two interleaved channels: one 4-byte load per output pixel gives both channels' taps
// (c0, c1, c0', c1'); reordering the words to (c0, c0', c1, c1') makes each element's taps a
// pair for pmaddwd against its weights.
int HorizontalSse2C2(const uint8_t* src, const int32_t* xofs, const int16_t* alpha,
                     int16_t* out, int n) {
  const __m128i zero = _mm_setzero_si128();
  auto quad = [src](int32_t offset) {
    int32_t q;
    std::memcpy(&q, src + offset, 4);
    return q;
  };
  int j = 0;
  for (; j + 8 <= n; j += 8) {
    const int32_t* o = xofs + j;
    const __m128i taps = _mm_setr_epi32(quad(o[0]), quad(o[2]), quad(o[4]), quad(o[6]));
    __m128i lo = _mm_unpacklo_epi8(taps, zero);
    __m128i hi = _mm_unpackhi_epi8(taps, zero);
    lo = _mm_shufflehi_epi16(_mm_shufflelo_epi16(lo, _MM_SHUFFLE(3, 1, 2, 0)),
                             _MM_SHUFFLE(3, 1, 2, 0));
    hi = _mm_shufflehi_epi16(_mm_shufflelo_epi16(hi, _MM_SHUFFLE(3, 1, 2, 0)),
                             _MM_SHUFFLE(3, 1, 2, 0));
    const __m128i w_lo = _mm_loadu_si128(reinterpret_cast<const __m128i*>(alpha + 2 * j));
    const __m128i w_hi = _mm_loadu_si128(reinterpret_cast<const __m128i*>(alpha + 2 * j + 8));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + j),
                     _mm_packs_epi32(_mm_srai_epi32(_mm_madd_epi16(lo, w_lo), 4),
                                     _mm_srai_epi32(_mm_madd_epi16(hi, w_hi), 4)));
  }
  return j;
}
#endif  // __SSE2__

}  // namespace

bool LinearScaler::Reset(int src_w, int src_h, int dst_w, int dst_h, int channels) {
  ready_ = false;
  if (src_w <= 0 || src_h <= 0 || dst_w <= 0 || dst_h <= 0) return false;
  if (channels != 1 && channels != 2) return false;
  if (src_w > kMaxBytes / channels || dst_w > kMaxBytes / channels || src_h > kMaxBytes ||
      dst_h > kMaxBytes) {
    return false;
  }

  // cv::resize is handed the size, so it derives the scale factors as dst / src and then
  // (in hal::resize) inverts them; the inverse is not always src / dst to the last bit, and
  // the coordinates below are computed from it.
  const double inv_scale_x = static_cast<double>(dst_w) / src_w;
  const double inv_scale_y = static_cast<double>(dst_h) / src_h;
  const double scale_x = 1. / inv_scale_x, scale_y = 1. / inv_scale_y;
  // An integer reduction by 2 in both directions is computed as INTER_AREA, which averages
  // 2x2 blocks with its own rounding: not this arithmetic.
  const long iscale_x = std::lrint(scale_x), iscale_y = std::lrint(scale_y);
  const bool area_fast = std::abs(scale_x - static_cast<double>(iscale_x)) < DBL_EPSILON &&
                         std::abs(scale_y - static_cast<double>(iscale_y)) < DBL_EPSILON;
  if (area_fast && iscale_x == 2 && iscale_y == 2) return false;

  src_w_ = src_w;
  src_h_ = src_h;
  dst_w_ = dst_w;
  dst_h_ = dst_h;
  channels_ = channels;
  // Equal sizes: cv::resize copies the plane (the bilinear arithmetic would give the same
  // bytes, but slower).
  copy_ = src_w == dst_w && src_h == dst_h;
  ready_ = true;
  if (copy_) return true;

  const int n = dst_w * channels;
  xofs_.resize(n);
  alpha_.resize(2 * static_cast<size_t>(n));
  for (int dx = 0; dx < dst_w; ++dx) {
    Tap tap = TapFor(dx, scale_x);
    // Left of the image: column 0 alone. At or right of the last column: the last column
    // alone (cv::resize multiplies it by 1.0 instead of reading a second tap).
    if (tap.first < 0) tap = {0, 0.f};
    if (tap.first >= src_w - 1) tap = {src_w - 1, 0.f};
    int16_t a0 = RoundToShort((1.f - tap.fraction) * kCoefScale);
    int16_t a1 = RoundToShort(tap.fraction * kCoefScale);
    int first = tap.first;
    // Keep the second tap inside the row: the last column alone is the same sum as taps
    // (last - 1, last) weighted (0, 1). A one-column source has no such pair; HorizontalPass
    // handles it apart.
    if (first == src_w - 1 && src_w >= 2) {
      first = src_w - 2;
      a1 = a0;
      a0 = 0;
    }
    for (int c = 0; c < channels; ++c) {
      const int j = dx * channels + c;
      xofs_[j] = first * channels + c;
      alpha_[2 * j] = a0;
      alpha_[2 * j + 1] = a1;
    }
  }

  yrows_.resize(2 * static_cast<size_t>(dst_h));
  beta_.resize(2 * static_cast<size_t>(dst_h));
  for (int dy = 0; dy < dst_h; ++dy) {
    // Rows are clamped, but unlike columns keep their weights (both taps then read the same
    // row, and the vertical pass's rounding still applies).
    const Tap tap = TapFor(dy, scale_y);
    yrows_[2 * dy] = std::clamp(tap.first, 0, src_h - 1);
    yrows_[2 * dy + 1] = std::clamp(tap.first + 1, 0, src_h - 1);
    beta_[2 * dy] = RoundToShort((1.f - tap.fraction) * kCoefScale);
    beta_[2 * dy + 1] = RoundToShort(tap.fraction * kCoefScale);
  }
  rows_.resize(2 * static_cast<size_t>(n));
  return true;
}

void LinearScaler::HorizontalPass(const uint8_t* src_row, int16_t* out) const {
  const int n = dst_w_ * channels_;
  if (src_w_ == 1) {
    // Every column is the single source column times 1.0 (2048), kept as >> 4.
    for (int j = 0; j < n; ++j) out[j] = static_cast<int16_t>(src_row[j % channels_] << 7);
    return;
  }
  int j = 0;
#ifdef __SSE2__
  if (!portable_only_) {
    j = channels_ == 1 ? HorizontalSse2C1(src_row, xofs_.data(), alpha_.data(), out, n)
                       : HorizontalSse2C2(src_row, xofs_.data(), alpha_.data(), out, n);
  }
#endif
  HorizontalPortable(src_row, xofs_.data(), alpha_.data(), channels_, out, j, n);
}

void LinearScaler::Scale(const uint8_t* src, ptrdiff_t src_stride, uint8_t* dst,
                         ptrdiff_t dst_stride) {
  if (!ready_) return;
  const int n = dst_w_ * channels_;
  if (copy_) {
    for (int y = 0; y < dst_h_; ++y) std::memcpy(dst + y * dst_stride, src + y * src_stride, n);
    return;
  }
  // Source rows already through the horizontal pass in this call (the plane's content is new
  // on every call, so nothing carries over between calls).
  int16_t* const buffers[2] = {rows_.data(), rows_.data() + n};
  int cached[2] = {-1, -1};
  auto row = [&](int sy, int keep) -> const int16_t* {
    for (int s = 0; s < 2; ++s) {
      if (cached[s] == sy) return buffers[s];
    }
    const int s = cached[0] == keep ? 1 : 0;  // never evict the other row of this output row
    HorizontalPass(src + sy * src_stride, buffers[s]);
    cached[s] = sy;
    return buffers[s];
  };
  for (int dy = 0; dy < dst_h_; ++dy) {
    const int sy0 = yrows_[2 * dy], sy1 = yrows_[2 * dy + 1];
    const int16_t* r0 = row(sy0, sy1);
    const int16_t* r1 = row(sy1, sy0);
    const int b0 = beta_[2 * dy], b1 = beta_[2 * dy + 1];
    uint8_t* out = dst + dy * dst_stride;
    int x = 0;
#ifdef __SSE2__
    if (!portable_only_) x = VerticalSse2(r0, r1, b0, b1, out, n);
#endif
    VerticalPortable(r0 + x, r1 + x, b0, b1, out + x, n - x);
  }
}

}  // namespace hbprep
