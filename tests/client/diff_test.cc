#include <filesystem>
#include <fstream>
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
using ::testing::HasSubstr;

// Writes `name`.npy into `dir` (created).
void Save(const std::string& dir, const std::string& name, DType dtype,
          const std::vector<int64_t>& shape, const std::vector<uint8_t>& data) {
  fs::create_directories(dir);
  std::ofstream(dir + "/" + name + ".npy", std::ios::binary) << EncodeNpy(dtype, shape, data);
}

std::vector<uint8_t> Ramp(size_t n) {
  std::vector<uint8_t> data(n);
  for (size_t i = 0; i < n; ++i) data[i] = static_cast<uint8_t>(i * 7);
  return data;
}

TEST(CliDiff, IdenticalFoldersAreEqual) {
  TempDir dir;
  Save(dir.path() + "/a", "x_y", DType::kUint8, {1, 4, 4, 1}, Ramp(16));
  Save(dir.path() + "/b", "x_y", DType::kUint8, {1, 4, 4, 1}, Ramp(16));
  CliResult run = Cli({"diff", dir.path() + "/a", dir.path() + "/b"});
  EXPECT_EQ(run.status, kExitOk);
  EXPECT_THAT(run.out, HasSubstr("x_y: equal (max |diff| 0, mean |diff| 0, PSNR inf, 0 value(s) "
                                 "beyond 0)\n"));
}

TEST(CliDiff, OneLsbOffIsFoundAndToleranceAcceptsIt) {
  TempDir dir;
  std::vector<uint8_t> b = Ramp(16);
  b[5] += 1;
  Save(dir.path() + "/a", "x_y", DType::kUint8, {1, 4, 4, 1}, Ramp(16));
  Save(dir.path() + "/b", "x_y", DType::kUint8, {1, 4, 4, 1}, b);
  CliResult run = Cli({"diff", dir.path() + "/a", dir.path() + "/b"});
  EXPECT_EQ(run.status, kExitFailed);
  // One of 16 values off by 1: MSE 1/16, peak 255, PSNR 10 log10(255^2 * 16) = 60.17 dB.
  EXPECT_THAT(run.out, HasSubstr("x_y: DIFFERENT (max |diff| 1, mean |diff| 0.0625, PSNR "
                                 "60.17 dB, 1 value(s) beyond 0)\n  [0,1,1,0]: 35 vs 36\n"));
  run = Cli({"diff", dir.path() + "/a", dir.path() + "/b", "--tolerance", "1", "--json"});
  EXPECT_EQ(run.status, kExitOk);
  const nlohmann::json doc = nlohmann::json::parse(run.out);
  EXPECT_TRUE(doc["equal"].get<bool>());
  EXPECT_EQ(doc["tensors"][0]["max_abs_diff"], 1.0);
  EXPECT_EQ(doc["tensors"][0]["differing"], 0);
}

TEST(CliDiff, ShapesDtypesAndNamesComeFirst) {
  TempDir dir;
  Save(dir.path() + "/a", "t", DType::kUint8, {1, 16}, Ramp(16));
  Save(dir.path() + "/b", "t", DType::kUint8, {1, 4, 4}, Ramp(16));
  Save(dir.path() + "/a", "u", DType::kUint8, {2}, Ramp(2));
  Save(dir.path() + "/b", "u", DType::kInt8, {2}, Ramp(2));
  Save(dir.path() + "/b", "v", DType::kUint8, {2}, Ramp(2));
  CliResult run = Cli({"diff", dir.path() + "/a", dir.path() + "/b"});
  EXPECT_EQ(run.status, kExitFailed);
  EXPECT_EQ(run.out,
            "t: DIFFERENT shape 1x16 vs 1x4x4\nu: DIFFERENT dtype uint8 vs int8\n"
            "v: DIFFERENT only in " +
                dir.path() + "/b\n");
}

