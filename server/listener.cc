#include "server/listener.h"

#include <dirent.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <unordered_map>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "grpc/grpc.h"
#include "grpc/grpc_posix.h"
#include "grpc/grpc_security.h"
#include "spdlog/spdlog.h"

namespace hbprep {
namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

absl::Status Unavailable(const std::string& address, const std::string& what) {
  return absl::UnavailableError(absl::StrCat("cannot listen on ", address, ": ", what));
}

}  // namespace

// One client connection and the gRPC end of its socket pair.
struct ConnectionGate::Proxied {
  int client = -1, inner = -1;
  std::string up, down;  // bytes read but not written yet: client -> gRPC, gRPC -> client
  bool client_eof = false, inner_eof = false;
  bool inner_closed = false;    // gRPC's end no longer takes bytes (what it wrote still goes on)
  int64_t linger_until_ms = 0;  // with inner < 0: gRPC is done, waiting for the client's EOF
  // Where the client's byte stream is: the 24-byte preface, then frames (9-byte headers).
  size_t preface_left = 24;
  unsigned char header[9] = {};
  size_t header_have = 0;
  uint64_t payload_left = 0;
  double reset_tokens = kResetBurst;
  int64_t refilled_ms = 0;
  int64_t resets = 0;
};

int CountOpenDescriptors() {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return 0;
  int count = 0;
  while (dirent* entry = readdir(dir)) {
    if (entry->d_name[0] != '.') ++count;
  }
  closedir(dir);
  return count - 1;  // the folder's own descriptor
}

ConnectionGate::ConnectionGate() = default;

ConnectionGate::~ConnectionGate() { Stop(); }

absl::StatusOr<int> ConnectionGate::Listen(const std::string& address) {
  int fd = -1;
  int port = 0;
  if (absl::StartsWith(address, "unix:")) {
    const std::string path = address.substr(5);
    sockaddr_un local{};
    if (path.empty() || path.size() >= sizeof(local.sun_path)) {
      return Unavailable(address, "the path is empty or too long");
    }
    local.sun_family = AF_UNIX;
    memcpy(local.sun_path, path.data(), path.size());
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    unlink(path.c_str());  // a stale socket of an earlier run (the caller holds the lock)
    if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof(local)) != 0 ||
        listen(fd, SOMAXCONN) != 0) {
      const std::string error = strerror(errno);
      if (fd >= 0) close(fd);
      return Unavailable(address, error);
    }
    unix_paths_.push_back(path);
  } else {
    const size_t colon = address.rfind(':');
    if (colon == std::string::npos || !absl::SimpleAtoi(address.substr(colon + 1), &port) ||
        port < 0 || port > 65535) {
      return Unavailable(address, "not HOST:PORT");
    }
    std::string host = address.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
      host = host.substr(1, host.size() - 2);
    }
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    addrinfo* found = nullptr;
    if (getaddrinfo(host.empty() ? nullptr : host.c_str(), std::to_string(port).c_str(), &hints,
                    &found) != 0 ||
        found == nullptr) {
      return Unavailable(address, absl::StrCat("cannot resolve '", host, "'"));
    }
    // Every address the host resolves to, in order, until one binds; with no host the IPv6
    // wildcard (dual stack) comes first, as gRPC does, and IPv4's is the fallback.
    std::vector<const addrinfo*> candidates;
    for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
      if (host.empty() && a->ai_family == AF_INET6) {
        candidates.insert(candidates.begin(), a);
      } else {
        candidates.push_back(a);
      }
    }
    bool bound = false;
    for (const addrinfo* use : candidates) {
      fd = socket(use->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (fd < 0) continue;
      const int one = 1, zero = 0;
      setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
      if (use->ai_family == AF_INET6) {
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
      }
      bound = bind(fd, use->ai_addr, use->ai_addrlen) == 0 && listen(fd, SOMAXCONN) == 0;
      if (bound) break;
      close(fd);
      fd = -1;
    }
    freeaddrinfo(found);
    sockaddr_storage local{};
    socklen_t length = sizeof(local);
    if (!bound || getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length) != 0) {
      const std::string error = strerror(errno);
      if (fd >= 0) close(fd);
      return Unavailable(address, error);
    }
    port = ntohs(local.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&local)->sin6_port
                                             : reinterpret_cast<sockaddr_in*>(&local)->sin_port);
  }
  listeners_.push_back(fd);
  return port;
}

