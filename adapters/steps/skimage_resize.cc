#include "adapters/steps/skimage_resize.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "opencv2/core.hpp"

// What the transformer computes, stage by stage, and so what this reproduces (NumPy 1.24,
// scikit-image 0.19.3 skimage/transform/_warps.py and skimage/_shared/utils.py, SciPy 1.10
// scipy/ndimage/_filters.py, _interpolation.py and src/ni_filters.c, ni_interpolation.c,
// ni_splines.c, ni_support.c):
//
// 1. Normalisation. image.min() and image.max() are scalars of the image's dtype. A uint8
//    image gives uint8 differences, image - im_min and im_max - im_min, and true division
//    turns them into float64 quotients; a float32 image stays float32 (float32 subtraction
//    and division). im_std then holds exactly 0 and 1 (the extremes divide by themselves).
// 2. skimage.transform.resize(im_std, (h, w), order) sees a float array, so
//    preserve_range=False changes nothing (img_as_float keeps float32 and float64) and its
//    dtype T (float64 or float32) is kept throughout. The output shape gains the channel
//    axis, (h, w, C); factors = input shape / output shape in float64, per axis (1 for the
//    channel axis). mode='reflect' is ndimage's 'mirror' (d c b | a b c d | c b a).
// 3. Anti-aliasing (any axis shrinks): scipy.ndimage.gaussian_filter with
//    sigma = max(0, (factor - 1) / 2) per axis, truncate 4.0, mode 'mirror'. Axes with
//    sigma <= 1e-15 are skipped, so only shrinking ones are filtered, axis 0 then axis 1,
//    each into an array of dtype T (the second pass reads the first's T values).
//    Kernel: radius r = int(4.0 * sigma + 0.5); phi = np.exp((-0.5 / sigma**2) * k**2) for
//    k = -r..r (NumPy's float64 exp, see NumpyExp below); phi / phi.sum() with NumPy's
//    pairwise sum. correlate1d finds it symmetric and computes, in float64 over a line
//    buffer extended by mirroring (a line of one element repeats it),
//      out = in[0] * w[0];  out += (in[-d] + in[d]) * w[d]  for d = r, r - 1, ..., 1.
// 4. scipy.ndimage.zoom(image, 1 / factors, order, mode='mirror', grid_mode=True):
//    - output shape round(n * (1 / (n / m))), which is m for every size here;
//    - order 2 and 3 first run spline_filter (float64 output) along axis 0, 1 and 2 (the
//      channel axis too), each line of more than one element in float64: a gain
//      (1 - z) * (1 - 1 / z) and one recursive pole z, with 'mirror' initial conditions;
//    - per axis and output index k, a coordinate ((k + 0.5) * zoom) - 0.5 with
//      zoom = n / m in float64, mirrored into the input (map_coordinate), a first tap
//      floor(c) - order / 2 (odd orders) or floor(c + 0.5) - order / 2 (even ones), taps
//      outside the axis mirrored, and B-spline weights of the coordinate's fraction (the
//      last weight being 1 minus the others). The channel axis is interpolated too, at
//      integer coordinates, with weights (1, 0), (1/8, 3/4, 1/8) or (1/6, 2/3, 1/6, ~0);
//    - every output element is one float64 sum over all (order + 1)^3 taps, rows outermost
//      and channels innermost, of ((value * w_row) * w_col) * w_channel, stored as T.
//      It is not separable: the products are formed per tap, so this code forms them so.
//    - the channel axis's prefilter line and its taps run in the array's channel order: for
//      a frame stored in the reverse order (SkimageChannels::kReversed) the prefilter runs
//      from the last stored channel to the first and each element sums its channel taps in
//      that order too. Otherwise orders 2 and 3 differ (the prefilter's causal sum starts at
//      the line's first element; the middle channel's taps, mirrored, are channels 0, 1, 2, 1
//      in the array's order), in the last float64 bit, which the float32 result keeps
//      where the values are tiny (and now and then as one float32 ulp elsewhere).
// 5. _clip_warp_output: np.clip to [im_std.min(), im_std.max()] = [0, 1] in T.
// 6. resized * (im_max - im_min) + im_min: float64 for uint8 images (the uint8 scalars
//    widen), float32 for float32 ones; then .astype(np.float32).
// A constant image (im_max <= im_min) gives an array filled with im_min.
//
// SciPy's C code runs each stage over the whole image; here, for orders 0 and 1, the
// Gaussian runs only over the rows the interpolation reads (and its axis 1 pass only over
// the columns it reads), and for orders 2 and 3 the prefilter's axis 1 and 2 passes only
// over those rows: every element computed is computed by the same operations, the others
// are never read.

