// What the server's common layer (server/rpc.h) needs to know of one call, whatever protocol
// carries it: its deadline, whether the client went away, and its request headers (gRPC
// metadata, HTTP headers). A front end implements it over its own call type (server/grpc_call.h
// for gRPC); tests implement it with plain values. Nothing here depends on gRPC.
//
// Ownership: the front end owns the context and keeps it alive until the call is finished (its
// last status handed back); the common layer only borrows it.
// Thread-safety: every method may be called from any thread while the call is live.
#ifndef HBPREP_SERVER_CALL_CONTEXT_H_
#define HBPREP_SERVER_CALL_CONTEXT_H_

#include <chrono>

#include "absl/strings/string_view.h"
#include "absl/types/optional.h"

namespace hbprep {

class CallContext {
 public:
  virtual ~CallContext() = default;

  // When the client stops waiting; std::chrono::system_clock::time_point::max() for a call
  // without a deadline.
  virtual std::chrono::system_clock::time_point deadline() const = 0;

  // True once the client cancelled the call or went away.
  virtual bool IsCancelled() const = 0;

  // The first value of request header `name` (lower case, as HTTP/2 sends names), or nullopt
  // when the call has none. The view stays valid as long as the context.
  virtual absl::optional<absl::string_view> Header(absl::string_view name) const = 0;
};

}  // namespace hbprep

#endif  // HBPREP_SERVER_CALL_CONTEXT_H_
