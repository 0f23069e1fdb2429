#include "adapters/descriptor.h"

#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace hbprep {
namespace {

using ::hbprep::testing::IsOk;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::IsEmpty;

// A yaml with model_parameters.march and the given input_parameters lines (indented by two).
std::string Yaml(const std::string& march, const std::string& inputs,
                 const std::string& rest = "") {
  return "model_parameters:\n  march: " + march + "\ninput_parameters:\n" + inputs + rest;
}

// The standard J6 pyramid input, to which cases add or change keys.
const char kRgbNv12[] =
    "  input_name: data\n"
    "  input_type_train: rgb\n"
    "  input_layout_train: NCHW\n"
    "  input_type_rt: nv12\n"
    "  input_shape: 1x3x224x224\n";

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

struct ErrorCase {
  const char* name;
  std::string yaml;
  std::vector<std::string> errors;
};

void PrintTo(const ErrorCase& c, std::ostream* os) { *os << c.name; }

class DescriptorErrors : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(DescriptorErrors, ReportsEveryErrorWithInputKeyAndValue) {
  EXPECT_THAT(Errors(GetParam().yaml), ElementsAreArray(GetParam().errors));
}

const ErrorCase kErrorCases[] = {
    {"ListLengthsDisagree",
     Yaml("nash-e",
          "  input_name: 'a; b'\n"
          "  input_type_train: 'rgb; rgb'\n"
          "  input_layout_train: 'NCHW; NCHW'\n"
          "  input_type_rt: 'nv12; nv12; nv12'\n"
          "  input_shape: '1x3x224x224; 1x3x224x224'\n"),
     {"m.yaml: input_parameters.input_type_rt has 3 entries but input_name has 2",
      "m.yaml: input 'a': input_type_rt is required (one of nv12, yuv444, rgb, bgr, gray, "
      "featuremap)",
      "m.yaml: input 'b': input_type_rt is required (one of nv12, yuv444, rgb, bgr, gray, "
      "featuremap)"}},
    {"IllegalTrainToRt",
     Yaml("nash-e",
          "  input_name: data\n  input_type_train: rgb\n  input_layout_train: NCHW\n"
          "  input_type_rt: gray\n  input_shape: 1x3x224x224\n"),
     {"m.yaml: input 'data': input_type_train rgb cannot become input_type_rt gray (rgb "
      "allows nv12, yuv444, rgb, bgr)"}},
    {"YuvCannotBecomeRgb",
     Yaml("nash-e",
          "  input_name: data\n  input_type_train: yuv444\n  input_layout_train: NHWC\n"
          "  input_type_rt: rgb\n  input_shape: 1x224x224x3\n"),
     {"m.yaml: input 'data': input_type_train yuv444 cannot become input_type_rt rgb (yuv444 "
      "allows nv12, yuv444)"}},
    {"InputSourceIncompatible",
     Yaml("nash-e",
          "  input_name: data\n  input_type_train: rgb\n  input_layout_train: NCHW\n"
          "  input_type_rt: rgb\n  input_shape: 1x3x224x224\n",
          "compiler_parameters:\n  input_source: {data: resizer}\n"),
     {"m.yaml: input 'data': input_source resizer does not accept input_type_rt rgb (resizer "
      "accepts nv12, gray)"}},
    {"DdrRefusesNv12",
     Yaml("nash-e", kRgbNv12, "compiler_parameters:\n  input_source: {data: ddr}\n"),
     {"m.yaml: input 'data': input_source ddr does not accept input_type_rt nv12 (ddr accepts "
      "yuv444, rgb, bgr, gray, featuremap)"}},
    {"UnknownInputSource",
     Yaml("nash-e", kRgbNv12, "compiler_parameters:\n  input_source: {data: dram}\n"),
     {"m.yaml: input 'data': input_source 'dram' is not one of ddr, pyramid, resizer"}},
    {"InputSourceNamesUnknownInput",
     Yaml("nash-e", kRgbNv12, "compiler_parameters:\n  input_source: {img: pyramid}\n"),
     {"m.yaml: compiler_parameters.input_source names 'img', which is not in input_name "
      "(data)"}},
    {"OddNv12",
     Yaml("nash-e",
          "  input_name: data\n  input_type_train: rgb\n  input_layout_train: NCHW\n"
          "  input_type_rt: nv12\n  input_shape: 1x3x225x224\n"),
     {"m.yaml: input 'data': input_type_rt nv12 needs even height and width, got 225x224"}},
    {"OddYuv444OnOe1",
     Yaml("bayes",
          "  input_name: data\n  input_type_train: rgb\n  input_layout_train: NHWC\n"
          "  input_type_rt: yuv444\n  input_shape: 1x224x223x3\n"),
     {"m.yaml: input 'data': input_type_rt yuv444 needs even height and width, got 224x223"}},
    {"ScaleWithStd",
     Yaml("nash-e", std::string(kRgbNv12) + "  scale_value: 0.017\n  std_value: 58.4\n"),
     {"m.yaml: input 'data': scale_value and std_value are mutually exclusive"}},
    {"SeparateBatchWithSeparateName",
     Yaml("nash-e", std::string(kRgbNv12) +
                        "  input_batch: 4\n  separate_batch: True\n  separate_name: data\n"),
     {"m.yaml: input_parameters: separate_batch and separate_name are mutually exclusive"}},
    {"InputBatchNeedsFirstDimOne",
     Yaml("nash-e",
          "  input_name: data\n  input_type_train: rgb\n  input_layout_train: NCHW\n"
          "  input_type_rt: nv12\n  input_shape: 4x3x224x224\n  input_batch: 8\n"),
     {"m.yaml: input 'data': input_batch 8 needs the first dimension of input_shape to be 1, "
      "got 4x3x224x224"}},
    {"InputBatchOutOfRange",
     Yaml("nash-e", std::string(kRgbNv12) + "  input_batch: 129\n"),
     {"m.yaml: input_parameters.input_batch 129 must be one integer from 1 to 128"}},
    {"MeanOnFeaturemap",
     Yaml("nash-e",
          "  input_name: feat\n  input_type_train: featuremap\n  input_type_rt: featuremap\n"
          "  input_shape: 1x64x8x8\n  mean_value: 128\n  scale_value: 0.5\n"),
     {"m.yaml: input 'feat': mean_value is not allowed on a featuremap input",
      "m.yaml: input 'feat': scale_value is not allowed on a featuremap input"}},
    {"VideoRangeWithoutNv12",
     Yaml("nash-e",
          "  input_name: data\n  input_type_train: rgb\n  input_layout_train: NCHW\n"
          "  input_type_rt: rgb\n  input_shape: 1x3x224x224\n"
          "  input_space_and_range: bt601_video\n"),
     {"m.yaml: input 'data': input_space_and_range bt601_video is only valid with "
      "input_type_rt nv12, got rgb"}},
    {"Oe1ScaleWithoutNormType",
     Yaml("bayes-e", std::string(kRgbNv12) + "  mean_value: 128\n  scale_value: 0.0078125\n"),
     {"m.yaml: input 'data': scale_value is set but norm_type is not: OE 1.x (march bayes-e) "
      "does not apply it without norm_type (use data_mean_and_scale)"}},
    {"Oe1MeanWithoutNormType",
     Yaml("bernoulli2", std::string(kRgbNv12) + "  mean_value: 128\n"),
     {"m.yaml: input 'data': mean_value is set but norm_type is not: OE 1.x (march "
      "bernoulli2) does not apply it without norm_type (use data_mean)"}},
    {"Oe1HasNoStd",
     Yaml("bayes", std::string(kRgbNv12) + "  std_value: 58.4\n  norm_type: data_std\n"),
     {"m.yaml: input 'data': std_value needs a J6 (nash) march; OE 1.x (march bayes) takes "
      "scale_value, the reciprocal of std"}},
    {"Oe1HasNoStdNormType",
     Yaml("bayes", std::string(kRgbNv12) + "  mean_value: 128\n  norm_type: data_mean_and_std\n"),
     {"m.yaml: input 'data': norm_type data_mean_and_std needs a J6 (nash) march; OE 1.x "
      "(march bayes) supports no_preprocess, data_mean, data_scale, data_mean_and_scale"}},
    {"NormTypeNeedsScale",
     Yaml("nash-e",
          std::string(kRgbNv12) + "  mean_value: 128\n  norm_type: data_mean_and_scale\n"),
     {"m.yaml: input 'data': norm_type data_mean_and_scale needs scale_value"}},
    {"UnknownNormType",
     Yaml("nash-e", std::string(kRgbNv12) + "  norm_type: data_minmax\n"),
     {"m.yaml: input 'data': norm_type 'data_minmax' is not one of no_preprocess, data_mean, "
      "data_scale, data_mean_and_scale, data_std, data_mean_and_std"}},
    {"MeanCountNotChannels",
     Yaml("nash-e", std::string(kRgbNv12) + "  mean_value: 1 2\n"),
     {"m.yaml: input 'data': mean_value has 2 values; give 1 or 3 (one per channel of rgb)"}},
    {"MeanNotNumbers",
     Yaml("nash-e", std::string(kRgbNv12) + "  mean_value: '1,2,3'\n"),
     {"m.yaml: input 'data': mean_value '1,2,3' is not a list of numbers separated by spaces"}},
    {"StdZero",
     Yaml("nash-e", std::string(kRgbNv12) + "  std_value: 58 0 57\n"),
     {"m.yaml: input 'data': std_value 0 would divide by zero"}},
    {"MissingInputName",
     Yaml("nash-e", "  input_type_train: rgb\n  input_shape: 1x3x224x224\n"),
     {"m.yaml: input_parameters.input_name is required: hbprep reads no ONNX file, so the "
      "yaml must name every input"}},
    {"MissingInputShape",
     Yaml("nash-e",
          "  input_name: data\n  input_type_train: rgb\n  input_layout_train: NCHW\n"
          "  input_type_rt: nv12\n"),
     {"m.yaml: input_parameters.input_shape is required: hbprep reads no ONNX file, so the "
      "yaml must give every input's shape (for example 1x3x224x224)"}},
    {"MissingMarch",
     "model_parameters:\n  onnx_model: a.onnx\ninput_parameters:\n" + std::string(kRgbNv12),
     {"m.yaml: model_parameters.march is required (one of bernoulli2, bayes, bayes-e, nash-e, "
      "nash-m, nash-p)"}},
    {"UnknownMarch",
     Yaml("nash-x", kRgbNv12),
     {"m.yaml: model_parameters.march 'nash-x' is not one of bernoulli2, bayes, bayes-e, "
      "nash-e, nash-m, nash-p"}},
    {"UnknownTypes",
     Yaml("nash-e",
          "  input_name: data\n  input_type_train: nv12\n  input_layout_train: NCHW\n"
          "  input_type_rt: nv21\n  input_shape: 1x3x224x224\n"),
     {"m.yaml: input 'data': input_type_train 'nv12' is not one of rgb, bgr, yuv444, gray, "
      "featuremap",
      "m.yaml: input 'data': input_type_rt 'nv21' is not one of nv12, yuv444, rgb, bgr, gray, "
      "featuremap"}},
    {"MissingLayoutTrain",
     Yaml("nash-e",
          "  input_name: data\n  input_type_train: rgb\n  input_type_rt: nv12\n"
          "  input_shape: 1x3x224x224\n"),
     {"m.yaml: input 'data': input_layout_train is required for input_type_train rgb (NCHW "
      "or NHWC)"}},
    {"ChannelsDisagreeWithType",
     Yaml("nash-e",
          "  input_name: data\n  input_type_train: rgb\n  input_layout_train: NHWC\n"
          "  input_type_rt: nv12\n  input_shape: 1x3x224x224\n"),
     {"m.yaml: input 'data': input_shape 1x3x224x224 has 224 channels in layout NHWC, but "
      "input_type_train rgb has 3"}},
    {"ShapeNotParsable",
     Yaml("nash-e",
          "  input_name: data\n  input_type_train: rgb\n  input_layout_train: NCHW\n"
          "  input_type_rt: nv12\n  input_shape: 1x3x?x224\n"),
     {"m.yaml: input 'data': input_shape '1x3x?x224' is not a list of positive integers like "
      "1x3x224x224"}},
    {"ShapeHuge",
     Yaml("nash-e",
          "  input_name: data\n  input_type_train: rgb\n  input_layout_train: NCHW\n"
          "  input_type_rt: nv12\n  input_shape: 1x3x65536x65536\n"),
     {"m.yaml: input 'data': input_shape 1x3x65536x65536 is too large (more than 2147483648 "
      "elements)"}},
    {"DuplicateInputName",
     Yaml("nash-e", "  input_name: 'a; a'\n  input_shape: '1x3x2x2; 1x3x2x2'\n"),
     {"m.yaml: input_parameters.input_name lists 'a' twice"}},
    {"SeparateNameUnknownInput",
     Yaml("nash-e", std::string(kRgbNv12) + "  input_batch: 2\n  separate_name: img\n"),
     {"m.yaml: input_parameters.separate_name names 'img', which is not in input_name"}},
    {"RecipeSizeDisagrees",
     Yaml("nash-e", kRgbNv12,
          "hbprep:\n  inputs:\n    data:\n      recipe:\n        - ShortSideResize: 256\n"
          "        - CenterCrop: 200\n"),
     {"m.yaml: input 'data': hbprep recipe produces 200x200 but input_shape 1x3x224x224 needs "
      "224x224"}},
    {"RecipeUnknownStep",
     Yaml("nash-e", kRgbNv12,
          "hbprep:\n  inputs:\n    data:\n      recipe:\n        - RandomCrop: 224\n"),
     {"m.yaml: input 'data': hbprep recipe step 1 'RandomCrop' is not one of ShortSideResize, "
      "CenterCrop, Resize, PadResize, PaddedCenterCrop, LongSideCrop"}},
    {"RecipeBadArguments",
     Yaml("nash-e", kRgbNv12,
          "hbprep:\n  inputs:\n    data:\n      recipe:\n"
          "        - ShortSideResize: {size: 0, interpolation: lanczos}\n"
          "        - Resize: [224, 224, 3]\n"),
     {"m.yaml: input 'data': hbprep recipe step 1 (ShortSideResize): size must be an integer "
      "from 1 to 65536, got '0'",
      "m.yaml: input 'data': hbprep recipe step 1 (ShortSideResize): interpolation 'lanczos' "
      "is not one of linear, cubic, nearest, area",
      "m.yaml: input 'data': hbprep recipe step 2 (Resize): size must be [height, width]"}},
    {"HbprepUnknownKeys",
     Yaml("nash-e", kRgbNv12,
          "hbprep:\n  nv12_recipie: calc\n  inputs:\n    data:\n      dtype: uint8\n"
          "    img:\n      nv12_recipe: calc\n"),
     {"m.yaml: hbprep.nv12_recipie is not a key of the hbprep section (nv12_recipe, inputs)",
      "m.yaml: input 'data': hbprep.inputs.data.dtype is not one of recipe, nv12_recipe, "
      "ddr_dtype",
      "m.yaml: hbprep.inputs names 'img', which is not in input_name"}},
    {"HbprepBadValues",
     Yaml("nash-e", kRgbNv12,
          "hbprep:\n  nv12_recipe: fast\n  inputs:\n    data:\n      ddr_dtype: float32\n"),
     {"m.yaml: hbprep.nv12_recipe 'fast' is not one of auto, calc, calc_f32, opencv",
      "m.yaml: input 'data': hbprep ddr_dtype 'float32' is not one of int8, uint8"}},
    {"NotYaml",
     "model_parameters:\n  march: [nash-e\n",
     {"m.yaml: not valid yaml at line 3, column 1: end of sequence flow not found"}},
    {"NotAMap",
     "- a\n- b\n",
     {"m.yaml: the descriptor must be a yaml map with model_parameters and input_parameters"}},
    {"EveryErrorOfTheFileAtOnce",
     Yaml("nash-q",
          "  input_name: 'a; b'\n"
          "  input_type_train: 'rgb; gray'\n"
          "  input_layout_train: 'NCHW; NCHW'\n"
          "  input_type_rt: 'nv12; nv12'\n"
          "  input_shape: '1x3x223x224; 1x1x224x224'\n"
          "  scale_value: '0.5; 0.5'\n"
          "  std_value: '2; None'\n"),
     {"m.yaml: model_parameters.march 'nash-q' is not one of bernoulli2, bayes, bayes-e, "
      "nash-e, nash-m, nash-p",
      "m.yaml: input 'a': input_type_rt nv12 needs even height and width, got 223x224",
      "m.yaml: input 'a': scale_value and std_value are mutually exclusive",
      "m.yaml: input 'b': input_type_train gray cannot become input_type_rt nv12 (gray allows "
      "gray)"}},
};

INSTANTIATE_TEST_SUITE_P(All, DescriptorErrors, ::testing::ValuesIn(kErrorCases),
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

TEST(Descriptor, Nv12RecipeAutoFollowsTheRange) {
  absl::StatusOr<Descriptor> regular = Parse(Yaml("nash-e", kRgbNv12));
  absl::StatusOr<Descriptor> video =
      Parse(Yaml("nash-e", std::string(kRgbNv12) + "  input_space_and_range: bt601_video\n"));
  ASSERT_THAT(regular, IsOk());
  ASSERT_THAT(video, IsOk());
  EXPECT_EQ(regular->inputs[0].nv12_recipe, Nv12Recipe::kCalc);
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