namespace hbprep {
namespace {

// --- NumPy's float64 exp ---------------------------------------------------------------
//
// np.exp on float64 arrays: with AVX512_SKX (AVX-512 F, CD, BW, DQ and VL, and OS support)
// NumPy 1.24 calls SVML's __svml_exp8 (it links SVML on Linux x86-64); otherwise the C
// library's exp (AVX512F-only CPUs, Xeon Phi, would take NumPy's own AVX512F_exp_DOUBLE:
// not reproduced). Debian's numpy build has SVML (numpy/core/_multiarray_umath exports
// __svml_exp8). SVML's main path, for |x| < 707.7 (the kernel's arguments lie in
// [-32, 0]), read from that build:
//   t = x * log2(e) + (1.5 * 2^48 + 1023) with one rounding toward zero, so that
//       n = t - shift is x * log2(e) floored to a multiple of 1/16 and t's low 4 bits
//       index a table of 2^(j / 16);
//   r = fma(-n, ln2_hi, x); r = fma(-ln2_lo, n, r);
//   p(r) = fma(r^3, fma(r^2, fma(a5, r, a4), fma(a3, r, a2)), fma(r^2, a1, r));
//   exp(x) = fma(T[j], p, T[j]) * 2^floor(n).
double Bits(uint64_t bits) {
  double d;
  std::memcpy(&d, &bits, sizeof d);
  return d;
}

double SvmlExp(double x) {
  static const double kTable[16] = {
      Bits(0x3ff0000000000000), Bits(0x3ff0b5586cf9890f), Bits(0x3ff172b83c7d517b),
      Bits(0x3ff2387a6e756238), Bits(0x3ff306fe0a31b715), Bits(0x3ff3dea64c123422),
      Bits(0x3ff4bfdad5362a27), Bits(0x3ff5ab07dd485429), Bits(0x3ff6a09e667f3bcd),
      Bits(0x3ff7a11473eb0187), Bits(0x3ff8ace5422aa0db), Bits(0x3ff9c49182a3f090),
      Bits(0x3ffae89f995ad3ad), Bits(0x3ffc199bdd85529c), Bits(0x3ffd5818dcfba487),
      Bits(0x3ffea4afa2a490da)};
  const double kLog2e = 0x1.71547652b82fep+0;
  const double kLn2Hi = 0x1.62e42fefa39efp-1;
  const double kLn2Lo = 0x1.abc9e3b39803fp-56;
  // The shifted sum lies in [2^48, 2^49), where doubles are 1/16 apart: rounding it toward
  // zero floors x * log2(e) (taken exactly: product plus its fma residual) to 1/16.
  const double product = x * kLog2e;
  const double residual = std::fma(x, kLog2e, -product);
  const double sixteenths = product * 16.0;  // exact: a power of two
  double floored = std::floor(sixteenths);
  if (floored == sixteenths && residual < 0) floored -= 1.0;
  const int64_t n16 = static_cast<int64_t>(floored);
  const double n = floored / 16.0;
  const double table = kTable[n16 & 15];
  double r = std::fma(-n, kLn2Hi, x);
  r = std::fma(-kLn2Lo, n, r);
  const double r2 = r * r;
  const double a = std::fma(0x1.72eb5ef0d213dp-10, r, 0x1.1106603d97c00p-7);
  const double b = std::fma(0x1.555564bb4f5f0p-5, r, 0x1.5555554b508a2p-3);
  const double r3 = r2 * r;
  const double c = std::fma(r2, 0x1.0000000002622p-1, r);
  double poly = std::fma(r2, a, b);
  poly = std::fma(r3, poly, c);
  poly = std::fma(table, poly, table);
  return std::ldexp(poly, static_cast<int>(n16 >> 4));  // vscalefpd: exact here
}

bool NumpyUsesSvml() {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512cd") &&
         __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
         __builtin_cpu_supports("avx512vl");
#else
  return false;
#endif
}

double NumpyExp(double x) {
  static const bool svml = NumpyUsesSvml();
  if (svml && std::fabs(x) < 707.0) return SvmlExp(x);
  return std::exp(x);
}

// NumPy's sum of a contiguous float64 array: 0.0 plus DOUBLE_pairwise_sum (plain
// accumulation below 8 elements, 8 accumulators up to 128, halves rounded to multiples
// of 8 above).
double PairwiseSum(const double* a, int64_t n) {
  if (n < 8) {
    double res = 0.0;
    for (int64_t i = 0; i < n; ++i) res += a[i];
    return res;
  }
  if (n <= 128) {
    double r[8];
    for (int j = 0; j < 8; ++j) r[j] = a[j];
    int64_t i = 8;
    for (; i < n - (n % 8); i += 8) {
      for (int j = 0; j < 8; ++j) r[j] += a[i + j];
    }
    double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; ++i) res += a[i];
    return res;
  }
  int64_t n2 = n / 2;
  n2 -= n2 % 8;
  return PairwiseSum(a, n2) + PairwiseSum(a + n2, n - n2);
}

// --- Index and weight tables --------------------------------------------------------------

// ni_support.c's NI_ExtendLine, mode 'mirror': index p of an extended line of `len`
// elements (a one-element line repeats it).
int64_t MirrorIndex(int64_t p, int64_t len) {
  if (len == 1) return 0;
  const int64_t period = 2 * len - 2;
  int64_t m = p % period;
  if (m < 0) m += period;
  return m >= len ? period - m : m;
}

// ni_interpolation.c's map_coordinate, mode 'mirror', with its mixed integer/double
// arithmetic (npy_intp casts truncate).
double MirrorCoordinate(double in, int64_t len) {
  if (in < 0) {
    if (len <= 1) return 0;
    const int64_t sz2 = 2 * len - 2;
    in = static_cast<double>(sz2 * static_cast<int64_t>(-in / static_cast<double>(sz2))) + in;
    return in <= static_cast<double>(1 - len) ? in + static_cast<double>(sz2) : -in;
  }
  if (in > static_cast<double>(len - 1)) {
    if (len <= 1) return 0;
    const int64_t sz2 = 2 * len - 2;
    in -= static_cast<double>(sz2 * static_cast<int64_t>(in / static_cast<double>(sz2)));
    if (in >= static_cast<double>(len)) in = static_cast<double>(sz2) - in;
  }
  return in;
}

// ni_splines.c's get_spline_interpolation_weights for orders 1 to 3.
void SplineWeights(double x, int order, double* w) {
  x -= std::floor((order & 1) ? x : x + 0.5);
  const double y = x;
  const double z = 1.0 - x;
  switch (order) {
    case 1:
      w[0] = 1.0 - x;
      break;
    case 2: {
      w[1] = 0.75 - x * x;
      const double yy = 0.5 - x;
      w[0] = 0.5 * yy * yy;
      break;
    }
    case 3:
      w[1] = (y * y * (y - 2.0) * 3.0 + 4.0) / 6.0;
      w[2] = (z * z * (z - 2.0) * 3.0 + 4.0) / 6.0;
      w[0] = z * z * z / 6.0;
      break;
    default:
      return;
  }
  w[order] = 1.0;
  for (int i = 0; i < order; ++i) w[order] -= w[i];
}

// One axis of the zoom: per output index, the order + 1 source indices and weights.
struct ZoomAxis {
  int taps = 0;
  std::vector<int64_t> index;
  std::vector<double> weight;
};

void MakeZoomAxis(int64_t in_len, int64_t out_len, int order, ZoomAxis& axis) {
  axis.taps = order + 1;
  axis.index.resize(static_cast<size_t>(out_len * axis.taps));
  axis.weight.assign(static_cast<size_t>(out_len * axis.taps), 0.0);
  const double zoom = static_cast<double>(in_len) / static_cast<double>(out_len);
  for (int64_t k = 0; k < out_len; ++k) {
    double cc = static_cast<double>(k);
    cc += 0.5;
    cc *= zoom;
    cc -= 0.5;
    cc = MirrorCoordinate(cc, in_len);
    const int64_t start = (order & 1) ? static_cast<int64_t>(std::floor(cc)) - order / 2
                                      : static_cast<int64_t>(std::floor(cc + 0.5)) - order / 2;
    const bool edge = start < 0 || start + order >= in_len;
    int64_t* index = axis.index.data() + k * axis.taps;
    for (int f = 0; f <= order; ++f) {
      index[f] = edge ? static_cast<int64_t>(
                            MirrorCoordinate(static_cast<double>(start + f), in_len))
                      : start + f;
    }
    if (order > 0) SplineWeights(cc, order, axis.weight.data() + k * axis.taps);
  }
}

// The channel axis for an image stored in the array's reverse channel order: stored
// channel m is the array's C - 1 - m, so its row of taps is that channel's, each tap mapped
// the same way. The taps keep the array's order, and so does each sum over them.
void ReverseChannelAxis(ZoomAxis& axis) {
  const int64_t taps = axis.taps;
  const int64_t n = static_cast<int64_t>(axis.index.size()) / taps;
  for (int64_t m = 0; 2 * m + 1 < n; ++m) {  // the middle row stays
    int64_t* a = axis.index.data() + m * taps;
    int64_t* b = axis.index.data() + (n - 1 - m) * taps;
    for (int64_t f = 0; f < taps; ++f) std::swap(a[f], b[f]);
    std::swap_ranges(axis.weight.begin() + m * taps, axis.weight.begin() + (m + 1) * taps,
                     axis.weight.begin() + (n - 1 - m) * taps);
  }
  for (int64_t& i : axis.index) i = n - 1 - i;
}

// One axis of the Gaussian: weights by distance from the centre, and the source index of
// every position of the mirrored line, offset by the radius.
struct GaussianAxis {
  bool active = false;
  int64_t radius = 0;
  std::vector<double> weights;
  std::vector<int64_t> source;
  std::vector<double> phi;  // the unnormalised kernel
};

void MakeGaussianAxis(int64_t in_len, int64_t out_len, GaussianAxis& g) {
  const double factor = static_cast<double>(in_len) / static_cast<double>(out_len);
  const double half = (factor - 1) / 2;
  const double sigma = half > 0 ? half : 0.0;
  g.active = sigma > 1e-15;
  if (!g.active) return;
  g.radius = static_cast<int64_t>(4.0 * sigma + 0.5);
  const int64_t size = 2 * g.radius + 1;
  const double scale = -0.5 / (sigma * sigma);
  g.phi.resize(static_cast<size_t>(size));
  for (int64_t i = 0; i < size; ++i) {
    const int64_t k = i - g.radius;
    g.phi[i] = NumpyExp(scale * static_cast<double>(k * k));
  }
  const double sum = PairwiseSum(g.phi.data(), size);
  g.weights.resize(static_cast<size_t>(g.radius + 1));
  for (int64_t d = 0; d <= g.radius; ++d) g.weights[d] = g.phi[g.radius + d] / sum;
  g.source.resize(static_cast<size_t>(in_len + 2 * g.radius));
  for (int64_t p = 0; p < in_len + 2 * g.radius; ++p) {
    g.source[p] = MirrorIndex(p - g.radius, in_len);
  }
}

// Reads an array's element as the float64 the line buffers and the interpolation see.
struct Widen {
  template <typename V>
  double operator()(V v) const {
    return static_cast<double>(v);
  }
};

// The symmetric correlation of step 3 along axis 0, a whole row of `n` elements at once:
// out[l] from the rows tap(d) (d = -radius..radius), in the order correlate1d sums them.
template <typename In, typename Out, typename Tap, typename Load>
void CorrelateRows(const GaussianAxis& g, int64_t n, Tap tap, Load load, double* acc,
                   Out* out) {
  const In* centre = tap(0);
  const double w0 = g.weights[0];
  for (int64_t l = 0; l < n; ++l) acc[l] = load(centre[l]) * w0;
  for (int64_t d = g.radius; d >= 1; --d) {
    const In* lo = tap(-d);
    const In* hi = tap(d);
    const double w = g.weights[d];
    for (int64_t l = 0; l < n; ++l) acc[l] += (load(lo[l]) + load(hi[l])) * w;
  }
  for (int64_t l = 0; l < n; ++l) out[l] = static_cast<Out>(acc[l]);
}

// The same along axis 1 for the listed columns of one row, from its mirrored line buffer
// (`centre` is the line's element 0, `step` the distance between columns).
template <typename Out>
void CorrelateLine(const GaussianAxis& g, const double* centre, int64_t step,
                   const std::vector<int64_t>& columns, Out* out) {
  for (int64_t x : columns) {
    for (int64_t ch = 0; ch < step; ++ch) {
      const double* c = centre + x * step + ch;
      double acc = c[0] * g.weights[0];
      for (int64_t d = g.radius; d >= 1; --d) acc += (c[-d * step] + c[d * step]) * g.weights[d];
      out[x * step + ch] = static_cast<Out>(acc);
    }
  }
}

// ni_splines.c's apply_filter, mode 'mirror', one pole (orders 2 and 3), on `lanes`
// lines at once: element i of lane l at c[i * stride + l * lane_stride].
void SplineFilter(double* c, int64_t n, int64_t stride, int64_t lanes, int64_t lane_stride,
                  double z, double* acc) {
  if (n <= 1) return;  // NI_SplineFilter1D leaves such lines alone
  auto at = [&](int64_t i, int64_t l) -> double& { return c[i * stride + l * lane_stride]; };
  const double gain = 1.0 * ((1.0 - z) * (1.0 - 1.0 / z));
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t l = 0; l < lanes; ++l) at(i, l) *= gain;
  }
  // Causal initialisation.
  const double z_n_1 = std::pow(z, static_cast<double>(n - 1));
  for (int64_t l = 0; l < lanes; ++l) acc[l] = at(0, l) + z_n_1 * at(n - 1, l);
  double z_i = z;
  for (int64_t i = 1; i < n - 1; ++i) {
    for (int64_t l = 0; l < lanes; ++l) acc[l] += z_i * (at(i, l) + z_n_1 * at(n - 1 - i, l));
    z_i *= z;
  }
  const double denominator = 1 - z_n_1 * z_n_1;
  for (int64_t l = 0; l < lanes; ++l) at(0, l) = acc[l] / denominator;
  for (int64_t i = 1; i < n; ++i) {
    for (int64_t l = 0; l < lanes; ++l) at(i, l) += z * at(i - 1, l);
  }
  // Anticausal initialisation, then the backward pass.
  for (int64_t l = 0; l < lanes; ++l) {
    at(n - 1, l) = (z * at(n - 2, l) + at(n - 1, l)) * z / (z * z - 1);
  }
  for (int64_t i = n - 2; i >= 0; --i) {
    for (int64_t l = 0; l < lanes; ++l) at(i, l) = z * (at(i + 1, l) - at(i, l));
  }
}

