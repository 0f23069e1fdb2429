#include "hbprep/plan.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "hbprep/compiled_model.h"
#include "hbprep/identity.h"

namespace hbprep {
namespace {

int64_t AlignUp(int64_t value, int64_t alignment) {
  return (value + alignment - 1) / alignment * alignment;
}

// A featuremap's layout: its input_layout_train (NCHW when not given) for rank 4, none for
// any other rank.
TensorLayout FeaturemapLayout(const InputDescriptor& input) {
  if (input.shape.size() != 4) return TensorLayout::kNone;
  return input.layout_train && *input.layout_train == Layout::kNHWC ? TensorLayout::kNHWC
                                                                     : TensorLayout::kNCHW;
}

class Planner {
 public:
  Planner(const Descriptor& descriptor, Plan& plan) : descriptor_(descriptor), plan_(plan) {}

  void AddFloatInput(const InputDescriptor& input, int index, bool apply_batch);
  void AddBoardInput(const InputDescriptor& input, int index);
  // A float image tensor (AddFloatInput) as OE 1.x's quantized ONNX model takes it: int8, NHWC
  // unless input_layout_rt is NCHW.
  void MakeQuantizedOnnx(TensorSpec* spec);

 private:
  TensorSpec& Add(const InputDescriptor& input, int index, int item, std::string name,
                  AdapterKind adapter, TensorRole role, DType dtype);
  void AddBoardItem(const InputDescriptor& input, int index, int item, const std::string& base,
                    int64_t batch);
  void AddRoi(const InputDescriptor& input, int index, int item, const std::string& base,
              AdapterKind adapter, int64_t batch);

