#include "adapters/scale.h"

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "adapters/resize.h"
#include "gtest/gtest.h"
#include "opencv2/core.hpp"
#include "opencv2/imgproc.hpp"

// Held against hbprep::Resize, which is Debian 12's amd64 cv::resize (4.6.0) byte for byte on
// every architecture (resize_test.cc holds it there); the same file run under qemu-aarch64
// covers the NEON loops.
namespace hbprep {
namespace {

constexpr uint8_t kPadSentinel = 0xA5;

struct Case {
  int src_w, src_h, dst_w, dst_h, channels;
  int src_pad = 0;    // bytes past each source row
  int dst_pad = 0;    // bytes past each destination row (must stay untouched)
  bool flip = false;  // walk both planes bottom-up (negative strides)
};

std::string Describe(const Case& c) {
  return std::to_string(c.src_w) + "x" + std::to_string(c.src_h) + " -> " +
         std::to_string(c.dst_w) + "x" + std::to_string(c.dst_h) + " cn" +
         std::to_string(c.channels) + " src_pad " + std::to_string(c.src_pad) + " dst_pad " +
         std::to_string(c.dst_pad) + (c.flip ? " flipped" : "");
}

// Scales random content with `scaler` (Reset must accept the case) and with cv::resize, and
// compares every byte, padding included.
::testing::AssertionResult MatchesOpenCv(LinearScaler& scaler, const Case& c, std::mt19937& rng) {
  if (!scaler.Reset(c.src_w, c.src_h, c.dst_w, c.dst_h, c.channels)) {
    return ::testing::AssertionFailure() << Describe(c) << ": Reset refused";
  }
  const int src_row = c.src_w * c.channels, dst_row = c.dst_w * c.channels;
  const ptrdiff_t src_stride = src_row + c.src_pad, dst_stride = dst_row + c.dst_pad;
  std::vector<uint8_t> src(static_cast<size_t>(src_stride) * c.src_h);
  std::uniform_int_distribution<int> byte(0, 255);
  for (uint8_t& b : src) b = static_cast<uint8_t>(byte(rng));
  const int type = CV_8UC(c.channels);
  // A flipped plane starts at its last row and steps backwards; OpenCV sees the same rows
  // top-down through its own copy.
  const uint8_t* src_top = c.flip ? src.data() + (c.src_h - 1) * src_stride : src.data();
  const ptrdiff_t src_step = c.flip ? -src_stride : src_stride;
  cv::Mat src_mat(c.src_h, c.src_w, type);
  for (int y = 0; y < c.src_h; ++y) {
    std::copy(src_top + y * src_step, src_top + y * src_step + src_row, src_mat.ptr(y));
  }
  cv::Mat expected;
  Resize(src_mat, expected, cv::Size(c.dst_w, c.dst_h), cv::INTER_LINEAR);

  std::vector<uint8_t> dst(static_cast<size_t>(dst_stride) * c.dst_h, kPadSentinel);
  uint8_t* dst_top = c.flip ? dst.data() + (c.dst_h - 1) * dst_stride : dst.data();
  const ptrdiff_t dst_step = c.flip ? -dst_stride : dst_stride;
  scaler.Scale(src_top, src_step, dst_top, dst_step);
  for (int y = 0; y < c.dst_h; ++y) {
    const uint8_t* got = dst_top + y * dst_step;
    const uint8_t* want = expected.ptr(y);
    for (int x = 0; x < dst_row; ++x) {
      if (got[x] != want[x]) {
        return ::testing::AssertionFailure()
               << Describe(c) << ": first mismatch at row " << y << " byte " << x << " (pixel "
               << x / c.channels << " channel " << x % c.channels << "): got " << int{got[x]}
               << ", cv::resize " << int{want[x]};
      }
    }
    for (int x = dst_row; x < dst_stride; ++x) {
      if (got[x] != kPadSentinel) {
        return ::testing::AssertionFailure()
               << Describe(c) << ": padding byte " << x << " of row " << y << " written";
      }
    }
  }
  return ::testing::AssertionSuccess();
}

// Every test runs the SIMD loops (SSE2 or NEON, where built) and the portable ones.
class LinearScalerTest : public ::testing::TestWithParam<bool> {
 protected:
  LinearScalerTest() { scaler_.set_portable_only(GetParam()); }

