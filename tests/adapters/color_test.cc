#include "hbprep/color.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "gtest/gtest.h"
#include "opencv2/core.hpp"
#include "opencv2/imgproc.hpp"

namespace hbprep {
namespace {

// Exact rational floor of the full-range formulas, in integers (coefficients x 1000).
int ExactY(int r, int g, int b) { return (299 * r + 587 * g + 114 * b) / 1000; }
int ExactU(int r, int g, int b) { return (-169 * r - 331 * g + 500 * b + 128000) / 1000; }
int ExactV(int r, int g, int b) { return (500 * r - 419 * g - 81 * b + 128000) / 1000; }

// Runs `kernel` over all 2^24 RGB triples: each triple fills one 2x2 block of a 2-row BGR
// image (so it feeds both Y and the block's chroma), 65,536 triples per call.
struct Outputs {
  std::vector<uint8_t> y, u, v;  // indexed by (r << 16) | (g << 8) | b
};
template <typename Kernel>
Outputs RunOverAllTriples(Kernel kernel) {
  Outputs out;
  out.y.resize(1 << 24);
  out.u.resize(1 << 24);
  out.v.resize(1 << 24);
  const int width = 2 * 65536;
  std::vector<uint8_t> bgr(static_cast<size_t>(width) * 3 * 2), y(width * 2), uv(width);
  for (int r = 0; r < 256; ++r) {
    for (int row = 0; row < 2; ++row) {
      uint8_t* p = bgr.data() + static_cast<size_t>(row) * width * 3;
      for (int gb = 0; gb < 65536; ++gb) {
        for (int k = 0; k < 2; ++k, p += 3) {
          p[0] = static_cast<uint8_t>(gb & 255);
          p[1] = static_cast<uint8_t>(gb >> 8);
          p[2] = static_cast<uint8_t>(r);
        }
      }
    }
    kernel(bgr.data(), width * 3, y.data(), width, uv.data(), width, width, 2);
    for (int gb = 0; gb < 65536; ++gb) {
      const int index = (r << 16) | gb;
      const uint8_t y0 = y[2 * gb];
      // Every pixel of the block holds the same triple, so all four Y agree.
      EXPECT_EQ(y0, y[2 * gb + 1]);
      EXPECT_EQ(y0, y[width + 2 * gb]);
      out.y[index] = y0;
      out.u[index] = uv[2 * gb];
      out.v[index] = uv[2 * gb + 1];
    }
  }
  return out;
}

Outputs RunRecipe(bool f32) {
  return RunOverAllTriples([f32](const uint8_t* src, int src_stride, uint8_t* y, int sy,
                                 uint8_t* uv, int suv, int w, int h) {
    (f32 ? RgbToNv12CalcF32 : RgbToNv12Calc)(src, src_stride, ChannelOrder::kBgr, y, sy, uv, suv, w,
                                             h);
  });
}

TEST(RgbToNv12Calc, MatchesTheFloat64FormulaOnAllRgbTriples) {
  const Outputs got = RunRecipe(false);
  // The reference: numpy's evaluation, `(0.299 * r + 0.587 * g + 0.114 * b).astype(uint8)`
  // on float64, written out here independently of the kernel.
  int y_off_exact = 0, u_off_exact = 0, v_off_exact = 0, mismatches = 0;
  for (int r = 0; r < 256; ++r) {
    for (int g = 0; g < 256; ++g) {
      for (int b = 0; b < 256; ++b) {
        const double dr = r, dg = g, db = b;
        volatile double y = 0.299 * dr;  // volatile: one rounding per operation, like numpy
        y = y + 0.587 * dg;
        y = y + 0.114 * db;
        volatile double u = -0.169 * dr;
        u = u - 0.331 * dg;
        u = u + 0.5 * db;
        u = u + 128.0;
        volatile double v = 0.5 * dr;
        v = v - 0.419 * dg;
        v = v - 0.081 * db;
        v = v + 128.0;
        const int index = (r << 16) | (g << 8) | b;
        mismatches += got.y[index] != static_cast<uint8_t>(static_cast<double>(y));
        mismatches += got.u[index] != static_cast<uint8_t>(static_cast<double>(u));
        mismatches += got.v[index] != static_cast<uint8_t>(static_cast<double>(v));
        y_off_exact += got.y[index] != ExactY(r, g, b);
        u_off_exact += got.u[index] != ExactU(r, g, b);
        v_off_exact += got.v[index] != ExactV(r, g, b);
      }
    }
  }
  EXPECT_EQ(mismatches, 0);
  // The float64 expression is not the exact rational floor: the documented counts.
  EXPECT_EQ(y_off_exact, 3464);
  EXPECT_EQ(u_off_exact, 1393);
  EXPECT_EQ(v_off_exact, 0);
}

TEST(RgbToNv12CalcF32, DiffersFromFloat64OnTheDocumentedTriples) {
  const Outputs f64 = RunRecipe(false), f32 = RunRecipe(true);
  int y_diff = 0, u_diff = 0, v_diff = 0, f32_ref_mismatch = 0;
  for (int i = 0; i < (1 << 24); ++i) {
    y_diff += f64.y[i] != f32.y[i];
    u_diff += f64.u[i] != f32.u[i];
    v_diff += f64.v[i] != f32.v[i];
    const float r = static_cast<float>(i >> 16), g = static_cast<float>((i >> 8) & 255),
                b = static_cast<float>(i & 255);
    volatile float y = 0.299f * r;
    y = y + 0.587f * g;
    y = y + 0.114f * b;
    f32_ref_mismatch += f32.y[i] != static_cast<uint8_t>(static_cast<float>(y));
  }
  EXPECT_EQ(y_diff, 3708);
  EXPECT_EQ(u_diff, 1393);
  EXPECT_EQ(v_diff, 0);
  EXPECT_EQ(f32_ref_mismatch, 0);
}

// The "opencv" recipe is cv::cvtColor(BGR2YUV_I420) itself; this pins down what it is on
// every triple: video range, chroma from the top-left pixel, within 0.5 of the BT.601
// video-range formulas (domain brief section 4).
TEST(OpencvI420, IsVideoRangeTopLeftChromaOnAllRgbTriples) {
  const Outputs got = RunOverAllTriples(
      [](const uint8_t* src, int src_stride, uint8_t* y, int sy, uint8_t* uv, int, int w, int h) {
        const cv::Mat bgr(h, w, CV_8UC3, const_cast<uint8_t*>(src), src_stride);
        cv::Mat i420;
        cv::cvtColor(bgr, i420, cv::COLOR_BGR2YUV_I420);
        const uint8_t* p = i420.ptr<uint8_t>();
        for (int r = 0; r < h; ++r) std::copy(p + r * w, p + (r + 1) * w, y + r * sy);
        const uint8_t* u = p + w * h;
        const uint8_t* v = u + (w / 2) * (h / 2);
        for (int i = 0; i < (w / 2) * (h / 2); ++i) uv[2 * i] = u[i], uv[2 * i + 1] = v[i];
      });
  double worst = 0;
  int y_min = 255, y_max = 0;
  for (int i = 0; i < (1 << 24); ++i) {
    const double r = i >> 16, g = (i >> 8) & 255, b = i & 255;
    const double y = 0.257 * r + 0.504 * g + 0.098 * b + 16;
    const double u = -0.148 * r - 0.291 * g + 0.439 * b + 128;
    const double v = 0.439 * r - 0.368 * g - 0.071 * b + 128;
    worst =
        std::max({worst, std::abs(got.y[i] - y), std::abs(got.u[i] - u), std::abs(got.v[i] - v)});
    y_min = std::min<int>(y_min, got.y[i]);
    y_max = std::max<int>(y_max, got.y[i]);
  }
  EXPECT_LE(worst, 0.5 + 1e-9);  // 0.5 exactly, up to float64 rounding of the formula
  EXPECT_EQ(y_min, 16);
  EXPECT_EQ(y_max, 235);
}

// A padded buffer: `guard` bytes of 0xA5 around every row, to catch writes outside.
struct Padded {
  Padded(int row_bytes, int rows, int guard_bytes)
      : stride(row_bytes + 2 * guard_bytes),
        guard(guard_bytes),
        bytes(static_cast<size_t>(stride) * rows + 1, 0xA5) {}
  uint8_t* row0() { return bytes.data() + 1 + guard; }  // +1: deliberately unaligned
  bool GuardsIntact(int row_bytes, int rows) const {
    for (int r = 0; r < rows; ++r) {
      const uint8_t* row = bytes.data() + 1 + static_cast<size_t>(r) * stride;
      for (int i = 0; i < guard; ++i) {
        if (row[i] != 0xA5 || row[guard + row_bytes + i] != 0xA5) return false;
      }
    }
    return bytes[0] == 0xA5;
  }
  int stride, guard;
  std::vector<uint8_t> bytes;
};

TEST(RgbToNv12Calc, OddSizesStridesUnalignedAndRgbOrder) {
  const int width = 7, height = 5;
  Padded src(width * 3, height, 5);
  for (int r = 0; r < height; ++r) {
    for (int i = 0; i < width * 3; ++i)
      src.row0()[r * src.stride + i] = static_cast<uint8_t>(r * 37 + i * 11);
  }
  const int cw = (width + 1) / 2, ch = (height + 1) / 2;
  Padded y(width, height, 3), uv(cw * 2, ch, 3);
  RgbToNv12Calc(src.row0(), src.stride, ChannelOrder::kRgb, y.row0(), y.stride, uv.row0(),
                uv.stride, width, height);
  EXPECT_TRUE(y.GuardsIntact(width, height));
  EXPECT_TRUE(uv.GuardsIntact(cw * 2, ch));
  for (int r = 0; r < height; ++r) {
    for (int x = 0; x < width; ++x) {
      const uint8_t* p = src.row0() + r * src.stride + x * 3;  // R, G, B
      EXPECT_EQ(y.row0()[r * y.stride + x], static_cast<uint8_t>(CalcY(p[0], p[1], p[2])));
    }
  }
  for (int r = 0; r < ch; ++r) {
    for (int x = 0; x < cw; ++x) {
      const uint8_t* p = src.row0() + 2 * r * src.stride + 2 * x * 3;  // top-left of the block
      EXPECT_EQ(uv.row0()[r * uv.stride + 2 * x], static_cast<uint8_t>(CalcU(p[0], p[1], p[2])));
      EXPECT_EQ(uv.row0()[r * uv.stride + 2 * x + 1],
                static_cast<uint8_t>(CalcV(p[0], p[1], p[2])));
    }
  }
}

TEST(RgbToYuv444Float, AndGrayFollowTheFloat64Formulas) {
  const uint8_t bgr[] = {10, 200, 30, 255, 0, 128};  // two BGR pixels
  float yuv[6], gray[2];
  RgbToYuv444Float(bgr, 6, ChannelOrder::kBgr, yuv, 6, 2, 1);
  RgbToGrayFloat(bgr, 6, ChannelOrder::kBgr, gray, 2, 2, 1);
  EXPECT_EQ(yuv[0], static_cast<float>(0.299 * 30 + 0.587 * 200 + 0.114 * 10));
  EXPECT_EQ(yuv[1], static_cast<float>(-0.169 * 30 - 0.331 * 200 + 0.5 * 10 + 128));
  EXPECT_EQ(yuv[2], static_cast<float>(0.5 * 30 - 0.419 * 200 - 0.081 * 10 + 128));
  EXPECT_EQ(yuv[3], static_cast<float>(0.299 * 128 + 0.587 * 0 + 0.114 * 255));
  EXPECT_EQ(gray[1], yuv[3]);
}

}  // namespace
}  // namespace hbprep

