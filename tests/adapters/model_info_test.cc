#include "hbprep/model_info.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace hbprep {
namespace {

using ::hbprep::testing::IsOk;
using ::hbprep::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kModelInfoFixtures[] = HBPREP_SOURCE_DIR "/tests/fixtures/model_info/";

std::vector<ModelInfoModel> LoadFixture(const std::string& file) {
  absl::StatusOr<std::vector<ModelInfoModel>> models = LoadModelInfoFile(kModelInfoFixtures + file);
  EXPECT_THAT(models, IsOk());
  return models.ok() ? *models : std::vector<ModelInfoModel>{};
}

TEST(ModelInfo, ParsesTheOe1FormBesideTheRuntimeLog) {
  const std::vector<ModelInfoModel> models = LoadFixture("x5_ssd_oe1.txt");
  ASSERT_EQ(models.size(), 1u);
  const ModelInfoModel& model = models[0];
  EXPECT_EQ(model.name, "ssd_mobilenet");
  EXPECT_EQ(model.form, ModelInfoForm::kOe1);
  ASSERT_EQ(model.inputs.size(), 1u);  // the output block is not an input
  const ModelInfoInput& in = model.inputs[0];
  EXPECT_EQ(in.index, 0);
  EXPECT_EQ(in.name, "data");
  EXPECT_EQ(in.source, "HB_DNN_INPUT_FROM_PYRAMID");
  EXPECT_THAT(in.valid_shape, ElementsAre(1, 3, 300, 300));
  EXPECT_THAT(in.aligned_shape, ElementsAre(1, 3, 300, 300));
  EXPECT_EQ(in.aligned_byte_size, 135000);
  EXPECT_EQ(in.tensor_type, "HB_DNN_IMG_TYPE_NV12");
  EXPECT_EQ(in.layout, "HB_DNN_LAYOUT_NCHW");
  EXPECT_EQ(in.quanti, QuantiType::kNone);
  EXPECT_THAT(in.stride, ElementsAre(0, 0, 0, 0));
  EXPECT_EQ(in.line, 11);
}

TEST(ModelInfo, ParsesShiftQuantisationOfTheOe1Form) {
  const std::vector<ModelInfoModel> models = LoadFixture("oe1_ddr_shift.txt");
  ASSERT_EQ(models.size(), 1u);
  const ModelInfoInput& in = models[0].inputs[0];
  EXPECT_EQ(in.source, "HB_DNN_INPUT_FROM_DDR");
  EXPECT_THAT(in.aligned_shape, ElementsAre(1, 256, 256, 4));
  EXPECT_EQ(in.tensor_type, "HB_DNN_IMG_TYPE_BGR");
  EXPECT_EQ(in.layout, "HB_DNN_LAYOUT_NHWC");
  EXPECT_EQ(in.quanti, QuantiType::kShift);
  EXPECT_THAT(in.shift, ElementsAre(0, 0, 0));
  EXPECT_TRUE(in.stride.empty());  // this runtime printed none
}

TEST(ModelInfo, ParsesTheJ6Form) {
  const std::vector<ModelInfoModel> models =
      LoadFixture("../../../deploy/models/fusion_multi.model_info.txt");
  ASSERT_EQ(models.size(), 1u);
  const ModelInfoModel& model = models[0];
  EXPECT_EQ(model.name, "fusion");
  EXPECT_EQ(model.form, ModelInfoForm::kJ6);
  ASSERT_EQ(model.inputs.size(), 2u);
  const ModelInfoInput& image = model.inputs[0];
  EXPECT_EQ(image.name, "image");
  EXPECT_TRUE(image.source.empty());
  EXPECT_TRUE(image.aligned_shape.empty());
  EXPECT_TRUE(image.layout.empty());
  EXPECT_EQ(image.tensor_type, "HB_DNN_TENSOR_TYPE_S8");
  EXPECT_THAT(image.stride, ElementsAre(49152, 384, 3, 1));
  const ModelInfoInput& prior = model.inputs[1];
  EXPECT_EQ(prior.index, 1);
  EXPECT_THAT(prior.valid_shape, ElementsAre(1, 64, 8, 8));
  EXPECT_EQ(prior.aligned_byte_size, 8192);
  EXPECT_EQ(prior.quanti, QuantiType::kScale);
  EXPECT_THAT(prior.scale, ElementsAre(0.00048828125f));
  EXPECT_THAT(prior.zero_point, ElementsAre(0));
  EXPECT_EQ(prior.quantize_axis, -1);
  EXPECT_THAT(prior.stride, ElementsAre(8192, 128, 16, 2));
}

TEST(ModelInfo, ParsesDynamicShapesStridesAndSizes) {
  const std::vector<ModelInfoModel> models = LoadFixture("det_resizer_j6.txt");
  ASSERT_EQ(models.size(), 1u);
  ASSERT_EQ(models[0].inputs.size(), 3u);
  EXPECT_THAT(models[0].inputs[0].valid_shape, ElementsAre(1, -1, -1, 1));
  EXPECT_THAT(models[0].inputs[0].stride, ElementsAre(-1, -1, 1, 1));
  EXPECT_EQ(models[0].inputs[0].aligned_byte_size, -1);
  EXPECT_EQ(models[0].inputs[2].tensor_type, "HB_DNN_TENSOR_TYPE_S32");
  EXPECT_THAT(models[0].inputs[2].stride, ElementsAre(16, 4));
}

TEST(ModelInfo, ParsesPerAxisScalesAndSeveralModels) {
  const std::string text =
      "[model name]: first\n"
      "input[0]:\n"
      "name: x\n"
      "valid shape: (1,3,2,2)\n"
      "tensor type: HB_DNN_TENSOR_TYPE_S8\n"
      "quanti type: SCALE\n"
      "quantize axis: 1\n"
      "scale data: (0.5,0.25,2)\n"
      "zero_point data: (0,1,-2)\n"
      "\n"
      "[model name]: second\n"
      "input[1]:\n"
      "name: b\n"
      "valid shape: (4)\n"
      "tensor type: HB_DNN_TENSOR_TYPE_F32\n"
      "input[0]:\n"
      "name: a\n"
      "valid shape: (4)\n"
      "tensor type: HB_DNN_TENSOR_TYPE_F32\n";
  absl::StatusOr<std::vector<ModelInfoModel>> models = ParseModelInfo(text, "m.txt");
  ASSERT_THAT(models, IsOk());
  ASSERT_EQ(models->size(), 2u);
  const ModelInfoInput& x = (*models)[0].inputs[0];
  EXPECT_EQ(x.quantize_axis, 1);
  EXPECT_THAT(x.scale, ElementsAre(0.5f, 0.25f, 2.0f));
  EXPECT_THAT(x.zero_point, ElementsAre(0, 1, -2));
  EXPECT_EQ((*models)[1].name, "second");
  // Inputs come back by index, whatever order the text lists them in.
  EXPECT_EQ((*models)[1].inputs[0].name, "a");
  EXPECT_EQ((*models)[1].inputs[1].name, "b");
}

TEST(ModelInfo, ReportsEveryBrokenFieldByLineInputAndValue) {
  const std::string text =
      "input[0]:\n"                            // 1
      "name: data\n"                           // 2
      "valid shape: (1,a,4)\n"                 // 3
      "tensor type: HB_DNN_TENSOR_TYPE_F32\n"  // 4
      "\n"                                     // 5
      "input[1]:\n"                            // 6
      "name: feat\n"                           // 7
      "valid shape: (1,4)\n"                   // 8
      "tensor type: U8\n"                      // 9
      "quanti type: SCALE\n"                   // 10
      "stride: (16,4,1)\n"                     // 11
      "\n"                                     // 12
      "input[2]:\n"                            // 13
      "valid shape: (2,2)\n"                   // 14
      "tensor type: HB_DNN_TENSOR_TYPE_S8\n"   // 15
      "quanti type: SCALE\n"                   // 16
      "scale data: (0.5,-1)\n"                 // 17
      "quanti type: ROUND\n";                  // 18
  EXPECT_THAT(
      ParseModelInfo(text, "m.txt"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               "m.txt:3: input[0] 'data': valid shape '(1,a,4)' is not a list of 1 to 10 "
               "dimensions (-1 for dynamic)\n"
               "m.txt:1: input[0] 'data': no usable 'valid shape:' line\n"
               "m.txt:9: input[1] 'feat': tensor type 'U8' is not an HB_DNN_* tensor type\n"
               "m.txt:6: input[1] 'feat': no usable 'tensor type:' line\n"
               "m.txt:10: input[1] 'feat': quanti type SCALE without 'scale data:'\n"
               "m.txt:6: input[1] 'feat': stride has 3 entries for a valid shape of 2 "
               "dimensions\n"
               "m.txt:17: input[2]: scale data '(0.5,-1)' is not a list of positive scales\n"
               "m.txt:18: input[2]: quanti type 'ROUND' is not NONE, SHIFT or SCALE\n"
               "m.txt:13: input[2]: no 'name:' line\n"
               "m.txt:16: input[2]: quanti type SCALE without 'scale data:'"));
}

TEST(ModelInfo, RejectsRepeatedAndMissingIndices) {
  const std::string block = "name: {}\nvalid shape: (1)\ntensor type: HB_DNN_TENSOR_TYPE_F32\n";
  auto input = [&](int index, const std::string& name) {
    std::string text = "input[" + std::to_string(index) + "]:\n" + block + "\n";
    text.replace(text.find("{}"), 2, name);
    return text;
  };
  EXPECT_THAT(ParseModelInfo(input(0, "a") + input(0, "b"), "m.txt"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "m.txt:6: input[0] appears twice (line 1)"));
  EXPECT_THAT(ParseModelInfo(input(0, "a") + input(1, "a"), "m.txt"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "m.txt:6: input[1] 'a': the name is already input[0]'s"));
  EXPECT_THAT(ParseModelInfo(input(0, "a") + input(2, "b"), "m.txt"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "m.txt: model '' has no input[1] (its inputs must be numbered 0, 1, ...)"));
  EXPECT_THAT(ParseModelInfo("input[0]:\nname: a\nvalid shape: (2)\ntensor type: "
                             "HB_DNN_TENSOR_TYPE_S8\nquanti type: SCALE\nscale data: (1,2)\n"
                             "zero_point data: (0,0,0)\n",
                             "m.txt"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "m.txt:6: input[0] 'a': 2 scales but 3 zero points"));
}

TEST(ModelInfo, TextWithoutInputsIsNotModelInfo) {
  EXPECT_THAT(ParseModelInfo("[HBRT] set log level as 0\noutput[0]:\nname: y\n", "m.txt"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "m.txt: no 'input[N]:' block found; expected the output of "
                       "`hrt_model_exec model_info --model_file <model>`"));
  // hb_model_info's table is not this format.
  EXPECT_THAT(ParseModelInfo("NAME  TYPE  SHAPE  DATA_TYPE\ndata  input  [1,3,224,224]  UINT8\n",
                             "t.txt"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no 'input[N]:' block")));
  EXPECT_THAT(LoadModelInfoFile("/nonexistent/m.txt"),
              StatusIs(absl::StatusCode::kNotFound,
                       "/nonexistent/m.txt: cannot open model info file"));
}

TEST(ModelInfo, HostileTextIsBounded) {
  EXPECT_THAT(ParseModelInfo(std::string((4 << 20) + 1, 'x'), "big.txt"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "big.txt: 4194305 bytes is more than model info text holds (4194304 at "
                       "most)"));
  std::string many;
  for (int i = 0; i <= 1024; ++i) many += "input[" + std::to_string(i) + "]:\n";
  EXPECT_THAT(ParseModelInfo(many, "many.txt"),
              StatusIs(absl::StatusCode::kInvalidArgument, "many.txt:1025: more than 1024 inputs"));
  EXPECT_THAT(ParseModelInfo("input[0]:\nname: a\nvalid shape: (1,1,1,1,1,1,1,1,1,1,1)\n"
                             "tensor type: HB_DNN_TENSOR_TYPE_S8\n",
                             "m.txt"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("m.txt:3: input[0] 'a': valid shape")));
  // Lines that look like block headers but are not, and CRLF line ends.
  absl::StatusOr<std::vector<ModelInfoModel>> models = ParseModelInfo(
      "input[x]: junk\r\ninput[0]: extra\r\ninput[0]:\r\nname: a\r\nvalid shape: (3)\r\n"
      "tensor type: HB_DNN_TENSOR_TYPE_F32\r\n",
      "m.txt");
  ASSERT_THAT(models, IsOk());
  EXPECT_EQ((*models)[0].inputs[0].name, "a");
}

}  // namespace
}  // namespace hbprep

namespace hbprep {
namespace {

using ::hbprep::testing::IsOk;
using ::testing::ElementsAre;

// Dynamic entries as each tool prints them: hrt_model_exec -1, hb_model_info -v INT64_MIN,
// J6 Y/UV strides 0 ("aligned by the rules"); and a text with no [model name] line.
TEST(ModelInfo, ReadsEveryDynamicMarkerAndTextsWithoutAModelName) {
  const std::string text =
      "input[0]: \nname: data_y\nvalid shape: (1,-9223372036854775808,-9223372036854775808,1)\n"
      "tensor type: HB_DNN_IMG_TYPE_NV12_SEPARATE\nquanti type: NONE\n"
      "stride: (-9223372036854775808,-1,1,1)\n\n"
      "input[1]: \nname: data_uv\nvalid shape: (1,-1,-1,2)\n"
      "tensor type: HB_DNN_IMG_TYPE_NV12_SEPARATE\nquanti type: NONE\nstride: (0,0,2,1)\n";
  absl::StatusOr<std::vector<ModelInfoModel>> models = ParseModelInfo(text, "info");
  ASSERT_THAT(models, IsOk());
  ASSERT_EQ(models->size(), 1u);
  EXPECT_EQ((*models)[0].name, "");
  EXPECT_THAT((*models)[0].inputs[0].valid_shape, ElementsAre(1, -1, -1, 1));
  EXPECT_THAT((*models)[0].inputs[0].stride, ElementsAre(-1, -1, 1, 1));
  EXPECT_THAT((*models)[0].inputs[1].stride, ElementsAre(0, 0, 2, 1));
  // Any other negative number is still an error.
  EXPECT_FALSE(ParseModelInfo("input[0]: \nname: a\nvalid shape: (1,-2)\n", "info").ok());
}

}  // namespace
}  // namespace hbprep
