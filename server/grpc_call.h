// The gRPC side of the server's common layer (server/rpc.h): the CallContext of a gRPC call,
// unary calls run through AdmitUnary, and the one ordered-stream reactor both streaming
// methods (hbprep.v1 PrepareStream, the Open Inference Protocol's ModelStreamInfer) share.
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

// A bidirectional stream whose requests are read, run on the worker pool and answered one at a
// time, so responses keep the request order and a stream holds at most one request's memory
// (a client that does not read holds one response, charged to the budget; the next request is
// read only once it is written). Streams run concurrently with each other. The token is checked
// once, when the stream opens; a full pool answers the request with RESOURCE_EXHAUSTED; a
// failed request is answered in the stream (Handler::ToErrorResponse) unless
// Handler::EndsStream says the stream ends with it; the client closing its side ends the
// stream with OK.
//
// `Handler` is what one streaming method adds (a copyable value holding its service):
//   using Request = ...; using Response = ...;
//   static constexpr char kMethod[];               // for logs and metrics
//   struct Tally { explicit Tally(Clock::time_point queued); };  // one request's metrics
//   const ServerOptions& options() const;  WorkerPool* pool() const;
//   void RecordRefused(const absl::Status&) const;                  // no token
//   void RecordBusy(const Request&, const Response&, const absl::Status&) const;
//   absl::Status Run(const Request&, Response*, const CallContext&,
//                    MemoryBudget::Reservation*, Tally*) const;     // on a worker
//   void Record(const Request&, const Response&, const absl::Status&, const Tally&) const;
//   bool EndsStream(const Request&, const absl::Status&) const;
//   void ToErrorResponse(const Request&, const absl::Status&, Response*) const;  // cleared
template <typename Handler>
class OrderedStreamReactor final
    : public grpc::ServerBidiReactor<typename Handler::Request, typename Handler::Response> {
 public:
  OrderedStreamReactor(Handler handler, grpc::CallbackServerContext* context)
      : handler_(std::move(handler)), call_(context) {
    if (absl::Status auth = Authorize(handler_.options(), call_); !auth.ok()) {
      LogFailure(Handler::kMethod, auth);
      handler_.RecordRefused(auth);
      this->Finish(ToGrpcStatus(auth));
      return;
    }
    this->StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {  // the client finished sending (or went away)
      this->Finish(grpc::Status::OK);
      return;
    }
    response_.Clear();
    queued_ = Clock::now();
    if (!handler_.pool()->TrySubmit([this] { Process(); })) {
      const absl::Status busy = BusyError(*handler_.pool());
      handler_.RecordBusy(request_, response_, busy);
      Fail(busy);
    }
  }

  void OnWriteDone(bool ok) override {
    hold_.Reset();  // the response is sent: its memory goes back to the budget
    if (!ok) {
      this->Finish(grpc::Status(grpc::StatusCode::CANCELLED, "the stream was closed"));
      return;
    }
    this->StartRead(&request_);
  }

  void OnDone() override { delete this; }

 private:
  void Process() {
    typename Handler::Tally tally(queued_);
    const absl::Status status = RunChecked(
        &call_, [&] { return handler_.Run(request_, &response_, call_, &hold_, &tally); });
    handler_.Record(request_, response_, status, tally);
    if (status.ok()) {
      this->StartWrite(&response_);
    } else {
      Fail(status);
    }
  }

  void Fail(const absl::Status& status) {
    LogFailure(Handler::kMethod, status);
    if (handler_.EndsStream(request_, status)) {
      this->Finish(ToGrpcStatus(status));
      return;
    }
    response_.Clear();
    handler_.ToErrorResponse(request_, status, &response_);
    this->StartWrite(&response_);
  }

  const Handler handler_;
  const GrpcCallContext call_;
  typename Handler::Request request_;
  typename Handler::Response response_;
  Clock::time_point queued_;
  // The memory of the one request in flight.
  MemoryBudget::Reservation hold_;
};

}  // namespace hbprep

#endif  // HBPREP_SERVER_GRPC_CALL_H_
