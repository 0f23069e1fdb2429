// Every size a request leads to is checked before anything is allocated (issue 15: recipe
// sizes, input shapes, compiled-model strides, recipe work, request memory), the work stops
// between recipe steps, and nothing throws out of Prepare.
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hbprep/compiled_model.h"
#include "hbprep/engine.h"
#include "hbprep/model_info.h"
#include "hbprep/npy.h"
#include "opencv2/core.hpp"
#include "opencv2/imgcodecs.hpp"
#include "tests/testing/prepare_inputs.h"
#include "tests/testing/status_matchers.h"

namespace hbprep {
namespace {

using ::hbprep::testing::For;
using ::hbprep::testing::IsOk;
using ::hbprep::testing::StatusIs;
using ::testing::HasSubstr;

// A J6 classifier: rgb NCHW `shape`, nv12 pyramid input, the given recipe (yaml list).
Descriptor Model(const std::string& shape, const std::string& recipe = "") {
  std::string yaml = absl::StrCat(
      "model_parameters: {march: nash-e}\n"
      "input_parameters:\n"
      "  input_name: images\n"
      "  input_type_train: rgb\n"
      "  input_layout_train: NCHW\n"
      "  input_type_rt: nv12\n"
      "  input_shape: ",
      shape, "\n");
  if (!recipe.empty()) absl::StrAppend(&yaml, "hbprep:\n  inputs:\n    images:\n      recipe: ", recipe, "\n");
  absl::StatusOr<Descriptor> d = ParseDescriptor(yaml, "m", ParseOptions{}, nullptr);
  EXPECT_THAT(d, IsOk());
  return *d;
}

InputImage Png(int height, int width) {
  std::vector<uint8_t> bytes;
  cv::imencode(".png", cv::Mat(height, width, CV_8UC3, cv::Scalar(10, 20, 30)), bytes);
  InputImage image;
  image.what = "a.png";
  image.bytes.assign(bytes.begin(), bytes.end());
  return image;
}

TEST(RequestCost, RecipeStepSizesAreLimited) {
  // Today's engine handed 65536x65536 to OpenCV (INTERNAL, after gigabytes).
  const Descriptor d = Model("1x3x224x224", "[{Resize: [65536, 65536]}, {Resize: [224, 224]}]");
  EXPECT_THAT(Prepare(d, {Png(64, 64)}, For(Target::kBoard)),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       "a.png: input 'images': recipe step 1 (Resize) makes 65536x65536 (width x "
                       "height), over the limit of 16384x16384 and 67108864 pixels"));
  // ShortSideResize of a thin image: the long side goes beyond int, and is still refused.
  const Descriptor thin = Model("1x3x224x224", "[{ShortSideResize: 65536}, {CenterCrop: 224}]");
  PrepareOptions options = For(Target::kBoard);
  options.max_width = 1 << 20;
  InputImage wide;
  wide.what = "wide";
  wide.bytes = std::string(size_t{1} << 20 << 1, '\0');
  wide.raw = RawImage{RawFormat::kGray, 1 << 20, 2, 0, ColorRange::kRegular};
  EXPECT_THAT(Prepare(thin, {wide}, options),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       "wide: input 'images': recipe step 1 (ShortSideResize) makes "
                       "2147483647x65536 (width x height), over the limit of 1048576x16384 and "
                       "67108864 pixels"));
}

TEST(RequestCost, TheModelsInputShapeIsLimited) {
  // An inline descriptor could ask for any input_shape up to 2^31 elements.
  const Descriptor d = Model("1x3x12000x12000");
  for (Target target : {Target::kBoard, Target::kCalibration, Target::kOnnx}) {
    EXPECT_THAT(Prepare(d, {Png(8, 8)}, For(target)),
                StatusIs(absl::StatusCode::kResourceExhausted,
                         "input 'images': input_shape's image 12000x12000 (width x height), over "
                         "the limit of 16384x16384 and 67108864 pixels"));
  }
}