void ConnectionGate::Start(grpc_server* server, int max_descriptors) {
  if (listeners_.empty() || thread_.joinable()) return;
  server_ = server;
  max_descriptors_ = max_descriptors;
  credentials_ = grpc_insecure_server_credentials_create();
  if (pipe2(wake_fds_, O_CLOEXEC | O_NONBLOCK) != 0) wake_fds_[0] = wake_fds_[1] = -1;
  if (pipe2(pump_wake_fds_, O_CLOEXEC | O_NONBLOCK) != 0) {
    pump_wake_fds_[0] = pump_wake_fds_[1] = -1;
  }
  spare_fd_ = open("/dev/null", O_RDONLY | O_CLOEXEC);
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  epoll_event wake{};
  wake.events = EPOLLIN;
  wake.data.ptr = nullptr;
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, pump_wake_fds_[0], &wake);
  pump_ = std::thread([this] { Pump(); });
  thread_ = std::thread([this] { Loop(); });
}

void ConnectionGate::StopAccepting() {
  const char byte = 0;
  if (thread_.joinable()) {
    (void)!write(wake_fds_[1], &byte, 1);
    thread_.join();
  }
  for (int fd : listeners_) close(fd);
  listeners_.clear();
  for (const std::string& path : unix_paths_) unlink(path.c_str());
  unix_paths_.clear();
  if (pump_.joinable() && !draining_.exchange(true)) {
    const char drain = kWakeDrain;
    (void)!write(pump_wake_fds_[1], &drain, 1);
  }
}

void ConnectionGate::Stop(std::chrono::steady_clock::time_point deliver_until) {
  StopAccepting();
  if (pump_.joinable()) {
    deliver_until_ = deliver_until;
    const char stop = kWakeStop;
    (void)!write(pump_wake_fds_[1], &stop, 1);
    pump_.join();
  }
  for (int* fd : {&wake_fds_[0], &wake_fds_[1], &pump_wake_fds_[0], &pump_wake_fds_[1], &spare_fd_,
                  &epoll_fd_}) {
    if (*fd >= 0) close(*fd);
    *fd = -1;
  }
  if (credentials_ != nullptr) grpc_server_credentials_release(credentials_);
  credentials_ = nullptr;
}

void ConnectionGate::Loop() {
  std::vector<pollfd> polled;
  polled.push_back({wake_fds_[0], POLLIN, 0});
  for (int fd : listeners_) polled.push_back({fd, POLLIN, 0});
  for (;;) {
    if (poll(polled.data(), polled.size(), -1) < 0 && errno != EINTR) return;
    if (polled[0].revents != 0) return;  // Stop()
    for (size_t i = 1; i < polled.size(); ++i) {
      if (polled[i].revents != 0) AcceptAll(polled[i].fd);
    }
  }
}

void ConnectionGate::AcceptAll(int listener) {
  for (;;) {
    const int fd = accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if ((errno == EMFILE || errno == ENFILE) && spare_fd_ >= 0) {
        // Out of descriptors all the same: take the waiting connection with the spare one
        // and close it, so that it does not wake this loop forever; the listener stays.
        close(spare_fd_);
        const int waiting = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
        if (waiting >= 0) close(waiting);
        spare_fd_ = open("/dev/null", O_RDONLY | O_CLOEXEC);
        ++refused_;
        continue;
      }
      return;  // EAGAIN: nothing more waiting
    }
    const int64_t now = NowMs();
    if (now - counted_at_ms_ >= 50) {
      estimate_ = CountOpenDescriptors();
      counted_at_ms_ = now;
    } else {
      ++estimate_;  // the one just accepted
    }
    // A connection takes three descriptors: the client's and the socket pair to gRPC.
    if (estimate_ + 2 >= max_descriptors_) {
      close(fd);
      --estimate_;
      ++refused_;
      if (now - warned_at_ms_ >= 10000) {
        warned_at_ms_ = now;
        spdlog::warn("refusing connections: {} file descriptors open, at most {} ({} refused)",
                     estimate_, max_descriptors_, refused_.load());
      }
      continue;
    }
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));  // fails harmlessly on unix
    int pair[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, pair) != 0) {
      close(fd);
      ++refused_;
      continue;
    }
    estimate_ += 2;
    ++accepted_;
    auto owned = std::make_unique<Proxied>();
    Proxied* connection = owned.get();
    {
      std::lock_guard<std::mutex> lock(connections_mutex_);
      connections_.emplace(connection, std::move(owned));
    }
    connection->client = fd;
    connection->inner = pair[0];
    connection->refilled_ms = now;
    grpc_server_add_channel_from_fd(server_, pair[1], credentials_);
    epoll_event event{};
    event.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    event.data.ptr = connection;
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event);
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, pair[0], &event);
  }
}

