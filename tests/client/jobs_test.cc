// `--jobs N` (client/jobs.h): prepare and calib write exactly what one job writes (files,
// manifests, stdout, stderr, exit status), failures included; and the ordered runner and the
// request budget underneath.
#include "client/jobs.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/cli.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hbprep/npy.h"
#include "nlohmann/json.hpp"
#include "opencv2/core.hpp"
#include "opencv2/imgcodecs.hpp"
#include "opencv2/imgproc.hpp"
#include "tests/testing/cli.h"
#include "tests/testing/example_repository.h"
#include "tests/testing/temp_dir.h"
#if HBPREP_TEST_WITH_SERVER
#include "server/server.h"
#include "spdlog/spdlog.h"
#endif

namespace hbprep {
namespace {

namespace fs = std::filesystem;
using ::hbprep::testing::Cli;
using ::hbprep::testing::CliResult;
using ::hbprep::testing::kModels;
using ::hbprep::testing::Read;
using ::hbprep::testing::TempDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Every file under `dir` by its relative path, with its bytes.
std::map<std::string, std::string> Tree(const std::string& dir) {
  std::map<std::string, std::string> tree;
  if (!fs::exists(dir)) return tree;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    const std::string name = fs::relative(entry.path(), dir).string();
    tree[name] = entry.is_directory() ? "<folder>" : Read(entry.path().string());
  }
  return tree;
}

std::vector<std::string> Names(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename());
  std::sort(names.begin(), names.end());
  return names;
}

// A photo-like image: noise, so that every request's bytes differ.
std::string WriteImage(const TempDir& dir, const std::string& name, int height, int width,
                       int quality = 90) {
  cv::Mat image(height, width, CV_8UC3);
  cv::randu(image, 0, 256);
  cv::GaussianBlur(image, image, cv::Size(5, 5), 1.5);
  const std::string path = dir.path() + "/" + name;
  cv::imwrite(path, image, {cv::IMWRITE_JPEG_QUALITY, quality});
  return path;
}

// One run's whole outcome: what it wrote under `out` (the same path for every run, so that
// stdout and stderr, which name it, compare as they are), then the folder moved aside.
struct Outcome {
  int status;
  std::string out, err;
  std::map<std::string, std::string> tree;
  std::vector<std::string> beside;  // what is left in the parent folder (no staging folders)
};

Outcome RunJobs(const std::string& out, std::vector<std::string> args, const std::string& jobs) {
  std::vector<std::string> argv = {args[0], "--jobs", jobs, "--out", out};
  argv.insert(argv.end(), args.begin() + 1, args.end());
  CliResult run = Cli(argv);
  Outcome outcome{run.status, run.out, run.err, Tree(out), Names(fs::path(out).parent_path())};
  std::error_code ignored;
  fs::remove_all(out, ignored);
  return outcome;
}

// `args` (the command first, no --out and no --jobs) gives the same outcome with 2 and 3 jobs
// as with one; returns the one job's outcome.
Outcome ExpectSameForAnyJobs(const std::string& out, const std::vector<std::string>& args) {
  const Outcome one = RunJobs(out, args, "1");
  for (const char* jobs : {"2", "3", "8"}) {
    SCOPED_TRACE(absl::StrCat("--jobs ", jobs));
    const Outcome many = RunJobs(out, args, jobs);
    EXPECT_EQ(many.status, one.status);
    EXPECT_EQ(many.out, one.out);
    EXPECT_EQ(many.err, one.err);
    EXPECT_EQ(many.beside, one.beside);
    // Manifests hold no timings: every file, manifests included, compares byte for byte.
    EXPECT_EQ(many.tree.size(), one.tree.size());
    for (const auto& [name, bytes] : one.tree) {
      auto it = many.tree.find(name);
      if (it == many.tree.end()) {
        ADD_FAILURE() << name << " is missing";
      } else {
        EXPECT_TRUE(it->second == bytes) << name << " differs";
      }
    }
  }
  return one;
}