TEST(RequestCost, RequestMemoryIsLimitedBeforeAnythingIsAllocated) {
  // 1x3x8000x8000 calibration data from a tiny PNG: within the image limits, but 768 MB of
  // float32 tensor (the server peaked at 2.2 GiB).
  const Descriptor d = Model("1x3x8000x8000");
  PrepareOptions options = For(Target::kCalibration);
  const absl::StatusOr<RequestCost> cost = EstimateCost(d, {Png(8, 8)}, options);
  ASSERT_THAT(cost, IsOk());
  EXPECT_EQ(cost->output_bytes, int64_t{3} * 8000 * 8000 * 4);
  // At least the tensor twice (its part and the caller's copy) and the decoded image
  // resized to 8000x8000.
  EXPECT_GE(cost->peak_bytes, 2 * cost->output_bytes + int64_t{8000} * 8000 * 3);
  EXPECT_EQ(cost->recipe_pixels, 8 * 8 + int64_t{8000} * 8000);
  options.max_request_bytes = int64_t{3} << 29;  // 1.5 GiB
  EXPECT_THAT(Prepare(d, {Png(8, 8)}, options),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       absl::StrCat("the request needs ", cost->peak_bytes,
                                    " bytes of memory (768000000 of them its tensors), over the "
                                    "limit of 1610612736")));
}

TEST(RequestCost, TheRecipesWorkIsLimited) {
  // 16 x (Resize 8000, Resize 224): 32 steps of small output, 2 G pixels of work.
  std::string recipe = "[";
  for (int i = 0; i < 16; ++i) {
    absl::StrAppend(&recipe, i ? ", " : "", "{Resize: [8000, 8000]}, {Resize: [224, 224]}");
  }
  recipe += "]";
  const Descriptor d = Model("1x3x224x224", recipe);
  EXPECT_THAT(Prepare(d, {Png(224, 224)}, For(Target::kBoard)),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       "the recipes of this request touch 2049605632 pixels, over the limit of "
                       "536870912 (8 x max_pixels 67108864)"));
  // More steps than that are a descriptor error.
  std::string long_recipe = "[";
  for (int i = 0; i < 33; ++i) absl::StrAppend(&long_recipe, i ? ", " : "", "{Resize: 224}");
  long_recipe += "]";
  const std::string yaml = absl::StrCat(
      "model_parameters: {march: nash-e}\n"
      "input_parameters: {input_name: images, input_type_train: rgb, input_layout_train: NCHW, "
      "input_type_rt: nv12, input_shape: 1x3x224x224}\n"
      "hbprep: {inputs: {images: {recipe: ",
      long_recipe, "}}}\n");
  EXPECT_THAT(ParseDescriptor(yaml, "m", ParseOptions{}, nullptr),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("input 'images': hbprep recipe has 33 steps, more than the 32 "
                                 "hbprep runs")));
}

TEST(RequestCost, WorkStopsBetweenRecipeSteps) {
  const Descriptor d = Model(
      "1x3x224x224", "[{Resize: [4000, 4000]}, {Resize: [300, 300]}, {Resize: [224, 224]}]");
  for (Target target : {Target::kBoard, Target::kCalibration}) {
    int calls = 0;
    PrepareOptions options = For(target);
    // Once before the image, then before each step: the third call comes before step 2.
    options.check_continue = [&calls] {
      return ++calls == 3 ? absl::DeadlineExceededError("deadline") : absl::OkStatus();
    };
    EXPECT_THAT(Prepare(d, {Png(64, 64)}, options),
                StatusIs(absl::StatusCode::kDeadlineExceeded, "deadline"));
    EXPECT_EQ(calls, 3);
  }
}

