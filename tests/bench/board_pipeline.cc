#include "tests/bench/board_pipeline.h"

#include <libyuv.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "hbprep/engine.h"
#include "hbprep/model.h"
#include "tests/bench/alloc_counter.h"
#include "tests/testing/camera.h"

namespace hbprep::bench {
namespace {

constexpr int kWidth = 1920, kHeight = 1080, kStride = 2048;

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n == 0 ? 0 : (n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2);
}

double Ms(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

// A camera pipeline's descriptor from tests/fixtures/pipelines/.
Descriptor Fixture(const std::string& name) {
  absl::StatusOr<Descriptor> d = LoadDescriptorFile(
      std::string(HBPREP_SOURCE_DIR "/tests/fixtures/pipelines/") + name + ".yaml", nullptr);
  if (!d.ok()) {
    std::fprintf(stderr, "board_pipeline: %s\n", std::string(d.status().message()).c_str());
    std::exit(1);
  }
  return *d;
}

using ::hbprep::testing::CameraFrame;

void Must(const absl::Status& status) {
  if (!status.ok()) {
    std::fprintf(stderr, "board_pipeline: %s\n", status.ToString().c_str());
    std::exit(1);
  }
}

// One scenario: the core into caller buffers, today's Prepare + PackStrided, and the floor,
// in turn each round (the machine's noise falls on all alike); then allocations of the
// steady state; then calls per second from one thread and from every core.
Json Scenario(const std::string& name, const Descriptor& descriptor, const CameraFrame& camera,
              std::optional<Roi> roi, int iterations,
              const std::function<void(const std::vector<OutputView>&)>& floor) {
  absl::StatusOr<Model> model = Model::Compile(descriptor, {});
  Must(model.status());
  const InputView view = InputView::Frame("camera", camera.view(), roi);
  const std::vector<InputImage> today_images = {camera.raw(ColorRange::kBt601Video, roi)};
  absl::StatusOr<std::vector<TensorSpec>> specs = model->OutputSpecs({view});
  Must(specs.status());
  OutputBuffers outputs(*specs);
  const std::vector<OutputView> out(outputs.views().begin(), outputs.views().end());
  Scratch scratch;

  std::vector<uint8_t> sink;

  std::vector<double> core_ms, today_ms, floor_ms;
  for (int round = 0; round < iterations + 3; ++round) {
    auto start = std::chrono::steady_clock::now();
    Must(PrepareInto(*model, {view}, out, scratch));
    const double core = Ms(start);
    start = std::chrono::steady_clock::now();
    absl::StatusOr<Prepared> prepared = Prepare(descriptor, today_images, {});
    Must(prepared.status());
    for (const Tensor& tensor : prepared->tensors) sink = PackStrided(tensor);
    const double today = Ms(start);
    start = std::chrono::steady_clock::now();
    floor(out);
    const double floor_time = Ms(start);
    if (round < 3) continue;  // warm-up: the scratch sees the sizes
    core_ms.push_back(core);
    today_ms.push_back(today);
    floor_ms.push_back(floor_time);
  }

  // Steady state: what ten calls allocate, per call.
  constexpr int kCounted = 10;
  StartCounting();
  for (int i = 0; i < kCounted; ++i) Must(PrepareInto(*model, {view}, out, scratch));
  const Allocations allocations = StopCounting();

  // Throughput: one thread, then one thread per core (each its own scratch and outputs).
  const int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const int calls = std::max(20, iterations * 10);
  auto rate = [&](int n) {
    std::vector<std::thread> workers;
    const auto start = std::chrono::steady_clock::now();
    for (int t = 0; t < n; ++t) {
      workers.emplace_back([&] {
        Scratch own;
        OutputBuffers mine(*specs);
        const std::vector<OutputView> views(mine.views().begin(), mine.views().end());
        for (int i = 0; i < calls; ++i) Must(PrepareInto(*model, {view}, views, own));
      });
    }
    for (std::thread& worker : workers) worker.join();
    return n * calls / (Ms(start) / 1e3);
  };
  const double rate_1 = rate(1), rate_all = rate(threads);

  const double ms = Median(core_ms), fl = Median(floor_ms), td = Median(today_ms);
  std::printf("%-34s core %.3f ms  floor %.3f ms (x%.2f)  today %.3f ms (x%.2f faster)  "
              "%.1f allocs, %.0f bytes per frame  %.0f/s 1 thread, %.0f/s %d threads\n",
              name.c_str(), ms, fl, ms / fl, td, td / ms,
              static_cast<double>(allocations.calls) / kCounted,
              static_cast<double>(allocations.bytes) / kCounted, rate_1, rate_all, threads);
  std::fflush(stdout);
  return Json{{"input", "1080p NV12, Y and UV apart, 2048-byte rows, video range"},
              {"ms", ms},
              {"floor_ms", fl},
              {"vs_floor", ms / fl},
              {"today_ms", td},
              {"today_vs_core", td / ms},
              {"allocs_per_frame", static_cast<double>(allocations.calls) / kCounted},
              {"alloc_bytes_per_frame", static_cast<double>(allocations.bytes) / kCounted},
              {"calls_per_s_1_thread", rate_1},
              {"calls_per_s_all_cores", rate_all},
              {"threads", threads}};
}

}  // namespace

Json BoardPipeline(int iterations) {
  const CameraFrame camera = ::hbprep::testing::Camera(kWidth, kHeight, kStride, 7);
  const Descriptor pyramid = Fixture("camera_pyramid224");
  const Descriptor crop = Fixture("camera_pyramid224_crop");
  const Descriptor resizer = Fixture("camera_resizer");
  Json out;
  // Floor: libyuv scaling both planes once, bilinear, into the same strided buffers.
  out["pyramid224"] = Scenario(
      "board_pipeline.pyramid224", pyramid, camera, std::nullopt, iterations,
      [&](const std::vector<OutputView>& o) {
        libyuv::NV12Scale(camera.y.data(), kStride, camera.uv.data(), kStride, kWidth, kHeight,
                          static_cast<uint8_t*>(o[0].data), 224, static_cast<uint8_t*>(o[1].data),
                          224, 224, 224, libyuv::kFilterBilinear);
      });
  // The classification recipe (ShortSideResize 256, CenterCrop 224): one window of the frame,
  // scaled the same way. Floor: libyuv scaling the same window.
  // 1080 -> 256 makes 1920 -> 455; the 224 crop at (115, 16) is 945 x 945 source pixels at
  // (485, 67) (even, for NV12's chroma).
  const int cx = 486, cy = 68, cs = 944;
  out["pyramid224_center_crop"] = Scenario(
      "board_pipeline.pyramid224_center_crop", crop, camera, std::nullopt, iterations,
      [&](const std::vector<OutputView>& o) {
        libyuv::NV12Scale(camera.y.data() + cy * kStride + cx, kStride,
                          camera.uv.data() + cy / 2 * kStride + cx, kStride, cs, cs,
                          static_cast<uint8_t*>(o[0].data), 224, static_cast<uint8_t*>(o[1].data),
                          224, 224, 224, libyuv::kFilterBilinear);
      });
  // Floor: a strided copy of both planes into the same buffers.
  out["resizer_full"] = Scenario(
      "board_pipeline.resizer_full", resizer, camera, Roi{320, 180, 1599, 899}, iterations,
      [&](const std::vector<OutputView>& o) {
        libyuv::CopyPlane(camera.y.data(), kStride, static_cast<uint8_t*>(o[0].data), kWidth,
                          kWidth, kHeight);
        libyuv::CopyPlane(camera.uv.data(), kStride, static_cast<uint8_t*>(o[1].data), kWidth,
                          kWidth, kHeight / 2);
      });
  return out;
}

}  // namespace hbprep::bench