TEST(CliDiff, PreparedFolderEqualsTheSameArraysWrittenByAScript) {
  TempDir dir;
  const std::string image = dir.path() + "/warm.png";
  cv::Mat warm(64, 64, CV_8UC3);
  cv::randu(warm, cv::Scalar(50, 110, 170), cv::Scalar(70, 130, 190));  // B, G, R
  cv::imwrite(image, warm);
  ASSERT_EQ(Cli({"prepare", "--config", kModels + "/cls_pyramid.yaml", "--target", "calibration",
                 "--out", dir.path() + "/hbprep", image})
                .status,
            kExitOk);
  // The same tensor under the user's own file name convention: <tensor>.npy, no manifest.
  fs::create_directories(dir.path() + "/script");
  fs::copy_file(dir.path() + "/hbprep/images.npy", dir.path() + "/script/images.npy");
  CliResult run = Cli({"diff", dir.path() + "/hbprep", dir.path() + "/script", "--config",
                       kModels + "/cls_pyramid.yaml"});
  EXPECT_EQ(run.status, kExitOk) << run.out;
  EXPECT_EQ(run.out.find("WARNING"), std::string::npos) << run.out;

  // The script's version with the channels reversed (BGR given to the RGB model).
  absl::StatusOr<NpyArray> array = DecodeNpy(Read(dir.path() + "/script/images.npy"), "npy");
  ASSERT_TRUE(array.ok());
  const size_t plane = 224 * 224 * 4;
  std::vector<uint8_t> swapped(array->data.size());
  for (int c = 0; c < 3; ++c) {
    std::copy_n(array->data.begin() + (2 - c) * plane, plane, swapped.begin() + c * plane);
  }
  Save(dir.path() + "/swapped", "images", DType::kFloat32, array->shape, swapped);
  run = Cli({"diff", dir.path() + "/hbprep", dir.path() + "/swapped", "--config",
             kModels + "/cls_pyramid.yaml"});
  EXPECT_EQ(run.status, kExitFailed);
  EXPECT_THAT(run.out, HasSubstr("images: DIFFERENT"));
  EXPECT_THAT(run.out, HasSubstr(dir.path() + "/swapped: images WARNING: channel means"));
  EXPECT_THAT(run.out, HasSubstr("better reversed: BGR data given to a RGB model?"));
  EXPECT_EQ(run.out.find(dir.path() + "/hbprep: images WARNING"), std::string::npos);
}

TEST(CliDiff, YPlanesSayTheirRange) {
  TempDir dir;
  std::vector<uint8_t> video(64), full(64);
  for (int i = 0; i < 64; ++i) {
    video[i] = static_cast<uint8_t>(16 + i * 219 / 63);  // 16..235
    full[i] = static_cast<uint8_t>(i * 255 / 63);        // 0..255
  }
  Save(dir.path() + "/a", "images_y", DType::kUint8, {1, 8, 8, 1}, video);
  Save(dir.path() + "/b", "images_y", DType::kUint8, {1, 8, 8, 1}, full);
  CliResult run = Cli(
      {"diff", dir.path() + "/a", dir.path() + "/b", "--config", kModels + "/cls_pyramid.yaml"});
  EXPECT_THAT(run.out, HasSubstr(dir.path() + "/a: images_y Y spans 16..235: video range (16..235, "
                                              "reaching both ends); WARNING: input 'images' has "
                                              "input_space_and_range regular\n"));
  EXPECT_THAT(run.out, HasSubstr(dir.path() + "/b: images_y Y spans 0..255: full range (values "
                                              "outside 16..235)\n"));
}

TEST(CliDiff, UsageErrors) {
  EXPECT_EQ(Cli({"diff", "a"}).err,
            "hbprep: diff needs two folders: DIR_A DIR_B\nrun 'hbprep "
            "help' for usage\n");
  EXPECT_EQ(Cli({"diff", "/nonexistent/a", "/tmp"}).status, kExitFailed);
  EXPECT_EQ(Cli({"diff", "a", "b", "--tolerance", "-1"}).status, kExitUsage);
}

}  // namespace
}  // namespace hbprep
