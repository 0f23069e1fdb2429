#include "server/http_service.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <type_traits>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "adapters/echo.h"
#include "hbprep/status_macros.h"
#include "httplib.h"
#include "server/http_convert.h"
#include "server/rpc.h"
#include "spdlog/spdlog.h"

namespace hbprep {
namespace {

constexpr char kProtocol[] = "http";
constexpr char kJson[] = "application/json";

// The CallContext of one HTTP request: its headers (case-insensitive, as httplib keeps them).
// HTTP/1.1 carries no deadline, and cpp-httplib 0.11 does not say when a client went away.
class HttpCallContext final : public CallContext {
 public:
  explicit HttpCallContext(const httplib::Request& request) : request_(request) {}
  std::chrono::system_clock::time_point deadline() const override {
    return std::chrono::system_clock::time_point::max();
  }
  bool IsCancelled() const override { return false; }
  absl::optional<absl::string_view> Header(absl::string_view name) const override {
    auto it = request_.headers.find(std::string(name));
    if (it == request_.headers.end()) return absl::nullopt;
    return absl::string_view(it->second);
  }

 private:
  const httplib::Request& request_;
};

void Answer(httplib::Response& response, const absl::Status& status) {
  response.status = http::HttpStatusOf(status);
  response.set_content(http::ErrorBody(status), kJson);
}

// Answers with `status` (`http_status` when not 0) and closes the connection: for a request
// whose body is left unread, which would otherwise be taken for the next request. cpp-httplib
// 0.11 keeps a connection open whatever the response's headers say, unless writing the response
// fails; so the body goes out through a content provider that writes all of it and then says it
// failed, and the library closes the connection after the whole answer is sent.
void AnswerAndClose(httplib::Response& response, const absl::Status& status,
                    int http_status = 0) {
  response.status = http_status != 0 ? http_status : http::HttpStatusOf(status);
  response.set_header("Connection", "close");
  auto body = std::make_shared<const std::string>(http::ErrorBody(status));
  response.set_content_provider(
      body->size(), kJson, [body](size_t offset, size_t length, httplib::DataSink& sink) {
        sink.write(body->data() + offset, length);
        return false;
      });
}

// The protocol's method a path names, for logs and metrics.
const char* MethodOf(const httplib::Request& request) {
  const std::string& path = request.path;
  if (path == "/v2/health/live") return "ServerLive";
  if (path == "/v2/health/ready") return "ServerReady";
  if (path == "/v2") return "ServerMetadata";
  if (absl::StartsWith(path, "/v2/models/")) {
    if (absl::EndsWith(path, "/infer")) return "ModelInfer";
    if (absl::EndsWith(path, "/ready")) return "ModelReady";
    return "ModelMetadata";
  }
  return "unknown";
}

// The model and version of a /v2/models/{name}[/versions/{v}]... route.
std::pair<std::string, std::string> ModelOf(const httplib::Request& request) {
  return {request.matches.size() > 1 ? std::string(request.matches[1]) : std::string(),
          request.matches.size() > 2 ? std::string(request.matches[2]) : std::string()};
}

// Runs `work` on the worker pool through AdmitUnary and waits for it on this (httplib's)
// thread; the status it ended with.
template <typename Work, typename Record>
absl::Status RunOnPool(const ServerOptions& options, WorkerPool* pool, const char* method,
                       const CallContext& call, MemoryBudget::Reservation* hold, Work work,
                       Record record) {
  std::mutex mutex;
  std::condition_variable done_changed;
  bool done = false;
  absl::Status result;
  // The token was checked before the body was read (the pre-routing handler).
  AdmitUnary(
      options, pool, method, &call, hold, std::move(work), std::move(record),
      [&](const absl::Status& status) {
        std::lock_guard<std::mutex> lock(mutex);
        result = status;
        done = true;
        done_changed.notify_one();
      },
      /*authorize=*/false);
  std::unique_lock<std::mutex> lock(mutex);
  done_changed.wait(lock, [&] { return done; });
  return result;
}

// The request line and headers of one request may take at most this many bytes. cpp-httplib
// 0.11 grows its line buffer without bound (a request line or header that never ends takes all
// the memory it is sent); the connection's stream below refuses to read past this.
constexpr size_t kMaxHeaderBytes = 16384;

// One accepted connection as cpp-httplib's Stream, over the socket or its TLS session: every
// read and write waits at most `timeout`, and between StartRequest() and the blank line that
// ends the headers at most kMaxHeaderBytes are read; past that every read fails and the
// connection is Exhausted() (closed by the caller). Bodies are bounded by the infer handler.
class BoundedStream final : public httplib::Stream {
 public:
  BoundedStream(int fd, SSL* ssl, std::chrono::milliseconds read_timeout,
                std::chrono::milliseconds write_timeout)
      : fd_(fd), ssl_(ssl), read_timeout_(read_timeout), write_timeout_(write_timeout) {}