  const Descriptor& descriptor_;
  Plan& plan_;
};

TensorSpec& Planner::Add(const InputDescriptor& input, int index, int item, std::string name,
                         AdapterKind adapter, TensorRole role, DType dtype) {
  TensorSpec& spec = plan_.tensors.emplace_back();
  spec.name = std::move(name);
  spec.input = input.name;
  spec.input_index = index;
  spec.item = item;
  spec.adapter = adapter;
  spec.role = role;
  spec.dtype = dtype;
  return spec;
}

void Planner::AddFloatInput(const InputDescriptor& input, int index, bool apply_batch) {
  const bool image = input.is_image();
  TensorSpec& spec =
      Add(input, index, -1, input.name, image ? AdapterKind::kFloatImage : AdapterKind::kFeaturemap,
          TensorRole::kImage, DType::kFloat32);
  spec.shape = input.shape;
  if (apply_batch && descriptor_.input_batch > 0) spec.shape[0] = descriptor_.input_batch;
  spec.strides = DenseStrides(spec.shape, spec.dtype);
  spec.layout = FeaturemapLayout(input);
}

void Planner::MakeQuantizedOnnx(TensorSpec* spec) {
  const InputDescriptor& input = descriptor_.inputs[spec->input_index];
  const bool train_nchw = input.layout_train == Layout::kNCHW;
  const bool nchw = input.layout_rt == Layout::kNCHW;
  if (train_nchw != nchw) {
    const std::vector<int64_t> s = spec->shape;  // the other of [N, C, H, W] / [N, H, W, C]
    spec->shape = train_nchw ? std::vector<int64_t>{s[0], s[2], s[3], s[1]}
                             : std::vector<int64_t>{s[0], s[3], s[1], s[2]};
  }
  spec->dtype = DType::kInt8;
  spec->strides = DenseStrides(spec->shape, spec->dtype);
  spec->layout = nchw ? TensorLayout::kNCHW : TensorLayout::kNHWC;
}

void Planner::AddBoardInput(const InputDescriptor& input, int index) {
  const int64_t batch = descriptor_.input_batch > 0 ? descriptor_.input_batch : input.shape[0];
  if (!input.separate) {
    AddBoardItem(input, index, -1, input.name, batch);
    return;
  }
  for (int item = 0; item < batch; ++item) {
    AddBoardItem(input, index, item, absl::StrCat(input.name, "_", item), 1);
  }
}

void Planner::AddRoi(const InputDescriptor& input, int index, int item, const std::string& base,
                     AdapterKind adapter, int64_t batch) {
  TensorSpec& roi =
      Add(input, index, item, base + "_roi", adapter, TensorRole::kRoi, DType::kInt32);
  roi.shape = {batch, 4};
  roi.strides = {16, 4};
  roi.layout = TensorLayout::kNone;
}

void Planner::AddBoardItem(const InputDescriptor& input, int index, int item,
                           const std::string& base, int64_t batch) {
  const bool j6 = descriptor_.chip->toolchain == Toolchain::kJ6;

  if (!input.is_image()) {
    TensorSpec& spec = Add(input, index, item, base, AdapterKind::kFeaturemap, TensorRole::kImage,
                           DType::kFloat32);
    spec.shape = input.shape;
    spec.shape[0] = batch;
    spec.layout = FeaturemapLayout(input);
    if (FeaturemapTransposedOnBoard(*descriptor_.chip, input)) {
      const std::vector<int64_t> s = spec.shape;
      const bool to_nhwc = *input.layout_rt == Layout::kNHWC;
      spec.shape = to_nhwc ? std::vector<int64_t>{s[0], s[2], s[3], s[1]}
                           : std::vector<int64_t>{s[0], s[3], s[1], s[2]};
      spec.layout = to_nhwc ? TensorLayout::kNHWC : TensorLayout::kNCHW;
    }
    spec.strides = DenseStrides(spec.shape, spec.dtype);
    return;
  }

  const int64_t h = input.height(), w = input.width();
  if (input.source == InputSource::kDdr) {
    const DType dtype = input.ddr_signed ? DType::kInt8 : DType::kUint8;
    TensorSpec& spec = Add(input, index, item, base, AdapterKind::kDdr, TensorRole::kImage, dtype);
    const bool nchw = input.type_rt == ImageType::kGray ||
                      (!j6 && input.layout_rt && *input.layout_rt == Layout::kNCHW);
    const int64_t c = input.type_rt == ImageType::kGray ? 1 : 3;
    spec.shape = nchw ? std::vector<int64_t>{batch, c, h, w} : std::vector<int64_t>{batch, h, w, c};
    spec.strides = DenseStrides(spec.shape, dtype);
    spec.layout = nchw ? TensorLayout::kNCHW : TensorLayout::kNHWC;
    return;
  }

  const bool resizer = input.source == InputSource::kResizer;
  const AdapterKind adapter = resizer ? AdapterKind::kResizer : AdapterKind::kPyramid;
  const bool gray = input.type_rt == ImageType::kGray;
  // A resizer's planes follow the image: their size is dynamic in the plan.
  const int64_t plane_h = resizer ? -1 : h, plane_w = resizer ? -1 : w;
  if (j6) {
    // Y and UV as separate NHWC u8 tensors, rows aligned (domain brief section 5).
    TensorSpec& y = Add(input, index, item, base + "_y", adapter, TensorRole::kY, DType::kUint8);
    y.layout = TensorLayout::kNHWC;
    SetPlaneGeometry(*descriptor_.chip, batch, plane_h, plane_w, &y);
    if (!gray) {
      TensorSpec& uv =
          Add(input, index, item, base + "_uv", adapter, TensorRole::kUV, DType::kUint8);
      uv.layout = TensorLayout::kNHWC;
      SetPlaneGeometry(*descriptor_.chip, batch, plane_h, plane_w, &uv);
    }
  } else {
    // OE 1.x: one tensor per input, NV12 packed (Y then interleaved UV), width aligned.
    TensorSpec& spec = Add(input, index, item, base, adapter,
                           gray ? TensorRole::kY : TensorRole::kNv12, DType::kUint8);
    spec.layout = gray ? TensorLayout::kNCHW : TensorLayout::kNV12;
    SetPlaneGeometry(*descriptor_.chip, batch, plane_h, plane_w, &spec);
  }
  if (resizer) AddRoi(input, index, item, base, adapter, batch);
}

}  // namespace

absl::string_view ToString(Target target) {
  switch (target) {
    case Target::kBoard:
      return "board";
    case Target::kCalibration:
      return "calibration";
    case Target::kOnnx:
      return "onnx";
    case Target::kOe1FloatOnnx:
      return "oe1_float_onnx";
    case Target::kOe1QuantizedOnnx:
      return "oe1_quantized_onnx";
  }
  return "?";
}

constexpr Target kTargets[] = {Target::kBoard, Target::kCalibration, Target::kOnnx,
                               Target::kOe1FloatOnnx, Target::kOe1QuantizedOnnx};

std::optional<Target> ParseTarget(absl::string_view name) {
  for (Target target : kTargets) {
    if (ToString(target) == name) return target;
  }
  return std::nullopt;
}

std::string TargetNames(absl::string_view separator) {
  return absl::StrJoin(kTargets, separator, [](std::string* out, Target target) {
    absl::StrAppend(out, ToString(target));
  });
}

const DTypeTraits& Traits(DType dtype) {
  static_assert(std::size(kDTypeTraits) == static_cast<size_t>(DType::kInt64) + 1,
                "one row per DType");
  return kDTypeTraits[static_cast<size_t>(dtype)];
}

absl::string_view ToString(DType dtype) { return Traits(dtype).numpy; }

std::optional<DType> ParseDType(absl::string_view name) {
  for (const DTypeTraits& row : kDTypeTraits) {
    if (row.numpy == name) return row.dtype;
  }
  return std::nullopt;
}

int ElementSize(DType dtype) { return Traits(dtype).size; }

absl::string_view ToString(TensorLayout layout) {
  switch (layout) {
    case TensorLayout::kNone:
      return "";
    case TensorLayout::kNHWC:
      return "NHWC";
    case TensorLayout::kNCHW:
      return "NCHW";
    case TensorLayout::kNV12:
      return "NV12";
  }
  return "?";
}

absl::string_view ToString(AdapterKind kind) {
  switch (kind) {
    case AdapterKind::kPyramid:
      return "pyramid";
    case AdapterKind::kResizer:
      return "resizer";
    case AdapterKind::kDdr:
      return "ddr";
    case AdapterKind::kFeaturemap:
      return "featuremap";
    case AdapterKind::kFloatImage:
      return "float_image";
  }
  return "?";
}

std::optional<AdapterKind> ParseAdapterKind(absl::string_view name) {
  for (AdapterKind kind : {AdapterKind::kPyramid, AdapterKind::kResizer, AdapterKind::kDdr,
                           AdapterKind::kFeaturemap, AdapterKind::kFloatImage}) {
    if (ToString(kind) == name) return kind;
  }
  return std::nullopt;
}

std::vector<int64_t> DenseStrides(const std::vector<int64_t>& shape, DType dtype) {
  std::vector<int64_t> strides(shape.size());
  int64_t stride = ElementSize(dtype);
  for (size_t i = shape.size(); i-- > 0;) {
    strides[i] = stride;
    stride = shape[i] < 0 || stride < 0 ? -1 : stride * shape[i];
  }
  return strides;
}

std::vector<int64_t> DenseShape(const TensorSpec& spec) {
  if (spec.layout != TensorLayout::kNV12) return spec.shape;
  const int64_t h = spec.shape[2];
  return {spec.shape[0], h < 0 ? -1 : h * 3 / 2, spec.shape[3]};
}

void SetPlaneGeometry(const ChipInfo& chip, int64_t batch, int64_t height, int64_t width,
                      TensorSpec* spec) {
  const bool dynamic = height < 0 || width < 0;
  if (chip.toolchain == Toolchain::kJ6) {
    const bool uv = spec->role == TensorRole::kUV;
    const int64_t c = uv ? 2 : 1;
    if (dynamic) {
      spec->shape = {batch, -1, -1, c};
      spec->strides = {-1, -1, c, 1};
      return;
    }
    const int64_t rows = uv ? height / 2 : height, cols = uv ? width / 2 : width;
    const int64_t row = AlignUp(cols * c, chip.row_alignment);
    spec->shape = {batch, rows, cols, c};
    spec->strides = {row * rows, row, c, 1};
    return;
  }
  // OE 1.x: [N, C, H, W] with strides [bytes per image, UV plane offset, row, 1].
  const bool gray = spec->role == TensorRole::kY;
  const int64_t c = gray ? 1 : 3;
  if (dynamic) {
    spec->shape = {batch, c, -1, -1};
    spec->strides = {-1, -1, -1, 1};
    return;
  }
  const int64_t row = AlignUp(width, chip.row_alignment), plane = row * height;
  spec->shape = {batch, c, height, width};
  spec->strides = {gray ? plane : plane * 3 / 2, plane, row, 1};
}

bool FeaturemapTransposedOnBoard(const ChipInfo& chip, const InputDescriptor& input) {
  if (chip.toolchain != Toolchain::kOe1 || input.is_image() || input.shape.size() != 4 ||
      !input.layout_rt) {
    return false;
  }
  return *input.layout_rt != input.layout_train.value_or(Layout::kNCHW);
}

absl::Status CheckTarget(const Descriptor& descriptor, Target target) {
  if (target != Target::kOe1FloatOnnx && target != Target::kOe1QuantizedOnnx) {
    return absl::OkStatus();
  }
  if (descriptor.chip->toolchain != Toolchain::kOe1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "target ", ToString(target), " is for OE 1.x (hb_mapper) models; ",
        descriptor.chip->march, " models come from hb_compile, whose *_original_float_model.onnx "
        "and *_ptq_model.onnx take target onnx and whose .bc and .hbm take target board"));
  }
  return absl::OkStatus();
}