// Step 4's sum over the taps, step 5's clip and step 6 for every output element. `rows`
// gives the source rows (only those the row table names are read), `load` their values.
template <typename T, typename Source, typename Load, typename Final>
void Interpolate(const std::vector<const Source*>& rows, Load load, int64_t channels,
                 int order, const ZoomAxis& zy, const ZoomAxis& zx, const ZoomAxis& zc,
                 Final final, cv::Mat& dst) {
  const int taps = order + 1;
  for (int oy = 0; oy < dst.rows; ++oy) {
    const int64_t* iy = zy.index.data() + oy * taps;
    const double* wy = zy.weight.data() + oy * taps;
    float* out = dst.ptr<float>(oy);
    for (int ox = 0; ox < dst.cols; ++ox) {
      const int64_t* ix = zx.index.data() + ox * taps;
      const double* wx = zx.weight.data() + ox * taps;
      for (int64_t ch = 0; ch < channels; ++ch) {
        const int64_t* ic = zc.index.data() + ch * taps;
        const double* wc = zc.weight.data() + ch * taps;
        double t = 0.0;
        for (int f0 = 0; f0 < taps; ++f0) {
          const Source* row = rows[iy[f0]];
          for (int f1 = 0; f1 < taps; ++f1) {
            const Source* pixel = row + ix[f1] * channels;
            for (int f2 = 0; f2 < taps; ++f2) {
              double coeff = load(pixel[ic[f2]]);
              if (order > 0) {
                coeff *= wy[f0];
                coeff *= wx[f1];
                coeff *= wc[f2];
              }
              t += coeff;
            }
          }
        }
        T v = static_cast<T>(t);
        // np.clip: max(v, 0) then min(v, 1), each keeping v unless it compares past.
        v = v > T(0) ? v : T(0);
        v = v < T(1) ? v : T(1);
        out[ox * channels + ch] = final(v);
      }
    }
  }
}

}  // namespace

