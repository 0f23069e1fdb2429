#include "client/remote.h"

#include <algorithm>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "proto/engine_enums.h"

namespace hbprep {
namespace {

absl::Status FromGrpc(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

absl::StatusOr<std::string> ReadPem(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::ostringstream text;
  text << file.rdbuf();
  if (!file || text.str().empty()) {
    return absl::NotFoundError(absl::StrCat("'", path, "' cannot be read"));
  }
  return text.str();
}

// Every hbprep.v1 call is safe to retry: a pure function of its request.
constexpr char kServiceConfig[] = R"({
  "loadBalancingConfig": [{"round_robin": {}}],
  "methodConfig": [{
    "name": [{"service": "hbprep.v1.InputAdapter"}],
    "retryPolicy": {
      "maxAttempts": 3, "initialBackoff": "0.1s", "maxBackoff": "1s",
      "backoffMultiplier": 2, "retryableStatusCodes": ["UNAVAILABLE"]
    }
  }]
})";

std::optional<DType> DTypeFromProto(v1::DataType dtype) {
  return wire::FromWire(wire::kDTypes, dtype);
}

TensorLayout LayoutFromProto(v1::Layout layout) {
  return wire::FromWire(wire::kLayouts, layout).value_or(TensorLayout::kNone);
}

TensorRole RoleFromProto(v1::Role role) {
  switch (role) {
    case v1::ROLE_Y:
      return TensorRole::kY;
    case v1::ROLE_UV:
      return TensorRole::kUV;
    case v1::ROLE_NV12:
      return TensorRole::kNv12;
    case v1::ROLE_ROI:
      return TensorRole::kRoi;
    default:
      return TensorRole::kImage;
  }
}

absl::string_view RoleName(TensorRole role) {
  switch (role) {
    case TensorRole::kImage:
      return "image";
    case TensorRole::kY:
      return "y";
    case TensorRole::kUV:
      return "uv";
    case TensorRole::kNv12:
      return "nv12";
    case TensorRole::kRoi:
      return "roi";
  }
  return "?";
}

template <typename ProtoSpec>
absl::StatusOr<TensorSpec> SpecFromProto(const ProtoSpec& in) {
  TensorSpec spec;
  spec.name = in.name();
  spec.input = in.input();
  spec.item = in.item();
  std::optional<AdapterKind> adapter = ParseAdapterKind(in.adapter());
  if (!adapter) {
    return absl::InvalidArgumentError(absl::StrCat("server sent tensor '", in.name(),
                                                   "' with unknown adapter '", in.adapter(), "'"));
  }
  spec.adapter = *adapter;
  spec.role = RoleFromProto(in.role());
  std::optional<DType> dtype = DTypeFromProto(in.dtype());
  if (!dtype) {
    return absl::InvalidArgumentError(
        absl::StrCat("server sent tensor '", in.name(), "' with unknown dtype ", in.dtype()));
  }
  spec.dtype = *dtype;
  spec.shape.assign(in.shape().begin(), in.shape().end());
  spec.strides.assign(in.strides().begin(), in.strides().end());
  spec.layout = LayoutFromProto(in.layout());
  if (in.has_quantization()) {
    Quantization& q = spec.quantization.emplace();
    q.scale.assign(in.quantization().scale().begin(), in.quantization().scale().end());
    q.zero_point.assign(in.quantization().zero_point().begin(),
                        in.quantization().zero_point().end());
    q.axis = in.quantization().axis();
  }
  return spec;
}

// A plan's header: march, hash, norm types.
absl::Status FillPlan(const std::string& model, v1::Target target, const std::string& march,
                      const std::string& hash, const std::string& norm_text, Plan* plan) {
  plan->model = model;
  plan->target = TargetFromProto(target);
  plan->chip = FindChip(march);
  if (plan->chip == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("server sent unknown march '", march, "'"));
  }
  plan->descriptor_hash = hash;
  for (absl::string_view part : absl::StrSplit(norm_text, "; ", absl::SkipEmpty())) {
    std::optional<NormType> norm = ParseNormType(part);
    if (!norm) {
      return absl::InvalidArgumentError(absl::StrCat("server sent unknown norm_type '", part, "'"));
    }
    plan->norm_types.push_back(*norm);
  }
  return absl::OkStatus();
}

}  // namespace

