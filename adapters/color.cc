#include "hbprep/color.h"

#include <algorithm>
#include <cmath>
#include <cstddef>

namespace hbprep {
namespace {

// Evaluated left to right like numpy, in T (double for "calc", float for "calc_f32").
template <typename T>
inline T Y(T r, T g, T b) {
  return T(0.299) * r + T(0.587) * g + T(0.114) * b;
}
template <typename T>
inline T U(T r, T g, T b) {
  return T(-0.169) * r - T(0.331) * g + T(0.5) * b + T(128);
}
template <typename T>
inline T V(T r, T g, T b) {
  return T(0.5) * r - T(0.419) * g - T(0.081) * b + T(128);
}

// Truncation toward zero, like astype(np.uint8) on values in [0, 255.5].
template <typename T>
inline uint8_t Trunc(T value) {
  return value >= T(255) ? 255 : static_cast<uint8_t>(value);
}

// Offsets of R and B within a pixel.
struct Order {
  int r, b;
};
inline Order OffsetsOf(ChannelOrder order) {
  return order == ChannelOrder::kBgr ? Order{2, 0} : Order{0, 2};
}

// The channel offsets are template arguments, so that the compiler can vectorise the rows
// (the same IEEE operations per pixel, in the same order: the values do not change).
template <typename T, int kR, int kB>
void RgbToNv12(const uint8_t* src, int src_stride, uint8_t* dst_y, int dst_stride_y,
               uint8_t* dst_uv, int dst_stride_uv, int width, int height) {
  for (int row = 0; row < height; ++row) {
    const uint8_t* s = src + static_cast<int64_t>(row) * src_stride;
    uint8_t* y = dst_y + static_cast<int64_t>(row) * dst_stride_y;
    for (int x = 0; x < width; ++x) {
      y[x] = Trunc(Y<T>(s[3 * x + kR], s[3 * x + 1], s[3 * x + kB]));
    }
    if (row % 2 == 0) {  // chroma from the top-left pixel of each 2x2 block
      uint8_t* uv = dst_uv + static_cast<int64_t>(row / 2) * dst_stride_uv;
      for (int x = 0; x < (width + 1) / 2; ++x) {
        const T r = s[6 * x + kR], g = s[6 * x + 1], b = s[6 * x + kB];
        uv[2 * x] = Trunc(U<T>(r, g, b));
        uv[2 * x + 1] = Trunc(V<T>(r, g, b));
      }
    }
  }
}

template <typename T>
void RgbToNv12(const uint8_t* src, int src_stride, ChannelOrder order, uint8_t* dst_y,
               int dst_stride_y, uint8_t* dst_uv, int dst_stride_uv, int width, int height) {
  (order == ChannelOrder::kBgr ? RgbToNv12<T, 2, 0> : RgbToNv12<T, 0, 2>)(
      src, src_stride, dst_y, dst_stride_y, dst_uv, dst_stride_uv, width, height);
}

}  // namespace

double CalcY(double r, double g, double b) { return Y<double>(r, g, b); }
double CalcU(double r, double g, double b) { return U<double>(r, g, b); }
double CalcV(double r, double g, double b) { return V<double>(r, g, b); }

void RgbToNv12Calc(const uint8_t* src, int src_stride, ChannelOrder order, uint8_t* dst_y,
                   int dst_stride_y, uint8_t* dst_uv, int dst_stride_uv, int width, int height) {
  RgbToNv12<double>(src, src_stride, order, dst_y, dst_stride_y, dst_uv, dst_stride_uv, width,
                    height);
}

void RgbToNv12CalcF32(const uint8_t* src, int src_stride, ChannelOrder order, uint8_t* dst_y,
                      int dst_stride_y, uint8_t* dst_uv, int dst_stride_uv, int width, int height) {
  RgbToNv12<float>(src, src_stride, order, dst_y, dst_stride_y, dst_uv, dst_stride_uv, width,
                   height);
}

void RgbToYuv444Float(const uint8_t* src, int src_stride, ChannelOrder order, float* dst,
                      int dst_stride_floats, int width, int height) {
  const Order o = OffsetsOf(order);
  for (int row = 0; row < height; ++row) {
    const uint8_t* s = src + static_cast<int64_t>(row) * src_stride;
    float* d = dst + static_cast<int64_t>(row) * dst_stride_floats;
    for (int x = 0; x < width; ++x, s += 3, d += 3) {
      const double r = s[o.r], g = s[1], b = s[o.b];
      d[0] = static_cast<float>(Y<double>(r, g, b));
      d[1] = static_cast<float>(U<double>(r, g, b));
      d[2] = static_cast<float>(V<double>(r, g, b));
    }
  }
}

void RgbToGrayFloat(const uint8_t* src, int src_stride, ChannelOrder order, float* dst,
                    int dst_stride_floats, int width, int height) {
  const Order o = OffsetsOf(order);
  for (int row = 0; row < height; ++row) {
    const uint8_t* s = src + static_cast<int64_t>(row) * src_stride;
    float* d = dst + static_cast<int64_t>(row) * dst_stride_floats;
    for (int x = 0; x < width; ++x, s += 3) {
      d[x] = static_cast<float>(Y<double>(s[o.r], s[1], s[o.b]));
    }
  }
}

void FloatRgbToNv12Calc(const float* src, int src_stride_floats, ChannelOrder order,
                        bool single_precision, uint8_t* dst_y, int dst_stride_y, uint8_t* dst_uv,
                        int dst_stride_uv, int width, int height) {
  const Order o = OffsetsOf(order);
  auto run = [&](auto zero) {
    using T = decltype(zero);
    for (int row = 0; row < height; ++row) {
      const float* s = src + static_cast<int64_t>(row) * src_stride_floats;
      uint8_t* y = dst_y + static_cast<int64_t>(row) * dst_stride_y;
      for (int x = 0; x < width; ++x) {
        y[x] = AstypeUint8(Y<T>(s[3 * x + o.r], s[3 * x + 1], s[3 * x + o.b]));
      }
      if (row % 2 != 0) continue;
      uint8_t* uv = dst_uv + static_cast<int64_t>(row / 2) * dst_stride_uv;
      for (int x = 0; x < (width + 1) / 2; ++x) {
        const T r = s[6 * x + o.r], g = s[6 * x + 1], b = s[6 * x + o.b];
        uv[2 * x] = AstypeUint8(U<T>(r, g, b));
        uv[2 * x + 1] = AstypeUint8(V<T>(r, g, b));
      }
    }
  };
  if (single_precision) {
    run(0.0f);
  } else {
    run(0.0);
  }
}

void FloatRgbToYuv444F32(const float* src, int src_stride_floats, ChannelOrder order, float* dst,
                         int dst_stride_floats, int width, int height) {
  const Order o = OffsetsOf(order);
  for (int row = 0; row < height; ++row) {
    const float* s = src + static_cast<int64_t>(row) * src_stride_floats;
    float* d = dst + static_cast<int64_t>(row) * dst_stride_floats;
    for (int x = 0; x < width; ++x, s += 3, d += 3) {
      d[0] = Y<float>(s[o.r], s[1], s[o.b]);
      d[1] = U<float>(s[o.r], s[1], s[o.b]);
      d[2] = V<float>(s[o.r], s[1], s[o.b]);
    }
  }
}

void FloatRgbToGrayF32(const float* src, int src_stride_floats, ChannelOrder order, float* dst,
                       int dst_stride_floats, int width, int height) {
  const Order o = OffsetsOf(order);
  for (int row = 0; row < height; ++row) {
    const float* s = src + static_cast<int64_t>(row) * src_stride_floats;
    float* d = dst + static_cast<int64_t>(row) * dst_stride_floats;
    for (int x = 0; x < width; ++x, s += 3) d[x] = Y<float>(s[o.r], s[1], s[o.b]);
  }
}

namespace {

template <typename In, typename Out>
void Reorder(const In* src, int src_stride, ChannelOrder order, Out* dst, int dst_stride,
             int width, int height) {
  const bool swap = order == ChannelOrder::kRgb;
  for (int row = 0; row < height; ++row) {
    const In* s = src + static_cast<ptrdiff_t>(row) * src_stride;
    Out* d = dst + static_cast<ptrdiff_t>(row) * dst_stride;
    for (int x = 0; x < width; ++x, s += 3, d += 3) {
      d[0] = static_cast<Out>(s[swap ? 2 : 0]);
      d[1] = static_cast<Out>(s[1]);
      d[2] = static_cast<Out>(s[swap ? 0 : 2]);
    }
  }
}

}  // namespace

void ReorderChannels(const uint8_t* src, int src_stride, ChannelOrder order, uint8_t* dst,
                     int dst_stride, int width, int height) {
  Reorder(src, src_stride, order, dst, dst_stride, width, height);
}
void ReorderChannels(const uint8_t* src, int src_stride, ChannelOrder order, float* dst,
                     int dst_stride_floats, int width, int height) {
  Reorder(src, src_stride, order, dst, dst_stride_floats, width, height);
}
void ReorderChannels(const float* src, int src_stride_floats, ChannelOrder order, float* dst,
                     int dst_stride_floats, int width, int height) {
  Reorder(src, src_stride_floats, order, dst, dst_stride_floats, width, height);
}

void RgbToYuv444Calc(const uint8_t* src, int src_stride, ChannelOrder order, uint8_t* dst,
                     int dst_stride, int width, int height) {
  const bool bgr = order == ChannelOrder::kBgr;
  for (int row = 0; row < height; ++row) {
    const uint8_t* s = src + static_cast<ptrdiff_t>(row) * src_stride;
    uint8_t* d = dst + static_cast<ptrdiff_t>(row) * dst_stride;
    for (int x = 0; x < width; ++x, s += 3, d += 3) {
      const double r = s[bgr ? 2 : 0], g = s[1], b = s[bgr ? 0 : 2];
      d[0] = static_cast<uint8_t>(CalcY(r, g, b));
      d[1] = static_cast<uint8_t>(CalcU(r, g, b));
      d[2] = static_cast<uint8_t>(CalcV(r, g, b));
    }
  }
}

void RgbToGrayCalc(const uint8_t* src, int src_stride, ChannelOrder order, uint8_t* dst,
                   int dst_stride, int width, int height) {
  const bool bgr = order == ChannelOrder::kBgr;
  for (int row = 0; row < height; ++row) {
    const uint8_t* s = src + static_cast<ptrdiff_t>(row) * src_stride;
    uint8_t* d = dst + static_cast<ptrdiff_t>(row) * dst_stride;
    for (int x = 0; x < width; ++x, s += 3) {
      d[x] = static_cast<uint8_t>(CalcY(s[bgr ? 2 : 0], s[1], s[bgr ? 0 : 2]));
    }
  }
}

void Nv12ToYuv444(const uint8_t* y, int y_stride, const uint8_t* uv, int uv_stride, uint8_t* dst,
                  int dst_stride, int width, int height) {
  for (int row = 0; row < height; ++row) {
    const uint8_t* luma = y + static_cast<ptrdiff_t>(row) * y_stride;
    const uint8_t* chroma = uv + static_cast<ptrdiff_t>(row / 2) * uv_stride;
    uint8_t* d = dst + static_cast<ptrdiff_t>(row) * dst_stride;
    for (int x = 0; x < width; ++x, d += 3) {
      d[0] = luma[x];
      d[1] = chroma[(x / 2) * 2];
      d[2] = chroma[(x / 2) * 2 + 1];
    }
  }
}

void Nv12ToBgrJfif(const uint8_t* y, int y_stride, const uint8_t* uv, int uv_stride,
                   uint8_t* dst, int dst_stride, int width, int height) {
  auto clamp = [](double value) {
    return static_cast<uint8_t>(std::min(255.0, std::max(0.0, std::nearbyint(value))));
  };
  for (int row = 0; row < height; ++row) {
    const uint8_t* luma = y + static_cast<ptrdiff_t>(row) * y_stride;
    const uint8_t* chroma = uv + static_cast<ptrdiff_t>(row / 2) * uv_stride;
    uint8_t* out = dst + static_cast<ptrdiff_t>(row) * dst_stride;
    for (int x = 0; x < width; ++x, out += 3) {
      const double l = luma[x], u = chroma[(x / 2) * 2] - 128.0, v = chroma[(x / 2) * 2 + 1] - 128.0;
      out[0] = clamp(l + 1.772 * u);
      out[1] = clamp(l - 0.344136 * u - 0.714136 * v);
      out[2] = clamp(l + 1.402 * v);
    }
  }
}

}  // namespace hbprep
