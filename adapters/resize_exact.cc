#include "adapters/resize_exact.h"

#include <algorithm>
#include <cfloat>
#include <climits>
#include <cmath>
#include <cstring>
#include <type_traits>

#if defined(__SSE2__)
#include <emmintrin.h>
#elif defined(__ARM_NEON) && defined(__aarch64__)
#include <arm_neon.h>
#endif

// Every float and double operation below is one IEEE operation in the default rounding mode,
// rounded on its own: SSE2 or NEON scalar arithmetic, never x87's extended precision, and no
// contraction (the engine target compiles with -ffp-contract=off).
static_assert(FLT_EVAL_METHOD == 0, "float arithmetic must round to its own type");

namespace hbprep {
namespace {

// cv::INTER_* values (imgproc.hpp), kept here so that this file needs no OpenCV header.
constexpr int kInterNearest = 0;
constexpr int kInterLinear = 1;
constexpr int kInterCubic = 2;
constexpr int kInterArea = 3;

// Weights of the 8-bit passes carry 11 fractional bits (INTER_RESIZE_COEF_BITS).
constexpr int kCoefBits = 11;
constexpr float kCoefScale = 1 << kCoefBits;
// Rows wider than this many elements, or images taller, are refused: every offset and
// every integer sum stays far from int32's limits.
constexpr int kMaxElements = 1 << 24;

// cvFloor and cvCeil, for values well inside int's range.
int Floor(double v) { return static_cast<int>(std::floor(v)); }
int Floor(float v) { return static_cast<int>(std::floor(v)); }
int Ceil(double v) { return static_cast<int>(std::ceil(v)); }

// saturate_cast<int>(double): round half to even, then clamp.
int RoundToInt(double v) {
  if (!(v > INT_MIN)) return INT_MIN;
  if (!(v < INT_MAX)) return INT_MAX;
  return static_cast<int>(std::lrint(v));
}

// saturate_cast<short>(float) and saturate_cast<uchar>(float): round half to even (cvRound
// is cvtss2si on x86, lrintf elsewhere, both in the default rounding mode), then clamp. The
// values reaching them are far inside long's range.
int16_t RoundToShort(float v) {
  return static_cast<int16_t>(std::clamp<long>(std::lrint(v), SHRT_MIN, SHRT_MAX));
}
uint8_t RoundToByte(float v) {
  return static_cast<uint8_t>(std::clamp<long>(std::lrint(v), 0, 255));
}
uint8_t ClampToByte(int v) { return static_cast<uint8_t>(std::clamp(v, 0, 255)); }

// cv::resize's bicubic weights (interpolateCubic, A = -0.75) for fraction x, each operation
// rounded to float in this order.
void CubicWeights(float x, float* w) {
  const float a = -0.75f;
  const float x1 = x + 1;
  w[0] = ((a * x1 - 5 * a) * x1 + 8 * a) * x1 - 4 * a;
  w[1] = ((a + 2) * x - (a + 3)) * x * x + 1;
  const float y = 1 - x;
  w[2] = ((a + 2) * y - (a + 3)) * y * y + 1;
  w[3] = 1.f - w[0] - w[1] - w[2];
}

// One output coordinate's first tap and fraction. Centre sampling: (float)((d + 0.5) * scale -
// 0.5). INTER_AREA enlarging: the tap is floor(d * scale), the fraction the part of the output
// pixel past the tap's right edge, (float)((d + 1) - (tap + 1) * inv_scale), wrapped to [0, 1).
struct Tap {
  int first;
  float fraction;
};
Tap TapFor(int d, double scale, double inv_scale, bool area) {
  if (!area) {
    float f = static_cast<float>((d + 0.5) * scale - 0.5);
    const int first = Floor(f);
    f -= static_cast<float>(first);
    return {first, f};
  }
  const int first = Floor(d * scale);
  float f = static_cast<float>((d + 1) - (first + 1) * inv_scale);
  f = f <= 0 ? 0.f : f - static_cast<float>(Floor(f));
  return {first, f};
}

// computeResizeAreaTab for one axis: per output index its run of (source index, weight) into
// `start` (size + 1 entries), `src`, `alpha`. False where cv::resize's assertion (at most
// 2 * src_size entries) would fail.
bool AreaTable(int src_size, int dst_size, double scale, std::vector<int32_t>& start,
               std::vector<int32_t>& src, std::vector<float>& alpha) {
  start.assign(static_cast<size_t>(dst_size) + 1, 0);
  src.clear();
  alpha.clear();
  const size_t limit = 2 * static_cast<size_t>(src_size);
  auto add = [&](int s, float a) {
    if (src.size() >= limit) return false;
    src.push_back(s);
    alpha.push_back(a);
    return true;
  };
  for (int d = 0; d < dst_size; ++d) {
    start[d] = static_cast<int32_t>(src.size());
    const double f1 = d * scale;
    const double f2 = f1 + scale;
    const double cell = std::min(scale, src_size - f1);
    int s1 = Ceil(f1), s2 = Floor(f2);
    s2 = std::min(s2, src_size - 1);
    s1 = std::min(s1, s2);
    // A part of the source pixel left of s1, whole pixels, a part of s2.
    if (s1 - f1 > 1e-3 && !add(s1 - 1, static_cast<float>((s1 - f1) / cell))) return false;
    for (int s = s1; s < s2; ++s) {
      if (!add(s, static_cast<float>(1.0 / cell))) return false;
    }
    if (f2 - s2 > 1e-3 &&
        !add(s2, static_cast<float>(std::min(std::min(f2 - s2, 1.), cell) / cell))) {
      return false;
    }
  }
  start[dst_size] = static_cast<int32_t>(src.size());
  for (int32_t s : src) {
    if (s < 0 || s >= src_size) return false;
  }
  return true;
}

// The separable passes' row buffers: `ksize` rows of `n` elements and the source row each holds
// in this call. Rows(dy) returns the ksize (clamped) source rows output row dy reads, running
// the horizontal pass `h(source_row, out)` for those no buffer holds.
template <typename T>
class RowCache {
 public:
  RowCache(int ksize, size_t n) : ksize_(ksize), n_(n), data_(static_cast<size_t>(ksize) * n) {}

