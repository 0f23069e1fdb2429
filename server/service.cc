#include "server/service.h"

#include <array>
#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "adapters/echo.h"
#include "hbprep/compiled_model.h"
#include "hbprep/engine.h"
#include "hbprep/identity.h"
#include "hbprep/plan.h"
#include "hbprep/status_macros.h"
#include "server/convert.h"
#include "server/grpc_call.h"
#include "server/rpc.h"
#include "spdlog/spdlog.h"

namespace hbprep {
namespace {

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
  const absl::StatusOr<Target> target = FromProto(request.target());
  const absl::string_view target_name =
      target.ok() ? ToString(*target) : absl::string_view("unknown");
  metrics->Record(method, model, target_name,
                  absl::StatusCodeToString(status.code()),
                  static_cast<int64_t>(request.ByteSizeLong()),
                  status.ok() ? static_cast<int64_t>(response.ByteSizeLong()) : 0, stages);
}

// PrepareStream's part of the ordered stream (server/grpc_call.h): a failed request is
// answered in its response's error field, unless the request says stop_stream_on_error.
class PrepareStreamHandler {
 public:
  using Request = v1::PrepareRequest;
  using Response = v1::PrepareResponse;
  static constexpr char kMethod[] = "PrepareStream";
  struct Tally {
    explicit Tally(Clock::time_point /*queued*/) {}
    Clock::time_point start = Clock::now();  // the worker took the request
  };

  explicit PrepareStreamHandler(InputAdapterService* service) : service_(service) {}
  const ServerOptions& options() const { return service_->options(); }
  WorkerPool* pool() const { return service_->pool(); }
  void RecordRefused(const absl::Status&) const {}
  void RecordBusy(const Request& request, const Response& response,
                  const absl::Status& status) const {
    RecordPrepare(service_->metrics(), kMethod, request, response, status, 0);
  }
  absl::Status Run(const Request& request, Response* response, const CallContext& call,
                   MemoryBudget::Reservation* hold, Tally*) const {
    return service_->RunPrepare(request, response, &call, hold);
  }
  void Record(const Request& request, const Response& response, const absl::Status& status,
              const Tally& tally) const {
    RecordPrepare(service_->metrics(), kMethod, request, response, status,
                  MicrosSince(tally.start));
  }
  bool EndsStream(const Request& request, const absl::Status& status) const {
    return request.options().stop_stream_on_error() || absl::IsCancelled(status);
  }
  void ToErrorResponse(const Request& request, const absl::Status& status,
                       Response* response) const {
    response->set_request_id(request.request_id());
    response->mutable_error()->set_code(static_cast<int>(status.code()));
    response->mutable_error()->set_message(StatusText(status));
  }

 private:
  InputAdapterService* service_;
};

}  // namespace

InputAdapterService::InputAdapterService(const ServerOptions& options, ModelStore* store,
                                         WorkerPool* pool, Metrics* metrics, MemoryBudget* budget)
    : options_(options), store_(store), pool_(pool), metrics_(metrics), budget_(budget) {}

