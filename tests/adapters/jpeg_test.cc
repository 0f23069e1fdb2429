// TurboJPEG decoding: exact mode must be cv::imdecode's pixels, byte for byte, on every kind
// of JPEG; fast mode's planes must be JPEG's own YCbCr at the chosen DCT scale.
#include "adapters/jpeg.h"

#include <turbojpeg.h>

#include <string>
#include <vector>

#include "adapters/image_io.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "opencv2/core.hpp"
#include "opencv2/imgcodecs.hpp"
#include "opencv2/imgproc.hpp"
#include "tests/testing/prepare_inputs.h"

namespace hbprep {
namespace {

using ::hbprep::testing::Encode;

cv::Mat Photo(int width, int height) {
  cv::Mat image(height, width, CV_8UC3);
  cv::RNG rng(11);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      image.at<cv::Vec3b>(y, x) = cv::Vec3b(static_cast<uint8_t>(x * 255 / width),
                                            static_cast<uint8_t>(y * 255 / height),
                                            static_cast<uint8_t>(rng.uniform(60, 200)));
    }
  }
  cv::circle(image, {width / 3, height / 2}, height / 4, cv::Scalar(20, 200, 90), cv::FILLED);
  return image;
}

cv::Mat Imdecode(const std::string& jpeg) {
  return cv::imdecode(cv::Mat(1, static_cast<int>(jpeg.size()), CV_8U,
                              const_cast<char*>(jpeg.data())),
                      cv::IMREAD_COLOR);
}

// A JPEG written by TurboJPEG with the given chroma subsampling, quality and flags.
std::string TurboEncode(const cv::Mat& bgr, int subsampling, int quality, int flags = 0) {
  tjhandle handle = tjInitCompress();
  unsigned char* out = nullptr;
  unsigned long size = 0;
  const int result = tjCompress2(handle, bgr.data, bgr.cols, static_cast<int>(bgr.step[0]),
                                 bgr.rows, TJPF_BGR, &out, &size, subsampling, quality, flags);
  std::string jpeg = result == 0 ? std::string(reinterpret_cast<char*>(out), size) : "";
  tjFree(out);
  tjDestroy(handle);
  return jpeg;
}

struct Kind {
  const char* name;
  int subsampling, quality, flags, width, height;
};

class ExactDecode : public ::testing::TestWithParam<Kind> {};

// Odd sizes, every chroma subsampling, progressive, low and high quality.
INSTANTIATE_TEST_SUITE_P(
    Kinds, ExactDecode,
    ::testing::Values(Kind{"q92_420", TJSAMP_420, 92, 0, 641, 479},
                      Kind{"q50_422", TJSAMP_422, 50, 0, 333, 217},
                      Kind{"q97_444", TJSAMP_444, 97, 0, 320, 240},
                      Kind{"q80_411", TJSAMP_411, 80, 0, 130, 77},
                      Kind{"q85_440", TJSAMP_440, 85, 0, 99, 101},
                      Kind{"progressive", TJSAMP_420, 90, TJFLAG_PROGRESSIVE, 500, 375},
                      Kind{"q20_420", TJSAMP_420, 20, 0, 17, 9}),
    [](const ::testing::TestParamInfo<Kind>& param) { return std::string(param.param.name); });

TEST_P(ExactDecode, IsImdecodeByteForByte) {
  const Kind& kind = GetParam();
  const std::string jpeg =
      TurboEncode(Photo(kind.width, kind.height), kind.subsampling, kind.quality, kind.flags);
  ASSERT_FALSE(jpeg.empty());
  const std::optional<cv::Mat> ours = DecodeJpegBgr(jpeg);
  ASSERT_TRUE(ours.has_value());
  const cv::Mat want = Imdecode(jpeg);
  ASSERT_EQ(ours->size(), want.size());
  ASSERT_EQ(ours->type(), want.type());
  EXPECT_EQ(cv::norm(*ours, want, cv::NORM_INF), 0);
}

// OpenCV's own writer: restart intervals, optimised Huffman tables.
TEST(ExactDecodeOpencvWritten, IsImdecodeByteForByte) {
  for (const std::vector<int>& params :
       {std::vector<int>{cv::IMWRITE_JPEG_RST_INTERVAL, 3},
        std::vector<int>{cv::IMWRITE_JPEG_OPTIMIZE, 1, cv::IMWRITE_JPEG_QUALITY, 70}}) {
    const std::string jpeg = Encode(Photo(257, 129), ".jpg", params);
    const std::optional<cv::Mat> ours = DecodeJpegBgr(jpeg);
    ASSERT_TRUE(ours.has_value());
    EXPECT_EQ(cv::norm(*ours, Imdecode(jpeg), cv::NORM_INF), 0);
  }
}

