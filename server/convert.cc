#include "server/convert.h"

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "adapters/echo.h"
#include "hbprep/plan_json.h"
#include "nlohmann/json.hpp"
#include "proto/engine_enums.h"
#include "yaml-cpp/yaml.h"

namespace hbprep {
namespace {

v1::DataType ToProto(DType dtype) { return wire::ToWire(wire::kDTypes, dtype); }

v1::Layout ToProto(TensorLayout layout) { return wire::ToWire(wire::kLayouts, layout); }

absl::StatusOr<RawImage> FromProto(const v1::RawImage& raw, const std::string& what) {
  RawImage out;
  const std::optional<RawFormat> format = wire::FromWire(wire::kPixelFormats, raw.format());
  if (!format) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": raw.format ", raw.format(), " is not a pixel format"));
  }
  out.format = *format;
  out.width = raw.width();
  out.height = raw.height();
  out.stride = raw.stride();
  if (raw.stride() < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": raw.stride ", raw.stride(), " is negative"));
  }
  out.range = wire::FromWire(wire::kColorRanges, raw.range()).value_or(ColorRange::kBt601Video);
  return out;
}

// The shortest decimal text that reads back as `value`.
std::string RoundTrip(double value) {
  for (int precision = 15; precision < 17; ++precision) {
    std::string text = absl::StrFormat("%.*g", precision, value);
    if (std::strtod(text.c_str(), nullptr) == value) return text;
  }
  return absl::StrFormat("%.17g", value);
}

v1::Role ToProto(TensorRole role) {
  switch (role) {
    case TensorRole::kImage:
      return v1::ROLE_IMAGE;
    case TensorRole::kY:
      return v1::ROLE_Y;
    case TensorRole::kUV:
      return v1::ROLE_UV;
    case TensorRole::kNv12:
      return v1::ROLE_NV12;
    case TensorRole::kRoi:
      return v1::ROLE_ROI;
  }
  return v1::ROLE_UNSPECIFIED;
}

// v1::Tensor and v1::TensorSpec share these fields.
template <typename ProtoSpec>
void SpecToProto(const TensorSpec& spec, ProtoSpec* tensor) {
  tensor->set_name(spec.name);
  tensor->set_dtype(ToProto(spec.dtype));
  for (int64_t dim : spec.shape) tensor->add_shape(dim);
  for (int64_t stride : spec.strides) tensor->add_strides(stride);
  tensor->set_layout(ToProto(spec.layout));
  tensor->set_input(spec.input);
  tensor->set_item(spec.item);
  tensor->set_adapter(std::string(ToString(spec.adapter)));
  tensor->set_role(ToProto(spec.role));
  if (spec.quantization) {
    v1::Quantization* q = tensor->mutable_quantization();
    for (float scale : spec.quantization->scale) q->add_scale(scale);
    for (int32_t zero : spec.quantization->zero_point) q->add_zero_point(zero);
    q->set_axis(spec.quantization->axis);
  }
}

}  // namespace

std::string StatusText(const absl::Status& status) {
  return EchoMessage(status.message(), kStatusTextMaxBytes, /*keep_newlines=*/true);
}

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), StatusText(status));
}

absl::StatusOr<Target> FromProto(v1::Target target) {
  if (target == v1::TARGET_UNSPECIFIED) return Target::kBoard;
  if (std::optional<Target> known = wire::FromWire(wire::kTargets, target)) return *known;
  return absl::InvalidArgumentError(absl::StrCat(
      "target ", static_cast<int>(target), " is not one of ", TargetNames(),
      " (TARGET_BOARD = 1 ... TARGET_OE1_QUANTIZED_ONNX = 5)"));
}

v1::Target ToProto(Target target) { return wire::ToWire(wire::kTargets, target); }

absl::Status FromProto(const v1::PrepareRequest& request, std::vector<InputImage>* images,
                       PrepareOptions* options) {
  absl::StatusOr<Target> target = FromProto(request.target());
  if (!target.ok()) return target.status();
  options->target = *target;
  // Unset (or auto, or a value this server does not know): the descriptor's own.
  options->nv12_recipe = wire::FromWire(wire::kNv12Recipes, request.options().nv12_recipe());
  if (options->nv12_recipe == Nv12Recipe::kAuto) options->nv12_recipe.reset();
  options->decode = wire::FromWire(wire::kDecodeModes, request.options().decode());
  options->convert_range = !request.options().no_range_conversion();
  options->float_as_uint8 = request.options().float_dtype() == v1::DATA_TYPE_UINT8;
  images->clear();
  images->reserve(request.images_size());
  for (int i = 0; i < request.images_size(); ++i) {
    const v1::Image& image = request.images(i);
    InputImage& in = images->emplace_back();
    in.what = image.id().empty() ? absl::StrCat("image ", i) : image.id();
    switch (image.source_case()) {
      case v1::Image::kEncoded:
        in.bytes = image.encoded();
        break;
      case v1::Image::kFeature:
        in.bytes = image.feature();
        break;
      case v1::Image::kRaw: {
        absl::StatusOr<RawImage> raw = FromProto(image.raw(), in.what);
        if (!raw.ok()) return raw.status();
        in.raw = *raw;
        in.bytes = image.raw().data();
        break;
      }
      default:
        return absl::InvalidArgumentError(
            absl::StrCat(in.what, ": has no data (set encoded, raw or feature)"));
    }
    if (image.has_roi()) {
      in.roi =
          Roi{image.roi().left(), image.roi().top(), image.roi().right(), image.roi().bottom()};
    }
  }
  return absl::OkStatus();
}

