// Prometheus metrics of hbprep-server, rendered in the text exposition format (0.0.4) and
// served over HTTP by MetricsEndpoint (cpp-httplib).
//
// Labels stay bounded: a model label is a repository model's name (or "inline" for inline
// descriptors, "unknown" when the request named no model that exists), never free text.
//
// Thread-safety: every method may be called from any thread.
#ifndef HBPREP_SERVER_METRICS_H_
#define HBPREP_SERVER_METRICS_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <tuple>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace httplib {
class Server;
}

namespace hbprep {

class Metrics {
 public:
  enum Stage { kQueue, kDecode, kTransform, kPack, kTotal, kStageCount };

  // One finished RPC. `stage_us` is -1 for stages the RPC did not reach.
  void Record(absl::string_view method, absl::string_view model, absl::string_view target,
              absl::string_view code, int64_t bytes_in, int64_t bytes_out,
              const std::array<int64_t, kStageCount>& stage_us);
  void RecordReload(int models);
  void SetModels(int models);
  // Gauges are read when rendering: queued and running requests.
  std::string Render(int queued, int running) const;

 private:
  struct Histogram {
    std::array<int64_t, 14> buckets{};  // counts per upper bound in kBounds
    int64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mutex_;
  std::map<std::tuple<std::string, std::string, std::string, std::string>, int64_t> requests_;
  std::array<Histogram, kStageCount> stages_;
  int64_t bytes_in_ = 0, bytes_out_ = 0, reloads_ = 0, models_ = 0;
};

// GET /metrics on `address` ("host:port", port 0 picks one) on a thread of its own.
class MetricsEndpoint {
 public:
  MetricsEndpoint();
  ~MetricsEndpoint();
  MetricsEndpoint(const MetricsEndpoint&) = delete;
  MetricsEndpoint& operator=(const MetricsEndpoint&) = delete;

  // `render` produces the page. Returns the bound port.
  absl::StatusOr<int> Start(const std::string& address, std::function<std::string()> render);
  void Stop();

 private:
  std::unique_ptr<httplib::Server> http_;
  std::thread thread_;
};

}  // namespace hbprep

#endif  // HBPREP_SERVER_METRICS_H_
