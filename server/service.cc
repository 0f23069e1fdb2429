#include "server/service.h"

#include <array>
#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "adapters/compiled_model.h"
#include "adapters/engine.h"
#include "adapters/status_macros.h"
#include "adapters/plan.h"
#include "server/convert.h"
#include "spdlog/spdlog.h"

namespace hbprep {
namespace {

using Clock = std::chrono::steady_clock;

int64_t MicrosSince(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count();
}

// Cancellation and deadline, checked before and between stages.
absl::Status CheckContinue(grpc::CallbackServerContext* context) {
  if (context == nullptr) return absl::OkStatus();
  // The deadline first: a client whose deadline passed also sees its call cancelled.
  if (context->deadline() <= std::chrono::system_clock::now()) {
    return absl::DeadlineExceededError("the request's deadline passed before its work was done");
  }
  if (context->IsCancelled()) return absl::CancelledError("the client cancelled the request");
  return absl::OkStatus();
}

// Constant-time comparison, so a wrong token's timing says nothing about the right one.
bool SameToken(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

std::string Busy(const WorkerPool& pool) {
  return absl::StrCat("server busy: ", pool.threads(), " workers and ", pool.queue_capacity(),
                      " queued requests; retry later");
}

// The error once, at the edge: client mistakes at info, server faults at error.
void LogFailure(const char* method, const absl::Status& status) {
  if (status.ok()) return;
  if (status.code() == absl::StatusCode::kInternal || status.code() == absl::StatusCode::kUnknown) {
    spdlog::error("{} failed: {}", method, status.ToString());
  } else {
    spdlog::info("{} refused: {}", method, status.ToString());
  }
}

// Runs one unary RPC's work on the pool and finishes it, or refuses it at once. `record`
// sees every outcome, refusals included, for the metrics.
template <typename Work, typename Record>
grpc::ServerUnaryReactor* Submit(InputAdapterService* service, const char* method,
                                 grpc::CallbackServerContext* context, Work work, Record record) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (absl::Status auth = service->Authorize(context); !auth.ok()) {
    LogFailure(method, auth);
    record(auth);
    reactor->Finish(ToGrpcStatus(auth));
    return reactor;
  }
  const bool accepted = service->pool()->TrySubmit([reactor, context, method, work, record] {
    absl::Status status = CheckContinue(context);
    if (status.ok()) status = work();
    LogFailure(method, status);
    record(status);
    reactor->Finish(ToGrpcStatus(status));
  });
  if (accepted) {
    spdlog::debug("{} accepted, {} queued", method, service->pool()->queued());
  } else {
    const absl::Status busy = absl::ResourceExhaustedError(Busy(*service->pool()));
    LogFailure(method, busy);
    record(busy);
    reactor->Finish(ToGrpcStatus(busy));
  }
  return reactor;
}

// The metrics of one Prepare (unary or a stream's request).
void RecordPrepare(Metrics* metrics, const char* method, const v1::PrepareRequest& request,
                   const v1::PrepareResponse& response, const absl::Status& status,
                   int64_t total_us) {
  const bool inline_model = request.model_case() == v1::PrepareRequest::kInlineDescriptor;
  const std::string model =
      response.model().empty() ? "unknown" : (inline_model ? "inline" : response.model());
  const v1::Timing& timing = response.timing();
  std::array<int64_t, Metrics::kStageCount> stages;
  stages.fill(-1);
  stages[Metrics::kQueue] = timing.queue_us();
  stages[Metrics::kTotal] = total_us;
  if (status.ok()) {
    stages[Metrics::kDecode] = timing.decode_us();
    stages[Metrics::kTransform] = timing.transform_us();
    stages[Metrics::kPack] = timing.pack_us();
  }
  metrics->Record(method, model, ToString(FromProto(request.target())),
                  absl::StatusCodeToString(status.code()),
                  static_cast<int64_t>(request.ByteSizeLong()),
                  status.ok() ? static_cast<int64_t>(response.ByteSizeLong()) : 0, stages);
}

void RecordOther(Metrics* metrics, const char* method, const absl::Status& status) {
  std::array<int64_t, Metrics::kStageCount> stages;
  stages.fill(-1);
  metrics->Record(method, "", "", absl::StatusCodeToString(status.code()), 0, 0, stages);
}

// PrepareStream: requests are read, prepared and answered one at a time, so responses keep
// the request order; streams run concurrently with each other.
class PrepareStreamReactor final
    : public grpc::ServerBidiReactor<v1::PrepareRequest, v1::PrepareResponse> {
 public:
  PrepareStreamReactor(InputAdapterService* service, grpc::CallbackServerContext* context)
      : service_(service), context_(context) {
    if (absl::Status auth = service_->Authorize(context_); !auth.ok()) {
      LogFailure("PrepareStream", auth);
      Finish(ToGrpcStatus(auth));
      return;
    }
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {  // the client finished sending (or went away)
      Finish(grpc::Status::OK);
      return;
    }
    response_.Clear();
    if (!service_->pool()->TrySubmit([this] { Process(); })) {
      const absl::Status busy = absl::ResourceExhaustedError(Busy(*service_->pool()));
      RecordPrepare(service_->metrics(), "PrepareStream", request_, response_, busy, 0);
      Fail(busy);
    }
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status(grpc::StatusCode::CANCELLED, "the stream was closed"));
      return;
    }
    StartRead(&request_);
  }