// Working arrays and tables, kept from call to call.
struct SkimageResizer::Scratch {
  ZoomAxis zy, zx, zc;
  GaussianAxis gy, gx;
  std::vector<char> read;              // per source row: does the interpolation read it
  std::vector<char> read_columns;      // the same per source column (all, for orders 2, 3)
  std::vector<int64_t> gauss_rows;     // the rows the Gaussian passes compute
  std::vector<int64_t> gauss_columns;  // the columns the axis 1 pass computes
  double quotient[256] = {};           // uint8 images: im_std of each byte value
  std::vector<float> normalized;       // float32 images: im_std
  std::vector<float> blurred_float;    // the Gaussian's output rows (gauss_rows), of T
  std::vector<double> blurred_double;
  std::vector<double> acc, line, coefficients, lanes;
  std::vector<const uint8_t*> rows_u8;       // uint8 images: the source's rows
  std::vector<const float*> rows_float;      // float32 images: normalized's rows
  std::vector<const float*> blurred_rows_float;  // per source row, or null
  std::vector<const double*> blurred_rows_double;
  std::vector<const double*> coefficient_rows;   // per source row, or null

  std::vector<float>& Blurred(float) { return blurred_float; }
  std::vector<double>& Blurred(double) { return blurred_double; }
  std::vector<const float*>& BlurredRows(float) { return blurred_rows_float; }
  std::vector<const double*>& BlurredRows(double) { return blurred_rows_double; }
};

