#include "hbprep/plan.h"

#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hbprep/identity.h"
#include "hbprep/npy.h"
#include "tests/testing/status_matchers.h"

namespace hbprep {
namespace {

using ::hbprep::testing::IsOk;

// A tensor as the plan must give it; the expected values are written out by hand from the
// rules in the README ("Tensors per input source"), not computed.
struct Expected {
  std::string name;
  std::string adapter;
  std::string dtype;
  std::vector<int64_t> shape;
  std::vector<int64_t> strides;
  std::string layout;
  int item = -1;
};

struct PlanCase {
  std::string model;  // file stem in deploy/models, or a test name for inline yaml
  std::string yaml;   // empty: load deploy/models/<model>.yaml
  Target target;
  std::vector<Expected> tensors;
  std::string norm_type;
  std::string hrt;  // HrtInputStride()
};

void PrintTo(const PlanCase& c, std::ostream* os) { *os << c.model << " " << ToString(c.target); }

Plan Resolve(const PlanCase& c) {
  absl::StatusOr<Descriptor> descriptor =
      c.yaml.empty()
          ? LoadDescriptorFile(absl::StrCat(HBPREP_SOURCE_DIR, "/deploy/models/", c.model, ".yaml"),
                               nullptr)
          : ParseDescriptor(c.yaml, c.model, {}, nullptr);
  EXPECT_THAT(descriptor, IsOk());
  if (!descriptor.ok()) return {};
  return ResolvePlan(*descriptor, c.target);
}

class PlanTable : public ::testing::TestWithParam<PlanCase> {};

TEST_P(PlanTable, GivesExactNamesShapesAndStrides) {
  const PlanCase& c = GetParam();
  const Plan plan = Resolve(c);
  ASSERT_EQ(plan.tensors.size(), c.tensors.size());
  for (size_t i = 0; i < c.tensors.size(); ++i) {
    const TensorSpec& got = plan.tensors[i];
    const Expected& want = c.tensors[i];
    SCOPED_TRACE(want.name);
    EXPECT_EQ(got.name, want.name);
    EXPECT_EQ(ToString(got.adapter), want.adapter);
    EXPECT_EQ(ToString(got.dtype), want.dtype);
    EXPECT_EQ(got.shape, want.shape);
    EXPECT_EQ(got.strides, want.strides);
    EXPECT_EQ(ToString(got.layout), want.layout);
    EXPECT_EQ(got.item, want.item);
  }
  EXPECT_EQ(NormTypeText(plan), c.norm_type);
  EXPECT_EQ(HrtInputStride(plan), c.hrt);
  EXPECT_EQ(plan.model, c.model);
  EXPECT_EQ(plan.target, c.target);
}

std::string J6Yaml(const std::string& march, const std::string& inputs,
                   const std::string& rest = "") {
  return "model_parameters:\n  march: " + march + "\ninput_parameters:\n" + inputs + rest;
}

std::vector<Expected> BatchSplitTensors() {
  std::vector<Expected> tensors;
  for (int k = 0; k < 8; ++k) {
    // nash-p aligns rows to 64 bytes: 224 -> 256.
    tensors.push_back({absl::StrCat("data_", k, "_y"),
                       "pyramid",
                       "uint8",
                       {1, 224, 224, 1},
                       {57344, 256, 1, 1},
                       "NHWC",
                       k});
    tensors.push_back({absl::StrCat("data_", k, "_uv"),
                       "pyramid",
                       "uint8",
                       {1, 112, 112, 2},
                       {28672, 256, 2, 1},
                       "NHWC",
                       k});
  }
  return tensors;
}

std::string BatchSplitStride() {
  std::string out = "--input_stride=\"";
  for (int k = 0; k < 8; ++k) {
    absl::StrAppend(&out, k ? ";" : "", "57344,256,1,1;28672,256,2,1");
  }
  return out + "\"";
}

const PlanCase kPlanCases[] = {
    // --- The example repository, every model and target. ---
    {"cls_pyramid",
     "",
     Target::kBoard,
     {{"images_y", "pyramid", "uint8", {1, 224, 224, 1}, {50176, 224, 1, 1}, "NHWC"},
      {"images_uv", "pyramid", "uint8", {1, 112, 112, 2}, {25088, 224, 2, 1}, "NHWC"}},
     "data_mean_and_std",
     "--input_stride=\"50176,224,1,1;25088,224,2,1\""},
    {"cls_pyramid",
     "",
     Target::kCalibration,
     {{"images", "float_image", "float32", {1, 3, 224, 224}, {602112, 200704, 896, 4}, "NCHW"}},
     "data_mean_and_std",
     ""},
    {"cls_pyramid",
     "",
     Target::kOnnx,
     {{"images", "float_image", "float32", {1, 3, 224, 224}, {602112, 200704, 896, 4}, "NCHW"}},
     "data_mean_and_std",
     ""},
    {"det_resizer",
     "",
     Target::kBoard,
     {{"data_y", "resizer", "uint8", {1, -1, -1, 1}, {-1, -1, 1, 1}, "NHWC"},
      {"data_uv", "resizer", "uint8", {1, -1, -1, 2}, {-1, -1, 2, 1}, "NHWC"},
      {"data_roi", "resizer", "int32", {1, 4}, {16, 4}, ""}},
     "data_scale",
     "--input_stride=\"-1,-1,1,1;-1,-1,2,1;16,4\""},
    {"det_resizer",
     "",
     Target::kCalibration,
     {{"data", "float_image", "float32", {1, 3, 384, 640}, {2949120, 983040, 2560, 4}, "NCHW"}},
     "data_scale",
     ""},
    {"cls_batch8", "", Target::kBoard, BatchSplitTensors(), "data_mean_and_scale",
     BatchSplitStride()},
    // Calibration follows input_shape, never input_batch; onnx applies input_batch.
    {"cls_batch8",
     "",
     Target::kCalibration,
     {{"data", "float_image", "float32", {1, 3, 224, 224}, {602112, 200704, 896, 4}, "NCHW"}},
     "data_mean_and_scale",
     ""},
    {"cls_batch8",
     "",
     Target::kOnnx,
     {{"data", "float_image", "float32", {8, 3, 224, 224}, {602112, 200704, 896, 4}, "NCHW"}},
     "data_mean_and_scale",
     ""},
    {"fusion_multi",
     "",
     Target::kBoard,
     {{"image", "ddr", "int8", {1, 128, 128, 3}, {49152, 384, 3, 1}, "NHWC"},
      {"prior", "featuremap", "float32", {1, 64, 8, 8}, {16384, 256, 32, 4}, "NCHW"}},
     "data_mean_and_scale; no_preprocess",
     "--input_stride=\"49152,384,3,1;16384,256,32,4\""},
    {"fusion_multi",
     "",
     Target::kCalibration,
     {{"image", "float_image", "float32", {1, 3, 128, 128}, {196608, 65536, 512, 4}, "NCHW"},
      {"prior", "featuremap", "float32", {1, 64, 8, 8}, {16384, 256, 32, 4}, "NCHW"}},
     "data_mean_and_scale; no_preprocess",
     ""},
    // OE 1.x: one packed NV12 tensor, width aligned to 16 (300 -> 304); strides are
    // [bytes per image, UV plane offset, row stride, 1]. No --input_stride on OE 1.x.
    {"x5_ssd",
     "",
     Target::kBoard,
     {{"data", "pyramid", "uint8", {1, 3, 300, 300}, {136800, 91200, 304, 1}, "NV12"}},
     "data_mean_and_scale",
     ""},
    {"x5_ssd",
     "",
     Target::kCalibration,
     {{"data", "float_image", "float32", {1, 3, 300, 300}, {1080000, 360000, 1200, 4}, "NCHW"}},
     "data_mean_and_scale",
     ""},

    // --- Rules beyond the examples. ---
    // The domain brief's worked example: 220x220 on J6 pads rows to 224.
    {"j6_220",
     J6Yaml("nash-e",
            "  input_name: input\n  input_type_train: rgb\n  input_layout_train: NCHW\n"
            "  input_type_rt: nv12\n  input_shape: 1x3x220x220\n"),
     Target::kBoard,
     {{"input_y", "pyramid", "uint8", {1, 220, 220, 1}, {49280, 224, 1, 1}, "NHWC"},
      {"input_uv", "pyramid", "uint8", {1, 110, 110, 2}, {24640, 224, 2, 1}, "NHWC"}},
     "no_preprocess",
     "--input_stride=\"49280,224,1,1;24640,224,2,1\""},
    {"nash_p_gray",
     J6Yaml("nash-p",
            "  input_name: g\n  input_type_train: gray\n  input_layout_train: NHWC\n"
            "  input_type_rt: gray\n  input_shape: 1x100x100x1\n"),
     Target::kBoard,
     {{"g_y", "pyramid", "uint8", {1, 100, 100, 1}, {12800, 128, 1, 1}, "NHWC"}},
     "no_preprocess",
     "--input_stride=\"12800,128,1,1\""},
    {"ddr_gray_and_yuv",
     J6Yaml("nash-m",
            "  input_name: 'g; c'\n"
            "  input_type_train: 'gray; rgb'\n"
            "  input_layout_train: 'NCHW; NHWC'\n"
            "  input_type_rt: 'gray; yuv444'\n"
            "  input_shape: '1x1x10x12; 1x10x12x3'\n",
            "compiler_parameters:\n  input_source: {g: ddr}\n"
            "hbprep:\n  inputs:\n    c: {ddr_dtype: uint8}\n"),
     Target::kBoard,
     {{"g", "ddr", "uint8", {1, 1, 10, 12}, {120, 120, 12, 1}, "NCHW"},
      {"c", "ddr", "uint8", {1, 10, 12, 3}, {360, 36, 3, 1}, "NHWC"}},
     "no_preprocess; no_preprocess",
     "--input_stride=\"120,120,12,1;360,36,3,1\""},
    {"resizer_split",
     J6Yaml("nash-e",
            "  input_name: cam\n  input_type_train: bgr\n"
            "  input_layout_train: NHWC\n  input_type_rt: nv12\n"
            "  input_shape: 1x64x64x3\n  input_batch: 2\n  separate_name: cam\n",
            "compiler_parameters:\n  input_source: {cam: resizer}\n"),
     Target::kBoard,
     {{"cam_0_y", "resizer", "uint8", {1, -1, -1, 1}, {-1, -1, 1, 1}, "NHWC", 0},
      {"cam_0_uv", "resizer", "uint8", {1, -1, -1, 2}, {-1, -1, 2, 1}, "NHWC", 0},
      {"cam_0_roi", "resizer", "int32", {1, 4}, {16, 4}, "", 0},
      {"cam_1_y", "resizer", "uint8", {1, -1, -1, 1}, {-1, -1, 1, 1}, "NHWC", 1},
      {"cam_1_uv", "resizer", "uint8", {1, -1, -1, 2}, {-1, -1, 2, 1}, "NHWC", 1},
      {"cam_1_roi", "resizer", "int32", {1, 4}, {16, 4}, "", 1}},
     "no_preprocess",
     "--input_stride=\"-1,-1,1,1;-1,-1,2,1;16,4;-1,-1,1,1;-1,-1,2,1;16,4\""},
    // A multi-batch model (first dim 4) without a split keeps its batch in one tensor.
    {"batch4_unsplit",
     J6Yaml("nash-e",
            "  input_name: x\n  input_type_train: rgb\n"
            "  input_layout_train: NCHW\n  input_type_rt: nv12\n"
            "  input_shape: 4x3x32x32\n"),
     Target::kBoard,
     {{"x_y", "pyramid", "uint8", {4, 32, 32, 1}, {1024, 32, 1, 1}, "NHWC"},
      {"x_uv", "pyramid", "uint8", {4, 16, 16, 2}, {512, 32, 2, 1}, "NHWC"}},
     "no_preprocess",
     "--input_stride=\"1024,32,1,1;512,32,2,1\""},
    {"featuremap_split",
     J6Yaml("nash-e",
            "  input_name: f\n  input_type_train: featuremap\n"
            "  input_type_rt: featuremap\n  input_shape: 1x16\n"
            "  input_batch: 3\n  separate_batch: True\n"),
     Target::kBoard,
     {{"f_0", "featuremap", "float32", {1, 16}, {64, 4}, "", 0},
      {"f_1", "featuremap", "float32", {1, 16}, {64, 4}, "", 1},
      {"f_2", "featuremap", "float32", {1, 16}, {64, 4}, "", 2}},
     "no_preprocess",
     "--input_stride=\"64,4;64,4;64,4\""},
    // OE 1.x ddr: int8 (pixel - 128) by default, layout from input_layout_rt.
    {"oe1_ddr",
     J6Yaml("bayes",
            "  input_name: 'a; g'\n  input_type_train: 'rgb; gray'\n"
            "  input_layout_train: 'NCHW; NCHW'\n  input_type_rt: 'bgr; gray'\n"
            "  input_layout_rt: 'NCHW; NCHW'\n  input_shape: '1x3x4x6; 1x1x4x6'\n",
            "compiler_parameters:\n  input_source: {g: ddr}\n"),
     Target::kBoard,
     {{"a", "ddr", "int8", {1, 3, 4, 6}, {72, 24, 6, 1}, "NCHW"},
      {"g", "ddr", "int8", {1, 1, 4, 6}, {24, 24, 6, 1}, "NCHW"}},
     "no_preprocess; no_preprocess",
     ""},
    {"oe1_resizer_gray",
     J6Yaml("bernoulli2",
            "  input_name: 'r; g'\n  input_type_train: 'rgb; gray'\n"
            "  input_layout_train: 'NCHW; NCHW'\n"
            "  input_type_rt: 'nv12; gray'\n"
            "  input_shape: '1x3x64x64; 1x1x20x20'\n",
            "compiler_parameters:\n  input_source: {r: resizer}\n"),
     Target::kBoard,
     {{"r", "resizer", "uint8", {1, 3, -1, -1}, {-1, -1, -1, 1}, "NV12"},
      {"r_roi", "resizer", "int32", {1, 4}, {16, 4}, ""},
      {"g", "pyramid", "uint8", {1, 1, 20, 20}, {640, 640, 32, 1}, "NCHW"}},
     "no_preprocess; no_preprocess",
     ""},
};

INSTANTIATE_TEST_SUITE_P(All, PlanTable, ::testing::ValuesIn(kPlanCases),
                         [](const ::testing::TestParamInfo<PlanCase>& param) {
                           return absl::StrCat(param.param.model, "_",
                                               ToString(param.param.target));
                         });

TEST(Plan, CarriesTheDescriptorHash) {
  absl::StatusOr<Descriptor> d =
      LoadDescriptorFile(HBPREP_SOURCE_DIR "/deploy/models/cls_pyramid.yaml", nullptr);
  ASSERT_THAT(d, IsOk());
  EXPECT_EQ(ResolvePlan(*d, Target::kBoard).descriptor_hash, DescriptorHash(*d));
  EXPECT_EQ(ResolvePlan(*d, Target::kOnnx).descriptor_hash, DescriptorHash(*d));
}

TEST(Target, ParsesItsNames) {
  EXPECT_EQ(ParseTarget("board"), Target::kBoard);
  EXPECT_EQ(ParseTarget("calibration"), Target::kCalibration);
  EXPECT_EQ(ParseTarget("onnx"), Target::kOnnx);
  EXPECT_EQ(ParseTarget("Board"), std::nullopt);
}

}  // namespace
}  // namespace hbprep

