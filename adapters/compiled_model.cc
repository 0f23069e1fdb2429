#include "hbprep/compiled_model.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "adapters/size_math.h"
#include "hbprep/status_macros.h"

namespace hbprep {
namespace {

// The numeric tensor types hbprep can produce, by their runtime names.
std::optional<DType> NumericType(absl::string_view type) {
  static const std::pair<absl::string_view, DType> kTypes[] = {
      {"HB_DNN_TENSOR_TYPE_U8", DType::kUint8},   {"HB_DNN_TENSOR_TYPE_S8", DType::kInt8},
      {"HB_DNN_TENSOR_TYPE_U16", DType::kUint16}, {"HB_DNN_TENSOR_TYPE_S16", DType::kInt16},
      {"HB_DNN_TENSOR_TYPE_S32", DType::kInt32},  {"HB_DNN_TENSOR_TYPE_F32", DType::kFloat32},
      {"HB_DNN_TENSOR_TYPE_BOOL8", DType::kBool}, {"HB_DNN_TENSOR_TYPE_F16", DType::kFloat16},
      {"HB_DNN_TENSOR_TYPE_S64", DType::kInt64},
  };
  for (const auto& [name, dtype] : kTypes) {
    if (type == name) return dtype;
  }
  return std::nullopt;
}

bool IsImage(absl::string_view type, absl::string_view which) {
  return absl::StartsWith(type, "HB_DNN_IMG_TYPE_") && type.substr(16) == which;
}

std::string Tuple(const std::vector<int64_t>& values) {
  return absl::StrCat("(", absl::StrJoin(values, ","), ")");
}

bool SameShape(const std::vector<int64_t>& a, const std::vector<int64_t>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i] && a[i] >= 0 && b[i] >= 0) return false;
  }
  return true;
}

// The runtime's image type a ddr input of `type_rt` reports on OE 1.x.
absl::string_view ImageTypeName(ImageType type_rt) {
  switch (type_rt) {
    case ImageType::kRgb:
      return "RGB";
    case ImageType::kBgr:
      return "BGR";
    case ImageType::kYuv444:
      return "YUV444";
    case ImageType::kGray:
      return "Y";
    default:
      return "NV12";
  }
}

class Checker {
 public:
  Checker(const Descriptor& descriptor, const ModelInfoModel& model, absl::string_view source)
      : descriptor_(descriptor), model_(model), source_(source) {}

  // The compiled model's decisions, or the errors in `errors()`.
  CompiledModel Run(std::vector<std::string>* warnings);
  const std::vector<std::string>& errors() const { return errors_; }
  // How many of the errors are types hbprep cannot produce (the model is consistent).
  size_t unsupported() const { return unsupported_; }
  // Per descriptor input, the signedness of a ddr image the compiled model decided.
  const std::map<int, bool>& ddr_signed() const { return ddr_signed_; }

 private:
  void Check(const TensorSpec& spec, const ModelInfoInput& in, CompiledTensor* out);
  void CheckTensor(const TensorSpec& spec, const ModelInfoInput& in, CompiledTensor* out);
  void CheckImageQuantisation(const std::string& label, const ModelInfoInput& in);
  std::optional<Quantization> FeatureQuantisation(const std::string& label,
                                                  const ModelInfoInput& in);
  void CheckStrides(const std::string& label, const TensorSpec& spec, const ModelInfoInput& in,
                    CompiledTensor* out);
  std::string Needs(const TensorSpec& spec) const {
    return absl::StrCat("the yaml's ", ToString(spec.adapter), " input '", spec.input, "'");
  }
  void Error(std::string message) { errors_.push_back(absl::StrCat(source_, ": ", message)); }
  void Unsupported(std::string message) {
    Error(std::move(message));
    ++unsupported_;
  }
  void Warn(std::string message) { warnings_.push_back(absl::StrCat(source_, ": ", message)); }

  const Descriptor& descriptor_;
  const ModelInfoModel& model_;
  std::string source_;
  std::vector<std::string> errors_, warnings_;
  std::map<int, bool> ddr_signed_;
  size_t unsupported_ = 0;
};

void Checker::CheckImageQuantisation(const std::string& label, const ModelInfoInput& in) {
  // Image inputs carry pixel values; an identity quantisation (SHIFT 0, SCALE 1) is common.
  bool identity = true;
  for (int32_t shift : in.shift) identity = identity && shift == 0;
  for (float scale : in.scale) identity = identity && scale == 1.0f;
  for (int32_t zero : in.zero_point) identity = identity && zero == 0;
  if (in.quanti != QuantiType::kNone && !identity) {
    Error(absl::StrCat(label, ": quanti type ", ToString(in.quanti),
                       " with non-identity values on an image input; hbprep prepares image "
                       "inputs as pixel values and does not quantise them"));
  }
}