absl::Status ToProto(Prepared* prepared_in, v1::Packing packing, v1::PrepareResponse* response) {
  const Prepared& prepared = *prepared_in;
  const bool strided = packing == v1::PACKING_STRIDED;
  for (Tensor& tensor : prepared_in->tensors) {
    v1::Tensor* out = response->add_tensors();
    SpecToProto(tensor.spec, out);
    for (int64_t dim : tensor.dense_shape) out->add_dense_shape(dim);
    out->set_packing(strided ? v1::PACKING_STRIDED : v1::PACKING_DENSE);
    // Board strides that are dense need no packing (and no second copy).
    if (strided && tensor.spec.role != TensorRole::kNv12 &&
        tensor.spec.strides == DenseStrides(tensor.spec.shape, tensor.spec.dtype)) {
      out->set_data(tensor.data.data(), tensor.data.size());
    } else if (strided) {
      // The plan's strides passed the compiled-model checks; a layout that would still leave
      // the buffers is the server's fault, not an empty tensor.
      if (absl::StatusOr<size_t> layout = CheckStridedLayout(tensor.spec, tensor.data.size());
          !layout.ok()) {
        return absl::InternalError(absl::StrCat("cannot pack strided: ", layout.status().message()));
      }
      const std::vector<uint8_t> packed = PackStrided(tensor);
      out->set_data(packed.data(), packed.size());
    } else {
      out->set_data(tensor.data.data(), tensor.data.size());
    }
    // Each tensor's memory goes as soon as the response holds its copy: a response never
    // needs more than the tensors, one packed tensor and its own copy at once.
    std::vector<uint8_t>().swap(tensor.data);
  }
  for (const std::string& warning : prepared.warnings) response->add_warnings(warning);
  response->set_descriptor_hash(prepared.plan.descriptor_hash);
  response->set_model(prepared.plan.model);
  response->set_target(ToProto(prepared.plan.target));
  for (double stddev : prepared.pixel_stddev) response->add_pixel_stddev(stddev);
  for (const ImageGeometry& g : prepared.geometry) {
    v1::ImageGeometry* out = response->add_geometry();
    if (!g.valid) continue;
    out->set_valid(true);
    out->set_source_width(g.source_width);
    out->set_source_height(g.source_height);
    out->set_window_x(g.window_x);
    out->set_window_y(g.window_y);
    out->set_window_width(g.window_width);
    out->set_window_height(g.window_height);
    out->set_scale_x(g.scale_x);
    out->set_scale_y(g.scale_y);
    out->set_pad_left(g.pad_left);
    out->set_pad_top(g.pad_top);
    out->set_content_width(g.content_width);
    out->set_content_height(g.content_height);
    out->set_width(g.width);
    out->set_height(g.height);
    if (g.roi) {
      v1::Roi* roi = out->mutable_roi();
      roi->set_left(g.roi->left);
      roi->set_top(g.roi->top);
      roi->set_right(g.roi->right);
      roi->set_bottom(g.roi->bottom);
    }
  }
  for (const auto& [name, version] : prepared.versions) {
    v1::Version* out = response->add_versions();
    out->set_name(name);
    out->set_version(version);
  }
  v1::Timing* timing = response->mutable_timing();
  timing->set_decode_us(prepared.decode_us);
  timing->set_transform_us(prepared.transform_us);
  timing->set_pack_us(prepared.pack_us);
  return absl::OkStatus();
}

void ToProto(const Plan& plan, v1::DescribeModelResponse* response) {
  response->set_model(plan.model);
  response->set_target(ToProto(plan.target));
  response->set_march(std::string(plan.chip->march));
  response->set_descriptor_hash(plan.descriptor_hash);
  response->set_norm_type(NormTypeText(plan));
  for (const TensorSpec& spec : plan.tensors) SpecToProto(spec, response->add_tensors());
  response->set_model_info(plan.model_info);
  response->set_decode(wire::ToWire(wire::kDecodeModes, plan.decode));
  response->set_hrt_input_stride(HrtInputStride(plan));
  for (const std::string& warning : plan.warnings) response->add_warnings(warning);
  response->set_plan_json(DumpJson(PlanToJson(plan)));
}

