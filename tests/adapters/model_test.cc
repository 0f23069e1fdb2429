// The embeddable core (model.h) against today's Prepare + PackStrided: the same bytes, in
// the caller's strided buffers, from views of the caller's planes.
#include "hbprep/model.h"

#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hbprep/engine.h"
#include "hbprep/identity.h"
#include "hbprep/npy.h"
#include "opencv2/core.hpp"
#include "opencv2/imgcodecs.hpp"
#include "opencv2/imgproc.hpp"
#include "tests/testing/camera.h"
#include "tests/testing/example_repository.h"
#include "tests/testing/prepare_inputs.h"
#include "tests/testing/status_matchers.h"

namespace hbprep {
namespace {

using ::hbprep::testing::Camera;
using ::hbprep::testing::CameraFrame;
using ::hbprep::testing::For;
using ::hbprep::testing::IsOk;
using ::hbprep::testing::LoadExampleModel;
using ::hbprep::testing::StatusIs;
using ::testing::DoubleNear;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr uint8_t kPaddingSentinel = 0xA5;

Descriptor ParseValid(const std::string& yaml, const std::string& name) {
  absl::StatusOr<Descriptor> d = ParseDescriptor(yaml, name, {}, nullptr);
  EXPECT_THAT(d, IsOk());
  return *d;
}

// A camera pipeline's pyramid input (nash-e 224x224 NV12, video range, the default recipe).
Descriptor Pyramid224() {
  absl::StatusOr<Descriptor> d = LoadDescriptorFile(
      HBPREP_SOURCE_DIR "/tests/fixtures/pipelines/camera_pyramid224.yaml", nullptr);
  EXPECT_THAT(d, IsOk());
  return *d;
}

// Outputs for `specs` filled with the sentinel, so that untouched padding shows.
OutputBuffers Sentinel(const std::vector<TensorSpec>& specs) {
  OutputBuffers buffers(specs);
  for (size_t i = 0; i < specs.size(); ++i) {
    std::memset(buffers.data(i), kPaddingSentinel, buffers.views()[i].size);
  }
  return buffers;
}

// Each output equals Prepare's tensor packed for the board, except the padding bytes, which
// keep the sentinel (PackStrided zeroes them).
void ExpectEqualsPrepare(const Prepared& prepared, const std::vector<TensorSpec>& specs,
                         const OutputBuffers& out) {
  ASSERT_EQ(prepared.tensors.size(), specs.size());
  for (size_t t = 0; t < specs.size(); ++t) {
    const std::vector<uint8_t> packed = PackStrided(prepared.tensors[t]);
    ASSERT_EQ(prepared.tensors[t].spec.shape, specs[t].shape) << specs[t].name;
    ASSERT_EQ(prepared.tensors[t].spec.strides, specs[t].strides) << specs[t].name;
    ASSERT_EQ(packed.size(), out.views()[t].size) << specs[t].name;
    // Which bytes are data: the dense bytes packed into a zero buffer mark them.
    Tensor ones = prepared.tensors[t];
    std::fill(ones.data.begin(), ones.data.end(), 1);
    const std::vector<uint8_t> mask = PackStrided(ones);
    size_t data_bytes = 0;
    for (size_t i = 0; i < packed.size(); ++i) {
      const uint8_t want = mask[i] ? packed[i] : kPaddingSentinel;
      ASSERT_EQ(out.data(t)[i], want) << specs[t].name << " byte " << i;
      data_bytes += mask[i];
    }
    EXPECT_EQ(data_bytes, prepared.tensors[t].data.size());
  }
}

// PrepareInto of a camera frame into sentinel-filled outputs equals Prepare of the same frame
// packed into one buffer (padding untouched); the outputs and their specs for more checks.
struct CoreRun {
  std::vector<TensorSpec> specs;
  OutputBuffers out;
  PrepareReport report;
};
CoreRun ExpectCoreEqualsPrepare(const Descriptor& d, const CameraFrame& f, ColorRange range,
                                std::optional<Roi> roi, Scratch& scratch) {
  CoreRun run;
  absl::StatusOr<Model> model = Model::Compile(d, {});
  EXPECT_THAT(model, IsOk());
  if (!model.ok()) return run;
  const InputView view = InputView::Frame("frame", f.view(range), roi);
  absl::StatusOr<std::vector<TensorSpec>> specs = model->OutputSpecs({view});
  EXPECT_THAT(specs, IsOk());
  if (!specs.ok()) return run;
  run.specs = *specs;
  run.out = Sentinel(run.specs);
  EXPECT_THAT(PrepareInto(*model, {view}, run.out.views(), scratch, &run.report), IsOk());
  absl::StatusOr<Prepared> prepared = Prepare(d, {f.raw(range, roi)}, {});
  EXPECT_THAT(prepared, IsOk());
  if (prepared.ok()) {
    ExpectEqualsPrepare(*prepared, run.specs, run.out);
    EXPECT_EQ(run.report.warnings, prepared->warnings);
  }
  return run;
}

TEST(Model, CompilesOnceAndKeepsThePlan) {
  absl::StatusOr<Model> model = Model::Compile(LoadExampleModel("det_resizer"), {});
  ASSERT_THAT(model, IsOk());
  EXPECT_EQ(model->plan().descriptor_hash, DescriptorHash(LoadExampleModel("det_resizer")));
  EXPECT_THAT(model->bindings(), ElementsAre(0));
  EXPECT_TRUE(model->TakesRoi(0));
  EXPECT_FALSE(model->TakesRoi(1));
  absl::StatusOr<Model> calib =
      Model::Compile(LoadExampleModel("det_resizer"), For(Target::kCalibration));
  ASSERT_THAT(calib, IsOk());
  EXPECT_FALSE(calib->TakesRoi(0));
  PrepareOptions bad;
  bad.float_as_uint8 = true;
  EXPECT_THAT(Model::Compile(LoadExampleModel("det_resizer"), bad),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("uint8 float-model data")));
}

TEST(Model, CameraPlanesToPyramidEqualPrepareWithPaddingUntouched) {
  Scratch scratch;
  for (ColorRange range : {ColorRange::kBt601Video, ColorRange::kRegular}) {
    const CoreRun run = ExpectCoreEqualsPrepare(Pyramid224(), Camera(1920, 1080, 2048, 1), range,
                                                std::nullopt, scratch);
    ASSERT_EQ(run.report.geometry.size(), 1u);
    const ImageGeometry& g = run.report.geometry[0];
    EXPECT_TRUE(g.valid);
    EXPECT_DOUBLE_EQ(g.scale_x, 224.0 / 1920);
    EXPECT_DOUBLE_EQ(g.scale_y, 224.0 / 1080);
    EXPECT_DOUBLE_EQ(g.window_width, 1920);
    EXPECT_DOUBLE_EQ(g.window_height, 1080);
    EXPECT_EQ(g.width, 224);
    EXPECT_FALSE(g.roi.has_value());
  }
}

TEST(Model, CameraPlanesThroughAResizeAndCropRecipeEqualPrepare) {
  // cls_pyramid: ShortSideResize 256, CenterCrop 224: one window of the frame, scaled straight
  // into the outputs (the whole-pixel window of a strong reduction, and sub-pixel sampling for
  // a mild one), with and without a range conversion.
  Scratch scratch;
  for (const auto& [w, h] : {std::pair{1920, 1080}, std::pair{320, 288}}) {
    for (ColorRange range : {ColorRange::kBt601Video, ColorRange::kRegular}) {
      SCOPED_TRACE(::testing::Message() << w << "x" << h << " range " << static_cast<int>(range));
      ExpectCoreEqualsPrepare(LoadExampleModel("cls_pyramid"), Camera(w, h, w + 64, 12), range,
                              std::nullopt, scratch);
    }
  }
}

TEST(Model, PaddedRowsOnNashP) {
  // nash-p aligns rows to 64 bytes: a 100-wide model has 128-byte rows whose last 28 bytes
  // keep the caller's values.
  const Descriptor d = ParseValid(R"(
model_parameters: {onnx_model: m.onnx, march: nash-p}
input_parameters:
  input_name: img
  input_type_train: bgr
  input_layout_train: NHWC
  input_type_rt: nv12
  input_shape: 1x60x100x3
compiler_parameters: {input_source: {img: pyramid}}
)",
                                  "padded");
  ASSERT_EQ(ResolvePlan(d, Target::kBoard).tensors[0].strides[1], 128);
  Scratch scratch;
  ExpectCoreEqualsPrepare(d, Camera(640, 480, 640, 2), ColorRange::kRegular, std::nullopt,
                          scratch);
}

