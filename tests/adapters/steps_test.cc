// The recipe's step table (adapters/steps/): every kind has its row, and the new steps'
// geometry (what the tensor shows of the image) is the transformers' arithmetic. Their
// pixels are held against the transformers themselves in tests/reference/check_samples.py.
#include "adapters/steps/step.h"

#include <set>
#include <string>

#include "absl/strings/ascii.h"
#include "adapters/recipe.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hbprep/descriptor.h"
#include "hbprep/identity.h"
#include "tests/testing/descriptor_cases.h"
#include "tests/testing/status_matchers.h"

namespace hbprep {
namespace {

using ::hbprep::testing::IsOk;

TEST(StepTable, EveryKindHasItsOwnRowFoundByItsName) {
  std::set<std::string> names;
  for (int k = 0; k <= static_cast<int>(RecipeStep::Kind::kYuv); ++k) {
    const auto kind = static_cast<RecipeStep::Kind>(k);
    const StepType& row = StepTypeOf(kind);
    EXPECT_EQ(static_cast<int>(row.kind), k) << row.name;
    EXPECT_TRUE(names.insert(std::string(row.name)).second) << row.name << " twice";
    ASSERT_NE(FindStepType(absl::AsciiStrToLower(row.name)), nullptr) << row.name;
    EXPECT_EQ(FindStepType(absl::AsciiStrToLower(row.name)), &row);
  }
  EXPECT_EQ(FindStepType("RandomCrop"), nullptr);
}

InputDescriptor Input(const std::string& recipe, const std::string& shape = "1x3x512x512") {
  const std::string yaml =
      "model_parameters: {march: nash-e}\n"
      "input_parameters:\n  input_name: data\n  input_type_train: rgb\n"
      "  input_layout_train: NCHW\n  input_type_rt: nv12\n  input_shape: " +
      shape + "\nhbprep:\n  inputs:\n    data:\n      recipe: " + recipe + "\n";
  absl::StatusOr<Descriptor> d = ParseDescriptor(yaml, "m", {}, nullptr);
  EXPECT_THAT(d, IsOk());
  return d.ok() ? d->inputs[0] : InputDescriptor();
}

TEST(StepGeometry, WarpAffineKeepsAspectCentredByIndexMapping) {
  // 640x480 into 512x512: k = 512 / 640, the image's centre (320, 240) to (256, 256), so
  // source index x shows at 0.8 x and y at 0.8 y + 64 (no half-pixel offset).
  const ImageGeometry g =
      RecipeGeometry(Input("[{WarpAffine: {size: [512, 512], scale: 1.0}}]"), 640, 480);
  EXPECT_DOUBLE_EQ(g.scale_x, 0.8);
  EXPECT_DOUBLE_EQ(g.scale_y, 0.8);
  EXPECT_EQ(g.pad_left, 0);
  EXPECT_EQ(g.pad_top, 64);
  EXPECT_EQ(g.content_width, 512);
  EXPECT_EQ(g.content_height, 384);
  EXPECT_DOUBLE_EQ(g.window_x, 0);
  EXPECT_DOUBLE_EQ(g.window_y, 0);
  EXPECT_EQ(g.width, 512);
  EXPECT_EQ(g.height, 512);
}

TEST(StepGeometry, PadScalesTheLongSideAndPadsBottomRight) {
  // 640x480: scale 0.8 -> 512x384, padded to multiples of 128: 512x384 (384 = 3 x 128).
  std::vector<StepSize> steps;
  const InputDescriptor input = Input("[{Pad: {size_divisor: 128, target_size: 512}}]",
                                      "1x3x384x512");
  ASSERT_THAT(TraceRecipe(input, 640, 480, "img", &steps), IsOk());
  ASSERT_EQ(steps.size(), 1u);
  EXPECT_EQ(steps[0].out, cv::Size(512, 384));
  // 500x333: scale 512 / 500 -> round(340.99) = 341 rows, padded to 384.
  ASSERT_THAT(TraceRecipe(input, 500, 333, "img", &steps), IsOk());
  EXPECT_EQ(steps[0].out, cv::Size(512, 384));
  const ImageGeometry g = RecipeGeometry(input, 500, 333);
  EXPECT_DOUBLE_EQ(g.scale_x, 512.0 / 500);
  EXPECT_EQ(g.pad_left, 0);
  EXPECT_EQ(g.pad_top, 0);
  EXPECT_EQ(g.content_width, 512);
  EXPECT_EQ(g.content_height, 341);
}

TEST(StepGeometry, ShortLongResizeReportsItsImInfo) {
  // short 600, long 1000 on 640x480: 600 / 480 = 1.25 and round(800) <= 1000 -> 800x600;
  // on 2000x500: 600 / 500 = 1.2 gives 2400 > 1000, so 1000 / 2000 = 0.5 -> 1000x250.
  const InputDescriptor input = Input("[{ShortLongResize: {short: 600, long: 1000}}]",
                                      "1x3x600x800");
  std::vector<StepSize> steps;
  ASSERT_THAT(TraceRecipe(input, 640, 480, "img", &steps), IsOk());
  EXPECT_EQ(steps[0].out, cv::Size(800, 600));
  EXPECT_DOUBLE_EQ(RecipeGeometry(input, 640, 480).scale_x, 1.25);
  ASSERT_THAT(TraceRecipe(input, 2000, 500, "img", &steps), IsOk());
  EXPECT_EQ(steps[0].out, cv::Size(1000, 250));
}

TEST(StepGeometry, PilStepsRoundAsPythonDoes) {
  // PILResize 256 of 500x333: int(256 * 500 / 333) = 384; PILCenterCrop 224 then starts at
  // round((384 - 224) / 2) = 80 and round((256 - 224) / 2) = 16; of 385 columns at
  // round(80.5) = 80 (halves to even).
  const InputDescriptor input = Input("[{PILResize: 256}, {PILCenterCrop: 224}]", "1x3x224x224");
  std::vector<StepSize> steps;
  ASSERT_THAT(TraceRecipe(input, 500, 333, "img", &steps), IsOk());
  EXPECT_EQ(steps[0].out, cv::Size(384, 256));
  const ImageGeometry g = RecipeGeometry(input, 500, 333);
  EXPECT_NEAR(g.window_x, 80 * 500.0 / 384, 1e-9);
  EXPECT_NEAR(g.window_y, 16 * 333.0 / 256, 1e-9);
  const InputDescriptor odd = Input("[{PILCenterCrop: 224}]", "1x3x224x224");
  EXPECT_DOUBLE_EQ(RecipeGeometry(odd, 385, 300).window_x, 80);
  EXPECT_DOUBLE_EQ(RecipeGeometry(odd, 387, 300).window_x, 82);  // round(81.5) = 82
}

TEST(StepTable, CanonicalFormOfTheOldStepsIsUnchanged) {
  // The descriptor hash of a recipe written before the step table stays the same: each old
  // step's canonical form is the one it had (the Resize row adds mode and order only in
  // skimage mode).
  const std::string yaml =
      "model_parameters: {march: nash-e}\n"
      "input_parameters:\n  input_name: data\n  input_type_train: rgb\n"
      "  input_layout_train: NCHW\n  input_type_rt: nv12\n  input_shape: 1x3x224x224\n"
      "hbprep:\n  inputs:\n    data:\n      recipe: [{ShortSideResize: 256}, "
      "{PaddedCenterCrop: 240}, {PadResize: 300}, LongSideCrop, {Resize: 224}]\n";
  absl::StatusOr<Descriptor> d = ParseDescriptor(yaml, "m", {}, nullptr);
  ASSERT_THAT(d, IsOk());
  EXPECT_THAT(CanonicalForm(*d),
              ::testing::HasSubstr(
                  R"("recipe":[{"interpolation":"linear","size":[256],"step":"ShortSideResize"},)"
                  R"({"padding":32,"size":[240],"step":"PaddedCenterCrop"},)"
                  R"({"pad_position":"boundary","pad_value":127.0,"size":[300,300],)"
                  R"("step":"PadResize"},{"size":[],"step":"LongSideCrop"},)"
                  R"({"interpolation":"linear","size":[224,224],"step":"Resize"}])"));
}

}  // namespace
}  // namespace hbprep