  void StartRequest() {
    in_headers_ = true;
    header_bytes_ = 0;
    matched_ = 0;
  }
  bool Exhausted() const { return exhausted_; }

  // True when a byte can be read within `wait`.
  bool WaitReadable(std::chrono::milliseconds wait) const {
    if (ssl_ != nullptr && SSL_pending(ssl_) > 0) return true;
    return PollFor(POLLIN, wait);
  }

  bool is_readable() const override { return WaitReadable(read_timeout_); }
  bool is_writable() const override { return PollFor(POLLOUT, write_timeout_); }

  ssize_t read(char* ptr, size_t size) override {
    if (exhausted_) return -1;
    if (in_headers_) {
      if (header_bytes_ >= kMaxHeaderBytes) {
        exhausted_ = true;
        return -1;
      }
      size = std::min(size, kMaxHeaderBytes - header_bytes_);
    }
    if (!is_readable()) return -1;
    const int chunk = static_cast<int>(std::min<size_t>(size, 1 << 30));
    const ssize_t n = ssl_ != nullptr ? SSL_read(ssl_, ptr, chunk) : recv(fd_, ptr, chunk, 0);
    if (n > 0 && in_headers_) Track(ptr, static_cast<size_t>(n));
    return n;
  }

  ssize_t write(const char* ptr, size_t size) override {
    if (!is_writable()) return -1;
    const int chunk = static_cast<int>(std::min<size_t>(size, 1 << 30));
    return ssl_ != nullptr ? SSL_write(ssl_, ptr, chunk) : send(fd_, ptr, chunk, MSG_NOSIGNAL);
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    Address(getpeername, ip, port);
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    Address(getsockname, ip, port);
  }
  socket_t socket() const override { return fd_; }

 private:
  bool PollFor(short events, std::chrono::milliseconds wait) const {
    pollfd fd{fd_, events, 0};
    int ready;
    do {
      ready = poll(&fd, 1, static_cast<int>(wait.count()));
    } while (ready < 0 && errno == EINTR);
    return ready > 0;
  }

  // Finds the blank line ("\r\n\r\n") that ends the headers; the bytes after it are the body's.
  void Track(const char* data, size_t size) {
    static constexpr char kEnd[] = "\r\n\r\n";
    for (size_t i = 0; i < size && in_headers_; ++i) {
      ++header_bytes_;
      matched_ = data[i] == kEnd[matched_] ? matched_ + 1 : (data[i] == '\r' ? 1 : 0);
      if (matched_ == 4) in_headers_ = false;
    }
  }

  template <typename Name>
  void Address(Name name, std::string& ip, int& port) const {
    sockaddr_storage address{};
    socklen_t length = sizeof(address);
    char host[NI_MAXHOST] = "", service[NI_MAXSERV] = "";
    if (name(fd_, reinterpret_cast<sockaddr*>(&address), &length) == 0 &&
        getnameinfo(reinterpret_cast<sockaddr*>(&address), length, host, sizeof(host), service,
                    sizeof(service), NI_NUMERICHOST | NI_NUMERICSERV) == 0) {
      ip = host;
      port = std::atoi(service);
    }
  }

