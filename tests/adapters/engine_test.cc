#include "hbprep/engine.h"

#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "adapters/frame.h"
#include "adapters/resize.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hbprep/color.h"
#include "hbprep/identity.h"
#include "hbprep/npy.h"
#include "opencv2/core.hpp"
#include "opencv2/imgcodecs.hpp"
#include "opencv2/imgproc.hpp"
#include "tests/testing/example_repository.h"
#include "tests/testing/prepare_inputs.h"
#include "tests/testing/status_matchers.h"

namespace hbprep {
namespace {

using ::hbprep::testing::Encode;
using ::hbprep::testing::IsOk;
using ::hbprep::testing::LoadExampleModel;
using ::hbprep::testing::StatusIs;
using ::testing::ElementsAre;

InputImage Img(std::string what, std::string bytes, std::optional<Roi> roi = std::nullopt) {
  InputImage image;
  image.what = std::move(what);
  image.bytes = std::move(bytes);
  image.roi = roi;
  return image;
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
  EXPECT_THAT(ImageBindings(LoadExampleModel("cls_batch8"), Target::kBoard),
              ElementsAre(0, 0, 0, 0, 0, 0, 0, 0));
  EXPECT_THAT(ImageBindings(LoadExampleModel("cls_batch8"), Target::kCalibration), ElementsAre(0));
  EXPECT_THAT(ImageBindings(LoadExampleModel("fusion_multi"), Target::kBoard), ElementsAre(0, 1));
}

TEST(Engine, RejectsTheWrongNumberOfImages) {
  EXPECT_THAT(Prepare(LoadExampleModel("cls_batch8"), {Img("a.jpg", "x")}, {}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "model 'cls_batch8' takes 8 file(s) per request for target board (8 for "
                       "'data'), got 1"));
}

TEST(Engine, PyramidGivesDenseYAndUvOfTheModelSize) {
  absl::StatusOr<Prepared> p = Prepare(LoadExampleModel("cls_pyramid"),
                                       {Img("g.png", Encode(Gradient(300, 400), ".png"))}, {});
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
      Prepare(LoadExampleModel("det_resizer"),
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
    EXPECT_THAT(Prepare(LoadExampleModel("det_resizer"), {Img("img", image, c.roi)}, {}),
                StatusIs(absl::StatusCode::kInvalidArgument, c.message));
  }
  EXPECT_THAT(Prepare(LoadExampleModel("cls_pyramid"), {Img("img", image, Roi{0, 0, 9, 9})}, {}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "img: a ROI was given but input 'images' is not a resizer input"));
}

TEST(Engine, RefusesHugeDeclaredSizesBeforeDecoding) {
  // A PNG whose header claims 65535x65535, with no pixel data behind it.
  std::string png = Encode(Gradient(8, 8), ".png");
  const char huge[] = {0, 0, '\xff', '\xff', 0, 0, '\xff', '\xff'};
  png.replace(16, 8, huge, 8);
  EXPECT_THAT(Prepare(LoadExampleModel("cls_pyramid"), {Img("big.png", png)}, {}),
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
    EXPECT_THAT(Prepare(LoadExampleModel("cls_pyramid"), {Img("x", c.bytes)}, {}),
                StatusIs(absl::StatusCode::kInvalidArgument, c.message));
  }
}

TEST(Engine, FeaturemapMustHaveThePlansShapeAndDtype) {
  const std::string image = Encode(Gradient(128, 128), ".png");
  const std::vector<uint8_t> zeros(64 * 4, 0);
  const std::string wrong = EncodeNpy(DType::kFloat32, {1, 64}, zeros);
  EXPECT_THAT(
      Prepare(LoadExampleModel("fusion_multi"), {Img("a.png", image), Img("p.npy", wrong)}, {}),
      StatusIs(absl::StatusCode::kInvalidArgument,
               "p.npy: featuremap input 'prior' needs float32 1x64x8x8, got float32 1x64"));
  EXPECT_THAT(
      Prepare(LoadExampleModel("fusion_multi"), {Img("a.png", image), Img("p.npy", "junk")}, {}),
      StatusIs(absl::StatusCode::kInvalidArgument,
               "p.npy: featuremap input 'prior' needs a .npy file or a .bin of 16384 "
               "bytes (float32 1x64x8x8), got 4 bytes"));
  // A .bin file holds just the float32 values.
  std::vector<uint8_t> values(64 * 8 * 8 * 4);
  for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<uint8_t>(i * 7);
  absl::StatusOr<Prepared> p =
      Prepare(LoadExampleModel("fusion_multi"),
              {Img("a.png", image), Img("p.bin", std::string(values.begin(), values.end()))}, {});
  ASSERT_THAT(p, IsOk());
  EXPECT_EQ(p->tensors[1].data, values);
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
  // float16 and int64 as numpy writes them (np.save of np.float16([1, -2]), np.int64([-3, 2**40])).
  for (const auto& [descr, bytes] : std::vector<std::pair<std::string, std::string>>{
           {"<f2", std::string("\x00\x3c\x00\xc0", 4)},
           {"<i8", std::string("\xfd\xff\xff\xff\xff\xff\xff\xff\x00\x00\x00\x00\x00\x01\x00\x00", 16)}}) {
    std::string file = std::string("\x93NUMPY\x01\x00", 8);
    std::string dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (2,), }";
    dict.append(128 - 10 - dict.size() - 1, ' ');
    dict += '\n';
    file += static_cast<char>(dict.size());
    file += '\0';
    file += dict + bytes;
    absl::StatusOr<NpyArray> read = DecodeNpy(file, descr);
    ASSERT_THAT(read, IsOk());
    EXPECT_EQ(read->dtype, descr == "<f2" ? DType::kFloat16 : DType::kInt64);
    EXPECT_EQ(std::string(read->data.begin(), read->data.end()), bytes);
    EXPECT_EQ(EncodeNpy(read->dtype, {2}, read->data), file);
  }
}

}  // namespace
}  // namespace hbprep