TEST(Model, Oe1PackedNv12EqualsPrepare) {
  // bayes-e: one packed NV12 tensor per input, Y then UV, the width aligned to 16.
  Scratch scratch;
  ExpectCoreEqualsPrepare(LoadExampleModel("x5_ssd"), Camera(1280, 720, 1280, 3),
                          ColorRange::kRegular, std::nullopt, scratch);
}

TEST(Model, ResizerTakesTheFrameAndRoiWithConcreteShapes) {
  const Descriptor d = LoadExampleModel("det_resizer");
  Scratch scratch;
  const CoreRun run = ExpectCoreEqualsPrepare(d, Camera(1920, 1080, 2048, 4),
                                              ColorRange::kBt601Video, Roi{100, 50, 739, 433},
                                              scratch);
  ASSERT_EQ(run.specs.size(), 3u);
  EXPECT_THAT(run.specs[0].shape, ElementsAre(1, 1080, 1920, 1));
  EXPECT_THAT(run.specs[1].shape, ElementsAre(1, 540, 960, 2));
  int32_t written[4];
  std::memcpy(written, run.out.data(2), 16);
  EXPECT_THAT(written, ElementsAre(100, 50, 739, 433));
  const ImageGeometry& g = run.report.geometry[0];
  ASSERT_TRUE(g.roi.has_value());
  EXPECT_EQ(g.roi->right, 739);
  EXPECT_DOUBLE_EQ(g.window_x, 100);
  EXPECT_DOUBLE_EQ(g.window_width, 640);
  EXPECT_DOUBLE_EQ(g.scale_x, 1.0);  // 640 ROI columns to the model's 640
  EXPECT_DOUBLE_EQ(g.scale_y, 1.0);  // 384 rows to 384
  EXPECT_EQ(g.width, 1920);
  EXPECT_EQ(g.content_width, 640);  // the model sees the ROI at its size
  EXPECT_EQ(g.content_height, 384);
  // Another frame size: the same scratch, new layouts.
  ExpectCoreEqualsPrepare(d, Camera(640, 480, 640, 5), ColorRange::kBt601Video, std::nullopt,
                          scratch);
}