  const int fd_;
  SSL* const ssl_;
  const std::chrono::milliseconds read_timeout_, write_timeout_;
  bool in_headers_ = true, exhausted_ = false;
  size_t header_bytes_ = 0;
  int matched_ = 0;
};

// True on the accept thread while it refuses a connection (BoundedQueue).
thread_local bool t_refusing = false;

// cpp-httplib's task queue, bounded: its ThreadPool queues accepted connections without limit
// (each holding a descriptor). Beyond `max_connections` served or waiting, the connection is
// refused at once on the accepting thread (t_refusing: 503 and closed, without reading it).
class BoundedQueue final : public httplib::TaskQueue {
 public:
  BoundedQueue(size_t threads, size_t max_connections)
      : pool_(threads), max_connections_(max_connections) {}
  void enqueue(std::function<void()> fn) override {
    if (connections_.load() >= max_connections_) {
      t_refusing = true;
      fn();
      t_refusing = false;
      return;
    }
    ++connections_;
    pool_.enqueue([this, fn = std::move(fn)] {
      fn();
      --connections_;
    });
  }
  void shutdown() override { pool_.shutdown(); }

 private:
  httplib::ThreadPool pool_;
  const size_t max_connections_;
  std::atomic<size_t> connections_{0};
};

// cpp-httplib's server (plain or TLS) with its connection loop replaced: the same keep-alive
// (up to keep_alive_max_count_ requests, keep_alive_timeout_sec_ idle, ended when the server
// stops) and the library's own request handling (process_request), over a BoundedStream.
template <typename Base>
class BoundedServer final : public Base {
 public:
  template <typename... Args>
  BoundedServer(std::chrono::milliseconds timeout, Args&&... args)
      : Base(std::forward<Args>(args)...), timeout_(timeout) {}