TEST(ExactDecodeGrey, IsImdecodeByteForByte) {
  cv::Mat grey;
  cv::cvtColor(Photo(211, 93), grey, cv::COLOR_BGR2GRAY);
  const std::string jpeg = Encode(grey, ".jpg", {cv::IMWRITE_JPEG_QUALITY, 90});
  const std::optional<cv::Mat> ours = DecodeJpegBgr(jpeg);
  ASSERT_TRUE(ours.has_value());
  EXPECT_EQ(cv::norm(*ours, Imdecode(jpeg), cv::NORM_INF), 0);
}

// A JPEG with an EXIF APP1 segment (orientation `value`), big-endian TIFF this time.
std::string WithOrientation(const std::string& jpeg, char value) {
  const std::string tiff = std::string("MM\0*\0\0\0\x08", 8) + std::string("\0\x01", 2) +
                           std::string("\x01\x12\0\x03\0\0\0\x01\0", 9) + value +
                           std::string("\0\0", 2) + std::string("\0\0\0\0", 4);
  const std::string app1 = std::string("Exif\0\0", 6) + tiff;
  std::string segment = "\xFF\xE1";
  segment += static_cast<char>((app1.size() + 2) >> 8);
  segment += static_cast<char>((app1.size() + 2) & 0xFF);
  return jpeg.substr(0, 2) + segment + app1 + jpeg.substr(2);
}

TEST(JpegExifOrientation, ReadsTheTagAndLeavesRotatedImagesToImdecode) {
  const std::string jpeg = Encode(Photo(64, 32), ".jpg", {});
  EXPECT_EQ(JpegExifOrientation(jpeg), 1);
  EXPECT_EQ(JpegExifOrientation(WithOrientation(jpeg, 1)), 1);
  EXPECT_EQ(JpegExifOrientation(WithOrientation(jpeg, 8)), 8);
  EXPECT_EQ(JpegExifOrientation(WithOrientation(jpeg, 9)), 1);  // not an orientation
  EXPECT_TRUE(DecodeJpegBgr(WithOrientation(jpeg, 1)).has_value());
  EXPECT_FALSE(DecodeJpegBgr(WithOrientation(jpeg, 6)).has_value());
  EXPECT_FALSE(DecodeJpegPlanes(WithOrientation(jpeg, 3), 0, 0).has_value());
  // Through DecodeImage the rotated one is imdecode's, rotation included.
  const std::string rotated = WithOrientation(jpeg, 6);
  absl::StatusOr<cv::Mat> decoded = DecodeImage(rotated, {}, "r.jpg", nullptr);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->size(), cv::Size(32, 64));
  EXPECT_EQ(cv::norm(*decoded, Imdecode(rotated), cv::NORM_INF), 0);
  // Truncated segments are read no further than the bytes given.
  const size_t segment_end = 2 + 4 + 6 + 26;  // SOI, marker and length, "Exif\0\0", TIFF
  for (size_t n = 0; n < segment_end; ++n) {
    EXPECT_EQ(JpegExifOrientation(rotated.substr(0, n)), 1) << n;
  }
  EXPECT_EQ(JpegExifOrientation(rotated.substr(0, segment_end)), 6);
}

TEST(DecodeJpegBgr, RefusesWhatItCannotDecode) {
  EXPECT_FALSE(DecodeJpegBgr("").has_value());
  EXPECT_FALSE(DecodeJpegBgr("\xFF\xD8\xFF\xE0 not a jpeg").has_value());
  const std::string jpeg = Encode(Photo(64, 48), ".jpg", {});
  EXPECT_FALSE(DecodeJpegBgr(jpeg.substr(0, 200)).has_value());  // cut inside the headers
}