TEST(CliJobs, PrepareWritesTheSameFilesAsOneJob) {
  TempDir dir;
  std::vector<std::string> images;
  for (int i = 0; i < 13; ++i) {
    images.push_back(WriteImage(dir, absl::StrCat("f", i, ".jpg"), 90 + 7 * i, 160 - 3 * i));
  }
  const std::string out = dir.path() + "/out";
  std::vector<std::string> board = {"prepare", "--config", kModels + "/cls_pyramid.yaml",
                                    "--format", "bin"};
  board.insert(board.end(), images.begin(), images.end());
  const Outcome one = ExpectSameForAnyJobs(out, board);
  ASSERT_EQ(one.status, kExitOk) << one.err;
  EXPECT_EQ(one.tree.count("12/images_y.bin"), 1u);
  EXPECT_EQ(one.tree.count("13"), 0u);

  // Calibration data, --json's one document, the preview of every request.
  std::vector<std::string> calibration = {"prepare",  "--config",    kModels + "/cls_pyramid.yaml",
                                          "--target", "calibration", "--json",
                                          "--preview"};
  calibration.insert(calibration.end(), images.begin(), images.begin() + 7);
  const Outcome json = ExpectSameForAnyJobs(out, calibration);
  ASSERT_EQ(json.status, kExitOk) << json.err;
  EXPECT_EQ(nlohmann::json::parse(json.out)["requests"].size(), 7u);
  EXPECT_EQ(json.tree.count("6/preview.png"), 1u);
}

TEST(CliJobs, PrepareKeepsEachRequestsRoisAndWarningsInOrder) {
  TempDir dir;
  // Odd sizes: each resizer image loses its last column or row, with a warning naming it.
  std::vector<std::string> args = {"prepare", "--config", kModels + "/det_resizer.yaml", "--format",
                                   "bin"};
  // ROIs for the first four images only.
  for (const char* roi : {"0,0,31,31", "2,2,41,41", "4,4,51,39", "0,0,59,59"}) {
    args.insert(args.end(), {"--roi", roi});
  }
  for (int i = 0; i < 9; ++i) {
    args.push_back(WriteImage(dir, absl::StrCat("r", i, ".png"), 61 + 2 * i, 81 + i));
  }
  const Outcome one = ExpectSameForAnyJobs(dir.path() + "/out", args);
  ASSERT_EQ(one.status, kExitOk) << one.err;
  EXPECT_THAT(one.err, HasSubstr("r8.png"));
  EXPECT_EQ(one.tree.at("2/data_roi.txt"), "4 4 51 39\n");
  EXPECT_EQ(one.tree.at("3/data_roi.txt"), "0 0 59 59\n");
  EXPECT_NE(one.tree.at("4/data_roi.txt"), "0 0 59 59\n");  // the whole image
}

TEST(CliJobs, MultiInputRequestsKeepTheirFilesTogether) {
  TempDir dir;
  std::vector<std::string> args = {"prepare", "--config", kModels + "/fusion_multi.yaml",
                                   "--target", "calibration"};
  for (int i = 0; i < 5; ++i) {
    args.push_back(WriteImage(dir, absl::StrCat("m", i, ".png"), 130 + i, 140));
    std::vector<uint8_t> prior(64 * 8 * 8 * 4);
    for (size_t b = 0; b < prior.size(); ++b) prior[b] = static_cast<uint8_t>(b * (i + 3));
    args.push_back(dir.Write(absl::StrCat("m", i, "_prior.npy"),
                             EncodeNpy(DType::kFloat32, {1, 64, 8, 8}, prior)));
  }
  const Outcome one = ExpectSameForAnyJobs(dir.path() + "/out", args);
  ASSERT_EQ(one.status, kExitOk) << one.err;
}