namespace hbprep {
namespace {

Descriptor InlineNv12Model(const std::string& range) {
  absl::StatusOr<Descriptor> d = ParseDescriptor(
      "model_parameters: {march: nash-e}\n"
      "input_parameters:\n"
      "  input_name: cam\n  input_type_train: rgb\n  input_layout_train: NCHW\n"
      "  input_type_rt: nv12\n  input_shape: 1x3x64x96\n  input_space_and_range: " +
          range + "\n",
      "cam", {}, nullptr);
  EXPECT_THAT(d, IsOk());
  return *d;
}

// An NV12 frame: Y then interleaved UV, `stride` bytes per row.
std::string Nv12Frame(int width, int height, int stride, uint8_t (*y)(int, int),
                      uint8_t (*u)(int, int), uint8_t (*v)(int, int)) {
  std::string bytes(static_cast<size_t>(stride) * height * 3 / 2, '\x7f');
  for (int r = 0; r < height; ++r) {
    for (int x = 0; x < width; ++x) bytes[r * stride + x] = static_cast<char>(y(r, x));
  }
  for (int r = 0; r < height / 2; ++r) {
    for (int x = 0; x < width / 2; ++x) {
      bytes[(height + r) * stride + 2 * x] = static_cast<char>(u(r, x));
      bytes[(height + r) * stride + 2 * x + 1] = static_cast<char>(v(r, x));
    }
  }
  return bytes;
}

// A packed NV12 frame of busy, unrelated patterns in Y, U and V.
std::string PatternFrame(int width, int height) {
  return Nv12Frame(
      width, height, width,
      [](int r, int x) { return static_cast<uint8_t>(16 + (r * 7 + x * 3) % 219); },
      [](int r, int x) { return static_cast<uint8_t>(40 + (r + 2 * x) % 170); },
      [](int r, int x) { return static_cast<uint8_t>(220 - (r * 3 + x) % 180); });
}

InputImage RawImg(std::string bytes, RawImage raw) {
  InputImage image = Img("frame.yuv", std::move(bytes));
  image.raw = raw;
  return image;
}

TEST(EngineRaw, Nv12FrameReachesNv12PlanesWithoutBgr) {
  const int w = 192, h = 128, stride = 200;
  const std::string frame = Nv12Frame(
      w, h, stride, [](int r, int x) { return static_cast<uint8_t>(16 + (r * 3 + x) % 200); },
      [](int r, int x) { return static_cast<uint8_t>(60 + (r + x) % 120); },
      [](int r, int x) { return static_cast<uint8_t>(200 - (r * 2 + x) % 150); });
  RawImage raw{RawFormat::kNv12, w, h, stride, ColorRange::kBt601Video};
  absl::StatusOr<Prepared> p = Prepare(InlineNv12Model("bt601_video"), {RawImg(frame, raw)}, {});
  ASSERT_THAT(p, IsOk());
  // The reference: each plane scaled on its own (a BGR round trip would change both).
  const cv::Mat y_plane(h, w, CV_8UC1, const_cast<char*>(frame.data()), stride);
  const cv::Mat uv_plane(h / 2, w / 2, CV_8UC2, const_cast<char*>(frame.data()) + stride * h,
                         stride);
  cv::Mat y_want, uv_want;
  Resize(y_plane, y_want, cv::Size(96, 64), cv::INTER_LINEAR);
  Resize(uv_plane, uv_want, cv::Size(48, 32), cv::INTER_LINEAR);
  EXPECT_EQ(p->tensors[0].data, std::vector<uint8_t>(y_want.datastart, y_want.dataend));
  EXPECT_EQ(p->tensors[1].data, std::vector<uint8_t>(uv_want.datastart, uv_want.dataend));
  EXPECT_TRUE(p->warnings.empty());
}

TEST(EngineRaw, ConvertsVideoRangeFramesForFullRangeModels) {
  const std::string frame = Nv12Frame(
      96, 64, 96, [](int, int x) { return static_cast<uint8_t>(x % 2 ? 235 : 16); },
      [](int, int) { return uint8_t{128}; }, [](int, int) { return uint8_t{240}; });
  RawImage raw{RawFormat::kNv12, 96, 64, 0, ColorRange::kBt601Video};
  absl::StatusOr<Prepared> p = Prepare(InlineNv12Model("regular"), {RawImg(frame, raw)}, {});
  ASSERT_THAT(p, IsOk());
  EXPECT_EQ(p->tensors[0].data[0], 0);    // Y 16 -> 0
  EXPECT_EQ(p->tensors[0].data[1], 255);  // Y 235 -> 255
  EXPECT_EQ(p->tensors[1].data[0], 128);  // U 128 stays
  EXPECT_EQ(p->tensors[1].data[1], 255);  // V 240 -> 255

  PrepareOptions keep;
  keep.convert_range = false;
  p = Prepare(InlineNv12Model("regular"), {RawImg(frame, raw)}, keep);
  ASSERT_THAT(p, IsOk());
  EXPECT_EQ(p->tensors[0].data[0], 16);
  EXPECT_EQ(p->tensors[1].data[1], 240);
  EXPECT_THAT(p->warnings, ElementsAre("frame.yuv: the frame is video range but input 'cam' "
                                       "expects regular; passed through unconverted as asked"));
}

TEST(EngineRaw, PaddedBgrRowsEqualTheSamePixelsEncoded) {
  const cv::Mat image = Gradient(75, 90);
  const int stride = 90 * 3 + 7;
  std::string bytes(static_cast<size_t>(stride) * 75, '\xee');
  for (int r = 0; r < 75; ++r) std::memcpy(&bytes[r * stride], image.ptr(r), 90 * 3);
  PrepareOptions calibration;
  calibration.target = Target::kCalibration;
  absl::StatusOr<Prepared> raw =
      Prepare(LoadExampleModel("cls_pyramid"),
              {RawImg(bytes, RawImage{RawFormat::kBgr, 90, 75, stride, {}})}, calibration);
  absl::StatusOr<Prepared> png =
      Prepare(LoadExampleModel("cls_pyramid"), {Img("g.png", Encode(image, ".png"))}, calibration);
  ASSERT_THAT(raw, IsOk());
  ASSERT_THAT(png, IsOk());
  EXPECT_EQ(raw->tensors[0].data, png->tensors[0].data);
}

TEST(EngineRaw, RejectsBadRawBuffers) {
  const struct {
    RawImage raw;
    size_t bytes;
    absl::StatusCode code;
    std::string message;
  } cases[] = {
      {{RawFormat::kNv12, 64, 48, 0, {}},
       64 * 48,
       absl::StatusCode::kInvalidArgument,
       "f: raw nv12 64x48 stride 64 needs 4608 bytes, got 3072"},
      {{RawFormat::kNv12, 63, 48, 0, {}},
       10000,
       absl::StatusCode::kInvalidArgument,
       "f: raw nv12 63x48: nv12 needs even width and height"},
      {{RawFormat::kBgr, 10, 10, 20, {}},
       10000,
       absl::StatusCode::kInvalidArgument,
       "f: raw bgr 10x10: stride 20 is less than a row's 30 bytes"},
      {{RawFormat::kGray, -5, 10, 0, {}},
       10000,
       absl::StatusCode::kInvalidArgument,
       "f: raw gray -5x10: width and height must be positive"},
      {{RawFormat::kI420, 65536, 65536, 0, {}},
       16,
       absl::StatusCode::kResourceExhausted,
       "f: raw i420 65536x65536 is over the limit of 16384x16384 and 67108864 pixels"},
  };
  for (const auto& c : cases) {
    InputImage image = RawImg(std::string(c.bytes, '\0'), c.raw);
    image.what = "f";
    EXPECT_THAT(Prepare(LoadExampleModel("cls_pyramid"), {image}, {}), StatusIs(c.code, c.message));
  }
}

}  // namespace
}  // namespace hbprep

