#include "adapters/image_io.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "opencv2/core.hpp"
#include "opencv2/imgcodecs.hpp"
#include "tests/testing/prepare_inputs.h"
#include "tests/testing/status_matchers.h"

namespace hbprep {
namespace {

using ::hbprep::testing::Encode;
using ::hbprep::testing::IsOk;
using ::hbprep::testing::StatusIs;
using ::testing::ElementsAre;

// A JPEG with an EXIF APP1 segment saying orientation 6 (rotate 90 degrees clockwise).
std::string WithExifOrientation6(const std::string& jpeg) {
  const std::string tiff = std::string("II*\0\x08\0\0\0", 8) +  // little-endian, IFD at 8
                           std::string("\x01\0", 2) +           // one entry
                           std::string("\x12\x01\x03\0\x01\0\0\0\x06\0\0\0", 12) +  // 0x0112
                           std::string("\0\0\0\0", 4);                              // no next IFD
  const std::string app1 = std::string("Exif\0\0", 6) + tiff;
  const size_t length = app1.size() + 2;
  std::string segment = "\xFF\xE1";
  segment += static_cast<char>(length >> 8);
  segment += static_cast<char>(length & 0xFF);
  return jpeg.substr(0, 2) + segment + app1 + jpeg.substr(2);
}

TEST(DecodeImage, AppliesExifOrientationLikeImread) {
  cv::Mat image(40, 60, CV_8UC3, cv::Scalar(0, 0, 0));
  image(cv::Rect(0, 0, 20, 10)).setTo(cv::Scalar(0, 0, 255));  // red block, top-left
  absl::StatusOr<cv::Mat> decoded =
      DecodeImage(WithExifOrientation6(Encode(image, ".jpg")), {}, "exif.jpg", nullptr);
  ASSERT_THAT(decoded, IsOk());
  EXPECT_EQ(decoded->rows, 60);
  EXPECT_EQ(decoded->cols, 40);
  // Rotated clockwise, the block sits at the top right.
  EXPECT_GT(decoded->at<cv::Vec3b>(5, 35)[2], 200);
  EXPECT_LT(decoded->at<cv::Vec3b>(5, 5)[2], 50);
}

TEST(DecodeImage, GreyBecomesThreeEqualChannels) {
  cv::Mat grey(8, 8, CV_8UC1, cv::Scalar(77));
  absl::StatusOr<cv::Mat> decoded = DecodeImage(Encode(grey, ".png"), {}, "g.png", nullptr);
  ASSERT_THAT(decoded, IsOk());
  EXPECT_EQ(decoded->type(), CV_8UC3);
  EXPECT_EQ(decoded->at<cv::Vec3b>(3, 3), cv::Vec3b(77, 77, 77));
}

TEST(DecodeImage, AlphaIsDropped) {
  cv::Mat bgra(8, 8, CV_8UC4, cv::Scalar(10, 20, 30, 0));
  absl::StatusOr<cv::Mat> decoded = DecodeImage(Encode(bgra, ".png"), {}, "a.png", nullptr);
  ASSERT_THAT(decoded, IsOk());
  EXPECT_EQ(decoded->at<cv::Vec3b>(0, 0), cv::Vec3b(10, 20, 30));
}

TEST(DecodeImage, SixteenBitIsReducedWithAWarning) {
  cv::Mat deep(4, 4, CV_16UC3, cv::Scalar(0x1234, 0xABCD, 0xFF00));
  std::vector<std::string> warnings;
  absl::StatusOr<cv::Mat> decoded = DecodeImage(Encode(deep, ".png"), {}, "d.png", &warnings);
  ASSERT_THAT(decoded, IsOk());
  EXPECT_EQ(decoded->at<cv::Vec3b>(0, 0), cv::Vec3b(0x12, 0xAB, 0xFF));
  EXPECT_THAT(warnings, ElementsAre("d.png: 16-bit image reduced to 8 bits per sample (high "
                                    "byte), as cv2.imread does"));
}

TEST(ReadImageHeader, ReadsEveryFormatsDeclaredSize) {
  const cv::Mat image(37, 53, CV_8UC3, cv::Scalar(1, 2, 3));
  for (const std::string ext : {".jpg", ".png", ".bmp", ".webp", ".tiff"}) {
    absl::StatusOr<ImageHeader> header = ReadImageHeader(Encode(image, ext), ext);
    ASSERT_THAT(header, IsOk()) << ext;
    EXPECT_EQ(header->width, 53) << ext;
    EXPECT_EQ(header->height, 37) << ext;
  }
}

// An extended WebP header is 30 bytes: 24-bit width - 1 and height - 1 at bytes 24 and 27,
// read without touching byte 30 (the fuzzer found the old reading did).
TEST(ReadImageHeader, ReadsAThirtyByteWebpExtendedHeader) {
  const std::string vp8x = std::string("RIFF\x16\x00\x00\x00WEBPVP8X\x0a\x00\x00\x00", 20) +
                           std::string("\x00\x00\x00\x00\x7f\x02\x00\xdf\x01\x00", 10);
  ASSERT_EQ(vp8x.size(), 30u);
  absl::StatusOr<ImageHeader> header = ReadImageHeader(vp8x, "x.webp");
  ASSERT_THAT(header, IsOk());
  EXPECT_EQ(header->width, 640);
  EXPECT_EQ(header->height, 480);
}

TEST(DecodeImage, LimitsApplyToEachDimensionAndThePixelCount) {
  const std::string png = Encode(cv::Mat(20, 30, CV_8UC3, cv::Scalar(0)), ".png");
  DecodeLimits narrow;
  narrow.max_width = 29;
  EXPECT_THAT(DecodeImage(png, narrow, "p", nullptr),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       "p: PNG header declares 30x20, over the limit of 29x16384 and 67108864 "
                       "pixels"));
  DecodeLimits few;
  few.max_pixels = 599;
  EXPECT_THAT(DecodeImage(png, few, "p", nullptr),
              StatusIs(absl::StatusCode::kResourceExhausted, ::testing::HasSubstr("599 pixels")));
  few.max_pixels = 600;
  EXPECT_THAT(DecodeImage(png, few, "p", nullptr), IsOk());
}

}  // namespace
}  // namespace hbprep

