// Everything that configures hbprep-server, with its default. Flags (main.cc) fill it in.
#ifndef HBPREP_SERVER_OPTIONS_H_
#define HBPREP_SERVER_OPTIONS_H_

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace hbprep {

struct ServerOptions {
  // Addresses to listen on: "host:port" (TCP; port 0 picks a free one) or "unix:/path".
  std::vector<std::string> listen = {"127.0.0.1:50051"};
  // The model repository folder (yaml files). Required.
  std::string models_dir;
  // Worker threads doing the CPU work; 0 means one per core.
  int workers = 0;
  // Requests that may wait for a worker beyond the busy ones; more get RESOURCE_EXHAUSTED
  // at once. -1 means 4 per worker. Memory: each waiting request holds its images.
  int queue_capacity = -1;
  // Largest request or response message. 64 MiB holds a 4K BGR frame (25 MB) and its
  // tensors.
  int64_t max_message_bytes = int64_t{64} << 20;
  // Memory all requests together may hold (each reserves its computed peak before its work
  // starts and keeps it until its response is sent); a request that needs more than all of
  // it is RESOURCE_EXHAUSTED, the others wait their turn.
  int64_t memory_budget_bytes = int64_t{3} << 29;  // 1.5 GiB
  // Limits on image sizes, checked before decoding.
  int64_t max_side = 16384;
  int64_t max_pixels = int64_t{1} << 26;
  // How often the repository folder is checked for changed files; 0 disables watching
  // (SIGHUP still reloads).
  std::chrono::milliseconds reload_poll{1000};
  // On shutdown, how long health reports NOT_SERVING while requests are still accepted, so
  // that load balancers and clients watching health move away first.
  std::chrono::milliseconds drain_delay{0};
  // Connections with no call for this long are closed (GOAWAY; clients reconnect).
  std::chrono::milliseconds connection_idle{120000};
  // How long a shutdown waits for in-flight requests before cancelling them.
  std::chrono::milliseconds grace{10000};
  // "host:port" for Prometheus metrics over HTTP (GET /metrics); ":port" or "port" mean
  // 127.0.0.1; empty: no endpoint.
  std::string metrics_listen;
  // "host:port" for the Open Inference Protocol over HTTP/REST (KServe v2,
  // server/http_service.h); port 0 picks a free one; empty (the default): no HTTP endpoint.
  std::string http_listen;
  // HTTP: the longest a socket read or write may wait, and the longest an infer request's body
  // may take to arrive (slow clients are cut off). An idle keep-alive connection is closed
  // after 5 s.
  std::chrono::milliseconds http_timeout{30000};
  // The token GET /metrics needs ("Authorization: Bearer <token>"); empty: auth_token's.
  std::string metrics_token;
  // When not empty, every RPC but health needs "authorization: Bearer <token>".
  std::string auth_token;
  // PEM files. With a certificate and key the server speaks TLS; with a client CA too it
  // requires and verifies client certificates (mutual TLS).
  std::string tls_cert_file, tls_key_file, tls_client_ca_file;
};

}  // namespace hbprep

#endif  // HBPREP_SERVER_OPTIONS_H_