Plan ResolvePlan(const Descriptor& descriptor, Target target) {
  Plan plan;
  plan.model = descriptor.name;
  plan.target = target;
  plan.chip = descriptor.chip;
  plan.descriptor_hash = DescriptorHash(descriptor);
  plan.decode = descriptor.decode;
  Planner planner(descriptor, plan);
  for (size_t i = 0; i < descriptor.inputs.size(); ++i) {
    const InputDescriptor& input = descriptor.inputs[i];
    plan.norm_types.push_back(input.norm_type);
    const int index = static_cast<int>(i);
    switch (target) {
      case Target::kCalibration:
        planner.AddFloatInput(input, index, /*apply_batch=*/false);
        break;
      case Target::kOnnx:
      case Target::kOe1FloatOnnx:
        planner.AddFloatInput(input, index, /*apply_batch=*/true);
        break;
      case Target::kOe1QuantizedOnnx:
        planner.AddFloatInput(input, index, /*apply_batch=*/true);
        if (input.is_image()) planner.MakeQuantizedOnnx(&plan.tensors.back());
        break;
      case Target::kBoard:
        planner.AddBoardInput(input, index);
        break;
    }
  }
  if (target == Target::kBoard && descriptor.compiled) {
    ApplyCompiledModel(*descriptor.compiled, &plan);
  }
  return plan;
}

std::string HrtInputStride(const Plan& plan) {
  if (plan.target != Target::kBoard || plan.chip->toolchain != Toolchain::kJ6) return "";
  return absl::StrCat("--input_stride=\"",
                      absl::StrJoin(plan.tensors, ";",
                                    [](std::string* out, const TensorSpec& spec) {
                                      absl::StrAppend(out, absl::StrJoin(spec.strides, ","));
                                    }),
                      "\"");
}

std::string NormTypeText(const Plan& plan) {
  return absl::StrJoin(plan.norm_types, "; ", [](std::string* out, NormType norm) {
    absl::StrAppend(out, ToString(norm));
  });
}

}  // namespace hbprep