TEST(CliJobs, TheFirstFailingRequestInInputOrderDecidesAsWithOneJob) {
  TempDir dir;
  std::vector<std::string> images;
  for (int i = 0; i < 12; ++i)
    images.push_back(WriteImage(dir, absl::StrCat("g", i, ".jpg"), 96, 128));
  // Request 5 fails late (a large PNG whose compressed data breaks near its end: decoded
  // almost to the end); request 6 fails at once (no JPEG at all) and request 9 cannot be
  // read: with several jobs they may fail first, but request 5's message is the one.
  cv::Mat noise(1200, 1600, CV_8UC3);
  cv::randu(noise, 0, 256);
  std::vector<uint8_t> png;
  cv::imencode(".png", noise, png, {cv::IMWRITE_PNG_COMPRESSION, 1});
  std::fill(png.end() - 5000, png.end() - 3000, 0);
  const std::string cut =
      dir.Write("cut.png", std::string(reinterpret_cast<const char*>(png.data()), png.size()));
  images[5] = cut;
  images[6] = dir.Write("broken.jpg", "\xFF\xD8\xFF\xE0 not really a jpeg");
  images[9] = dir.path() + "/missing.jpg";
  std::vector<std::string> args = {"prepare", "--config", kModels + "/cls_pyramid.yaml"};
  args.insert(args.end(), images.begin(), images.end());
  const std::string out = dir.path() + "/out";
  const Outcome one = ExpectSameForAnyJobs(out, args);
  EXPECT_EQ(one.status, kExitFailed);
  EXPECT_THAT(one.err, HasSubstr(cut));
  EXPECT_THAT(one.err, ::testing::Not(HasSubstr("broken.jpg")));
  EXPECT_EQ(one.out, "");
  EXPECT_TRUE(one.tree.empty());  // nothing written, no staging folder left beside it
  EXPECT_EQ(std::count_if(one.beside.begin(), one.beside.end(),
                          [](const std::string& name) { return name.find("hbprep") != name.npos; }),
            0);

  // A request that cannot be read, first.
  images[5] = images[0];
  images[2] = dir.path() + "/missing.jpg";
  args.resize(3);
  args.insert(args.end(), images.begin(), images.end());
  const Outcome missing = ExpectSameForAnyJobs(out, args);
  EXPECT_EQ(missing.status, kExitFailed);
  EXPECT_EQ(missing.err, "hbprep: " + dir.path() + "/missing.jpg: cannot read file\n");

  // An earlier result stays as it was.
  ASSERT_EQ(
      Cli({"prepare", "--config", kModels + "/cls_pyramid.yaml", "--out", out, images[0]}).status,
      kExitOk);
  const std::map<std::string, std::string> before = Tree(out);
  std::vector<std::string> argv = {"prepare", "--jobs", "4", "--out", out};
  argv.insert(argv.end(), args.begin() + 1, args.end());
  EXPECT_EQ(Cli(argv).status, kExitFailed);
  EXPECT_EQ(Tree(out), before);
}

// `count` noisy images img00.png ... and blank ones, in dir/set.
std::string MakeSetWithBlanks(const TempDir& dir, int count) {
  const std::string set = dir.path() + "/set";
  fs::create_directories(set);
  for (int i = 0; i < count; ++i) {
    cv::Mat image(90 + i, 120, CV_8UC3);
    cv::randu(image, 0, 256);
    char name[32];
    std::snprintf(name, sizeof(name), "/img%02d.png", i);
    cv::imwrite(set + name, image);
  }
  for (int i : {3, 7}) {
    cv::imwrite(set + absl::StrCat("/img0", i, "_blank.png"),
                cv::Mat(64, 64, CV_8UC3, cv::Scalar(30, 60, 90 + i)));
  }
  return set;
}

TEST(CliJobs, CalibWritesTheSameSetAsOneJob) {
  TempDir dir;
  const std::string set = MakeSetWithBlanks(dir, 11);
  const std::string config = kModels + "/cls_pyramid.yaml";
  const std::string out = dir.path() + "/cal";
  // Every sample (blank ones skipped with their warnings), blanks kept, and a seeded draw
  // that stops at its limit while later samples are already being prepared.
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"calib", "--config", config, set},
        std::vector<std::string>{"calib", "--config", config, "--keep-blank", "--json", set},
        std::vector<std::string>{"calib", "--config", config, "--limit", "4", "--seed", "5", set},
        std::vector<std::string>{"calib", "--config", config, "--limit", "12", "--seed", "2",
                                 set}}) {
    SCOPED_TRACE(args[3]);
    const Outcome one = ExpectSameForAnyJobs(out, args);
    ASSERT_EQ(one.status, kExitOk) << one.err;
  }
}