namespace hbprep {
namespace {

// ddr yuv444 (int8), gray pyramid and gray ddr against per-pixel scalar references, on an
// odd-sized raw BGR frame with padded rows. (The kernels' unaligned cases are in
// color_test.cc; the engine copies raw frames before converting them.)
TEST(EngineAdapters, YuvAndGrayMatchScalarReferencesOnOddStridedInput) {
  absl::StatusOr<Descriptor> d = ParseDescriptor(
      "model_parameters: {march: nash-m}\n"
      "input_parameters:\n"
      "  input_name: 'a; g; d'\n"
      "  input_type_train: 'rgb; gray; gray'\n"
      "  input_layout_train: 'NHWC; NCHW; NCHW'\n"
      "  input_type_rt: 'yuv444; gray; gray'\n"
      "  input_shape: '1x11x13x3; 1x1x11x13; 1x1x11x13'\n"
      "compiler_parameters:\n  input_source: {d: ddr}\n",
      "adapters", {}, nullptr);
  ASSERT_THAT(d, IsOk());
  const int w = 13, h = 11, stride = w * 3 + 5;
  std::string frame(static_cast<size_t>(stride) * h, '\x5a');
  for (int r = 0; r < h; ++r) {
    for (int i = 0; i < w * 3; ++i)
      frame[r * stride + i] = static_cast<char>((r * 53 + i * 29) % 256);
  }
  const RawImage raw{RawFormat::kBgr, w, h, stride, {}};
  absl::StatusOr<Prepared> p =
      Prepare(*d, {RawImg(frame, raw), RawImg(frame, raw), RawImg(frame, raw)}, {});
  ASSERT_THAT(p, IsOk());
  ASSERT_EQ(p->tensors.size(), 3u);
  EXPECT_EQ(p->tensors[0].spec.dtype, DType::kInt8);
  EXPECT_EQ(p->tensors[1].spec.name, "g_y");
  EXPECT_EQ(p->tensors[1].spec.strides, (std::vector<int64_t>{352, 32, 1, 1}));
  EXPECT_EQ(p->tensors[2].spec.dtype, DType::kUint8);
  for (int r = 0; r < h; ++r) {
    for (int x = 0; x < w; ++x) {
      const uint8_t* px = reinterpret_cast<const uint8_t*>(frame.data()) + r * stride + x * 3;
      const double b = px[0], g = px[1], rr = px[2];
      const uint8_t y = static_cast<uint8_t>(0.299 * rr + 0.587 * g + 0.114 * b);
      const uint8_t u = static_cast<uint8_t>(-0.169 * rr - 0.331 * g + 0.5 * b + 128);
      const uint8_t v = static_cast<uint8_t>(0.5 * rr - 0.419 * g - 0.081 * b + 128);
      const size_t i = static_cast<size_t>(r) * w + x;
      EXPECT_EQ(p->tensors[0].data[i * 3 + 0], static_cast<uint8_t>(y - 128)) << r << "," << x;
      EXPECT_EQ(p->tensors[0].data[i * 3 + 1], static_cast<uint8_t>(u - 128));
      EXPECT_EQ(p->tensors[0].data[i * 3 + 2], static_cast<uint8_t>(v - 128));
      EXPECT_EQ(p->tensors[1].data[i], y);
      EXPECT_EQ(p->tensors[2].data[i], y);
    }
  }
  // The board layout pads each 13-byte row to 32 with zeros.
  const std::vector<uint8_t> packed = PackStrided(p->tensors[1]);
  ASSERT_EQ(packed.size(), 352u);
  EXPECT_EQ(packed[32], p->tensors[1].data[13]);
  EXPECT_EQ(packed[13], 0);
}

}  // namespace
}  // namespace hbprep

namespace hbprep {
namespace {

// A camera-like JPEG: smooth shading, edges, texture.
std::string CameraJpeg(int width, int height) {
  cv::Mat image(height, width, CV_8UC3);
  cv::RNG rng(4);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      image.at<cv::Vec3b>(y, x) =
          cv::Vec3b(static_cast<uint8_t>(40 + 150 * x / width), static_cast<uint8_t>(80 + y % 90),
                    static_cast<uint8_t>(200 - 120 * y / height + rng.uniform(0, 12)));
    }
  }
  cv::circle(image, {width / 2, height / 2}, height / 3, cv::Scalar(30, 180, 220), cv::FILLED,
             cv::LINE_AA);
  std::vector<uint8_t> bytes;
  cv::imencode(".jpg", image, bytes, {cv::IMWRITE_JPEG_QUALITY, 92});
  return std::string(bytes.begin(), bytes.end());
}

double PlanePsnr(const Tensor& a, const Tensor& b) {
  const cv::Mat x(1, static_cast<int>(a.data.size()), CV_8U, const_cast<uint8_t*>(a.data.data()));
  const cv::Mat y(1, static_cast<int>(b.data.size()), CV_8U, const_cast<uint8_t*>(b.data.data()));
  return cv::PSNR(x, y);
}

// Fast decoding: JPEG's planes reduced in the DCT domain. Close to exact (not equal), chosen per
// request or per model (hbprep.decode), the request winning; part of the descriptor's identity.
TEST(EngineFastDecode, IsCloseToExactAndSelectedByRequestOrModel) {
  const std::string jpeg = CameraJpeg(1280, 720);
  const Descriptor exact_model = LoadExampleModel("cls_pyramid");
  PrepareOptions exact, fast;
  fast.decode = DecodeMode::kFast;
  absl::StatusOr<Prepared> a = Prepare(exact_model, {Img("a.jpg", jpeg)}, exact);
  absl::StatusOr<Prepared> b = Prepare(exact_model, {Img("a.jpg", jpeg)}, fast);
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());
  ASSERT_EQ(b->tensors.size(), 2u);
  EXPECT_EQ(b->tensors[0].dense_shape, a->tensors[0].dense_shape);
  EXPECT_NE(a->tensors[0].data, b->tensors[0].data);
  EXPECT_GT(PlanePsnr(a->tensors[0], b->tensors[0]), 30);  // Y
  EXPECT_GT(PlanePsnr(a->tensors[1], b->tensors[1]), 30);  // UV

  std::string yaml;
  {
    std::ifstream file(HBPREP_SOURCE_DIR "/deploy/models/cls_pyramid.yaml");
    std::stringstream text;
    text << file.rdbuf();
    yaml = text.str();
  }
  yaml.replace(yaml.find("hbprep:\n"), 8, "hbprep:\n  decode: fast\n");
  absl::StatusOr<Descriptor> fast_model = ParseDescriptor(yaml, "cls_pyramid", {}, nullptr);
  ASSERT_THAT(fast_model, IsOk());
  EXPECT_EQ(fast_model->decode, DecodeMode::kFast);
  EXPECT_NE(DescriptorHash(*fast_model), DescriptorHash(exact_model));
  absl::StatusOr<Prepared> c = Prepare(*fast_model, {Img("a.jpg", jpeg)}, {});
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->tensors[0].data, b->tensors[0].data);
  PrepareOptions force_exact;
  force_exact.decode = DecodeMode::kExact;
  absl::StatusOr<Prepared> d = Prepare(*fast_model, {Img("a.jpg", jpeg)}, force_exact);
  ASSERT_THAT(d, IsOk());
  EXPECT_EQ(d->tensors[0].data, a->tensors[0].data);

  // Not a JPEG: decoded as in exact mode. Calibration: fast too, and close.
  const std::string png = Encode(Gradient(300, 400), ".png");
  absl::StatusOr<Prepared> e = Prepare(exact_model, {Img("p.png", png)}, fast);
  absl::StatusOr<Prepared> f = Prepare(exact_model, {Img("p.png", png)}, exact);
  ASSERT_THAT(e, IsOk());
  ASSERT_THAT(f, IsOk());
  EXPECT_EQ(e->tensors[0].data, f->tensors[0].data);
  PrepareOptions calibration = fast;
  calibration.target = Target::kCalibration;
  absl::StatusOr<Prepared> g = Prepare(exact_model, {Img("a.jpg", jpeg)}, calibration);
  calibration.decode = DecodeMode::kExact;
  absl::StatusOr<Prepared> h = Prepare(exact_model, {Img("a.jpg", jpeg)}, calibration);
  ASSERT_THAT(g, IsOk());
  ASSERT_THAT(h, IsOk());
  const float* gx = reinterpret_cast<const float*>(g->tensors[0].data.data());
  const float* hx = reinterpret_cast<const float*>(h->tensors[0].data.data());
  double sum = 0;
  const size_t n = g->tensors[0].data.size() / sizeof(float);
  for (size_t i = 0; i < n; ++i) sum += std::abs(gx[i] - hx[i]);
  EXPECT_LT(sum / n, 0.1);  // normalised units (std about 58): under 6 grey levels on average
}

