#include "server/oip_convert.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "adapters/echo.h"
#include "hbprep/npy.h"
#include "hbprep/plan.h"
#include "hbprep/plan_json.h"
#include "hbprep/status_macros.h"
#include "nlohmann/json.hpp"

namespace hbprep::oip {
namespace {

using InputTensor = inference::ModelInferRequest::InferInputTensor;

// Far beyond any message gRPC accepts; keeps the element count of hostile shapes in range.
constexpr int64_t kMaxElements = int64_t{1} << 40;

std::string ShapeText(absl::Span<const int64_t> shape) {
  return absl::StrCat("[", absl::StrJoin(shape, ", "), "]");
}

const char* ParameterKind(const inference::InferParameter& parameter) {
  switch (parameter.parameter_choice_case()) {
    case inference::InferParameter::kBoolParam:
      return "bool_param";
    case inference::InferParameter::kInt64Param:
      return "int64_param";
    case inference::InferParameter::kStringParam:
      return "string_param";
    case inference::InferParameter::kDoubleParam:
      return "double_param";
    case inference::InferParameter::kUint64Param:
      return "uint64_param";
    default:
      return "no value";
  }
}

bool HasImageInput(const Descriptor& descriptor) {
  return std::any_of(descriptor.inputs.begin(), descriptor.inputs.end(),
                     [](const InputDescriptor& input) { return input.is_image(); });
}

bool HasResizerInput(const Descriptor& descriptor) {
  return std::any_of(descriptor.inputs.begin(), descriptor.inputs.end(),
                     [](const InputDescriptor& input) {
                       return input.is_image() && input.source == InputSource::kResizer;
                     });
}

// A featuremap input's whole tensor for one request: its files' shape, times the files.
std::vector<int64_t> FeaturemapShape(const Descriptor& descriptor, int index, Target target) {
  std::vector<int64_t> shape = FeaturemapFileShape(descriptor, descriptor.inputs[index], target);
  const std::vector<int> bindings = ImageBindings(descriptor, target);
  shape[0] *= std::count(bindings.begin(), bindings.end(), index);
  return shape;
}

// The input names ModelMetadata lists, in its order.
std::vector<std::string> InputNames(const Descriptor& descriptor) {
  std::vector<std::string> names;
  if (HasImageInput(descriptor)) names.emplace_back(kImageInput);
  if (HasResizerInput(descriptor)) names.emplace_back(kRoiInput);
  for (const InputDescriptor& input : descriptor.inputs) {
    if (!input.is_image()) names.push_back(input.name);
  }
  return names;
}

// The string value of a parameter hbprep reads.
absl::StatusOr<std::string> StringParameter(const std::string& key,
                                            const inference::InferParameter& value) {
  if (value.parameter_choice_case() != inference::InferParameter::kStringParam) {
    return absl::InvalidArgumentError(absl::StrCat("parameter '", Echo(key),
                                                   "' must be a string_param, got ",
                                                   ParameterKind(value)));
  }
  return value.string_param();
}

absl::Status ReadParameters(const inference::ModelInferRequest& request, InferCall* call) {
  // Sorted, so that warnings come in the same order every time.
  const std::map<std::string, inference::InferParameter> parameters(
      request.parameters().begin(), request.parameters().end());
  for (const auto& [key, value] : parameters) {
    if (key == "target") {
      HBPREP_ASSIGN_OR_RETURN(const std::string name, StringParameter(key, value));
      const std::optional<Target> target = ParseTarget(name);
      if (!target) {
        return absl::InvalidArgumentError(absl::StrCat(
            "parameter 'target' is '", Echo(name), "', not one of ", TargetNames()));
      }
      call->options.target = *target;
    } else if (key == "nv12_recipe") {
      HBPREP_ASSIGN_OR_RETURN(const std::string name, StringParameter(key, value));
      const std::optional<Nv12Recipe> recipe = ParseNv12Recipe(name);
      if (!recipe) {
        return absl::InvalidArgumentError(
            absl::StrCat("parameter 'nv12_recipe' is '", Echo(name),
                         "', not one of auto, calc, calc_f32, opencv"));
      }
      // auto: the descriptor's own recipe.
      if (*recipe == Nv12Recipe::kAuto) {
        call->options.nv12_recipe.reset();
      } else {
        call->options.nv12_recipe = *recipe;
      }
    } else if (key == "decode") {
      HBPREP_ASSIGN_OR_RETURN(const std::string name, StringParameter(key, value));
      call->options.decode = ParseDecodeMode(name);
      if (!call->options.decode) {
        return absl::InvalidArgumentError(
            absl::StrCat("parameter 'decode' is '", Echo(name), "', not one of exact, fast"));
      }
    } else if (key == "descriptor_hash") {
      HBPREP_ASSIGN_OR_RETURN(call->pinned_hash, StringParameter(key, value));
    } else {
      call->warnings.push_back(absl::StrCat(
          "parameter '", Echo(key),
          "' is not one hbprep reads (target, nv12_recipe, decode, descriptor_hash); ignored"));
    }
  }
  return absl::OkStatus();
}

// The element count of `tensor`'s shape.
absl::StatusOr<int64_t> Elements(const InputTensor& tensor) {
  int64_t elements = 1;
  for (int64_t dim : tensor.shape()) {
    if (dim < 0 || (dim > 0 && elements > kMaxElements / dim)) {
      return absl::InvalidArgumentError(absl::StrCat("input '", Echo(tensor.name()), "': shape ",
                                                     ShapeText(tensor.shape()),
                                                     " is not a concrete tensor shape"));
    }
    elements *= dim;
  }
  return elements;
}

absl::Status CheckDatatype(const InputTensor& tensor, absl::string_view want) {
  if (tensor.datatype() == want) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("input '", Echo(tensor.name()), "': datatype '",
                                                 Echo(tensor.datatype()), "' is not ", want));
}

// The fixed-size elements of a tensor: its raw bytes, or the `values` of its contents.
template <typename T, typename Values>
absl::StatusOr<std::string> FixedSizeData(const InputTensor& tensor, const std::string* raw,
                                          int64_t elements, const Values& values,
                                          const char* field) {
  const int64_t bytes = elements * static_cast<int64_t>(sizeof(T));
  if (raw != nullptr) {
    if (static_cast<int64_t>(raw->size()) != bytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          "input '", Echo(tensor.name()), "': shape ", ShapeText(tensor.shape()), " needs ", bytes,
          " bytes of ", Echo(tensor.datatype()), " data, raw_input_contents holds ", raw->size()));
    }
    return *raw;
  }
  if (values.size() != elements) {
    return absl::InvalidArgumentError(absl::StrCat("input '", Echo(tensor.name()), "': shape ",
                                                   ShapeText(tensor.shape()), " needs ", elements,
                                                   " value(s) in contents.", field, ", got ",
                                                   values.size()));
  }
  std::string data(static_cast<size_t>(bytes), '\0');
  for (int64_t i = 0; i < elements; ++i) {
    const T value = static_cast<T>(values[static_cast<int>(i)]);
    std::memcpy(data.data() + i * sizeof(T), &value, sizeof(T));
  }
  return data;
}

}  // namespace

