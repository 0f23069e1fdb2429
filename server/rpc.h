// What the handlers of both services (hbprep.v1.InputAdapter and the Open Inference
// Protocol's inference.GRPCInferenceService) share: the token check, cancellation and
// deadline, the error logged once at the edge, unary work run on the worker pool, and the
// engine run under the server's limits. Protocol-free: a call is a CallContext and every
// outcome an absl::Status, so another front end (HTTP) reuses all of it; server/grpc_call.h
// holds what is gRPC's (reactors, grpc::Status).
#ifndef HBPREP_SERVER_RPC_H_
#define HBPREP_SERVER_RPC_H_

#include <chrono>
#include <cstdint>
#include <exception>
#include <new>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "hbprep/engine.h"
#include "hbprep/repository.h"
#include "server/call_context.h"
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
absl::Status Authorize(const ServerOptions& options, const CallContext& call);

// DEADLINE_EXCEEDED or CANCELLED once the call's deadline passed or the client went away.
// OK for a null context.
absl::Status CheckContinue(const CallContext* call);

// RESOURCE_EXHAUSTED: the pool's workers are busy and its queue is full.
absl::Status BusyError(const WorkerPool& pool);

// The error once, at the edge: client mistakes at info, server faults at error.
void LogFailure(const char* method, const absl::Status& status);

// Counts a call that is not a Prepare or an infer request in the metrics (`protocol`: see
// Metrics::Record).
void RecordCall(Metrics* metrics, const char* method, const absl::Status& status,
                absl::string_view protocol = "");

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
                                        const CallContext* call,
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

// CheckContinue, then `work()` Guarded: what every request runs once a worker has it.
template <typename Work>
absl::Status RunChecked(const CallContext* call, Work&& work) {
  absl::Status status = CheckContinue(call);
  if (status.ok()) status = Guarded(std::forward<Work>(work));
  return status;
}

// Admits one unary call's `work` to the pool, or refuses it at once (UNAUTHENTICATED,
// RESOURCE_EXHAUSTED). `work` returns absl::Status and takes either nothing or
// (const CallContext&, MemoryBudget::Reservation*): the call and the reservation its memory
// goes into. `record` sees every outcome, refusals included, for the metrics; then
// `finish(status)` ends the call, exactly once: on the calling thread when the call is refused,
// on a worker otherwise. The error is logged once, here. With `authorize` false the call needs
// no token.
// REQUIRES: `call` and `hold` stay alive until `finish` has returned.
template <typename Work, typename Record, typename Finish>
void AdmitUnary(const ServerOptions& options, WorkerPool* pool, const char* method,
                const CallContext* call, MemoryBudget::Reservation* hold, Work work,
                Record record, Finish finish, bool authorize = true) {
  if (absl::Status auth = authorize ? Authorize(options, *call) : absl::OkStatus(); !auth.ok()) {
    LogFailure(method, auth);
    record(auth);
    finish(auth);
    return;
  }
  const bool accepted = pool->TrySubmit([call, hold, method, work, record, finish] {
    const absl::Status status = RunChecked(call, [&] {
      if constexpr (std::is_invocable_v<Work, const CallContext&, MemoryBudget::Reservation*>) {
        return work(*call, hold);
      } else {
        static_cast<void>(hold);  // captured for the other branch; clang flags it unused here
        return work();
      }
    });
    LogFailure(method, status);
    record(status);
    finish(status);
  });
  if (accepted) {
    spdlog::debug("{} accepted, {} queued", method, pool->queued());
  } else {
    const absl::Status busy = BusyError(*pool);
    LogFailure(method, busy);
    record(busy);
    finish(busy);
  }
}

}  // namespace hbprep

#endif  // HBPREP_SERVER_RPC_H_