TEST(CliJobs, CalibFailsAtTheSameSampleAsOneJob) {
  TempDir dir;
  const std::string set = MakeSetWithBlanks(dir, 10);
  std::ofstream(set + "/img04.png", std::ios::binary | std::ios::trunc) << "\x89PNG\r\n\x1a\n";
  std::ofstream(set + "/img08.png", std::ios::binary | std::ios::trunc) << "not a png";
  const std::string config = kModels + "/cls_pyramid.yaml";
  const Outcome one = ExpectSameForAnyJobs(dir.path() + "/cal", {"calib", "--config", config, set});
  EXPECT_EQ(one.status, kExitFailed);
  EXPECT_EQ(one.err, "hbprep: " + set + "/img04.png: truncated or corrupt PNG header\n");
  EXPECT_THAT(one.beside, ElementsAre("set"));
}

TEST(CliJobs, CalibIgnoresABrokenFileItsLimitNeverReaches) {
  TempDir dir;
  const std::string set = MakeSetWithBlanks(dir, 12);
  const std::string config = kModels + "/cls_pyramid.yaml";
  const std::string out = dir.path() + "/cal";
  const std::vector<std::string> args = {"calib", "--config", config, "--limit",
                                         "3",     "--seed",   "9",    set};
  const Outcome first = RunJobs(out, args, "1");
  ASSERT_EQ(first.status, kExitOk) << first.err;
  // Break every file the draw did not take: several jobs prepare some of them ahead, and
  // their failures must not count.
  const nlohmann::json manifest = nlohmann::json::parse(first.tree.at("manifest.json"));
  std::vector<std::string> taken;
  for (const auto& sample : manifest["samples"]) taken.push_back(sample["sources"][0]);
  for (const auto& entry : fs::directory_iterator(set)) {
    const std::string path = entry.path().string();
    if (std::find(taken.begin(), taken.end(), path) == taken.end()) {
      std::ofstream(path, std::ios::binary | std::ios::trunc) << "broken";
    }
  }
  const Outcome one = ExpectSameForAnyJobs(out, args);
  ASSERT_EQ(one.status, kExitOk) << one.err;
  EXPECT_EQ(one.tree, first.tree);
}

class CliJobsUsage : public ::testing::TestWithParam<std::string> {};

TEST_P(CliJobsUsage, Exits2NamingTheFlagAndValue) {
  const std::string message = "hbprep: --jobs '" + GetParam() +
                              "' must be a positive integer (at most 1024)\n"
                              "run 'hbprep help' for usage\n";
  for (const char* command : {"prepare", "calib"}) {
    SCOPED_TRACE(command);
    CliResult run = Cli({command, "--config", kModels + "/cls_pyramid.yaml", "--out",
                         "/tmp/hbprep-never-written", "--jobs", GetParam(), "x.jpg"});
    EXPECT_EQ(run.status, kExitUsage);
    EXPECT_EQ(run.err, message);
    EXPECT_EQ(run.out, "");
    EXPECT_FALSE(fs::exists("/tmp/hbprep-never-written"));
  }
}

INSTANTIATE_TEST_SUITE_P(All, CliJobsUsage,
                         ::testing::Values("0", "-1", "-0", "abc", "2x", "1.5", "", "1025",
                                           "99999999999"));

TEST(CliJobs, JobsWithoutAValueIsAUsageError) {
  CliResult run = Cli({"prepare", "--config", kModels + "/cls_pyramid.yaml", "--out",
                       "/tmp/hbprep-never-written", "x.jpg", "--jobs"});
  EXPECT_EQ(run.status, kExitUsage);
  EXPECT_THAT(run.err, HasSubstr("--jobs"));
}