// The resizer takes the full frame: fast mode decodes JPEG straight to full-size planes.
TEST(EngineFastDecode, ResizerPlanesAreFullSizeAndInTheModelsRange) {
  const std::string jpeg = CameraJpeg(640, 360);
  PrepareOptions fast;
  fast.decode = DecodeMode::kFast;
  absl::StatusOr<Prepared> a = Prepare(LoadExampleModel("det_resizer"), {Img("a.jpg", jpeg)}, fast);
  absl::StatusOr<Prepared> b = Prepare(LoadExampleModel("det_resizer"), {Img("a.jpg", jpeg)}, {});
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());
  EXPECT_THAT(a->tensors[0].dense_shape, ElementsAre(1, 360, 640, 1));
  EXPECT_GT(PlanePsnr(a->tensors[0], b->tensors[0]), 35);  // video range both
  EXPECT_GT(PlanePsnr(a->tensors[1], b->tensors[1]), 35);
}

}  // namespace
}  // namespace hbprep

namespace hbprep {
namespace {

// NV12 frames to NV12 outputs: the recipe's resize and crop composed into one window of the
// frame, each plane scaled from it once: with sub-pixel geometry, or, reducing more than 2x,
// from the window rounded to whole pixels.
TEST(EngineRaw, Nv12RecipeIsOneWindowScaledOncePerPlane) {
  absl::StatusOr<Descriptor> model = ParseDescriptor(
      "model_parameters: {march: nash-e}\n"
      "input_parameters:\n"
      "  input_name: cam\n  input_type_train: rgb\n  input_layout_train: NCHW\n"
      "  input_type_rt: nv12\n  input_shape: 1x3x224x224\n  input_space_and_range: bt601_video\n"
      "hbprep:\n  inputs:\n    cam:\n      recipe:\n        - ShortSideResize: 256\n"
      "        - CenterCrop: 224\n",
      "cam", {}, nullptr);
  ASSERT_THAT(model, IsOk());
  const int w = 640, h = 480;
  const std::string frame = PatternFrame(w, h);
  absl::StatusOr<Prepared> p =
      Prepare(*model, {RawImg(frame, {RawFormat::kNv12, w, h, 0, ColorRange::kBt601Video})}, {});
  ASSERT_THAT(p, IsOk());
  // ShortSideResize 256 gives 341x256 and CenterCrop 224 starts at (58, 16): the window of
  // the frame is x 58 * 640 / 341 = 108.856.., width 224 * 640 / 341 = 420.41.., y 30,
  // height 420. Output pixel centre i + 0.5 maps to frame edge coordinate x + (i + 0.5) * s.
  const double x = 58.0 * 640 / 341, width = 224.0 * 640 / 341, y = 30, height = 420;
  auto plane = [&](const cv::Mat& src, double reduce, int size) {
    const double sx = width / reduce / size, sy = height / reduce / size;
    const cv::Matx23d map(sx, 0, x / reduce + 0.5 * sx - 0.5, 0, sy, y / reduce + 0.5 * sy - 0.5);
    cv::Mat out;
    cv::warpAffine(src, out, map, cv::Size(size, size), cv::INTER_LINEAR | cv::WARP_INVERSE_MAP,
                   cv::BORDER_REPLICATE);
    return std::vector<uint8_t>(out.datastart, out.dataend);
  };
  const cv::Mat y_plane(h, w, CV_8UC1, const_cast<char*>(frame.data()));
  const cv::Mat uv_plane(h / 2, w / 2, CV_8UC2, const_cast<char*>(frame.data()) + w * h);
  EXPECT_EQ(p->tensors[0].data, plane(y_plane, 1, 224));
  EXPECT_EQ(p->tensors[1].data, plane(uv_plane, 2, 112));

  // A strong reduction (over 2x per axis): the window rounded to whole pixels, cv::resize.
  const int big_w = 1280, big_h = 960;
  const std::string big = Nv12Frame(
      big_w, big_h, big_w, [](int r, int c) { return static_cast<uint8_t>(16 + (r * 5 + c) % 219); },
      [](int r, int c) { return static_cast<uint8_t>(40 + (3 * r + c) % 170); },
      [](int r, int c) { return static_cast<uint8_t>(220 - (r + 4 * c) % 180); });
  absl::StatusOr<Prepared> q = Prepare(
      *model, {RawImg(big, {RawFormat::kNv12, big_w, big_h, 0, ColorRange::kBt601Video})}, {});
  ASSERT_THAT(q, IsOk());
  // 341x256 again, crop at (58, 16): window x 217.71 .. 1058.53, y 60 .. 900 (3.75 frame
  // pixels per output pixel): luma 218 .. 1059 x 60 .. 900, chroma 109 .. 529 x 30 .. 450.
  const cv::Mat big_y(big_h, big_w, CV_8UC1, const_cast<char*>(big.data()));
  const cv::Mat big_uv(big_h / 2, big_w / 2, CV_8UC2, const_cast<char*>(big.data()) + big_w * big_h);
  cv::Mat y_want, uv_want;
  cv::resize(big_y(cv::Rect(218, 60, 841, 840)), y_want, cv::Size(224, 224), 0, 0,
             cv::INTER_LINEAR);
  cv::resize(big_uv(cv::Rect(109, 30, 420, 420)), uv_want, cv::Size(112, 112), 0, 0,
             cv::INTER_LINEAR);
  EXPECT_EQ(q->tensors[0].data, std::vector<uint8_t>(y_want.datastart, y_want.dataend));
  EXPECT_EQ(q->tensors[1].data, std::vector<uint8_t>(uv_want.datastart, uv_want.dataend));

  // On a camera-like picture, close to the step-by-step recipe on BGR (which resizes twice
  // and converts back): the same picture in the same place.
  cv::Mat bgr;
  cv::imdecode(cv::_InputArray(CameraJpeg(w, h).data(), static_cast<int>(CameraJpeg(w, h).size())),
               cv::IMREAD_COLOR, &bgr);
  cv::Mat i420;
  cv::cvtColor(bgr, i420, cv::COLOR_BGR2YUV_I420);
  std::string nv12(reinterpret_cast<const char*>(i420.data), w * h);
  for (int i = 0; i < w * h / 4; ++i) {
    nv12 += static_cast<char>(i420.data[w * h + i]);
    nv12 += static_cast<char>(i420.data[w * h + w * h / 4 + i]);
  }
  absl::StatusOr<Prepared> planar =
      Prepare(*model, {RawImg(nv12, {RawFormat::kNv12, w, h, 0, ColorRange::kBt601Video})}, {});
  absl::StatusOr<Prepared> via_bgr = Prepare(*model, {Img("f.png", Encode(bgr, ".png"))}, {});
  ASSERT_THAT(planar, IsOk());
  ASSERT_THAT(via_bgr, IsOk());
  EXPECT_GT(PlanePsnr(planar->tensors[0], via_bgr->tensors[0]), 35);
  EXPECT_GT(PlanePsnr(planar->tensors[1], via_bgr->tensors[1]), 35);
}

}  // namespace
}  // namespace hbprep