// A failed image leaves nothing behind for the next one on the same thread (TurboJPEG 2.1
// reported the next valid header as 0 x 0 until the decompressor was renewed).
TEST(DecodeJpeg, AFailureDoesNotSpoilTheNextImage) {
  const std::string jpeg = Encode(Photo(96, 64), ".jpg", {});
  for (const std::string& broken : {jpeg.substr(0, 200), std::string("\xFF\xD8\xFF\xDB\0\x43"),
                                    jpeg.substr(0, jpeg.size() / 2) + "\xFF\xD9"}) {
    (void)DecodeJpegBgr(broken);
    const std::optional<cv::Mat> bgr = DecodeJpegBgr(jpeg);
    ASSERT_TRUE(bgr.has_value());
    EXPECT_EQ(cv::norm(*bgr, Imdecode(jpeg), cv::NORM_INF), 0);
    (void)DecodeJpegPlanes(broken, 0, 0);
    const std::optional<JpegPlanes> planes = DecodeJpegPlanes(jpeg, 0, 0);
    ASSERT_TRUE(planes.has_value());
    EXPECT_EQ(planes->y.size(), cv::Size(96, 64));
  }
}

// Full-size planes are JPEG's YCbCr: the JFIF conversion of imdecode's BGR, within the
// rounding of the two conversions (chroma: 4:2:0 blocks averaged by the encoder, so a smooth
// image, where upsampling and averaging again give the stored values back).
TEST(DecodeJpegPlanes, FullSizePlanesAreTheJfifConversionOfTheImage) {
  cv::Mat smooth(240, 320, CV_8UC3);
  for (int y = 0; y < 240; ++y) {
    for (int x = 0; x < 320; ++x) {
      smooth.at<cv::Vec3b>(y, x) = cv::Vec3b(static_cast<uint8_t>(x * 255 / 320),
                                             static_cast<uint8_t>(y * 255 / 240),
                                             static_cast<uint8_t>((x + y) * 255 / 560));
    }
  }
  const std::string jpeg = Encode(smooth, ".jpg", {cv::IMWRITE_JPEG_QUALITY, 95});
  const std::optional<JpegPlanes> planes = DecodeJpegPlanes(jpeg, 0, 0);
  ASSERT_TRUE(planes.has_value());
  ASSERT_EQ(planes->y.size(), cv::Size(320, 240));
  ASSERT_EQ(planes->uv.size(), cv::Size(160, 120));
  ASSERT_EQ(planes->uv.type(), CV_8UC2);
  const cv::Mat bgr = Imdecode(jpeg);
  cv::Mat ycrcb;
  cv::cvtColor(bgr, ycrcb, cv::COLOR_BGR2YCrCb);  // full-range BT.601, as JFIF
  std::vector<cv::Mat> c;
  cv::split(ycrcb, c);
  EXPECT_LE(cv::norm(planes->y, c[0], cv::NORM_INF), 2);
  cv::Mat cb, cr;
  cv::resize(c[2], cb, cv::Size(160, 120), 0, 0, cv::INTER_AREA);
  cv::resize(c[1], cr, cv::Size(160, 120), 0, 0, cv::INTER_AREA);
  std::vector<cv::Mat> uv;
  cv::split(planes->uv, uv);
  EXPECT_LE(cv::norm(uv[0], cb, cv::NORM_L1) / cb.total(), 1.0);
  EXPECT_LE(cv::norm(uv[1], cr, cv::NORM_L1) / cr.total(), 1.0);
}

TEST(DecodeJpegPlanes, PicksTheSmallestDctScaleThatKeepsTheMinimum) {
  const std::string jpeg = Encode(Photo(1920, 1080), ".jpg", {cv::IMWRITE_JPEG_QUALITY, 90});
  struct Case {
    int min_width, min_height;
    cv::Size want;
  } cases[] = {{0, 0, {1920, 1080}},    // no minimum: no reduction
               {1, 1, {240, 135}},      // 1/8
               {0, 256, {480, 270}},    // 1/4 keeps 256 rows
               {0, 271, {720, 405}},    // 3/8
               {455, 256, {480, 270}},  // both
               {1900, 0, {1920, 1080}}, {0, 2000, {1920, 1080}}};  // never upscaled
  for (const Case& c : cases) {
    const std::optional<JpegPlanes> planes = DecodeJpegPlanes(jpeg, c.min_width, c.min_height);
    ASSERT_TRUE(planes.has_value());
    EXPECT_EQ(planes->y.size(), c.want) << c.min_width << "x" << c.min_height;
    EXPECT_EQ(planes->uv.size(), cv::Size((c.want.width + 1) / 2, (c.want.height + 1) / 2));
  }
}