v1::Target TargetToProto(Target target) { return wire::ToWire(wire::kTargets, target); }

Target TargetFromProto(v1::Target target) {
  return wire::FromWire(wire::kTargets, target).value_or(Target::kBoard);
}

absl::StatusOr<std::unique_ptr<RemoteClient>> RemoteClient::Connect(const RemoteOptions& options) {
  if (options.target.empty()) return absl::InvalidArgumentError("--server needs an address");
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  if (!options.tls_ca_file.empty() || !options.tls_cert_file.empty()) {
    grpc::SslCredentialsOptions ssl;
    if (!options.tls_ca_file.empty()) {
      absl::StatusOr<std::string> ca = ReadPem(options.tls_ca_file);
      if (!ca.ok()) return absl::NotFoundError(absl::StrCat("TLS CA ", ca.status().message()));
      ssl.pem_root_certs = *ca;
    }
    if (!options.tls_cert_file.empty()) {
      absl::StatusOr<std::string> cert = ReadPem(options.tls_cert_file);
      absl::StatusOr<std::string> key = ReadPem(options.tls_key_file);
      if (!cert.ok())
        return absl::NotFoundError(absl::StrCat("TLS certificate ", cert.status().message()));
      if (!key.ok()) return absl::NotFoundError(absl::StrCat("TLS key ", key.status().message()));
      ssl.pem_cert_chain = *cert;
      ssl.pem_private_key = *key;
    }
    credentials = grpc::SslCredentials(ssl);
  } else {
    credentials = grpc::InsecureChannelCredentials();
  }
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(static_cast<int>(options.max_message_bytes));
  args.SetMaxSendMessageSize(static_cast<int>(options.max_message_bytes));
  args.SetServiceConfigJSON(kServiceConfig);
  std::string target = options.target;
  if (absl::StrContains(target, ',')) target = absl::StrCat("ipv4:", target);  // static list
  std::shared_ptr<grpc::Channel> channel = grpc::CreateCustomChannel(target, credentials, args);
  return std::unique_ptr<RemoteClient>(new RemoteClient(std::move(channel), options));
}

RemoteClient::RemoteClient(std::shared_ptr<grpc::Channel> channel, RemoteOptions options)
    : channel_(std::move(channel)),
      stub_(v1::InputAdapter::NewStub(channel_)),
      options_(std::move(options)) {}

void RemoteClient::Prepare(grpc::ClientContext* context) const {
  context->set_deadline(std::chrono::system_clock::now() + options_.timeout);
  if (!options_.token.empty()) context->AddMetadata("authorization", "Bearer " + options_.token);
}

absl::StatusOr<v1::PrepareResponse> RemoteClient::Prepare(const v1::PrepareRequest& request) {
  grpc::ClientContext context;
  Prepare(&context);
  v1::PrepareResponse response;
  if (absl::Status status = FromGrpc(stub_->Prepare(&context, request, &response)); !status.ok()) {
    return status;
  }
  return response;
}

absl::StatusOr<v1::DescribeModelResponse> RemoteClient::Describe(
    const v1::DescribeModelRequest& request) {
  grpc::ClientContext context;
  Prepare(&context);
  v1::DescribeModelResponse response;
  if (absl::Status status = FromGrpc(stub_->DescribeModel(&context, request, &response));
      !status.ok()) {
    return status;
  }
  return response;
}

