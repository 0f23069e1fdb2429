// The hbprep.v1.InputAdapter service on gRPC's callback API. Handlers stay thin: they check
// auth, hand the work to the worker pool (or refuse it at once when the pool's queue is
// full), and convert the engine's status at the edge, where it is logged once.
#ifndef HBPREP_SERVER_SERVICE_H_
#define HBPREP_SERVER_SERVICE_H_

#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "hbprep/descriptor.h"
#include "hbprep/v1/hbprep.grpc.pb.h"
#include "server/call_context.h"
#include "server/memory_budget.h"
#include "server/metrics.h"
#include "server/model_store.h"
#include "server/options.h"
#include "server/worker_pool.h"

namespace hbprep {

class InputAdapterService final : public v1::InputAdapter::CallbackService {
 public:
  // `store`, `pool`, `metrics` and `budget` must outlive the service.
  InputAdapterService(const ServerOptions& options, ModelStore* store, WorkerPool* pool,
                      Metrics* metrics, MemoryBudget* budget);

  grpc::ServerUnaryReactor* Prepare(grpc::CallbackServerContext* context,
                                    const v1::PrepareRequest* request,
                                    v1::PrepareResponse* response) override;
  grpc::ServerBidiReactor<v1::PrepareRequest, v1::PrepareResponse>* PrepareStream(
      grpc::CallbackServerContext* context) override;
  grpc::ServerUnaryReactor* ListModels(grpc::CallbackServerContext* context,
                                       const v1::ListModelsRequest* request,
                                       v1::ListModelsResponse* response) override;
  grpc::ServerUnaryReactor* DescribeModel(grpc::CallbackServerContext* context,
                                          const v1::DescribeModelRequest* request,
                                          v1::DescribeModelResponse* response) override;

  // One request, on the calling (worker) thread. `call` (may be null) is checked for
  // cancellation and the deadline before and between stages. The request's memory is reserved into `hold`,
  // which the caller keeps until the response is sent.
  absl::Status RunPrepare(const v1::PrepareRequest& request, v1::PrepareResponse* response,
                          const CallContext* call, MemoryBudget::Reservation* hold);
  const ServerOptions& options() const { return options_; }
  WorkerPool* pool() { return pool_; }
  Metrics* metrics() { return metrics_; }

 private:
  // The descriptor a request names (repository model or inline), with parse warnings.
  absl::StatusOr<Descriptor> Resolve(bool by_name, const std::string& name,
                                     const v1::ModelDescriptor& inline_descriptor,
                                     std::vector<std::string>* warnings) const;

  const ServerOptions& options_;
  ModelStore* store_;
  WorkerPool* pool_;
  Metrics* metrics_;
  MemoryBudget* budget_;
};

}  // namespace hbprep

#endif  // HBPREP_SERVER_SERVICE_H_
