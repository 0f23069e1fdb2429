#include "adapters/engine.h"

#include <cstring>
#include <string>
#include <vector>

#include "adapters/npy.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "opencv2/core.hpp"
#include "opencv2/imgcodecs.hpp"
#include "tests/testing/status_matchers.h"

namespace hbprep {
namespace {

using ::hbprep::testing::IsOk;
using ::hbprep::testing::StatusIs;
using ::testing::ElementsAre;

InputImage Img(std::string what, std::string bytes, std::optional<Roi> roi = std::nullopt) {
  InputImage image;
  image.what = std::move(what);
  image.bytes = std::move(bytes);
  image.roi = roi;
  return image;
}

Descriptor Load(const std::string& model) {
  absl::StatusOr<Descriptor> d =
      LoadDescriptorFile(HBPREP_SOURCE_DIR "/deploy/models/" + model + ".yaml", nullptr);
  EXPECT_THAT(d, IsOk());
  return *d;
}

std::string Encode(const cv::Mat& image, const std::string& ext) {
  std::vector<uint8_t> bytes;
  cv::imencode(ext, image, bytes);
  return std::string(bytes.begin(), bytes.end());
}

cv::Mat Gradient(int height, int width) {
  cv::Mat image(height, width, CV_8UC3);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      image.at<cv::Vec3b>(y, x) = cv::Vec3b(x % 256, y % 256, (x + y) % 256);
    }
  }
  return image;
}

TEST(Engine, BindsImagesPerInputAndItem) {
  EXPECT_THAT(ImageBindings(Load("cls_batch8"), Target::kBoard),
              ElementsAre(0, 0, 0, 0, 0, 0, 0, 0));
  EXPECT_THAT(ImageBindings(Load("cls_batch8"), Target::kCalibration), ElementsAre(0));
  EXPECT_THAT(ImageBindings(Load("fusion_multi"), Target::kBoard), ElementsAre(0, 1));
}

TEST(Engine, RejectsTheWrongNumberOfImages) {
  EXPECT_THAT(Prepare(Load("cls_batch8"), {Img("a.jpg", "x")}, {}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "model 'cls_batch8' takes 8 file(s) per request for target board (8 for "
                       "'data'), got 1"));
}

TEST(Engine, PyramidGivesDenseYAndUvOfTheModelSize) {
  absl::StatusOr<Prepared> p = Prepare(
      Load("cls_pyramid"), {Img("g.png", Encode(Gradient(300, 400), ".png"))}, {});
  ASSERT_THAT(p, IsOk());
  ASSERT_EQ(p->tensors.size(), 2u);
  EXPECT_EQ(p->tensors[0].data.size(), 224u * 224u);
  EXPECT_EQ(p->tensors[1].data.size(), 112u * 112u * 2u);
  // Packed for the board, rows are already 224 wide on nash-e: no padding needed.
  EXPECT_EQ(PackStrided(p->tensors[0]), p->tensors[0].data);
}

TEST(Engine, PackStridedPadsRowsWithZeros) {
  Tensor t;
  t.spec.role = TensorRole::kY;
  t.spec.layout = TensorLayout::kNHWC;
  t.spec.shape = {1, 2, 3, 1};
  t.spec.strides = {64, 32, 1, 1};
  t.data = {1, 2, 3, 4, 5, 6};
  std::vector<uint8_t> want(64, 0);
  want[0] = 1, want[1] = 2, want[2] = 3, want[32] = 4, want[33] = 5, want[34] = 6;
  EXPECT_EQ(PackStrided(t), want);
}

TEST(Engine, ResizerConcreteShapesStridesAndRoi) {
  absl::StatusOr<Prepared> p =
      Prepare(Load("det_resizer"),
              {Img("g.png", Encode(Gradient(101, 150), ".png"), Roi{2, 4, 99, 97})}, {});
  ASSERT_THAT(p, IsOk());
  EXPECT_EQ(p->tensors[0].spec.shape, (std::vector<int64_t>{1, 100, 150, 1}));
  EXPECT_EQ(p->tensors[0].spec.strides, (std::vector<int64_t>{16000, 160, 1, 1}));
  EXPECT_EQ(p->tensors[1].spec.shape, (std::vector<int64_t>{1, 50, 75, 2}));
  EXPECT_EQ(p->tensors[1].spec.strides, (std::vector<int64_t>{8000, 160, 2, 1}));
  int32_t roi[4];
  std::memcpy(roi, p->tensors[2].data.data(), 16);
  EXPECT_THAT(roi, ElementsAre(2, 4, 99, 97));
  EXPECT_THAT(p->warnings,
              ElementsAre("g.png: 150x101 has an odd size; NV12 uses the top-left 150x100"));
}

