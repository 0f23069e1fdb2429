#include "server/metrics.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace hbprep {
namespace {

using Clock = std::chrono::steady_clock;

// Histogram upper bounds in seconds: 100 us to 10 s.
constexpr std::array<double, 14> kBounds = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                            0.025,  0.05,    0.1,    0.25,  0.5,    1,     10};
constexpr const char* kStageNames[] = {"queue", "decode", "transform", "pack", "total"};

}  // namespace

void Metrics::Record(absl::string_view method, absl::string_view model, absl::string_view target,
                     absl::string_view code, int64_t bytes_in, int64_t bytes_out,
                     const std::array<int64_t, kStageCount>& stage_us,
                     absl::string_view protocol) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++requests_[{std::string(method), std::string(model), std::string(target), std::string(code),
               std::string(protocol)}];
  bytes_in_ += bytes_in;
  bytes_out_ += bytes_out;
  for (int stage = 0; stage < kStageCount; ++stage) {
    if (stage_us[stage] < 0) continue;
    const double seconds = stage_us[stage] / 1e6;
    Histogram& histogram = stages_[stage];
    for (size_t b = 0; b < kBounds.size(); ++b) {
      if (seconds <= kBounds[b]) ++histogram.buckets[b];
    }
    ++histogram.count;
    histogram.sum += seconds;
  }
}

void Metrics::RecordReload(int models) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++reloads_;
  models_ = models;
}

void Metrics::SetModels(int models) {
  std::lock_guard<std::mutex> lock(mutex_);
  models_ = models;
}

std::string Metrics::Render(const Gauges& gauges) const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string out;
  absl::StrAppend(&out,
                  "# HELP hbprep_requests_total RPCs finished, by method, model, target and "
                  "status code.\n# TYPE hbprep_requests_total counter\n");
  for (const auto& [labels, count] : requests_) {
    const auto& [method, model, target, code, protocol] = labels;
    absl::StrAppendFormat(&out,
                          "hbprep_requests_total{method=\"%s\",model=\"%s\",target=\"%s\","
                          "code=\"%s\"%s} %d\n",
                          method, model, target, code,
                          protocol.empty() ? "" : absl::StrCat(",protocol=\"", protocol, "\""),
                          count);
  }
  absl::StrAppend(&out,
                  "# HELP hbprep_stage_seconds Time per request stage (queue wait, decode, "
                  "transform, pack, total).\n# TYPE hbprep_stage_seconds histogram\n");
  for (int stage = 0; stage < kStageCount; ++stage) {
    const Histogram& histogram = stages_[stage];
    for (size_t b = 0; b < kBounds.size(); ++b) {
      absl::StrAppendFormat(&out, "hbprep_stage_seconds_bucket{stage=\"%s\",le=\"%g\"} %d\n",
                            kStageNames[stage], kBounds[b], histogram.buckets[b]);
    }
    absl::StrAppendFormat(&out, "hbprep_stage_seconds_bucket{stage=\"%s\",le=\"+Inf\"} %d\n",
                          kStageNames[stage], histogram.count);
    absl::StrAppendFormat(&out, "hbprep_stage_seconds_sum{stage=\"%s\"} %.6f\n", kStageNames[stage],
                          histogram.sum);
    absl::StrAppendFormat(&out, "hbprep_stage_seconds_count{stage=\"%s\"} %d\n", kStageNames[stage],
                          histogram.count);
  }
  absl::StrAppendFormat(&out,
                        "# HELP hbprep_queue_depth Requests waiting for a worker.\n"
                        "# TYPE hbprep_queue_depth gauge\nhbprep_queue_depth %d\n"
                        "# HELP hbprep_in_flight Requests a worker is running.\n"
                        "# TYPE hbprep_in_flight gauge\nhbprep_in_flight %d\n"
                        "# HELP hbprep_memory_budget_bytes Memory all requests together may "
                        "hold (--memory-budget).\n"
                        "# TYPE hbprep_memory_budget_bytes gauge\nhbprep_memory_budget_bytes %d\n"
                        "# HELP hbprep_memory_reserved_bytes Memory the requests in flight "
                        "reserved.\n"
                        "# TYPE hbprep_memory_reserved_bytes gauge\n"
                        "hbprep_memory_reserved_bytes %d\n"
                        "# HELP hbprep_memory_waiting Requests waiting for memory.\n"
                        "# TYPE hbprep_memory_waiting gauge\nhbprep_memory_waiting %d\n"
                        "# HELP hbprep_received_bytes_total Request message bytes.\n"
                        "# TYPE hbprep_received_bytes_total counter\n"
                        "hbprep_received_bytes_total %d\n"
                        "# HELP hbprep_sent_bytes_total Response message bytes.\n"
                        "# TYPE hbprep_sent_bytes_total counter\nhbprep_sent_bytes_total %d\n"
                        "# HELP hbprep_repository_reloads_total Repository reloads that changed "
                        "something.\n# TYPE hbprep_repository_reloads_total counter\n"
                        "hbprep_repository_reloads_total %d\n"
                        "# HELP hbprep_models Models the repository serves.\n"
                        "# TYPE hbprep_models gauge\nhbprep_models %d\n",
                        gauges.queued, gauges.running, gauges.memory_budget,
                        gauges.memory_reserved, gauges.memory_waiting, bytes_in_, bytes_out_,
                        reloads_, models_);
  return out;
}

