#include "server/server.h"

#include <fcntl.h>
#include <sys/file.h>
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
  service_ = std::make_unique<InputAdapterService>(options_, store_.get(), pool_.get(), &metrics_);
  inference_service_ =
      std::make_unique<InferenceService>(options_, store_.get(), pool_.get(), &metrics_);

  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials = Credentials(options_);
  if (!credentials.ok()) return credentials.status();

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
  for (size_t i = 0; i < options_.listen.size(); ++i) {
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
    spdlog::info("metrics on http://{}:{}/metrics{}", MetricsEndpoint::Host(options_.metrics_listen),
                 *port, token.empty() ? "" : " (token required)");
  }
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
  spdlog::info("serving on {} with {} workers, queue {}", absl::StrJoin(bound, ", "), workers,
               queue);
  return absl::OkStatus();
}

std::string Server::RenderMetrics() const {
  return metrics_.Render(pool_ ? pool_->queued() : 0, pool_ ? pool_->running() : 0);
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
  if (server_ != nullptr) {
    SetServing(false);  // first, so that whoever reads the log line sees NOT_SERVING
    spdlog::info("draining: {} running, {} queued; health NOT_SERVING; grace {} ms",
                 pool_->running(), pool_->queued(), options_.grace.count());
    if (options_.drain_delay.count() > 0) std::this_thread::sleep_for(options_.drain_delay);
    server_->Shutdown(std::chrono::system_clock::now() + options_.grace);
  }
  if (pool_ != nullptr) pool_->Shutdown();
  if (server_ != nullptr) server_->Wait();
  if (store_ != nullptr) store_->StopWatching();
  metrics_endpoint_.Stop();
  for (int fd : socket_locks_) close(fd);
  socket_locks_.clear();
  spdlog::info("stopped");
}

}  // namespace hbprep