TEST(Model, EncodedImagesAndFloatTargetsEqualPrepare) {
  cv::Mat image(300, 400, CV_8UC3);
  cv::randu(image, 0, 255);
  std::vector<uint8_t> png;
  cv::imencode(".png", image, png);
  InputImage input;
  input.what = "g.png";
  input.bytes.assign(png.begin(), png.end());
  for (const char* name : {"cls_pyramid", "det_resizer", "x5_ssd"}) {
    for (Target target : {Target::kBoard, Target::kCalibration, Target::kOnnx}) {
      SCOPED_TRACE(std::string(name) + " " + std::string(ToString(target)));
      const Descriptor d = LoadExampleModel(name);
      PrepareOptions options;
      options.target = target;
      absl::StatusOr<Model> model = Model::Compile(d, options);
      ASSERT_THAT(model, IsOk());
      const InputView view = InputView::Encoded("g.png", png);
      const std::vector<TensorSpec> specs = *model->OutputSpecs({view});
      OutputBuffers out = Sentinel(specs);
      Scratch scratch;
      ASSERT_THAT(PrepareInto(*model, {view}, out.views(), scratch), IsOk());
      ExpectEqualsPrepare(*Prepare(d, {input}, options), specs, out);
    }
  }
}

TEST(Model, PrepareOfViewsEqualsPrepareOfImages) {
  // Prepare(model, views): the dense tensors, warnings and geometry of Prepare(descriptor,
  // images), for a camera frame at its own strides (a resizer input and a pyramid one) and
  // an encoded image on every target.
  const CameraFrame frame = Camera(640, 480, 704, 6);
  for (const char* name : {"det_resizer", "cls_pyramid"}) {
    SCOPED_TRACE(name);
    const Descriptor d = LoadExampleModel(name);
    absl::StatusOr<Model> model = Model::Compile(d, {});
    ASSERT_THAT(model, IsOk());
    const std::optional<Roi> roi =
        std::string(name) == "det_resizer" ? std::optional<Roi>(Roi{2, 4, 301, 203}) : std::nullopt;
    absl::StatusOr<Prepared> got =
        Prepare(*model, {InputView::Frame("frame", frame.view(ColorRange::kBt601Video), roi)});
    absl::StatusOr<Prepared> want = Prepare(d, {frame.raw(ColorRange::kBt601Video, roi)}, {});
    ASSERT_THAT(got, IsOk());
    ASSERT_THAT(want, IsOk());
    ASSERT_EQ(got->tensors.size(), want->tensors.size());
    for (size_t t = 0; t < got->tensors.size(); ++t) {
      EXPECT_EQ(got->tensors[t].spec.shape, want->tensors[t].spec.shape);
      EXPECT_EQ(got->tensors[t].dense_shape, want->tensors[t].dense_shape);
      EXPECT_EQ(got->tensors[t].data, want->tensors[t].data) << got->tensors[t].spec.name;
    }
    EXPECT_EQ(got->warnings, want->warnings);
    ASSERT_EQ(got->geometry.size(), 1u);
    EXPECT_EQ(got->geometry[0].width, want->geometry[0].width);
    EXPECT_EQ(got->geometry[0].roi.has_value(), roi.has_value());
    EXPECT_EQ(got->versions, LibraryVersions());
  }
  cv::Mat image(210, 333, CV_8UC3);
  cv::randu(image, 0, 255);
  std::vector<uint8_t> png;
  cv::imencode(".png", image, png);
  InputImage input;
  input.what = "p.png";
  input.bytes.assign(png.begin(), png.end());
  for (Target target : {Target::kBoard, Target::kCalibration, Target::kOe1FloatOnnx}) {
    SCOPED_TRACE(std::string(ToString(target)));
    const Descriptor d = LoadExampleModel("x5_ssd");
    absl::StatusOr<Model> model = Model::Compile(d, For(target));
    ASSERT_THAT(model, IsOk());
    absl::StatusOr<Prepared> got = Prepare(*model, {InputView::Encoded("p.png", png)});
    absl::StatusOr<Prepared> want = Prepare(d, {input}, For(target));
    ASSERT_THAT(got, IsOk());
    ASSERT_THAT(want, IsOk());
    ASSERT_EQ(got->tensors.size(), want->tensors.size());
    for (size_t t = 0; t < got->tensors.size(); ++t) {
      EXPECT_EQ(got->tensors[t].data, want->tensors[t].data) << got->tensors[t].spec.name;
    }
    EXPECT_EQ(got->pixel_stddev, want->pixel_stddev);
  }
  // The same statuses: a wrong file count, an undecodable image named by its view.
  absl::StatusOr<Model> model = Model::Compile(LoadExampleModel("cls_pyramid"), {});
  ASSERT_THAT(model, IsOk());
  EXPECT_THAT(Prepare(*model, {}), StatusIs(absl::StatusCode::kInvalidArgument,
                                            HasSubstr("takes 1 file(s) per request")));
  const std::vector<uint8_t> junk = {1, 2, 3};
  EXPECT_THAT(Prepare(*model, {InputView::Encoded("junk.jpg", junk)}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("junk.jpg")));
}