  template <typename H>
  void Rows(const int* needed, const T** rows, H&& h) {
    bool used[4] = {false, false, false, false};
    for (int k = 0; k < ksize_; ++k) {
      const int b = Holding(needed[k]);
      rows[k] = b < 0 ? nullptr : Buffer(b);
      if (b >= 0) used[b] = true;
    }
    for (int k = 0; k < ksize_; ++k) {
      if (rows[k] != nullptr) continue;
      int b = Holding(needed[k]);  // computed for an earlier tap of this row (a clamped repeat)
      if (b < 0) {
        b = 0;
        while (used[b]) ++b;  // a buffer no tap of this row reads: ksize buffers, ksize taps
        h(needed[k], Buffer(b));
        held_[b] = needed[k];
        used[b] = true;
      }
      rows[k] = Buffer(b);
    }
  }

 private:
  T* Buffer(int b) { return data_.data() + static_cast<size_t>(b) * n_; }
  int Holding(int row) const {
    for (int b = 0; b < ksize_; ++b) {
      if (held_[b] == row) return b;
    }
    return -1;
  }

  int ksize_;
  size_t n_;
  std::vector<T> data_;
  int held_[4] = {-1, -1, -1, -1};
};

}  // namespace

ResizePath OpenCvResizePath(const ResizeShape& shape, int interpolation) {
  if (shape.src_width == shape.dst_width && shape.src_height == shape.dst_height) {
    return ResizePath::kCopy;
  }
  if (interpolation == kInterNearest) return ResizePath::kNearest;
  // cv::hal::resize: integer ratios within DBL_EPSILON of their rounding.
  const double scale_x = 1. / shape.inv_scale_x, scale_y = 1. / shape.inv_scale_y;
  const int iscale_x = RoundToInt(scale_x), iscale_y = RoundToInt(scale_y);
  const bool area_fast =
      std::abs(scale_x - iscale_x) < DBL_EPSILON && std::abs(scale_y - iscale_y) < DBL_EPSILON;
  if (interpolation == kInterLinear && area_fast && iscale_x == 2 && iscale_y == 2) {
    interpolation = kInterArea;
  }
  if (interpolation == kInterArea && scale_x >= 1 && scale_y >= 1) {
    return area_fast ? ResizePath::kAreaFast : ResizePath::kArea;
  }
  switch (interpolation) {
    case kInterLinear:
      return ResizePath::kLinear;
    case kInterArea:
      return ResizePath::kAreaLinear;
    case kInterCubic:
      return ResizePath::kCubic;
    default:
      return ResizePath::kOther;
  }
}

bool LinearCoordinatesFuseInvariant(const ResizeShape& shape) {
  auto same = [](int size, double inv_scale) {
    const double scale = 1. / inv_scale;
    for (int d = 0; d < size; ++d) {
      const float apart = static_cast<float>((d + 0.5) * scale - 0.5);
      const float fused = static_cast<float>(std::fma(d + 0.5, scale, -0.5));
      if (apart != fused) return false;
    }
    return true;
  };
  return same(shape.dst_width, shape.inv_scale_x) && same(shape.dst_height, shape.inv_scale_y);
}

bool ExactResizer::Reset(const ResizeShape& shape, int interpolation, Depth depth) {
  ready_ = false;
  const ResizeShape& s = shape;
  if (s.src_width <= 0 || s.src_height <= 0 || s.dst_width <= 0 || s.dst_height <= 0) return false;
  if (s.channels < 1 || s.channels > 4) return false;
  if (!(s.inv_scale_x > 0) || !(s.inv_scale_y > 0) || !std::isfinite(s.inv_scale_x) ||
      !std::isfinite(s.inv_scale_y)) {
    return false;
  }
  if (s.src_width > kMaxElements / s.channels || s.dst_width > kMaxElements / s.channels ||
      s.src_height > kMaxElements || s.dst_height > kMaxElements) {
    return false;
  }
  shape_ = shape;
  depth_ = depth;
  path_ = OpenCvResizePath(shape, interpolation);
  switch (path_) {
    case ResizePath::kLinear:
    case ResizePath::kAreaLinear:
    case ResizePath::kCubic:
      ready_ = ResetSeparable();
      break;
    case ResizePath::kArea:
      ready_ = ResetArea();
      break;
    default:
      ready_ = false;
  }
  return ready_;
}

bool ExactResizer::ResetSeparable() {
  const int cn = shape_.channels;
  const int src_w = shape_.src_width;
  const bool cubic = path_ == ResizePath::kCubic;
  const bool area = path_ == ResizePath::kAreaLinear;
  ksize_ = cubic ? 4 : 2;
  const int half = ksize_ / 2;
  const double scale_x = 1. / shape_.inv_scale_x, scale_y = 1. / shape_.inv_scale_y;
  const bool u8 = depth_ == Depth::kU8;

  const size_t n = static_cast<size_t>(shape_.dst_width) * cn;
  xofs_.resize(n);
  xweights_u8_.assign(u8 ? n * ksize_ : 0, 0);
  xweights_f32_.assign(u8 ? 0 : n * ksize_, 0.f);
  int xmin = 0, xmax = shape_.dst_width;
  // Where the SIMD cubic pass (4 elements from each tap pixel) must stop reading.
  int simd_end = shape_.dst_width;
  float w[4];
  for (int dx = 0; dx < shape_.dst_width; ++dx) {
    Tap tap = TapFor(dx, scale_x, shape_.inv_scale_x, area);
    // The first column whose taps all lie inside bounds the edge formula on the left, the
    // first whose last tap is outside on the right. Linear moves outside taps onto the edge
    // column with weight 1; cubic keeps them (its edge formula clamps each tap).
    if (tap.first < half - 1) {
      xmin = dx + 1;
      if (tap.first < 0 && !cubic) tap = {0, 0.f};
    }
    if (tap.first + half >= src_w) {
      xmax = std::min(xmax, dx);
      if (tap.first >= src_w - 1 && !cubic) tap = {src_w - 1, 0.f};
    }
    if (cn < 4 && tap.first + half > src_w - 2) simd_end = std::min(simd_end, dx);
    if (cubic) {
      CubicWeights(tap.fraction, w);
    } else {
      w[0] = 1.f - tap.fraction;
      w[1] = tap.fraction;
    }
    for (int c = 0; c < cn; ++c) {
      const size_t j = static_cast<size_t>(dx) * cn + c;
      xofs_[j] = tap.first * cn + c;
      for (int k = 0; k < ksize_; ++k) {
        if (u8) {
          xweights_u8_[j * ksize_ + k] = RoundToShort(w[k] * kCoefScale);
        } else {
          xweights_f32_[j * ksize_ + k] = w[k];
        }
      }
    }
  }
  xmin_ = xmin * cn;
  xmax_ = xmax * cn;
  xsimd_end_ = std::min(simd_end, xmax);

  // Rows keep their tap and weights wherever they fall; the passes clamp the rows they read.
  const size_t m = static_cast<size_t>(shape_.dst_height);
  yofs_.resize(m);
  yweights_u8_.assign(u8 ? m * ksize_ : 0, 0);
  yweights_f32_.assign(u8 ? 0 : m * ksize_, 0.f);
  for (int dy = 0; dy < shape_.dst_height; ++dy) {
    const Tap tap = TapFor(dy, scale_y, shape_.inv_scale_y, area);
    yofs_[dy] = tap.first;
    if (cubic) {
      CubicWeights(tap.fraction, w);
    } else {
      w[0] = 1.f - tap.fraction;
      w[1] = tap.fraction;
    }
    for (int k = 0; k < ksize_; ++k) {
      if (u8) {
        yweights_u8_[dy * ksize_ + k] = RoundToShort(w[k] * kCoefScale);
      } else {
        yweights_f32_[dy * ksize_ + k] = w[k];
      }
    }
  }
  return true;
}

bool ExactResizer::ResetArea() {
  const double scale_x = 1. / shape_.inv_scale_x, scale_y = 1. / shape_.inv_scale_y;
  if (!AreaTable(shape_.src_width, shape_.dst_width, scale_x, xstart_, xsrc_, xalpha_)) {
    return false;
  }
  if (!AreaTable(shape_.src_height, shape_.dst_height, scale_y, ystart_, ysrc_, yalpha_)) {
    return false;
  }
  // cv::resize asserts that every output row has entries.
  for (int dy = 0; dy < shape_.dst_height; ++dy) {
    if (ystart_[dy] == ystart_[dy + 1]) return false;
  }
  // One 8-bit channel: four output pixels per SIMD step, their entries side by side; a pixel
  // with fewer entries than the others of its group is padded with weight 0 on a valid
  // source pixel, which adds s * 0 = +0 and so changes no sum (the sums start at +0 and add
  // products of non-negative bytes and positive weights: never -0).
  group_start_.clear();
  group_src_.clear();
  group_alpha_.clear();
  if (shape_.channels == 1 && depth_ == Depth::kU8) {
    const int groups = (shape_.dst_width + 3) / 4;
    group_start_.assign(static_cast<size_t>(groups) + 1, 0);
    for (int g = 0; g < groups; ++g) {
      group_start_[g] = static_cast<int32_t>(group_alpha_.size() / 4);
      int steps = 0;
      for (int l = 0; l < 4 && 4 * g + l < shape_.dst_width; ++l) {
        steps = std::max(steps, xstart_[4 * g + l + 1] - xstart_[4 * g + l]);
      }
      for (int m = 0; m < steps; ++m) {
        for (int l = 0; l < 4; ++l) {
          const int dx = 4 * g + l;
          const bool real = dx < shape_.dst_width && xstart_[dx] + m < xstart_[dx + 1];
          group_src_.push_back(real ? xsrc_[xstart_[dx] + m] : 0);
          group_alpha_.push_back(real ? xalpha_[xstart_[dx] + m] : 0.f);
        }
      }
    }
    group_start_[groups] = static_cast<int32_t>(group_alpha_.size() / 4);
  }
  // The SIMD pass reads 4 elements per entry: it stops at the first pixel with an entry on the
  // row's last pixel (entries ascend) unless pixels are 4 elements wide.
  xsimd_end_ = shape_.dst_width;
  if (shape_.channels < 4) {
    for (int dx = 0; dx < shape_.dst_width; ++dx) {
      if (xstart_[dx + 1] > xstart_[dx] && xsrc_[xstart_[dx + 1] - 1] > shape_.src_width - 2) {
        xsimd_end_ = dx;
        break;
      }
    }
  }
  return true;
}

void ExactResizer::Run(const void* src, ptrdiff_t src_stride, void* dst, ptrdiff_t dst_stride,
                       int row_begin, int row_end) const {
  if (!ready_) return;
  row_begin = std::max(row_begin, 0);
  row_end = std::min(row_end, shape_.dst_height);
  if (row_begin >= row_end) return;
  const auto* s = static_cast<const uint8_t*>(src);
  auto* d = static_cast<uint8_t*>(dst);
  const bool u8 = depth_ == Depth::kU8;
  if (path_ == ResizePath::kArea) {
    if (u8) {
      RunArea<uint8_t>(s, src_stride, d, dst_stride, row_begin, row_end);
    } else {
      RunArea<float>(s, src_stride, d, dst_stride, row_begin, row_end);
    }
  } else if (u8) {
    RunSeparableU8(s, src_stride, d, dst_stride, row_begin, row_end);
  } else {
    RunSeparableF32(s, src_stride, d, dst_stride, row_begin, row_end);
  }
}

namespace {

// SIMD: every lane runs the same operations, in the same order and at the same precision, as
// the portable loop for its element, so the bytes do not depend on which loop ran. Lanes are
// either consecutive output elements (the vertical passes) or the channels of one pixel (the
// horizontal passes of 2 to 4 channels, whose taps are whole pixels).
#if defined(__SSE2__) || (defined(__ARM_NEON) && defined(__aarch64__))
#define HBPREP_RESIZE_SIMD 1
#else
#define HBPREP_RESIZE_SIMD 0
#endif

#if defined(__SSE2__)
using F4 = __m128;
using I4 = __m128i;
inline int32_t Load32(const void* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
inline F4 LoadF4(const float* p) { return _mm_loadu_ps(p); }
inline void StoreF4(float* p, F4 v) { _mm_storeu_ps(p, v); }
inline F4 SetF4(float v) { return _mm_set1_ps(v); }
inline F4 Mul(F4 a, F4 b) { return _mm_mul_ps(a, b); }
inline F4 Add(F4 a, F4 b) { return _mm_add_ps(a, b); }
// Four bytes as floats (exact).
inline F4 BytesF4(const uint8_t* p) {
  const __m128i z = _mm_setzero_si128();
  return _mm_cvtepi32_ps(_mm_unpacklo_epi16(_mm_unpacklo_epi8(_mm_cvtsi32_si128(Load32(p)), z), z));
}
inline I4 LoadI4(const int32_t* p) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)); }
inline void StoreI4(int32_t* p, I4 v) { _mm_storeu_si128(reinterpret_cast<__m128i*>(p), v); }
inline F4 ToF4(I4 v) { return _mm_cvtepi32_ps(v); }
// Round half to even (MXCSR's default), as cvRound; saturated to bytes through int16.
inline void StoreBytes8(uint8_t* p, F4 lo, F4 hi) {
  const __m128i w = _mm_packs_epi32(_mm_cvtps_epi32(lo), _mm_cvtps_epi32(hi));
  _mm_storel_epi64(reinterpret_cast<__m128i*>(p), _mm_packus_epi16(w, w));
}
// Four pixels' bytes at two taps as int16 pairs (t0c, t1c) per channel, times the weight pair:
// t0 * w0 + t1 * w1 per channel, exact.
inline I4 TapPairU8(const uint8_t* p0, const uint8_t* p1, int16_t w0, int16_t w1) {
  const __m128i z = _mm_setzero_si128();
  const __m128i a = _mm_unpacklo_epi8(_mm_cvtsi32_si128(Load32(p0)), z);
  const __m128i b = _mm_unpacklo_epi8(_mm_cvtsi32_si128(Load32(p1)), z);
  const int32_t pair = static_cast<int32_t>(
      (static_cast<uint32_t>(static_cast<uint16_t>(w1)) << 16) | static_cast<uint16_t>(w0));
  return _mm_madd_epi16(_mm_unpacklo_epi16(a, b), _mm_set1_epi32(pair));
}
inline I4 AddI4(I4 a, I4 b) { return _mm_add_epi32(a, b); }
#elif HBPREP_RESIZE_SIMD
using F4 = float32x4_t;
using I4 = int32x4_t;
inline uint32_t Load32(const void* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
inline F4 LoadF4(const float* p) { return vld1q_f32(p); }
inline void StoreF4(float* p, F4 v) { vst1q_f32(p, v); }
inline F4 SetF4(float v) { return vdupq_n_f32(v); }
// Separate multiply and add (vmulq, vaddq), never vfmaq; -ffp-contract=off keeps GCC from
// fusing them.
inline F4 Mul(F4 a, F4 b) { return vmulq_f32(a, b); }
inline F4 Add(F4 a, F4 b) { return vaddq_f32(a, b); }
inline int16x4_t BytesS16(const uint8_t* p) {
  return vreinterpret_s16_u16(vget_low_u16(vmovl_u8(vreinterpret_u8_u32(vdup_n_u32(Load32(p))))));
}
inline F4 BytesF4(const uint8_t* p) { return vcvtq_f32_s32(vmovl_s16(BytesS16(p))); }
inline I4 LoadI4(const int32_t* p) { return vld1q_s32(p); }
inline void StoreI4(int32_t* p, I4 v) { vst1q_s32(p, v); }
inline F4 ToF4(I4 v) { return vcvtq_f32_s32(v); }
// Round to nearest, ties to even (fcvtns), as cvRound; saturated to bytes through int16.
inline void StoreBytes8(uint8_t* p, F4 lo, F4 hi) {
  const int16x8_t w = vcombine_s16(vqmovn_s32(vcvtnq_s32_f32(lo)), vqmovn_s32(vcvtnq_s32_f32(hi)));
  vst1_u8(p, vqmovun_s16(w));
}
inline I4 TapPairU8(const uint8_t* p0, const uint8_t* p1, int16_t w0, int16_t w1) {
  return vmlal_n_s16(vmull_n_s16(BytesS16(p0), w0), BytesS16(p1), w1);
}
inline I4 AddI4(I4 a, I4 b) { return vaddq_s32(a, b); }
#endif

#if HBPREP_RESIZE_SIMD
// The first cn (2 to 4) lanes of v to p, each size a constant so that the copies inline.
inline void StoreLanes(float* p, F4 v, int cn) {
  float t[4];
  StoreF4(t, v);
  if (cn == 4) {
    std::memcpy(p, t, 16);
  } else if (cn == 3) {
    std::memcpy(p, t, 12);
  } else {
    std::memcpy(p, t, 8);
  }
}
inline void StoreLanes(int32_t* p, I4 v, int cn) {
  int32_t t[4];
  StoreI4(t, v);
  if (cn == 4) {
    std::memcpy(p, t, 16);
  } else if (cn == 3) {
    std::memcpy(p, t, 12);
  } else {
    std::memcpy(p, t, 8);
  }
}
#endif

// Horizontal passes over one source row `s` into `out` (n = dst_width * cn elements).

// 8-bit linear, elements [begin, n): exact int sums; from xmax on, the tap column times 2048.
void HorizontalLinearU8(const uint8_t* s, const int32_t* xofs, const int16_t* w, int cn, int n,
                        int begin, int xmax, int32_t* out) {
  int j = begin;
  for (; j < xmax; ++j) {
    const int sx = xofs[j];
    out[j] = s[sx] * w[2 * j] + s[sx + cn] * w[2 * j + 1];
  }
  for (; j < n; ++j) out[j] = s[xofs[j]] * (1 << kCoefBits);
}

// The element at offset e (same channel c as the output element), clamped to the row
// [0, width): the edge pixel's channel c.
inline int ClampElement(int e, int c, int cn, int width) {
  return e < 0 ? c : (e >= width ? width - cn + c : e);
}

// Cubic, elements [begin, end) that have a tap outside the row: each tap clamped, the four
// products added one by one onto 0 (int for 8 bits, exact; float in that order).
template <typename T, typename W, typename Acc>
void HorizontalCubicEdge(const T* s, const int32_t* xofs, const W* w, int cn, int width, int begin,
                         int end, Acc* out) {
  for (int j = begin; j < end; ++j) {
    const int c = j % cn;
    const W* a = w + 4 * j;
    Acc v = 0;
    for (int k = 0; k < 4; ++k) v += s[ClampElement(xofs[j] + (k - 1) * cn, c, cn, width)] * a[k];
    out[j] = v;
  }
}

// Cubic, elements [begin, end) whose taps are inside: s0 * w0 + s1 * w1 + s2 * w2 + s3 * w3,
// left to right.
template <typename T, typename W, typename Acc>
void HorizontalCubicInside(const T* s, const int32_t* xofs, const W* w, int cn, int begin, int end,
                           Acc* out) {
  for (int j = begin; j < end; ++j) {
    const int sx = xofs[j];
    const W* a = w + 4 * j;
    out[j] = s[sx - cn] * a[0] + s[sx] * a[1] + s[sx + cn] * a[2] + s[sx + 2 * cn] * a[3];
  }
}

#if HBPREP_RESIZE_SIMD
// Cubic inside, pixels [begin, end) of 2 to 4 channels, one pixel per step with its channels as
// lanes (4 elements read from each tap pixel: REQUIRES every tap pixel at most the row's
// next-to-last when cn < 4). The lanes past cn are dropped.
void HorizontalCubicPixelsU8(const uint8_t* s, const int32_t* xofs, const int16_t* w, int cn,
                             int begin, int end, int32_t* out) {
  for (int dx = begin; dx < end; ++dx) {
    const int j = dx * cn;
    const uint8_t* p = s + xofs[j] - cn;
    const int16_t* a = w + 4 * j;
    StoreLanes(
        out + j,
        AddI4(TapPairU8(p, p + cn, a[0], a[1]), TapPairU8(p + 2 * cn, p + 3 * cn, a[2], a[3])), cn);
  }
}

void HorizontalCubicPixelsF32(const float* s, const int32_t* xofs, const float* w, int cn,
                              int begin, int end, float* out) {
  for (int dx = begin; dx < end; ++dx) {
    const int j = dx * cn;
    const float* p = s + xofs[j] - cn;
    const float* a = w + 4 * j;
    const F4 v = Add(Add(Add(Mul(LoadF4(p), SetF4(a[0])), Mul(LoadF4(p + cn), SetF4(a[1]))),
                         Mul(LoadF4(p + 2 * cn), SetF4(a[2]))),
                     Mul(LoadF4(p + 3 * cn), SetF4(a[3])));
    StoreLanes(out + j, v, cn);
  }
}
#endif

#if HBPREP_RESIZE_SIMD
// Linear, pixels [0, end) of 2 to 4 channels, the channels as lanes (same reads as the cubic
// ones above): s0 * w0 + s1 * w1 per channel.
void HorizontalLinearPixelsU8(const uint8_t* s, const int32_t* xofs, const int16_t* w, int cn,
                              int end, int32_t* out) {
  for (int dx = 0; dx < end; ++dx) {
    const int j = dx * cn;
    const uint8_t* p = s + xofs[j];
    StoreLanes(out + j, TapPairU8(p, p + cn, w[2 * j], w[2 * j + 1]), cn);
  }
}

void HorizontalLinearPixelsF32(const float* s, const int32_t* xofs, const float* w, int cn, int end,
                               float* out) {
  for (int dx = 0; dx < end; ++dx) {
    const int j = dx * cn;
    const float* p = s + xofs[j];
    StoreLanes(out + j,
               Add(Mul(LoadF4(p), SetF4(w[2 * j])), Mul(LoadF4(p + cn), SetF4(w[2 * j + 1]))), cn);
  }
}
#endif

// Vertical passes over the row buffers into one output row of n elements. Each returns the
// elements its SIMD loop did (0 without SIMD or when `simd` is false); the portable loops do
// the rest.

int VerticalLinearU8Simd(const int32_t* const* r, int b0, int b1, int n, uint8_t* out) {
#if defined(__SSE2__)
  // (v >> 4) packs to int16 without saturating (at most 255 * 2048 >> 4 = 32640), the
  // multiply-high is (b * (v >> 4)) >> 16, and the sums stay far inside int16.
  const __m128i vb0 = _mm_set1_epi16(static_cast<int16_t>(b0));
  const __m128i vb1 = _mm_set1_epi16(static_cast<int16_t>(b1));
  const __m128i two = _mm_set1_epi16(2);
  int x = 0;
  for (; x + 8 <= n; x += 8) {
    const __m128i a = _mm_packs_epi32(_mm_srai_epi32(LoadI4(r[0] + x), 4),
                                      _mm_srai_epi32(LoadI4(r[0] + x + 4), 4));
    const __m128i b = _mm_packs_epi32(_mm_srai_epi32(LoadI4(r[1] + x), 4),
                                      _mm_srai_epi32(LoadI4(r[1] + x + 4), 4));
    const __m128i v = _mm_srai_epi16(
        _mm_add_epi16(_mm_add_epi16(_mm_mulhi_epi16(a, vb0), _mm_mulhi_epi16(b, vb1)), two), 2);
    _mm_storel_epi64(reinterpret_cast<__m128i*>(out + x), _mm_packus_epi16(v, v));
  }
  return x;
#elif HBPREP_RESIZE_SIMD
  const int16x4_t vb0 = vdup_n_s16(static_cast<int16_t>(b0));
  const int16x4_t vb1 = vdup_n_s16(static_cast<int16_t>(b1));
  auto high = [](const int32_t* p, int16x4_t b) {
    return vshrn_n_s32(vmull_s16(vmovn_s32(vshrq_n_s32(vld1q_s32(p), 4)), b), 16);
  };
  int x = 0;
  for (; x + 8 <= n; x += 8) {
    const int16x8_t sum = vcombine_s16(vadd_s16(high(r[0] + x, vb0), high(r[1] + x, vb1)),
                                       vadd_s16(high(r[0] + x + 4, vb0), high(r[1] + x + 4, vb1)));
    vst1_u8(out + x, vqmovun_s16(vshrq_n_s16(vaddq_s16(sum, vdupq_n_s16(2)), 2)));
  }
  return x;
#else
  (void)r, (void)b0, (void)b1, (void)n, (void)out;
  return 0;
#endif
}

void VerticalLinearU8(const int32_t* const* r, const int16_t* beta, int n, bool simd,
                      uint8_t* out) {
  const int b0 = beta[0], b1 = beta[1];
  int x = simd ? VerticalLinearU8Simd(r, b0, b1, n, out) : 0;
  for (; x < n; ++x) {
    out[x] = static_cast<uint8_t>(
        (((b0 * (r[0][x] >> 4)) >> 16) + ((b1 * (r[1][x] >> 4)) >> 16) + 2) >> 2);
  }
}

// 8-bit cubic: OpenCV's SIMD blocks of 8 elements from the row's start compute in float
// (weights times 2^-22, exact), nested: v0 * b0 + (v1 * b1 + (v2 * b2 + v3 * b3)), rounded half
// to even, saturated. The remaining n mod 8 elements take its scalar tail's int arithmetic.
void VerticalCubicU8(const int32_t* const* r, const int16_t* beta, int n, bool simd, uint8_t* out) {
  const float scale = 1.f / (kCoefScale * kCoefScale);
  const float f0 = beta[0] * scale, f1 = beta[1] * scale, f2 = beta[2] * scale,
              f3 = beta[3] * scale;
  const int blocks = n / 8 * 8;
  int x = 0;
#if HBPREP_RESIZE_SIMD
  if (simd) {
    const F4 v0 = SetF4(f0), v1 = SetF4(f1), v2 = SetF4(f2), v3 = SetF4(f3);
    auto four = [&](int i) {
      return Add(Mul(ToF4(LoadI4(r[0] + i)), v0),
                 Add(Mul(ToF4(LoadI4(r[1] + i)), v1),
                     Add(Mul(ToF4(LoadI4(r[2] + i)), v2), Mul(ToF4(LoadI4(r[3] + i)), v3))));
    };
    for (; x < blocks; x += 8) StoreBytes8(out + x, four(x), four(x + 4));
  }
#else
  (void)simd;
#endif
  for (; x < blocks; ++x) {
    const float v = static_cast<float>(r[0][x]) * f0 +
                    (static_cast<float>(r[1][x]) * f1 +
                     (static_cast<float>(r[2][x]) * f2 + static_cast<float>(r[3][x]) * f3));
    out[x] = RoundToByte(v);
  }
  // The tail: (sum + 2^21) >> 22, saturated. The sum fits int32: at most 255 * 2048 * 1.375
  // per buffer element (1.375: the weights' largest absolute sum, at f = 0.5) times
  // 2048 * 1.375, under 2.03e9.
  const int b0 = beta[0], b1 = beta[1], b2 = beta[2], b3 = beta[3];
  for (; x < n; ++x) {
    const int sum = r[0][x] * b0 + r[1][x] * b1 + r[2][x] * b2 + r[3][x] * b3;
    out[x] = ClampToByte((sum + (1 << (2 * kCoefBits - 1))) >> (2 * kCoefBits));
  }
}

void VerticalLinearF32(const float* const* r, const float* beta, int n, bool simd, float* out) {
  const float b0 = beta[0], b1 = beta[1];
  int x = 0;
#if HBPREP_RESIZE_SIMD
  if (simd) {
    const F4 v0 = SetF4(b0), v1 = SetF4(b1);
    for (; x + 4 <= n; x += 4) {
      StoreF4(out + x, Add(Mul(LoadF4(r[0] + x), v0), Mul(LoadF4(r[1] + x), v1)));
    }
  }
#else
  (void)simd;
#endif
  for (; x < n; ++x) out[x] = r[0][x] * b0 + r[1][x] * b1;
}

// Float cubic: OpenCV's SIMD blocks of 4 nest the sums, v0 * b0 + (v1 * b1 + (v2 * b2 +
// v3 * b3)); its scalar tail (n mod 4 elements) sums left to right.
void VerticalCubicF32(const float* const* r, const float* beta, int n, bool simd, float* out) {
  const float b0 = beta[0], b1 = beta[1], b2 = beta[2], b3 = beta[3];
  const int blocks = n / 4 * 4;
  int x = 0;
#if HBPREP_RESIZE_SIMD
  if (simd) {
    const F4 v0 = SetF4(b0), v1 = SetF4(b1), v2 = SetF4(b2), v3 = SetF4(b3);
    for (; x < blocks; x += 4) {
      StoreF4(out + x, Add(Mul(LoadF4(r[0] + x), v0),
                           Add(Mul(LoadF4(r[1] + x), v1),
                               Add(Mul(LoadF4(r[2] + x), v2), Mul(LoadF4(r[3] + x), v3)))));
    }
  }
#else
  (void)simd;
#endif
  for (; x < blocks; ++x) out[x] = r[0][x] * b0 + (r[1][x] * b1 + (r[2][x] * b2 + r[3][x] * b3));
  for (; x < n; ++x) out[x] = r[0][x] * b0 + r[1][x] * b1 + r[2][x] * b2 + r[3][x] * b3;
}

}  // namespace