absl::StatusOr<Descriptor> InputAdapterService::Resolve(
    bool by_name, const std::string& name, const v1::ModelDescriptor& inline_descriptor,
    std::vector<std::string>* warnings) const {
  if (by_name) {
    std::shared_ptr<const Repository> repository = store_->snapshot();
    HBPREP_ASSIGN_OR_RETURN(const RepositoryModel* model, FindModel(*repository, name));
    // As the CLI shows them: the yaml's and the model info's warnings come with the model.
    warnings->insert(warnings->end(), model->warnings.begin(), model->warnings.end());
    return model->descriptor;
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
  parse.source = absl::StrCat("inline descriptor '", Echo(model), "'");
  HBPREP_ASSIGN_OR_RETURN(Descriptor descriptor, ParseDescriptor(yaml, model, parse, warnings));
  if (!inline_descriptor.model_info().empty()) {
    const std::string what = absl::StrCat("model info of '", Echo(model), "'");
    HBPREP_ASSIGN_OR_RETURN(std::vector<ModelInfoModel> models,
                            ParseModelInfo(inline_descriptor.model_info(), what));
    HBPREP_RETURN_IF_ERROR(AttachModelInfo(models, what, &descriptor, warnings));
  }
  return descriptor;
}

absl::Status InputAdapterService::RunPrepare(const v1::PrepareRequest& request,
                                             v1::PrepareResponse* response,
                                             const CallContext* call,
                                             MemoryBudget::Reservation* hold) {
  const auto start = Clock::now();
  std::vector<std::string> warnings;
  absl::StatusOr<Descriptor> descriptor =
      Resolve(request.model_case() == v1::PrepareRequest::kModelName, request.model_name(),
              request.inline_descriptor(), &warnings);
  if (!descriptor.ok()) return descriptor.status();
  response->set_model(descriptor->name);
  HBPREP_RETURN_IF_ERROR(CheckPinnedHash(*descriptor, request.descriptor_hash()));
  std::vector<InputImage> images;
  PrepareOptions options;
  if (absl::Status converted = FromProto(request, &images, &options); !converted.ok()) {
    return converted;
  }
  absl::StatusOr<Prepared> prepared =
      PrepareForCall(options_, budget_, *descriptor, images, options, warnings, call, hold);
  if (!prepared.ok()) return prepared.status();
  HBPREP_RETURN_IF_ERROR(ToProto(&*prepared, request.options().packing(), response));
  response->set_request_id(request.request_id());
  response->mutable_timing()->set_total_us(MicrosSince(start));
  spdlog::debug("Prepare model={} target={} images={} tensors={} us={}", Echo(descriptor->name),
                std::string(ToString(options.target)), images.size(), prepared->tensors.size(),
                MicrosSince(start));
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* InputAdapterService::Prepare(grpc::CallbackServerContext* context,
                                                       const v1::PrepareRequest* request,
                                                       v1::PrepareResponse* response) {
  const auto queued = Clock::now();
  return SubmitUnary(
      options_, pool_, "Prepare", context,
      [this, request, response, queued](const CallContext& call,
                                        MemoryBudget::Reservation* hold) {
        const int64_t queue_us = MicrosSince(queued);
        absl::Status status = RunPrepare(*request, response, &call, hold);
        response->mutable_timing()->set_queue_us(queue_us);
        return status;
      },
      [this, request, response, queued](const absl::Status& status) {
        RecordPrepare(metrics_, "Prepare", *request, *response, status, MicrosSince(queued));
      });
}

grpc::ServerBidiReactor<v1::PrepareRequest, v1::PrepareResponse>*
InputAdapterService::PrepareStream(grpc::CallbackServerContext* context) {
  return new OrderedStreamReactor<PrepareStreamHandler>(PrepareStreamHandler(this), context);
}

grpc::ServerUnaryReactor* InputAdapterService::ListModels(grpc::CallbackServerContext* context,
                                                          const v1::ListModelsRequest*,
                                                          v1::ListModelsResponse* response) {
  return SubmitUnary(
      options_, pool_, "ListModels", context,
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
      [this](const absl::Status& status) { RecordCall(metrics_, "ListModels", status); });
}

grpc::ServerUnaryReactor* InputAdapterService::DescribeModel(
    grpc::CallbackServerContext* context, const v1::DescribeModelRequest* request,
    v1::DescribeModelResponse* response) {
  return SubmitUnary(
      options_, pool_, "DescribeModel", context,
      [this, request, response] {
        std::vector<std::string> warnings;
        absl::StatusOr<Descriptor> descriptor =
            Resolve(request->model_case() == v1::DescribeModelRequest::kModelName,
                    request->model_name(), request->inline_descriptor(), &warnings);
        if (!descriptor.ok()) return descriptor.status();
        const absl::StatusOr<Target> known = FromProto(request->target());
        if (!known.ok()) return known.status();
        const Target target = *known;
        if (absl::Status applies = CheckTarget(*descriptor, target); !applies.ok()) {
          return applies;
        }
        Plan plan = ResolvePlan(*descriptor, target);
        plan.warnings = std::move(warnings);
        ToProto(plan, response);
        for (int index : ImageBindings(*descriptor, target)) {
          const InputDescriptor& input = descriptor->inputs[index];
          v1::Binding* binding = response->add_bindings();
          binding->set_input(input.name);
          binding->set_image(input.is_image());
          binding->set_resizer(TakesRoi(input, target));
        }
        return absl::OkStatus();
      },
      [this](const absl::Status& status) { RecordCall(metrics_, "DescribeModel", status); });
}

}  // namespace hbprep
