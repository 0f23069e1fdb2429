#include "adapters/steps/pillow_resample.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"
#include "hbprep/status_macros.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#define HBPREP_PIL_SIMD 1
#define HBPREP_PIL_SSE2 1
#elif defined(__ARM_NEON) && defined(__aarch64__)
#include <arm_neon.h>
#define HBPREP_PIL_SIMD 1
#define HBPREP_PIL_SSE2 0
#else
#define HBPREP_PIL_SIMD 0
#define HBPREP_PIL_SSE2 0
#endif

namespace hbprep {
namespace {

// Resample.c's filters, each in its own operation order (the build compiles this file with
// -ffp-contract=off, as Debian's x86-64 GCC build of Pillow is: no fused multiply-add).
constexpr double kPi = 3.14159265358979323846;  // M_PI

double BoxFilter(double x) { return x > -0.5 && x <= 0.5 ? 1.0 : 0.0; }

double BilinearFilter(double x) {
  if (x < 0.0) x = -x;
  return x < 1.0 ? 1.0 - x : 0.0;
}

// sin(x) / x * (0.54 + 0.46 cos(x)) with x = |x| * pi, the constants being C float literals
// (0.54f, 0.46f) widened to double, as Pillow writes them.
double HammingFilter(double x) {
  if (x < 0.0) x = -x;
  if (x == 0.0) return 1.0;
  if (x >= 1.0) return 0.0;
  x = x * kPi;
  return std::sin(x) / x * (static_cast<double>(0.54f) + static_cast<double>(0.46f) * std::cos(x));
}

// Keys' cubic convolution with a = -0.5: (a + 2) = 1.5 and (a + 3) = 2.5 are exact.
double BicubicFilter(double x) {
  constexpr double a = -0.5;
  if (x < 0.0) x = -x;
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
  return 0.0;
}

double Sinc(double x) {
  if (x == 0.0) return 1.0;
  x = x * kPi;
  return std::sin(x) / x;
}

double LanczosFilter(double x) {
  if (-3.0 <= x && x < 3.0) return Sinc(x) * Sinc(x / 3);
  return 0.0;
}

// One row per filter: Pillow's name, its Image.Resampling value, the filter and its support
// (none for NEAREST, which is no convolution).
struct FilterTraits {
  PilFilter filter;
  const char* name;
  int pillow_value;
  double (*function)(double);
  double support;
};

constexpr FilterTraits kFilters[] = {
    {PilFilter::kNearest, "NEAREST", 0, nullptr, 0.0},
    {PilFilter::kBox, "BOX", 4, BoxFilter, 0.5},
    {PilFilter::kBilinear, "BILINEAR", 2, BilinearFilter, 1.0},
    {PilFilter::kHamming, "HAMMING", 5, HammingFilter, 1.0},
    {PilFilter::kBicubic, "BICUBIC", 3, BicubicFilter, 2.0},
    {PilFilter::kLanczos, "LANCZOS", 1, LanczosFilter, 3.0},
};

const FilterTraits& TraitsOf(PilFilter filter) {
  for (const FilterTraits& traits : kFilters) {
    if (traits.filter == filter) return traits;
  }
  return kFilters[0];  // unreachable for a valid enum value
}

// Weights carry 22 fractional bits: 32 - 8 (the byte) - 2 (sums of weights with negative
// lobes may pass 1 or fall below 0), Pillow's PRECISION_BITS.
constexpr int kPrecisionBits = 32 - 8 - 2;
// Each sum starts at one half, so that the shift in Clip8 rounds half up.
constexpr int32_t kHalf = 1 << (kPrecisionBits - 1);
// The most bytes of horizontally resampled rows one call keeps (a vertical window).
constexpr int64_t kMaxWindowBytes = int64_t{256} << 20;

// Pillow's clip8: the sum shifted right arithmetically, clamped to a byte (its lookup table
// covers -640..639 after the shift, beyond what 8-bit sums reach, and clamps likewise).
inline uint8_t Clip8(int32_t sum) {
  const int32_t v = sum >> kPrecisionBits;
  return static_cast<uint8_t>(v < 0 ? 0 : v > 255 ? 255 : v);
}

// The taps of one axis, for output indices 0..out-1: the first source index and the tap
// count, and `ksize` fixed-point weights each (the first `count` of them used).
struct AxisTaps {
  int ksize = 0;
  int max_count = 0;
  std::vector<int32_t> bounds;   // first, count per output index
  std::vector<int32_t> weights;  // ksize per output index
#if HBPREP_PIL_SSE2
  // The weights as w = hi * 2^11 + lo (lo in 0..2047, hi within int16), paired for pmaddwd:
  // pairs = (ksize + 1) / 2 per output index, tap 2p in the low half, 2p + 1 (or 0) in the
  // high half.
  int pairs = 0;
  std::vector<int32_t> hi_pairs, lo_pairs;
#endif
};

// Resample.c's precompute_coeffs for the box (0, in) (Image.py's default: in0 = 0.0f and
// in1 = (float)in, exact for sides up to 2^24), then normalize_coeffs_8bpc.
void ComputeTaps(int in_size, int out_size, const FilterTraits& filter, AxisTaps& taps) {
  const float in0 = 0.0f;
  const float in1 = static_cast<float>(in_size);
  // The box's width is a float difference, then double.
  const double scale = static_cast<double>(in1 - in0) / out_size;
  double filterscale = scale;
  if (filterscale < 1.0) filterscale = 1.0;  // enlarging keeps the filter's own width
  const double support = filter.support * filterscale;
  const int ksize = static_cast<int>(std::ceil(support)) * 2 + 1;
  taps.ksize = ksize;
  taps.max_count = 0;
  taps.bounds.assign(static_cast<size_t>(out_size) * 2, 0);
  taps.weights.assign(static_cast<size_t>(out_size) * static_cast<size_t>(ksize), 0);
  std::vector<double> k(static_cast<size_t>(ksize));
  for (int xx = 0; xx < out_size; ++xx) {
    const double center = in0 + (xx + 0.5) * scale;
    double ww = 0.0;
    const double ss = 1.0 / filterscale;
    // (int) truncates toward zero; both ends are clamped to the image.
    int xmin = static_cast<int>(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    int xmax = static_cast<int>(center + support + 0.5);
    if (xmax > in_size) xmax = in_size;
    // The count never passes ksize (2 * ceil(support) + 1 covers the rounded span); the
    // clamp only keeps the table's bounds whatever the doubles do.
    const int count = std::min(std::max(xmax - xmin, 0), ksize);
    for (int x = 0; x < count; ++x) {
      const double w = filter.function((x + xmin - center + 0.5) * ss);
      k[x] = w;
      ww += w;
    }
    int32_t* fixed = &taps.weights[static_cast<size_t>(xx) * static_cast<size_t>(ksize)];
    for (int x = 0; x < count; ++x) {
      if (ww != 0.0) k[x] /= ww;  // all-zero weights stay zero: the output is then 0
      // Rounded half away from zero, then truncated to int.
      fixed[x] = k[x] < 0 ? static_cast<int32_t>(-0.5 + k[x] * (1 << kPrecisionBits))
                          : static_cast<int32_t>(0.5 + k[x] * (1 << kPrecisionBits));
    }
    taps.bounds[2 * static_cast<size_t>(xx)] = xmin;
    taps.bounds[2 * static_cast<size_t>(xx) + 1] = count;
    taps.max_count = std::max(taps.max_count, count);
  }
#if HBPREP_PIL_SSE2
  taps.pairs = (ksize + 1) / 2;
  taps.hi_pairs.assign(static_cast<size_t>(out_size) * taps.pairs, 0);
  taps.lo_pairs.assign(static_cast<size_t>(out_size) * taps.pairs, 0);
  for (int xx = 0; xx < out_size; ++xx) {
    const int32_t* w = &taps.weights[static_cast<size_t>(xx) * ksize];
    for (int p = 0; p < taps.pairs; ++p) {
      const int32_t w0 = w[2 * p];
      const int32_t w1 = 2 * p + 1 < ksize ? w[2 * p + 1] : 0;
      // Normalised weights stay within +-1.29 (LANCZOS at a 2-pixel edge; their absolute
      // sums within 1.58, so no sum leaves int32), i.e. below 2^23: the high parts fit int16.
      auto pair = [](int32_t a, int32_t b) {
        return static_cast<int32_t>(static_cast<uint16_t>(a) |
                                    (static_cast<uint32_t>(static_cast<uint16_t>(b)) << 16));
      };
      const size_t at = static_cast<size_t>(xx) * taps.pairs + p;
      taps.hi_pairs[at] = pair(w0 >> 11, w1 >> 11);
      taps.lo_pairs[at] = pair(w0 & 0x7ff, w1 & 0x7ff);
    }
  }
#endif
}

// --- Portable loops: Resample.c's own, element by element. ---------------------------------

// The horizontal pass over one source row: each output byte is Clip8 of half plus the
// weighted taps of its channel.
template <int kChannels>
void HorizontalRow(const uint8_t* src, const AxisTaps& taps, int out_width, uint8_t* out) {
  const int32_t* bounds = taps.bounds.data();
  const int32_t* weights = taps.weights.data();
  for (int xx = 0; xx < out_width; ++xx, bounds += 2, weights += taps.ksize) {
    const uint8_t* s = src + static_cast<ptrdiff_t>(bounds[0]) * kChannels;
    const int count = bounds[1];
    int32_t sum[kChannels];
    for (int c = 0; c < kChannels; ++c) sum[c] = kHalf;
    for (int x = 0; x < count; ++x, s += kChannels) {
      for (int c = 0; c < kChannels; ++c) sum[c] += s[c] * weights[x];
    }
    for (int c = 0; c < kChannels; ++c) out[c] = Clip8(sum[c]);
    out += kChannels;
  }
}

using HorizontalFn = void (*)(const uint8_t*, const AxisTaps&, int, uint8_t*);

// The vertical pass for bytes [begin, end) of one output row from `count` rows.
void VerticalRow(const uint8_t* const* rows, const int32_t* weights, int count, int begin, int end,
                 uint8_t* out) {
  for (int e = begin; e < end; ++e) {
    int32_t sum = kHalf;
    for (int y = 0; y < count; ++y) sum += rows[y][e] * weights[y];
    out[e] = Clip8(sum);
  }
}

// --- SIMD loops: the same integers, 16 output bytes at a time. ------------------------------
//
// The horizontal pass runs on blocks of 16 source rows transposed to columns of 16 bytes
// (one byte per row), so that both passes become weighted sums of 16-byte vectors.
constexpr int kBlockRows = 16;
#if HBPREP_PIL_SIMD

#if HBPREP_PIL_SSE2
using Vec = __m128i;
inline Vec Load(const uint8_t* p) { return _mm_loadu_si128(reinterpret_cast<const Vec*>(p)); }
inline void Store(uint8_t* p, Vec v) { _mm_storeu_si128(reinterpret_cast<Vec*>(p), v); }
inline Vec Zip8Lo(Vec a, Vec b) { return _mm_unpacklo_epi8(a, b); }
inline Vec Zip8Hi(Vec a, Vec b) { return _mm_unpackhi_epi8(a, b); }
inline Vec Zip16Lo(Vec a, Vec b) { return _mm_unpacklo_epi16(a, b); }
inline Vec Zip16Hi(Vec a, Vec b) { return _mm_unpackhi_epi16(a, b); }
inline Vec Zip32Lo(Vec a, Vec b) { return _mm_unpacklo_epi32(a, b); }
inline Vec Zip32Hi(Vec a, Vec b) { return _mm_unpackhi_epi32(a, b); }
inline Vec Zip64Lo(Vec a, Vec b) { return _mm_unpacklo_epi64(a, b); }
inline Vec Zip64Hi(Vec a, Vec b) { return _mm_unpackhi_epi64(a, b); }
#else
using Vec = uint8x16_t;
inline Vec Load(const uint8_t* p) { return vld1q_u8(p); }
inline void Store(uint8_t* p, Vec v) { vst1q_u8(p, v); }
inline Vec Zip8Lo(Vec a, Vec b) { return vzip1q_u8(a, b); }
inline Vec Zip8Hi(Vec a, Vec b) { return vzip2q_u8(a, b); }
inline Vec Zip16Lo(Vec a, Vec b) {
  return vreinterpretq_u8_u16(vzip1q_u16(vreinterpretq_u16_u8(a), vreinterpretq_u16_u8(b)));
}
inline Vec Zip16Hi(Vec a, Vec b) {
  return vreinterpretq_u8_u16(vzip2q_u16(vreinterpretq_u16_u8(a), vreinterpretq_u16_u8(b)));
}
inline Vec Zip32Lo(Vec a, Vec b) {
  return vreinterpretq_u8_u32(vzip1q_u32(vreinterpretq_u32_u8(a), vreinterpretq_u32_u8(b)));
}
inline Vec Zip32Hi(Vec a, Vec b) {
  return vreinterpretq_u8_u32(vzip2q_u32(vreinterpretq_u32_u8(a), vreinterpretq_u32_u8(b)));
}
inline Vec Zip64Lo(Vec a, Vec b) {
  return vreinterpretq_u8_u64(vzip1q_u64(vreinterpretq_u64_u8(a), vreinterpretq_u64_u8(b)));
}
inline Vec Zip64Hi(Vec a, Vec b) {
  return vreinterpretq_u8_u64(vzip2q_u64(vreinterpretq_u64_u8(a), vreinterpretq_u64_u8(b)));
}
#endif

// r[k] = row k's 16 bytes in, column k's 16 bytes (one per row) out: interleaving bytes, then
// pairs, quads and halves of rows.
inline void Transpose16x16(Vec r[16]) {
  Vec a[16], b[16], c[16];
  for (int i = 0; i < 8; ++i) {  // rows 2i, 2i + 1: columns 0-7 and 8-15
    a[2 * i] = Zip8Lo(r[2 * i], r[2 * i + 1]);
    a[2 * i + 1] = Zip8Hi(r[2 * i], r[2 * i + 1]);
  }
  for (int g = 0; g < 4; ++g) {  // rows 4g..4g+3: columns 0-3, 4-7, 8-11, 12-15
    b[4 * g] = Zip16Lo(a[4 * g], a[4 * g + 2]);
    b[4 * g + 1] = Zip16Hi(a[4 * g], a[4 * g + 2]);
    b[4 * g + 2] = Zip16Lo(a[4 * g + 1], a[4 * g + 3]);
    b[4 * g + 3] = Zip16Hi(a[4 * g + 1], a[4 * g + 3]);
  }
  for (int h = 0; h < 2; ++h) {  // rows 8h..8h+7: column pairs (2m, 2m + 1)
    for (int q = 0; q < 4; ++q) {
      c[8 * h + 2 * q] = Zip32Lo(b[8 * h + q], b[8 * h + 4 + q]);
      c[8 * h + 2 * q + 1] = Zip32Hi(b[8 * h + q], b[8 * h + 4 + q]);
    }
  }
  for (int m = 0; m < 8; ++m) {  // all 16 rows of columns 2m and 2m + 1
    r[2 * m] = Zip64Lo(c[m], c[8 + m]);
    r[2 * m + 1] = Zip64Hi(c[m], c[8 + m]);
  }
}

// 16 rows of n bytes to n columns of 16 bytes at `t`.
void TransposeIn(const uint8_t* const rows[16], int n, uint8_t* t) {
  int x = 0;
  for (; x + 16 <= n; x += 16) {
    Vec r[16];
    for (int k = 0; k < 16; ++k) r[k] = Load(rows[k] + x);
    Transpose16x16(r);
    for (int m = 0; m < 16; ++m) Store(t + (x + m) * 16, r[m]);
  }
  for (; x < n; ++x) {
    for (int k = 0; k < 16; ++k) t[x * 16 + k] = rows[k][x];
  }
}

// n columns of 16 bytes at `t` back to the first `valid` of 16 rows.
void TransposeOut(const uint8_t* t, int n, uint8_t* const rows[16], int valid) {
  int x = 0;
  for (; x + 16 <= n; x += 16) {
    Vec r[16];
    for (int m = 0; m < 16; ++m) r[m] = Load(t + (x + m) * 16);
    Transpose16x16(r);
    for (int k = 0; k < valid; ++k) Store(rows[k] + x, r[k]);
  }
  for (; x < n; ++x) {
    for (int k = 0; k < valid; ++k) rows[k][x] = t[x * 16 + k];
  }
}

// 16 output bytes: Clip8(half + sum over taps j of row(j)[0..16) * weight j), for output index
// `index` of `taps`.
#if HBPREP_PIL_SSE2
// pmaddwd on (tap 2p, tap 2p + 1) byte pairs widened to int16, once with the weights' high
// parts and once with their low parts; (high << 11) + low is the exact sum. The 32-bit lanes
// may wrap on the way when windows are long; the true sum fits int32, so the wrapped
// arithmetic ends on it. The packs clamp like Clip8 (the shifted sums lie within +-512).
template <class RowAt>
inline void Weigh16(const RowAt& row, const AxisTaps& taps, int index, int count, uint8_t* out) {
  const int32_t* hi = &taps.hi_pairs[static_cast<size_t>(index) * taps.pairs];
  const int32_t* lo = &taps.lo_pairs[static_cast<size_t>(index) * taps.pairs];
  const Vec zero = _mm_setzero_si128();
  Vec h[4] = {zero, zero, zero, zero};
  Vec l[4] = {zero, zero, zero, zero};
  auto add_pair = [&](Vec a, Vec b, int p) {
    const Vec wh = _mm_set1_epi32(hi[p]);
    const Vec wl = _mm_set1_epi32(lo[p]);
    const Vec ab_lo = _mm_unpacklo_epi8(a, b);
    const Vec ab_hi = _mm_unpackhi_epi8(a, b);
    const Vec q[4] = {_mm_unpacklo_epi8(ab_lo, zero), _mm_unpackhi_epi8(ab_lo, zero),
                      _mm_unpacklo_epi8(ab_hi, zero), _mm_unpackhi_epi8(ab_hi, zero)};
    for (int i = 0; i < 4; ++i) {
      h[i] = _mm_add_epi32(h[i], _mm_madd_epi16(q[i], wh));
      l[i] = _mm_add_epi32(l[i], _mm_madd_epi16(q[i], wl));
    }
  };
  int j = 0;
  for (; j + 1 < count; j += 2) add_pair(Load(row(j)), Load(row(j + 1)), j / 2);
  if (j < count) add_pair(Load(row(j)), zero, j / 2);
  const Vec half = _mm_set1_epi32(kHalf);
  Vec v[4];
  for (int i = 0; i < 4; ++i) {
    v[i] = _mm_srai_epi32(_mm_add_epi32(_mm_add_epi32(_mm_slli_epi32(h[i], 11), l[i]), half),
                          kPrecisionBits);
  }
  Store(out, _mm_packus_epi16(_mm_packs_epi32(v[0], v[1]), _mm_packs_epi32(v[2], v[3])));
}
#else
// Bytes widened to int32 and multiplied-accumulated with the int32 weights (exact: products
// stay below 2^31); the narrowing clamps like Clip8.
template <class RowAt>
inline void Weigh16(const RowAt& row, const AxisTaps& taps, int index, int count, uint8_t* out) {
  const int32_t* w = &taps.weights[static_cast<size_t>(index) * taps.ksize];
  int32x4_t acc[4];
  for (int i = 0; i < 4; ++i) acc[i] = vdupq_n_s32(kHalf);
  for (int j = 0; j < count; ++j) {
    const uint8x16_t a = vld1q_u8(row(j));
    const uint16x8_t lo = vmovl_u8(vget_low_u8(a));
    const uint16x8_t hi = vmovl_high_u8(a);
    acc[0] = vmlaq_n_s32(acc[0], vreinterpretq_s32_u32(vmovl_u16(vget_low_u16(lo))), w[j]);
    acc[1] = vmlaq_n_s32(acc[1], vreinterpretq_s32_u32(vmovl_high_u16(lo)), w[j]);
    acc[2] = vmlaq_n_s32(acc[2], vreinterpretq_s32_u32(vmovl_u16(vget_low_u16(hi))), w[j]);
    acc[3] = vmlaq_n_s32(acc[3], vreinterpretq_s32_u32(vmovl_high_u16(hi)), w[j]);
  }
  int16x4_t n[4];
  for (int i = 0; i < 4; ++i) n[i] = vqmovn_s32(vshrq_n_s32(acc[i], kPrecisionBits));
  vst1q_u8(out, vcombine_u8(vqmovun_s16(vcombine_s16(n[0], n[1])),
                            vqmovun_s16(vcombine_s16(n[2], n[3]))));
}
#endif

// The horizontal pass over a block of 16 source rows (the first `valid` real, the rest
// repeats whose results are dropped) into `out_rows`; `t` and `o` hold the transposed
// source and result.
void HorizontalBlock(const uint8_t* const src_rows[16], int valid, int in_bytes,
                     const AxisTaps& taps, int channels, int out_width, uint8_t* t, uint8_t* o,
                     uint8_t* const out_rows[16]) {
  TransposeIn(src_rows, in_bytes, t);
  const ptrdiff_t stride = static_cast<ptrdiff_t>(channels) * 16;  // one tap to the next
  for (int xx = 0; xx < out_width; ++xx) {
    const int first = taps.bounds[2 * static_cast<size_t>(xx)];
    const int count = taps.bounds[2 * static_cast<size_t>(xx) + 1];
    for (int c = 0; c < channels; ++c) {
      const uint8_t* base = t + (static_cast<ptrdiff_t>(first) * channels + c) * 16;
      Weigh16([base, stride](int j) { return base + j * stride; }, taps, xx, count,
              o + (static_cast<ptrdiff_t>(xx) * channels + c) * 16);
    }
  }
  TransposeOut(o, out_width * channels, out_rows, valid);
}

// The vertical pass for one output row of n bytes: 16 at a time, the last 16 overlapping
// the previous ones (the same bytes again) when n is no multiple of 16.
void VerticalRowSimd(const uint8_t* const* rows, const AxisTaps& taps, int index, int count, int n,
                     uint8_t* out) {
  if (n < 16) {
    VerticalRow(rows, &taps.weights[static_cast<size_t>(index) * taps.ksize], count, 0, n, out);
    return;
  }
  for (int e = 0;; e += 16) {
    if (e > n - 16) e = n - 16;
    Weigh16([rows, e](int j) { return rows[j] + e; }, taps, index, count, out + e);
    if (e == n - 16) break;
  }
}
#endif  // HBPREP_PIL_SIMD

// ImagingResampleInner for the default box: which passes run and their taps, checked before
// anything is written.
struct TwoPassPlan {
  bool need_horizontal = false;
  bool need_vertical = false;
  AxisTaps horizontal;
  AxisTaps vertical;
  // Rows of horizontally resampled bytes in flight when both passes run: a vertical window
  // and up to one block of 16 rows beyond it.
  int ring_rows = 0;
};

absl::Status PlanTwoPass(const cv::Mat& src, int height, int width, const FilterTraits& filter,
                         TwoPassPlan& plan) {
  plan.need_horizontal = width != src.cols;
  plan.need_vertical = height != src.rows;
  if (plan.need_horizontal) ComputeTaps(src.cols, width, filter, plan.horizontal);
  // Without a vertical pass Pillow's vertical bounds cover every source row, and the
  // horizontal pass is the result.
  if (!plan.need_vertical) return absl::OkStatus();
  ComputeTaps(src.rows, height, filter, plan.vertical);
  if (!plan.need_horizontal) return absl::OkStatus();
  plan.ring_rows = plan.vertical.max_count + kBlockRows - 1;
  const int64_t row_bytes = int64_t{width} * src.channels();
  if (plan.ring_rows * row_bytes > kMaxWindowBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("PIL resize from ", src.rows, " x ", src.cols, " to ", height, " x ", width,
                     " keeps ", plan.ring_rows, " rows of ", row_bytes,
                     " bytes in flight, more than ", kMaxWindowBytes, " bytes"));
  }
  return absl::OkStatus();
}

// The horizontal pass of source rows [begin, end) into out_row(r), in blocks of 16 rows (the
// SIMD loops) or row by row.
template <class OutRow>
void HorizontalRows(const cv::Mat& src, const AxisTaps& taps, int out_width, bool simd,
                    std::vector<uint8_t>& scratch, int begin, int end, const OutRow& out_row) {
  const int channels = src.channels();
#if HBPREP_PIL_SIMD
  if (simd) {
    const size_t t_bytes = static_cast<size_t>(src.cols) * channels * kBlockRows;
    const size_t o_bytes = static_cast<size_t>(out_width) * channels * kBlockRows;
    scratch.resize(t_bytes + o_bytes);
    for (int r = begin; r < end; r += kBlockRows) {
      const int valid = std::min(kBlockRows, end - r);
      const uint8_t* src_rows[kBlockRows];
      uint8_t* out_rows[kBlockRows];
      for (int k = 0; k < kBlockRows; ++k) {
        src_rows[k] = src.ptr<uint8_t>(r + std::min(k, valid - 1));
        out_rows[k] = k < valid ? out_row(r + k) : nullptr;
      }
      HorizontalBlock(src_rows, valid, src.cols * channels, taps, channels, out_width,
                      scratch.data(), scratch.data() + t_bytes, out_rows);
    }
    return;
  }
#else
  (void)simd;
  (void)scratch;
#endif
  const HorizontalFn horizontal = channels == 3 ? HorizontalRow<3> : HorizontalRow<1>;
  for (int r = begin; r < end; ++r) horizontal(src.ptr<uint8_t>(r), taps, out_width, out_row(r));
}

// The two passes: the horizontal one (when the width changes) fills a ring of resampled rows
// ahead of the vertical one, enough for any output row since each row's window starts and
// ends no earlier than the previous one's; the vertical one (when the height changes) reads
// its window from there, or straight from the source.
void RunTwoPass(const cv::Mat& src, const TwoPassPlan& plan, bool simd, cv::Mat& out) {
  const int row_bytes = out.cols * src.channels();
  std::vector<uint8_t> scratch;
  if (!plan.need_vertical) {
    HorizontalRows(src, plan.horizontal, out.cols, simd, scratch, 0, src.rows,
                   [&out](int r) { return out.ptr<uint8_t>(r); });
    return;
  }
  const AxisTaps& vertical = plan.vertical;
  const int ring_rows = plan.ring_rows;
  std::vector<uint8_t> ring(static_cast<size_t>(ring_rows) * row_bytes);
  auto slot = [&ring, ring_rows, row_bytes](int r) {
    return ring.data() + static_cast<size_t>(r % ring_rows) * row_bytes;
  };
  std::vector<const uint8_t*> rows(static_cast<size_t>(vertical.max_count));
  int next = 0;  // the first source row the horizontal pass has not done
  for (int yy = 0; yy < out.rows; ++yy) {
    const int first = vertical.bounds[2 * static_cast<size_t>(yy)];
    const int count = vertical.bounds[2 * static_cast<size_t>(yy) + 1];
    if (plan.need_horizontal) {
      if (next < first + count) {
        const int begin = std::max(next, first);
        // Up to a block beyond the window, within the image: the ring has room for it.
        const int end =
            std::min(src.rows, std::max(first + count, begin + (simd ? kBlockRows : 1)));
        HorizontalRows(src, plan.horizontal, out.cols, simd, scratch, begin, end, slot);
        next = end;
      }
      for (int y = 0; y < count; ++y) rows[y] = slot(first + y);
    } else {
      for (int y = 0; y < count; ++y) rows[y] = src.ptr<uint8_t>(first + y);
    }
    uint8_t* o = out.ptr<uint8_t>(yy);
#if HBPREP_PIL_SIMD
    if (simd) {
      VerticalRowSimd(rows.data(), vertical, yy, count, row_bytes, o);
      continue;
    }
#endif
    VerticalRow(rows.data(), &vertical.weights[static_cast<size_t>(yy) * vertical.ksize], count, 0,
                row_bytes, o);
  }
}

// Geometry.c's COORD: -1 for negative coordinates, else truncation.
inline int Coord(double v) { return v < 0.0 ? -1 : static_cast<int>(v); }

// ImagingScaleAffine with a = (in / out, 0, 0, 0, in / out, 0) per axis (box (0, 0, w, h)):
// coordinates start at 0 + a * 0.5 and grow by a per output index, accumulated in double.
// Output pixels whose coordinate falls outside the image are zeros (Pillow fills, then
// copies from the first to the last column whose coordinate was inside, from a zeroed
// table); with these coefficients every coordinate is inside.
template <int kChannels>
void ScaleNearest(const cv::Mat& src, cv::Mat& out) {
  const double ax = static_cast<double>(static_cast<float>(src.cols) - 0.0f) / out.cols;
  const double ay = static_cast<double>(static_cast<float>(src.rows) - 0.0f) / out.rows;
  std::vector<int32_t> xintab(static_cast<size_t>(out.cols), 0);
  int xmin = out.cols;
  int xmax = 0;
  double xo = 0.0 + ax * 0.5;
  for (int x = 0; x < out.cols; ++x) {
    const int xin = Coord(xo);
    if (xin >= 0 && xin < src.cols) {
      xmax = x + 1;
      if (x < xmin) xmin = x;
      xintab[static_cast<size_t>(x)] = xin;
    }
    xo += ax;
  }
  double yo = 0.0 + ay * 0.5;
  for (int y = 0; y < out.rows; ++y) {
    const int yi = Coord(yo);
    uint8_t* o = out.ptr<uint8_t>(y);
    if (yi < 0 || yi >= src.rows || xmin >= xmax) {
      std::memset(o, 0, static_cast<size_t>(out.cols) * kChannels);
    } else {
      std::memset(o, 0, static_cast<size_t>(xmin) * kChannels);
      const uint8_t* in = src.ptr<uint8_t>(yi);
      for (int x = xmin; x < xmax; ++x) {
        std::memcpy(o + static_cast<ptrdiff_t>(x) * kChannels,
                    in + static_cast<ptrdiff_t>(xintab[static_cast<size_t>(x)]) * kChannels,
                    kChannels);
      }
      std::memset(o + static_cast<ptrdiff_t>(xmax) * kChannels, 0,
                  static_cast<size_t>(out.cols - xmax) * kChannels);
    }
    yo += ay;
  }
}

bool Overlaps(const cv::Mat& a, const cv::Mat& b) {
  return a.datastart < b.dataend && b.datastart < a.dataend;
}

}  // namespace

absl::string_view PilFilterName(PilFilter filter) { return TraitsOf(filter).name; }

int PilFilterValue(PilFilter filter) { return TraitsOf(filter).pillow_value; }

absl::StatusOr<PilFilter> PilFilterFromName(absl::string_view name) {
  for (const FilterTraits& traits : kFilters) {
    if (name == traits.name) return traits.filter;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown PIL resampling filter '", name,
                   "' (NEAREST, BOX, BILINEAR, HAMMING, BICUBIC or LANCZOS)"));
}