 private:
  bool process_and_close_socket(socket_t sock) override {
    if (t_refusing) {
      // Plaintext only: a TLS peer gets the connection closed, no handshake is done here.
      if constexpr (!std::is_base_of_v<httplib::SSLServer, Base>) {
        static const std::string busy = [] {
          const std::string body = R"({"error":"too many HTTP connections"})";
          return absl::StrCat("HTTP/1.1 503 Service Unavailable\r\nContent-Type: ", kJson,
                              "\r\nContent-Length: ", body.size(),
                              "\r\nConnection: close\r\n\r\n", body);
        }();
        (void)!send(sock, busy.data(), busy.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
      }
      close(sock);
      return false;
    }
    SSL* ssl = nullptr;
    bool ready = true;
    if constexpr (std::is_base_of_v<httplib::SSLServer, Base>) {
      // The accepted socket has the read and write timeouts as SO_RCVTIMEO/SO_SNDTIMEO, so a
      // peer that stalls the handshake is cut off too.
      ssl = SSL_new(this->ssl_context());
      ready = ssl != nullptr && SSL_set_fd(ssl, sock) == 1 && SSL_accept(ssl) == 1;
    }
    if (ready) Serve(sock, ssl);
    if (ssl != nullptr) {
      if (ready) SSL_shutdown(ssl);
      SSL_free(ssl);
    }
    shutdown(sock, SHUT_RDWR);
    close(sock);
    return true;
  }

  void Serve(socket_t sock, SSL* ssl) {
    BoundedStream stream(sock, ssl, timeout_, timeout_);
    const auto idle = std::chrono::seconds(this->keep_alive_timeout_sec_);
    for (size_t count = this->keep_alive_max_count_; count > 0; --count) {
      // Waits for the next request in slices, so that a stopping server ends idle connections.
      const auto until = std::chrono::steady_clock::now() + idle;
      bool readable = false;
      while (!readable && this->svr_sock_ != INVALID_SOCKET &&
             std::chrono::steady_clock::now() < until) {
        readable = stream.WaitReadable(std::chrono::milliseconds(100));
      }
      if (!readable || this->svr_sock_ == INVALID_SOCKET) return;
      stream.StartRequest();
      bool closed = false;
      if (!this->process_request(stream, count == 1, closed, nullptr) || closed ||
          stream.Exhausted()) {
        return;
      }
    }
  }

  const std::chrono::milliseconds timeout_;
};

}  // namespace

HttpService::HttpService(const ServerOptions& options, InferenceService* inference)
    : options_(options), inference_(inference) {}

HttpService::~HttpService() { Stop(); }

absl::StatusOr<int> HttpService::Start() {
  const std::string& address = options_.http_listen;
  const size_t colon = address.rfind(':');
  int port = -1;
  if (colon == std::string::npos || !absl::SimpleAtoi(address.substr(colon + 1), &port) ||
      port < 0 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("--http-listen '", address, "' is not HOST:PORT"));
  }
  std::string host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty()) host = "127.0.0.1";
  if (!options_.tls_cert_file.empty()) {
    auto server = std::make_unique<BoundedServer<httplib::SSLServer>>(
        options_.http_timeout, options_.tls_cert_file.c_str(), options_.tls_key_file.c_str(),
        options_.tls_client_ca_file.empty() ? nullptr : options_.tls_client_ca_file.c_str());
    if (!server->is_valid()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "HTTP: the TLS certificate '", options_.tls_cert_file, "' or key '",
          options_.tls_key_file, "' (or client CA) cannot be loaded"));
    }
    server_ = std::move(server);
  } else {
    server_ = std::make_unique<BoundedServer<httplib::Server>>(options_.http_timeout);
  }
  server_->new_task_queue = [] { return new BoundedQueue(kThreads, kMaxConnections); };
  const auto timeout = std::chrono::duration_cast<std::chrono::microseconds>(options_.http_timeout);
  server_->set_read_timeout(timeout);
  server_->set_write_timeout(timeout);
  server_->set_keep_alive_timeout(5);
  server_->set_keep_alive_max_count(1000);
  // Applies to Content-Length only; other framings are counted by the infer handler.
  server_->set_payload_max_length(static_cast<size_t>(options_.max_message_bytes));
  Route();
  const int bound = port == 0 ? server_->bind_to_any_port(host) : server_->bind_to_port(host, port)
                                                                      ? port
                                                                      : -1;
  if (bound <= 0) {
    return absl::UnavailableError(absl::StrCat("HTTP: cannot bind ", address));
  }
  thread_ = std::thread([this] {
    server_->listen_after_bind();
    listened_.store(true);
  });
  return bound;
}

