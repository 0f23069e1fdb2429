#include "hbprep/descriptor.h"

#include <tuple>
#include <string>
#include <vector>

#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hbprep/chip.h"
#include "hbprep/identity.h"
#include "tests/testing/descriptor_cases.h"
#include "tests/testing/status_matchers.h"

namespace hbprep {
namespace {

using ::hbprep::testing::DescriptorErrorCases;
using ::hbprep::testing::ErrorCase;
using ::hbprep::testing::IsOk;
using ::hbprep::testing::kRgbNv12;
using ::hbprep::testing::StatusIs;
using ::hbprep::testing::Yaml;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::IsEmpty;

absl::StatusOr<Descriptor> Parse(const std::string& yaml,
                                 std::vector<std::string>* warnings = nullptr) {
  ParseOptions options;
  options.source = "m.yaml";
  return ParseDescriptor(yaml, "m", options, warnings);
}

// Every error line of a descriptor that must fail.
std::vector<std::string> Errors(const std::string& yaml) {
  absl::StatusOr<Descriptor> result = Parse(yaml);
  if (result.ok()) return {"(parsed without error)"};
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  return absl::StrSplit(std::string(result.status().message()), '\n');
}

std::vector<std::string> Warnings(const std::string& yaml) {
  std::vector<std::string> warnings;
  absl::StatusOr<Descriptor> result = Parse(yaml, &warnings);
  EXPECT_THAT(result, IsOk());
  return warnings;
}

class DescriptorErrors : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(DescriptorErrors, ReportsEveryErrorWithInputKeyAndValue) {
  EXPECT_THAT(Errors(GetParam().yaml), ElementsAreArray(GetParam().errors));
}

INSTANTIATE_TEST_SUITE_P(All, DescriptorErrors, ::testing::ValuesIn(DescriptorErrorCases()),
                         [](const ::testing::TestParamInfo<ErrorCase>& param) {
                           return std::string(param.param.name);
                         });

TEST(Descriptor, ParsesTheToolchainStringForm) {
  absl::StatusOr<Descriptor> d = Parse(Yaml("nash-e",
                                            "  input_name: 'image; prior'\n"
                                            "  input_type_train: 'bgr; featuremap'\n"
                                            "  input_layout_train: 'NCHW; NCHW'\n"
                                            "  input_type_rt: 'bgr; featuremap'\n"
                                            "  input_shape: '1x3x128x96; 1x64x8x8'\n"
                                            "  mean_value: '128 127 126; None'\n"
                                            "  scale_value: '0.0078125; None'\n"));
  ASSERT_THAT(d, IsOk());
  EXPECT_EQ(d->chip->march, "nash-e");
  ASSERT_EQ(d->inputs.size(), 2u);
  const InputDescriptor& image = d->inputs[0];
  EXPECT_EQ(image.name, "image");
  EXPECT_EQ(image.type_train, ImageType::kBgr);
  EXPECT_EQ(image.type_rt, ImageType::kBgr);
  EXPECT_EQ(image.source, InputSource::kDdr);
  EXPECT_THAT(image.shape, ElementsAre(1, 3, 128, 96));
  EXPECT_EQ(image.height(), 128);
  EXPECT_EQ(image.width(), 96);
  EXPECT_THAT(image.mean, ElementsAre(128, 127, 126));
  EXPECT_THAT(image.scale, ElementsAre(0.0078125));
  EXPECT_EQ(image.norm_type, NormType::kDataMeanAndScale);
  EXPECT_TRUE(image.ddr_signed);
  const InputDescriptor& prior = d->inputs[1];
  EXPECT_EQ(prior.type_train, ImageType::kFeaturemap);
  EXPECT_THAT(prior.mean, IsEmpty());
  EXPECT_EQ(prior.norm_type, NormType::kNoPreprocess);
}

TEST(Descriptor, YamlListsMeanTheSameAsStrings) {
  const std::string strings = Yaml("nash-e",
                                   "  input_name: 'a; b'\n"
                                   "  input_type_train: 'rgb; gray'\n"
                                   "  input_layout_train: 'NCHW; NHWC'\n"
                                   "  input_type_rt: 'nv12; gray'\n"
                                   "  input_shape: '1x3x64x64; 1x32x32x1'\n"
                                   "  mean_value: '1 2 3; 4'\n"
                                   "  std_value: '5; None'\n");
  const std::string lists = Yaml("nash-e",
                                 "  input_name: [a, b]\n"
                                 "  input_type_train: [rgb, gray]\n"
                                 "  input_layout_train: [NCHW, NHWC]\n"
                                 "  input_type_rt: [nv12, gray]\n"
                                 "  input_shape: [[1, 3, 64, 64], 1x32x32x1]\n"
                                 "  mean_value: [[1, 2, 3], 4]\n"
                                 "  std_value: [5, None]\n");
  absl::StatusOr<Descriptor> a = Parse(strings), b = Parse(lists);
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());
  EXPECT_EQ(CanonicalForm(*a), CanonicalForm(*b));
  EXPECT_THAT(b->inputs[0].mean, ElementsAre(1, 2, 3));
  EXPECT_THAT(b->inputs[1].shape, ElementsAre(1, 32, 32, 1));
  EXPECT_EQ(b->inputs[1].source, InputSource::kPyramid);  // gray defaults to pyramid
}

TEST(Descriptor, FlatNumberListIsPerChannelForOneInput) {
  absl::StatusOr<Descriptor> d =
      Parse(Yaml("nash-e", std::string(kRgbNv12) + "  mean_value: [123.675, 116.28, 103.53]\n"
                                                   "  std_value: [58.395, 57.12, 57.375]\n"));
  ASSERT_THAT(d, IsOk());
  EXPECT_THAT(d->inputs[0].mean, ElementsAre(123.675, 116.28, 103.53));
  EXPECT_THAT(d->inputs[0].std, ElementsAre(58.395, 57.12, 57.375));
  EXPECT_EQ(d->inputs[0].norm_type, NormType::kDataMeanAndStd);
}

TEST(Descriptor, DerivesNormTypeOnJ6) {
  struct Case {
    const char* keys;
    NormType norm;
  } cases[] = {{"", NormType::kNoPreprocess},
               {"  mean_value: 1\n", NormType::kDataMean},
               {"  scale_value: 2\n", NormType::kDataScale},
               {"  std_value: 2\n", NormType::kDataStd},
               {"  mean_value: 1\n  scale_value: 2\n", NormType::kDataMeanAndScale},
               {"  mean_value: 1\n  std_value: 2\n", NormType::kDataMeanAndStd}};
  for (const Case& c : cases) {
    absl::StatusOr<Descriptor> d = Parse(Yaml("nash-m", std::string(kRgbNv12) + c.keys));
    ASSERT_THAT(d, IsOk()) << c.keys;
    EXPECT_EQ(d->inputs[0].norm_type, c.norm) << c.keys;
  }
}

TEST(Descriptor, Oe1NormTypeDecidesWhatApplies) {
  std::vector<std::string> warnings;
  absl::StatusOr<Descriptor> d =
      Parse(Yaml("bayes-e", std::string(kRgbNv12) +
                                "  norm_type: data_mean\n  mean_value: 128\n  scale_value: 0.5\n"),
            &warnings);
  ASSERT_THAT(d, IsOk());
  EXPECT_EQ(d->inputs[0].norm_type, NormType::kDataMean);
  EXPECT_THAT(d->inputs[0].scale, IsEmpty());
  EXPECT_THAT(warnings, ElementsAre("m.yaml: input 'data': scale_value is set but norm_type "
                                    "data_mean does not apply it; ignored"));
}

TEST(Descriptor, NoneMeansNotSet) {
  absl::StatusOr<Descriptor> d = Parse(
      Yaml("nash-e", std::string(kRgbNv12) + "  mean_value: None\n  input_space_and_range: ~\n"
                                             "  input_batch: None\n  separate_name: None\n"));
  ASSERT_THAT(d, IsOk());
  EXPECT_THAT(d->inputs[0].mean, IsEmpty());
  EXPECT_EQ(d->inputs[0].range, ColorRange::kRegular);
  EXPECT_EQ(d->input_batch, 0);
  EXPECT_FALSE(d->inputs[0].separate);
}

TEST(Descriptor, DefaultsInputSourceFromRtType) {
  absl::StatusOr<Descriptor> d = Parse(Yaml("nash-e",
                                            "  input_name: 'a; b; c'\n"
                                            "  input_type_train: 'rgb; gray; rgb'\n"
                                            "  input_layout_train: 'NCHW; NCHW; NHWC'\n"
                                            "  input_type_rt: 'nv12; gray; yuv444'\n"
                                            "  input_shape: '1x3x8x8; 1x1x8x8; 1x8x8x3'\n"));
  ASSERT_THAT(d, IsOk());
  EXPECT_EQ(d->inputs[0].source, InputSource::kPyramid);
  EXPECT_EQ(d->inputs[1].source, InputSource::kPyramid);
  EXPECT_EQ(d->inputs[2].source, InputSource::kDdr);
}

TEST(Descriptor, Nv12RecipeAutoFollowsTheRangeAndThePrecisionOfTheData) {
  absl::StatusOr<Descriptor> regular = Parse(Yaml("nash-e", kRgbNv12));
  absl::StatusOr<Descriptor> video =
      Parse(Yaml("nash-e", std::string(kRgbNv12) + "  input_space_and_range: bt601_video\n"));
  ASSERT_THAT(regular, IsOk());
  ASSERT_THAT(video, IsOk());
  // Regular range: calc in the precision of the data, which the engine decides per image.
  EXPECT_EQ(regular->inputs[0].nv12_recipe, Nv12Recipe::kAuto);
  EXPECT_EQ(video->inputs[0].nv12_recipe, Nv12Recipe::kOpencv);
}

TEST(Descriptor, ParsesTheHbprepSection) {
  absl::StatusOr<Descriptor> d = Parse(
      Yaml("nash-e",
           "  input_name: 'a; b'\n"
           "  input_type_train: 'rgb; bgr'\n"
           "  input_layout_train: 'NCHW; NHWC'\n"
           "  input_type_rt: 'nv12; bgr'\n"
           "  input_shape: '1x3x224x224; 1x300x400x3'\n",
           "hbprep:\n"
           "  nv12_recipe: calc_f32\n"
           "  inputs:\n"
           "    a:\n"
           "      recipe:\n"
           "        - ShortSideResize: {size: 256, interpolation: cubic}\n"
           "        - PaddedCenterCrop: {size: 224, padding: 16}\n"
           "        - LongSideCrop\n"
           "        - Resize: 224\n"
           "    b:\n"
           "      ddr_dtype: uint8\n"
           "      recipe:\n"
           "        - PadResize: {size: [300, 400], pad_value: 0, pad_position: top_left}\n"));
  ASSERT_THAT(d, IsOk());
  const InputDescriptor& a = d->inputs[0];
  EXPECT_EQ(a.nv12_recipe, Nv12Recipe::kCalcF32);
  ASSERT_EQ(a.recipe.size(), 4u);
  EXPECT_EQ(a.recipe[0].kind, RecipeStep::Kind::kShortSideResize);
  EXPECT_THAT(a.recipe[0].size, ElementsAre(256));
  EXPECT_EQ(a.recipe[0].interpolation, Interpolation::kCubic);
  EXPECT_EQ(a.recipe[1].kind, RecipeStep::Kind::kPaddedCenterCrop);
  EXPECT_EQ(a.recipe[1].padding, 16);
  EXPECT_EQ(a.recipe[2].kind, RecipeStep::Kind::kLongSideCrop);
  EXPECT_THAT(a.recipe[3].size, ElementsAre(224, 224));
  const InputDescriptor& b = d->inputs[1];
  EXPECT_FALSE(b.ddr_signed);
  ASSERT_EQ(b.recipe.size(), 1u);
  EXPECT_THAT(b.recipe[0].size, ElementsAre(300, 400));
  EXPECT_EQ(b.recipe[0].pad_value, 0);
  EXPECT_FALSE(b.recipe[0].pad_centered);
}

TEST(Descriptor, WarnsAboutUnknownKeysButToleratesOtherSections) {
  EXPECT_THAT(Warnings(Yaml("nash-e", std::string(kRgbNv12) + "  input_tpye_rt: nv12\n",
                            "compiler_parameters:\n  optimize_level: O3\n  speed: max\n"
                            "calibration_parameters:\n  cal_data_dir: ./cal\n  anything: 1\n")),
              ElementsAre("m.yaml: input_parameters.input_tpye_rt is not a key hbprep knows; "
                          "ignored",
                          "m.yaml: compiler_parameters.speed is not a key hbprep knows; ignored"));
}

TEST(Descriptor, WarnsWhenAForcedNv12RecipeMissesTheRange) {
  EXPECT_THAT(Warnings(Yaml("nash-e", kRgbNv12, "hbprep:\n  nv12_recipe: opencv\n")),
              ElementsAre("m.yaml: input 'data': nv12_recipe opencv produces video range but "
                          "input_space_and_range is regular: the model will see shifted "
                          "colours"));
}

TEST(Descriptor, WarnsWhenTheRecipeSizeDependsOnTheImage) {
  EXPECT_THAT(
      Warnings(Yaml("nash-e", kRgbNv12,
                    "hbprep:\n  inputs:\n    data:\n      recipe: [{ShortSideResize: 224}]\n")),
      ElementsAre("m.yaml: input 'data': hbprep recipe ends with a size that depends on "
                  "the image; hbprep resizes its result to 224x224 (linear)"));
}

TEST(Descriptor, WarnsThatJ6IgnoresLayoutRt) {
  EXPECT_THAT(Warnings(Yaml("nash-e", std::string(kRgbNv12) + "  input_layout_rt: NHWC\n")),
              ElementsAre("m.yaml: input 'data': input_layout_rt NHWC is ignored on J6, where "
                          "input_type_rt nv12 implies its layout"));
}

TEST(Descriptor, BatchOneSplitIsANoOp) {
  std::vector<std::string> warnings;
  absl::StatusOr<Descriptor> d =
      Parse(Yaml("nash-e", std::string(kRgbNv12) + "  separate_name: data\n"), &warnings);
  ASSERT_THAT(d, IsOk());
  EXPECT_FALSE(d->inputs[0].separate);
  EXPECT_THAT(warnings, ElementsAre("m.yaml: input 'data': separate_name has no effect on an "
                                    "input with batch 1"));
}

TEST(DescriptorHash, IgnoresCommentsKeyOrderAndFormatting) {
  const std::string a = Yaml("nash-e", std::string(kRgbNv12) + "  mean_value: 128 128 128\n");
  const std::string b =
      "# a comment\n"
      "input_parameters:\n"
      "  input_shape: '1x3x224x224'   # shape\n"
      "  mean_value: [128.0, 128, 1.28e2]\n"
      "  input_type_rt: NV12\n"
      "  input_layout_train: NCHW\n"
      "  input_type_train: RGB\n"
      "  input_name: [data]\n"
      "model_parameters: {march: nash-e, onnx_model: other.onnx}\n";
  absl::StatusOr<Descriptor> da = Parse(a), db = ParseDescriptor(b, "other", {}, nullptr);
  ASSERT_THAT(da, IsOk());
  ASSERT_THAT(db, IsOk());
  EXPECT_EQ(DescriptorHash(*da), DescriptorHash(*db));
  EXPECT_THAT(DescriptorHash(*da), ::testing::MatchesRegex("sha256:[0-9a-f]{64}"));
}

TEST(DescriptorHash, ChangesWithAnythingThatChangesTheData) {
  const std::string base = Yaml("nash-e", kRgbNv12);
  const std::string changed[] = {
      Yaml("nash-p", kRgbNv12),
      Yaml("nash-e", std::string(kRgbNv12) + "  mean_value: 128\n"),
      Yaml("nash-e", std::string(kRgbNv12) + "  input_space_and_range: bt601_video\n"),
      Yaml("nash-e", kRgbNv12, "hbprep:\n  nv12_recipe: calc_f32\n"),
      Yaml("nash-e", kRgbNv12, "hbprep:\n  inputs:\n    data:\n      recipe: [{Resize: 224}]\n"),
  };
  absl::StatusOr<Descriptor> reference = Parse(base);
  ASSERT_THAT(reference, IsOk());
  for (const std::string& yaml : changed) {
    absl::StatusOr<Descriptor> other = Parse(yaml);
    ASSERT_THAT(other, IsOk()) << yaml;
    EXPECT_NE(DescriptorHash(*reference), DescriptorHash(*other)) << yaml;
  }
}

TEST(LoadDescriptorFile, NamesTheModelAfterTheStem) {
  absl::StatusOr<Descriptor> d =
      LoadDescriptorFile(HBPREP_SOURCE_DIR "/deploy/models/cls_pyramid.yaml", nullptr);
  ASSERT_THAT(d, IsOk());
  EXPECT_EQ(d->name, "cls_pyramid");
}

TEST(LoadDescriptorFile, MissingFileIsNotFound) {
  EXPECT_THAT(LoadDescriptorFile("/nonexistent/m.yaml", nullptr),
              hbprep::testing::StatusIs(absl::StatusCode::kNotFound,
                                        "/nonexistent/m.yaml: cannot open descriptor file"));
}

}  // namespace
}  // namespace hbprep

