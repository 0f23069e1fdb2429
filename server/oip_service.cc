#include "server/oip_service.h"

#include <array>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "hbprep/engine.h"
#include "hbprep/status_macros.h"
#include "server/convert.h"
#include "server/oip_convert.h"
#include "server/grpc_call.h"
#include "server/rpc.h"
#include "spdlog/spdlog.h"

namespace hbprep {
namespace {

using inference::ModelInferRequest;
using inference::ModelInferResponse;
using inference::ModelStreamInferResponse;

void RecordInferMessages(Metrics* metrics, const char* method, const ModelInferRequest& request,
                         const ModelInferResponse& response, const absl::Status& status,
                         const InferenceService::InferStats& stats, int64_t total_us) {
  InferenceService::RecordInfer(metrics, method, static_cast<int64_t>(request.ByteSizeLong()),
                                status.ok() ? static_cast<int64_t>(response.ByteSizeLong()) : 0,
                                status, stats, total_us);
}

// Answers a cheap call on gRPC's own thread (health-like calls must answer under load).
template <typename Work>
grpc::ServerUnaryReactor* AnswerNow(InferenceService* service, const char* method,
                                    grpc::CallbackServerContext* context, bool authorize,
                                    Work work) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::Status status =
      authorize ? Authorize(service->options(), GrpcCallContext(context)) : absl::OkStatus();
  if (status.ok()) status = work();
  LogFailure(method, status);
  RecordCall(service->metrics(), method, status);
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

// ModelStreamInfer as Triton publishes it, on the ordered stream (server/grpc_call.h): a
// failed request is answered with error_message (the native API's message) and the stream goes
// on, until the client cancels or the stream's deadline passes.
class InferStreamHandler {
 public:
  using Request = ModelInferRequest;
  using Response = ModelStreamInferResponse;
  static constexpr char kMethod[] = "ModelStreamInfer";
  struct Tally {
    explicit Tally(Clock::time_point queued_at) : queued(queued_at) {
      stats.queue_us = MicrosSince(queued);
    }
    Clock::time_point queued;  // the request was read
    InferenceService::InferStats stats;
  };

  explicit InferStreamHandler(InferenceService* service) : service_(service) {}
  const ServerOptions& options() const { return service_->options(); }
  WorkerPool* pool() const { return service_->pool(); }
  void RecordRefused(const absl::Status& status) const {
    RecordCall(service_->metrics(), kMethod, status);
  }
  void RecordBusy(const Request& request, const Response& response,
                  const absl::Status& status) const {
    RecordInferMessages(service_->metrics(), kMethod, request, response.infer_response(), status,
                        {}, 0);
  }
  absl::Status Run(const Request& request, Response* response, const CallContext& call,
                   MemoryBudget::Reservation* hold, Tally* tally) const {
    return service_->RunInfer(request, response->mutable_infer_response(), &call, &tally->stats,
                              hold);
  }
  void Record(const Request& request, const Response& response, const absl::Status& status,
              const Tally& tally) const {
    RecordInferMessages(service_->metrics(), kMethod, request, response.infer_response(), status,
                        tally.stats, MicrosSince(tally.queued));
  }
  bool EndsStream(const Request&, const absl::Status& status) const {
    return absl::IsCancelled(status) || absl::IsDeadlineExceeded(status);
  }
  void ToErrorResponse(const Request& request, const absl::Status& status,
                       Response* response) const {
    response->set_error_message(StatusText(status));
    ModelInferResponse* answer = response->mutable_infer_response();
    answer->set_model_name(request.model_name());
    answer->set_model_version(request.model_version());
    answer->set_id(request.id());
    (*answer->mutable_parameters())["error_code"].set_string_param(
        absl::StatusCodeToString(status.code()));
  }