std::string ToYaml(const v1::StructuredDescriptor& structured) {
  YAML::Emitter out;
  auto join = [&](auto member) {
    std::vector<std::string> values;
    for (const v1::InputParameters& input : structured.inputs()) {
      const std::string value = member(input);
      values.push_back(value.empty() ? "None" : value);
    }
    return absl::StrJoin(values, "; ");
  };
  auto numbers = [](const google::protobuf::RepeatedField<double>& values) {
    std::vector<std::string> parts;
    for (double value : values) parts.push_back(RoundTrip(value));
    return absl::StrJoin(parts, " ");
  };
  out << YAML::BeginMap;
  out << YAML::Key << "model_parameters" << YAML::Value << YAML::BeginMap << YAML::Key << "march"
      << YAML::Value << structured.march() << YAML::EndMap;
  out << YAML::Key << "input_parameters" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "input_name" << YAML::Value << join([](const auto& i) { return i.name(); });
  out << YAML::Key << "input_type_train" << YAML::Value
      << join([](const auto& i) { return i.type_train(); });
  out << YAML::Key << "input_layout_train" << YAML::Value
      << join([](const auto& i) { return i.layout_train(); });
  out << YAML::Key << "input_type_rt" << YAML::Value
      << join([](const auto& i) { return i.type_rt(); });
  out << YAML::Key << "input_layout_rt" << YAML::Value
      << join([](const auto& i) { return i.layout_rt(); });
  out << YAML::Key << "input_space_and_range" << YAML::Value
      << join([](const auto& i) { return i.space_and_range(); });
  out << YAML::Key << "input_shape" << YAML::Value
      << join([](const auto& i) { return absl::StrJoin(i.shape(), "x"); });
  out << YAML::Key << "mean_value" << YAML::Value
      << join([&](const auto& i) { return numbers(i.mean()); });
  out << YAML::Key << "scale_value" << YAML::Value
      << join([&](const auto& i) { return numbers(i.scale()); });
  out << YAML::Key << "std_value" << YAML::Value
      << join([&](const auto& i) { return numbers(i.std()); });
  out << YAML::Key << "norm_type" << YAML::Value
      << join([](const auto& i) { return i.norm_type(); });
  if (structured.input_batch() != 0) {
    out << YAML::Key << "input_batch" << YAML::Value << structured.input_batch();
  }
  std::vector<std::string> separate;
  for (const auto& input : structured.inputs()) {
    if (input.separate()) separate.push_back(input.name());
  }
  if (!separate.empty()) {
    out << YAML::Key << "separate_name" << YAML::Value << absl::StrJoin(separate, "; ");
  }
  out << YAML::EndMap;
  out << YAML::Key << "compiler_parameters" << YAML::Value << YAML::BeginMap << YAML::Key
      << "input_source" << YAML::Value << YAML::BeginMap;
  for (const auto& input : structured.inputs()) {
    if (!input.source().empty()) out << YAML::Key << input.name() << YAML::Value << input.source();
  }
  out << YAML::EndMap << YAML::EndMap;
  out << YAML::Key << "hbprep" << YAML::Value << YAML::BeginMap;
  if (!structured.nv12_recipe().empty()) {
    out << YAML::Key << "nv12_recipe" << YAML::Value << structured.nv12_recipe();
  }
  out << YAML::Key << "inputs" << YAML::Value << YAML::BeginMap;
  for (const auto& input : structured.inputs()) {
    if (input.recipe_size() == 0 && input.nv12_recipe().empty() && input.ddr_dtype().empty()) {
      continue;
    }
    out << YAML::Key << input.name() << YAML::Value << YAML::BeginMap;
    if (input.recipe_size() > 0) {
      out << YAML::Key << "recipe" << YAML::Value << YAML::BeginSeq;
      for (const v1::RecipeStep& step : input.recipe()) {
        if (step.size_size() == 0) {  // LongSideCrop takes no arguments
          out << step.step();
          continue;
        }
        out << YAML::BeginMap << YAML::Key << step.step() << YAML::Value << YAML::BeginMap;
        out << YAML::Key << "size" << YAML::Value;
        if (step.size_size() == 1) {
          out << step.size(0);
        } else {
          out << YAML::Flow << YAML::BeginSeq;
          for (int32_t size : step.size()) out << size;
          out << YAML::EndSeq;
        }
        if (!step.interpolation().empty()) {
          out << YAML::Key << "interpolation" << YAML::Value << step.interpolation();
        }
        if (step.has_pad_value()) {
          out << YAML::Key << "pad_value" << YAML::Value << RoundTrip(step.pad_value());
        }
        if (!step.pad_position().empty()) {
          out << YAML::Key << "pad_position" << YAML::Value << step.pad_position();
        }
        if (step.has_padding()) out << YAML::Key << "padding" << YAML::Value << step.padding();
        out << YAML::EndMap << YAML::EndMap;
      }
      out << YAML::EndSeq;
    }
    if (!input.nv12_recipe().empty()) {
      out << YAML::Key << "nv12_recipe" << YAML::Value << input.nv12_recipe();
    }
    if (!input.ddr_dtype().empty()) {
      out << YAML::Key << "ddr_dtype" << YAML::Value << input.ddr_dtype();
    }
    out << YAML::EndMap;
  }
  out << YAML::EndMap << YAML::EndMap << YAML::EndMap;
  return out.c_str();
}

}  // namespace hbprep