TEST(DecodeJpegPlanes, OtherSubsamplingsAndGreyBecomeNv12Planes) {
  const cv::Mat photo = Photo(101, 67);
  for (int sampling : {TJSAMP_444, TJSAMP_422, TJSAMP_411, TJSAMP_440}) {
    const std::optional<JpegPlanes> planes =
        DecodeJpegPlanes(TurboEncode(photo, sampling, 90), 0, 0);
    ASSERT_TRUE(planes.has_value());
    EXPECT_EQ(planes->y.size(), cv::Size(101, 67));
    EXPECT_EQ(planes->uv.size(), cv::Size(51, 34));
  }
  cv::Mat grey;
  cv::cvtColor(photo, grey, cv::COLOR_BGR2GRAY);
  const std::optional<JpegPlanes> planes = DecodeJpegPlanes(Encode(grey, ".jpg", {}), 0, 0);
  ASSERT_TRUE(planes.has_value());
  EXPECT_EQ(cv::countNonZero(planes->uv.reshape(1) != 128), 0);
}

}  // namespace
}  // namespace hbprep

namespace hbprep {
namespace {

// Partial-width decoding: the columns asked for are the full decode's, byte for byte, on every
// kind of JPEG and wherever the columns lie; the others are zero.
TEST_P(ExactDecode, ColumnsAreTheFullDecodesColumns) {
  const Kind& kind = GetParam();
  const std::string jpeg =
      TurboEncode(Photo(kind.width, kind.height), kind.subsampling, kind.quality, kind.flags);
  const cv::Mat full = Imdecode(jpeg);
  const int w = kind.width;
  for (const auto& [x0, x1] : {std::pair{0, w}, std::pair{0, 1}, std::pair{w - 1, w},
                               std::pair{w / 3, w / 3 + 1}, std::pair{w / 4, 3 * w / 4},
                               std::pair{17, std::min(w, 53)}, std::pair{w / 2, w}}) {
    if (x0 >= x1) continue;
    SCOPED_TRACE(::testing::Message() << x0 << ".." << x1);
    const std::optional<cv::Mat> part = DecodeJpegBgrColumns(jpeg, x0, x1);
    ASSERT_TRUE(part.has_value());
    ASSERT_EQ(part->size(), full.size());
    const cv::Rect asked(x0, 0, x1 - x0, full.rows);
    EXPECT_EQ(cv::norm((*part)(asked), full(asked), cv::NORM_INF), 0);
  }
  const std::optional<cv::Mat> middle = DecodeJpegBgrColumns(jpeg, w / 2, w / 2 + 1);
  ASSERT_TRUE(middle.has_value());
  if (w > 120) {  // far enough from the asked column to be outside libjpeg's iMCU rounding
    EXPECT_EQ(cv::countNonZero((*middle)(cv::Rect(0, 0, 8, middle->rows)).reshape(1)), 0);
  }
  EXPECT_FALSE(DecodeJpegBgrColumns(jpeg, 5, 5).has_value());
  EXPECT_FALSE(DecodeJpegBgrColumns(jpeg, -1, 5).has_value());
  EXPECT_FALSE(DecodeJpegBgrColumns(jpeg, 0, w + 1).has_value());
}

TEST(DecodeJpegBgrColumns, RefusesWhatItCannotDecodeAndLeavesNothingBehind) {
  const std::string jpeg = TurboEncode(Photo(200, 100), TJSAMP_420, 90);
  EXPECT_FALSE(DecodeJpegBgrColumns(jpeg.substr(0, 300), 10, 50).has_value());
  EXPECT_FALSE(DecodeJpegBgrColumns(std::string("\xFF\xD8\xFF\xDB\0\x43", 6), 0, 1).has_value());
  // Data cut in the middle: libjpeg warns and fills, as TurboJPEG and imdecode do.
  const std::string cut = jpeg.substr(0, jpeg.size() / 2) + "\xFF\xD9";
  const std::optional<cv::Mat> part = DecodeJpegBgrColumns(cut, 50, 150);
  const std::optional<cv::Mat> whole = DecodeJpegBgr(cut);
  ASSERT_EQ(part.has_value(), whole.has_value());
  if (part) {
    const cv::Rect asked(50, 0, 100, 100);
    EXPECT_EQ(cv::norm((*part)(asked), (*whole)(asked), cv::NORM_INF), 0);
  }
  const std::optional<cv::Mat> again = DecodeJpegBgrColumns(jpeg, 10, 50);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(cv::norm((*again)(cv::Rect(10, 0, 40, 100)), Imdecode(jpeg)(cv::Rect(10, 0, 40, 100)),
                     cv::NORM_INF),
            0);
}

}  // namespace
}  // namespace hbprep