namespace hbprep {
namespace {

// The dtype table is the one place each layer's name for a dtype comes from: every row is
// its own DType, names are unique, and each name reads back as its dtype.
TEST(DTypeTraits, OneRowPerDTypeWhoseNamesReadBack) {
  std::set<std::string> numpy, descr, oip;
  for (size_t i = 0; i < std::size(kDTypeTraits); ++i) {
    const DTypeTraits& row = kDTypeTraits[i];
    EXPECT_EQ(static_cast<size_t>(row.dtype), i);
    EXPECT_EQ(&Traits(row.dtype), &row);
    EXPECT_EQ(ParseDType(row.numpy), row.dtype);
    EXPECT_EQ(ElementSize(row.dtype), row.size);
    numpy.insert(std::string(row.numpy));
    descr.insert(std::string(row.npy_descr));
    oip.insert(std::string(row.oip));
    // A one-element .npy of the dtype decodes as it.
    const std::vector<uint8_t> zero(row.size, 0);
    const absl::StatusOr<NpyArray> array = DecodeNpy(EncodeNpy(row.dtype, {1}, zero), "x.npy");
    ASSERT_TRUE(array.ok()) << row.numpy << ": " << array.status();
    EXPECT_EQ(array->dtype, row.dtype) << row.numpy;
  }
  EXPECT_EQ(numpy.size(), std::size(kDTypeTraits));
  EXPECT_EQ(descr.size(), std::size(kDTypeTraits));
  EXPECT_EQ(oip.size(), std::size(kDTypeTraits));
}

}  // namespace
}  // namespace hbprep