absl::StatusOr<v1::ListModelsResponse> RemoteClient::ListModels() {
  grpc::ClientContext context;
  Prepare(&context);
  v1::ListModelsResponse response;
  if (absl::Status status =
          FromGrpc(stub_->ListModels(&context, v1::ListModelsRequest(), &response));
      !status.ok()) {
    return status;
  }
  return response;
}

absl::Status RemoteClient::PrepareStream(
    const std::vector<v1::PrepareRequest>& requests,
    const std::function<absl::Status(v1::PrepareResponse&)>& on_response) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       options_.timeout * static_cast<int>(std::max<size_t>(1, requests.size())));
  if (!options_.token.empty()) context.AddMetadata("authorization", "Bearer " + options_.token);
  auto stream = stub_->PrepareStream(&context);
  absl::Status result;
  // One request in flight at a time: the server answers in order anyway, and this bounds
  // the memory both sides hold.
  for (const v1::PrepareRequest& request : requests) {
    if (!stream->Write(request)) break;
    v1::PrepareResponse response;
    if (!stream->Read(&response)) break;
    if (response.has_error()) {
      result = absl::Status(static_cast<absl::StatusCode>(response.error().code()),
                            response.error().message());
      break;
    }
    result = on_response(response);
    if (!result.ok()) break;
  }
  stream->WritesDone();
  if (!result.ok()) {
    context.TryCancel();
    stream->Finish();
    return result;
  }
  return FromGrpc(stream->Finish());
}

absl::StatusOr<std::string> RemoteClient::Health(const std::string& service) {
  auto health = grpc::health::v1::Health::NewStub(channel_);
  grpc::ClientContext context;
  Prepare(&context);
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(service);
  grpc::health::v1::HealthCheckResponse response;
  if (absl::Status status = FromGrpc(health->Check(&context, request, &response)); !status.ok()) {
    return status;
  }
  return grpc::health::v1::HealthCheckResponse::ServingStatus_Name(response.status());
}

absl::StatusOr<Plan> PlanFromProto(const v1::DescribeModelResponse& response) {
  Plan plan;
  if (absl::Status filled = FillPlan(response.model(), response.target(), response.march(),
                                     response.descriptor_hash(), response.norm_type(), &plan);
      !filled.ok()) {
    return filled;
  }
  for (const v1::TensorSpec& tensor : response.tensors()) {
    absl::StatusOr<TensorSpec> spec = SpecFromProto(tensor);
    if (!spec.ok()) return spec.status();
    // Dimensions and strides are positive, or -1 where the size is dynamic.
    auto valid = [](const std::vector<int64_t>& values) {
      return std::all_of(values.begin(), values.end(), [](int64_t v) { return v >= 1 || v == -1; });
    };
    if (spec->shape.empty() || !valid(spec->shape)) {
      return absl::InvalidArgumentError(absl::StrCat("server sent tensor '", spec->name,
                                                     "' with shape [",
                                                     absl::StrJoin(spec->shape, ","), "]"));
    }
    if (spec->strides.size() != spec->shape.size() || !valid(spec->strides)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "server sent tensor '", spec->name, "' with strides [", absl::StrJoin(spec->strides, ","),
          "] for shape [", absl::StrJoin(spec->shape, ","), "]"));
    }
    plan.tensors.push_back(*std::move(spec));
  }
  plan.warnings.assign(response.warnings().begin(), response.warnings().end());
  plan.model_info = response.model_info();
  plan.decode =
      wire::FromWire(wire::kDecodeModes, response.decode()).value_or(DecodeMode::kExact);
  return plan;
}

