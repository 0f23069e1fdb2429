#include "server/metrics.h"

#include <httplib.h>

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace hbprep {
namespace {

// Histogram upper bounds in seconds: 100 us to 10 s.
constexpr std::array<double, 14> kBounds = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                            0.025,  0.05,    0.1,    0.25,  0.5,    1,     10};
constexpr const char* kStageNames[] = {"queue", "decode", "transform", "pack", "total"};

}  // namespace

void Metrics::Record(absl::string_view method, absl::string_view model, absl::string_view target,
                     absl::string_view code, int64_t bytes_in, int64_t bytes_out,
                     const std::array<int64_t, kStageCount>& stage_us) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++requests_[{std::string(method), std::string(model), std::string(target), std::string(code)}];
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

std::string Metrics::Render(int queued, int running) const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string out;
  absl::StrAppend(&out,
                  "# HELP hbprep_requests_total RPCs finished, by method, model, target and "
                  "status code.\n# TYPE hbprep_requests_total counter\n");
  for (const auto& [labels, count] : requests_) {
    const auto& [method, model, target, code] = labels;
    absl::StrAppendFormat(&out,
                          "hbprep_requests_total{method=\"%s\",model=\"%s\",target=\"%s\","
                          "code=\"%s\"} %d\n",
                          method, model, target, code, count);
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
                        queued, running, bytes_in_, bytes_out_, reloads_, models_);
  return out;
}

MetricsEndpoint::MetricsEndpoint() = default;

MetricsEndpoint::~MetricsEndpoint() { Stop(); }

absl::StatusOr<int> MetricsEndpoint::Start(const std::string& address,
                                           std::function<std::string()> render) {
  const size_t colon = address.rfind(':');
  int port = -1;
  if (colon == std::string::npos || !absl::SimpleAtoi(address.substr(colon + 1), &port) ||
      port < 0 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("--metrics-listen '", address, "' must be HOST:PORT"));
  }
  const std::string host = address.substr(0, colon);
  http_ = std::make_unique<httplib::Server>();
  http_->Get("/metrics", [render](const httplib::Request&, httplib::Response& response) {
    response.set_content(render(), "text/plain; version=0.0.4");
  });
  const int bound =
      port == 0 ? http_->bind_to_any_port(host) : (http_->bind_to_port(host, port) ? port : -1);
  if (bound < 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen for metrics on ", address));
  }
  thread_ = std::thread([this] { http_->listen_after_bind(); });
  return bound;
}

void MetricsEndpoint::Stop() {
  if (http_) http_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace hbprep
