// hbprep-server's own accept loop for its plaintext listeners (TCP and unix sockets).
//
// gRPC 1.51 stops accepting on a listener for good when accept() fails with EMFILE
// (CVE-2023-4785; fixed in 1.53) and has no cap on incoming connections. So the server binds
// and accepts itself, hands each connection to gRPC (grpc_server_add_channel_from_fd), and
// refuses new connections (closes them at once) while the process holds `max_descriptors`
// file descriptors or more, which is set below the file limit: gRPC never meets EMFILE, and
// when anything else leaves the process at its limit anyway, this loop survives it (a spare
// descriptor lets it accept and close the connection that is waiting).
//
// Each connection reaches gRPC through a socket pair, with the bytes copied by one pump
// thread that reads the client's HTTP/2 frame headers on the way: a connection that resets
// more than kResetBurst streams beyond kResetsPerSecond (HTTP/2 "rapid reset", CVE-2023-44487:
// gRPC 1.51 has no limit, and every reset stream costs it memory it keeps for reuse, about
// 20 KB) is closed.
//
// gRPC takes only plaintext connections this way; TLS listeners stay gRPC's own.
#ifndef HBPREP_SERVER_LISTENER_H_
#define HBPREP_SERVER_LISTENER_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"

struct grpc_server;
struct grpc_server_credentials;

namespace hbprep {

// File descriptors the process holds now (/proc/self/fd).
int CountOpenDescriptors();

class ConnectionGate {
 public:
  static constexpr double kResetBurst = 200;
  static constexpr double kResetsPerSecond = 100;
  // How long a connection gRPC has closed waits for its client's EOF before it is closed.
  static constexpr int64_t kLingerMs = 2000;

  ConnectionGate();
  ~ConnectionGate();
  ConnectionGate(const ConnectionGate&) = delete;
  ConnectionGate& operator=(const ConnectionGate&) = delete;

  // Binds and listens on "host:port" (port 0 picks one) or "unix:PATH" (an existing socket
  // file is replaced: the caller holds the path's lock). Returns the port (0 for unix).
  absl::StatusOr<int> Listen(const std::string& address);
  // Starts accepting on every Listen()ed address, handing connections to `server` (started)
  // while fewer than `max_descriptors` descriptors are open.
  void Start(grpc_server* server, int max_descriptors);
  // Stops accepting and closes the listeners (unix socket files are removed); connections
  // already taken go on, draining: what gRPC writes to them is taken whatever the client's
  // pace. Idempotent.
  void StopAccepting();
  // StopAccepting(), then forwards what gRPC wrote until every client has it and has hung up,
  // or `deliver_until`, and closes every connection. Call it after grpc::Server::Wait().
  // Idempotent.
  void Stop(std::chrono::steady_clock::time_point deliver_until = {});

  int64_t accepted() const { return accepted_.load(); }
  int64_t refused() const { return refused_.load(); }
  // Connections closed for resetting streams too fast.
  int64_t reset_floods() const { return reset_floods_.load(); }

 private:
  struct Proxied;
  void Loop();
  void AcceptAll(int listener);
  void Pump();
  // One epoll_wait (at most `timeout_ms`, -1 without end) and its events; true on Stop().
  bool PumpOnce(int timeout_ms);
  // Moves what can move between a connection's two sockets; false once it is over.
  bool Service(Proxied* connection);
  void Close(Proxied* connection);

  std::vector<int> listeners_;
  std::vector<std::string> unix_paths_;
  int wake_fds_[2] = {-1, -1};       // wakes the accept loop
  int pump_wake_fds_[2] = {-1, -1};  // wakes the pump
  int spare_fd_ = -1;
  grpc_server* server_ = nullptr;
  grpc_server_credentials* credentials_ = nullptr;
  int max_descriptors_ = 0;
  int estimate_ = 0;  // descriptors open, counted at counted_at_ plus accepts since
  int64_t counted_at_ms_ = 0;
  int64_t warned_at_ms_ = 0;
  std::atomic<int64_t> accepted_{0}, refused_{0}, reset_floods_{0};
  static constexpr char kWakeDrain = 'd', kWakeStop = 's';  // bytes on pump_wake_fds_
  std::atomic<bool> draining_{false};
  std::chrono::steady_clock::time_point deliver_until_;  // set before the stop wake
  std::thread thread_;
  int epoll_fd_ = -1;
  std::thread pump_;
  std::mutex connections_mutex_;  // the accept loop adds, the pump removes
  std::unordered_map<Proxied*, std::unique_ptr<Proxied>> connections_;
  int lingering_ = 0;  // connections whose gRPC end is closed (the pump's own count)
};

}  // namespace hbprep

#endif  // HBPREP_SERVER_LISTENER_H_
