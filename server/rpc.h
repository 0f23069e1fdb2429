// What the handlers of both services (hbprep.v1.InputAdapter and the Open Inference
// Protocol's inference.GRPCInferenceService) share: the token check, cancellation and
// deadline, the error logged once at the edge, unary work run on the worker pool, and the
// engine run under the server's limits.
#ifndef HBPREP_SERVER_RPC_H_
#define HBPREP_SERVER_RPC_H_

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "adapters/engine.h"
#include "adapters/repository.h"
#include "grpcpp/server_context.h"
#include "server/convert.h"
#include "server/metrics.h"
#include "server/options.h"
#include "server/worker_pool.h"
#include "spdlog/spdlog.h"

namespace hbprep {

using Clock = std::chrono::steady_clock;

inline int64_t MicrosSince(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count();
}

// UNAUTHENTICATED unless the call carries "authorization: Bearer <token>" (when the server
// has a token).
absl::Status Authorize(const ServerOptions& options, const grpc::CallbackServerContext* context);

// DEADLINE_EXCEEDED or CANCELLED once the call's deadline passed or the client went away.
// OK for a null context.
absl::Status CheckContinue(grpc::CallbackServerContext* context);

// RESOURCE_EXHAUSTED: the pool's workers are busy and its queue is full.
absl::Status BusyError(const WorkerPool& pool);

// The error once, at the edge: client mistakes at info, server faults at error.
void LogFailure(const char* method, const absl::Status& status);

// Counts a call that is not a Prepare or an infer request in the metrics.
void RecordCall(Metrics* metrics, const char* method, const absl::Status& status);

// The repository's model `name`; NOT_FOUND listing the models there.
absl::StatusOr<const RepositoryModel*> FindModel(const Repository& repository,
                                                 const std::string& name);

// FAILED_PRECONDITION when `pinned` is not empty and is not the descriptor's hash (a client
// pinned to one version of a model refuses another).
absl::Status CheckPinnedHash(const Descriptor& descriptor, const std::string& pinned);

// hbprep::Prepare under the server's size limits, stopping when the call is cancelled or
// its deadline passes; `warnings` (the descriptor's) come first in the result's warnings.
absl::StatusOr<Prepared> PrepareForCall(const ServerOptions& server, const Descriptor& descriptor,
                                        absl::Span<const InputImage> images,
                                        PrepareOptions options,
                                        const std::vector<std::string>& warnings,
                                        grpc::CallbackServerContext* context);

// Runs one unary RPC's `work` (returning absl::Status) on the pool and finishes the call, or
// refuses it at once (UNAUTHENTICATED, RESOURCE_EXHAUSTED). `record` sees every outcome,
// refusals included, for the metrics. With `authorize` false the call needs no token.
template <typename Work, typename Record>
grpc::ServerUnaryReactor* SubmitUnary(const ServerOptions& options, WorkerPool* pool,
                                      const char* method, grpc::CallbackServerContext* context,
                                      Work work, Record record, bool authorize = true) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (absl::Status auth = authorize ? Authorize(options, context) : absl::OkStatus(); !auth.ok()) {
    LogFailure(method, auth);
    record(auth);
    reactor->Finish(ToGrpcStatus(auth));
    return reactor;
  }
  const bool accepted = pool->TrySubmit([reactor, context, method, work, record] {
    absl::Status status = CheckContinue(context);
    if (status.ok()) status = work();
    LogFailure(method, status);
    record(status);
    reactor->Finish(ToGrpcStatus(status));
  });
  if (accepted) {
    spdlog::debug("{} accepted, {} queued", method, pool->queued());
  } else {
    const absl::Status busy = BusyError(*pool);
    LogFailure(method, busy);
    record(busy);
    reactor->Finish(ToGrpcStatus(busy));
  }
  return reactor;
}

}  // namespace hbprep

#endif  // HBPREP_SERVER_RPC_H_