absl::StatusOr<Prepared> PreparedFromProto(const v1::PrepareResponse& response) {
  Prepared prepared;
  for (const v1::Tensor& tensor : response.tensors()) {
    absl::StatusOr<TensorSpec> spec = SpecFromProto(tensor);
    if (!spec.ok()) return spec.status();
    if (tensor.packing() == v1::PACKING_STRIDED) {
      return absl::InvalidArgumentError("expected dense tensors, the server sent strided ones");
    }
    Tensor& out = prepared.tensors.emplace_back();
    out.spec = *std::move(spec);
    out.dense_shape.assign(tensor.dense_shape().begin(), tensor.dense_shape().end());
    out.data.assign(tensor.data().begin(), tensor.data().end());
    prepared.plan.tensors.push_back(out.spec);
  }
  prepared.warnings.assign(response.warnings().begin(), response.warnings().end());
  prepared.pixel_stddev.assign(response.pixel_stddev().begin(), response.pixel_stddev().end());
  for (const v1::ImageGeometry& g : response.geometry()) {
    ImageGeometry& out = prepared.geometry.emplace_back();
    if (!g.valid()) continue;
    out.valid = true;
    out.source_width = g.source_width();
    out.source_height = g.source_height();
    out.window_x = g.window_x();
    out.window_y = g.window_y();
    out.window_width = g.window_width();
    out.window_height = g.window_height();
    out.scale_x = g.scale_x();
    out.scale_y = g.scale_y();
    out.pad_left = g.pad_left();
    out.pad_top = g.pad_top();
    out.content_width = g.content_width();
    out.content_height = g.content_height();
    out.width = g.width();
    out.height = g.height();
    if (g.has_roi()) out.roi = Roi{g.roi().left(), g.roi().top(), g.roi().right(), g.roi().bottom()};
  }
  for (const v1::Version& version : response.versions()) {
    prepared.versions.emplace_back(version.name(), version.version());
  }
  prepared.decode_us = response.timing().decode_us();
  prepared.transform_us = response.timing().transform_us();
  prepared.pack_us = response.timing().pack_us();
  return prepared;
}

absl::Status CheckPreparedAgainstPlan(const Plan& asked, const PrepareOptions& options,
                                      const Prepared& got) {
  auto bad = [](absl::string_view name, absl::string_view field, absl::string_view value,
                absl::string_view want) {
    return absl::InvalidArgumentError(absl::StrCat("server sent tensor '", name, "' with ", field,
                                                   " ", value, ", the plan has ", want));
  };
  if (got.tensors.size() != asked.tensors.size()) {
    return absl::InvalidArgumentError(absl::StrCat("server sent ", got.tensors.size(),
                                                   " tensor(s), the plan of model '", asked.model,
                                                   "' has ", asked.tensors.size()));
  }
  auto dims = [](const std::vector<int64_t>& values) { return absl::StrJoin(values, "x"); };
  auto list = [](const std::vector<int64_t>& values) {
    return absl::StrCat("[", absl::StrJoin(values, ","), "]");
  };
  // Equal where the plan is concrete; positive where it is dynamic (-1).
  auto matches = [](const std::vector<int64_t>& value, const std::vector<int64_t>& want) {
    if (value.size() != want.size()) return false;
    for (size_t d = 0; d < want.size(); ++d) {
      if (want[d] == -1 ? value[d] < 1 : value[d] != want[d]) return false;
    }
    return true;
  };
  for (size_t i = 0; i < asked.tensors.size(); ++i) {
    const TensorSpec& want = asked.tensors[i];
    const Tensor& tensor = got.tensors[i];
    const TensorSpec& spec = tensor.spec;
    if (spec.name != want.name) {
      return absl::InvalidArgumentError(absl::StrCat("server sent tensor '", spec.name,
                                                     "' where the plan has '", want.name, "'"));
    }
    if (spec.input != want.input) return bad(spec.name, "input", spec.input, want.input);
    if (spec.adapter != want.adapter) {
      return bad(spec.name, "adapter", ToString(spec.adapter), ToString(want.adapter));
    }
    if (spec.role != want.role) {
      return bad(spec.name, "role", RoleName(spec.role), RoleName(want.role));
    }
    if (spec.layout != want.layout) {
      auto name = [](TensorLayout layout) {
        return layout == TensorLayout::kNone ? absl::string_view("none") : ToString(layout);
      };
      return bad(spec.name, "layout", name(spec.layout), name(want.layout));
    }
    // --dtype uint8 makes calibration/onnx image data dense uint8.
    const bool as_uint8 = options.float_as_uint8 && want.adapter == AdapterKind::kFloatImage;
    const DType dtype = as_uint8 ? DType::kUint8 : want.dtype;
    const std::vector<int64_t> strides =
        as_uint8 ? DenseStrides(want.shape, DType::kUint8) : want.strides;
    if (spec.dtype != dtype) return bad(spec.name, "dtype", ToString(spec.dtype), ToString(dtype));
    if (!matches(spec.shape, want.shape)) {
      return bad(spec.name, "shape", dims(spec.shape), dims(want.shape));
    }
    if (!matches(spec.strides, strides)) {
      return bad(spec.name, "strides", list(spec.strides), list(strides));
    }
    const std::vector<int64_t> dense = DenseShape(spec);
    if (tensor.dense_shape != dense) {
      return bad(spec.name, "dense shape", dims(tensor.dense_shape), dims(dense));
    }
    int64_t count = ElementSize(spec.dtype);
    for (int64_t dim : dense) {
      if (__builtin_mul_overflow(count, dim, &count)) count = -1;
      if (count < 0) break;
    }
    if (count < 0 || tensor.data.size() != static_cast<uint64_t>(count)) {
      return absl::InvalidArgumentError(
          absl::StrCat("server sent tensor '", spec.name, "' with ", tensor.data.size(),
                       " data bytes, its shape ", dims(dense), " (", ToString(spec.dtype),
                       ") holds ", count < 0 ? "too many" : std::to_string(count)));
    }
    absl::StatusOr<size_t> packed = CheckStridedLayout(spec, tensor.data.size());
    if (!packed.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("server sent ", packed.status().message()));
    }
    if (*packed > kMaxPackedBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("server sent tensor '", spec.name, "' whose board layout ",
                       list(spec.strides), " takes ", *packed, " bytes, over ", kMaxPackedBytes));
    }
  }
  return absl::OkStatus();
}

