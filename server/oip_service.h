// The Open Inference Protocol (KServe v2) service, inference.GRPCInferenceService, beside
// hbprep.v1 on the same ports: each repository model is the inference model of its name,
// version "1" (server/oip_convert.h says how its inputs and outputs look).
//
// ServerLive and ServerReady answer at once and without a token, like grpc.health.v1;
// every other call needs the token when the server has one. ModelMetadata and the infer calls
// run on the worker pool under the same limits as hbprep.v1, and are counted in the same
// metrics.
#ifndef HBPREP_SERVER_OIP_SERVICE_H_
#define HBPREP_SERVER_OIP_SERVICE_H_

#include <atomic>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "inference/grpc_predict_v2.grpc.pb.h"
#include "server/call_context.h"
#include "server/metrics.h"
#include "server/model_store.h"
#include "server/memory_budget.h"
#include "server/options.h"
#include "server/worker_pool.h"

namespace hbprep {

class InferenceService final : public inference::GRPCInferenceService::CallbackService {
 public:
  // `store`, `pool`, `metrics` and `budget` must outlive the service.
  InferenceService(const ServerOptions& options, ModelStore* store, WorkerPool* pool,
                   Metrics* metrics, MemoryBudget* budget);

  // What ServerReady and ModelReady say: true while the server serves, false while it drains.
  void SetReady(bool ready) { ready_.store(ready); }

  grpc::ServerUnaryReactor* ServerLive(grpc::CallbackServerContext* context,
                                       const inference::ServerLiveRequest* request,
                                       inference::ServerLiveResponse* response) override;
  grpc::ServerUnaryReactor* ServerReady(grpc::CallbackServerContext* context,
                                        const inference::ServerReadyRequest* request,
                                        inference::ServerReadyResponse* response) override;
  grpc::ServerUnaryReactor* ModelReady(grpc::CallbackServerContext* context,
                                       const inference::ModelReadyRequest* request,
                                       inference::ModelReadyResponse* response) override;
  grpc::ServerUnaryReactor* ServerMetadata(grpc::CallbackServerContext* context,
                                           const inference::ServerMetadataRequest* request,
                                           inference::ServerMetadataResponse* response) override;
  grpc::ServerUnaryReactor* ModelMetadata(grpc::CallbackServerContext* context,
                                          const inference::ModelMetadataRequest* request,
                                          inference::ModelMetadataResponse* response) override;
  grpc::ServerUnaryReactor* ModelInfer(grpc::CallbackServerContext* context,
                                       const inference::ModelInferRequest* request,
                                       inference::ModelInferResponse* response) override;
  grpc::ServerBidiReactor<inference::ModelInferRequest, inference::ModelStreamInferResponse>*
  ModelStreamInfer(grpc::CallbackServerContext* context) override;

  // What the metrics record of one infer request.
  struct InferStats {
    std::string model = "unknown";  // a repository model's name, never the client's text
    std::string target = "board";
    int64_t decode_us = -1, transform_us = -1, pack_us = -1;  // -1: not reached
    int64_t queue_us = 0;  // waiting for a worker
  };
  // One infer request, on the calling (worker) thread; its memory is reserved into `hold`,
  // which the caller keeps until the response is sent.
  absl::Status RunInfer(const inference::ModelInferRequest& request,
                        inference::ModelInferResponse* response,
                        const CallContext* call, InferStats* stats,
                        MemoryBudget::Reservation* hold);
  // The protocol-free cores of the cheap calls, for the HTTP front end (server/http_service.h).
  bool ready() const { return ready_.load(); }
  bool ModelIsReady(const std::string& name, const std::string& version) const;
  static void FillServerMetadata(inference::ServerMetadataResponse* response);
  absl::Status RunModelMetadata(const inference::ModelMetadataRequest& request,
                                inference::ModelMetadataResponse* response);
  // Counts one infer request in `metrics`; `protocol` as Metrics::Record takes it.
  static void RecordInfer(Metrics* metrics, const char* method, int64_t bytes_in,
                          int64_t bytes_out, const absl::Status& status, const InferStats& stats,
                          int64_t total_us, absl::string_view protocol = "");
  const ServerOptions& options() const { return options_; }
  WorkerPool* pool() { return pool_; }
  Metrics* metrics() { return metrics_; }

 private:
  const ServerOptions& options_;
  ModelStore* store_;
  WorkerPool* pool_;
  Metrics* metrics_;
  MemoryBudget* budget_;
  std::atomic<bool> ready_{false};
};

}  // namespace hbprep

#endif  // HBPREP_SERVER_OIP_SERVICE_H_
