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

// PrepareStream: requests are read, prepared and answered one at a time, so responses keep
// the request order; streams run concurrently with each other.
class PrepareStreamReactor final
    : public grpc::ServerBidiReactor<v1::PrepareRequest, v1::PrepareResponse> {
 public:
  PrepareStreamReactor(InputAdapterService* service, grpc::CallbackServerContext* context)
      : service_(service), call_(context) {
    if (absl::Status auth = Authorize(service_->options(), call_); !auth.ok()) {
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
      const absl::Status busy = BusyError(*service_->pool());
      RecordPrepare(service_->metrics(), "PrepareStream", request_, response_, busy, 0);
      Fail(busy);
    }
  }

  void OnWriteDone(bool ok) override {
    hold_.Reset();  // the response is sent: its memory goes back to the budget
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
    absl::Status status = CheckContinue(&call_);
    if (status.ok()) {
      status = Guarded([&] { return service_->RunPrepare(request_, &response_, &call_, &hold_); });
    }
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
    response_.mutable_error()->set_message(StatusText(status));
    StartWrite(&response_);
  }

  InputAdapterService* service_;
  const GrpcCallContext call_;
  v1::PrepareRequest request_;
  v1::PrepareResponse response_;
  // The memory of the one request in flight; a stream reads its next request only once this
  // response is written, so a client that does not read holds one response, charged to the
  // budget.
  MemoryBudget::Reservation hold_;
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
  return new PrepareStreamReactor(this, context);
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
