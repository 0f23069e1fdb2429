#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "client/cli.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hbprep/npy.h"
#include "nlohmann/json.hpp"
#include "opencv2/core.hpp"
#include "opencv2/imgcodecs.hpp"
#include "tests/testing/cli.h"
#include "tests/testing/example_repository.h"
#include "tests/testing/temp_dir.h"

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

std::vector<std::string> Listing(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename());
  std::sort(names.begin(), names.end());
  return names;
}

// `count` noisy images img00.png ... and one blank image, in dir/set.
std::string MakeSet(const TempDir& dir, int count) {
  const std::string set = dir.path() + "/set";
  fs::create_directories(set);
  for (int i = 0; i < count; ++i) {
    cv::Mat image(90 + i, 120, CV_8UC3);
    cv::randu(image, 0, 256);
    char name[32];
    std::snprintf(name, sizeof(name), "/img%02d.png", i);
    cv::imwrite(set + name, image);
  }
  cv::imwrite(set + "/blank.png", cv::Mat(64, 64, CV_8UC3, cv::Scalar(30, 60, 90)));
  return set;
}

TEST(CliCalib, WritesOneNpyPerSampleAndSkipsBlankImages) {
  TempDir dir;
  const std::string set = MakeSet(dir, 3);
  const std::string out = dir.path() + "/cal";
  CliResult run = Cli({"calib", "--config", kModels + "/cls_pyramid.yaml", "--out", out, set});
  ASSERT_EQ(run.status, kExitOk) << run.err;
  EXPECT_THAT(Listing(out + "/images"),
              ElementsAre("0000_img00.npy", "0001_img01.npy", "0002_img02.npy"));
  EXPECT_EQ(run.out, "wrote 3 calibration sample(s) of model cls_pyramid to " + out +
                         " (images/), 1 skipped\n");
  EXPECT_EQ(run.err, "hbprep: warning: " + set +
                         "/blank.png: near-constant image (pixel standard deviation 0.00); "
                         "skipped (--keep-blank keeps it)\n"
                         "hbprep: warning: the calibration set has 3 samples; the toolchain "
                         "asks for 20 to 100\n");
  // A sample is exactly what `prepare --target calibration` makes of the same image.
  ASSERT_EQ(Cli({"prepare", "--config", kModels + "/cls_pyramid.yaml", "--target", "calibration",
                 "--out", dir.path() + "/one", set + "/img01.png"})
                .status,
            kExitOk);
  EXPECT_EQ(Read(out + "/images/0001_img01.npy"), Read(dir.path() + "/one/images.npy"));
  const nlohmann::json manifest = nlohmann::json::parse(Read(out + "/manifest.json"));
  EXPECT_EQ(manifest["target"], "calibration");
  EXPECT_EQ(manifest["samples"][1]["files"][0], "images/0001_img01.npy");
  EXPECT_EQ(manifest["samples"][1]["sources"][0], set + "/img01.png");
  EXPECT_EQ(manifest["skipped"][0], set + "/blank.png");
}

TEST(CliCalib, KeepBlankKeepsThem) {
  TempDir dir;
  const std::string set = MakeSet(dir, 1);
  CliResult run = Cli({"calib", "--config", kModels + "/cls_pyramid.yaml", "--keep-blank", "--out",
                       dir.path() + "/cal", set});
  ASSERT_EQ(run.status, kExitOk) << run.err;
  EXPECT_THAT(Listing(dir.path() + "/cal/images"), ElementsAre("0000_blank.npy", "0001_img00.npy"));
  EXPECT_THAT(run.err,
              HasSubstr("near-constant image (pixel standard deviation 0.00); kept as asked"));
}

TEST(CliCalib, LimitAndSeedDrawTheSameSampleEveryTime) {
  TempDir dir;
  const std::string set = MakeSet(dir, 8);
  auto draw = [&](const std::string& seed, const std::string& name) {
    const std::string out = dir.path() + "/" + name;
    CliResult run = Cli({"calib", "--config", kModels + "/cls_pyramid.yaml", "--limit", "4",
                         "--seed", seed, "--out", out, set});
    EXPECT_EQ(run.status, kExitOk) << run.err;
    return Listing(out + "/images");
  };
  const std::vector<std::string> a = draw("11", "a"), b = draw("11", "b"), c = draw("12", "c");
  EXPECT_EQ(a.size(), 4u);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  for (const std::string& name : a) EXPECT_EQ(name.find("blank"), std::string::npos);
}

TEST(CliCalib, MultiInputModelsTakeOneFilePerInputPerSample) {
  TempDir dir;
  cv::Mat image(140, 150, CV_8UC3);
  cv::randu(image, 0, 256);
  cv::imwrite(dir.path() + "/a.png", image);
  const std::vector<uint8_t> prior(64 * 8 * 8 * 4, 0);
  dir.Write("a_prior.npy", EncodeNpy(DType::kFloat32, {1, 64, 8, 8}, prior));
  CliResult run = Cli({"calib", "--config", kModels + "/fusion_multi.yaml", "--out",
                       dir.path() + "/cal", dir.path() + "/a.png", dir.path() + "/a_prior.npy"});
  ASSERT_EQ(run.status, kExitOk) << run.err;
  EXPECT_THAT(Listing(dir.path() + "/cal/image"), ElementsAre("0000_a.npy"));
  EXPECT_THAT(Listing(dir.path() + "/cal/prior"), ElementsAre("0000_a_prior.npy"));
}

TEST(CliCalib, ABrokenImageFailsTheWholeRunAndLeavesNothing) {
  TempDir dir;
  const std::string set = MakeSet(dir, 2);
  std::ofstream(set + "/img01.png", std::ios::binary | std::ios::trunc) << "\x89PNG\r\n\x1a\n";
  CliResult run =
      Cli({"calib", "--config", kModels + "/cls_pyramid.yaml", "--out", dir.path() + "/cal", set});
  EXPECT_EQ(run.status, kExitFailed);
  EXPECT_EQ(run.err, "hbprep: " + set + "/img01.png: truncated or corrupt PNG header\n");
  EXPECT_THAT(Listing(dir.path()), ElementsAre("set"));
}

TEST(CliCalib, UsageErrors) {
  const std::string config = kModels + "/cls_pyramid.yaml";
  EXPECT_EQ(Cli({"calib", "--config", config, "--out", "/tmp/x"}).err,
            "hbprep: calib needs images or folders\nrun 'hbprep help' for usage\n");
  EXPECT_EQ(Cli({"calib", "--config", config, "--out", "/tmp/x", "--limit", "0", "a.jpg"}).err,
            "hbprep: --limit '0' must be a positive integer\nrun 'hbprep help' for usage\n");
  EXPECT_EQ(Cli({"calib", "--config", config, "--out", "/tmp/x", "--seed", "-1", "a.jpg"}).status,
            kExitUsage);
  EXPECT_EQ(
      Cli({"calib", "--config", kModels + "/fusion_multi.yaml", "--out", "/tmp/x", "a.jpg"}).err,
      "hbprep: model 'fusion_multi' takes 2 file(s) per calibration sample; got 1\n"
      "run 'hbprep help' for usage\n");
}

}  // namespace
}  // namespace hbprep