TEST(Model, TypedFeatureViewsEqualNpyFiles) {
  const Descriptor d = LoadExampleModel("fusion_multi");
  ASSERT_EQ(d.inputs.size(), 2u);
  absl::StatusOr<Model> model = Model::Compile(d, {});
  ASSERT_THAT(model, IsOk());
  const std::vector<int64_t> shape = FeaturemapFileShape(d, d.inputs[1], Target::kBoard);
  int64_t count = 1;
  for (int64_t dim : shape) count *= dim;
  std::vector<float> values(count);
  for (int64_t i = 0; i < count; ++i) values[i] = static_cast<float>(i % 97) * 0.25f - 3.0f;
  const std::string npy = EncodeNpy(
      DType::kFloat32, shape,
      absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(values.data()), values.size() * 4));
  cv::Mat image(200, 300, CV_8UC3);
  cv::randu(image, 0, 255);
  std::vector<uint8_t> jpeg;
  cv::imencode(".jpg", image, jpeg);
  InputImage img{"a.jpg", std::string(jpeg.begin(), jpeg.end()), std::nullopt, std::nullopt};
  InputImage feat{"f.npy", npy, std::nullopt, std::nullopt};
  FeatureView fv{DType::kFloat32, shape, values.data(), values.size() * sizeof(float)};
  const std::vector<InputView> views = {InputView::Encoded("a.jpg", jpeg),
                                        InputView::Feature("f", fv)};
  const std::vector<TensorSpec> specs = *model->OutputSpecs(views);
  OutputBuffers out = Sentinel(specs);
  Scratch scratch;
  ASSERT_THAT(PrepareInto(*model, views, out.views(), scratch), IsOk());
  ExpectEqualsPrepare(*Prepare(d, {img, feat}, {}), specs, out);
  EXPECT_FALSE(PrepareReport().geometry.size());

  FeatureView wrong = fv;
  wrong.bytes -= 4;
  EXPECT_THAT(PrepareInto(*model, {views[0], InputView::Feature("f", wrong)}, out.views(),
                          scratch),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("f: feature data of float32 ")));
}