// One peer: what it sent so far, what is left to send, and when it is cut off.
struct MetricsEndpoint::Connection {
  int fd;
  Clock::time_point deadline;
  std::string in, out;
  size_t sent = 0;
};

MetricsEndpoint::MetricsEndpoint() = default;

MetricsEndpoint::~MetricsEndpoint() { Stop(); }

std::string MetricsEndpoint::Host(const std::string& address) {
  const size_t colon = address.rfind(':');
  std::string host = colon == std::string::npos ? "" : address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return host.empty() ? "127.0.0.1" : host;
}

absl::StatusOr<int> MetricsEndpoint::Start(const std::string& address, const std::string& token,
                                           std::function<std::string()> render) {
  const size_t colon = address.rfind(':');
  const std::string port_text = colon == std::string::npos ? address : address.substr(colon + 1);
  int port = -1;
  if (!absl::SimpleAtoi(port_text, &port) || port < 0 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("--metrics-listen '", address, "' must be HOST:PORT, :PORT or PORT"));
  }
  const std::string host = Host(address);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0 ||
      found == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen for metrics on ", address, ": cannot resolve '", host, "'"));
  }
  int fd = socket(found->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  const int one = 1;
  if (fd >= 0) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  const bool bound = fd >= 0 && bind(fd, found->ai_addr, found->ai_addrlen) == 0 &&
                     listen(fd, kMaxConnections) == 0;
  freeaddrinfo(found);
  sockaddr_storage local{};
  socklen_t length = sizeof(local);
  if (!bound || getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length) != 0 ||
      pipe2(wake_fds_, O_CLOEXEC | O_NONBLOCK) != 0) {
    const std::string error = strerror(errno);
    if (fd >= 0) close(fd);
    return absl::UnavailableError(
        absl::StrCat("cannot listen for metrics on ", address, ": ", error));
  }
  listen_fd_ = fd;
  token_ = token;
  render_ = std::move(render);
  thread_ = std::thread([this] { Loop(); });
  return ntohs(local.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&local)->sin6_port
                                           : reinterpret_cast<sockaddr_in*>(&local)->sin_port);
}

void MetricsEndpoint::Stop() {
  if (thread_.joinable()) {
    const char byte = 0;
    (void)!write(wake_fds_[1], &byte, 1);
    thread_.join();
  }
  for (int* fd : {&listen_fd_, &wake_fds_[0], &wake_fds_[1]}) {
    if (*fd >= 0) close(*fd);
    *fd = -1;
  }
}

namespace {

std::string HttpResponse(const char* status, const std::string& body,
                         const char* extra_headers = "") {
  return absl::StrCat("HTTP/1.1 ", status,
                      "\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
                      "Content-Length: ",
                      body.size(), "\r\n", extra_headers, "Connection: close\r\n\r\n", body);
}

// The answer to one complete request head ("GET /metrics HTTP/1.1\r\n...\r\n\r\n").
std::string Answer(absl::string_view head, const std::string& token,
                   const std::function<std::string()>& render) {
  const size_t line_end = head.find("\r\n");
  const std::vector<absl::string_view> line =
      absl::StrSplit(head.substr(0, line_end), ' ', absl::SkipEmpty());
  if (line.size() != 3 || !absl::StartsWith(line[2], "HTTP/1.")) {
    return HttpResponse("400 Bad Request", "bad request\n");
  }
  const absl::string_view path = line[1].substr(0, line[1].find('?'));
  if (path != "/metrics") return HttpResponse("404 Not Found", "not found: try /metrics\n");
  if (line[0] != "GET" && line[0] != "HEAD") {
    return HttpResponse("405 Method Not Allowed", "only GET\n", "Allow: GET, HEAD\r\n");
  }
  if (!token.empty()) {
    bool authorized = false;
    for (absl::string_view header : absl::StrSplit(head.substr(line_end + 2), "\r\n")) {
      const size_t colon = header.find(':');
      if (colon == absl::string_view::npos ||
          !absl::EqualsIgnoreCase(header.substr(0, colon), "authorization")) {
        continue;
      }
      const absl::string_view value = absl::StripAsciiWhitespace(header.substr(colon + 1));
      const std::string want = "Bearer " + token;
      unsigned char diff = value.size() == want.size() ? 0 : 1;
      for (size_t i = 0; i < want.size() && i < value.size(); ++i) {
        diff |= static_cast<unsigned char>(value[i] ^ want[i]);
      }
      authorized = diff == 0;
    }
    if (!authorized) {
      return HttpResponse("401 Unauthorized", "the metrics need 'Authorization: Bearer <token>'\n",
                          "WWW-Authenticate: Bearer\r\n");
    }
  }
  std::string response = HttpResponse("200 OK", render());
  if (line[0] == "HEAD") response.resize(response.find("\r\n\r\n") + 4);
  return response;
}

}  // namespace