void ExactResizer::RunSeparableU8(const uint8_t* src, ptrdiff_t src_stride, uint8_t* dst,
                                  ptrdiff_t dst_stride, int row_begin, int row_end) const {
  const int cn = shape_.channels;
  const int n = shape_.dst_width * cn;
  const int width = shape_.src_width * cn;
  const int last_row = shape_.src_height - 1;
  const bool cubic = ksize_ == 4;
  const bool simd = HBPREP_RESIZE_SIMD && !portable_only_;
  const int16_t* w = xweights_u8_.data();
  const int32_t* xofs = xofs_.data();
  RowCache<int32_t> cache(ksize_, static_cast<size_t>(n));
  auto h = [&](int sy, int32_t* out) {
    const uint8_t* s = src + sy * src_stride;
    if (!cubic) {
#if HBPREP_RESIZE_SIMD
      if (simd && cn >= 2 && xsimd_end_ > 0) {
        HorizontalLinearPixelsU8(s, xofs, w, cn, xsimd_end_, out);
        return HorizontalLinearU8(s, xofs, w, cn, n, xsimd_end_ * cn, xmax_, out);
      }
#endif
      return HorizontalLinearU8(s, xofs, w, cn, n, 0, xmax_, out);
    }
    // Edge elements before xmin and from max(xmin, xmax) on; inside in between.
    const int inside_end = std::max(xmin_, xmax_);
    HorizontalCubicEdge(s, xofs, w, cn, width, 0, xmin_, out);
    int j = xmin_;
#if HBPREP_RESIZE_SIMD
    if (simd && cn >= 2 && xsimd_end_ > xmin_ / cn) {
      HorizontalCubicPixelsU8(s, xofs, w, cn, xmin_ / cn, xsimd_end_, out);
      j = xsimd_end_ * cn;
    }
#endif
    HorizontalCubicInside(s, xofs, w, cn, j, xmax_, out);
    HorizontalCubicEdge(s, xofs, w, cn, width, inside_end, n, out);
  };
  for (int dy = row_begin; dy < row_end; ++dy) {
    int needed[4];
    for (int k = 0; k < ksize_; ++k) {
      needed[k] = std::clamp(yofs_[dy] - ksize_ / 2 + 1 + k, 0, last_row);
    }
    const int32_t* rows[4];
    cache.Rows(needed, rows, h);
    const int16_t* beta = yweights_u8_.data() + static_cast<size_t>(dy) * ksize_;
    uint8_t* out = dst + dy * dst_stride;
    if (cubic) {
      VerticalCubicU8(rows, beta, n, simd, out);
    } else {
      VerticalLinearU8(rows, beta, n, simd, out);
    }
  }
}