TEST(Model, RefusesMissingAndShortOutputsNamingThem) {
  absl::StatusOr<Model> model = Model::Compile(Pyramid224(), {});
  ASSERT_THAT(model, IsOk());
  const CameraFrame f = Camera(640, 480, 640, 6);
  const InputView view = InputView::Frame("frame", f.view());
  Scratch scratch;
  OutputBuffers out(model->plan().tensors);
  EXPECT_THAT(PrepareInto(*model, {view}, out.views().subspan(0, 1), scratch),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "PrepareInto: 1 outputs for the plan's 2 tensors (images_y, images_uv)"));
  std::vector<OutputView> shorter(out.views().begin(), out.views().end());
  shorter[1].size -= 1;
  EXPECT_THAT(PrepareInto(*model, {view}, shorter, scratch),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "output 1 (tensor 'images_uv') has 25087 bytes; its layout (shape "
                       "1x112x112x2, strides 25088,224,2,1) needs 25088"));
  shorter[1].data = nullptr;
  shorter[1].size += 1;
  EXPECT_THAT(PrepareInto(*model, {view}, shorter, scratch),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("has 25088 bytes at a null address")));
}

TEST(Model, RefusesBadFrameViewsNamingTheField) {
  absl::StatusOr<Model> model = Model::Compile(Pyramid224(), {});
  ASSERT_THAT(model, IsOk());
  OutputBuffers out(model->plan().tensors);
  Scratch scratch;
  const CameraFrame f = Camera(640, 480, 640, 7);
  FrameView v = f.view();
  v.planes[1].data = nullptr;
  EXPECT_THAT(PrepareInto(*model, {InputView::Frame("cam0", v)}, out.views(), scratch),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "cam0: raw nv12 640x480: the UV plane is missing"));
  v = f.view();
  v.planes[0].stride = 600;
  EXPECT_THAT(PrepareInto(*model, {InputView::Frame("cam0", v)}, out.views(), scratch),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "cam0: raw nv12 640x480: the Y plane's stride 600 is less than a row's "
                       "640 bytes"));
  v = f.view();
  v.planes[1].stride = int64_t{1} << 40;
  EXPECT_THAT(PrepareInto(*model, {InputView::Frame("cam0", v)}, out.views(), scratch),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "cam0: raw nv12 640x480: the UV plane's stride 1099511627776 is beyond "
                       "2^31 bytes"));
  v = f.view();
  v.width = 639;
  EXPECT_THAT(PrepareInto(*model, {InputView::Frame("cam0", v)}, out.views(), scratch),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "cam0: raw nv12 639x480: nv12 needs even width and height"));
  v = f.view();
  v.width = 1 << 20;
  EXPECT_THAT(PrepareInto(*model, {InputView::Frame("cam0", v)}, out.views(), scratch),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("over the limit")));
}

TEST(Model, RoisAreCheckedAsForPrepare) {
  absl::StatusOr<Model> model = Model::Compile(LoadExampleModel("det_resizer"), {});
  ASSERT_THAT(model, IsOk());
  const CameraFrame f = Camera(320, 240, 320, 11);
  const InputView bad = InputView::Frame("cam1", f.view(), Roi{10, 10, 400, 100});
  const std::vector<TensorSpec> specs = *model->OutputSpecs({bad});
  OutputBuffers out(specs);
  Scratch scratch;
  EXPECT_THAT(PrepareInto(*model, {bad}, out.views(), scratch),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "cam1: ROI 10,10,400,100 lies outside the 320x240 image"));
  absl::StatusOr<Model> pyramid = Model::Compile(Pyramid224(), {});
  ASSERT_THAT(pyramid, IsOk());
  OutputBuffers planes(pyramid->plan().tensors);
  EXPECT_THAT(PrepareInto(*pyramid, {InputView::Frame("cam1", f.view(), Roi{0, 0, 9, 9})},
                          planes.views(), scratch),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("cam1: a ROI was given but input 'images' is not a resizer")));
}