namespace hbprep {
namespace {

// Range conversion of NV12 planes: the BT.601 formulas, rounded and saturated, for every
// value at every position of a row (vectorised body and scalar tail alike), both ways.
TEST(FrameRange, ConvertsEveryValueByTheFormulas) {
  auto clamp = [](double v) {
    return static_cast<uint8_t>(std::min(255.0, std::max(0.0, std::nearbyint(v))));
  };
  for (bool to_video : {false, true}) {
    Frame frame;
    frame.nv12 = true;
    frame.range = to_video ? ColorRange::kRegular : ColorRange::kBt601Video;
    frame.y.create(3, 1027, CV_8UC1);
    frame.uv.create(3, 1027, CV_8UC2);
    for (int r = 0; r < 3; ++r) {
      for (int x = 0; x < 1027; ++x) {
        frame.y.at<uint8_t>(r, x) = static_cast<uint8_t>((x + 7 * r) % 256);
        frame.uv.at<cv::Vec2b>(r, x) = cv::Vec2b(static_cast<uint8_t>((x + 3 * r) % 256),
                                                 static_cast<uint8_t>((x * 5 + r) % 256));
      }
    }
    const cv::Mat y = frame.y.clone(), uv = frame.uv.clone();
    frame.ConvertRange(to_video ? ColorRange::kBt601Video : ColorRange::kRegular);
    for (int r = 0; r < 3; ++r) {
      for (int x = 0; x < 1027; ++x) {
        const double v = y.at<uint8_t>(r, x);
        EXPECT_EQ(frame.y.at<uint8_t>(r, x),
                  clamp(to_video ? v * 219.0 / 255.0 + 16 : (v - 16) * 255.0 / 219.0));
        for (int c = 0; c < 2; ++c) {
          const double w = uv.at<cv::Vec2b>(r, x)[c];
          EXPECT_EQ(frame.uv.at<cv::Vec2b>(r, x)[c],
                    clamp(to_video ? (w - 128) * 224.0 / 255.0 + 128
                                   : (w - 128) * 255.0 / 224.0 + 128));
        }
      }
    }
  }
}

}  // namespace
}  // namespace hbprep

namespace hbprep {
namespace {

// Exact decoding of only the columns a recipe reads gives the same tensors as decoding the
// whole image with cv::imdecode and running the recipe's steps with OpenCV, byte for byte.
TEST(EngineExactDecode, RecipesThatReadPartOfEachRowMatchAFullDecode) {
  const std::vector<std::pair<std::string, std::string>> recipes = {
      {"short side + centre crop", "        - ShortSideResize: 256\n        - CenterCrop: 224\n"},
      {"area short side + centre crop",
       "        - ShortSideResize: {size: 256, interpolation: area}\n        - CenterCrop: 224\n"},
      {"long side crop + cubic resize",
       "        - LongSideCrop\n        - Resize: {size: [224, 224], interpolation: cubic}\n"},
      {"padded centre crop", "        - PaddedCenterCrop: {size: 224, padding: 32}\n"},
  };
  // The same steps, written out with OpenCV (the transformer's arithmetic: a resize after a
  // crop resizes the crop's float32 data).
  auto reference = [](const std::string& which, const cv::Mat& bgr) {
    const int h = bgr.rows, w = bgr.cols;
    cv::Mat out, crop;
    if (which == "long side crop + cubic resize") {
      const int side = std::min(h, w);
      bgr(cv::Rect((w - side) / 2, (h - side) / 2, side, side)).convertTo(crop, CV_32F);
      Resize(crop, out, {224, 224}, cv::INTER_CUBIC);
      return out;
    }
    if (which == "padded centre crop") {
      const int side = static_cast<int>(224.0 / (224 + 32) * std::min(h, w));
      bgr(cv::Rect(((w - side) + 1) / 2, ((h - side) + 1) / 2, side, side)).convertTo(crop, CV_32F);
      Resize(crop, out, {224, 224}, cv::INTER_LINEAR);
      return out;
    }
    const int interpolation = which == "area short side + centre crop" ? cv::INTER_AREA
                                                                       : cv::INTER_LINEAR;
    cv::Mat resized;
    Resize(bgr, resized, cv::Size(static_cast<int>(256 * (static_cast<double>(w) / h)), 256),
           interpolation);
    return cv::Mat(resized(cv::Rect(resized.cols / 2 - 112, 16, 224, 224)));
  };
  std::vector<std::string> jpegs = {CameraJpeg(1280, 720), CameraJpeg(1000, 562)};
  {
    std::vector<uint8_t> bytes;
    cv::Mat photo;
    cv::imdecode(cv::_InputArray(jpegs[0].data(), static_cast<int>(jpegs[0].size())),
                 cv::IMREAD_COLOR, &photo);
    cv::imencode(".jpg", photo(cv::Rect(0, 0, 1111, 601)), bytes,
                 {cv::IMWRITE_JPEG_PROGRESSIVE, 1, cv::IMWRITE_JPEG_QUALITY, 80});
    jpegs.emplace_back(bytes.begin(), bytes.end());
  }
  for (const auto& [which, steps] : recipes) {
    absl::StatusOr<Descriptor> model = ParseDescriptor(
        "model_parameters: {march: nash-e}\n"
        "input_parameters:\n"
        "  input_name: cam\n  input_type_train: rgb\n  input_layout_train: NCHW\n"
        "  input_type_rt: nv12\n  input_shape: 1x3x224x224\n"
        // float64 calc on the uint8 steps' pixels: this test is about which pixels are
        // decoded, not the pipelines' precision (tested below).
        "hbprep:\n  nv12_recipe: calc\n  inputs:\n    cam:\n      recipe:\n" + steps,
        "cam", {}, nullptr);
    ASSERT_THAT(model, IsOk());
    for (size_t k = 0; k < jpegs.size(); ++k) {
      SCOPED_TRACE(which + ", image " + std::to_string(k));
      absl::StatusOr<Prepared> p = Prepare(*model, {Img("a.jpg", jpegs[k])}, {});
      ASSERT_THAT(p, IsOk());
      cv::Mat bgr;
      cv::imdecode(cv::_InputArray(jpegs[k].data(), static_cast<int>(jpegs[k].size())),
                   cv::IMREAD_COLOR, &bgr);
      const cv::Mat want = reference(which, bgr).clone();
      std::vector<uint8_t> y(224 * 224), uv(224 * 112);
      if (want.depth() == CV_32F) {
        FloatRgbToNv12Calc(want.ptr<float>(), 224 * 3, ChannelOrder::kBgr, false, y.data(), 224,
                           uv.data(), 224, 224, 224);
      } else {
        RgbToNv12Calc(want.data, static_cast<int>(want.step[0]), ChannelOrder::kBgr, y.data(),
                      224, uv.data(), 224, 224, 224);
      }
      EXPECT_TRUE(p->tensors[0].data == y);
      EXPECT_TRUE(p->tensors[1].data == uv);
    }
  }
}

}  // namespace
}  // namespace hbprep

