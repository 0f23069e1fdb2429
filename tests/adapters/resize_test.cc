#include "adapters/resize.h"

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "adapters/resize_exact.h"
#include "gtest/gtest.h"
#include "opencv2/core.hpp"
#include "opencv2/imgproc.hpp"

// hbprep::Resize against Debian 12's amd64 cv::resize (OpenCV 4.6.0), byte for byte.
//
// On x86-64 every case is compared with the cv::resize this binary links, which is the
// reference, and each group's outputs are also folded into a digest held equal to a constant
// recorded here. Elsewhere (the aarch64 build under qemu, linking Debian's arm64 OpenCV, which
// fuses multiply-adds and so differs) only the digests are checked: they say whether Resize
// gave amd64's bytes there. A digest constant may only be changed after every case of its
// group matched cv::resize on x86-64.
namespace hbprep {
namespace {

#if defined(__x86_64__)
constexpr bool kCompareWithLinkedOpenCv = true;
#else
constexpr bool kCompareWithLinkedOpenCv = false;
#endif

// Inputs the same on every platform: xorshift64, floats made exactly from integers.
class Random {
 public:
  explicit Random(uint64_t seed) : state_(seed * 0x9E3779B97F4A7C15ull + 1) {}
  uint64_t Next() {
    state_ ^= state_ << 13;
    state_ ^= state_ >> 7;
    state_ ^= state_ << 17;
    return state_;
  }
  int Uniform(int n) { return static_cast<int>(Next() % static_cast<uint64_t>(n)); }

 private:
  uint64_t state_;
};

// 8-bit: uniform bytes. Float: multiples of 1/256 in [-100, 681) (fractional values, both
// signs, some exact zeros).
cv::Mat MakeImage(int width, int height, int type, Random& random) {
  cv::Mat m(height, width, type);
  const int n = width * m.channels();
  for (int y = 0; y < height; ++y) {
    if (m.depth() == CV_8U) {
      uint8_t* p = m.ptr<uint8_t>(y);
      for (int x = 0; x < n; ++x) p[x] = static_cast<uint8_t>(random.Next() >> 56);
    } else {
      float* p = m.ptr<float>(y);
      for (int x = 0; x < n; ++x) {
        p[x] = static_cast<float>(random.Uniform(200000) - 25600) / 256.0f;
      }
    }
  }
  return m;
}

const char* InterName(int interpolation) {
  switch (interpolation) {
    case cv::INTER_NEAREST:
      return "nearest";
    case cv::INTER_LINEAR:
      return "linear";
    case cv::INTER_CUBIC:
      return "cubic";
    case cv::INTER_AREA:
      return "area";
    default:
      return "other";
  }
}

std::string TypeName(int type) {
  return std::string(CV_MAT_DEPTH(type) == CV_8U ? "8UC" : "32FC") +
         std::to_string(CV_MAT_CN(type));
}

// One call: source size and type, the size asked (or empty and the scales).
struct Call {
  int src_w, src_h, type;
  cv::Size size;
  double fx = 0, fy = 0;
  int interpolation;
};

std::string Describe(const Call& c) {
  std::string s = std::to_string(c.src_w) + "x" + std::to_string(c.src_h) + " " + TypeName(c.type) +
                  " " + InterName(c.interpolation) + " -> ";
  if (c.size.empty()) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "fx %.17g fy %.17g", c.fx, c.fy);
    return s + buf;
  }
  return s + std::to_string(c.size.width) + "x" + std::to_string(c.size.height);
}

// FNV-1a over every output row's bytes, in call order.
class Digest {
 public:
  void Add(const cv::Mat& m) {
    const size_t row = m.cols * m.elemSize();
    for (int y = 0; y < m.rows; ++y) {
      const uint8_t* p = m.ptr<uint8_t>(y);
      for (size_t i = 0; i < row; ++i) hash_ = (hash_ ^ p[i]) * 1099511628211ull;
    }
    hash_ = (hash_ ^ static_cast<uint64_t>(m.cols) ^ (static_cast<uint64_t>(m.rows) << 32)) *
            1099511628211ull;
  }
  uint64_t value() const { return hash_; }

 private:
  uint64_t hash_ = 1469598103934665603ull;
};