void ConnectionGate::Close(Proxied* connection) {
  if (connection->client < 0) return;
  if (connection->inner < 0) --lingering_;
  close(connection->client);
  if (connection->inner >= 0) close(connection->inner);
  connection->client = connection->inner = -1;
}

bool ConnectionGate::PumpOnce(int timeout_ms) {
  epoll_event events[256];
  const int ready = epoll_wait(epoll_fd_, events, 256, timeout_ms);
  if (ready < 0 && errno != EINTR) return true;
  bool stop = false;
  std::vector<Proxied*> woken, closed;
  for (int i = 0; i < ready; ++i) woken.push_back(static_cast<Proxied*>(events[i].data.ptr));
  for (size_t i = 0; i < woken.size(); ++i) {
    Proxied* connection = woken[i];
    if (connection == nullptr) {  // StopAccepting() or Stop()
      char wakes[16];
      for (ssize_t got; (got = read(pump_wake_fds_[0], wakes, sizeof(wakes))) > 0;) {
        stop = stop || std::find(wakes, wakes + got, kWakeStop) != wakes + got;
      }
      // Draining from now on: every connection takes all gRPC has written (Service()).
      std::lock_guard<std::mutex> lock(connections_mutex_);
      for (auto& [open, holder] : connections_) woken.push_back(open);
      continue;
    }
    if (connection->client < 0) continue;  // closed earlier in this batch
    if (!Service(connection)) {
      Close(connection);
      closed.push_back(connection);
    }
  }
  // Closed connections go once no event of this batch can name them any more; so do those
  // whose client has not closed its end within kLingerMs.
  std::lock_guard<std::mutex> lock(connections_mutex_);
  for (Proxied* connection : closed) connections_.erase(connection);
  if (lingering_ > 0) {
    const int64_t now = NowMs();
    for (auto it = connections_.begin(); it != connections_.end();) {
      if (it->first->inner < 0 && now >= it->first->linger_until_ms) {
        Close(it->first);
        it = connections_.erase(it);
      } else {
        ++it;
      }
    }
  }
  return stop;
}

void ConnectionGate::Pump() {
  while (!PumpOnce(lingering_ > 0 ? 100 : -1)) {
  }
  // Stopping comes after gRPC finished its calls (Server::Stop waits for them), but their
  // last bytes may still be on their way to the clients: go on forwarding while a connection
  // has bytes to deliver or waits for its client's EOF, and while gRPC writes (nothing for
  // 20 ms ends it), until deliver_until_; then close what is left.
  while (std::chrono::steady_clock::now() < deliver_until_) {
    bool open = false, busy = false;
    {
      std::lock_guard<std::mutex> lock(connections_mutex_);
      for (auto& [connection, holder] : connections_) {
        open = true;
        busy = busy || connection->inner < 0 || !connection->down.empty();
      }
    }
    if (!open) break;
    const int64_t quiet_from = NowMs();
    PumpOnce(busy ? 5 : 20);
    if (!busy && NowMs() - quiet_from >= 20) break;
  }
  std::lock_guard<std::mutex> lock(connections_mutex_);
  for (auto& [connection, holder] : connections_) Close(connection);
  connections_.clear();
}

