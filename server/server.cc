#include "server/server.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "adapters/echo.h"
#include "grpc/support/log.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/impl/server_builder_option.h"
#include "grpcpp/impl/server_builder_plugin.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "spdlog/spdlog.h"

namespace hbprep {
namespace {

absl::StatusOr<std::string> ReadPem(const std::string& path, const char* what) {
  std::ifstream file(path, std::ios::binary);
  std::ostringstream text;
  text << file.rdbuf();
  if (!file || text.str().empty()) {
    return absl::NotFoundError(absl::StrCat(what, " '", path, "' cannot be read"));
  }
  return text.str();
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> Credentials(const ServerOptions& o) {
  if (o.tls_cert_file.empty() && o.tls_key_file.empty()) {
    if (!o.tls_client_ca_file.empty()) {
      return absl::InvalidArgumentError("--tls-client-ca needs --tls-cert and --tls-key");
    }
    return grpc::InsecureServerCredentials();
  }
  if (o.tls_cert_file.empty() || o.tls_key_file.empty()) {
    return absl::InvalidArgumentError("TLS needs both --tls-cert and --tls-key");
  }
  grpc::SslServerCredentialsOptions ssl;
  absl::StatusOr<std::string> cert = ReadPem(o.tls_cert_file, "TLS certificate");
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = ReadPem(o.tls_key_file, "TLS key");
  if (!key.ok()) return key.status();
  ssl.pem_key_cert_pairs.push_back({*key, *cert});
  if (!o.tls_client_ca_file.empty()) {
    absl::StatusOr<std::string> ca = ReadPem(o.tls_client_ca_file, "TLS client CA");
    if (!ca.ok()) return ca.status();
    ssl.pem_root_certs = *ca;
    ssl.client_certificate_request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(ssl);
}

// Drops gRPC's reflection plugin from one server (it registers itself for every server of
// the process once its library is linked).
class WithoutReflection final : public grpc::ServerBuilderOption {
 public:
  void UpdateArguments(grpc::ChannelArguments*) override {}
  void UpdatePlugins(std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>>* plugins) override {
    plugins->erase(std::remove_if(plugins->begin(), plugins->end(),
                                  [](const std::unique_ptr<grpc::ServerBuilderPlugin>& plugin) {
                                    return plugin->name() == "proto_server_reflection";
                                  }),
                   plugins->end());
  }
};

// Takes PATH.lock beside the unix socket `address` ("unix:PATH"): gRPC unlinks and rebinds
// an existing socket path, so without it a second server would silently take the first
// one's clients. The lock goes with the process, so a crash leaves nothing to clean up.
absl::StatusOr<int> LockUnixSocket(const std::string& address) {
  const std::string lock = absl::StrCat(address.substr(5), ".lock");
  const int fd = open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", address, ": cannot open ", lock, ": ", strerror(errno)));
  }
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    close(fd);
    return absl::UnavailableError(absl::StrCat(
        "cannot listen on ", address, ": ",
        error == EWOULDBLOCK ? "another hbprep-server serves it (" + lock + " is locked)"
                             : absl::StrCat("cannot lock ", lock, ": ", strerror(error))));
  }
  return fd;
}

std::atomic<bool> listener_lost{false};

// gRPC's own messages go to the server's log (prefixed, escaped, one line each), and the
// one that says a listener stopped accepting (gRPC 1.51 gives up on a listener after EMFILE:
// a TLS listener, which the gate cannot take) is noticed.
void LogGrpc(gpr_log_func_args* args) {
  const absl::string_view message = args->message == nullptr ? "" : args->message;
  if (absl::StartsWith(message, "Failed accept4")) listener_lost.store(true);
  spdlog::level::level_enum level = spdlog::level::debug;
  if (args->severity == GPR_LOG_SEVERITY_ERROR) level = spdlog::level::err;
  if (args->severity == GPR_LOG_SEVERITY_INFO) level = spdlog::level::info;
  const char* file = args->file == nullptr ? "" : args->file;
  const char* base = strrchr(file, '/');
  spdlog::log(level, "grpc: {}:{}: {}", base == nullptr ? file : base + 1, args->line,
              EchoMessage(message, 2048, /*keep_newlines=*/false));
}

void LogRepository(const Repository& repository, bool first_load) {
  std::vector<std::string> names;
  for (const auto& [name, model] : repository.models) names.push_back(name);
  spdlog::info("repository {}: {} model(s): {}", first_load ? "loaded" : "reloaded", names.size(),
               absl::StrJoin(names, ", "));
  for (const std::string& error : repository.errors) spdlog::warn("repository: {}", error);
}

}  // namespace

Server::Server(ServerOptions options) : options_(std::move(options)) {}

Server::~Server() { Stop(); }

absl::Status Server::Start() {
  store_ = std::make_unique<ModelStore>(
      options_.models_dir, [this](const Repository& repository, bool first_load) {
        LogRepository(repository, first_load);
        const int models = static_cast<int>(repository.models.size());
        if (first_load) {
          metrics_.SetModels(models);
        } else {
          metrics_.RecordReload(models);
        }
      });
  if (absl::Status loaded = store_->Load(); !loaded.ok()) return loaded;

  const int workers = options_.workers > 0
                          ? options_.workers
                          : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  const int queue = options_.queue_capacity >= 0 ? options_.queue_capacity : 4 * workers;
  pool_ = std::make_unique<WorkerPool>(workers, queue);
  budget_ = std::make_unique<MemoryBudget>(options_.memory_budget_bytes);
  service_ = std::make_unique<InputAdapterService>(options_, store_.get(), pool_.get(), &metrics_,
                                                   budget_.get());
  inference_service_ =
      std::make_unique<InferenceService>(options_, store_.get(), pool_.get(), &metrics_,
                                         budget_.get());

  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials = Credentials(options_);
  if (!credentials.ok()) return credentials.status();

  gpr_set_log_function(&LogGrpc);
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  // Reflection describes the API to anyone who asks; with a token configured it stays off,
  // so that nothing but health answers without the token.
  if (!options_.auth_token.empty()) builder.SetOption(std::make_unique<WithoutReflection>());
  ports_.assign(options_.listen.size(), 0);
  for (const std::string& address : options_.listen) {
    if (!absl::StartsWith(address, "unix:")) continue;
    absl::StatusOr<int> lock = LockUnixSocket(address);
    if (!lock.ok()) return lock.status();
    socket_locks_.push_back(*lock);
  }
  // Plaintext listeners are accepted by the gate (listener.h: gRPC 1.51 would stop
  // accepting for good on EMFILE); TLS ones only gRPC can take.
  const bool tls = !options_.tls_cert_file.empty();
  for (size_t i = 0; i < options_.listen.size(); ++i) {
    if (!tls) {
      absl::StatusOr<int> port = gate_.Listen(options_.listen[i]);
      if (!port.ok()) return port.status();
      ports_[i] = *port;
      continue;
    }
    builder.AddListeningPort(options_.listen[i], *credentials,
                             absl::StartsWith(options_.listen[i], "unix:") ? nullptr : &ports_[i]);
  }
  builder.SetMaxReceiveMessageSize(static_cast<int>(options_.max_message_bytes));
  // Compressed requests are refused (UNIMPLEMENTED) when their metadata arrives: gRPC would
  // inflate each message before any handler runs, i.e. before the token is checked, so a few
  // small unauthenticated requests could cost gigabytes. Without the decompression filter,
  // nothing in the core inflates a message that would get through anyway.
  builder.SetCompressionAlgorithmSupportStatus(GRPC_COMPRESS_DEFLATE, false);
  builder.SetCompressionAlgorithmSupportStatus(GRPC_COMPRESS_GZIP, false);
  builder.AddChannelArgument(GRPC_ARG_ENABLE_PER_MESSAGE_DECOMPRESSION, 0);
  // A connection without calls (or one that never spoke HTTP/2) is closed after this long
  // (GOAWAY; clients reconnect on their next call), so idle peers cannot hold the gate's
  // connections for good.
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_IDLE_MS,
                             static_cast<int>(std::min<int64_t>(options_.connection_idle.count(),
                                                                INT32_MAX)));
  builder.SetMaxSendMessageSize(static_cast<int>(options_.max_message_bytes));
  builder.RegisterService(service_.get());
  builder.RegisterService(inference_service_.get());
  server_ = builder.BuildAndStart();
  if (server_ == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", absl::StrJoin(options_.listen, ", ")));
  }
  for (size_t i = 0; i < options_.listen.size(); ++i) {
    if (!absl::StartsWith(options_.listen[i], "unix:") && ports_[i] == 0) {
      server_->Shutdown();
      return absl::UnavailableError(absl::StrCat("cannot listen on ", options_.listen[i]));
    }
  }
  if (!options_.metrics_listen.empty()) {
    // The page names the repository's models: with a token configured it needs one too.
    const std::string& token =
        options_.metrics_token.empty() ? options_.auth_token : options_.metrics_token;
    absl::StatusOr<int> port = metrics_endpoint_.Start(options_.metrics_listen, token,
                                                       [this] { return RenderMetrics(); });
    if (!port.ok()) {
      server_->Shutdown();
      return port.status();
    }
    spdlog::info("metrics on http://{}:{}/metrics{}",
                 MetricsEndpoint::Host(options_.metrics_listen), *port,
                 token.empty() ? "" : " (token required)");
  }
  if (!options_.http_listen.empty()) {
#ifdef HBPREP_WITH_HTTP
    http_service_ = std::make_unique<HttpService>(options_, inference_service_.get());
    absl::StatusOr<int> port = http_service_->Start();
    if (!port.ok()) {
      server_->Shutdown();
      return port.status();
    }
    http_port_ = *port;
    spdlog::info("HTTP/REST (KServe v2) on {}://{}:{}/v2{}",
                 options_.tls_cert_file.empty() ? "http" : "https",
                 MetricsEndpoint::Host(options_.http_listen), *port,
                 options_.auth_token.empty() ? "" : " (token required)");
#else
    server_->Shutdown();
    return absl::FailedPreconditionError(
        "--http-listen: this hbprep-server was built without cpp-httplib (libcpp-httplib-dev)");
#endif
  }
  // New connections are refused while the process holds 7/8 of its file limit (at least 32
  // descriptors are kept for everything else): gRPC itself never meets EMFILE.
  rlimit files{};
  getrlimit(RLIMIT_NOFILE, &files);
  const int64_t limit = std::min<int64_t>(files.rlim_cur, INT32_MAX);
  max_descriptors_ = static_cast<int>(limit - std::max<int64_t>(32, limit / 8));
  gate_.Start(server_->c_server(), max_descriptors_);
  SetServing(true);
  if (options_.reload_poll.count() > 0) {
    store_->StartWatching(options_.reload_poll, &reload_requested_);
  }
  std::vector<std::string> bound;
  for (size_t i = 0; i < options_.listen.size(); ++i) {
    const std::string& address = options_.listen[i];
    bound.push_back(absl::StartsWith(address, "unix:")
                        ? address
                        : absl::StrCat(address.substr(0, address.rfind(':')), ":", ports_[i]));
  }
  spdlog::info("serving on {} with {} workers, queue {}; connections refused from {} open files",
               absl::StrJoin(bound, ", "), workers, queue, max_descriptors_);
  return absl::OkStatus();
}