namespace hbprep {
namespace {

// A JPEG whose frame header, as a plain segment walk reads it, says 1x1, while libjpeg (which
// takes FF 00 as stuffing and scans on, finding an APP0 that covers that header) reads the
// real frame header: 3000x2000. The limits must hold for what the decoder would allocate.
TEST(DecodeImage, RefusesJpegsWhoseHeadersDisagree) {
  cv::Mat image(16, 16, CV_8UC3, cv::Scalar(10, 20, 30));
  std::string jpeg = Encode(image, ".jpg");
  // The real frame header: 16x16 -> 3000x2000 (height 0x07D0, width 0x0BB8).
  const size_t sof = jpeg.find("\xFF\xC0");
  ASSERT_NE(sof, std::string::npos);
  jpeg[sof + 5] = '\x07', jpeg[sof + 6] = '\xD0', jpeg[sof + 7] = '\x0B', jpeg[sof + 8] = '\xB8';
  const std::string fake_sof("\xFF\xC0\x00\x11\x08\x00\x01\x00\x01\x03\x01\x22\x00\x02\x11\x01"
                             "\x03\x11\x01",
                             19);
  const std::string trick = std::string("\xFF\x00\x00\x06\xFF\xE0\x00\x20", 8) + fake_sof +
                            std::string(30 - fake_sof.size(), '\0');  // APP0 payload: 30
  const std::string hostile = jpeg.substr(0, 2) + trick + jpeg.substr(2);
  absl::StatusOr<ImageHeader> header = ReadImageHeader(hostile, "h.jpg");
  ASSERT_THAT(header, IsOk());
  EXPECT_EQ(header->width, 1);  // the segment walk is fooled...
  DecodeLimits limits;
  limits.max_width = limits.max_height = 1000;
  // ...the decoder's reading is not: refused before anything is allocated.
  EXPECT_THAT(DecodeImage(hostile, limits, "h.jpg", nullptr),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "h.jpg: JPEG headers disagree: the frame header declares 1x1 but the "
                       "decoder reads 3000x2000"));
}

TEST(DecodeImage, RefusesJpegsWithMoreScansThanItDecodes) {
  const std::string jpeg = Encode(cv::Mat(8, 8, CV_8UC3, cv::Scalar(1, 2, 3)), ".jpg");
  std::string scans;
  for (int i = 0; i < 501; ++i) scans += std::string("\xFF\xDA\x00\x08", 4);
  const std::string many = jpeg.substr(0, jpeg.size() - 2) + scans + "\xFF\xD9";
  EXPECT_THAT(DecodeImage(many, {}, "s.jpg", nullptr),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "s.jpg: JPEG has 502 scans, more than the 500 hbprep decodes"));
}

}  // namespace
}  // namespace hbprep

namespace hbprep {
namespace {

// A little-endian TIFF header of IFD entries (tag, type, count, value) and no image data.
std::string TiffIfd(const std::vector<std::vector<uint32_t>>& entries) {
  auto le = [](uint32_t value, int bytes) {
    std::string out;
    for (int i = 0; i < bytes; ++i) out += static_cast<char>((value >> (8 * i)) & 0xFF);
    return out;
  };
  std::string tiff = std::string("II*\0", 4) + le(8, 4) + le(static_cast<uint32_t>(entries.size()), 2);
  for (const auto& e : entries) tiff += le(e[0], 2) + le(e[1], 2) + le(e[2], 4) + le(e[3], 4);
  return tiff + le(0, 4);
}

TEST(ReadImageHeader, TiffSizesMustBeGivenOnceAsOneNumber) {
  // libtiff takes the first of duplicated tags; the reader kept the last, so an 11 KB file
  // checked as 16x16 decoded at 20000x20000.
  EXPECT_THAT(ReadImageHeader(TiffIfd({{256, 4, 1, 20000}, {257, 3, 1, 16}, {256, 3, 1, 16}}),
                              "t.tif"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "t.tif: TIFF gives ImageWidth more than once"));
  EXPECT_THAT(ReadImageHeader(TiffIfd({{256, 3, 1, 16}, {257, 3, 1, 16}, {257, 4, 1, 20000}}),
                              "t.tif"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "t.tif: TIFF gives ImageLength more than once"));
  EXPECT_THAT(ReadImageHeader(TiffIfd({{256, 3, 2, 16}, {257, 3, 1, 16}}), "t.tif"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "t.tif: TIFF ImageWidth must be one SHORT or LONG above 0 (type 3, count "
                       "2, value 16)"));
  EXPECT_THAT(ReadImageHeader(TiffIfd({{256, 5, 1, 16}, {257, 3, 1, 16}}), "t.tif"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "t.tif: TIFF ImageWidth must be one SHORT or LONG above 0 (type 5, count "
                       "1, value 16)"));
  const absl::StatusOr<ImageHeader> ok =
      ReadImageHeader(TiffIfd({{256, 4, 1, 640}, {257, 3, 1, 480}}), "t.tif");
  ASSERT_THAT(ok, IsOk());
  EXPECT_EQ(ok->width, 640);
  EXPECT_EQ(ok->height, 480);
}

}  // namespace
}  // namespace hbprep
