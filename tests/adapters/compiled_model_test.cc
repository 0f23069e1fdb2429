#include "hbprep/compiled_model.h"

#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hbprep/engine.h"
#include "hbprep/identity.h"
#include "hbprep/npy.h"
#include "tests/testing/example_repository.h"
#include "tests/testing/status_matchers.h"

namespace hbprep {
namespace {

using ::hbprep::testing::IsOk;
using ::hbprep::testing::LoadExampleModel;
using ::hbprep::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr char kFixtures[] = HBPREP_SOURCE_DIR "/tests/fixtures/model_info/";

// Attaches `text` to the example model; the status, with the warnings in `warnings`.
absl::Status Attach(Descriptor* d, const std::string& text, std::vector<std::string>* warnings) {
  absl::StatusOr<std::vector<ModelInfoModel>> models = ParseModelInfo(text, "m.txt");
  if (!models.ok()) return models.status();
  return AttachModelInfo(*models, "m.txt", d, warnings);
}

// One J6 input block.
std::string Block(int index, const std::string& name, const std::string& shape,
                  const std::string& type, const std::string& stride, int64_t aligned = 0,
                  const std::string& extra = "") {
  std::string out = absl::StrCat("input[", index, "]: \nname: ", name, "\nvalid shape: ", shape,
                                 "\n");
  if (aligned != 0) absl::StrAppend(&out, "aligned byte size: ", aligned, "\n");
  absl::StrAppend(&out, "tensor type: ", type, "\n");
  absl::StrAppend(&out, extra.empty() ? "quanti type: NONE\n" : extra);
  if (!stride.empty()) absl::StrAppend(&out, "stride: ", stride, "\n");
  return out + "\n";
}

const std::string kY = Block(0, "images_y", "(1,224,224,1)", "HB_DNN_IMG_TYPE_NV12", "(-1,-1,1,1)");
const std::string kUv =
    Block(1, "images_uv", "(1,112,112,2)", "HB_DNN_IMG_TYPE_NV12", "(-1,-1,2,1)");
const std::string kImage =
    Block(0, "image", "(1,128,128,3)", "HB_DNN_TENSOR_TYPE_S8", "(49152,384,3,1)", 49152);

std::string Prior(const std::string& type, const std::string& stride, const std::string& quanti) {
  return Block(1, "prior", "(1,64,8,8)", type, stride, 0, quanti);
}

std::string Float32Npy(const std::vector<float>& values, std::vector<int64_t> shape) {
  return EncodeNpy(DType::kFloat32, shape,
                   absl::Span<const uint8_t>(reinterpret_cast<const uint8_t*>(values.data()),
                                             values.size() * 4));
}

// A 128x128 BGR image with known pixels, as raw bytes.
InputImage RawImage128() {
  InputImage image;
  image.what = "image.bgr";
  image.raw = RawImage{RawFormat::kBgr, 128, 128, 0, ColorRange::kRegular};
  image.bytes.resize(128 * 128 * 3);
  for (size_t i = 0; i < image.bytes.size(); ++i) image.bytes[i] = static_cast<char>(i * 7);
  return image;
}

InputImage Feature(const std::vector<float>& values) {
  InputImage image;
  image.what = "prior.npy";
  image.bytes = Float32Npy(values, {1, 64, 8, 8});
  return image;
}

template <typename T>
std::vector<T> Values(const Tensor& tensor) {
  std::vector<T> out(tensor.data.size() / sizeof(T));
  std::memcpy(out.data(), tensor.data.data(), tensor.data.size());
  return out;
}

TEST(CompiledModel, TheExampleModelsAgreeWithTheirFixtures) {
  for (const auto& [model, fixture] : std::vector<std::pair<std::string, std::string>>{
           {"cls_pyramid", "cls_pyramid_j6.txt"},
           {"det_resizer", "det_resizer_j6.txt"},
           {"x5_ssd", "x5_ssd_oe1.txt"}}) {
    SCOPED_TRACE(model);
    const Descriptor plain = LoadExampleModel(model);
    std::vector<std::string> warnings;
    absl::StatusOr<Descriptor> d = LoadModel(HBPREP_SOURCE_DIR "/deploy/models/" + model + ".yaml",
                                             kFixtures + fixture, &warnings);
    ASSERT_THAT(d, IsOk());
    EXPECT_THAT(warnings, IsEmpty());
    const Plan before = ResolvePlan(plain, Target::kBoard);
    const Plan after = ResolvePlan(*d, Target::kBoard);
    EXPECT_EQ(after.model_info, kFixtures + fixture);
    ASSERT_EQ(after.tensors.size(), before.tensors.size());
    for (size_t i = 0; i < after.tensors.size(); ++i) {
      EXPECT_EQ(after.tensors[i].name, before.tensors[i].name);
      EXPECT_EQ(after.tensors[i].dtype, before.tensors[i].dtype);
      EXPECT_EQ(after.tensors[i].strides, before.tensors[i].strides);
      EXPECT_FALSE(after.tensors[i].quantization);
    }
    // What the compiled model decided is part of the model's identity.
    EXPECT_NE(DescriptorHash(*d), DescriptorHash(plain));
  }
}

TEST(CompiledModel, QuantisedFeaturemapBecomesTheModelsIntegers) {
  std::vector<std::string> warnings;
  absl::StatusOr<Descriptor> d =
      LoadModel(HBPREP_SOURCE_DIR "/deploy/models/fusion_multi.yaml",
                "", &warnings);
  ASSERT_THAT(d, IsOk());
  EXPECT_THAT(warnings, IsEmpty());
  const Plan plan = ResolvePlan(*d, Target::kBoard);
  ASSERT_EQ(plan.tensors.size(), 2u);
  EXPECT_EQ(plan.tensors[1].dtype, DType::kInt16);
  EXPECT_THAT(plan.tensors[1].strides, ElementsAre(8192, 128, 16, 2));
  ASSERT_TRUE(plan.tensors[1].quantization);
  EXPECT_THAT(plan.tensors[1].quantization->scale, ElementsAre(0.00048828125f));
  EXPECT_THAT(plan.tensors[1].quantization->zero_point, ElementsAre(0));
  EXPECT_EQ(plan.tensors[1].quantization->axis, -1);
  // Calibration and ONNX data stay the float model's.
  EXPECT_EQ(ResolvePlan(*d, Target::kCalibration).tensors[1].dtype, DType::kFloat32);
  EXPECT_FALSE(ResolvePlan(*d, Target::kOnnx).tensors[1].quantization);

  // scale = 2^-11: x / scale is exact, so each case is a known rounding or clip.
  std::vector<float> prior(64 * 8 * 8, 0.0f);
  const float s = 0.00048828125f;
  prior[0] = 0.5f * s;   // 0.5 -> 0 (half to even)
  prior[1] = 1.5f * s;   // 1.5 -> 2
  prior[2] = -0.5f * s;  // -0.5 -> 0
  prior[3] = -2.5f * s;  // -2.5 -> -2
  prior[4] = 1.0f;       // 2048
  prior[5] = 100.0f;     // 204800 -> 32767
  prior[6] = -100.0f;    // -204800 -> -32768
  prior[7] = 0.1f;       // 204.8000030517578125 -> 205
  absl::StatusOr<Prepared> prepared =
      Prepare(*d, {RawImage128(), Feature(prior)}, PrepareOptions{});
  ASSERT_THAT(prepared, IsOk());
  const std::vector<int16_t> q = Values<int16_t>(prepared->tensors[1]);
  ASSERT_EQ(q.size(), 4096u);
  EXPECT_THAT(std::vector<int16_t>(q.begin(), q.begin() + 9),
              ElementsAre(0, 2, 0, -2, 2048, 32767, -32768, 205, 0));
  EXPECT_EQ(prepared->tensors[1].spec.dtype, DType::kInt16);
  // Dense strides: the board layout is the data.
  EXPECT_EQ(PackStrided(prepared->tensors[1]), prepared->tensors[1].data);

  prior[9] = std::nanf("");
  EXPECT_THAT(Prepare(*d, {RawImage128(), Feature(prior)}, PrepareOptions{}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "featuremap input 'prior': element 9 of tensor 'prior' is nan; a "
                       "quantised input (int16) needs finite values"));
}

TEST(CompiledModel, PerAxisQuantisationFindsItsAxisAndSaturates) {
  Descriptor d = LoadExampleModel("fusion_multi");
  std::string scales, zeros;
  for (int c = 0; c < 64; ++c) {
    absl::StrAppend(&scales, c ? "," : "", c < 32 ? "0.5" : "0.25");
    absl::StrAppend(&zeros, c ? "," : "", c < 32 ? 0 : 10);
  }
  std::vector<std::string> warnings;
  ASSERT_THAT(Attach(&d,
                     kImage + Prior("HB_DNN_TENSOR_TYPE_S8", "(4096,64,8,1)",
                                    "quanti type: SCALE\nscale data: (" + scales +
                                        ")\nzero_point data: (" + zeros + ")\n"),
                     &warnings),
              IsOk());
  const Plan plan = ResolvePlan(d, Target::kBoard);
  ASSERT_TRUE(plan.tensors[1].quantization);
  EXPECT_EQ(plan.tensors[1].quantization->axis, 1);  // the only dimension of length 64
  std::vector<float> prior(4096, 0.0f);
  prior[0] = 0.25f;               // channel 0: 0.5 -> 0
  prior[64] = 0.75f;              // channel 1: 1.5 -> 2
  prior[32 * 64] = 0.25f;         // channel 32: 1 + 10 = 11
  prior[40 * 64] = -40.0f;        // channel 40: -160 + 10 -> -128
  prior[63 * 64 + 63] = 100.0f;   // channel 63: 410 -> 127
  prior[33 * 64 + 5] = 0.0f;      // channel 33: the zero point, 10
  absl::StatusOr<Prepared> prepared =
      Prepare(d, {RawImage128(), Feature(prior)}, PrepareOptions{});
  ASSERT_THAT(prepared, IsOk());
  const std::vector<int8_t> q = Values<int8_t>(prepared->tensors[1]);
  EXPECT_EQ(q[0], 0);
  EXPECT_EQ(q[64], 2);
  EXPECT_EQ(q[32 * 64], 11);
  EXPECT_EQ(q[40 * 64], -128);
  EXPECT_EQ(q[63 * 64 + 63], 127);
  EXPECT_EQ(q[33 * 64 + 5], 10);
  EXPECT_EQ(q[31 * 64 + 1], 0);

  // Eight scales fit two dimensions: the text must say which.
  Descriptor ambiguous = LoadExampleModel("fusion_multi");
  EXPECT_THAT(Attach(&ambiguous,
                     kImage + Prior("HB_DNN_TENSOR_TYPE_S8", "",
                                    "quanti type: SCALE\nscale data: (1,1,1,1,1,1,1,1)\n"),
                     &warnings),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "m.txt: input[1] 'prior': 8 scales, no quantize axis, and 2 dimensions "
                       "of valid shape (1,64,8,8) of that length; add a 'quantize axis: N' line"));
  Descriptor shifted = LoadExampleModel("fusion_multi");
  ASSERT_THAT(Attach(&shifted,
                     kImage + Prior("HB_DNN_TENSOR_TYPE_S8", "",
                                    "quanti type: SHIFT\nshift data: 3\n"),
                     &warnings),
              IsOk());
  EXPECT_THAT(ResolvePlan(shifted, Target::kBoard).tensors[1].quantization->scale,
              ElementsAre(0.125f));
}

TEST(CompiledModel, PaddedFeaturemapStridesPackRowsAtTheModelsStride) {
  Descriptor d = LoadExampleModel("fusion_multi");
  std::vector<std::string> warnings;
  ASSERT_THAT(Attach(&d,
                     kImage + Prior("HB_DNN_TENSOR_TYPE_S8", "(8192,128,16,1)",
                                    "quanti type: SCALE\nscale data: (1)\n"),
                     &warnings),
              IsOk());
  EXPECT_THAT(warnings, ElementsAre("m.txt: input[1] 'prior': stride (8192,128,16,1) differs "
                                    "from the plan's (4096,64,8,1); hbprep uses the compiled "
                                    "model's"));
  std::vector<float> prior(4096);
  for (size_t i = 0; i < prior.size(); ++i) prior[i] = static_cast<float>(i % 100);
  absl::StatusOr<Prepared> prepared =
      Prepare(d, {RawImage128(), Feature(prior)}, PrepareOptions{});
  ASSERT_THAT(prepared, IsOk());
  const std::vector<uint8_t> packed = PackStrided(prepared->tensors[1]);
  ASSERT_EQ(packed.size(), 8192u);
  for (size_t row = 0; row < 512; ++row) {
    for (size_t k = 0; k < 16; ++k) {
      const uint8_t want = k < 8 ? static_cast<uint8_t>((row * 8 + k) % 100) : 0;
      ASSERT_EQ(packed[row * 16 + k], want) << "row " << row << " byte " << k;
    }
  }
}

TEST(CompiledModel, TheCompiledModelDecidesADdrImagesSignedness) {
  Descriptor d = LoadExampleModel("fusion_multi");
  std::vector<std::string> warnings;
  ASSERT_THAT(Attach(&d,
                     Block(0, "image", "(1,128,128,3)", "HB_DNN_TENSOR_TYPE_U8", "") +
                         Prior("HB_DNN_TENSOR_TYPE_F32", "", ""),
                     &warnings),
              IsOk());
  EXPECT_THAT(warnings,
              ElementsAre("m.txt: input[0] 'image': the compiled model takes uint8 "
                          "(HB_DNN_TENSOR_TYPE_U8) where the yaml implies int8; hbprep follows "
                          "the compiled model (pixel values)"));
  EXPECT_EQ(ResolvePlan(d, Target::kBoard).tensors[0].dtype, DType::kUint8);
  const std::vector<float> prior(4096, 0.5f);
  absl::StatusOr<Prepared> unsigned_out =
      Prepare(d, {RawImage128(), Feature(prior)}, PrepareOptions{});
  absl::StatusOr<Prepared> signed_out =
      Prepare(LoadExampleModel("fusion_multi"), {RawImage128(), Feature(prior)}, PrepareOptions{});
  ASSERT_THAT(unsigned_out, IsOk());
  ASSERT_THAT(signed_out, IsOk());
  const InputImage raw = RawImage128();
  ASSERT_EQ(unsigned_out->tensors[0].data.size(), raw.bytes.size());
  for (size_t i = 0; i < raw.bytes.size(); ++i) {
    ASSERT_EQ(unsigned_out->tensors[0].data[i], static_cast<uint8_t>(raw.bytes[i]));
    ASSERT_EQ(signed_out->tensors[0].data[i], static_cast<uint8_t>(raw.bytes[i]) ^ 0x80);
  }
  EXPECT_EQ(unsigned_out->tensors[1].data, signed_out->tensors[1].data);  // float32 as given
}

TEST(CompiledModel, TheCompiledModelsInputOrderWins) {
  Descriptor d = LoadExampleModel("cls_pyramid");
  std::string uv = absl::StrReplaceAll(kUv, {{"input[1]", "input[0]"}});
  std::string y = absl::StrReplaceAll(kY, {{"input[0]", "input[1]"}});
  std::vector<std::string> warnings;
  ASSERT_THAT(Attach(&d, uv + y, &warnings), IsOk());
  EXPECT_THAT(warnings, ElementsAre("m.txt: the compiled model orders its inputs images_uv, "
                                    "images_y; the yaml implies images_y, images_uv; hbprep "
                                    "follows the compiled model"));
  const Plan plan = ResolvePlan(d, Target::kBoard);
  EXPECT_EQ(plan.tensors[0].name, "images_uv");
  EXPECT_EQ(plan.tensors[1].name, "images_y");
  EXPECT_EQ(HrtInputStride(plan), "--input_stride=\"25088,224,2,1;50176,224,1,1\"");
}

TEST(CompiledModel, LegalStridesOfTheModelReplaceThePlans) {
  Descriptor d = LoadExampleModel("cls_pyramid");
  std::vector<std::string> warnings;
  ASSERT_THAT(Attach(&d,
                     Block(0, "images_y", "(1,224,224,1)", "HB_DNN_IMG_TYPE_NV12",
                           "(57344,256,1,1)", 57344) +
                         kUv,
                     &warnings),
              IsOk());
  EXPECT_THAT(warnings, ElementsAre("m.txt: input[0] 'images_y': stride (57344,256,1,1) differs "
                                    "from the plan's (50176,224,1,1); hbprep uses the compiled "
                                    "model's"));
  const Plan plan = ResolvePlan(d, Target::kBoard);
  EXPECT_THAT(plan.tensors[0].strides, ElementsAre(57344, 256, 1, 1));
}

struct Disagreement {
  std::string label, text, message;
};

class CompiledModelErrors : public ::testing::TestWithParam<Disagreement> {};

TEST_P(CompiledModelErrors, NamesTheInputAndTheProblem) {
  Descriptor d = LoadExampleModel(GetParam().label.substr(0, GetParam().label.find('/')));
  const Descriptor before = d;
  std::vector<std::string> warnings;
  EXPECT_THAT(Attach(&d, GetParam().text, &warnings),
              StatusIs(absl::StatusCode::kInvalidArgument, GetParam().message));
  EXPECT_FALSE(d.compiled);  // unchanged
  EXPECT_EQ(DescriptorHash(d), DescriptorHash(before));
}

std::string Oe1Text() {
  std::string text;
  std::ifstream file(std::string(kFixtures) + "x5_ssd_oe1.txt");
  std::ostringstream out;
  out << file.rdbuf();
  return out.str();
}

INSTANTIATE_TEST_SUITE_P(
    All, CompiledModelErrors,
    ::testing::Values(
        Disagreement{"cls_pyramid/missing", kY,
                     "m.txt: the compiled model has no input 'images_uv', which the yaml's "
                     "pyramid input 'images' needs (compiled inputs: images_y)"},
        Disagreement{"cls_pyramid/extra",
                     kY + kUv + Block(2, "extra", "(1,4)", "HB_DNN_TENSOR_TYPE_F32", ""),
                     "m.txt: input[2] 'extra' of the compiled model is not in the yaml's board "
                     "plan (images_y, images_uv)"},
        Disagreement{"cls_pyramid/shape",
                     Block(0, "images_y", "(1,256,256,1)", "HB_DNN_IMG_TYPE_NV12", "") + kUv,
                     "m.txt: input[0] 'images_y': valid shape (1,256,256,1) but the yaml's "
                     "pyramid input 'images' makes it (1,224,224,1)"},
        Disagreement{"cls_pyramid/alignment",
                     Block(0, "images_y", "(1,224,224,1)", "HB_DNN_IMG_TYPE_NV12",
                           "(50400,225,1,1)") +
                         kUv,
                     "m.txt: input[0] 'images_y': row stride 225 breaks nash-e's 32-byte row "
                     "alignment of Y/UV planes (stride (50400,225,1,1))"},
        Disagreement{"cls_pyramid/short_stride",
                     Block(0, "images_y", "(1,224,224,1)", "HB_DNN_IMG_TYPE_NV12",
                           "(50176,192,1,1)") +
                         kUv,
                     "m.txt: input[0] 'images_y': stride (50176,192,1,1) is smaller than the "
                     "data: dimension 1 steps 192 bytes over 224 x 1"},
        Disagreement{"cls_pyramid/aligned_size",
                     Block(0, "images_y", "(1,224,224,1)", "HB_DNN_IMG_TYPE_NV12", "(0,0,0,0)",
                           40000) +
                         kUv,
                     "m.txt: input[0] 'images_y': the plan lays it out in 50176 bytes (strides "
                     "(50176,224,1,1)) but the compiled model's aligned byte size is 40000; is "
                     "march 'nash-e' the one the model was compiled for?"},
        Disagreement{"cls_pyramid/type",
                     Block(0, "images_y", "(1,224,224,1)", "HB_DNN_TENSOR_TYPE_F32", "") + kUv,
                     "m.txt: input[0] 'images_y': tensor type HB_DNN_TENSOR_TYPE_F32 cannot "
                     "hold the Y plane of the yaml's pyramid input 'images'"},
        Disagreement{"cls_pyramid/fixed_stride_disagrees",
                     Block(0, "images_y", "(1,224,224,1)", "HB_DNN_IMG_TYPE_NV12",
                           "(-1,256,1,1)") +
                         kUv,
                     "m.txt: input[0] 'images_y': stride (-1,256,1,1) disagrees with the plan's "
                     "(50176,224,1,1) for the yaml's pyramid input 'images'"},
        Disagreement{"cls_pyramid/oe1_form", Oe1Text(),
                     "m.txt: this is the OE 1.x form of model info, but march 'nash-e' is a J6 "
                     "chip\n"
                     "m.txt: the compiled model has no input 'images_y', which the yaml's "
                     "pyramid input 'images' needs (compiled inputs: data)\n"
                     "m.txt: the compiled model has no input 'images_uv', which the yaml's "
                     "pyramid input 'images' needs (compiled inputs: data)\n"
                     "m.txt: input[0] 'data' of the compiled model is not in the yaml's board "
                     "plan (images_y, images_uv)"},
        Disagreement{"det_resizer/roi_type",
                     Block(0, "data_y", "(1,-1,-1,1)", "HB_DNN_IMG_TYPE_NV12", "") +
                         Block(1, "data_uv", "(1,-1,-1,2)", "HB_DNN_IMG_TYPE_NV12", "") +
                         Block(2, "data_roi", "(1,4)", "HB_DNN_TENSOR_TYPE_F32", "(16,4)"),
                     "m.txt: input[2] 'data_roi': tensor type HB_DNN_TENSOR_TYPE_F32 cannot "
                     "hold the int32 ROI of the yaml's resizer input 'data'"},
        Disagreement{"fusion_multi/image_scale",
                     Block(0, "image", "(1,128,128,3)", "HB_DNN_TENSOR_TYPE_S8", "", 0,
                           "quanti type: SCALE\nscale data: (0.5)\n") +
                         Prior("HB_DNN_TENSOR_TYPE_F32", "", ""),
                     "m.txt: input[0] 'image': quanti type SCALE with non-identity values on an "
                     "image input; hbprep prepares image inputs as pixel values and does not "
                     "quantise them"},
        Disagreement{"fusion_multi/element_size",
                     kImage + Prior("HB_DNN_TENSOR_TYPE_F32", "(16384,256,32,2)", ""),
                     "m.txt: input[1] 'prior': stride (16384,256,32,2) ends in 2, not the "
                     "4-byte element size of float32"},
        Disagreement{"fusion_multi/models",
                     "[model name]: a\n" + kImage + "[model name]: b\n" + kImage,
                     "m.txt: describes models a, b and none is named 'fusion_multi'; keep only "
                     "this model's part, or name the yaml after it"}),
    [](const ::testing::TestParamInfo<Disagreement>& param) {
      return param.param.label.substr(param.param.label.find('/') + 1);
    });

TEST(CompiledModel, Oe1DdrImageTypeMustMatchTheYaml) {
  const std::string yaml =
      "model_parameters: {onnx_model: unet.onnx, march: bayes}\n"
      "input_parameters:\n"
      "  input_name: image\n"
      "  input_type_train: bgr\n"
      "  input_layout_train: NCHW\n"
      "  input_type_rt: TYPE\n"
      "  input_layout_rt: NHWC\n"
      "  input_shape: 1x3x256x256\n"
      "  norm_type: no_preprocess\n";
  absl::StatusOr<std::vector<ModelInfoModel>> info =
      LoadModelInfoFile(std::string(kFixtures) + "oe1_ddr_shift.txt");
  ASSERT_THAT(info, IsOk());
  std::vector<std::string> warnings;
  absl::StatusOr<Descriptor> bgr = ParseDescriptor(absl::StrReplaceAll(yaml, {{"TYPE", "bgr"}}),
                                                   "unet", ParseOptions{}, &warnings);
  ASSERT_THAT(bgr, IsOk());
  EXPECT_THAT(AttachModelInfo(*info, "oe1.txt", &*bgr, &warnings), IsOk());
  absl::StatusOr<Descriptor> rgb = ParseDescriptor(absl::StrReplaceAll(yaml, {{"TYPE", "rgb"}}),
                                                   "unet", ParseOptions{}, &warnings);
  ASSERT_THAT(rgb, IsOk());
  EXPECT_THAT(AttachModelInfo(*info, "oe1.txt", &*rgb, &warnings),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "oe1.txt: input[0] 'image': tensor type HB_DNN_IMG_TYPE_BGR but "
                       "input_type_rt of 'image' is rgb (HB_DNN_IMG_TYPE_RGB): the model would "
                       "see the wrong channels"));
  absl::StatusOr<Descriptor> nchw = ParseDescriptor(
      absl::StrReplaceAll(yaml, {{"TYPE", "bgr"}, {"input_layout_rt: NHWC", "input_layout_rt: NCHW"}}),
      "unet", ParseOptions{}, &warnings);
  ASSERT_THAT(nchw, IsOk());
  EXPECT_THAT(AttachModelInfo(*info, "oe1.txt", &*nchw, &warnings),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "oe1.txt: input[0] 'image': valid shape (1,256,256,3) but the yaml's ddr "
                       "input 'image' makes it (1,3,256,256)"));
}

}  // namespace
}  // namespace hbprep