TEST(RequestCost, ReserveSeesTheCostBeforeAnyDecoding) {
  const Descriptor d = Model("1x3x224x224", "[{ShortSideResize: 256}, {CenterCrop: 224}]");
  PrepareOptions options = For(Target::kBoard);
  const absl::StatusOr<RequestCost> estimate = EstimateCost(d, {Png(300, 400)}, options);
  ASSERT_THAT(estimate, IsOk());
  std::vector<int64_t> reserved;
  options.reserve = [&](const RequestCost& cost) {
    reserved.push_back(cost.peak_bytes);
    return absl::ResourceExhaustedError("over budget");
  };
  EXPECT_THAT(Prepare(d, {Png(300, 400)}, options),
              StatusIs(absl::StatusCode::kResourceExhausted, "over budget"));
  EXPECT_EQ(reserved, std::vector<int64_t>{estimate->peak_bytes});
  // Output: 224x224 NV12 (1.5 planes), as the plan lays it out.
  EXPECT_EQ(estimate->output_bytes, 224 * 224 + 224 * 112);
}

TEST(RequestCost, NothingThrowsOutOfPrepare) {
  const Descriptor d = Model("1x3x224x224");
  PrepareOptions options = For(Target::kBoard);
  options.reserve = [](const RequestCost&) -> absl::Status { throw std::bad_alloc(); };
  EXPECT_THAT(Prepare(d, {Png(224, 224)}, options),
              StatusIs(absl::StatusCode::kResourceExhausted, "out of memory while preparing a.png"));
  options.reserve = [](const RequestCost&) -> absl::Status { throw std::runtime_error("boom"); };
  EXPECT_THAT(Prepare(d, {Png(224, 224)}, options),
              StatusIs(absl::StatusCode::kInternal, "failed on a.png: boom"));
}

TEST(RequestCost, HugeCompiledModelStridesAreRefusedBeforeAllocating) {
  // Legal but huge strides in a model info (a hostile inline text): the packed tensor would
  // take 2^40 bytes, which aborted the server on std::bad_alloc.
  absl::StatusOr<Descriptor> d =
      LoadDescriptorFile(HBPREP_SOURCE_DIR "/deploy/models/fusion_multi.yaml", nullptr);
  ASSERT_THAT(d, IsOk());
  std::string text;
  text = std::string(
      "[model name]: fusion\n\n"
      "input[0]: \nname: image\nvalid shape: (1,128,128,3)\ntensor type: HB_DNN_TENSOR_TYPE_S8\n"
      "quanti type: NONE\nstride: (1099511627776,384,3,1)\n\n"
      "input[1]: \nname: prior\nvalid shape: (1,64,8,8)\ntensor type: HB_DNN_TENSOR_TYPE_S16\n"
      "quanti type: SCALE\nstride: (8192,128,16,2)\nscale data: (0.00048828125)\n"
      "zero_point data: (0)\n");
  absl::StatusOr<std::vector<ModelInfoModel>> models = ParseModelInfo(text, "info");
  ASSERT_THAT(models, IsOk());
  std::vector<std::string> warnings;
  ASSERT_THAT(AttachModelInfo(*models, "info", &*d, &warnings), IsOk());
  std::vector<uint8_t> zeros(64 * 8 * 8 * 4, 0);
  InputImage prior;
  prior.what = "prior.npy";
  prior.bytes = EncodeNpy(DType::kFloat32, {1, 64, 8, 8}, zeros);
  const std::vector<InputImage> images = {Png(128, 128), prior};
  PrepareOptions unlimited = For(Target::kBoard);
  unlimited.max_request_bytes = 0;
  const absl::StatusOr<RequestCost> cost = EstimateCost(*d, images, unlimited);
  ASSERT_THAT(cost, IsOk());
  EXPECT_GE(cost->output_bytes, int64_t{1} << 40);
  EXPECT_THAT(Prepare(*d, images, For(Target::kBoard)),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       HasSubstr("of them its tensors), over the limit of 4294967296")));
}

}  // namespace
}  // namespace hbprep