void MetricsEndpoint::Loop() {
  std::vector<Connection> connections;
  // Answered (or refused) peers whose input is read and dropped for up to a second before
  // closing: closing with unread input would reset the connection, and the peer could lose
  // the answer. At most kMaxConnections; beyond, closed at once.
  std::vector<Connection> lingering;
  auto linger = [&lingering](int fd) {
    if (static_cast<int>(lingering.size()) >= kMaxConnections) {
      close(fd);
      return;
    }
    shutdown(fd, SHUT_WR);
    lingering.push_back({fd, Clock::now() + std::chrono::seconds(1), {}, {}, 0});
  };
  std::vector<pollfd> polled;
  for (;;) {
    const Clock::time_point now = Clock::now();
    lingering.erase(std::remove_if(lingering.begin(), lingering.end(),
                                   [now](const Connection& c) {
                                     if (c.deadline > now) return false;
                                     close(c.fd);
                                     return true;
                                   }),
                    lingering.end());
    // Peers past their deadline are cut off, whatever they were doing.
    connections.erase(std::remove_if(connections.begin(), connections.end(),
                                     [now](const Connection& c) {
                                       if (c.deadline > now) return false;
                                       close(c.fd);
                                       return true;
                                     }),
                      connections.end());
    polled.assign({{wake_fds_[0], POLLIN, 0}, {listen_fd_, POLLIN, 0}});
    Clock::time_point next = now + kDeadline;
    for (const Connection& c : connections) {
      polled.push_back({c.fd, static_cast<short>(c.out.empty() ? POLLIN : POLLOUT), 0});
      next = std::min(next, c.deadline);
    }
    for (const Connection& c : lingering) {
      polled.push_back({c.fd, POLLIN, 0});
      next = std::min(next, c.deadline);
    }
    const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next - now).count();
    if (poll(polled.data(), polled.size(), static_cast<int>(wait) + 1) < 0 && errno != EINTR) {
      return;
    }
    if (polled[0].revents != 0) {  // Stop()
      for (const Connection& c : connections) close(c.fd);
      for (const Connection& c : lingering) close(c.fd);
      return;
    }
    for (size_t i = 0; i < lingering.size(); ++i) {
      if (polled[2 + connections.size() + i].revents == 0) continue;
      char buffer[4096];
      const ssize_t got = read(lingering[i].fd, buffer, sizeof(buffer));
      if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR)) {
        close(lingering[i].fd);
        lingering[i].fd = -1;
      }
    }
    lingering.erase(std::remove_if(lingering.begin(), lingering.end(),
                                   [](const Connection& c) { return c.fd < 0; }),
                    lingering.end());
    for (size_t i = 0; i < connections.size(); ++i) {
      Connection& c = connections[i];
      const short events = polled[i + 2].revents;
      if (events == 0) continue;
      bool done = false;
      if (c.out.empty()) {
        char buffer[4096];
        const ssize_t got = read(c.fd, buffer, sizeof(buffer));
        if (got <= 0) {
          done = got == 0 || (errno != EAGAIN && errno != EINTR);
        } else {
          c.in.append(buffer, static_cast<size_t>(got));
          const size_t end = c.in.find("\r\n\r\n");
          if (end != std::string::npos) {
            c.out = Answer(absl::string_view(c.in).substr(0, end + 2), token_, render_);
          } else if (c.in.size() > kMaxRequestBytes) {
            c.out = HttpResponse("431 Request Header Fields Too Large", "request too large\n");
          }
        }
      }
      if (!done && !c.out.empty()) {
        const ssize_t put = send(c.fd, c.out.data() + c.sent, c.out.size() - c.sent, MSG_NOSIGNAL);
        if (put > 0) c.sent += static_cast<size_t>(put);
        done = (put < 0 && errno != EAGAIN && errno != EINTR) || c.sent == c.out.size();
      }
      if (done) {
        linger(c.fd);
        c.fd = -1;
      }
    }
    connections.erase(std::remove_if(connections.begin(), connections.end(),
                                     [](const Connection& c) { return c.fd < 0; }),
                      connections.end());
    if (polled[1].revents != 0) {
      for (;;) {
        const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) break;  // EAGAIN, or out of descriptors: the listener stays, poll again
        if (static_cast<int>(connections.size()) >= kMaxConnections) {
          const std::string busy =
              HttpResponse("503 Service Unavailable", "too many connections\n");
          (void)!send(fd, busy.data(), busy.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
          linger(fd);
          continue;
        }
        connections.push_back({fd, Clock::now() + kDeadline, {}, {}, 0});
      }
    }
  }
}

}  // namespace hbprep