namespace hbprep {
namespace {

// Featuremaps a compiled model takes unquantised as integers (coordinates, token ids, masks) or
// float16: files of that dtype pass through unchanged, on the board only (issue 16, section 4).
TEST(CompiledModel, UnquantisedIntegerFeaturemapsPassThrough) {
  for (const auto& [type, dtype] : std::vector<std::pair<std::string, DType>>{
           {"HB_DNN_TENSOR_TYPE_S32", DType::kInt32},
           {"HB_DNN_TENSOR_TYPE_S8", DType::kInt8},
           {"HB_DNN_TENSOR_TYPE_U16", DType::kUint16},
           {"HB_DNN_TENSOR_TYPE_BOOL8", DType::kBool},
           {"HB_DNN_TENSOR_TYPE_F16", DType::kFloat16},
           {"HB_DNN_TENSOR_TYPE_S64", DType::kInt64}}) {
    SCOPED_TRACE(type);
    Descriptor d = LoadExampleModel("fusion_multi");
    std::vector<std::string> warnings;
    ASSERT_THAT(Attach(&d, kImage + Prior(type, "", "quanti type: NONE\n"), &warnings), IsOk());
    const Plan board = ResolvePlan(d, Target::kBoard);
    EXPECT_EQ(board.tensors[1].dtype, dtype);
    EXPECT_FALSE(board.tensors[1].quantization.has_value());
    EXPECT_EQ(FeaturemapFileDType(d, d.inputs[1], Target::kBoard), dtype);
    EXPECT_EQ(FeaturemapFileDType(d, d.inputs[1], Target::kCalibration), DType::kFloat32);
    const size_t bytes = 4096 * ElementSize(dtype);
    std::vector<uint8_t> values(bytes);
    for (size_t i = 0; i < bytes; ++i) {
      values[i] = static_cast<uint8_t>(dtype == DType::kBool ? (i * 7 + 3) % 3 % 2 : i * 7 + 3);
    }
    InputImage prior;
    prior.what = "prior.npy";
    prior.bytes = EncodeNpy(dtype, {1, 64, 8, 8}, values);
    absl::StatusOr<Prepared> out = Prepare(d, {RawImage128(), prior}, PrepareOptions{});
    ASSERT_THAT(out, IsOk());
    EXPECT_EQ(out->tensors[1].spec.dtype, dtype);
    EXPECT_EQ(out->tensors[1].data, values);
    // A raw .bin of the same bytes is the same input.
    prior.bytes.assign(values.begin(), values.end());
    absl::StatusOr<Prepared> bin = Prepare(d, {RawImage128(), prior}, PrepareOptions{});
    ASSERT_THAT(bin, IsOk());
    EXPECT_EQ(bin->tensors[1].data, values);
    // Float data for an integer input is refused, naming what it needs.
    EXPECT_THAT(Prepare(d, {RawImage128(), Feature(std::vector<float>(4096, 1.0f))},
                        PrepareOptions{}),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         absl::StrCat("prior.npy: featuremap input 'prior' needs ", ToString(dtype),
                                      " 1x64x8x8, got float32 1x64x8x8")));
    if (dtype == DType::kBool) {
      values[5] = 2;
      prior.bytes = EncodeNpy(dtype, {1, 64, 8, 8}, values);
      EXPECT_THAT(Prepare(d, {RawImage128(), prior}, PrepareOptions{}),
                  StatusIs(absl::StatusCode::kInvalidArgument,
                           "prior.npy: featuremap input 'prior' is bool, but element 5 holds "
                           "byte 2 (0 or 1 only)"));
    }
  }
}

}  // namespace
}  // namespace hbprep