void ExactResizer::RunSeparableF32(const uint8_t* src, ptrdiff_t src_stride, uint8_t* dst,
                                   ptrdiff_t dst_stride, int row_begin, int row_end) const {
  const int cn = shape_.channels;
  const int n = shape_.dst_width * cn;
  const int width = shape_.src_width * cn;
  const int last_row = shape_.src_height - 1;
  const bool cubic = ksize_ == 4;
  const bool simd = HBPREP_RESIZE_SIMD && !portable_only_;
  const float* w = xweights_f32_.data();
  const int32_t* xofs = xofs_.data();
  RowCache<float> cache(ksize_, static_cast<size_t>(n));
  auto h = [&](int sy, float* out) {
    const auto* s = reinterpret_cast<const float*>(src + sy * src_stride);
    if (!cubic) {
      // s0 * w0 + s1 * w1 up to xmax; the tap column times 1 after.
      int j = 0;
#if HBPREP_RESIZE_SIMD
      if (simd && cn >= 2 && xsimd_end_ > 0) {
        HorizontalLinearPixelsF32(s, xofs, w, cn, xsimd_end_, out);
        j = xsimd_end_ * cn;
      }
#endif
      for (; j < xmax_; ++j) out[j] = s[xofs[j]] * w[2 * j] + s[xofs[j] + cn] * w[2 * j + 1];
      for (; j < n; ++j) out[j] = s[xofs[j]] * 1.f;
      return;
    }
    const int inside_end = std::max(xmin_, xmax_);
    HorizontalCubicEdge(s, xofs, w, cn, width, 0, xmin_, out);
    int j = xmin_;
#if HBPREP_RESIZE_SIMD
    if (simd && cn >= 2 && xsimd_end_ > xmin_ / cn) {
      HorizontalCubicPixelsF32(s, xofs, w, cn, xmin_ / cn, xsimd_end_, out);
      j = xsimd_end_ * cn;
    }
#endif
    HorizontalCubicInside(s, xofs, w, cn, j, xmax_, out);
    HorizontalCubicEdge(s, xofs, w, cn, width, inside_end, n, out);
  };
  for (int dy = row_begin; dy < row_end; ++dy) {
    int needed[4];
    for (int k = 0; k < ksize_; ++k) {
      needed[k] = std::clamp(yofs_[dy] - ksize_ / 2 + 1 + k, 0, last_row);
    }
    const float* rows[4];
    cache.Rows(needed, rows, h);
    const float* beta = yweights_f32_.data() + static_cast<size_t>(dy) * ksize_;
    auto* out = reinterpret_cast<float*>(dst + dy * dst_stride);
    if (cubic) {
      VerticalCubicF32(rows, beta, n, simd, out);
    } else {
      VerticalLinearF32(rows, beta, n, simd, out);
    }
  }
}