namespace {

// Steps 2 to 6. `in` holds im_std's rows (H x W x C, read through `load`), T is im_std's
// dtype; `reversed`: the array's channel c is in's channel C - 1 - c.
template <typename T, typename In, typename Load, typename Final>
void ResizeNormalized(SkimageResizer::Scratch& s, const std::vector<const In*>& in, Load load,
                      int64_t in_w, int64_t channels, bool reversed, int order, Final final,
                      cv::Mat& dst) {
  const int64_t in_h = static_cast<int64_t>(in.size());
  const int64_t row_len = in_w * channels;
  MakeZoomAxis(in_h, dst.rows, order, s.zy);
  MakeZoomAxis(in_w, dst.cols, order, s.zx);
  MakeZoomAxis(channels, channels, order, s.zc);
  if (reversed) ReverseChannelAxis(s.zc);
  MakeGaussianAxis(in_h, dst.rows, s.gy);
  MakeGaussianAxis(in_w, dst.cols, s.gx);
  const GaussianAxis& gy = s.gy;
  const GaussianAxis& gx = s.gx;

  // What the interpolation reads; orders 2 and 3 prefilter whole columns and rows first,
  // so their Gaussian covers everything.
  s.read.assign(static_cast<size_t>(in_h), 0);
  for (int64_t y : s.zy.index) s.read[y] = 1;
  s.gauss_rows.clear();
  for (int64_t y = 0; y < in_h; ++y) {
    if (order > 1 || s.read[y]) s.gauss_rows.push_back(y);
  }
  s.read_columns.assign(static_cast<size_t>(in_w), order > 1 ? 1 : 0);
  for (int64_t x : s.zx.index) s.read_columns[x] = 1;
  s.gauss_columns.clear();
  for (int64_t x = 0; x < in_w; ++x) {
    if (s.read_columns[x]) s.gauss_columns.push_back(x);
  }

  // The interpolation's (or the prefilter's) source, read through `source_load`.
  auto finish = [&](const auto& rows, auto source_load) {
    if (order <= 1) {
      Interpolate<T>(rows, source_load, channels, order, s.zy, s.zx, s.zc, final, dst);
      return;
    }
    // spline_filter into float64, axis 0 over whole columns, then axes 1 and 2 over the
    // rows the interpolation reads.
    const double pole = order == 2 ? -0.171572875253809902396622551580603843
                                   : -0.267949192431122706472553658494127633;
    s.coefficients.resize(static_cast<size_t>(in_h * row_len));
    for (int64_t y = 0; y < in_h; ++y) {
      double* out = s.coefficients.data() + y * row_len;
      for (int64_t i = 0; i < row_len; ++i) out[i] = source_load(rows[y][i]);
    }
    s.lanes.resize(static_cast<size_t>(std::max(row_len, in_w)));
    SplineFilter(s.coefficients.data(), in_h, row_len, row_len, 1, pole, s.lanes.data());
    s.coefficient_rows.assign(static_cast<size_t>(in_h), nullptr);
    for (int64_t y = 0; y < in_h; ++y) {
      if (!s.read[y]) continue;
      double* row = s.coefficients.data() + y * row_len;
      SplineFilter(row, in_w, channels, channels, 1, pole, s.lanes.data());
      // Along the channels in the array's order: from the last stored one when reversed.
      if (reversed) {
        SplineFilter(row + (channels - 1), channels, -1, in_w, channels, pole, s.lanes.data());
      } else {
        SplineFilter(row, channels, 1, in_w, channels, pole, s.lanes.data());
      }
      s.coefficient_rows[y] = row;
    }
    Interpolate<T>(s.coefficient_rows, Widen(), channels, order, s.zy, s.zx, s.zc, final,
                   dst);
  };

  if (!gy.active && !gx.active) {
    finish(in, load);
    return;
  }
  std::vector<T>& blurred = s.Blurred(T());
  blurred.resize(s.gauss_rows.size() * row_len);
  s.acc.resize(static_cast<size_t>(row_len));
  if (gy.active) {
    for (size_t k = 0; k < s.gauss_rows.size(); ++k) {
      const int64_t* source = gy.source.data() + s.gauss_rows[k] + gy.radius;
      CorrelateRows<In>(gy, row_len, [&](int64_t d) { return in[source[d]]; }, load,
                        s.acc.data(), blurred.data() + k * row_len);
    }
  }
  if (gx.active) {
    // One mirrored line per row, C channels interleaved; the row is written back in place.
    s.line.resize(static_cast<size_t>((in_w + 2 * gx.radius) * channels));
    for (size_t k = 0; k < s.gauss_rows.size(); ++k) {
      T* row = blurred.data() + k * row_len;
      for (int64_t p = 0; p < in_w + 2 * gx.radius; ++p) {
        const int64_t offset = gx.source[p] * channels;
        double* to = s.line.data() + p * channels;
        if (gy.active) {
          for (int64_t ch = 0; ch < channels; ++ch) to[ch] = row[offset + ch];
        } else {
          const In* from = in[s.gauss_rows[k]] + offset;
          for (int64_t ch = 0; ch < channels; ++ch) to[ch] = load(from[ch]);
        }
      }
      CorrelateLine(gx, s.line.data() + gx.radius * channels, channels, s.gauss_columns, row);
    }
  }
  std::vector<const T*>& rows = s.BlurredRows(T());
  rows.assign(static_cast<size_t>(in_h), nullptr);
  for (size_t k = 0; k < s.gauss_rows.size(); ++k) {
    rows[s.gauss_rows[k]] = blurred.data() + k * row_len;
  }
  finish(rows, Widen());
}

absl::Status CheckArguments(const cv::Mat& src, int height, int width, int order) {
  if (order < 0 || order > 3) {
    return absl::InvalidArgumentError(
        absl::StrCat("skimage resize: order ", order, " is not one of 0, 1, 2, 3"));
  }
  if (height <= 0 || width <= 0) {
    return absl::InvalidArgumentError(absl::StrCat("skimage resize: target size ", height,
                                                   " x ", width, " is not positive"));
  }
  if (src.empty() || src.dims != 2) {
    return absl::InvalidArgumentError("skimage resize: the image is empty");
  }
  if (src.channels() != 1 && src.channels() != 3) {
    return absl::InvalidArgumentError(
        absl::StrCat("skimage resize: ", src.channels(), " channels (needs 1 or 3)"));
  }
  if (src.depth() != CV_8U && src.depth() != CV_32F) {
    return absl::InvalidArgumentError(absl::StrCat("skimage resize: OpenCV depth ",
                                                   src.depth(), " (needs CV_8U or CV_32F)"));
  }
  return absl::OkStatus();
}

}  // namespace