namespace hbprep {
namespace {

// An area resize of a camera frame is cv::resize's area averaging, per plane, even when the
// reduction is small (the one-window scaling interpolates, so area recipes go step by step).
TEST(EngineRaw, AreaRecipesAverageThePlanes) {
  absl::StatusOr<Descriptor> model = ParseDescriptor(
      "model_parameters: {march: nash-e}\n"
      "input_parameters:\n"
      "  input_name: cam\n  input_type_train: rgb\n  input_layout_train: NCHW\n"
      "  input_type_rt: nv12\n  input_shape: 1x3x64x64\n  input_space_and_range: bt601_video\n"
      "hbprep:\n  inputs:\n    cam:\n      recipe:\n        - CenterCrop: 92\n"
      "        - Resize: {size: [64, 64], interpolation: area}\n",
      "cam", {}, nullptr);
  ASSERT_THAT(model, IsOk());
  const int w = 152, h = 100;  // the crop starts at (30, 4); then a 1.44x reduction
  const std::string frame = PatternFrame(w, h);
  absl::StatusOr<Prepared> p =
      Prepare(*model, {RawImg(frame, {RawFormat::kNv12, w, h, 0, ColorRange::kBt601Video})}, {});
  ASSERT_THAT(p, IsOk());
  const cv::Mat y_plane(h, w, CV_8UC1, const_cast<char*>(frame.data()));
  const cv::Mat uv_plane(h / 2, w / 2, CV_8UC2, const_cast<char*>(frame.data()) + w * h);
  cv::Mat y_want, uv_want;
  Resize(y_plane(cv::Rect(30, 4, 92, 92)), y_want, cv::Size(64, 64), cv::INTER_AREA);
  Resize(uv_plane(cv::Rect(15, 2, 46, 46)), uv_want, cv::Size(32, 32), cv::INTER_AREA);
  EXPECT_EQ(p->tensors[0].data, std::vector<uint8_t>(y_want.datastart, y_want.dataend));
  EXPECT_EQ(p->tensors[1].data, std::vector<uint8_t>(uv_want.datastart, uv_want.dataend));
}

// A J6 Y plane of 2 rows of 3 bytes with the given strides and data.
Tensor YPlane(std::vector<int64_t> strides, std::vector<uint8_t> data = {1, 2, 3, 4, 5, 6}) {
  Tensor t;
  t.spec.name = "y";
  t.spec.role = TensorRole::kY;
  t.spec.layout = TensorLayout::kNHWC;
  t.spec.shape = {1, 2, 3, 1};
  t.spec.strides = std::move(strides);
  t.data = std::move(data);
  return t;
}

TEST(PackStrided, ValidLayoutsKeepTheirBytesAndSize) {
  const Tensor y = YPlane({64, 32, 1, 1});
  EXPECT_EQ(CheckStridedLayout(y.spec, y.data.size()).value_or(0), 64u);
  std::vector<uint8_t> want(64, 0);
  want[0] = 1, want[1] = 2, want[2] = 3, want[32] = 4, want[33] = 5, want[34] = 6;
  EXPECT_EQ(PackStrided(y), want);
  // Rows exactly as wide as the stride: the dense layout, unchanged.
  const Tensor dense = YPlane({6, 3, 1, 1});
  EXPECT_EQ(CheckStridedLayout(dense.spec, 6).value_or(0), 6u);
  EXPECT_EQ(PackStrided(dense), dense.data);
  // A padded featuremap: two rows of two float32, 16 bytes apart.
  Tensor feature;
  feature.spec.name = "f";
  feature.spec.dtype = DType::kFloat32;
  feature.spec.shape = {2, 2};
  feature.spec.strides = {16, 4};
  feature.data.assign(16, 7);
  EXPECT_EQ(CheckStridedLayout(feature.spec, 16).value_or(0), 32u);
  std::vector<uint8_t> padded(32, 0);
  std::fill(padded.begin(), padded.begin() + 8, 7);
  std::fill(padded.begin() + 16, padded.begin() + 24, 7);
  EXPECT_EQ(PackStrided(feature), padded);
  // OE 1.x packed NV12: 4 + 2 rows of 4 bytes, rows 16 apart.
  Tensor nv12;
  nv12.spec.name = "n";
  nv12.spec.role = TensorRole::kNv12;
  nv12.spec.layout = TensorLayout::kNV12;
  nv12.spec.shape = {1, 3, 4, 4};
  nv12.spec.strides = {96, 64, 16, 1};
  nv12.data.assign(24, 9);
  EXPECT_EQ(CheckStridedLayout(nv12.spec, 24).value_or(0), 96u);
  const std::vector<uint8_t> packed = PackStrided(nv12);
  ASSERT_EQ(packed.size(), 96u);
  for (int row = 0; row < 6; ++row) {
    EXPECT_EQ(std::vector<uint8_t>(packed.begin() + row * 16, packed.begin() + row * 16 + 4),
              std::vector<uint8_t>(4, 9));
    EXPECT_EQ(std::vector<uint8_t>(packed.begin() + row * 16 + 4, packed.begin() + row * 16 + 16),
              std::vector<uint8_t>(12, 0));
  }
}

// Strides, shapes and data sizes that would make PackStrided write or read out of bounds
// (today's heap overflow with strides a server or model info file sent) are refused, and
// PackStrided gives nothing for them.
TEST(PackStrided, RefusesLayoutsThatWouldLeaveTheBuffers) {
  struct Case {
    Tensor tensor;
    std::string message;
  };
  Tensor roi;
  roi.spec.name = "data_roi";
  roi.spec.role = TensorRole::kRoi;
  roi.spec.dtype = DType::kInt32;
  roi.spec.shape = {1, 4};
  roi.spec.strides = {16, 4};  // and no data
  Tensor feature;
  feature.spec.name = "f";
  feature.spec.dtype = DType::kFloat32;
  feature.spec.shape = {2, 3};
  feature.spec.strides = {8, 4};
  feature.data.assign(24, 1);
  Tensor one_d = feature;
  one_d.spec.shape = {6};
  one_d.spec.strides = {2};
  Tensor nv12;
  nv12.spec.name = "n";
  nv12.spec.role = TensorRole::kNv12;
  nv12.spec.layout = TensorLayout::kNV12;
  nv12.spec.shape = {1, 3, 4, 4};
  nv12.spec.strides = {64, 64, 16, 1};  // 6 rows of 16 need 84 bytes
  nv12.data.assign(24, 9);
  Tensor int_plane = YPlane({64, 32, 1, 1});
  int_plane.spec.dtype = DType::kInt32;
  Tensor no_layout = YPlane({64, 32, 1, 1});
  no_layout.spec.layout = TensorLayout::kNone;
  std::vector<Case> cases = {
      {YPlane({4, 32, 1, 1}),
       "tensor 'y': strides 4,32,1,1 do not fit shape 1x2x3x1: image stride 4 is below the "
       "image's 35 bytes"},
      {YPlane({64, 2, 1, 1}),
       "tensor 'y': strides 64,2,1,1 do not fit shape 1x2x3x1: row stride 2 is below the row's "
       "3 bytes"},
      {YPlane({64, 32, 1, 1}, {1, 2, 3, 4, 5}),
       "tensor 'y': holds 5 data bytes, shape 1x2x3x1 needs 6"},
      {YPlane({-64, 32, 1, 1}), "tensor 'y': strides -64,32,1,1 hold one below 1"},
      {YPlane({64, 32, 1}), "tensor 'y': 3 strides (64,32,1) for shape 1x2x3x1 of rank 4"},
      {int_plane, "tensor 'y': an image plane holds uint8 data, not int32"},
      {no_layout, "tensor 'y': an image plane needs layout NHWC, NCHW or NV12"},
      {roi, "tensor 'data_roi': holds 0 data bytes, shape 1x4 (int32) needs 16"},
      {feature,
       "tensor 'f': strides 8,4 do not fit shape 2x3: stride 8 of dimension 0 is below the 12 "
       "bytes within it"},
      {one_d, "tensor 'f': strides 2 do not fit shape 6: its data ends at byte 24 of 12"},
      {nv12,
       "tensor 'n': strides 64,64,16,1 do not fit shape 1x3x4x4: image stride 64 is below the "
       "image's 84 bytes"},
  };
  Tensor batch = YPlane({int64_t{1} << 62, 32, 1, 1}, std::vector<uint8_t>(24, 1));
  batch.spec.shape = {4, 2, 3, 1};
  cases.push_back({batch,
                   "tensor 'y': shape 4x2x3x1 with strides 4611686018427387904,32,1,1 overflows "
                   "64 bits"});
  Tensor empty_shape = feature;
  empty_shape.spec.shape = {};
  empty_shape.spec.strides = {};
  cases.push_back({empty_shape, "tensor 'f': has no shape"});
  Tensor dynamic = YPlane({64, 32, 1, 1});
  dynamic.spec.shape = {1, -1, 3, 1};
  cases.push_back({dynamic, "tensor 'y': shape 1x-1x3x1 has a dimension below 1"});
  for (const Case& c : cases) {
    EXPECT_THAT(CheckStridedLayout(c.tensor.spec, c.tensor.data.size()),
                StatusIs(absl::StatusCode::kInvalidArgument, c.message));
    EXPECT_EQ(PackStrided(c.tensor), std::vector<uint8_t>()) << c.message;
  }
}

}  // namespace
}  // namespace hbprep