std::optional<Quantization> Checker::FeatureQuantisation(const std::string& label,
                                                         const ModelInfoInput& in) {
  Quantization q;
  if (in.quanti == QuantiType::kShift) {
    for (int32_t shift : in.shift) q.scale.push_back(std::ldexp(1.0f, -shift));  // exact
  } else {
    q.scale = in.scale;
  }
  const size_t count = q.scale.size();
  if (in.zero_point.size() == count) {
    q.zero_point = in.zero_point;
  } else {
    q.zero_point.assign(count, in.zero_point.empty() ? 0 : in.zero_point[0]);
  }
  if (count == 1) return q;  // per tensor
  const auto& shape = in.valid_shape;
  if (in.quantize_axis >= 0) {
    q.axis = in.quantize_axis;
  } else {
    // Not printed: the one dimension as long as the scale list.
    std::vector<int> candidates;
    for (size_t i = 0; i < shape.size(); ++i) {
      if (shape[i] == static_cast<int64_t>(count)) candidates.push_back(static_cast<int>(i));
    }
    if (candidates.size() != 1) {
      Error(absl::StrCat(label, ": ", count, " scales, no quantize axis, and ", candidates.size(),
                         " dimensions of valid shape ", Tuple(shape), " of that length; add a "
                         "'quantize axis: N' line"));
      return std::nullopt;
    }
    q.axis = candidates[0];
  }
  if (q.axis >= static_cast<int>(shape.size()) ||
      (shape[q.axis] >= 0 && shape[q.axis] != static_cast<int64_t>(count))) {
    Error(absl::StrCat(label, ": ", count, " scales along axis ", q.axis, " of valid shape ",
                       Tuple(shape)));
    return std::nullopt;
  }
  return q;
}

void Checker::CheckStrides(const std::string& label, const TensorSpec& spec,
                           const ModelInfoInput& in, CompiledTensor* out) {
  // The strides the plan would use for the compiled model's dtype.
  std::vector<int64_t> planned = spec.strides;
  if (out->dtype != spec.dtype) {
    planned = DenseStrides(spec.shape, out->dtype);
    out->strides = planned;
  }
  // OE 1.x packed NV12 reports zeros, and hbprep's strides for it mean something else.
  if (in.stride.empty() || spec.role == TensorRole::kNv12) return;
  const std::vector<int64_t>& given = in.stride;
  const bool fixed = std::all_of(given.begin(), given.end(), [](int64_t s) { return s > 0; });
  if (!fixed) {
    // -1 (dynamic) and 0 (NV12/Y on J6: "aligned by the rules") leave the plan's strides;
    // the entries it does fix must agree.
    for (size_t i = 0; i < given.size(); ++i) {
      if (given[i] > 0 && planned[i] > 0 && given[i] != planned[i]) {
        Error(absl::StrCat(label, ": stride ", Tuple(given), " disagrees with the plan's ",
                           Tuple(planned), " for ", Needs(spec)));
        return;
      }
    }
    return;
  }
  const int64_t element = ElementSize(out->dtype);
  const auto& shape = spec.shape;
  if (given.back() != element) {
    Error(absl::StrCat(label, ": stride ", Tuple(given), " ends in ", given.back(), ", not the ",
                       element, "-byte element size of ", ToString(out->dtype)));
    return;
  }
  for (size_t i = 0; i + 1 < given.size(); ++i) {
    if (shape[i + 1] > 0 && given[i] < SizeMul(given[i + 1], shape[i + 1])) {
      Error(absl::StrCat(label, ": stride ", Tuple(given), " is smaller than the data: ",
                         "dimension ", i, " steps ", given[i], " bytes over ", shape[i + 1],
                         " x ", given[i + 1]));
      return;
    }
  }
  const ChipInfo& chip = *descriptor_.chip;
  if ((spec.role == TensorRole::kY || spec.role == TensorRole::kUV) &&
      chip.toolchain == Toolchain::kJ6 && given[1] % chip.row_alignment != 0) {
    Error(absl::StrCat(label, ": row stride ", given[1], " breaks ", chip.march, "'s ",
                       chip.row_alignment, "-byte row alignment of Y/UV planes (stride ",
                       Tuple(given), ")"));
    return;
  }
  if (given != planned) {
    Warn(absl::StrCat(label, ": stride ", Tuple(given), " differs from the plan's ",
                      Tuple(planned), "; hbprep uses the compiled model's"));
  }
  out->strides = given;
}