SkimageResizer::SkimageResizer() : scratch_(std::make_unique<Scratch>()) {}
SkimageResizer::~SkimageResizer() = default;
SkimageResizer::SkimageResizer(SkimageResizer&&) noexcept = default;
SkimageResizer& SkimageResizer::operator=(SkimageResizer&&) noexcept = default;

absl::Status SkimageResizer::Resize(const cv::Mat& src, int height, int width, int order,
                                    SkimageChannels channel_order, cv::Mat& dst) {
  absl::Status status = CheckArguments(src, height, width, order);
  if (!status.ok()) return status;
  Scratch& s = *scratch_;
  const int channels = src.channels();
  const int64_t in_h = src.rows;
  const int64_t in_w = src.cols;
  const int64_t row_len = in_w * channels;
  const int type = CV_MAKETYPE(CV_32F, channels);
  const bool reversed = channel_order == SkimageChannels::kReversed && channels > 1;
  const cv::Mat elements = src.reshape(1);  // H x (W * C), one channel
  // image.min() and image.max() (the same values; only a constant image of mixed +0 and -0
  // could fill with the other zero).
  double lo_value = 0, hi_value = 0;
  cv::minMaxIdx(elements, &lo_value, &hi_value);

  if (src.depth() == CV_8U) {
    const uint8_t lo = static_cast<uint8_t>(lo_value);
    const uint8_t hi = static_cast<uint8_t>(hi_value);
    if (!(hi > lo)) {
      dst.create(height, width, type);
      dst.setTo(cv::Scalar::all(lo));
      return absl::OkStatus();
    }
    // uint8 differences, then float64 true division.
    const uint8_t range = static_cast<uint8_t>(hi - lo);
    for (int v = lo; v <= 255; ++v) {
      s.quotient[v] =
          static_cast<double>(static_cast<uint8_t>(v - lo)) / static_cast<double>(range);
    }
    s.rows_u8.resize(static_cast<size_t>(in_h));
    for (int y = 0; y < src.rows; ++y) s.rows_u8[y] = src.ptr<uint8_t>(y);
    // uint8 images are read in place while the result is written: into a new array when
    // dst holds src's memory (or is src).
    const bool shared =
        dst.data != nullptr && dst.datastart < src.dataend && src.datastart < dst.dataend;
    cv::Mat out = shared ? cv::Mat() : dst;
    out.create(height, width, type);
    // float64 * uint8 scalar + uint8 scalar stays float64; then astype(float32).
    const double scale = range;
    const double offset = lo;
    const double* quotient = s.quotient;
    ResizeNormalized<double>(
        s, s.rows_u8, [quotient](uint8_t v) { return quotient[v]; }, in_w, channels, reversed,
        order, [scale, offset](double r) { return static_cast<float>(r * scale + offset); }, out);
    dst = out;
    return absl::OkStatus();
  }

  // NaN and infinity are refused (minMaxIdx's extremes are then meaningless); the scan for
  // them runs only when the extremes or the normalisation below saw one.
  auto refuse_nonfinite = [&]() {
    for (int y = 0; y < src.rows; ++y) {
      const float* row = src.ptr<float>(y);
      for (int64_t i = 0; i < row_len; ++i) {
        if (!std::isfinite(row[i])) {
          return absl::InvalidArgumentError(absl::StrCat("skimage resize: element ",
                                                         y * row_len + i, " is ", row[i],
                                                         " (needs finite values)"));
        }
      }
    }
    return absl::OkStatus();
  };
  const float lo = static_cast<float>(lo_value);
  const float hi = static_cast<float>(hi_value);
  if (!(hi > lo)) {
    status = refuse_nonfinite();
    if (!status.ok()) return status;
    dst.create(height, width, type);
    dst.setTo(cv::Scalar::all(lo));
    return absl::OkStatus();
  }
  // float32 differences and float32 division.
  const float range = hi - lo;
  s.normalized.resize(static_cast<size_t>(in_h * row_len));
  s.rows_float.resize(static_cast<size_t>(in_h));
  int nonfinite = 0;
  for (int y = 0; y < src.rows; ++y) {
    const float* row = src.ptr<float>(y);
    float* out = s.normalized.data() + y * row_len;
    for (int64_t i = 0; i < row_len; ++i) {
      out[i] = (row[i] - lo) / range;
      nonfinite |= !(std::fabs(row[i]) <= std::numeric_limits<float>::max());
    }
    s.rows_float[y] = out;
  }
  if (nonfinite) return refuse_nonfinite();
  dst.create(height, width, type);  // src was read in full: dst may be src
  // float32 * float32 scalar + float32 scalar.
  ResizeNormalized<float>(
      s, s.rows_float, Widen(), in_w, channels, reversed, order,
      [range, lo](float r) { return r * range + lo; }, dst);
  return absl::OkStatus();
}

absl::Status SkimageResize(const cv::Mat& src, int height, int width, int order,
                           SkimageChannels channels, cv::Mat& dst) {
  SkimageResizer resizer;
  return resizer.Resize(src, height, width, order, channels, dst);
}

}  // namespace hbprep