  void OnDone() override { delete this; }

 private:
  void Process() {
    const auto start = Clock::now();
    absl::Status status = CheckContinue(context_);
    if (status.ok()) status = service_->RunPrepare(request_, &response_, context_);
    RecordPrepare(service_->metrics(), "PrepareStream", request_, response_, status,
                  MicrosSince(start));
    if (status.ok()) {
      StartWrite(&response_);
    } else {
      Fail(status);
    }
  }

  void Fail(const absl::Status& status) {
    LogFailure("PrepareStream", status);
    if (request_.options().stop_stream_on_error() || absl::IsCancelled(status)) {
      Finish(ToGrpcStatus(status));
      return;
    }
    response_.Clear();
    response_.set_request_id(request_.request_id());
    response_.mutable_error()->set_code(static_cast<int>(status.code()));
    response_.mutable_error()->set_message(std::string(status.message()));
    StartWrite(&response_);
  }

  InputAdapterService* service_;
  grpc::CallbackServerContext* context_;
  v1::PrepareRequest request_;
  v1::PrepareResponse response_;
};

}  // namespace

InputAdapterService::InputAdapterService(const ServerOptions& options, ModelStore* store,
                                         WorkerPool* pool, Metrics* metrics)
    : options_(options), store_(store), pool_(pool), metrics_(metrics) {}

absl::Status InputAdapterService::Authorize(const grpc::CallbackServerContext* context) const {
  if (options_.auth_token.empty()) return absl::OkStatus();
  const auto& metadata = context->client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) {
    return absl::UnauthenticatedError("missing 'authorization: Bearer <token>' metadata");
  }
  const std::string value(it->second.data(), it->second.size());
  if (!SameToken(value, "Bearer " + options_.auth_token)) {
    return absl::UnauthenticatedError("wrong token");
  }
  return absl::OkStatus();
}

absl::StatusOr<Descriptor> InputAdapterService::Resolve(
    bool by_name, const std::string& name, const v1::ModelDescriptor& inline_descriptor,
    std::vector<std::string>* warnings) const {
  if (by_name) {
    std::shared_ptr<const Repository> repository = store_->snapshot();
    auto it = repository->models.find(name);
    if (it == repository->models.end()) {
      std::vector<std::string> known;
      for (const auto& [known_name, model] : repository->models) known.push_back(known_name);
      return absl::NotFoundError(
          absl::StrCat("model '", name,
                       "' is not in the repository (models: ", absl::StrJoin(known, ", "), ")"));
    }
    // As the CLI shows them: the yaml's and the model info's warnings come with the model.
    warnings->insert(warnings->end(), it->second.warnings.begin(), it->second.warnings.end());
    return it->second.descriptor;
  }
  std::string yaml;
  switch (inline_descriptor.source_case()) {
    case v1::ModelDescriptor::kYaml:
      yaml = inline_descriptor.yaml();
      break;
    case v1::ModelDescriptor::kStructured:
      yaml = ToYaml(inline_descriptor.structured());
      break;
    default:
      return absl::InvalidArgumentError(
          "the request names no model: set model_name or inline_descriptor (yaml or structured)");
  }
  const std::string model = inline_descriptor.name().empty() ? "inline" : inline_descriptor.name();
  ParseOptions parse;
  parse.source = absl::StrCat("inline descriptor '", model, "'");
  HBPREP_ASSIGN_OR_RETURN(Descriptor descriptor, ParseDescriptor(yaml, model, parse, warnings));
  if (!inline_descriptor.model_info().empty()) {
    const std::string what = absl::StrCat("model info of '", model, "'");
    HBPREP_ASSIGN_OR_RETURN(std::vector<ModelInfoModel> models,
                            ParseModelInfo(inline_descriptor.model_info(), what));
    HBPREP_RETURN_IF_ERROR(AttachModelInfo(models, what, &descriptor, warnings));
  }
  return descriptor;
}