bool ConnectionGate::Service(Proxied* c) {
  char buffer[65536];
  // Writes what is pending to `to`; false on a hard error.
  auto flush = [](int to, std::string* pending) {
    while (!pending->empty()) {
      const ssize_t put = send(to, pending->data(), pending->size(), MSG_NOSIGNAL);
      if (put < 0) return errno == EAGAIN || errno == EINTR;
      pending->erase(0, static_cast<size_t>(put));
    }
    return true;
  };
  // The two directions end separately: gRPC may close its end while the client still sends
  // (a WINDOW_UPDATE, a PING), and what gRPC wrote before closing must still reach the
  // client, so a failed write to gRPC only stops that direction.
  for (bool moved = true; moved;) {
    moved = false;
    if (c->inner >= 0 && !flush(c->inner, &c->up)) {
      c->inner_closed = true;
      c->up.clear();
    }
    if (!flush(c->client, &c->down)) return false;  // the client is gone
    // Client -> gRPC, reading the frame headers on the way; dropped once gRPC takes no more.
    if (c->up.empty() && !c->client_eof) {
      const ssize_t got = read(c->client, buffer, sizeof(buffer));
      if (got == 0) {
        c->client_eof = true;
        if (c->inner >= 0) shutdown(c->inner, SHUT_WR);
      } else if (got < 0 && errno != EAGAIN && errno != EINTR) {
        return false;
      } else if (got > 0 && (c->inner < 0 || c->inner_closed)) {
        moved = true;
      } else if (got > 0) {
        moved = true;
        const int64_t now = NowMs();
        for (ssize_t at = 0; at < got;) {
          const size_t left = static_cast<size_t>(got - at);
          if (c->preface_left > 0) {
            const size_t skip = std::min(left, c->preface_left);
            c->preface_left -= skip;
            at += static_cast<ssize_t>(skip);
          } else if (c->payload_left > 0) {
            const size_t skip = static_cast<size_t>(std::min<uint64_t>(left, c->payload_left));
            c->payload_left -= skip;
            at += static_cast<ssize_t>(skip);
          } else {
            c->header[c->header_have++] = static_cast<unsigned char>(buffer[at++]);
            if (c->header_have < 9) continue;
            c->header_have = 0;
            c->payload_left =
                (uint64_t{c->header[0]} << 16) | (uint64_t{c->header[1]} << 8) | c->header[2];
            if (c->header[3] != 0x3) continue;  // RST_STREAM
            ++c->resets;
            c->reset_tokens = std::min(
                kResetBurst, c->reset_tokens + (now - c->refilled_ms) * kResetsPerSecond / 1000);
            c->refilled_ms = now;
            if (--c->reset_tokens < 0) {
              ++reset_floods_;
              spdlog::warn(
                  "closing a connection that reset {} streams, faster than {} a second "
                  "(HTTP/2 rapid reset)",
                  c->resets, kResetsPerSecond);
              return false;
            }
          }
        }
        c->up.assign(buffer, static_cast<size_t>(got));
      }
    }
    // gRPC -> client. A socket pair hands over what was written before an error is reported,
    // so an error here, like EOF, means gRPC has nothing more. While the server drains,
    // everything gRPC writes is taken at once, whatever the client's pace: gRPC 1.51 closes
    // a connection as soon as its last call is answered after a GOAWAY and drops what it
    // could not write yet (a slow client's response would lose its end). What is held is
    // what gRPC held: responses already made.
    if (c->inner >= 0 && !c->inner_eof && (c->down.empty() || draining_.load())) {
      const ssize_t got = read(c->inner, buffer, sizeof(buffer));
      if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR)) {
        c->inner_eof = true;
      } else if (got > 0) {
        moved = true;
        c->down.append(buffer, static_cast<size_t>(got));
      }
    }
  }
  if (c->inner >= 0 && c->inner_eof && c->down.empty()) {
    // gRPC is done and the client has everything it sent. Closing now, while the client's
    // last frames are unread here, would reset the connection, and a reset client may drop
    // the response's last bytes before reading them: half-close, and keep reading (and
    // dropping) until the client's EOF or kLingerMs.
    shutdown(c->client, SHUT_WR);
    close(c->inner);
    c->inner = -1;
    c->up.clear();
    c->linger_until_ms = NowMs() + kLingerMs;
    ++lingering_;  // Close() counts it off
  }
  return !(c->inner < 0 && c->client_eof);
}

}  // namespace hbprep