 private:
  InferenceService* service_;
};

}  // namespace

void InferenceService::RecordInfer(Metrics* metrics, const char* method, int64_t bytes_in,
                                   int64_t bytes_out, const absl::Status& status,
                                   const InferStats& stats, int64_t total_us,
                                   absl::string_view protocol) {
  std::array<int64_t, Metrics::kStageCount> stages;
  stages.fill(-1);
  stages[Metrics::kQueue] = stats.queue_us;
  stages[Metrics::kTotal] = total_us;
  if (status.ok()) {
    stages[Metrics::kDecode] = stats.decode_us;
    stages[Metrics::kTransform] = stats.transform_us;
    stages[Metrics::kPack] = stats.pack_us;
  }
  metrics->Record(method, stats.model, stats.target, absl::StatusCodeToString(status.code()),
                  bytes_in, status.ok() ? bytes_out : 0, stages, protocol);
}

bool InferenceService::ModelIsReady(const std::string& name, const std::string& version) const {
  const std::shared_ptr<const Repository> repository = store_->snapshot();
  return ready_.load() && repository->models.count(name) > 0 &&
         oip::CheckVersion(name, version).ok();
}

void InferenceService::FillServerMetadata(inference::ServerMetadataResponse* response) {
  response->set_name("hbprep");
  response->set_version(LibraryVersions().front().second);
  response->add_extensions("parameters");
}

absl::Status InferenceService::RunModelMetadata(const inference::ModelMetadataRequest& request,
                                                inference::ModelMetadataResponse* response) {
  const std::shared_ptr<const Repository> repository = store_->snapshot();
  HBPREP_ASSIGN_OR_RETURN(const RepositoryModel* model, FindModel(*repository, request.name()));
  HBPREP_RETURN_IF_ERROR(oip::CheckVersion(request.name(), request.version()));
  HBPREP_RETURN_IF_ERROR(oip::CheckServable(model->descriptor));
  oip::ToMetadata(model->descriptor, response);
  return absl::OkStatus();
}

InferenceService::InferenceService(const ServerOptions& options, ModelStore* store,
                                   WorkerPool* pool, Metrics* metrics, MemoryBudget* budget)
    : options_(options), store_(store), pool_(pool), metrics_(metrics), budget_(budget) {}

grpc::ServerUnaryReactor* InferenceService::ServerLive(grpc::CallbackServerContext* context,
                                                       const inference::ServerLiveRequest*,
                                                       inference::ServerLiveResponse* response) {
  return AnswerNow(this, "ServerLive", context, /*authorize=*/false, [response] {
    response->set_live(true);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* InferenceService::ServerReady(grpc::CallbackServerContext* context,
                                                        const inference::ServerReadyRequest*,
                                                        inference::ServerReadyResponse* response) {
  return AnswerNow(this, "ServerReady", context, /*authorize=*/false, [this, response] {
    response->set_ready(ready_.load());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* InferenceService::ModelReady(grpc::CallbackServerContext* context,
                                                       const inference::ModelReadyRequest* request,
                                                       inference::ModelReadyResponse* response) {
  return AnswerNow(this, "ModelReady", context, /*authorize=*/true, [this, request, response] {
    response->set_ready(ModelIsReady(request->name(), request->version()));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* InferenceService::ServerMetadata(
    grpc::CallbackServerContext* context, const inference::ServerMetadataRequest*,
    inference::ServerMetadataResponse* response) {
  return AnswerNow(this, "ServerMetadata", context, /*authorize=*/true, [response] {
    FillServerMetadata(response);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* InferenceService::ModelMetadata(
    grpc::CallbackServerContext* context, const inference::ModelMetadataRequest* request,
    inference::ModelMetadataResponse* response) {
  return SubmitUnary(
      options_, pool_, "ModelMetadata", context,
      [this, request, response] { return RunModelMetadata(*request, response); },
      [this](const absl::Status& status) { RecordCall(metrics_, "ModelMetadata", status); });
}

absl::Status InferenceService::RunInfer(const ModelInferRequest& request,
                                        ModelInferResponse* response,
                                        const CallContext* call, InferStats* stats,
                                        MemoryBudget::Reservation* hold) {
  const std::shared_ptr<const Repository> repository = store_->snapshot();
  HBPREP_ASSIGN_OR_RETURN(const RepositoryModel* model,
                          FindModel(*repository, request.model_name()));
  stats->model = request.model_name();
  HBPREP_RETURN_IF_ERROR(oip::CheckVersion(request.model_name(), request.model_version()));
  HBPREP_ASSIGN_OR_RETURN(oip::InferCall infer,
                          oip::FromInferRequest(request, model->descriptor));
  stats->target = std::string(ToString(infer.options.target));
  HBPREP_RETURN_IF_ERROR(CheckPinnedHash(model->descriptor, infer.pinned_hash));
  std::vector<std::string> warnings = model->warnings;
  warnings.insert(warnings.end(), infer.warnings.begin(), infer.warnings.end());
  HBPREP_ASSIGN_OR_RETURN(
      const Prepared prepared,
      PrepareForCall(options_, budget_, model->descriptor, infer.images, infer.options, warnings,
                     call, hold));
  stats->decode_us = prepared.decode_us;
  stats->transform_us = prepared.transform_us;
  stats->pack_us = prepared.pack_us;
  spdlog::debug("ModelInfer model={} target={} images={} tensors={}", model->descriptor.name,
                stats->target, infer.images.size(), prepared.tensors.size());
  return oip::ToInferResponse(request, prepared, response);
}

grpc::ServerUnaryReactor* InferenceService::ModelInfer(grpc::CallbackServerContext* context,
                                                       const ModelInferRequest* request,
                                                       ModelInferResponse* response) {
  const auto queued = Clock::now();
  auto stats = std::make_shared<InferStats>();  // filled on the worker, read by `record`
  return SubmitUnary(
      options_, pool_, "ModelInfer", context,
      [this, request, response, queued, stats](const CallContext& call,
                                               MemoryBudget::Reservation* hold) {
        stats->queue_us = MicrosSince(queued);
        return RunInfer(*request, response, &call, stats.get(), hold);
      },
      [this, request, response, queued, stats](const absl::Status& status) {
        RecordInferMessages(metrics_, "ModelInfer", *request, *response, status, *stats,
                            MicrosSince(queued));
      });
}

grpc::ServerBidiReactor<ModelInferRequest, ModelStreamInferResponse>*
InferenceService::ModelStreamInfer(grpc::CallbackServerContext* context) {
  return new OrderedStreamReactor<InferStreamHandler>(InferStreamHandler(this), context);
}

}  // namespace hbprep