namespace hbprep {
namespace {

// A consistent model whose only problem is a type hbprep cannot produce is FAILED_PRECONDITION
// (exit 1), not an invalid description; with another error beside it, INVALID_ARGUMENT.
TEST(CompiledModel, ATypeHbprepCannotProduceIsAFailedPrecondition) {
  const std::string u32 =
      "m.txt: input[1] 'prior': tensor type HB_DNN_TENSOR_TYPE_U32 is not one hbprep can "
      "produce for the yaml's featuremap input 'prior' (F32, F16, U8, S8, U16, S16, S32, S64, "
      "BOOL8)";
  Descriptor d = LoadExampleModel("fusion_multi");
  std::vector<std::string> warnings;
  EXPECT_THAT(Attach(&d, kImage + Prior("HB_DNN_TENSOR_TYPE_U32", "", ""), &warnings),
              StatusIs(absl::StatusCode::kFailedPrecondition, u32));
  EXPECT_FALSE(d.compiled);
  // F16 and S64 pass through, but hbprep does not quantise to them.
  EXPECT_THAT(Attach(&d, kImage + Prior("HB_DNN_TENSOR_TYPE_F16", "",
                                          "quanti type: SCALE\nscale data: (0.5)\n"),
                     &warnings),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       "m.txt: input[1] 'prior': quanti type SCALE on a HB_DNN_TENSOR_TYPE_F16 "
                       "input; hbprep quantises to 8, 16 and 32-bit integers only"));
  const std::string wrong_image =
      Block(0, "image", "(1,64,64,3)", "HB_DNN_TENSOR_TYPE_S8", "", 0);
  EXPECT_THAT(Attach(&d, wrong_image + Prior("HB_DNN_TENSOR_TYPE_F64", "", ""), &warnings),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr(
                  "tensor type HB_DNN_TENSOR_TYPE_F64 is not one hbprep can produce")));
}

}  // namespace
}  // namespace hbprep