namespace {

// The area horizontal pass over one source row: per output element 0 + s * a + s * a ...
// over its pixel's entries, in table order, each channel its own sum.
template <typename T>
void HorizontalArea(const T* s, const int32_t* start, const int32_t* xsrc, const float* alpha,
                    int cn, int begin, int end, float* out) {
  for (int dx = begin; dx < end; ++dx) {
    for (int c = 0; c < cn; ++c) {
      float v = 0.f;
      for (int e = start[dx]; e < start[dx + 1]; ++e) {
        v += static_cast<float>(s[xsrc[e] * cn + c]) * alpha[e];
      }
      out[dx * cn + c] = v;
    }
  }
}

#if HBPREP_RESIZE_SIMD
// The same for pixels [begin, end) of 2 to 4 channels, the channels as lanes (4 elements read
// per entry: REQUIRES every entry's pixel at most the row's next-to-last when cn < 4).
inline F4 LoadF4(const uint8_t* p) { return BytesF4(p); }
template <typename T>
void HorizontalAreaPixels(const T* s, const int32_t* start, const int32_t* xsrc, const float* alpha,
                          int cn, int begin, int end, float* out) {
  for (int dx = begin; dx < end; ++dx) {
    F4 v = SetF4(0.f);
    for (int e = start[dx]; e < start[dx + 1]; ++e) {
      v = Add(v, Mul(LoadF4(s + xsrc[e] * cn), SetF4(alpha[e])));
    }
    StoreLanes(out + dx * cn, v, cn);
  }
}
#endif

#if HBPREP_RESIZE_SIMD
// One 8-bit channel, four output pixels per step (lanes), over the group tables.
void HorizontalAreaGroupsU8(const uint8_t* s, const int32_t* group_start, const int32_t* src,
                            const float* alpha, int dst_w, float* out) {
  const int groups = (dst_w + 3) / 4;
  for (int g = 0; g < groups; ++g) {
    F4 v = SetF4(0.f);
    for (int m = group_start[g]; m < group_start[g + 1]; ++m) {
      const int32_t* i = src + 4 * m;
      const int32_t bytes[4] = {s[i[0]], s[i[1]], s[i[2]], s[i[3]]};
      v = Add(v, Mul(ToF4(LoadI4(bytes)), LoadF4(alpha + 4 * m)));
    }
    if (4 * g + 4 <= dst_w) {
      StoreF4(out + 4 * g, v);
    } else {
      float t[4];
      StoreF4(t, v);
      std::memcpy(out + 4 * g, t, sizeof(float) * (dst_w - 4 * g));
    }
  }
}
#endif

// sum = beta * buf (a row's first source row) or sum + beta * buf.
void AreaAccumulate(const float* buf, float beta, int n, bool first, bool simd, float* sum) {
  int x = 0;
#if HBPREP_RESIZE_SIMD
  if (simd) {
    const F4 b = SetF4(beta);
    if (first) {
      for (; x + 4 <= n; x += 4) StoreF4(sum + x, Mul(b, LoadF4(buf + x)));
    } else {
      for (; x + 4 <= n; x += 4) StoreF4(sum + x, Add(LoadF4(sum + x), Mul(b, LoadF4(buf + x))));
    }
  }
#else
  (void)simd;
#endif
  if (first) {
    for (; x < n; ++x) sum[x] = beta * buf[x];
  } else {
    for (; x < n; ++x) sum[x] += beta * buf[x];
  }
}

}  // namespace

