#include "server/listener.h"

#include <dirent.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

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
    if (getaddrinfo(host.empty() || host == "0.0.0.0" ? nullptr : host.c_str(),
                    std::to_string(port).c_str(), &hints, &found) != 0 ||
        found == nullptr) {
      return Unavailable(address, absl::StrCat("cannot resolve '", host, "'"));
    }
    // With no host, prefer the IPv6 wildcard (dual stack), as gRPC does.
    const addrinfo* use = found;
    for (const addrinfo* a = found; host.empty() && a != nullptr; a = a->ai_next) {
      if (a->ai_family == AF_INET6) use = a;
    }
    fd = socket(use->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    const int one = 1, zero = 0;
    if (fd >= 0) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (fd >= 0 && use->ai_family == AF_INET6) {
      setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
    }
    const bool bound = fd >= 0 && bind(fd, use->ai_addr, use->ai_addrlen) == 0 &&
                       listen(fd, SOMAXCONN) == 0;
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
  spare_fd_ = open("/dev/null", O_RDONLY | O_CLOEXEC);
  thread_ = std::thread([this] { Loop(); });
}

void ConnectionGate::Stop() {
  if (thread_.joinable()) {
    const char byte = 0;
    (void)!write(wake_fds_[1], &byte, 1);
    thread_.join();
  }
  for (int fd : listeners_) close(fd);
  listeners_.clear();
  for (const std::string& path : unix_paths_) unlink(path.c_str());
  unix_paths_.clear();
  for (int* fd : {&wake_fds_[0], &wake_fds_[1], &spare_fd_}) {
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
    if (estimate_ >= max_descriptors_) {
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
    ++accepted_;
    grpc_server_add_channel_from_fd(server_, fd, credentials_);
  }
}

}  // namespace hbprep
