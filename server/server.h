// hbprep-server's parts put together: the model store (loaded, then watched), the worker
// pool, the InputAdapter service, the Open Inference Protocol service, health
// (grpc.health.v1) and reflection, on every listen address; the Open Inference Protocol over
// HTTP/REST too with --http-listen (server/http_service.h).
//
// Health: NOT_SERVING until the repository is loaded, SERVING while up, NOT_SERVING again
// once Stop() begins draining.
#ifndef HBPREP_SERVER_SERVER_H_
#define HBPREP_SERVER_SERVER_H_

#include <atomic>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "grpcpp/server.h"
#ifdef HBPREP_WITH_HTTP
#include "server/http_service.h"
#endif
#include "server/listener.h"
#include "server/metrics.h"
#include "server/model_store.h"
#include "server/oip_service.h"
#include "server/options.h"
#include "server/service.h"
#include "server/worker_pool.h"

namespace hbprep {

class Server {
 public:
  explicit Server(ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Loads the repository and starts serving. Fails when the repository folder cannot be read,
  // a TLS file cannot be read, an address cannot be bound, or a unix socket is another
  // server's (its PATH.lock is held: binding would silently take the path over).
  absl::Status Start();
  // Stops accepting RPCs, lets in-flight ones finish within options.grace (then cancels
  // them), and stops the workers. Idempotent.
  void Stop();
  // Asks the watcher to reload the repository now (SIGHUP). Safe from a signal handler's
  // thread: it only sets a flag.
  void RequestReload() { reload_requested_.store(true); }
  // Reloads now, on the calling thread; true when the repository changed.
  bool ReloadNow() { return store_->Reload(/*force=*/true); }

  // True once gRPC said one of its listeners stopped accepting (it does after EMFILE, for
  // good: CVE-2023-4785). Only TLS listeners are gRPC's; the plaintext ones are the gate's.
  static bool ListenerLost();
  // Connections the plaintext listeners took and refused (listener.h).
  const ConnectionGate& gate() const { return gate_; }
  // The TCP ports bound, in listen order (0 for unix sockets): useful with port 0.
  const std::vector<int>& ports() const { return ports_; }
  // The --http-listen port bound (0 without HTTP).
  int http_port() const { return http_port_; }
  grpc::Server* grpc_server() { return server_.get(); }
  const ModelStore& store() const { return *store_; }
  const Metrics& metrics() const { return metrics_; }
  // The metrics page as GET /metrics serves it.
  std::string RenderMetrics() const;

 private:
  void SetServing(bool serving);

  ServerOptions options_;
  Metrics metrics_;
  MetricsEndpoint metrics_endpoint_;
  std::unique_ptr<ModelStore> store_;
  std::unique_ptr<MemoryBudget> budget_;
  std::unique_ptr<WorkerPool> pool_;
  std::unique_ptr<InputAdapterService> service_;
  std::unique_ptr<InferenceService> inference_service_;
  std::unique_ptr<grpc::Server> server_;
#ifdef HBPREP_WITH_HTTP
  std::unique_ptr<HttpService> http_service_;  // with --http-listen
#endif
  std::vector<int> ports_;
  int http_port_ = 0;
  // flock()ed PATH.lock beside each unix socket, held while serving.
  std::vector<int> socket_locks_;
  ConnectionGate gate_;
  int max_descriptors_ = 0;
  std::atomic<bool> reload_requested_{false};
  bool stopped_ = false;
};

}  // namespace hbprep

#endif  // HBPREP_SERVER_SERVER_H_