namespace {

absl::Status Resize(const cv::Mat& src_arg, int height, int width, PilFilter filter, bool simd,
                    cv::Mat& dst) {
  // A header of its own: `dst` may be `src_arg`, and reallocating it must not free the source.
  const cv::Mat src = src_arg;
  if (src.dims != 2 || (src.type() != CV_8UC3 && src.type() != CV_8UC1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("PIL resize takes 8-bit images of 1 or 3 channels, got OpenCV type ",
                     src.type(), " of ", src.dims, " dimensions"));
  }
  auto side_ok = [](int side) { return side >= 1 && side <= kPilResizeMaxSide; };
  if (!side_ok(src.rows) || !side_ok(src.cols)) {
    return absl::InvalidArgumentError(absl::StrCat("PIL resize source of ", src.rows, " x ",
                                                   src.cols, ": sides must be from 1 to ",
                                                   kPilResizeMaxSide));
  }
  if (!side_ok(height) || !side_ok(width)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "PIL resize to ", height, " x ", width, ": sides must be from 1 to ", kPilResizeMaxSide));
  }
  const FilterTraits& traits = TraitsOf(filter);
  const bool copy = height == src.rows && width == src.cols;  // Image.py: a copy
  TwoPassPlan plan;
  if (!copy && traits.function != nullptr) {
    HBPREP_RETURN_IF_ERROR(PlanTwoPass(src, height, width, traits, plan));
  }

  // Write into `dst` in place when it is kept and does not overlap the source; else into a
  // new image, copied into a kept `dst` at the end.
  const bool keeps_dst =
      dst.dims == 2 && dst.rows == height && dst.cols == width && dst.type() == src.type();
  cv::Mat out;
  if (keeps_dst && Overlaps(dst, src)) {
    out.create(height, width, src.type());
  } else {
    dst.create(height, width, src.type());
    out = dst;
  }
  if (copy) {
    src.copyTo(out);
  } else if (traits.function == nullptr) {
    if (src.channels() == 3) {
      ScaleNearest<3>(src, out);
    } else {
      ScaleNearest<1>(src, out);
    }
  } else {
    RunTwoPass(src, plan, simd, out);
  }
  if (out.data != dst.data) out.copyTo(dst);
  return absl::OkStatus();
}

}  // namespace

absl::Status PilResize(const cv::Mat& src, int height, int width, PilFilter filter, cv::Mat& dst) {
  return Resize(src, height, width, filter, /*simd=*/HBPREP_PIL_SIMD != 0, dst);
}

namespace pil_resize_internal {

absl::Status PilResizePortable(const cv::Mat& src, int height, int width, PilFilter filter,
                               cv::Mat& dst) {
  return Resize(src, height, width, filter, /*simd=*/false, dst);
}

}  // namespace pil_resize_internal
}  // namespace hbprep