// The first differing element of two images of the same size and type, or "".
std::string FirstDifference(const cv::Mat& got, const cv::Mat& want) {
  if (got.size() != want.size() || got.type() != want.type()) {
    return "size or type differs: " + std::to_string(got.cols) + "x" + std::to_string(got.rows) +
           " " + TypeName(got.type()) + " vs " + std::to_string(want.cols) + "x" +
           std::to_string(want.rows) + " " + TypeName(want.type());
  }
  const size_t row = got.cols * got.elemSize();
  const size_t elem = got.elemSize1();
  for (int y = 0; y < got.rows; ++y) {
    if (std::memcmp(got.ptr(y), want.ptr(y), row) == 0) continue;
    size_t i = 0;
    while (std::memcmp(got.ptr(y) + i * elem, want.ptr(y) + i * elem, elem) == 0) ++i;
    const int x = static_cast<int>(i) / got.channels(), c = static_cast<int>(i) % got.channels();
    char buf[160];
    if (got.depth() == CV_8U) {
      std::snprintf(buf, sizeof buf, "row %d pixel %d channel %d: got %d, cv::resize %d", y, x, c,
                    got.ptr<uint8_t>(y)[i], want.ptr<uint8_t>(y)[i]);
    } else {
      std::snprintf(buf, sizeof buf, "row %d pixel %d channel %d: got %.9g, cv::resize %.9g", y, x,
                    c, got.ptr<float>(y)[i], want.ptr<float>(y)[i]);
    }
    return buf;
  }
  return "";
}