absl::Status InputAdapterService::RunPrepare(const v1::PrepareRequest& request,
                                             v1::PrepareResponse* response,
                                             grpc::CallbackServerContext* context) {
  const auto start = Clock::now();
  std::vector<std::string> warnings;
  absl::StatusOr<Descriptor> descriptor =
      Resolve(request.model_case() == v1::PrepareRequest::kModelName, request.model_name(),
              request.inline_descriptor(), &warnings);
  if (!descriptor.ok()) return descriptor.status();
  response->set_model(descriptor->name);
  if (!request.descriptor_hash().empty()) {
    const std::string hash = DescriptorHash(*descriptor);
    if (hash != request.descriptor_hash()) {
      return absl::FailedPreconditionError(
          absl::StrCat("model '", descriptor->name, "' has descriptor hash ", hash,
                       " but the request is pinned to ", request.descriptor_hash()));
    }
  }
  std::vector<InputImage> images;
  PrepareOptions options;
  if (absl::Status converted = FromProto(request, &images, &options); !converted.ok()) {
    return converted;
  }
  options.max_width = options.max_height = options_.max_side;
  options.max_pixels = options_.max_pixels;
  options.check_continue = [context] { return CheckContinue(context); };
  absl::StatusOr<Prepared> prepared = hbprep::Prepare(*descriptor, images, options);
  if (!prepared.ok()) return prepared.status();
  prepared->warnings.insert(prepared->warnings.begin(), warnings.begin(), warnings.end());
  ToProto(*prepared, request.options().packing(), response);
  response->set_request_id(request.request_id());
  response->mutable_timing()->set_total_us(MicrosSince(start));
  spdlog::debug("Prepare model={} target={} images={} tensors={} us={}", descriptor->name,
                std::string(ToString(options.target)), images.size(), prepared->tensors.size(),
                MicrosSince(start));
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* InputAdapterService::Prepare(grpc::CallbackServerContext* context,
                                                       const v1::PrepareRequest* request,
                                                       v1::PrepareResponse* response) {
  const auto queued = Clock::now();
  return Submit(
      this, "Prepare", context,
      [this, context, request, response, queued] {
        const int64_t queue_us = MicrosSince(queued);
        absl::Status status = RunPrepare(*request, response, context);
        response->mutable_timing()->set_queue_us(queue_us);
        return status;
      },
      [this, request, response, queued](const absl::Status& status) {
        RecordPrepare(metrics_, "Prepare", *request, *response, status, MicrosSince(queued));
      });
}

grpc::ServerBidiReactor<v1::PrepareRequest, v1::PrepareResponse>*
InputAdapterService::PrepareStream(grpc::CallbackServerContext* context) {
  return new PrepareStreamReactor(this, context);
}

grpc::ServerUnaryReactor* InputAdapterService::ListModels(grpc::CallbackServerContext* context,
                                                          const v1::ListModelsRequest*,
                                                          v1::ListModelsResponse* response) {
  return Submit(
      this, "ListModels", context,
      [this, response] {
        std::shared_ptr<const Repository> repository = store_->snapshot();
        for (const auto& [name, model] : repository->models) {
          v1::ModelSummary* summary = response->add_models();
          summary->set_name(name);
          summary->set_march(std::string(model.descriptor.chip->march));
          summary->set_descriptor_hash(DescriptorHash(model.descriptor));
          for (const InputDescriptor& input : model.descriptor.inputs)
            summary->add_inputs(input.name);
        }
        for (const std::string& error : repository->errors) response->add_errors(error);
        return absl::OkStatus();
      },
      [this](const absl::Status& status) { RecordOther(metrics_, "ListModels", status); });
}

grpc::ServerUnaryReactor* InputAdapterService::DescribeModel(
    grpc::CallbackServerContext* context, const v1::DescribeModelRequest* request,
    v1::DescribeModelResponse* response) {
  return Submit(
      this, "DescribeModel", context,
      [this, request, response] {
        std::vector<std::string> warnings;
        absl::StatusOr<Descriptor> descriptor =
            Resolve(request->model_case() == v1::DescribeModelRequest::kModelName,
                    request->model_name(), request->inline_descriptor(), &warnings);
        if (!descriptor.ok()) return descriptor.status();
        const Target target = FromProto(request->target());
        Plan plan = ResolvePlan(*descriptor, target);
        plan.warnings = std::move(warnings);
        ToProto(plan, response);
        for (int index : ImageBindings(*descriptor, target)) {
          const InputDescriptor& input = descriptor->inputs[index];
          v1::Binding* binding = response->add_bindings();
          binding->set_input(input.name);
          binding->set_image(input.is_image());
          binding->set_resizer(input.is_image() && input.source == InputSource::kResizer &&
                               target == Target::kBoard);
        }
        return absl::OkStatus();
      },
      [this](const absl::Status& status) { RecordOther(metrics_, "DescribeModel", status); });
}

}  // namespace hbprep