void Checker::Check(const TensorSpec& spec, const ModelInfoInput& in, CompiledTensor* out) {
  const size_t errors_before = errors_.size();
  CheckTensor(spec, in, out);
  // The layout must fit what the runtime allocates for the input (OE 1.x packed NV12 is laid
  // out by the runtime, whatever hbprep's row alignment).
  if (errors_.size() != errors_before || in.aligned_byte_size <= 0 ||
      spec.role == TensorRole::kNv12) {
    return;
  }
  const std::vector<int64_t>& strides = out->strides.empty() ? spec.strides : out->strides;
  if (spec.shape.empty() || spec.shape[0] < 0 || strides[0] < 0) return;
  const int64_t needed = SizeMul(strides[0], spec.shape[0]);
  if (needed > in.aligned_byte_size) {
    Error(absl::StrCat("input[", in.index, "] '", in.name, "': the plan lays it out in ", needed,
                       " bytes (strides ", Tuple(strides), ") but the compiled model's aligned "
                       "byte size is ", in.aligned_byte_size, "; is march '",
                       descriptor_.chip->march, "' the one the model was compiled for?"));
  }
}

void Checker::CheckTensor(const TensorSpec& spec, const ModelInfoInput& in,
                          CompiledTensor* out) {
  const std::string label = absl::StrCat("input[", in.index, "] '", in.name, "'");
  const InputDescriptor& input = descriptor_.inputs[spec.input_index];
  const bool j6 = descriptor_.chip->toolchain == Toolchain::kJ6;
  const std::string& type = in.tensor_type;
  out->name = spec.name;
  out->dtype = spec.dtype;
  if (!SameShape(in.valid_shape, spec.shape)) {
    Error(absl::StrCat(label, ": valid shape ", Tuple(in.valid_shape), " but ", Needs(spec),
                       " makes it ", Tuple(spec.shape)));
    return;
  }
  auto wrong_type = [&](absl::string_view what) {
    Error(absl::StrCat(label, ": tensor type ", type, " cannot hold ", what, " of ", Needs(spec)));
  };
  switch (spec.role) {
    case TensorRole::kY:
      if (j6 ? !(type == "HB_DNN_TENSOR_TYPE_U8" || IsImage(type, "Y") || IsImage(type, "NV12") ||
                 IsImage(type, "NV12_SEPARATE"))
             : !IsImage(type, "Y")) {
        return wrong_type("the Y plane");
      }
      return CheckStrides(label, spec, in, out);
    case TensorRole::kUV:
      if (!(type == "HB_DNN_TENSOR_TYPE_U8" || IsImage(type, "NV12") ||
            IsImage(type, "NV12_SEPARATE"))) {
        return wrong_type("the UV plane");
      }
      return CheckStrides(label, spec, in, out);
    case TensorRole::kNv12:
      if (!IsImage(type, "NV12") && !IsImage(type, "NV12_SEPARATE")) return wrong_type("NV12");
      return;
    case TensorRole::kRoi:
      if (type != "HB_DNN_TENSOR_TYPE_S32") return wrong_type("the int32 ROI");
      return CheckStrides(label, spec, in, out);
    case TensorRole::kImage:
      break;
  }
  if (spec.adapter == AdapterKind::kDdr) {
    CheckImageQuantisation(label, in);
    if (std::optional<DType> numeric = NumericType(type)) {
      if (*numeric != DType::kUint8 && *numeric != DType::kInt8) {
        return wrong_type("the 8-bit pixels");
      }
      if (*numeric != spec.dtype) {
        Warn(absl::StrCat(label, ": the compiled model takes ", ToString(*numeric), " (", type,
                          ") where the yaml implies ", ToString(spec.dtype),
                          "; hbprep follows the compiled model",
                          *numeric == DType::kInt8 ? " (pixel - 128)" : " (pixel values)"));
        out->dtype = *numeric;
        ddr_signed_[spec.input_index] = *numeric == DType::kInt8;
      }
    } else if (absl::StartsWith(type, "HB_DNN_IMG_TYPE_")) {
      const absl::string_view wanted = ImageTypeName(input.type_rt);
      if (!IsImage(type, wanted)) {
        Error(absl::StrCat(label, ": tensor type ", type, " but input_type_rt of '", input.name,
                           "' is ", ToString(input.type_rt), " (HB_DNN_IMG_TYPE_", wanted,
                           "): the model would see the wrong channels"));
        return;
      }
    } else {
      return wrong_type("the 8-bit pixels");
    }
    if (!in.layout.empty() && spec.layout != TensorLayout::kNone) {
      const std::string wanted = absl::StrCat("HB_DNN_LAYOUT_", ToString(spec.layout));
      if (in.layout != wanted) {
        Error(absl::StrCat(label, ": tensor layout ", in.layout, " but ", Needs(spec), " is ",
                           ToString(spec.layout)));
        return;
      }
    }
    return CheckStrides(label, spec, in, out);
  }
  // Featuremaps: float32 as given, or quantised to the compiled model's integers.
  const std::optional<DType> numeric = NumericType(type);
  if (!numeric) {
    Unsupported(absl::StrCat(label, ": tensor type ", type, " is not one hbprep can produce for ",
                             Needs(spec), " (F32, F16, U8, S8, U16, S16, S32, S64, BOOL8)"));
    return;
  }
  if (*numeric == DType::kFloat32) {
    if (in.quanti != QuantiType::kNone) {
      Warn(absl::StrCat(label, ": quanti type ", ToString(in.quanti),
                        " on a float32 input is ignored; the data stays float32"));
    }
  } else if (in.quanti == QuantiType::kNone) {
    // Integers the model takes as they are (coordinates, token ids, masks): files of that type
    // pass through unchanged.
    out->dtype = *numeric;
  } else if (*numeric == DType::kBool) {
    Error(absl::StrCat(label, ": quanti type ", ToString(in.quanti),
                       " on a BOOL8 input; a mask takes no quantisation"));
    return;
  } else if (*numeric == DType::kFloat16 || *numeric == DType::kInt64) {
    Unsupported(absl::StrCat(label, ": quanti type ", ToString(in.quanti), " on a ", type,
                             " input; hbprep quantises to 8, 16 and 32-bit integers only"));
    return;
  } else {
    std::optional<Quantization> q = FeatureQuantisation(label, in);
    if (!q) return;
    out->dtype = *numeric;
    out->quantization = std::move(q);
  }
  CheckStrides(label, spec, in, out);
}