template <typename T>
void ExactResizer::RunArea(const uint8_t* src, ptrdiff_t src_stride, uint8_t* dst,
                           ptrdiff_t dst_stride, int row_begin, int row_end) const {
  const int cn = shape_.channels;
  const int dst_w = shape_.dst_width;
  const int n = dst_w * cn;
  const bool simd = HBPREP_RESIZE_SIMD && !portable_only_;
  std::vector<float> buf(static_cast<size_t>(n));
  std::vector<float> sum_row(std::is_same<T, float>::value ? 0 : static_cast<size_t>(n));
  for (int dy = row_begin; dy < row_end; ++dy) {
    // Float rows accumulate in place; 8-bit ones in a float row, rounded at the end.
    float* sum = std::is_same<T, float>::value ? reinterpret_cast<float*>(dst + dy * dst_stride)
                                               : sum_row.data();
    for (int e = ystart_[dy]; e < ystart_[dy + 1]; ++e) {
      const T* s = reinterpret_cast<const T*>(src + ysrc_[e] * src_stride);
      int dx = 0;
#if HBPREP_RESIZE_SIMD
      if (simd && cn >= 2) {
        HorizontalAreaPixels(s, xstart_.data(), xsrc_.data(), xalpha_.data(), cn, 0, xsimd_end_,
                             buf.data());
        dx = xsimd_end_;
      } else if (simd && !group_start_.empty()) {
        HorizontalAreaGroupsU8(reinterpret_cast<const uint8_t*>(s), group_start_.data(),
                               group_src_.data(), group_alpha_.data(), dst_w, buf.data());
        dx = dst_w;
      }
#endif
      HorizontalArea(s, xstart_.data(), xsrc_.data(), xalpha_.data(), cn, dx, dst_w, buf.data());
      // A row's first source row sets the sums, except the image's first row, whose sums
      // OpenCV starts at 0 and adds to (the same but for -0: an underflow to -0 becomes +0).
      const bool first = e == ystart_[dy];
      if (first && dy == 0) std::fill(sum, sum + n, 0.f);
      AreaAccumulate(buf.data(), yalpha_[e], n, first && dy > 0, simd, sum);
    }
    if (!std::is_same<T, float>::value) {
      uint8_t* out = dst + dy * dst_stride;
      int x = 0;
#if HBPREP_RESIZE_SIMD
      if (simd) {
        for (; x + 8 <= n; x += 8) StoreBytes8(out + x, LoadF4(sum + x), LoadF4(sum + x + 4));
      }
#endif
      for (; x < n; ++x) out[x] = RoundToByte(sum[x]);
    }
  }
}

}  // namespace hbprep