void ToProto(const std::vector<InputImage>& images, const std::vector<bool>& is_feature,
             const PrepareOptions& options, v1::PrepareRequest* request) {
  request->set_target(TargetToProto(options.target));
  v1::Options* out = request->mutable_options();
  if (options.nv12_recipe) {
    out->set_nv12_recipe(wire::ToWire(wire::kNv12Recipes, *options.nv12_recipe));
  }
  if (options.decode) out->set_decode(wire::ToWire(wire::kDecodeModes, *options.decode));
  out->set_no_range_conversion(!options.convert_range);
  if (options.float_as_uint8) out->set_float_dtype(v1::DATA_TYPE_UINT8);
  out->set_packing(v1::PACKING_DENSE);
  for (size_t i = 0; i < images.size(); ++i) {
    const InputImage& image = images[i];
    v1::Image* proto = request->add_images();
    proto->set_id(image.what);
    if (i < is_feature.size() && is_feature[i]) {
      proto->set_feature(image.bytes);
    } else if (image.raw) {
      v1::RawImage* raw = proto->mutable_raw();
      raw->set_format(wire::ToWire(wire::kPixelFormats, image.raw->format));
      raw->set_width(image.raw->width);
      raw->set_height(image.raw->height);
      raw->set_stride(image.raw->stride);
      raw->set_range(wire::ToWire(wire::kColorRanges, image.raw->range));
      raw->set_data(image.bytes);
    } else {
      proto->set_encoded(image.bytes);
    }
    if (image.roi) {
      v1::Roi* roi = proto->mutable_roi();
      roi->set_left(image.roi->left);
      roi->set_top(image.roi->top);
      roi->set_right(image.roi->right);
      roi->set_bottom(image.roi->bottom);
    }
  }
}

}  // namespace hbprep