absl::string_view DataTypeName(DType dtype) { return Traits(dtype).oip; }

absl::Status CheckVersion(const std::string& model, const std::string& version) {
  if (version.empty() || version == kModelVersion) return absl::OkStatus();
  return absl::NotFoundError(absl::StrCat("model '", Echo(model), "' has no version '",
                                          Echo(version), "' (versions: ", kModelVersion, ")"));
}

void ToMetadata(const Descriptor& descriptor, inference::ModelMetadataResponse* response) {
  response->set_name(descriptor.name);
  response->add_versions(std::string(kModelVersion));
  response->set_platform("hbprep");
  auto add = [](auto* list, const std::string& name, absl::string_view datatype,
                const std::vector<int64_t>& shape) {
    inference::ModelMetadataResponse::TensorMetadata* tensor = list->Add();
    tensor->set_name(name);
    tensor->set_datatype(std::string(datatype));
    for (int64_t dim : shape) tensor->add_shape(dim);
  };
  if (HasImageInput(descriptor)) {
    add(response->mutable_inputs(), std::string(kImageInput), "BYTES", {-1});
  }
  if (HasResizerInput(descriptor)) {
    add(response->mutable_inputs(), std::string(kRoiInput), "INT32", {-1, 4});
  }
  for (size_t i = 0; i < descriptor.inputs.size(); ++i) {
    if (descriptor.inputs[i].is_image()) continue;
    add(response->mutable_inputs(), descriptor.inputs[i].name,
        DataTypeName(FeaturemapFileDType(descriptor, descriptor.inputs[i], Target::kBoard)),
        FeaturemapShape(descriptor, static_cast<int>(i), Target::kBoard));
  }
  for (const TensorSpec& spec : ResolvePlan(descriptor, Target::kBoard).tensors) {
    add(response->mutable_outputs(), spec.name, DataTypeName(spec.dtype), DenseShape(spec));
  }
}

