// Prometheus metrics of hbprep-server, rendered in the text exposition format (0.0.4) and
// served over HTTP by MetricsEndpoint.
//
// Labels stay bounded: a model label is a repository model's name (or "inline" for inline
// descriptors, "unknown" when the request named no model that exists), never free text.
//
// Thread-safety: every method may be called from any thread.
#ifndef HBPREP_SERVER_METRICS_H_
#define HBPREP_SERVER_METRICS_H_

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hbprep {

class Metrics {
 public:
  enum Stage { kQueue, kDecode, kTransform, kPack, kTotal, kStageCount };

  // One finished RPC. `stage_us` is -1 for stages the RPC did not reach. `protocol` is
  // empty for gRPC (its series carry no protocol label, as before HTTP came) and "http" for
  // the HTTP/REST front end (label protocol="http").
  void Record(absl::string_view method, absl::string_view model, absl::string_view target,
              absl::string_view code, int64_t bytes_in, int64_t bytes_out,
              const std::array<int64_t, kStageCount>& stage_us,
              absl::string_view protocol = "");
  void RecordReload(int models);
  void SetModels(int models);
  // Gauges are read when rendering.
  struct Gauges {
    int queued = 0, running = 0;  // requests waiting for a worker / run by one
    int64_t memory_budget = 0, memory_reserved = 0;  // bytes (MemoryBudget)
    int memory_waiting = 0;  // requests waiting for memory
  };
  std::string Render(const Gauges& gauges) const;

 private:
  struct Histogram {
    std::array<int64_t, 14> buckets{};  // counts per upper bound in kBounds
    int64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mutex_;
  std::map<std::tuple<std::string, std::string, std::string, std::string, std::string>, int64_t>
      requests_;
  std::array<Histogram, kStageCount> stages_;
  int64_t bytes_in_ = 0, bytes_out_ = 0, reloads_ = 0, models_ = 0;
};

// GET /metrics over HTTP/1.1 on one thread of its own, built to stay answerable when
// peers misbehave: each connection gets kDeadline in all to send its request and read the
// answer (slow peers are cut off, whatever they trickle), at most kMaxConnections are open
// at once (beyond, 503 and close at once), requests are at most kMaxRequestBytes, and with a
// token the page needs "Authorization: Bearer <token>" (401 otherwise). One request per
// connection ("Connection: close").
class MetricsEndpoint {
 public:
  static constexpr int kMaxConnections = 16;
  static constexpr std::chrono::milliseconds kDeadline{5000};
  static constexpr size_t kMaxRequestBytes = 8192;

  MetricsEndpoint();
  ~MetricsEndpoint();
  MetricsEndpoint(const MetricsEndpoint&) = delete;
  MetricsEndpoint& operator=(const MetricsEndpoint&) = delete;

  // `address` is "host:port", ":port" or "port" (both meaning 127.0.0.1; port 0 picks one).
  // `render` produces the page. Returns the bound port.
  absl::StatusOr<int> Start(const std::string& address, const std::string& token,
                            std::function<std::string()> render);
  void Stop();
  // The host Start() binds for `address` ("127.0.0.1" for ":port" and "port").
  static std::string Host(const std::string& address);

 private:
  struct Connection;
  void Loop();

  int listen_fd_ = -1;
  int wake_fds_[2] = {-1, -1};
  std::string token_;
  std::function<std::string()> render_;
  std::thread thread_;
};

}  // namespace hbprep

#endif  // HBPREP_SERVER_METRICS_H_
