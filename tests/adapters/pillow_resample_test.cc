#include "adapters/steps/pillow_resample.h"

#include <cstdint>
#include <random>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "opencv2/core.hpp"
#include "tests/testing/status_matchers.h"

// The bytes themselves are held against Pillow by tests/reference/check_pil_resize.py
// (reference.PilResizeMatchesPillow); these cover the call's contract around them.
namespace hbprep {
namespace {

using ::hbprep::testing::IsOk;
using ::hbprep::testing::StatusIs;
using ::testing::HasSubstr;

constexpr PilFilter kAll[] = {PilFilter::kNearest, PilFilter::kBox,     PilFilter::kBilinear,
                              PilFilter::kHamming, PilFilter::kBicubic, PilFilter::kLanczos};

cv::Mat SeededRandomImage(int rows, int cols, int type, uint32_t seed) {
  cv::Mat image(rows, cols, type);
  std::mt19937 rng(seed);
  for (int y = 0; y < rows; ++y) {
    uint8_t* row = image.ptr<uint8_t>(y);
    for (size_t i = 0; i < image.cols * image.elemSize(); ++i) row[i] = rng() & 0xff;
  }
  return image;
}

bool SameBytes(const cv::Mat& a, const cv::Mat& b) {
  return a.size() == b.size() && a.type() == b.type() && cv::norm(a, b, cv::NORM_INF) == 0;
}

TEST(PilResize, NamesAndValuesArePillows) {
  for (PilFilter filter : kAll) {
    absl::StatusOr<PilFilter> parsed = PilFilterFromName(PilFilterName(filter));
    ASSERT_THAT(parsed, IsOk());
    EXPECT_EQ(*parsed, filter);
  }
  // Image.Resampling in Pillow 9.4.
  EXPECT_EQ(PilFilterValue(PilFilter::kNearest), 0);
  EXPECT_EQ(PilFilterValue(PilFilter::kLanczos), 1);
  EXPECT_EQ(PilFilterValue(PilFilter::kBilinear), 2);
  EXPECT_EQ(PilFilterValue(PilFilter::kBicubic), 3);
  EXPECT_EQ(PilFilterValue(PilFilter::kBox), 4);
  EXPECT_EQ(PilFilterValue(PilFilter::kHamming), 5);
  EXPECT_THAT(PilFilterFromName("bilinear"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("'bilinear'")));
}

TEST(PilResize, ResultReplacesTheSourceWhenDstIsSrc) {
  for (PilFilter filter : kAll) {
    const cv::Mat original = SeededRandomImage(37, 53, CV_8UC3, 1);
    cv::Mat expected;
    ASSERT_THAT(PilResize(original, 20, 71, filter, expected), IsOk());
    cv::Mat image = original.clone();
    ASSERT_THAT(PilResize(image, 20, 71, filter, image), IsOk());
    EXPECT_TRUE(SameBytes(image, expected)) << PilFilterName(filter);
  }
}

TEST(PilResize, ViewOverlappingTheSourceGetsTheSameBytesInPlace) {
  for (PilFilter filter : kAll) {
    cv::Mat buffer = SeededRandomImage(90, 90, CV_8UC1, 2);
    const cv::Mat before = buffer.clone();
    cv::Mat expected;
    ASSERT_THAT(PilResize(before(cv::Rect(0, 0, 61, 50)), 41, 33, filter, expected), IsOk());
    cv::Mat view = buffer(cv::Rect(7, 5, 33, 41));
    const uint8_t* data = view.data;
    ASSERT_THAT(PilResize(buffer(cv::Rect(0, 0, 61, 50)), 41, 33, filter, view), IsOk());
    EXPECT_EQ(view.data, data) << PilFilterName(filter);
    EXPECT_TRUE(SameBytes(view, expected)) << PilFilterName(filter);
    cv::Mat outside = buffer != before;
    outside(cv::Rect(7, 5, 33, 41)).setTo(0);
    EXPECT_EQ(cv::countNonZero(outside), 0) << PilFilterName(filter);
  }
}

TEST(PilResize, RefusesOtherTypes) {
  cv::Mat dst;
  for (int type : {CV_8UC2, CV_8UC4, CV_16UC3, CV_32FC1}) {
    EXPECT_THAT(PilResize(cv::Mat(4, 4, type, cv::Scalar::all(0)), 2, 2, PilFilter::kBilinear, dst),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("8-bit images")));
  }
  EXPECT_THAT(PilResize(cv::Mat(), 2, 2, PilFilter::kBilinear, dst),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("8-bit images")));
}

TEST(PilResize, RefusesSidesOutOfRange) {
  const cv::Mat src(4, 5, CV_8UC3, cv::Scalar::all(9));
  cv::Mat dst;
  EXPECT_THAT(PilResize(src, 0, 5, PilFilter::kBox, dst),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("to 0 x 5")));
  EXPECT_THAT(PilResize(src, 4, -3, PilFilter::kNearest, dst),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("to 4 x -3")));
  EXPECT_THAT(PilResize(src, 65537, 5, PilFilter::kLanczos, dst),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("to 65537 x 5")));
  EXPECT_THAT(PilResize(cv::Mat(65537, 1, CV_8UC1, cv::Scalar::all(0)), 4, 4, PilFilter::kBox, dst),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("source of 65537 x 1")));
}

TEST(PilResize, RefusesWindowsOverTheLimitLeavingDstAlone) {
  // 65536 rows to one: every row is in the window, each 65536 x 3 bytes wide after the
  // horizontal pass (12 GiB).
  const cv::Mat src(65536, 1, CV_8UC3, cv::Scalar::all(3));
  cv::Mat dst(1, 65536, CV_8UC3, cv::Scalar::all(0xA5));
  const uint8_t* data = dst.data;
  EXPECT_THAT(
      PilResize(src, 1, 65536, PilFilter::kBilinear, dst),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("rows of 196608 bytes in flight")));
  EXPECT_EQ(dst.data, data);
  EXPECT_EQ(cv::countNonZero(dst.reshape(1) != 0xA5), 0);
}

TEST(PilResize, EqualSizesCopy) {
  const cv::Mat src = SeededRandomImage(9, 11, CV_8UC3, 3);
  for (PilFilter filter : kAll) {
    cv::Mat dst;
    ASSERT_THAT(PilResize(src, 9, 11, filter, dst), IsOk());
    EXPECT_TRUE(SameBytes(dst, src)) << PilFilterName(filter);
    EXPECT_NE(dst.data, src.data);
  }
}

}  // namespace
}  // namespace hbprep