bool Server::ListenerLost() { return listener_lost.load(); }

std::string Server::RenderMetrics() const {
  Metrics::Gauges gauges;
  if (pool_) {
    gauges.queued = pool_->queued();
    gauges.running = pool_->running();
  }
  if (budget_) {
    gauges.memory_budget = budget_->total();
    gauges.memory_reserved = budget_->reserved();
    gauges.memory_waiting = budget_->waiting();
  }
  return metrics_.Render(gauges);
}

void Server::SetServing(bool serving) {
  if (server_ == nullptr) return;
  inference_service_->SetReady(serving);
  grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService();
  if (health == nullptr) return;
  health->SetServingStatus(serving);  // the server as a whole ("")
  health->SetServingStatus(v1::InputAdapter::service_full_name(), serving);
  health->SetServingStatus(inference::GRPCInferenceService::service_full_name(), serving);
}

void Server::Stop() {
  if (stopped_) return;
  stopped_ = true;
  // Calls have the grace to finish and their answers to reach the clients (at least a
  // second for the answers of calls that finished at its end).
  const auto deliver_until = std::chrono::steady_clock::now() + options_.grace;
  if (server_ != nullptr) {
    SetServing(false);  // first, so that whoever reads the log line sees NOT_SERVING
    spdlog::info("draining: {} running, {} queued; health NOT_SERVING; grace {} ms",
                 pool_->running(), pool_->queued(), options_.grace.count());
    if (options_.drain_delay.count() > 0) std::this_thread::sleep_for(options_.drain_delay);
#ifdef HBPREP_WITH_HTTP
    // No new HTTP connections; the requests being served finish on the pool (still running).
    if (http_service_ != nullptr) http_service_->Stop();
#endif
    gate_.StopAccepting();  // no new connections; those open finish their calls
    server_->Shutdown(std::chrono::system_clock::now() + options_.grace);
  }
  if (pool_ != nullptr) pool_->Shutdown();
  if (server_ != nullptr) server_->Wait();
  gate_.Stop(std::max(deliver_until, std::chrono::steady_clock::now() + std::chrono::seconds(1)));
  if (store_ != nullptr) store_->StopWatching();
  metrics_endpoint_.Stop();
  for (int fd : socket_locks_) close(fd);
  socket_locks_.clear();
  spdlog::info("stopped");
}

}  // namespace hbprep
