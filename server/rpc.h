// What the handlers of both services (hbprep.v1.InputAdapter and the Open Inference
// Protocol's inference.GRPCInferenceService) share: the token check, cancellation and
// deadline, the error logged once at the edge, unary work run on the worker pool, and the
// engine run under the server's limits.
#ifndef HBPREP_SERVER_RPC_H_
#define HBPREP_SERVER_RPC_H_

#include <chrono>
#include <cstdint>
#include <exception>
#include <new>
#include <string>
#include <type_traits>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "grpcpp/server_context.h"
#include "hbprep/engine.h"
#include "hbprep/repository.h"
#include "server/convert.h"
#include "server/memory_budget.h"
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
// Before any pixel is decoded the request's tensors are checked against the message limit
// and its peak memory is reserved from `budget` into `hold` (waiting while the budget is
// short), which the caller keeps until the response is sent.
absl::StatusOr<Prepared> PrepareForCall(const ServerOptions& server, MemoryBudget* budget,
                                        const Descriptor& descriptor,
                                        absl::Span<const InputImage> images,
                                        PrepareOptions options,
                                        const std::vector<std::string>& warnings,
                                        grpc::CallbackServerContext* context,
                                        MemoryBudget::Reservation* hold);

// `work()` with every exception turned into a status: memory running out despite the
// budget is RESOURCE_EXHAUSTED, anything else INTERNAL. No request can take the process down.
template <typename Work>
absl::Status Guarded(Work&& work) {
  try {
    return work();
  } catch (const std::bad_alloc&) {
    return absl::ResourceExhaustedError("the server ran out of memory for this request");
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("unexpected failure: ", e.what()));
  } catch (...) {
    return absl::InternalError("unexpected failure");
  }
}

// A unary call's reactor that keeps the call's memory reservation until gRPC is done with
// it (the response sent, or the call failed).
class HeldUnaryReactor final : public grpc::ServerUnaryReactor {
 public:
  void OnDone() override { delete this; }
  MemoryBudget::Reservation* hold() { return &hold_; }

 private:
  MemoryBudget::Reservation hold_;
};

// Runs one unary RPC's `work` (returning absl::Status; given the call's
// MemoryBudget::Reservation* when it takes one) on the pool and finishes the call, or
// refuses it at once (UNAUTHENTICATED, RESOURCE_EXHAUSTED). `record` sees every outcome,
// refusals included, for the metrics. With `authorize` false the call needs no token.
template <typename Work, typename Record>
grpc::ServerUnaryReactor* SubmitUnary(const ServerOptions& options, WorkerPool* pool,
                                      const char* method, grpc::CallbackServerContext* context,
                                      Work work, Record record, bool authorize = true) {
  auto* reactor = new HeldUnaryReactor();
  if (absl::Status auth = authorize ? Authorize(options, context) : absl::OkStatus(); !auth.ok()) {
    LogFailure(method, auth);
    record(auth);
    reactor->Finish(ToGrpcStatus(auth));
    return reactor;
  }
  const bool accepted = pool->TrySubmit([reactor, context, method, work, record] {
    absl::Status status = CheckContinue(context);
    if (status.ok()) {
      status = Guarded([&] {
        if constexpr (std::is_invocable_v<Work, MemoryBudget::Reservation*>) {
          return work(reactor->hold());
        } else {
          return work();
        }
      });
    }
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