TEST(Model, FlushesEveryOutputOnceWithItsLayoutBytes) {
  absl::StatusOr<Model> model = Model::Compile(LoadExampleModel("det_resizer"), {});
  ASSERT_THAT(model, IsOk());
  const CameraFrame f = Camera(320, 240, 384, 8);
  const InputView view = InputView::Frame("frame", f.view());
  const std::vector<TensorSpec> specs = *model->OutputSpecs({view});
  OutputBuffers out(specs);
  std::vector<std::pair<void*, size_t>> flushed;
  CallHooks hooks;
  hooks.flush = [&](void* data, size_t size) { flushed.emplace_back(data, size); };
  Scratch scratch;
  ASSERT_THAT(PrepareInto(*model, {view}, out.views(), scratch, nullptr, hooks), IsOk());
  ASSERT_EQ(flushed.size(), 3u);
  for (size_t t = 0; t < 3; ++t) {
    EXPECT_EQ(flushed[t].first, out.views()[t].data);
    EXPECT_EQ(flushed[t].second, static_cast<size_t>(LayoutBytes(specs[t])));
  }
  EXPECT_EQ(flushed[2].second, 16u);
}

TEST(Model, CheckContinueStopsTheCall) {
  absl::StatusOr<Model> model = Model::Compile(Pyramid224(), {});
  ASSERT_THAT(model, IsOk());
  OutputBuffers out(model->plan().tensors);
  Scratch scratch;
  const CameraFrame f = Camera(640, 480, 640, 9);
  CallHooks hooks;
  hooks.check_continue = [] { return absl::DeadlineExceededError("late"); };
  EXPECT_THAT(PrepareInto(*model, {InputView::Frame("f", f.view())}, out.views(), scratch,
                          nullptr, hooks),
              StatusIs(absl::StatusCode::kDeadlineExceeded, "late"));
}