#if HBPREP_TEST_WITH_SERVER
// Parallel requests to hbprep-server: the same output as one job, and as in-process.
TEST(CliJobs, ServerRequestsRunInParallelAndWriteTheSame) {
  spdlog::set_level(spdlog::level::warn);
  ServerOptions options;
  options.listen = {"127.0.0.1:0"};
  options.models_dir = kModels;
  options.workers = 2;
  options.reload_poll = std::chrono::milliseconds(0);
  Server server(options);
  ASSERT_TRUE(server.Start().ok());
  const std::string address = absl::StrCat("127.0.0.1:", server.ports()[0]);
  TempDir dir;
  std::vector<std::string> images;
  for (int i = 0; i < 7; ++i) {
    images.push_back(WriteImage(dir, absl::StrCat("s", i, ".jpg"), 100 + i, 120));
  }
  std::vector<std::string> remote = {"prepare",  "--server", address, "--model",  "det_resizer",
                                     "--format", "bin",      "--roi", "0,0,31,31"};
  remote.insert(remote.end(), images.begin(), images.end());
  const std::string out = dir.path() + "/out";
  const Outcome one = ExpectSameForAnyJobs(out, remote);
  ASSERT_EQ(one.status, kExitOk) << one.err;
  std::vector<std::string> local = {"prepare",  "--config", kModels + "/det_resizer.yaml",
                                    "--format", "bin",      "--roi",
                                    "0,0,31,31"};
  local.insert(local.end(), images.begin(), images.end());
  EXPECT_EQ(RunJobs(out, local, "3").tree, one.tree);

  // A failure in the middle, as with one job.
  images[3] = dir.Write("broken.jpg", "\xFF\xD8\xFF\xE0 not really a jpeg");
  remote.resize(9);
  remote.insert(remote.end(), images.begin(), images.end());
  const Outcome failed = ExpectSameForAnyJobs(out, remote);
  EXPECT_EQ(failed.status, kExitFailed);
  EXPECT_THAT(failed.err, HasSubstr("broken.jpg"));
  EXPECT_TRUE(failed.tree.empty());
  server.Stop();
}
#endif  // HBPREP_TEST_WITH_SERVER

TEST(ParseJobs, DefaultsToTheCoresInProcessAndToOneWithAServer) {
  const FlagSpec spec{{"jobs", "server"}, {}};
  absl::StatusOr<Args> local = Args::Parse({}, spec);
  ASSERT_TRUE(local.ok());
  absl::StatusOr<int> cores = ParseJobs(*local);
  ASSERT_TRUE(cores.ok()) << cores.status();
  EXPECT_GE(*cores, 1);
  EXPECT_LE(*cores, static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  absl::StatusOr<Args> remote = Args::Parse({"--server", "127.0.0.1:1"}, spec);
  ASSERT_TRUE(remote.ok());
  EXPECT_EQ(ParseJobs(*remote).value_or(0), 1);
  absl::StatusOr<Args> given = Args::Parse({"--server", "127.0.0.1:1", "--jobs", "6"}, spec);
  ASSERT_TRUE(given.ok());
  EXPECT_EQ(ParseJobs(*given).value_or(0), 6);
}

// The runner: order, the window, failures, stopping early.
TEST(RunInOrder, ConsumesEveryResultInOrderWhateverOrderTheyFinishIn) {
  for (int jobs : {1, 2, 3, 7}) {
    std::vector<size_t> seen;
    std::atomic<int> running{0}, most{0};
    RunInOrder<size_t>(
        40, jobs,
        [&](size_t i, const std::function<bool()>&) {
          const int now = ++running;
          int previous = most.load();
          while (now > previous && !most.compare_exchange_weak(previous, now)) {
          }
          // Later requests finish first now and then.
          if (i % 5 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));
          --running;
          return i * 10;
        },
        [](const size_t&) { return false; },
        [&](size_t i, size_t result) {
          EXPECT_EQ(result, i * 10);
          seen.push_back(i);
          return true;
        });
    ASSERT_EQ(seen.size(), 40u) << jobs;
    for (size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i], i);
    EXPECT_LE(most.load(), jobs);
  }
}

TEST(RunInOrder, WorksAtMostTwiceTheJobsAheadOfTheConsumer) {
  std::atomic<size_t> started{0};
  std::vector<size_t> ahead;
  RunInOrder<int>(
      30, 3,
      [&](size_t, const std::function<bool()>&) {
        ++started;
        return 0;
      },
      [](const int&) { return false; },
      [&](size_t i, int) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));  // a slow writer
        ahead.push_back(started.load() - i);
        return true;
      });
  // When request i is consumed, at most 2 x 3 requests after it have started.
  for (size_t a : ahead) EXPECT_LE(a, 7u);
}