void HttpService::Stop() {
  if (server_ == nullptr) return;
  // stop() does nothing until the listen loop runs: wait for it to start (or to have failed).
  while (thread_.joinable() && !server_->is_running() && !listened_.load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  server_->stop();
  if (thread_.joinable()) thread_.join();
}

void HttpService::Route() {
  httplib::Server& server = *server_;
  const ServerOptions& options = options_;
  InferenceService* inference = inference_;

  // Before any body byte is read: only an infer POST has a body, a declared length beyond the
  // limit is refused, and every route but health needs the token. A refused request's unread
  // body makes the connection unusable, so it is closed.
  server.set_pre_routing_handler([&options, inference](const httplib::Request& request,
                                                       httplib::Response& response) {
    const char* method = MethodOf(request);
    const bool has_body = request.has_header("Transfer-Encoding") ||
                          (request.has_header("Content-Length") &&
                           request.get_header_value("Content-Length") != "0");
    absl::Status refused;
    int status = 0;
    if (has_body && !(request.method == "POST" && absl::string_view(method) == "ModelInfer")) {
      refused = absl::InvalidArgumentError(
          absl::StrCat(request.method, " ", request.path, " takes no body"));
    } else if (request.is_multipart_form_data()) {
      // The library would parse it with receivers the handler does not give.
      refused = absl::InvalidArgumentError("a multipart/form-data body is not an infer request");
    } else if (uint64_t declared = 0;
               request.has_header("Content-Length") &&
               !absl::SimpleAtoi(request.get_header_value("Content-Length"), &declared)) {
      refused = absl::InvalidArgumentError(absl::StrCat(
          "Content-Length '", Echo(request.get_header_value("Content-Length")),
          "' is not a byte count"));
    } else if (declared > static_cast<uint64_t>(options.max_message_bytes)) {
      refused = absl::InvalidArgumentError(
          absl::StrCat("the body (Content-Length ", declared,
                       ") is more than the message limit of ", options.max_message_bytes,
                       " bytes"));
      status = 413;
    } else if (absl::string_view(method) != "ServerLive" &&
               absl::string_view(method) != "ServerReady") {
      refused = Authorize(options, HttpCallContext(request));
    }
    if (refused.ok()) return httplib::Server::HandlerResponse::Unhandled;
    LogFailure(method, refused);
    RecordCall(inference->metrics(), method, refused, kProtocol);
    if (has_body) {
      AnswerAndClose(response, refused, status);
    } else {
      Answer(response, refused);
      if (status != 0) response.status = status;
    }
    return httplib::Server::HandlerResponse::Handled;
  });

  server.Get("/v2/health/live", [inference](const httplib::Request&, httplib::Response& response) {
    RecordCall(inference->metrics(), "ServerLive", absl::OkStatus(), kProtocol);
    response.set_content(R"({"live":true})", kJson);
  });
  server.Get("/v2/health/ready",
             [inference](const httplib::Request&, httplib::Response& response) {
               const bool ready = inference->ready();
               RecordCall(inference->metrics(), "ServerReady", absl::OkStatus(), kProtocol);
               response.status = ready ? 200 : 400;
               response.set_content(ready ? R"({"ready":true})" : R"({"ready":false})", kJson);
             });
  server.Get("/v2", [inference](const httplib::Request&, httplib::Response& response) {
    inference::ServerMetadataResponse metadata;
    InferenceService::FillServerMetadata(&metadata);
    RecordCall(inference->metrics(), "ServerMetadata", absl::OkStatus(), kProtocol);
    response.set_content(http::RenderServerMetadata(metadata), kJson);
  });
  server.Get(R"(/v2/models/([^/]+)(?:/versions/([^/]+))?/ready)",
             [inference](const httplib::Request& request, httplib::Response& response) {
               const auto [model, version] = ModelOf(request);
               const bool ready = inference->ModelIsReady(model, version);
               RecordCall(inference->metrics(), "ModelReady", absl::OkStatus(), kProtocol);
               response.status = ready ? 200 : 400;
               response.set_content(http::RenderModelReady(model, ready), kJson);
             });
  server.Get(R"(/v2/models/([^/]+)(?:/versions/([^/]+))?)",
             [&options, inference](const httplib::Request& request, httplib::Response& response) {
               inference::ModelMetadataRequest metadata_request;
               const auto [model, version] = ModelOf(request);
               metadata_request.set_name(model);
               metadata_request.set_version(version);
               inference::ModelMetadataResponse metadata;
               const HttpCallContext call(request);
               MemoryBudget::Reservation hold;
               const absl::Status status = RunOnPool(
                   options, inference->pool(), "ModelMetadata", call, &hold,
                   [&] { return inference->RunModelMetadata(metadata_request, &metadata); },
                   [inference](const absl::Status& done) {
                     RecordCall(inference->metrics(), "ModelMetadata", done, kProtocol);
                   });
               if (!status.ok()) return Answer(response, status);
               response.set_content(http::RenderModelMetadata(metadata), kJson);
             });

  server.Post(
      R"(/v2/models/([^/]+)(?:/versions/([^/]+))?/infer)",
      [&options, inference](const httplib::Request& request, httplib::Response& response,
                            const httplib::ContentReader& content_reader) {
        const auto queued = Clock::now();
        const size_t limit = static_cast<size_t>(options.max_message_bytes);
        const auto body_deadline = queued + options.http_timeout;
        // The body as it arrives, after the library undid chunking and gzip/br: counted and
        // cut at the limit, so that no framing or encoding gets more than the limit in.
        std::string body;
        bool too_large = false, too_slow = false;
        const bool read = content_reader([&](const char* data, size_t size) {
          if (size > limit - body.size()) {
            too_large = true;
            return false;
          }
          if (Clock::now() > body_deadline) {
            too_slow = true;
            return false;
          }
          body.append(data, size);
          return true;
        });
        InferenceService::InferStats stats;
        auto record = [&](const absl::Status& status, int64_t bytes_out) {
          InferenceService::RecordInfer(inference->metrics(), "ModelInfer",
                                        static_cast<int64_t>(body.size()), bytes_out, status,
                                        stats, MicrosSince(queued), kProtocol);
        };
        if (!read) {
          // A socket read that waited options.http_timeout fails the read too: slow, not bad.
          too_slow = too_slow || (!too_large && Clock::now() - queued >= options.http_timeout);
          const absl::Status status =
              too_large ? absl::InvalidArgumentError(absl::StrCat(
                              "the body is more than the message limit of ", limit, " bytes"))
              : too_slow ? absl::DeadlineExceededError(absl::StrCat(
                               "the body did not arrive within ", options.http_timeout.count(),
                               " ms"))
                         : absl::InvalidArgumentError(
                               "the body could not be read (its framing or Content-Encoding "
                               "is not valid)");
          LogFailure("ModelInfer", status);
          record(status, 0);
          return AnswerAndClose(response, status, too_large ? 413 : too_slow ? 408 : 0);
        }
        const auto [model, version] = ModelOf(request);
        const auto header_length = request.has_header(std::string(http::kHeaderLengthHeader))
                                       ? absl::optional<std::string>(request.get_header_value(
                                             std::string(http::kHeaderLengthHeader)))
                                       : absl::nullopt;
        absl::StatusOr<http::InferRequest> parsed = http::ParseInferRequest(
            body, header_length ? absl::optional<absl::string_view>(*header_length)
                                : absl::nullopt,
            model, version, limit);
        if (!parsed.ok()) {
          stats.model = "unknown";
          LogFailure("ModelInfer", parsed.status());
          record(parsed.status(), 0);
          return Answer(response, parsed.status());
        }
        body.clear();
        body.shrink_to_fit();  // the request holds the bytes now
        const HttpCallContext call(request);
        MemoryBudget::Reservation hold;
        http::Body answer;
        const absl::Status status = RunOnPool(
            options, inference->pool(), "ModelInfer", call, &hold,
            [&](const CallContext& context, MemoryBudget::Reservation* reservation) {
              stats.queue_us = MicrosSince(queued);
              inference::ModelInferResponse infer_response;
              HBPREP_RETURN_IF_ERROR(inference->RunInfer(parsed->request, &infer_response,
                                                          &context, &stats, reservation));
              HBPREP_ASSIGN_OR_RETURN(answer,
                                      http::RenderInferResponse(*parsed, infer_response));
              return absl::OkStatus();
            },
            [&](const absl::Status& done) {
              record(done, done.ok() ? static_cast<int64_t>(answer.bytes.size()) : 0);
            });
        if (!status.ok()) return Answer(response, status);
        if (answer.header_length) {
          response.set_header(std::string(http::kHeaderLengthHeader),
                              std::to_string(*answer.header_length));
          response.set_content(std::move(answer.bytes), "application/octet-stream");
        } else {
          response.set_content(std::move(answer.bytes), kJson);
        }
      });

  server.set_error_handler([](const httplib::Request& request, httplib::Response& response) {
    if (!response.body.empty() || response.has_header("Content-Type")) return;  // ours
    const absl::Status status =
        response.status == 404
            ? absl::NotFoundError(absl::StrCat("no route ", request.method, " ", request.path))
        : response.status == 400
            ? absl::InvalidArgumentError(absl::StrCat(
                  "the request line or headers are malformed or longer than ", kMaxHeaderBytes,
                  " bytes"))
            : absl::InvalidArgumentError(absl::StrCat("HTTP status ", response.status));
    response.set_content(http::ErrorBody(status), kJson);
  });
}

}  // namespace hbprep
