// The Open Inference Protocol (KServe v2) over HTTP/REST, on --http-listen, beside the gRPC
// services: the same models, token, limits, worker pool, memory budget and metrics
// (protocol="http"), over the gRPC binding's request conversion and core
// (InferenceService::RunInfer; server/http_convert.h turns bodies into its messages).
//
// Routes: GET /v2/health/live, /v2/health/ready (200 or 400, no token), GET /v2,
// GET /v2/models/{name}[/versions/{v}], GET /v2/models/{name}[/versions/{v}]/ready,
// POST /v2/models/{name}[/versions/{v}]/infer. Errors: {"error": "..."} with
// http::HttpStatusOf's status codes.
//
// On cpp-httplib (Debian's libcpp-httplib, 0.11): its threads read and write the connections
// (kThreads of them; keep-alive), the work runs on the server's worker pool. What the library
// does not bound is bounded here. Its connection loop is replaced by one over a stream that
// reads at most 16 KiB of request line and headers per request (the library would buffer a
// line that never ends), the library parsing the request as before. Before any body byte is
// read: every request but an infer POST
// must come without a body; an infer POST's body, whatever its framing (Content-Length, chunked,
// none) and encoding (gzip and br are inflated by the library), is counted as it arrives and cut
// at the message limit (413); the token is checked before the body is read; the body must arrive
// within options.http_timeout, and every socket read or write within it too. TLS when the server
// has a certificate (and mutual TLS with a client CA), as on the gRPC ports.
//
// Thread-safety: Start and Stop from one thread; requests run on the library's threads.
#ifndef HBPREP_SERVER_HTTP_SERVICE_H_
#define HBPREP_SERVER_HTTP_SERVICE_H_

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "server/oip_service.h"
#include "server/options.h"

namespace httplib {
class Server;
}

namespace hbprep {

class HttpService {
 public:
  // Connections served at once; more wait for one of these threads, up to kMaxConnections
  // served and waiting; beyond, a connection is answered 503 and closed at once.
  static constexpr int kThreads = 8;
  static constexpr int kMaxConnections = 64;

  // `options` and `inference` must outlive the service.
  HttpService(const ServerOptions& options, InferenceService* inference);
  ~HttpService();
  HttpService(const HttpService&) = delete;
  HttpService& operator=(const HttpService&) = delete;

  // Binds options.http_listen ("host:port", port 0 picks one) and serves on a thread of its
  // own. Returns the bound port; fails when the address cannot be bound or a TLS file cannot be
  // read.
  absl::StatusOr<int> Start();
  // Stops accepting and waits for the requests being served. Idempotent.
  void Stop();

 private:
  void Route();

  const ServerOptions& options_;
  InferenceService* inference_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::atomic<bool> listened_{false};  // the thread's listen loop returned
};

}  // namespace hbprep

#endif  // HBPREP_SERVER_HTTP_SERVICE_H_