CompiledModel Checker::Run(std::vector<std::string>* warnings) {
  CompiledModel compiled;
  compiled.source = source_;
  compiled.name = model_.name;
  compiled.form = model_.form;
  const bool oe1 = descriptor_.chip->toolchain == Toolchain::kOe1;
  Descriptor plain = descriptor_;
  plain.compiled = nullptr;
  const Plan plan = ResolvePlan(plain, Target::kBoard);

  std::map<std::string, const ModelInfoInput*> by_name;
  for (const ModelInfoInput& in : model_.inputs) by_name[in.name] = &in;
  std::vector<std::string> plan_names, model_names;
  for (const ModelInfoInput& in : model_.inputs) model_names.push_back(in.name);

  // Matched tensors by the compiled model's index; OE 1.x ROIs follow their image.
  std::map<int, std::vector<CompiledTensor>> ordered;
  std::vector<std::string> matched_order;  // plan order of the matched names
  int last_index = -1;
  std::map<std::string, bool> used;
  for (const TensorSpec& spec : plan.tensors) {
    if (oe1 && spec.role == TensorRole::kRoi) {
      CompiledTensor roi;
      roi.name = spec.name;
      roi.dtype = spec.dtype;
      ordered[last_index].push_back(std::move(roi));
      continue;
    }
    plan_names.push_back(spec.name);
    auto it = by_name.find(spec.name);
    if (it == by_name.end()) {
      Error(absl::StrCat("the compiled model has no input '", spec.name, "', which ", Needs(spec),
                         " needs (compiled inputs: ", absl::StrJoin(model_names, ", "), ")"));
      continue;
    }
    used[spec.name] = true;
    matched_order.push_back(spec.name);
    CompiledTensor tensor;
    Check(spec, *it->second, &tensor);
    last_index = it->second->index;
    ordered[last_index].insert(ordered[last_index].begin(), std::move(tensor));
  }
  for (const ModelInfoInput& in : model_.inputs) {
    if (!used.count(in.name)) {
      Error(absl::StrCat("input[", in.index, "] '", in.name, "' of the compiled model is not in ",
                         "the yaml's board plan (", absl::StrJoin(plan_names, ", "), ")"));
    }
  }
  if (!errors_.empty() && (model_.form == ModelInfoForm::kOe1) != oe1) {
    errors_.insert(errors_.begin(),
                   absl::StrCat(source_, ": this is the ", ToString(model_.form),
                                " form of model info, but march '", descriptor_.chip->march,
                                "' is ", oe1 ? "an OE 1.x" : "a J6", " chip"));
  }
  for (auto& [index, tensors] : ordered) {
    for (CompiledTensor& tensor : tensors) compiled.tensors.push_back(std::move(tensor));
  }
  std::vector<std::string> compiled_order;
  for (const ModelInfoInput& in : model_.inputs) {
    if (used.count(in.name)) compiled_order.push_back(in.name);
  }
  if (compiled_order != matched_order) {
    Warn(absl::StrCat("the compiled model orders its inputs ", absl::StrJoin(compiled_order, ", "),
                      "; the yaml implies ", absl::StrJoin(matched_order, ", "),
                      "; hbprep follows the compiled model"));
  }
  warnings->insert(warnings->end(), warnings_.begin(), warnings_.end());
  return compiled;
}

}  // namespace