// Runs hbprep::Resize on a fresh image for `c`, folds the result into `digest`, and (on
// x86-64) compares it with cv::resize.
::testing::AssertionResult ResizeMatches(const Call& c, Random& random, Digest& digest) {
  const cv::Mat src = MakeImage(c.src_w, c.src_h, c.type, random);
  cv::Mat got;
  Resize(src, got, c.size, c.fx, c.fy, c.interpolation);
  digest.Add(got);
  if (!kCompareWithLinkedOpenCv) return ::testing::AssertionSuccess();
  cv::Mat want;
  cv::resize(src, want, c.size, c.fx, c.fy, c.interpolation);
  const std::string diff = FirstDifference(got, want);
  if (diff.empty()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << Describe(c) << ": " << diff;
}

// Stops a group at its first failing case (one message names it) and returns the digest.
uint64_t RunGroup(const std::vector<Call>& calls, uint64_t seed) {
  Random random(seed);
  Digest digest;
  for (const Call& c : calls) {
    const ::testing::AssertionResult r = ResizeMatches(c, random, digest);
    if (!r) {
      ADD_FAILURE() << r.message();
      return 0;
    }
  }
  return digest.value();
}

#define EXPECT_DIGEST(got, want)                                                          \
  EXPECT_EQ(got, want) << std::hex << "digest 0x" << (got) << " of this group's outputs " \
                       << (kCompareWithLinkedOpenCv                                       \
                               ? "(every case matched cv::resize: update the constant)"   \
                               : "differs from amd64's: Resize's bytes are not amd64's here")

// Every source width 1..40 to every width 1..40, the heights running through 1..40 with them,
// and (`both_axes`) the same transposed, so that every size pair occurs along both axes.
std::vector<Call> EverySmallSize(int type, int interpolation, bool both_axes = true) {
  std::vector<Call> calls;
  for (int a = 1; a <= 40; ++a) {
    for (int b = 1; b <= 40; ++b) {
      const int p = 1 + (a * 7 + b) % 40, q = 1 + (b * 3 + a) % 40;
      calls.push_back({a, p, type, cv::Size(b, q), 0, 0, interpolation});
      if (both_axes) calls.push_back({p, a, type, cv::Size(q, b), 0, 0, interpolation});
    }
  }
  return calls;
}

TEST(Resize, AreaMatchesOpenCvOnEverySmallSize8U) {
  EXPECT_DIGEST(RunGroup(EverySmallSize(CV_8UC1, cv::INTER_AREA), 1), 0xf4572515ceee9b09ull);
  EXPECT_DIGEST(RunGroup(EverySmallSize(CV_8UC3, cv::INTER_AREA), 2), 0x3504254404733aabull);
}

TEST(Resize, CubicMatchesOpenCvOnEverySmallSize8U) {
  EXPECT_DIGEST(RunGroup(EverySmallSize(CV_8UC1, cv::INTER_CUBIC), 3), 0xd8aec1c22ef1a885ull);
  EXPECT_DIGEST(RunGroup(EverySmallSize(CV_8UC3, cv::INTER_CUBIC), 4), 0x76d6bb1d6795447eull);
}

// Float: every width pair (heights along with them), one orientation.
TEST(Resize, FloatMatchesOpenCvOnEverySmallSize) {
  EXPECT_DIGEST(RunGroup(EverySmallSize(CV_32FC1, cv::INTER_AREA, false), 5),
                0x6c1a837decaa467eull);
  EXPECT_DIGEST(RunGroup(EverySmallSize(CV_32FC3, cv::INTER_AREA, false), 6),
                0xef3c6f2e9538d613ull);
  EXPECT_DIGEST(RunGroup(EverySmallSize(CV_32FC1, cv::INTER_CUBIC, false), 7),
                0xada4a5e3c6c5d09bull);
  EXPECT_DIGEST(RunGroup(EverySmallSize(CV_32FC3, cv::INTER_CUBIC, false), 8),
                0x8a836e3ddb8f3837ull);
  EXPECT_DIGEST(RunGroup(EverySmallSize(CV_32FC1, cv::INTER_LINEAR, false), 9),
                0xa95a355fb068135aull);
  EXPECT_DIGEST(RunGroup(EverySmallSize(CV_32FC3, cv::INTER_LINEAR, false), 10),
                0x21d1d06b1c26778full);
}

// Every type the callers use and the rest of 1..4 channels, random sizes up to 480 x 360 both
// ways, each with a size and with scales.
TEST(Resize, MatchesOpenCvOnRandomLargerSizes) {
  const int types[] = {CV_8UC1, CV_8UC2, CV_8UC3, CV_8UC4, CV_32FC1, CV_32FC2, CV_32FC3, CV_32FC4};
  const int interpolations[] = {cv::INTER_NEAREST, cv::INTER_LINEAR, cv::INTER_CUBIC,
                                cv::INTER_AREA};
  std::vector<Call> calls;
  Random sizes(11);
  for (int type : types) {
    for (int interpolation : interpolations) {
      for (int k = 0; k < 2; ++k) {
        const int sw = 1 + sizes.Uniform(480), sh = 1 + sizes.Uniform(360);
        const int dw = 1 + sizes.Uniform(400), dh = 1 + sizes.Uniform(400);
        calls.push_back({sw, sh, type, cv::Size(dw, dh), 0, 0, interpolation});
        const double fx = 0.05 + sizes.Uniform(3000) / 1000.0;
        const double fy = 0.05 + sizes.Uniform(3000) / 1000.0;
        if (cvRound(sw * fx) >= 1 && cvRound(sh * fy) >= 1) {
          calls.push_back({sw, sh, type, cv::Size(), fx, fy, interpolation});
        }
      }
    }
  }
  EXPECT_DIGEST(RunGroup(calls, 12), 0x1a1b54cea7aebf5ull);
}

// One-pixel and two-pixel sides against large ones, both ways, for every interpolation.
TEST(Resize, MatchesOpenCvOnOnePixelEdges) {
  std::vector<Call> calls;
  const int sides[] = {1, 2, 3, 4, 5, 400};
  for (int type : {CV_8UC1, CV_8UC3, CV_32FC1, CV_32FC3}) {
    for (int interpolation : {cv::INTER_LINEAR, cv::INTER_CUBIC, cv::INTER_AREA}) {
      for (int a : sides) {
        for (int b : sides) {
          calls.push_back({a, 1, type, cv::Size(b, 3), 0, 0, interpolation});
          calls.push_back({1, a, type, cv::Size(2, b), 0, 0, interpolation});
          calls.push_back({a, b, type, cv::Size(b, a), 0, 0, interpolation});
        }
      }
    }
  }
  EXPECT_DIGEST(RunGroup(calls, 13), 0xd59204a1f4c96f64ull);
}

// Integer ratios (cv::resize's fast area path, which Resize leaves to it as its arithmetic
// cannot fuse): exact multiples, 2x2 linear (which it turns into area), one direction only,
// and scales whose last cell is partial.
TEST(Resize, MatchesOpenCvOnIntegerRatios) {
  std::vector<Call> calls;
  for (int type : {CV_8UC1, CV_8UC2, CV_8UC3, CV_8UC4, CV_32FC1, CV_32FC3, CV_32FC4}) {
    for (int rx = 1; rx <= 4; ++rx) {
      for (int ry = 1; ry <= 4; ++ry) {
        calls.push_back({37 * rx, 23 * ry, type, cv::Size(37, 23), 0, 0, cv::INTER_AREA});
        calls.push_back(
            {37 * rx + 1, 23 * ry, type, cv::Size(), 1.0 / rx, 1.0 / ry, cv::INTER_AREA});
      }
    }
    calls.push_back({64, 48, type, cv::Size(32, 24), 0, 0, cv::INTER_LINEAR});
  }
  calls.push_back({1920, 1080, CV_8UC3, cv::Size(960, 540), 0, 0, cv::INTER_AREA});
  calls.push_back({1920, 1080, CV_32FC1, cv::Size(640, 360), 0, 0, cv::INTER_AREA});
  EXPECT_DIGEST(RunGroup(calls, 14), 0x632d8fdbdfccb804ull);
}

// The scale form: sizes rounded half to even, coordinates from the scales themselves,
// enlarging and reducing, mixed.
TEST(Resize, MatchesOpenCvGivenScales) {
  std::vector<Call> calls;
  Random scales(15);
  for (int type : {CV_8UC1, CV_8UC3, CV_32FC3}) {
    for (int interpolation : {cv::INTER_LINEAR, cv::INTER_CUBIC, cv::INTER_AREA}) {
      for (int k = 0; k < 40; ++k) {
        const int sw = 1 + scales.Uniform(64), sh = 1 + scales.Uniform(64);
        const double fx = (1 + scales.Uniform(4000)) / 997.0;
        const double fy = (1 + scales.Uniform(4000)) / 1009.0;
        if (cvRound(sw * fx) < 1 || cvRound(sh * fy) < 1) continue;
        calls.push_back({sw, sh, type, cv::Size(), fx, fy, interpolation});
      }
      calls.push_back({5, 7, type, cv::Size(), 0.5, 0.5, interpolation});  // 2.5, 3.5: to even
      calls.push_back({30, 20, type, cv::Size(), 0.3, 1.7, interpolation});
    }
  }
  EXPECT_DIGEST(RunGroup(calls, 16), 0x2ec2dcfe1fcbf8f6ull);
}

// A 1080p frame to the engine's usual sizes, on OpenCV's threads (several stripes).
TEST(Resize, MatchesOpenCvOnFrames) {
  std::vector<Call> calls;
  for (int type : {CV_8UC3, CV_32FC3}) {
    calls.push_back({1920, 1080, type, cv::Size(224, 224), 0, 0, cv::INTER_AREA});
    calls.push_back({1920, 1080, type, cv::Size(256, 256), 0, 0, cv::INTER_CUBIC});
    calls.push_back({1920, 1080, type, cv::Size(640, 640), 0, 0, cv::INTER_LINEAR});
    calls.push_back({640, 480, type, cv::Size(1000, 750), 0, 0, cv::INTER_AREA});
  }
  calls.push_back({1920, 1080, CV_8UC1, cv::Size(608, 342), 0, 0, cv::INTER_AREA});
  calls.push_back({960, 540, CV_8UC2, cv::Size(304, 171), 0, 0, cv::INTER_CUBIC});
  EXPECT_DIGEST(RunGroup(calls, 17), 0x28945002de7ce680ull);
}

// A destination of the right size and type is written in place, through its stride, and
// nothing around it; a source may be a view into a larger image; dst may be src.
TEST(Resize, WritesIntoTheCallersBufferOnly) {
  Random random(18);
  for (int type : {CV_8UC3, CV_32FC1}) {
    for (int interpolation : {cv::INTER_CUBIC, cv::INTER_AREA, cv::INTER_LINEAR}) {
      const cv::Mat big = MakeImage(101, 77, type, random);
      const cv::Mat src = big(cv::Rect(3, 5, 90, 61));
      cv::Mat canvas(50, 70, type, cv::Scalar::all(77));
      const cv::Mat before = canvas.clone();
      cv::Mat dst = canvas(cv::Rect(4, 6, 33, 29));
      const uint8_t* data = dst.data;
      Resize(src, dst, cv::Size(33, 29), interpolation);
      const std::string name = TypeName(type) + " " + InterName(interpolation);
      EXPECT_EQ(dst.data, data) << name << ": the caller's buffer was replaced";
      cv::Mat want;
      cv::resize(src, want, cv::Size(33, 29), 0, 0, interpolation);
      if (kCompareWithLinkedOpenCv) {
        EXPECT_EQ(FirstDifference(dst, want), "") << name;
      }
      cv::Mat outside = canvas.clone(), outside_before = before.clone();
      outside(cv::Rect(4, 6, 33, 29)).setTo(0);
      outside_before(cv::Rect(4, 6, 33, 29)).setTo(0);
      EXPECT_EQ(FirstDifference(outside, outside_before), "") << name << ": written outside";

      cv::Mat same = src.clone();
      Resize(same, same, cv::Size(33, 29), interpolation);
      EXPECT_EQ(FirstDifference(same, dst), "") << name << ": dst == src";
    }
  }
}

// What ExactResizer computes where Resize leaves INTER_LINEAR on 8-bit data to cv::resize
// (off x86-64 it takes over for the sizes whose fused coordinates differ), and both its loops.
TEST(ExactResizer, Linear8UMatchesOpenCvOnEverySmallSize) {
  Random random(19);
  Digest digest;
  for (int type : {CV_8UC1, CV_8UC2, CV_8UC3, CV_8UC4}) {
    for (const Call& c : EverySmallSize(type, cv::INTER_LINEAR, type == CV_8UC1)) {
      const cv::Mat src = MakeImage(c.src_w, c.src_h, c.type, random);
      ResizeShape shape;
      shape.src_width = c.src_w;
      shape.src_height = c.src_h;
      shape.dst_width = c.size.width;
      shape.dst_height = c.size.height;
      shape.channels = CV_MAT_CN(type);
      shape.inv_scale_x = static_cast<double>(c.size.width) / c.src_w;
      shape.inv_scale_y = static_cast<double>(c.size.height) / c.src_h;
      ExactResizer resizer;
      if (!resizer.Reset(shape, cv::INTER_LINEAR, ExactResizer::Depth::kU8)) {
        // Only where cv::resize copies or averages 2x2 blocks.
        const ResizePath path = OpenCvResizePath(shape, cv::INTER_LINEAR);
        ASSERT_TRUE(path == ResizePath::kCopy || path == ResizePath::kAreaFast) << Describe(c);
        continue;
      }
      cv::Mat got(c.size, type), portable(c.size, type);
      resizer.Run(src.data, src.step, got.data, got.step, 0, got.rows);
      resizer.set_portable_only(true);
      resizer.Run(src.data, src.step, portable.data, portable.step, 0, portable.rows);
      ASSERT_EQ(FirstDifference(portable, got), "") << Describe(c) << ": portable vs SIMD";
      digest.Add(got);
      if (!kCompareWithLinkedOpenCv) continue;
      cv::Mat want;
      cv::resize(src, want, c.size, 0, 0, cv::INTER_LINEAR);
      ASSERT_EQ(FirstDifference(got, want), "") << Describe(c);
    }
  }
  EXPECT_DIGEST(digest.value(), 0x392bc2a56eba9320ull);
}

#undef EXPECT_DIGEST  // this file's own (a unity batch compiles the next file after it)

// The portable loops give the SIMD loops' bytes for every path and channel count, row ranges
// run apart included.
TEST(ExactResizer, PortableLoopsAndRowRangesMatch) {
  Random random(20);
  for (int type : {CV_8UC1, CV_8UC2, CV_8UC3, CV_8UC4, CV_32FC1, CV_32FC2, CV_32FC3, CV_32FC4}) {
    for (int interpolation : {cv::INTER_LINEAR, cv::INTER_CUBIC, cv::INTER_AREA}) {
      for (const cv::Size from_to : {cv::Size(97, 41), cv::Size(41, 97), cv::Size(97, 13)}) {
        const cv::Mat src = MakeImage(from_to.width, from_to.width - 3, type, random);
        ResizeShape shape;
        shape.src_width = src.cols;
        shape.src_height = src.rows;
        shape.dst_width = from_to.height;
        shape.dst_height = from_to.height + 5;
        shape.channels = src.channels();
        shape.inv_scale_x = static_cast<double>(shape.dst_width) / shape.src_width;
        shape.inv_scale_y = static_cast<double>(shape.dst_height) / shape.src_height;
        const auto depth =
            src.depth() == CV_8U ? ExactResizer::Depth::kU8 : ExactResizer::Depth::kF32;
        ExactResizer resizer;
        ASSERT_TRUE(resizer.Reset(shape, interpolation, depth));
        const cv::Size size(shape.dst_width, shape.dst_height);
        cv::Mat simd(size, type), portable(size, type), pieces(size, type);
        resizer.Run(src.data, src.step, simd.data, simd.step, 0, size.height);
        for (int y = 0; y < size.height; y += 7) {
          resizer.Run(src.data, src.step, pieces.data, pieces.step, y,
                      std::min(y + 7, size.height));
        }
        resizer.set_portable_only(true);
        resizer.Run(src.data, src.step, portable.data, portable.step, 0, size.height);
        const std::string name = TypeName(type) + " " + InterName(interpolation) + " " +
                                 std::to_string(src.cols) + "x" + std::to_string(src.rows) +
                                 " -> " + std::to_string(size.width) + "x" +
                                 std::to_string(size.height);
        EXPECT_EQ(FirstDifference(portable, simd), "") << name << ": portable vs SIMD";
        EXPECT_EQ(FirstDifference(pieces, simd), "") << name << ": rows in ranges of 7";
      }
    }
  }
}

TEST(ExactResizer, RefusesWhatItDoesNotReproduce) {
  ResizeShape shape;
  shape.src_width = 64;
  shape.src_height = 48;
  shape.dst_width = 32;
  shape.dst_height = 24;
  shape.inv_scale_x = shape.inv_scale_y = 0.5;
  ExactResizer resizer;
  EXPECT_FALSE(resizer.Reset(shape, cv::INTER_AREA, ExactResizer::Depth::kU8)) << "2x2 area";
  EXPECT_FALSE(resizer.Reset(shape, cv::INTER_NEAREST, ExactResizer::Depth::kU8));
  EXPECT_FALSE(resizer.Reset(shape, cv::INTER_LANCZOS4, ExactResizer::Depth::kU8));
  EXPECT_TRUE(resizer.Reset(shape, cv::INTER_CUBIC, ExactResizer::Depth::kU8));
  shape.channels = 5;
  EXPECT_FALSE(resizer.Reset(shape, cv::INTER_CUBIC, ExactResizer::Depth::kU8)) << "5 channels";
  shape.channels = 1;
  shape.dst_width = 0;
  EXPECT_FALSE(resizer.Reset(shape, cv::INTER_CUBIC, ExactResizer::Depth::kU8)) << "width 0";
  shape.dst_width = 32;
  shape.inv_scale_x = -1;
  EXPECT_FALSE(resizer.Reset(shape, cv::INTER_CUBIC, ExactResizer::Depth::kU8)) << "scale -1";
  shape.inv_scale_x = 0.5;
  shape.src_width = (1 << 24) + 1;
  EXPECT_FALSE(resizer.Reset(shape, cv::INTER_CUBIC, ExactResizer::Depth::kU8)) << "2^24 + 1";
}

// The coordinates (float)((d + 0.5) * scale - 0.5) with and without the fused multiply-add:
// equal for most sizes, not for 1 -> 3 (d = 1: (1.5 / 3 - 0.5) rounds to 0 apart, fused to
// 1.5 * (1/3) - 0.5 exactly, about -2.8e-17, then a different float).
TEST(LinearCoordinatesFuseInvariant, FindsTheSizesWhoseFusedCoordinatesDiffer) {
  ResizeShape shape;
  shape.src_width = 1920;
  shape.src_height = 1080;
  shape.dst_width = 640;
  shape.dst_height = 640;
  shape.inv_scale_x = 640.0 / 1920;
  shape.inv_scale_y = 640.0 / 1080;
  EXPECT_TRUE(LinearCoordinatesFuseInvariant(shape));
  shape.src_width = 1;
  shape.dst_width = 3;
  shape.inv_scale_x = 3.0;
  EXPECT_FALSE(LinearCoordinatesFuseInvariant(shape));
}

}  // namespace
}  // namespace hbprep
