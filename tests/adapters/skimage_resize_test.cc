#include "adapters/steps/skimage_resize.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "opencv2/core.hpp"
#include "opencv2/imgproc.hpp"
#include "tests/testing/status_matchers.h"

// The values themselves are held against scikit-image by tests/reference/
// check_skimage_resize.py; these cover what only C++ callers can do: views, aliasing,
// reused buffers and resizers, and the arguments the probe cannot express.
namespace hbprep {
namespace {

using ::hbprep::testing::IsOk;
using ::hbprep::testing::StatusIs;
using ::testing::HasSubstr;

constexpr SkimageChannels kSame = SkimageChannels::kSame;
constexpr SkimageChannels kReversed = SkimageChannels::kReversed;

// uint8 over 0..255, float32 non-integer over [0, 255).
cv::Mat RandomImage(int rows, int cols, int type, cv::RNG& rng) {
  cv::Mat image(rows, cols, type);
  rng.fill(image, cv::RNG::UNIFORM, 0, CV_MAT_DEPTH(type) == CV_8U ? 256 : 255);
  return image;
}

bool SameBits(const cv::Mat& a, const cv::Mat& b) {
  if (a.size() != b.size() || a.type() != b.type()) return false;
  for (int y = 0; y < a.rows; ++y) {
    if (std::memcmp(a.ptr(y), b.ptr(y), a.cols * a.elemSize()) != 0) return false;
  }
  return true;
}

struct SkimageCase {
  int rows, cols, height, width, order, type;
};

std::string Describe(const SkimageCase& c) {
  return std::to_string(c.rows) + "x" + std::to_string(c.cols) + " type " +
         std::to_string(c.type) + " -> " + std::to_string(c.height) + "x" +
         std::to_string(c.width) + " order " + std::to_string(c.order);
}

TEST(SkimageResize, ViewsAliasesAndReusedBuffersGiveTheSameBits) {
  cv::RNG rng(7);
  SkimageResizer reused;
  for (int type : {CV_8UC1, CV_8UC3, CV_32FC1, CV_32FC3}) {
    for (int order = 0; order <= 3; ++order) {
      for (const SkimageCase& c :
           {SkimageCase{37, 29, 11, 45, order, type}, SkimageCase{16, 16, 16, 16, order, type},
            SkimageCase{9, 40, 30, 7, order, type}}) {
        SCOPED_TRACE(Describe(c));
        const cv::Mat image = RandomImage(c.rows, c.cols, c.type, rng);
        cv::Mat expected;
        ASSERT_THAT(SkimageResize(image, c.height, c.width, c.order, kSame, expected), IsOk());

        // A view into a padded buffer: rows are not contiguous.
        cv::Mat padded(c.rows + 4, c.cols + 7, c.type, cv::Scalar::all(3));
        image.copyTo(padded(cv::Rect(5, 2, c.cols, c.rows)));
        cv::Mat from_view;
        ASSERT_THAT(SkimageResize(padded(cv::Rect(5, 2, c.cols, c.rows)), c.height, c.width,
                                  c.order, kSame, from_view),
                    IsOk());
        EXPECT_TRUE(SameBits(from_view, expected)) << "from a view";

        // A resizer that served other sizes before.
        cv::Mat from_reused;
        ASSERT_THAT(reused.Resize(RandomImage(50, 60, c.type, rng), 20, 70, 3, kSame, from_reused),
                    IsOk());
        ASSERT_THAT(reused.Resize(image, c.height, c.width, c.order, kSame, from_reused), IsOk());
        EXPECT_TRUE(SameBits(from_reused, expected)) << "from a reused resizer";

        // dst is src.
        cv::Mat in_place = image.clone();
        ASSERT_THAT(SkimageResize(in_place, c.height, c.width, c.order, kSame, in_place), IsOk());
        EXPECT_TRUE(SameBits(in_place, expected)) << "in place";

        // A dst of the right size and type is written where it is.
        cv::Mat buffer(c.height, c.width, expected.type(), cv::Scalar::all(-1));
        const uchar* data = buffer.data;
        ASSERT_THAT(SkimageResize(image, c.height, c.width, c.order, kSame, buffer), IsOk());
        EXPECT_EQ(buffer.data, data);
        EXPECT_TRUE(SameBits(buffer, expected)) << "into a given buffer";
      }
    }
  }
}

// kReversed is the resize of the channel-reversed image, reversed back: in place, from a view
// and through a reused resizer too. (Which of the two orders scikit-image's bits follow is
// held by check_skimage_resize.py.)
TEST(SkimageResize, ReversedChannelsResizeTheReversedImage) {
  cv::RNG rng(11);
  SkimageResizer reused;
  for (int type : {CV_8UC3, CV_32FC3}) {
    for (int order = 0; order <= 3; ++order) {
      for (const SkimageCase& c :
           {SkimageCase{37, 29, 11, 45, order, type}, SkimageCase{9, 40, 30, 7, order, type}}) {
        SCOPED_TRACE(Describe(c));
        const cv::Mat image = RandomImage(c.rows, c.cols, c.type, rng);
        cv::Mat swapped, expected;
        cv::cvtColor(image, swapped, cv::COLOR_BGR2RGB);
        ASSERT_THAT(SkimageResize(swapped, c.height, c.width, c.order, kSame, expected), IsOk());
        cv::cvtColor(expected, expected, cv::COLOR_RGB2BGR);

        cv::Mat got;
        ASSERT_THAT(SkimageResize(image, c.height, c.width, c.order, kReversed, got), IsOk());
        EXPECT_TRUE(SameBits(got, expected)) << "reversed";

        cv::Mat padded(c.rows + 4, c.cols + 7, c.type, cv::Scalar::all(3));
        image.copyTo(padded(cv::Rect(5, 2, c.cols, c.rows)));
        ASSERT_THAT(reused.Resize(padded(cv::Rect(5, 2, c.cols, c.rows)), c.height, c.width,
                                  c.order, kReversed, got),
                    IsOk());
        EXPECT_TRUE(SameBits(got, expected)) << "reversed, from a view, reused resizer";

        cv::Mat in_place = image.clone();
        ASSERT_THAT(SkimageResize(in_place, c.height, c.width, c.order, kReversed, in_place),
                    IsOk());
        EXPECT_TRUE(SameBits(in_place, expected)) << "reversed, in place";
      }
    }
  }
}

TEST(SkimageResize, RefusesBadArgumentsNamingThem) {
  const cv::Mat image(4, 4, CV_8UC3, cv::Scalar::all(9));
  cv::Mat dst;
  EXPECT_THAT(SkimageResize(image, 2, 2, 4, kSame, dst),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("order 4")));
  EXPECT_THAT(SkimageResize(image, 2, 2, -1, kSame, dst),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("order -1")));
  EXPECT_THAT(SkimageResize(image, 0, 2, 1, kSame, dst),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("0 x 2")));
  EXPECT_THAT(SkimageResize(cv::Mat(), 2, 2, 1, kSame, dst),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty")));
  EXPECT_THAT(SkimageResize(cv::Mat(4, 4, CV_8UC4), 2, 2, 1, kSame, dst),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("4 channels")));
  EXPECT_THAT(SkimageResize(cv::Mat(4, 4, CV_16UC1, cv::Scalar(1)), 2, 2, 1, kSame, dst),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("depth 2")));
  cv::Mat infinite(3, 5, CV_32FC3, cv::Scalar::all(0.5));
  infinite.at<cv::Vec3f>(2, 1)[2] = std::numeric_limits<float>::infinity();
  EXPECT_THAT(SkimageResize(infinite, 2, 2, 1, kSame, dst),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("element 35 is inf")));
  EXPECT_THAT(SkimageResize(cv::Mat(2, 2, CV_32FC1, cv::Scalar(std::nan(""))), 2, 2, 1, kSame, dst),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("element 0 is nan")));
  EXPECT_TRUE(dst.empty()) << "nothing is written on refusal";
}

}  // namespace
}  // namespace hbprep