namespace hbprep {
namespace {

TEST(Color, Nv12ToYuv444RepeatsEachChromaPairOverItsBlock) {
  // 4x2 luma with a row stride of 6; 2 chroma pairs with a stride of 5.
  const uint8_t y[] = {1, 2, 3, 4, 0, 0, 5, 6, 7, 8, 0, 0};
  const uint8_t uv[] = {10, 20, 30, 40, 0};
  uint8_t out[2 * 12 + 4];
  std::memset(out, 0xEE, sizeof(out));
  Nv12ToYuv444(y, 6, uv, 5, out, 14, 4, 2);
  const uint8_t row0[] = {1, 10, 20, 2, 10, 20, 3, 30, 40, 4, 30, 40};
  const uint8_t row1[] = {5, 10, 20, 6, 10, 20, 7, 30, 40, 8, 30, 40};
  EXPECT_EQ(std::memcmp(out, row0, 12), 0);
  EXPECT_EQ(out[12], 0xEE);  // row padding untouched
  EXPECT_EQ(std::memcmp(out + 14, row1, 12), 0);
}

TEST(Color, ReorderChannelsAndTruncatedCalcOfEveryChannelValue) {
  // Every value in every channel position once: 256 pixels of (v, 255 - v, v / 2).
  std::vector<uint8_t> bgr(256 * 3);
  for (int v = 0; v < 256; ++v) {
    bgr[v * 3] = static_cast<uint8_t>(v);
    bgr[v * 3 + 1] = static_cast<uint8_t>(255 - v);
    bgr[v * 3 + 2] = static_cast<uint8_t>(v / 2);
  }
  std::vector<uint8_t> rgb(256 * 3), yuv(256 * 3), gray(256);
  std::vector<float> rgb_float(256 * 3);
  ReorderChannels(bgr.data(), 256 * 3, ChannelOrder::kRgb, rgb.data(), 256 * 3, 256, 1);
  ReorderChannels(bgr.data(), 256 * 3, ChannelOrder::kRgb, rgb_float.data(), 256 * 3, 256, 1);
  RgbToYuv444Calc(bgr.data(), 256 * 3, ChannelOrder::kBgr, yuv.data(), 256 * 3, 256, 1);
  RgbToGrayCalc(bgr.data(), 256 * 3, ChannelOrder::kBgr, gray.data(), 256, 256, 1);
  for (int v = 0; v < 256; ++v) {
    const double b = bgr[v * 3], g = bgr[v * 3 + 1], r = bgr[v * 3 + 2];
    ASSERT_EQ(rgb[v * 3], r);
    ASSERT_EQ(rgb[v * 3 + 2], b);
    ASSERT_EQ(rgb_float[v * 3 + 1], static_cast<float>(g));
    ASSERT_EQ(yuv[v * 3], static_cast<uint8_t>(CalcY(r, g, b)));
    ASSERT_EQ(yuv[v * 3 + 1], static_cast<uint8_t>(CalcU(r, g, b)));
    ASSERT_EQ(yuv[v * 3 + 2], static_cast<uint8_t>(CalcV(r, g, b)));
    ASSERT_EQ(gray[v], static_cast<uint8_t>(CalcY(r, g, b)));
  }
}

}  // namespace
}  // namespace hbprep