namespace hbprep {
namespace {

// The precision of the sample pipelines (issue 16): their OpenCV-based steps end in
// astype(np.float32), so `auto` computes the full-range formula in float32 after any step or
// resize, and in float64 when the decoded uint8 pixels reach it directly.
TEST(Engine, AutoComputesCalcInThePrecisionOfTheDataThatReachesIt) {
  const std::string head =
      "model_parameters: {march: nash-e}\n"
      "input_parameters: {input_name: cam, input_type_train: rgb, input_layout_train: NCHW,\n"
      "  input_type_rt: nv12, input_shape: 1x3x64x64}\n";
  // Grey 127 and its neighbours are where float32 and float64 differ (Y 127 vs 126).
  cv::Mat grey(64, 64, CV_8UC3);
  for (int y = 0; y < 64; ++y) {
    for (int x = 0; x < 64; ++x) {
      grey.at<cv::Vec3b>(y, x) = cv::Vec3b(120 + (x % 9), 127, 123 + (y % 7));
    }
  }
  const std::string png = Encode(grey, ".png");
  std::vector<uint8_t> y64(64 * 64), uv64(64 * 32), y32(64 * 64), uv32(64 * 32);
  RgbToNv12Calc(grey.data, static_cast<int>(grey.step[0]), ChannelOrder::kBgr, y64.data(), 64,
                uv64.data(), 64, 64, 64);
  RgbToNv12CalcF32(grey.data, static_cast<int>(grey.step[0]), ChannelOrder::kBgr, y32.data(), 64,
                   uv32.data(), 64, 64, 64);
  ASSERT_NE(y64, y32);  // the image tells the two apart
  struct Case {
    std::string what, hbprep;
    bool float32;
  };
  const std::vector<Case> cases = {
      {"uint8 pixels straight in", "", false},
      {"a crop (astype float32)", "hbprep: {inputs: {cam: {recipe: [{CenterCrop: 64}]}}}\n", true},
      {"a resize to the same size", "hbprep: {inputs: {cam: {recipe: [{Resize: [64, 64]}]}}}\n",
       true},
      {"forced calc", "hbprep: {nv12_recipe: calc, inputs: {cam: {recipe: [{CenterCrop: 64}]}}}\n",
       false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    absl::StatusOr<Descriptor> model = ParseDescriptor(head + c.hbprep, "cam", {}, nullptr);
    ASSERT_THAT(model, IsOk());
    absl::StatusOr<Prepared> p = Prepare(*model, {Img("a.png", png)}, {});
    ASSERT_THAT(p, IsOk());
    EXPECT_TRUE(p->tensors[0].data == (c.float32 ? y32 : y64));
    EXPECT_TRUE(p->tensors[1].data == (c.float32 ? uv32 : uv64));
  }
  // Without a recipe, an image of another size is resized (float32 data after it).
  absl::StatusOr<Descriptor> model = ParseDescriptor(head, "cam", {}, nullptr);
  ASSERT_THAT(model, IsOk());
  cv::Mat big;
  cv::resize(grey, big, {128, 128}, 0, 0, cv::INTER_NEAREST);
  absl::StatusOr<Prepared> p = Prepare(*model, {Img("big.png", Encode(big, ".png"))}, {});
  ASSERT_THAT(p, IsOk());
  cv::Mat back;
  cv::resize(big, back, {64, 64}, 0, 0, cv::INTER_LINEAR);
  std::vector<uint8_t> y(64 * 64), uv(64 * 32);
  RgbToNv12CalcF32(back.data, static_cast<int>(back.step[0]), ChannelOrder::kBgr, y.data(), 64,
                   uv.data(), 64, 64, 64);
  EXPECT_TRUE(p->tensors[0].data == y);
  EXPECT_TRUE(p->tensors[1].data == uv);
}

}  // namespace
}  // namespace hbprep

namespace hbprep {
namespace {

// OE 1.x boards take featuremaps in input_layout_rt (issue 16, section 3.5); J6 ignores it;
// featuremaps of another rank carry no layout.
TEST(Engine, Oe1FeaturemapsFollowInputLayoutRtOnTheBoard) {
  const std::string yaml =
      "model_parameters: {march: bayes-e}\n"
      "input_parameters: {input_name: f, input_type_train: featuremap, input_type_rt: featuremap,\n"
      "  input_layout_train: NCHW, input_layout_rt: NHWC, input_shape: 1x2x3x4}\n";
  absl::StatusOr<Descriptor> d = ParseDescriptor(yaml, "m", {}, nullptr);
  ASSERT_THAT(d, IsOk());
  std::vector<float> values(24);
  for (int i = 0; i < 24; ++i) values[i] = static_cast<float>(i);
  const std::string npy = EncodeNpy(
      DType::kFloat32, {1, 2, 3, 4},
      absl::Span<const uint8_t>(reinterpret_cast<const uint8_t*>(values.data()), 96));
  absl::StatusOr<Prepared> board = Prepare(*d, {Img("f.npy", npy)}, {});
  ASSERT_THAT(board, IsOk());
  const TensorSpec& spec = board->tensors[0].spec;
  EXPECT_EQ(spec.shape, (std::vector<int64_t>{1, 3, 4, 2}));
  EXPECT_EQ(spec.layout, TensorLayout::kNHWC);
  EXPECT_EQ(spec.strides, (std::vector<int64_t>{96, 32, 8, 4}));
  std::vector<float> got(24);
  std::memcpy(got.data(), board->tensors[0].data.data(), 96);
  // NHWC[h][w][c] = NCHW[c][h][w] = c * 12 + h * 4 + w.
  for (int h = 0; h < 3; ++h) {
    for (int w = 0; w < 4; ++w) {
      for (int c = 0; c < 2; ++c) EXPECT_EQ(got[(h * 4 + w) * 2 + c], c * 12 + h * 4 + w);
    }
  }
  // The float model's own targets keep the float model's layout.
  PrepareOptions calibration;
  calibration.target = Target::kCalibration;
  absl::StatusOr<Prepared> calib = Prepare(*d, {Img("f.npy", npy)}, calibration);
  ASSERT_THAT(calib, IsOk());
  EXPECT_EQ(calib->tensors[0].spec.shape, (std::vector<int64_t>{1, 2, 3, 4}));
  EXPECT_EQ(calib->tensors[0].data, std::vector<uint8_t>(npy.end() - 96, npy.end()));
  // Rank 2: no layout, whatever input_layout_train says.
  absl::StatusOr<Descriptor> flat = ParseDescriptor(
      "model_parameters: {march: nash-e}\n"
      "input_parameters: {input_name: f, input_type_train: featuremap, input_type_rt: featuremap,\n"
      "  input_layout_train: NCHW, input_shape: 1x8}\n",
      "m", {}, nullptr);
  ASSERT_THAT(flat, IsOk());
  for (Target target : {Target::kBoard, Target::kCalibration}) {
    EXPECT_EQ(ResolvePlan(*flat, target).tensors[0].layout, TensorLayout::kNone);
  }
}

}  // namespace
}  // namespace hbprep

namespace hbprep {
namespace {

// An OE 1.x (bernoulli2) ddr model of `type_rt` with input_shape 1xCx8x8 NCHW.
Descriptor Oe1DdrModel(const std::string& type_rt, int channels) {
  absl::StatusOr<Descriptor> d = ParseDescriptor(
      "model_parameters: {march: bernoulli2}\n"
      "input_parameters:\n"
      "  input_name: x\n  input_type_train: " +
          std::string(channels == 1 ? "gray" : "rgb") +
          "\n  input_layout_train: NCHW\n  input_type_rt: " + type_rt +
          "\n  input_layout_rt: NHWC\n  input_shape: 1x" + std::to_string(channels) + "x8x8\n",
      "x", {}, nullptr);
  EXPECT_THAT(d, IsOk());
  return *d;
}

TEST(EngineOe1Onnx, GrayIsThePixelMinus128AsFloat32AndInt8) {
  const Descriptor model = Oe1DdrModel("gray", 1);
  const std::string png = Encode(cv::Mat(8, 8, CV_8UC3, cv::Scalar(200, 200, 200)), ".png");
  PrepareOptions options;
  options.target = Target::kOe1FloatOnnx;
  absl::StatusOr<Prepared> p = Prepare(model, {Img("g.png", png)}, options);
  ASSERT_THAT(p, IsOk());
  ASSERT_EQ(p->tensors.size(), 1u);
  EXPECT_EQ(p->tensors[0].spec.dtype, DType::kFloat32);
  EXPECT_EQ(p->tensors[0].spec.shape, (std::vector<int64_t>{1, 1, 8, 8}));
  std::vector<float> values(64);
  ASSERT_EQ(p->tensors[0].data.size(), 64u * sizeof(float));
  std::memcpy(values.data(), p->tensors[0].data.data(), 64 * sizeof(float));
  EXPECT_EQ(values, std::vector<float>(64, 72.0f));

  options.target = Target::kOe1QuantizedOnnx;
  p = Prepare(model, {Img("g.png", png)}, options);
  ASSERT_THAT(p, IsOk());
  EXPECT_EQ(p->tensors[0].spec.dtype, DType::kInt8);
  EXPECT_EQ(p->tensors[0].spec.shape, (std::vector<int64_t>{1, 8, 8, 1}));
  EXPECT_EQ(p->tensors[0].data, std::vector<uint8_t>(64, 72));
}

TEST(EngineOe1Onnx, QuantizedRgbIsNhwcInt8FromTheTrainLayoutsShape) {
  const Descriptor model = Oe1DdrModel("rgb", 3);
  // BGR (10, 20, 250): rgb 250, 20, 10 -> 122, -108, -118.
  const std::string png = Encode(cv::Mat(8, 8, CV_8UC3, cv::Scalar(10, 20, 250)), ".png");
  PrepareOptions options;
  options.target = Target::kOe1QuantizedOnnx;
  absl::StatusOr<Prepared> p = Prepare(model, {Img("c.png", png)}, options);
  ASSERT_THAT(p, IsOk());
  EXPECT_EQ(p->tensors[0].spec.shape, (std::vector<int64_t>{1, 8, 8, 3}));
  EXPECT_EQ(p->tensors[0].spec.layout, TensorLayout::kNHWC);
  std::vector<uint8_t> want;
  for (int i = 0; i < 64; ++i) want.insert(want.end(), {122, static_cast<uint8_t>(-108 & 0xff),
                                                        static_cast<uint8_t>(-118 & 0xff)});
  EXPECT_EQ(p->tensors[0].data, want);
}

TEST(EngineOe1Onnx, RefusesJ6ModelsAndUint8) {
  const std::string png = Encode(Gradient(16, 16), ".png");
  PrepareOptions options;
  options.target = Target::kOe1FloatOnnx;
  EXPECT_THAT(
      Prepare(LoadExampleModel("cls_pyramid"), {Img("g.png", png)}, options),
      StatusIs(absl::StatusCode::kInvalidArgument,
               "target oe1_float_onnx is for OE 1.x (hb_mapper) models; nash-e models come from "
               "hb_compile, whose *_original_float_model.onnx and *_ptq_model.onnx take target "
               "onnx and whose .bc and .hbm take target board"));
  EXPECT_THAT(CheckTarget(LoadExampleModel("cls_pyramid"), Target::kOnnx), IsOk());
  EXPECT_THAT(CheckTarget(LoadExampleModel("x5_ssd"), Target::kOe1QuantizedOnnx), IsOk());
  options.target = Target::kOe1QuantizedOnnx;
  options.float_as_uint8 = true;
  EXPECT_THAT(Prepare(LoadExampleModel("x5_ssd"), {Img("g.png", png)}, options),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "uint8 float-model data is for the calibration and onnx targets; "
                       "oe1_quantized_onnx tensors have their dtype from the plan"));
}

}  // namespace
}  // namespace hbprep