TEST(Model, OneModelFromManyThreadsGivesTheSameBytes) {
  absl::StatusOr<Model> model = Model::Compile(LoadExampleModel("cls_pyramid"), {});
  ASSERT_THAT(model, IsOk());
  const CameraFrame f = Camera(800, 600, 832, 10);
  const InputView view = InputView::Frame("frame", f.view());
  const std::vector<TensorSpec> specs = *model->OutputSpecs({view});
  OutputBuffers want(specs);
  Scratch scratch;
  ASSERT_THAT(PrepareInto(*model, {view}, want.views(), scratch), IsOk());
  std::vector<std::thread> threads;
  std::vector<int> same(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      Scratch own;
      OutputBuffers got(specs);
      for (int i = 0; i < 5; ++i) {
        if (!PrepareInto(*model, {view}, got.views(), own).ok()) return;
        bool equal = true;
        for (size_t k = 0; k < specs.size(); ++k) {
          equal = equal && std::memcmp(got.data(k), want.data(k), want.views()[k].size) == 0;
        }
        same[t] += equal;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_THAT(same, ElementsAre(5, 5, 5, 5));
}

// Geometry: a recipe's arithmetic, and a bright dot found where the geometry says.
struct DotRun {
  ImageGeometry geometry;
  double source_x = 0, source_y = 0;  // where the brightest tensor pixel maps back to
};

// A black height x width image with a white square at `dot`, prepared for the calibration
// target; the brightest pixel of channel 0 (NCHW float data) mapped back to the source.
DotRun PrepareDot(const std::string& model_name, int height, int width, const cv::Rect& dot) {
  DotRun run;
  absl::StatusOr<Model> model =
      Model::Compile(LoadExampleModel(model_name), For(Target::kCalibration));
  EXPECT_THAT(model, IsOk());
  if (!model.ok()) return run;
  cv::Mat image(height, width, CV_8UC3, cv::Scalar::all(0));
  cv::rectangle(image, dot, cv::Scalar::all(255), cv::FILLED);
  std::vector<uint8_t> png;
  cv::imencode(".png", image, png);
  const InputView view = InputView::Encoded("dot.png", png);
  const std::vector<TensorSpec> specs = *model->OutputSpecs({view});
  OutputBuffers out(specs);
  Scratch scratch;
  PrepareReport report;
  EXPECT_THAT(PrepareInto(*model, {view}, out.views(), scratch, &report), IsOk());
  run.geometry = report.geometry[0];
  const ImageGeometry& g = run.geometry;
  const float* data = reinterpret_cast<const float*>(out.data(0));
  int best = 0;
  for (int i = 1; i < g.width * g.height; ++i) best = data[i] > data[best] ? i : best;
  run.source_x = g.window_x + (best % g.width + 0.5 - g.pad_left) / g.scale_x;
  run.source_y = g.window_y + (best / g.width + 0.5 - g.pad_top) / g.scale_y;
  return run;
}

TEST(Model, GeometryOfShortSideResizeAndCenterCrop) {
  // cls_pyramid: ShortSideResize 256, CenterCrop 224.
  const DotRun run = PrepareDot("cls_pyramid", 480, 640, cv::Rect(398, 298, 5, 5));
  const ImageGeometry& g = run.geometry;
  // 480 -> 256 (640 -> int(256 * 640 / 480) = 341), then a 224 crop at (58, 16).
  EXPECT_DOUBLE_EQ(g.scale_y, 256.0 / 480);
  EXPECT_DOUBLE_EQ(g.scale_x, 341.0 / 640);
  EXPECT_NEAR(g.window_x, 58 * 640.0 / 341, 1e-9);
  EXPECT_NEAR(g.window_y, 16 * 480.0 / 256, 1e-9);
  EXPECT_NEAR(g.window_width, 224 * 640.0 / 341, 1e-9);
  EXPECT_EQ(g.pad_left, 0);
  EXPECT_EQ(g.content_width, 224);
  EXPECT_THAT(run.source_x, DoubleNear(400.5, 2.0));  // the dot's centre
  EXPECT_THAT(run.source_y, DoubleNear(300.5, 2.0));
}

TEST(Model, GeometryOfPadResizeLetterbox) {
  // det_resizer: PadResize 384x640, pad 114.
  const DotRun run = PrepareDot("det_resizer", 1000, 1000, cv::Rect(797, 197, 7, 7));
  const ImageGeometry& g = run.geometry;
  // scale min(640/1000, 384/1000) = 0.384: 384x384 content, centred: 128 columns of padding.
  EXPECT_DOUBLE_EQ(g.scale_x, 0.384);
  EXPECT_DOUBLE_EQ(g.scale_y, 0.384);
  EXPECT_EQ(g.pad_left, 128);
  EXPECT_EQ(g.pad_top, 0);
  EXPECT_EQ(g.content_width, 384);
  EXPECT_EQ(g.content_height, 384);
  EXPECT_NEAR(g.window_x, 0, 1e-9);
  EXPECT_NEAR(g.window_width, 1000, 1e-9);
  EXPECT_THAT(run.source_x, DoubleNear(800.5, 3.0));
  EXPECT_THAT(run.source_y, DoubleNear(200.5, 3.0));
}

// OutputSpecs sizes what the caller allocates: a header's size is held to the limits first.
TEST(Model, OutputSpecsHoldsResizerSizesToTheLimits) {
  PrepareOptions options;
  options.max_width = 1000;
  absl::StatusOr<Model> model = Model::Compile(LoadExampleModel("det_resizer"), options);
  ASSERT_THAT(model, IsOk());
  cv::Mat wide(8, 1200, CV_8UC3, cv::Scalar::all(0));
  std::vector<uint8_t> png;
  cv::imencode(".png", wide, png);
  EXPECT_THAT(model->OutputSpecs({InputView::Encoded("wide.png", png)}),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("wide.png")));
  const CameraFrame f = Camera(1200, 8, 1200, 13);
  EXPECT_THAT(model->OutputSpecs({InputView::Frame("cam", f.view())}),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       HasSubstr("cam: raw nv12 1200x8 is over the limit")));
}

}  // namespace
}  // namespace hbprep