  // Holds the case against cv::resize, or against Reset's refusal where cv::resize takes
  // INTER_AREA (an exact 2x reduction both ways).
  void Check(const Case& c) {
    if (c.src_w == 2 * c.dst_w && c.src_h == 2 * c.dst_h) {
      EXPECT_FALSE(scaler_.Reset(c.src_w, c.src_h, c.dst_w, c.dst_h, c.channels)) << Describe(c);
      return;
    }
    EXPECT_TRUE(MatchesOpenCv(scaler_, c, rng_));
  }

  LinearScaler scaler_;
  std::mt19937 rng_{20240611};
};

INSTANTIATE_TEST_SUITE_P(LinearScaler, LinearScalerTest, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& param_info) {
                           return param_info.param ? "Portable" : "Simd";
                         });

// Every destination width 1..64 from sources narrower and wider than it, around the SIMD
// loops' boundaries (8 and 16 elements, 8 pixels of two channels), for both channel counts.
TEST_P(LinearScalerTest, EveryDestinationWidthUpTo64) {
  for (int channels : {1, 2}) {
    for (int src_w : {1,  2,  3,  4,  5,  7,  8,   9,   15,  16,  17,  23,  24,  25,  31,  32,
                      33, 47, 48, 63, 64, 65, 100, 127, 128, 129, 255, 256, 257, 640, 1920}) {
      for (int dst_w = 1; dst_w <= 64; ++dst_w) {
        Check({src_w, 3, dst_w, 5, channels});
        Check({src_w, 9, dst_w, 4, channels});
      }
    }
  }
}

// Every destination height 1..64 from shorter and taller sources (rows clamped at both ends
// keep their weights).
TEST_P(LinearScalerTest, EveryDestinationHeightUpTo64) {
  for (int channels : {1, 2}) {
    for (int src_h : {1, 2, 3, 4, 7, 8, 16, 17, 33, 64, 100, 1080}) {
      for (int dst_h = 1; dst_h <= 64; ++dst_h) {
        Check({7, src_h, 11, dst_h, channels});
        Check({37, src_h, 19, dst_h, channels});
      }
    }
  }
}

// Destination widths around multiples of 8, 16 and 32 elements up to 300, from the real
// source widths.
TEST_P(LinearScalerTest, WideDestinations) {
  for (int channels : {1, 2}) {
    const int src_w = channels == 1 ? 1920 : 960;
    for (int dst_w = 65; dst_w <= 300; ++dst_w) Check({src_w, 6, dst_w, 3, channels});
  }
}

// Random sizes, strides and orientation.
TEST_P(LinearScalerTest, RandomSizesAndStrides) {
  std::mt19937 sizes(7);
  std::uniform_int_distribution<int> dim(1, 300), pad(0, 70), coin(0, 1);
  for (int i = 0; i < 400; ++i) {
    Case c{dim(sizes), dim(sizes), dim(sizes), dim(sizes), 1 + coin(sizes)};
    c.src_pad = pad(sizes);
    c.dst_pad = pad(sizes);
    c.flip = coin(sizes) == 1;
    Check(c);
  }
}

// One-pixel planes and lines, both ways.
TEST_P(LinearScalerTest, OnePixelPlanes) {
  for (int channels : {1, 2}) {
    for (int n : {1, 2, 3, 8, 17, 224}) {
      Check({1, 1, n, n, channels});
      Check({n, n, 1, 1, channels});
      Check({1, n, n, 1, channels});
      Check({n, 1, 1, n, channels});
      Check({1, 1, 1, n, channels});
      Check({n, 1, n, 3, channels});
    }
  }
}

// The pipeline's planes: NV12 at 1920x1080 in 2048-byte rows, to 224x224 written into padded
// rows (Y) and 112x112 (UV, two channels); a scaler reused over several frames; upscales to
// the same sizes.
TEST_P(LinearScalerTest, CameraPlanes) {
  for (int frame = 0; frame < 2; ++frame) {
    Check({1920, 1080, 224, 224, 1, 128, 32});
    Check({960, 540, 112, 112, 2, 128, 32});
  }
  Check({1920, 1080, 300, 300, 1, 128, 20});
  Check({960, 540, 150, 150, 2, 128, 20});
  Check({224, 224, 1920, 1080, 1, 0, 128});
  Check({112, 112, 960, 540, 2, 0, 128});
  Check({640, 480, 224, 224, 1, 0, 0});
}

// Equal sizes: cv::resize copies; so does the scaler.
TEST_P(LinearScalerTest, EqualSizesCopy) {
  Check({1920, 1080, 1920, 1080, 1, 128, 0});
  Check({960, 540, 960, 540, 2, 128, 16});
  Check({1, 1, 1, 1, 1, 3, 3});
  Check({5, 3, 5, 3, 2, 0, 1, true});
}

// Reset refuses exactly the exact 2x reductions both ways (and accepts 2x in one direction,
// 4x, or 2x plus one pixel); what cv::resize computes there is INTER_AREA's average.
TEST_P(LinearScalerTest, RefusesExactlyTheHalvings) {
  for (int channels : {1, 2}) {
    for (int w = 1; w <= 40; ++w) {
      for (int h = 1; h <= 12; ++h) {
        EXPECT_FALSE(scaler_.Reset(2 * w, 2 * h, w, h, channels)) << w << "x" << h;
        Check({2 * w, h, w, h, channels});
        Check({w, 2 * h, w, h, channels});
        Check({2 * w + 1, 2 * h, w, h, channels});
        Check({2 * w, 2 * h + 1, w, h, channels});
        Check({4 * w, 4 * h, w, h, channels});
      }
    }
    EXPECT_FALSE(scaler_.Reset(1920, 1080, 960, 540, channels));
  }
  cv::Mat src(1080, 1920, CV_8UC1), linear, area;
  cv::randu(src, 0, 256);
  cv::resize(src, linear, cv::Size(960, 540), 0, 0, cv::INTER_LINEAR);
  cv::resize(src, area, cv::Size(960, 540), 0, 0, cv::INTER_AREA);
  EXPECT_EQ(cv::norm(linear, area, cv::NORM_INF), 0) << "cv::resize's halving is INTER_AREA";
}

TEST_P(LinearScalerTest, RefusesArgumentsOutOfRange) {
  EXPECT_FALSE(scaler_.Reset(0, 10, 10, 10, 1));
  EXPECT_FALSE(scaler_.Reset(10, 10, 10, -1, 1));
  EXPECT_FALSE(scaler_.Reset(10, 10, 5, 7, 3));
  EXPECT_FALSE(scaler_.Reset(10, 10, 5, 7, 0));
  EXPECT_FALSE(scaler_.Reset(1 << 24, 2, 3, 3, 2));
}

// A scaler reset to smaller and larger sizes in turn keeps giving cv::resize's bytes (tables
// and row buffers are reused, never stale).
TEST_P(LinearScalerTest, ResetBetweenSizes) {
  for (int round = 0; round < 2; ++round) {
    Check({1920, 1080, 224, 224, 1, 128, 0});
    Check({300, 200, 64, 48, 2});
    Check({17, 5, 300, 9, 1});
    Check({960, 540, 112, 112, 2, 128, 0});
  }
}

}  // namespace
}  // namespace hbprep