namespace hbprep {
namespace {

using ::hbprep::testing::IsOk;
using ::hbprep::testing::kRgbNv12;
using ::hbprep::testing::StatusIs;
using ::hbprep::testing::Yaml;

// Configs as the toolchain writes and reads them (issue 16, section 3).
TEST(RealConfigs, OneTrailingSeparatorIsDropped) {
  absl::StatusOr<Descriptor> d = Parse(Yaml(
      "nash-e",
      "  input_name: 'a;b;c;'\n"
      "  input_type_train: 'featuremap;featuremap;featuremap;'\n"
      "  input_layout_train: 'NCHW;NCHW;NCHW;'\n"
      "  input_type_rt: 'featuremap;featuremap;featuremap;'\n"
      "  input_shape: '1x4x2x2;1x8;1x3x3x3;'\n"));
  ASSERT_THAT(d, IsOk());
  ASSERT_EQ(d->inputs.size(), 3u);
  EXPECT_EQ(d->inputs[2].name, "c");
  EXPECT_EQ(d->inputs[1].shape, (std::vector<int64_t>{1, 8}));
  // One separator only: a second empty entry is still an empty entry.
  absl::StatusOr<Descriptor> two = Parse(Yaml(
      "nash-e", std::string(kRgbNv12) + "  input_layout_rt: 'NHWC;;'\n"));
  EXPECT_THAT(two, StatusIs(absl::StatusCode::kInvalidArgument,
                            "m.yaml: input_parameters.input_layout_rt has 2 entries but "
                            "input_name has 1"));
  absl::StatusOr<Descriptor> layout =
      Parse(Yaml("nash-e", "  input_name: data\n  input_type_train: rgb\n"
                               "  input_layout_train: 'NCHW;'\n  input_type_rt: nv12\n"
                               "  input_shape: 1x3x224x224\n"));
  ASSERT_THAT(layout, IsOk());
  EXPECT_EQ(layout->inputs[0].layout_train, Layout::kNCHW);
}

TEST(RealConfigs, NumberListsTakeCommasAsTheToolchainPrintsThem) {
  absl::StatusOr<Descriptor> d = Parse(Yaml(
      "nash-e", std::string(kRgbNv12) + "  mean_value: 123.68,116.779,103.939,\n"
                                        "  scale_value: '0.017, 0.018 ,0.019'\n"));
  ASSERT_THAT(d, IsOk());
  EXPECT_EQ(d->inputs[0].mean, (std::vector<double>{123.68, 116.779, 103.939}));
  EXPECT_EQ(d->inputs[0].scale, (std::vector<double>{0.017, 0.018, 0.019}));
}

TEST(RealConfigs, AnEmptyNameOrShapeIsAMissingOneAndOtherErrorsStillShow) {
  EXPECT_THAT(Parse(Yaml("nash-x", "  input_name: \"\"\n  input_type_train: rgb\n"
                                       "  input_shape: 1x3x224x224\n")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "m.yaml: model_parameters.march 'nash-x' is not one of bernoulli2, bayes, "
                       "bayes-e, nash-e, nash-m, nash-p, nash-h, nash-b, nash-b-lite, nash-b-plus, "
                       "nash-starry-p\n"
                       "m.yaml: input_parameters.input_name is required: hbprep reads no ONNX "
                       "file, so the yaml must name every input"));
  EXPECT_THAT(Parse(Yaml("nash-e", "  input_name: data\n  input_type_train: rgb\n"
                                       "  input_layout_train: NCHW\n  input_type_rt: nv12\n"
                                       "  input_shape: ''\n  mean_value: 1 2\n")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       ::testing::HasSubstr(
                           "m.yaml: input_parameters.input_shape is required: hbprep reads no "
                           "ONNX file, so the yaml must give every input's shape")));
}

TEST(RealConfigs, J6DerivesNormTypeAndIgnoresAWrittenOne) {
  std::vector<std::string> warnings;
  absl::StatusOr<Descriptor> d = Parse(
      Yaml("nash-e", std::string(kRgbNv12) +
                         "  mean_value: 128\n  std_value: 58\n  norm_type: data_scale\n"),
      &warnings);
  ASSERT_THAT(d, IsOk());
  EXPECT_EQ(d->inputs[0].norm_type, NormType::kDataMeanAndStd);
  EXPECT_EQ(d->inputs[0].std, (std::vector<double>{58}));
  EXPECT_THAT(warnings, ::testing::Contains(
                            "m.yaml: input 'data': norm_type data_scale disagrees with the values "
                            "given; J6 (march nash-e) derives data_mean_and_std from them and "
                            "ignores the written one, as hbprep does"));
}

TEST(RealConfigs, Yuv444_128IsTheInt8DdrYuv444) {
  const std::string input =
      "  input_name: data\n  input_type_train: rgb\n  input_layout_train: NCHW\n"
      "  input_type_rt: yuv444_128\n  input_shape: 1x3x32x32\n";
  absl::StatusOr<Descriptor> d = Parse(Yaml("nash-e", input));
  ASSERT_THAT(d, IsOk());
  EXPECT_EQ(d->inputs[0].type_rt, ImageType::kYuv444);
  EXPECT_EQ(d->inputs[0].source, InputSource::kDdr);
  EXPECT_TRUE(d->inputs[0].ddr_signed);
  absl::StatusOr<Descriptor> plain =
      Parse(Yaml("nash-e", absl::StrReplaceAll(input, {{"yuv444_128", "yuv444"}})));
  ASSERT_THAT(plain, IsOk());
  EXPECT_EQ(DescriptorHash(*d), DescriptorHash(*plain));  // the same tensors
  EXPECT_THAT(Parse(Yaml("nash-e", input, "hbprep: {inputs: {data: {ddr_dtype: uint8}}}\n")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "m.yaml: input 'data': hbprep ddr_dtype uint8 contradicts input_type_rt "
                       "yuv444_128, which is YUV444 minus 128 as int8"));
}

TEST(RealConfigs, EveryJ6MarchWithItsRowAlignment) {
  for (const auto& [march, alignment, boards] :
       std::vector<std::tuple<std::string, int, std::string>>{
           {"nash-e", 32, "J6E / S100"},
           {"nash-m", 32, "J6M / S100P"},
           {"nash-p", 64, "J6P / S600"},
           {"nash-h", 64, "J6H"},
           {"nash-b", 32, "J6B"},
           {"nash-b-lite", 32, "(board not published)"},
           {"nash-b-plus", 32, "(board not published)"},
           {"nash-starry-p", 32, "(board not published)"}}) {
    SCOPED_TRACE(march);
    absl::StatusOr<Descriptor> d = Parse(Yaml(march, kRgbNv12));
    ASSERT_THAT(d, IsOk());
    EXPECT_EQ(d->chip->toolchain, Toolchain::kJ6);
    EXPECT_EQ(d->chip->row_alignment, alignment);
    EXPECT_EQ(d->chip->chips, boards);
  }
  absl::StatusOr<Descriptor> batch =
      Parse(Yaml("nash-e", std::string(kRgbNv12) + "  input_batch: 4096\n"));
  ASSERT_THAT(batch, IsOk());
  EXPECT_EQ(batch->input_batch, 4096);
  absl::StatusOr<Descriptor> bayes =
      Parse(Yaml("bayes", std::string(kRgbNv12) + "  input_batch: 4096\n"));
  EXPECT_THAT(bayes, IsOk());
}

TEST(RealConfigs, WhatTheToolchainWouldRefuseIsAcceptedWithAWarning) {
  // OE 1.x reads 'a; b' strings only, and needs input_layout_rt for non-nv12 image inputs.
  std::vector<std::string> warnings;
  absl::StatusOr<Descriptor> d = Parse(
      Yaml("bayes-e", "  input_name: data\n  input_type_train: rgb\n  input_layout_train: NCHW\n"
                      "  input_type_rt: bgr\n  input_shape: 1x3x32x32\n"
                      "  mean_value: [1, 2, 3]\n  norm_type: data_mean\n"),
      &warnings);
  ASSERT_THAT(d, IsOk());
  EXPECT_THAT(warnings,
              ElementsAre("m.yaml: input_parameters.mean_value is a yaml list; OE 1.x's "
                          "hb_mapper reads only strings ('a; b'), so the toolchain would refuse "
                          "this file",
                          "m.yaml: input 'data': input_layout_rt is not set; OE 1.x's hb_mapper "
                          "requires it for input_type_rt bgr (hbprep takes NHWC)"));
  // J6 takes both.
  warnings.clear();
  ASSERT_THAT(Parse(Yaml("nash-e", "  input_name: [data]\n  input_type_train: rgb\n"
                                   "  input_layout_train: NCHW\n  input_type_rt: bgr\n"
                                   "  input_shape: 1x3x32x32\n"),
                    &warnings),
              IsOk());
  EXPECT_THAT(warnings, IsEmpty());
}

}  // namespace
}  // namespace hbprep