struct BadRoi {
  Roi roi;
  std::string message;
};

TEST(Engine, RejectsBadRois) {
  const std::string image = Encode(Gradient(100, 200), ".png");
  const BadRoi cases[] = {
      {{10, 10, 5, 20},
       "img: ROI 10,10,5,20 has right < left or bottom < top (coordinates are inclusive)"},
      {{0, 0, 200, 99}, "img: ROI 0,0,200,99 lies outside the 200x100 image"},
      {{-2, 0, 10, 10}, "img: ROI -2,0,10,10 lies outside the 200x100 image"},
  };
  for (const BadRoi& c : cases) {
    EXPECT_THAT(Prepare(Load("det_resizer"), {Img("img", image, c.roi)}, {}),
                StatusIs(absl::StatusCode::kInvalidArgument, c.message));
  }
  EXPECT_THAT(Prepare(Load("cls_pyramid"), {Img("img", image, Roi{0, 0, 9, 9})}, {}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "img: a ROI was given but input 'images' is not a resizer input"));
}

TEST(Engine, RefusesHugeDeclaredSizesBeforeDecoding) {
  // A PNG whose header claims 65535x65535, with no pixel data behind it.
  std::string png = Encode(Gradient(8, 8), ".png");
  const char huge[] = {0, 0, '\xff', '\xff', 0, 0, '\xff', '\xff'};
  png.replace(16, 8, huge, 8);
  EXPECT_THAT(Prepare(Load("cls_pyramid"), {Img("big.png", png)}, {}),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       "big.png: PNG header declares 65535x65535, over the limit of 16384x16384 "
                       "and 67108864 pixels"));
}

TEST(Engine, RejectsBrokenImages) {
  const std::string jpeg = Encode(Gradient(64, 64), ".jpg");
  const struct {
    std::string bytes;
    std::string message;
  } cases[] = {
      {"", "x: the image is empty (0 bytes)"},
      {"GIF89a....", "x: not a supported image format (JPEG, PNG, BMP, WebP, TIFF)"},
      {jpeg.substr(0, jpeg.size() / 2), "x: truncated JPEG (no end-of-image marker)"},
      {jpeg.substr(0, 20), "x: truncated or corrupt JPEG header"},
      {Encode(Gradient(8, 8), ".png").substr(0, 60),
       "x: PNG cannot be decoded (corrupt or truncated)"},
  };
  for (const auto& c : cases) {
    EXPECT_THAT(Prepare(Load("cls_pyramid"), {Img("x", c.bytes)}, {}),
                StatusIs(absl::StatusCode::kInvalidArgument, c.message));
  }
}

TEST(Engine, FeaturemapMustHaveThePlansShapeAndDtype) {
  const std::string image = Encode(Gradient(128, 128), ".png");
  const std::vector<uint8_t> zeros(64 * 4, 0);
  const std::string wrong = EncodeNpy(DType::kFloat32, {1, 64}, zeros);
  EXPECT_THAT(Prepare(Load("fusion_multi"),
                      {Img("a.png", image), Img("p.npy", wrong)}, {}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "p.npy: featuremap input 'prior' needs float32 1x64x8x8, got float32 1x64"));
  EXPECT_THAT(Prepare(Load("fusion_multi"),
                      {Img("a.png", image), Img("p.npy", "junk")}, {}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "p.npy: not a usable .npy file: missing the \\x93NUMPY magic"));
}

TEST(Npy, RoundTripsAndConvertsFloat64) {
  const std::vector<uint8_t> data = {1, 2, 3, 4, 5, 6};
  absl::StatusOr<NpyArray> back = DecodeNpy(EncodeNpy(DType::kUint8, {2, 3}, data), "t");
  ASSERT_THAT(back, IsOk());
  EXPECT_EQ(back->shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(back->data, data);
  // A float64 array as numpy writes it: header padded to a multiple of 64 bytes.
  std::string f64 = std::string("\x93NUMPY\x01\x00", 8);
  std::string header = "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }";
  header.append(128 - 10 - header.size() - 1, ' ');
  header += '\n';
  f64 += static_cast<char>(header.size());
  f64 += '\0';
  f64 += header;
  const double values[2] = {1.5, -2.25};
  f64.append(reinterpret_cast<const char*>(values), 16);
  absl::StatusOr<NpyArray> converted = DecodeNpy(f64, "f");
  ASSERT_THAT(converted, IsOk());
  EXPECT_EQ(converted->dtype, DType::kFloat32);
  float floats[2];
  std::memcpy(floats, converted->data.data(), 8);
  EXPECT_THAT(floats, ElementsAre(1.5f, -2.25f));
}

}  // namespace
}  // namespace hbprep