absl::StatusOr<std::vector<absl::string_view>> SplitBytesElements(absl::string_view raw,
                                                                  absl::string_view what,
                                                                  size_t limit) {
  std::vector<absl::string_view> elements;
  size_t offset = 0;
  while (offset < raw.size()) {
    if (elements.size() == limit) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": more than the ", limit, " element(s) expected"));
    }
    if (raw.size() - offset < 4) {
      return absl::InvalidArgumentError(absl::StrCat(
          what, ": element ", elements.size(), " at byte ", offset,
          " is cut off in its 4-byte length prefix (", raw.size() - offset, " byte(s) left)"));
    }
    const auto* p = reinterpret_cast<const unsigned char*>(raw.data() + offset);
    const uint64_t length = uint64_t{p[0]} | uint64_t{p[1]} << 8 | uint64_t{p[2]} << 16 |
                            uint64_t{p[3]} << 24;
    offset += 4;
    if (length > raw.size() - offset) {
      return absl::InvalidArgumentError(absl::StrCat(what, ": element ", elements.size(),
                                                     " declares ", length, " bytes but ",
                                                     raw.size() - offset, " follow"));
    }
    elements.push_back(raw.substr(offset, length));
    offset += length;
  }
  return elements;
}

absl::Status CheckServable(const Descriptor& descriptor) {
  for (const InputDescriptor& input : descriptor.inputs) {
    if (!input.is_image() && (input.name == kImageInput || input.name == kRoiInput)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "model '", descriptor.name, "': featuremap input '", input.name,
          "' has a name the Open Inference Protocol mapping reserves (", kImageInput, ", ",
          kRoiInput, "); rename it to serve the model here"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<InferCall> FromInferRequest(const inference::ModelInferRequest& request,
                                           const Descriptor& descriptor) {
  HBPREP_RETURN_IF_ERROR(CheckServable(descriptor));
  InferCall call;
  HBPREP_RETURN_IF_ERROR(ReadParameters(request, &call));
  const Target target = call.options.target;
  // What one request of the model takes for this target: images for the image inputs (some
  // of them resizer inputs, which take ROIs on the board), files for the featuremaps.
  const std::vector<int> bindings = ImageBindings(descriptor, target);
  auto is_resizer = [&](int index) {
    const InputDescriptor& input = descriptor.inputs[index];
    return TakesRoi(input, target);
  };
  const size_t wanted_images = static_cast<size_t>(std::count_if(
      bindings.begin(), bindings.end(),
      [&](int index) { return descriptor.inputs[index].is_image(); }));
  const size_t resizer_images =
      static_cast<size_t>(std::count_if(bindings.begin(), bindings.end(), is_resizer));

  const bool raw = request.raw_input_contents_size() > 0;
  if (raw && request.raw_input_contents_size() != request.inputs_size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("raw_input_contents has ", request.raw_input_contents_size(),
                     " entries for ", request.inputs_size(), " input(s); it needs one per input"));
  }
  const std::vector<std::string> known = InputNames(descriptor);
  std::map<std::string, int> by_name;
  for (int i = 0; i < request.inputs_size(); ++i) {
    const InputTensor& tensor = request.inputs(i);
    if (std::find(known.begin(), known.end(), tensor.name()) == known.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("input '", Echo(tensor.name()), "' is not an input of model '",
                       descriptor.name, "' (inputs: ", absl::StrJoin(known, ", "), ")"));
    }
    if (!by_name.emplace(tensor.name(), i).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("input '", Echo(tensor.name()), "' is given more than once"));
    }
    if (raw && tensor.has_contents()) {
      return absl::InvalidArgumentError(
          absl::StrCat("input '", Echo(tensor.name()),
                       "' has contents while the request uses raw_input_contents"));
    }
  }
  auto raw_of = [&](int index) { return raw ? &request.raw_input_contents(index) : nullptr; };

  // IMAGE: the encoded images, one per element; the shape is held against the model before
  // any element is read, so a request cannot make hbprep index more elements than it takes.
  std::vector<absl::string_view> images;
  int64_t elements = 0;
  const auto image_input = by_name.find(std::string(kImageInput));
  if (image_input != by_name.end()) {
    const InputTensor& tensor = request.inputs(image_input->second);
    HBPREP_RETURN_IF_ERROR(CheckDatatype(tensor, "BYTES"));
    HBPREP_ASSIGN_OR_RETURN(elements, Elements(tensor));
  }
  if (static_cast<size_t>(elements) != wanted_images) {
    return absl::InvalidArgumentError(absl::StrCat(
        "input 'IMAGE' has ", elements, " element(s) but model '", descriptor.name, "' takes ",
        wanted_images, " image(s) per request for target ", ToString(target)));
  }
  if (image_input != by_name.end()) {
    const InputTensor& tensor = request.inputs(image_input->second);
    if (raw) {
      HBPREP_ASSIGN_OR_RETURN(images,
                              SplitBytesElements(*raw_of(image_input->second),
                                                 "input 'IMAGE' raw data", wanted_images));
    } else {
      for (const std::string& bytes : tensor.contents().bytes_contents()) images.push_back(bytes);
    }
    if (static_cast<int64_t>(images.size()) != elements) {
      return absl::InvalidArgumentError(absl::StrCat(
          "input 'IMAGE': shape ", ShapeText(tensor.shape()), " holds ", elements,
          " element(s) but ", raw ? "raw_input_contents" : "contents.bytes_contents", " holds ",
          images.size()));
    }
  }

  // ROI: one row per image of a resizer input (board target), in binding order.
  std::vector<Roi> rois;
  if (auto it = by_name.find(std::string(kRoiInput)); it != by_name.end()) {
    const InputTensor& tensor = request.inputs(it->second);
    HBPREP_RETURN_IF_ERROR(CheckDatatype(tensor, "INT32"));
    if (resizer_images == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("input 'ROI': model '", descriptor.name, "' has no resizer input for target ",
                       ToString(target), " (ROIs belong to the board target's resizer inputs)"));
    }
    if (tensor.shape_size() != 2 || tensor.shape(1) != 4 ||
        tensor.shape(0) != static_cast<int64_t>(resizer_images)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "input 'ROI': shape ", ShapeText(tensor.shape()), " is not [", resizer_images,
          ", 4] (one left, top, right, bottom row per image of a resizer input)"));
    }
    HBPREP_ASSIGN_OR_RETURN(const std::string data,
                            FixedSizeData<int32_t>(tensor, raw_of(it->second), tensor.shape(0) * 4,
                                                   tensor.contents().int_contents(),
                                                   "int_contents"));
    rois.resize(resizer_images);
    for (size_t i = 0; i < rois.size(); ++i) {
      int32_t values[4];
      std::memcpy(values, data.data() + i * sizeof(values), sizeof(values));
      rois[i] = Roi{values[0], values[1], values[2], values[3]};
    }
  }

  // The featuremap inputs: their items' .npy files.
  std::map<int, std::vector<std::string>> features;
  for (size_t i = 0; i < descriptor.inputs.size(); ++i) {
    const InputDescriptor& input = descriptor.inputs[i];
    if (input.is_image()) continue;
    const std::vector<int64_t> shape = FeaturemapShape(descriptor, static_cast<int>(i), target);
    const DType dtype = FeaturemapFileDType(descriptor, input, target);
    const absl::string_view datatype = DataTypeName(dtype);
    auto it = by_name.find(input.name);
    if (it == by_name.end()) {
      return absl::InvalidArgumentError(absl::StrCat("model '", descriptor.name,
                                                     "' needs input '", input.name, "' (",
                                                     datatype, " ", ShapeText(shape),
                                                     ") for target ", ToString(target)));
    }
    const InputTensor& tensor = request.inputs(it->second);
    HBPREP_RETURN_IF_ERROR(CheckDatatype(tensor, datatype));
    if (!std::equal(tensor.shape().begin(), tensor.shape().end(), shape.begin(), shape.end())) {
      return absl::InvalidArgumentError(absl::StrCat("input '", input.name, "': shape ",
                                                     ShapeText(tensor.shape()), " is not ",
                                                     ShapeText(shape), " (target ",
                                                     ToString(target), ")"));
    }
    HBPREP_ASSIGN_OR_RETURN(const int64_t values, Elements(tensor));
    std::string data;
    if (dtype == DType::kFloat32) {
      HBPREP_ASSIGN_OR_RETURN(data, FixedSizeData<float>(tensor, raw_of(it->second), values,
                                                         tensor.contents().fp32_contents(),
                                                         "fp32_contents"));
    } else if (dtype == DType::kInt32) {
      HBPREP_ASSIGN_OR_RETURN(data, FixedSizeData<int32_t>(tensor, raw_of(it->second), values,
                                                           tensor.contents().int_contents(),
                                                           "int_contents"));
    } else if (const std::string* bytes = raw_of(it->second); bytes != nullptr) {
      // Integer featuremaps of other widths: raw bytes only (the contents fields are 32-bit).
      if (static_cast<int64_t>(bytes->size()) != values * ElementSize(dtype)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "input '", tensor.name(), "': shape ", ShapeText(tensor.shape()), " needs ",
            values * ElementSize(dtype), " bytes of ", datatype, " data, raw_input_contents holds ",
            bytes->size()));
      }
      data = *bytes;
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "input '", tensor.name(), "': ", datatype, " data goes in raw_input_contents"));
    }
    const std::vector<int64_t> file_shape = FeaturemapFileShape(descriptor, input, target);
    const size_t items = static_cast<size_t>(shape[0] / file_shape[0]);
    const size_t item_bytes = data.size() / items;
    for (size_t item = 0; item < items; ++item) {
      const auto* begin = reinterpret_cast<const uint8_t*>(data.data()) + item * item_bytes;
      features[static_cast<int>(i)].push_back(
          EncodeNpy(dtype, file_shape, absl::MakeConstSpan(begin, item_bytes)));
    }
  }

  // In binding order: the images to the image inputs, the files to the featuremaps.
  size_t next_image = 0, next_roi = 0;
  std::map<int, size_t> next_item;
  for (int index : bindings) {
    InputImage& image = call.images.emplace_back();
    if (descriptor.inputs[index].is_image()) {
      image.what = absl::StrCat(kImageInput, "[", next_image, "]");
      image.bytes = std::string(images[next_image]);
      if (!rois.empty() && is_resizer(index)) image.roi = rois[next_roi++];
      ++next_image;
    } else {
      const size_t item = next_item[index]++;
      std::vector<std::string>& files = features[index];
      image.what = files.size() > 1 ? absl::StrCat(descriptor.inputs[index].name, "[", item, "]")
                                    : descriptor.inputs[index].name;
      image.bytes = std::move(files[item]);
    }
  }
  return call;
}