absl::Status AttachModelInfo(const std::vector<ModelInfoModel>& models, absl::string_view source,
                             Descriptor* descriptor, std::vector<std::string>* warnings) {
  const ModelInfoModel* model = nullptr;
  if (models.size() == 1) {
    model = &models[0];
  } else {
    std::vector<std::string> names;
    for (const ModelInfoModel& candidate : models) {
      names.push_back(candidate.name);
      if (candidate.name == descriptor->name) model = &candidate;
    }
    if (model == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          source, ": describes models ", absl::StrJoin(names, ", "), " and none is named '",
          descriptor->name, "'; keep only this model's part, or name the yaml after it"));
    }
  }
  std::vector<std::string> found;
  Checker checker(*descriptor, *model, source);
  CompiledModel compiled = checker.Run(&found);
  if (!checker.errors().empty()) {
    // A consistent model whose only problem is a type hbprep cannot produce is not the user's
    // mistake: FAILED_PRECONDITION (exit 1), not an invalid description.
    const std::string message = absl::StrJoin(checker.errors(), "\n");
    return checker.unsupported() == checker.errors().size()
               ? absl::FailedPreconditionError(message)
               : absl::InvalidArgumentError(message);
  }
  // A ddr image's signedness is the compiled model's: the engine writes what the plan says.
  for (const auto& [index, is_signed] : checker.ddr_signed()) {
    descriptor->inputs[index].ddr_signed = is_signed;
  }
  descriptor->compiled = std::make_shared<const CompiledModel>(std::move(compiled));
  warnings->insert(warnings->end(), found.begin(), found.end());
  return absl::OkStatus();
}

absl::StatusOr<Descriptor> LoadModel(const std::string& yaml_path,
                                     const std::string& model_info_path,
                                     std::vector<std::string>* warnings) {
  HBPREP_ASSIGN_OR_RETURN(Descriptor descriptor, LoadDescriptorFile(yaml_path, warnings));
  const std::string path = FindModelInfo(yaml_path, model_info_path);
  if (!path.empty()) HBPREP_RETURN_IF_ERROR(AttachModelInfoFile(path, &descriptor, warnings));
  return descriptor;
}

absl::Status AttachModelInfoFile(const std::string& path, Descriptor* descriptor,
                                 std::vector<std::string>* warnings) {
  HBPREP_ASSIGN_OR_RETURN(std::vector<ModelInfoModel> models, LoadModelInfoFile(path));
  return AttachModelInfo(models, path, descriptor, warnings);
}

std::string ModelInfoPathFor(const std::string& yaml_path) {
  std::filesystem::path path(yaml_path);
  path.replace_extension(".model_info.txt");
  return path.string();
}

std::string FindModelInfo(const std::string& yaml_path, const std::string& explicit_path) {
  if (!explicit_path.empty()) return explicit_path;
  std::error_code error;
  const std::string beside = ModelInfoPathFor(yaml_path);
  return std::filesystem::is_regular_file(beside, error) ? beside : std::string();
}

void ApplyCompiledModel(const CompiledModel& compiled, Plan* plan) {
  std::map<std::string, TensorSpec> by_name;
  for (TensorSpec& spec : plan->tensors) by_name.emplace(spec.name, std::move(spec));
  std::vector<TensorSpec> tensors;
  for (const CompiledTensor& decided : compiled.tensors) {
    auto it = by_name.find(decided.name);
    if (it == by_name.end()) continue;  // REQUIRES: the plan the compiled model was checked with
    TensorSpec spec = std::move(it->second);
    by_name.erase(it);
    spec.dtype = decided.dtype;
    if (!decided.strides.empty()) spec.strides = decided.strides;
    spec.quantization = decided.quantization;
    tensors.push_back(std::move(spec));
  }
  for (auto& [name, spec] : by_name) tensors.push_back(std::move(spec));
  plan->tensors = std::move(tensors);
  plan->model_info = compiled.source;
}

}  // namespace hbprep
