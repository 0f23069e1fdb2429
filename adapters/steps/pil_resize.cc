#include "adapters/steps/pil_resize.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"
#include "hbprep/status_macros.h"

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
  return std::sin(x) / x *
         (static_cast<double>(0.54f) + static_cast<double>(0.46f) * std::cos(x));
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
}

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

// The vertical pass for one output row of `n` bytes from `count` rows and their weights; the
// sums are built tap by tap over the whole row in `acc` (integers: the order changes nothing).
void VerticalRow(const uint8_t* const* rows, const int32_t* weights, int count, int n,
                 int32_t* acc, uint8_t* out) {
  for (int e = 0; e < n; ++e) acc[e] = kHalf;
  for (int y = 0; y < count; ++y) {
    const uint8_t* r = rows[y];
    const int32_t w = weights[y];
    for (int e = 0; e < n; ++e) acc[e] += r[e] * w;
  }
  for (int e = 0; e < n; ++e) out[e] = Clip8(acc[e]);
}

// ImagingResampleInner for the default box: which passes run and their taps, checked before
// anything is written.
struct TwoPassPlan {
  bool need_horizontal = false;
  bool need_vertical = false;
  AxisTaps horizontal;
  AxisTaps vertical;
  int64_t window_bytes = 0;  // the ring of horizontally resampled rows, when both passes run
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
  const int64_t row_bytes = int64_t{width} * src.channels();
  plan.window_bytes = plan.vertical.max_count * row_bytes;
  if (plan.window_bytes > kMaxWindowBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "PIL resize from ", src.rows, " x ", src.cols, " to ", height, " x ", width, " keeps ",
        plan.vertical.max_count, " rows of ", row_bytes, " bytes in flight, more than ",
        kMaxWindowBytes, " bytes"));
  }
  return absl::OkStatus();
}

// The two passes: the horizontal one (when the width changes) feeds a ring of the last
// `max_count` resampled rows, enough for any output row since each row's window starts and
// ends no earlier than the previous one's; the vertical one (when the height changes) reads
// its window from there, or straight from the source.
void RunTwoPass(const cv::Mat& src, const TwoPassPlan& plan, cv::Mat& out) {
  const int row_bytes = out.cols * src.channels();
  const HorizontalFn horizontal = src.channels() == 3 ? HorizontalRow<3> : HorizontalRow<1>;
  if (!plan.need_vertical) {
    for (int y = 0; y < src.rows; ++y) {
      horizontal(src.ptr<uint8_t>(y), plan.horizontal, out.cols, out.ptr<uint8_t>(y));
    }
    return;
  }
  const AxisTaps& vertical = plan.vertical;
  const int window = vertical.max_count;
  std::vector<uint8_t> ring(static_cast<size_t>(plan.window_bytes));
  std::vector<const uint8_t*> rows(static_cast<size_t>(window));
  std::vector<int32_t> acc(static_cast<size_t>(row_bytes));
  int next = 0;  // the first source row the horizontal pass has not done
  for (int yy = 0; yy < out.rows; ++yy) {
    const int first = vertical.bounds[2 * static_cast<size_t>(yy)];
    const int count = vertical.bounds[2 * static_cast<size_t>(yy) + 1];
    for (int y = 0; y < count; ++y) {
      const int r = first + y;
      if (!plan.need_horizontal) {
        rows[y] = src.ptr<uint8_t>(r);
        continue;
      }
      uint8_t* slot = ring.data() + static_cast<size_t>(r % window) * row_bytes;
      if (r >= next) {
        horizontal(src.ptr<uint8_t>(r), plan.horizontal, out.cols, slot);
        next = r + 1;
      }
      rows[y] = slot;
    }
    VerticalRow(rows.data(), &vertical.weights[static_cast<size_t>(yy) * vertical.ksize], count,
                row_bytes, acc.data(), out.ptr<uint8_t>(yy));
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

absl::Status PilResize(const cv::Mat& src_arg, int height, int width, PilFilter filter,
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
    return absl::InvalidArgumentError(absl::StrCat("PIL resize to ", height, " x ", width,
                                                   ": sides must be from 1 to ",
                                                   kPilResizeMaxSide));
  }
  const FilterTraits& traits = TraitsOf(filter);
  const bool copy = height == src.rows && width == src.cols;  // Image.py: a copy
  TwoPassPlan plan;
  if (!copy && traits.function != nullptr) {
    HBPREP_RETURN_IF_ERROR(PlanTwoPass(src, height, width, traits, plan));
  }

  // Write into `dst` in place when it is kept and does not overlap the source; else into a
  // new image, copied into a kept `dst` at the end.
  const bool keeps_dst = dst.dims == 2 && dst.rows == height && dst.cols == width &&
                         dst.type() == src.type();
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
    RunTwoPass(src, plan, out);
  }
  if (out.data != dst.data) out.copyTo(dst);
  return absl::OkStatus();
}

}  // namespace hbprep