absl::Status ToInferResponse(const inference::ModelInferRequest& request,
                             const Prepared& prepared, inference::ModelInferResponse* response) {
  std::vector<const Tensor*> outputs;
  if (request.outputs_size() == 0) {
    for (const Tensor& tensor : prepared.tensors) outputs.push_back(&tensor);
  }
  for (const auto& requested : request.outputs()) {
    auto it = std::find_if(prepared.tensors.begin(), prepared.tensors.end(),
                           [&](const Tensor& tensor) { return tensor.spec.name == requested.name(); });
    if (it == prepared.tensors.end()) {
      std::vector<std::string> names;
      for (const Tensor& tensor : prepared.tensors) names.push_back(tensor.spec.name);
      return absl::InvalidArgumentError(absl::StrCat(
          "output '", Echo(requested.name()), "' is not an output of model '", prepared.plan.model,
          "' for target ", ToString(prepared.plan.target), " (outputs: ",
          absl::StrJoin(names, ", "), ")"));
    }
    if (std::find(outputs.begin(), outputs.end(), &*it) != outputs.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("output '", Echo(requested.name()), "' is requested more than once"));
    }
    if (requested.parameters().count("classification") > 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("output '", Echo(requested.name()),
                       "': parameter 'classification' is not supported (hbprep returns "
                       "tensors, not classes)"));
    }
    outputs.push_back(&*it);
  }
  response->set_model_name(prepared.plan.model);
  response->set_model_version(std::string(kModelVersion));
  response->set_id(request.id());
  auto& parameters = *response->mutable_parameters();
  parameters["target"].set_string_param(std::string(ToString(prepared.plan.target)));
  parameters["descriptor_hash"].set_string_param(prepared.plan.descriptor_hash);
  if (!prepared.warnings.empty()) {
    parameters["warnings"].set_string_param(absl::StrJoin(prepared.warnings, "\n"));
  }
  // Per file, the geometry as the CLI's manifests give it (a JSON array).
  parameters["geometry"].set_string_param(DumpJson(GeometryToJson(prepared.geometry)));
  for (const Tensor* tensor : outputs) {
    inference::ModelInferResponse::InferOutputTensor* out = response->add_outputs();
    out->set_name(tensor->spec.name);
    out->set_datatype(std::string(DataTypeName(tensor->spec.dtype)));
    for (int64_t dim : tensor->dense_shape) out->add_shape(dim);
    response->add_raw_output_contents(tensor->data.data(), tensor->data.size());
  }
  return absl::OkStatus();
}

}  // namespace hbprep::oip
