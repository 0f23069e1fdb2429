// The gRPC side of the server's common layer (server/rpc.h): the CallContext of a gRPC call
// and unary calls run through AdmitUnary.
// Only the gRPC services include this; the common layer never does.
#ifndef HBPREP_SERVER_GRPC_CALL_H_
#define HBPREP_SERVER_GRPC_CALL_H_

#include <chrono>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/optional.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/server_callback.h"
#include "server/call_context.h"
#include "server/convert.h"
#include "server/memory_budget.h"
#include "server/options.h"
#include "server/rpc.h"
#include "server/worker_pool.h"

namespace hbprep {

// A gRPC call as the common layer sees it. Borrows `context`, which gRPC keeps alive until the
// call's reactor is done.
class GrpcCallContext final : public CallContext {
 public:
  explicit GrpcCallContext(const grpc::CallbackServerContext* context) : context_(context) {}

  std::chrono::system_clock::time_point deadline() const override {
    return context_->deadline();
  }
  bool IsCancelled() const override { return context_->IsCancelled(); }
  absl::optional<absl::string_view> Header(absl::string_view name) const override {
    const auto& metadata = context_->client_metadata();
    auto it = metadata.find(grpc::string_ref(name.data(), name.size()));
    if (it == metadata.end()) return absl::nullopt;
    return absl::string_view(it->second.data(), it->second.size());
  }

 private:
  const grpc::CallbackServerContext* context_;
};

// A unary call's reactor that keeps the call's context and memory reservation until gRPC is
// done with it (the response sent, or the call failed).
class HeldUnaryReactor final : public grpc::ServerUnaryReactor {
 public:
  explicit HeldUnaryReactor(const grpc::CallbackServerContext* context) : call_(context) {}
  void OnDone() override { delete this; }
  const CallContext* call() const { return &call_; }
  MemoryBudget::Reservation* hold() { return &hold_; }

 private:
  GrpcCallContext call_;
  MemoryBudget::Reservation hold_;
};

// AdmitUnary (server/rpc.h) for one gRPC unary call: the call finishes with the outcome as a
// grpc::Status.
template <typename Work, typename Record>
grpc::ServerUnaryReactor* SubmitUnary(const ServerOptions& options, WorkerPool* pool,
                                      const char* method, grpc::CallbackServerContext* context,
                                      Work work, Record record, bool authorize = true) {
  auto* reactor = new HeldUnaryReactor(context);
  AdmitUnary(
      options, pool, method, reactor->call(), reactor->hold(), std::move(work), std::move(record),
      [reactor](const absl::Status& status) { reactor->Finish(ToGrpcStatus(status)); },
      authorize);
  return reactor;
}

}  // namespace hbprep

#endif  // HBPREP_SERVER_GRPC_CALL_H_
