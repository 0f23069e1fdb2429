// hbprep_bench: the engine, in-process on one thread, against a straightforward single-threaded
// OpenCV C++ pipeline doing the same job and against the floors (TurboJPEG's full decode to
// BGR with default flags for encoded inputs, memcpy of the input bytes for raw ones), side by
// side in one run: every iteration runs each contender once, in turn, so that the machine's
// noise falls on all of them alike. Medians of wall time, thread CPU time and minor page
// faults per image; PSNR of the pyramid outputs against a high-quality reference.
//
// Usage: hbprep_bench MODELS_DIR [--iterations N] [--json FILE] [--inputs DIR]
//   --inputs DIR writes the generated inputs there for the Python baseline
//   (tests/bench/python_bench.py). tests/bench/run.sh runs everything and prints the table.
#include <sys/resource.h>
#include <turbojpeg.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "hbprep/descriptor.h"
#include "hbprep/engine.h"
#include "nlohmann/json.hpp"
#include "opencv2/core.hpp"
#include "opencv2/imgcodecs.hpp"
#include "opencv2/imgproc.hpp"
#include "tests/bench/board_pipeline.h"

namespace hbprep::bench {
namespace {


// A photo-like frame: smooth gradients, shapes with edges, fine texture and sensor noise (JPEG
// sizes and decode times like a camera's, unlike flat or random test images).
cv::Mat Photo(int width, int height, int seed) {
  cv::Mat image(height, width, CV_8UC3);
  for (int y = 0; y < height; ++y) {
    auto* row = image.ptr<cv::Vec3b>(y);
    for (int x = 0; x < width; ++x) {
      const double fx = static_cast<double>(x) / width, fy = static_cast<double>(y) / height;
      row[x] = cv::Vec3b(cv::saturate_cast<uint8_t>(60 + 120 * fy + 40 * std::sin(fx * 9 + seed)),
                         cv::saturate_cast<uint8_t>(90 + 100 * fx * fy + 30 * std::cos(fy * 7)),
                         cv::saturate_cast<uint8_t>(180 - 110 * fx + 25 * std::sin((fx + fy) * 13)));
    }
  }
  cv::RNG rng(seed);
  for (int i = 0; i < 40; ++i) {
    const cv::Point center(rng.uniform(0, width), rng.uniform(0, height));
    const int radius = rng.uniform(height / 40, height / 6);
    cv::circle(image, center, radius,
               cv::Scalar(rng.uniform(0, 256), rng.uniform(0, 256), rng.uniform(0, 256)),
               cv::FILLED, cv::LINE_AA);
  }
  cv::Mat texture(height, width, CV_8UC3);
  rng.fill(texture, cv::RNG::NORMAL, 0, 6);
  cv::Mat noisy;
  cv::add(image, texture, noisy, cv::noArray(), CV_8UC3);
  cv::Mat blurred;
  cv::GaussianBlur(noisy, blurred, cv::Size(3, 3), 0.6);
  cv::Mat grain(height, width, CV_16SC3);
  rng.fill(grain, cv::RNG::NORMAL, 0, 4);
  cv::Mat out;
  cv::add(blurred, grain, out, cv::noArray(), CV_8UC3);
  return out;
}

std::string Jpeg(const cv::Mat& bgr, int quality) {
  std::vector<uint8_t> bytes;
  cv::imencode(".jpg", bgr, bytes, {cv::IMWRITE_JPEG_QUALITY, quality});
  return std::string(bytes.begin(), bytes.end());
}

struct Sample {
  double wall_ms = 0, cpu_ms = 0;
  long faults = 0;
};

double ThreadCpuMs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

long MinorFaults() {
  rusage usage{};
  getrusage(RUSAGE_THREAD, &usage);
  return usage.ru_minflt;
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n == 0 ? 0 : (n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2);
}

// Contenders of one scenario, run in turn `iterations` times after two warm-up rounds.
// `images` is how many images one run handles (the figures are per image). Before each call,
// untimed, `arrive` writes the input where the contenders read it, as a request's bytes are
// written just before they are prepared (the same for every contender).
Json Race(const std::string& name, const std::string& input, int images, int iterations,
          const std::vector<std::pair<std::string, std::function<void()>>>& contenders,
          const std::function<void()>& arrive) {
  std::map<std::string, std::vector<Sample>> samples;
  for (int round = 0; round < iterations + 2; ++round) {
    for (const auto& [who, run] : contenders) {
      arrive();
      const long faults = MinorFaults();
      const double cpu = ThreadCpuMs();
      const auto start = std::chrono::steady_clock::now();
      run();
      const double wall =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
              .count();
      if (round < 2) continue;
      samples[who].push_back({wall / images, (ThreadCpuMs() - cpu) / images,
                              (MinorFaults() - faults) / images});
    }
  }
  Json results = Json::object(), cpu = Json::object(), faults = Json::object();
  std::printf("%-34s %-28s", name.c_str(), input.c_str());
  for (const auto& [who, run] : contenders) {
    std::vector<double> wall, thread_cpu, fault;
    for (const Sample& s : samples[who]) {
      wall.push_back(s.wall_ms);
      thread_cpu.push_back(s.cpu_ms);
      fault.push_back(static_cast<double>(s.faults));
    }
    results[who] = Median(wall);
    cpu[who] = Median(thread_cpu);
    faults[who] = Median(fault);
    std::printf(" %s %.3f ms", who.c_str(), Median(wall));
  }
  std::printf("\n");
  std::fflush(stdout);
  return Json{{"scenario", name},       {"input", input},
              {"images", images},       {"median_ms", results},
              {"median_cpu_ms", cpu},   {"median_minor_faults", faults}};
}

// PSNR of two planes (8-bit), in dB.
double Psnr(const cv::Mat& a, const cv::Mat& b) { return cv::PSNR(a, b); }

Descriptor Load(const std::string& dir, const std::string& model) {
  std::vector<std::string> warnings;
  absl::StatusOr<Descriptor> descriptor = LoadDescriptorFile(dir + "/" + model + ".yaml", &warnings);
  if (!descriptor.ok()) {
    std::fprintf(stderr, "%s\n", descriptor.status().ToString().c_str());
    std::exit(1);
  }
  return *descriptor;
}

// `images` is built once, outside the timed calls (a braced list would copy the pixels).
void MustPrepare(const Descriptor& descriptor, const std::vector<InputImage>& images,
                 const PrepareOptions& options, Prepared* out = nullptr) {
  absl::StatusOr<Prepared> prepared = Prepare(descriptor, images, options);
  if (!prepared.ok()) {
    std::fprintf(stderr, "%s\n", prepared.status().ToString().c_str());
    std::exit(1);
  }
  if (out != nullptr) *out = std::move(*prepared);
}

// The straightforward OpenCV C++ pipeline's pieces, the way one writes them with Mat ops.
cv::Mat ShortSideCenterCrop(const cv::Mat& bgr, int interpolation = cv::INTER_LINEAR) {
  cv::Mat resized;
  const int h = bgr.rows, w = bgr.cols;
  if (h < w) {
    cv::resize(bgr, resized, cv::Size(static_cast<int>(256 * (static_cast<double>(w) / h)), 256),
               0, 0, interpolation);
  } else {
    cv::resize(bgr, resized, cv::Size(256, static_cast<int>(256 * (static_cast<double>(h) / w))),
               0, 0, interpolation);
  }
  return resized(cv::Rect(resized.cols / 2 - 112, resized.rows / 2 - 112, 224, 224)).clone();
}

// NV12 with the "calc" recipe in float64 Mat arithmetic (Y plane, then UV interleaved).
std::vector<uint8_t> CalcNv12MatOps(const cv::Mat& bgr) {
  cv::Mat f;
  bgr.convertTo(f, CV_64FC3);
  std::vector<cv::Mat> c;
  cv::split(f, c);  // b, g, r
  cv::Mat y = 0.299 * c[2] + 0.587 * c[1] + 0.114 * c[0];
  cv::Mat u = -0.169 * c[2] - 0.331 * c[1] + 0.5 * c[0] + 128;
  cv::Mat v = 0.5 * c[2] - 0.419 * c[1] - 0.081 * c[0] + 128;
  const int h = bgr.rows, w = bgr.cols;
  std::vector<uint8_t> out(static_cast<size_t>(w) * h * 3 / 2);
  for (int r = 0; r < h; ++r) {
    const double* yr = y.ptr<double>(r);
    for (int x = 0; x < w; ++x) out[static_cast<size_t>(r) * w + x] = static_cast<uint8_t>(yr[x]);
  }
  uint8_t* uv = out.data() + static_cast<size_t>(w) * h;
  for (int r = 0; r < h / 2; ++r) {
    for (int x = 0; x < w / 2; ++x) {
      uv[static_cast<size_t>(r) * w + 2 * x] = static_cast<uint8_t>(u.at<double>(2 * r, 2 * x));
      uv[static_cast<size_t>(r) * w + 2 * x + 1] = static_cast<uint8_t>(v.at<double>(2 * r, 2 * x));
    }
  }
  return out;
}

std::vector<uint8_t> OpencvNv12(const cv::Mat& bgr) {
  cv::Mat i420;
  cv::cvtColor(bgr, i420, cv::COLOR_BGR2YUV_I420);
  const int h = bgr.rows, w = bgr.cols;
  std::vector<uint8_t> out(static_cast<size_t>(w) * h * 3 / 2);
  std::memcpy(out.data(), i420.data, static_cast<size_t>(w) * h);
  const uint8_t* u = i420.data + static_cast<size_t>(w) * h;
  const uint8_t* v = u + static_cast<size_t>(w / 2) * (h / 2);
  uint8_t* uv = out.data() + static_cast<size_t>(w) * h;
  for (size_t i = 0; i < static_cast<size_t>(w / 2) * (h / 2); ++i) {
    uv[2 * i] = u[i];
    uv[2 * i + 1] = v[i];
  }
  return out;
}

// The normalised float32 NCHW tensor of the calibration target, with Mat ops.
cv::Mat CalibrationMatOps(const cv::Mat& bgr) {
  cv::Mat rgb;
  cv::cvtColor(ShortSideCenterCrop(bgr), rgb, cv::COLOR_BGR2RGB);
  cv::Mat f;
  rgb.convertTo(f, CV_32FC3);
  f -= cv::Scalar(123.675, 116.28, 103.53);
  cv::divide(f, cv::Scalar(58.395, 57.12, 57.375), f);
  std::vector<cv::Mat> planes;
  cv::split(f, planes);
  cv::Mat chw(3, 224 * 224, CV_32F);
  for (int c = 0; c < 3; ++c) planes[c].reshape(1, 1).copyTo(chw.row(c));
  return chw;
}

void WriteFile(const std::string& path, const void* data, size_t size) {
  std::ofstream(path, std::ios::binary).write(static_cast<const char*>(data), size);
}

int Main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr,
                 "usage: hbprep_bench MODELS_DIR [--iterations N] [--json FILE] [--inputs DIR]\n");
    return 2;
  }
  const std::string models = argv[1];
  int iterations = 30;
  std::string json_path, inputs_dir;
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--iterations") iterations = std::max(1, std::atoi(argv[i + 1]));
    if (flag == "--json") json_path = argv[i + 1];
    if (flag == "--inputs") inputs_dir = argv[i + 1];
  }
  cv::setNumThreads(1);
  const Descriptor pyramid = Load(models, "cls_pyramid");
  const Descriptor resizer = Load(models, "det_resizer");
  const Descriptor batch = Load(models, "cls_batch8");

  tjhandle tj = tjInitDecompress();
  std::vector<uint8_t> floor_buffer;
  auto turbo_floor = [&](const std::string& jpeg) {
    int w = 0, h = 0, subsamp = 0, colorspace = 0;
    tjDecompressHeader3(tj, reinterpret_cast<const unsigned char*>(jpeg.data()), jpeg.size(), &w,
                        &h, &subsamp, &colorspace);
    floor_buffer.resize(static_cast<size_t>(w) * h * 3);  // allocated once, reused
    tjDecompress2(tj, reinterpret_cast<const unsigned char*>(jpeg.data()), jpeg.size(),
                  floor_buffer.data(), w, 0, h, TJPF_BGR, 0);
  };

  Json report = {{"tool", "hbprep_bench"}, {"iterations", iterations},
                 {"opencv", cv::getVersionString()}, {"scenarios", Json::array()}};
  Json& scenarios = report["scenarios"];
  std::vector<uint8_t> sink;

  const std::vector<std::pair<std::string, cv::Size>> sizes = {{"1080p", {1920, 1080}},
                                                               {"4k", {3840, 2160}}};
  for (const auto& [label, size] : sizes) {
    const cv::Mat photo = Photo(size.width, size.height, 3);
    const std::string jpeg = Jpeg(photo, 92);
    if (!inputs_dir.empty()) WriteFile(inputs_dir + "/" + label + ".jpg", jpeg.data(), jpeg.size());
    const std::string what = label + " JPEG q92 (" + std::to_string(jpeg.size() / 1024) + " KiB)";
    std::vector<InputImage> image = {InputImage{label + ".jpg", jpeg, {}, {}}};
    std::string& received = image[0].bytes;  // what the contenders read
    auto arrive = [&] { std::memcpy(received.data(), jpeg.data(), jpeg.size()); };

    PrepareOptions exact;
    PrepareOptions fast;
    fast.decode = DecodeMode::kFast;
    Json race = Race("jpeg_to_pyramid224", what, 1, iterations,
                     {{"hbprep", [&] { MustPrepare(pyramid, image, exact); }},
                      {"hbprep_fast", [&] { MustPrepare(pyramid, image, fast); }},
                      {"opencv", [&] {
                         sink = CalcNv12MatOps(ShortSideCenterCrop(
                             cv::imdecode(cv::_InputArray(received.data(),
                                                          static_cast<int>(received.size())),
                                          cv::IMREAD_COLOR)));
                       }},
                      {"floor", [&] { turbo_floor(received); }}},
                     arrive);
    // Quality: the exact and fast planes against a full decode, INTER_AREA down-scaling and
    // the same colour recipe.
    Prepared got_exact, got_fast;
    MustPrepare(pyramid, image, exact, &got_exact);
    MustPrepare(pyramid, image, fast, &got_fast);
    const std::vector<uint8_t> reference = CalcNv12MatOps(ShortSideCenterCrop(
        cv::imdecode(cv::_InputArray(jpeg.data(), static_cast<int>(jpeg.size())), cv::IMREAD_COLOR),
        cv::INTER_AREA));
    auto psnr = [&](const Prepared& prepared) {
      cv::Mat ref_y(224, 224, CV_8U, const_cast<uint8_t*>(reference.data()));
      cv::Mat ref_uv(112, 224, CV_8U, const_cast<uint8_t*>(reference.data()) + 224 * 224);
      cv::Mat y(224, 224, CV_8U, const_cast<uint8_t*>(prepared.tensors[0].data.data()));
      cv::Mat uv(112, 224, CV_8U, const_cast<uint8_t*>(prepared.tensors[1].data.data()));
      cv::Mat all, ref_all;  // the whole NV12 image, every byte alike
      cv::vconcat(y.reshape(1, 1).t(), uv.reshape(1, 1).t(), all);
      cv::vconcat(ref_y.reshape(1, 1).t(), ref_uv.reshape(1, 1).t(), ref_all);
      return Json{{"y", Psnr(y, ref_y)}, {"uv", Psnr(uv, ref_uv)}, {"nv12", Psnr(all, ref_all)}};
    };
    race["psnr_db"] = {{"hbprep", psnr(got_exact)}, {"hbprep_fast", psnr(got_fast)}};
    scenarios.push_back(race);

    PrepareOptions calibration;
    calibration.target = Target::kCalibration;
    PrepareOptions calibration_fast = calibration;
    calibration_fast.decode = DecodeMode::kFast;
    cv::Mat tensor;
    scenarios.push_back(Race(
        "jpeg_to_calibration224_f32", what, 1, iterations,
        {{"hbprep", [&] { MustPrepare(pyramid, image, calibration); }},
         {"hbprep_fast", [&] { MustPrepare(pyramid, image, calibration_fast); }},
         {"opencv", [&] {
            tensor = CalibrationMatOps(cv::imdecode(
                cv::_InputArray(received.data(), static_cast<int>(received.size())),
                cv::IMREAD_COLOR));
          }},
         {"floor", [&] { turbo_floor(received); }}},
        arrive));
  }

  // Raw frames, 1080p: a millisecond or less each, so five times the iterations for as stable a
  // median as the JPEG scenarios get.
  const int raw_iterations = 5 * iterations;
  const cv::Mat photo = Photo(1920, 1080, 5);
  const size_t bgr_bytes = photo.total() * 3;
  const std::string bgr(reinterpret_cast<const char*>(photo.data), bgr_bytes);
  std::vector<uint8_t> copy(bgr_bytes);
  if (!inputs_dir.empty()) WriteFile(inputs_dir + "/1080p.bgr", bgr.data(), bgr.size());
  std::vector<InputImage> raw_bgr = {
      InputImage{"1080p.bgr", bgr, RawImage{RawFormat::kBgr, 1920, 1080, 0, ColorRange::kRegular},
                 Roi{64, 32, 1343, 751}}};
  std::string& bgr_received = raw_bgr[0].bytes;
  const cv::Mat bgr_frame(1080, 1920, CV_8UC3, bgr_received.data());
  for (Nv12Recipe recipe : {Nv12Recipe::kOpencv, Nv12Recipe::kCalc}) {
    PrepareOptions options;
    options.nv12_recipe = recipe;
    scenarios.push_back(Race(
        std::string("bgr_to_resizer_nv12_") + std::string(ToString(recipe)),
        "1080p BGR (5.9 MiB) + ROI", 1, raw_iterations,
        {{"hbprep", [&] { MustPrepare(resizer, raw_bgr, options); }},
         {"opencv", [&] {
            sink = recipe == Nv12Recipe::kOpencv ? OpencvNv12(bgr_frame) : CalcNv12MatOps(bgr_frame);
          }},
         {"floor", [&] { std::memcpy(copy.data(), bgr_received.data(), bgr_bytes); }}},
        [&] { std::memcpy(bgr_received.data(), bgr.data(), bgr_bytes); }));
  }

  const std::vector<uint8_t> nv12_frame = OpencvNv12(photo);
  const std::string nv12(nv12_frame.begin(), nv12_frame.end());
  if (!inputs_dir.empty()) WriteFile(inputs_dir + "/1080p.nv12", nv12.data(), nv12.size());
  std::vector<InputImage> raw_nv12 = {InputImage{
      "1080p.nv12", nv12, RawImage{RawFormat::kNv12, 1920, 1080, 0, ColorRange::kBt601Video}, {}}};
  std::string& nv12_received = raw_nv12[0].bytes;
  scenarios.push_back(Race(
      "nv12_to_pyramid224", "1080p NV12 video range (3 MiB)", 1, raw_iterations,
      {{"hbprep", [&] { MustPrepare(pyramid, raw_nv12, {}); }},
       {"opencv", [&] {
          cv::Mat yuv(1080 * 3 / 2, 1920, CV_8U, nv12_received.data());
          cv::Mat frame_bgr;
          cv::cvtColor(yuv, frame_bgr, cv::COLOR_YUV2BGR_NV12);
          sink = CalcNv12MatOps(ShortSideCenterCrop(frame_bgr));
        }},
       {"floor", [&] { std::memcpy(copy.data(), nv12_received.data(), nv12.size()); }}},
      [&] { std::memcpy(nv12_received.data(), nv12.data(), nv12.size()); }));

  std::vector<InputImage> items;
  std::vector<std::string> sources;
  for (int i = 0; i < 8; ++i) {
    const cv::Mat item = Photo(224, 224, 10 + i);
    sources.emplace_back(reinterpret_cast<const char*>(item.data), 224 * 224 * 3);
    items.push_back({"224_" + std::to_string(i) + ".bgr", sources.back(),
                     RawImage{RawFormat::kBgr, 224, 224, 0, ColorRange::kRegular},
                     {}});
    if (!inputs_dir.empty()) {
      WriteFile(inputs_dir + "/224_" + std::to_string(i) + ".bgr", item.data, 224 * 224 * 3);
    }
  }
  scenarios.push_back(Race(
      "bgr224_x8_to_batch_split", "8 x 224x224 BGR", 8, raw_iterations,
      {{"hbprep", [&] { MustPrepare(batch, items, {}); }},
       {"opencv", [&] {
          for (InputImage& item : items) {
            sink = CalcNv12MatOps(ShortSideCenterCrop(cv::Mat(224, 224, CV_8UC3, item.bytes.data())));
          }
        }},
       {"floor", [&] {
          for (const InputImage& item : items) std::memcpy(copy.data(), item.bytes.data(), item.bytes.size());
        }}},
      [&] {
        for (int i = 0; i < 8; ++i) std::memcpy(items[i].bytes.data(), sources[i].data(), sources[i].size());
      }));
  tjDestroy(tj);

  report["board_pipeline"] = BoardPipeline(raw_iterations);

  if (!json_path.empty()) std::ofstream(json_path) << report.dump(2) << "\n";
  return 0;
}

}  // namespace
}  // namespace hbprep::bench

int main(int argc, char** argv) { return hbprep::bench::Main(argc, argv); }