TEST(RunInOrder, AFailureEndsTheRunAfterItAndCancelsLaterWork) {
  std::mutex mutex;
  std::condition_variable started_cv;
  bool five_started = false;
  std::atomic<bool> later_saw_cancel{false};
  std::vector<size_t> seen;
  RunInOrder<bool>(
      20, 3,
      [&](size_t i, const std::function<bool()>& cancelled) {
        if (i == 4) {  // fails once request 5 runs beside it
          std::unique_lock<std::mutex> lock(mutex);
          started_cv.wait_for(lock, std::chrono::seconds(30), [&] { return five_started; });
          return false;
        }
        if (i == 5) {  // then sees itself cancelled
          {
            std::lock_guard<std::mutex> lock(mutex);
            five_started = true;
            started_cv.notify_all();
          }
          for (int k = 0; k < 30000 && !cancelled(); ++k) {
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
          }
          later_saw_cancel = cancelled();
        }
        return true;
      },
      [](const bool& ok) { return !ok; },
      [&](size_t i, bool) {
        seen.push_back(i);
        return true;
      });
  EXPECT_THAT(seen, ElementsAre(0, 1, 2, 3, 4));
  EXPECT_TRUE(later_saw_cancel.load());
}

TEST(RunInOrder, TheConsumerCanStopEarly) {
  for (int jobs : {1, 4}) {
    std::vector<size_t> seen;
    RunInOrder<int>(
        100, jobs, [](size_t, const std::function<bool()>&) { return 0; },
        [](const int&) { return false; },
        [&](size_t i, int) {
          seen.push_back(i);
          return i < 6;
        });
    EXPECT_THAT(seen, ElementsAre(0, 1, 2, 3, 4, 5, 6)) << jobs;
  }
}

// The budget: turns in request order, memory given back by the holds.
TEST(RequestBudget, ReservesInRequestOrderAndWithinTheTotal) {
  RequestBudget budget(100);
  RequestBudget::Hold a, b, c;
  const std::function<bool()> never = [] { return false; };
  std::atomic<bool> c_reserved{false};
  // Request 2 waits for request 1's turn even though its bytes would fit.
  std::thread third([&] {
    EXPECT_TRUE(budget.Reserve(2, 30, never, &c).ok());
    c_reserved = true;
  });
  ASSERT_TRUE(budget.Reserve(0, 60, never, &a).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_FALSE(c_reserved.load());
  budget.Pass(1);  // request 1 needs nothing (it failed before reserving)
  third.join();
  EXPECT_EQ(budget.held(), 90);
  // Request 3 needs more than is free: it waits until a hold is given back.
  std::thread fourth([&] { EXPECT_TRUE(budget.Reserve(3, 50, never, &b).ok()); });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(budget.held(), 90);
  a.Reset();
  fourth.join();
  EXPECT_EQ(budget.held(), 80);
  c.Reset();
  b.Reset();
  EXPECT_EQ(budget.held(), 0);
}

TEST(RequestBudget, MoreThanTheWholeBudgetRunsAlone) {
  RequestBudget budget(100);
  RequestBudget::Hold a, b;
  const std::function<bool()> never = [] { return false; };
  ASSERT_TRUE(budget.Reserve(0, 10, never, &a).ok());
  std::thread big([&] { EXPECT_TRUE(budget.Reserve(1, 500, never, &b).ok()); });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(budget.held(), 10);
  a.Reset();
  big.join();
  EXPECT_EQ(budget.held(), 500);
}

TEST(RequestBudget, AWaitingRequestStopsWhenCancelled) {
  RequestBudget budget(100);
  RequestBudget::Hold a, b;
  const std::function<bool()> never = [] { return false; };
  ASSERT_TRUE(budget.Reserve(0, 100, never, &a).ok());
  std::atomic<bool> cancel{false};
  absl::Status waited;
  std::thread waiting([&] {
    waited = budget.Reserve(
        1, 10, [&] { return cancel.load(); }, &b);
  });
  cancel = true;
  waiting.join();
  EXPECT_TRUE(absl::IsCancelled(waited)) << waited;
  EXPECT_EQ(budget.held(), 100);
  // Its turn passed: the next request goes on.
  a.Reset();
  RequestBudget::Hold c;
  EXPECT_TRUE(budget.Reserve(2, 100, never, &c).ok());
}

}  // namespace
}  // namespace hbprep
