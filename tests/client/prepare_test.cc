#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_replace.h"
#include "client/cli.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hbprep/engine.h"
#include "hbprep/npy.h"
#include "nlohmann/json.hpp"
#include "opencv2/core.hpp"
#include "opencv2/imgcodecs.hpp"
#include "tests/testing/cli.h"
#include "tests/testing/example_repository.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace hbprep {
namespace {

namespace fs = std::filesystem;
using ::hbprep::testing::Cli;
using ::hbprep::testing::CliResult;
using ::hbprep::testing::IsOk;
using ::hbprep::testing::kModels;
using ::hbprep::testing::Read;
using ::hbprep::testing::TempDir;
using ::testing::HasSubstr;

// A photo-like PNG of the given size in `dir`.
std::string WriteNoiseImage(const TempDir& dir, const std::string& name, int height, int width) {
  cv::Mat image(height, width, CV_8UC3);
  cv::randu(image, 0, 256);
  const std::string path = dir.path() + "/" + name;
  cv::imwrite(path, image);
  return path;
}

TEST(CliPrepare, WritesNpyFilesAndAManifest) {
  TempDir dir;
  const std::string image = WriteNoiseImage(dir, "a.png", 120, 160);
  const std::string out = dir.path() + "/out";
  CliResult run = Cli({"prepare", "--config", kModels + "/cls_pyramid.yaml", "--out", out, image});
  ASSERT_EQ(run.status, kExitOk) << run.err;
  EXPECT_EQ(run.err, "");
  const nlohmann::json manifest = nlohmann::json::parse(Read(out + "/manifest.json"));
  EXPECT_EQ(manifest["model"], "cls_pyramid");
  EXPECT_EQ(manifest["target"], "board");
  EXPECT_EQ(manifest["tensors"][0]["file"], "images_y.npy");
  EXPECT_EQ(manifest["tensors"][1]["strides"], nlohmann::json::parse("[25088, 224, 2, 1]"));
  EXPECT_EQ(manifest["versions"]["hbprep"], "0.1.0");
  EXPECT_TRUE(manifest["versions"].contains("opencv"));
  EXPECT_TRUE(manifest["versions"].contains("libjpeg-turbo"));
  EXPECT_FALSE(manifest.contains("hrt_model_exec"));  // only with --format bin
  absl::StatusOr<NpyArray> y = DecodeNpy(Read(out + "/images_y.npy"), "y");
  ASSERT_THAT(y, IsOk());
  EXPECT_EQ(y->shape, (std::vector<int64_t>{1, 224, 224, 1}));
  EXPECT_EQ(y->data.size(), 224u * 224u);
  EXPECT_THAT(run.out, HasSubstr(out + "/images_uv.npy  uint8 1x112x112x2\n"));
}

TEST(CliPrepare, BinFilesHoldTheBoardsPaddedRows) {
  TempDir dir;
  const std::string image = WriteNoiseImage(dir, "a.png", 200, 200);
  const std::string out = dir.path() + "/out";
  CliResult run = Cli(
      {"prepare", "--config", kModels + "/x5_ssd.yaml", "--format", "bin", "--out", out, image});
  ASSERT_EQ(run.status, kExitOk) << run.err;
  // OE 1.x packed NV12, 300x300 with rows aligned to 304: (300 + 150) rows of 304 bytes.
  const std::string bin = Read(out + "/data.bin");
  absl::StatusOr<NpyArray> npy = DecodeNpy(Read(out + "/data.npy"), "npy");
  ASSERT_THAT(npy, IsOk());
  EXPECT_EQ(npy->shape, (std::vector<int64_t>{1, 450, 300}));
  ASSERT_EQ(bin.size(), 450u * 304u);
  for (int row : {0, 299, 300, 449}) {
    EXPECT_EQ(bin.substr(row * 304, 300),
              std::string(npy->data.begin() + row * 300, npy->data.begin() + (row + 1) * 300));
    EXPECT_EQ(bin.substr(row * 304 + 300, 4), std::string(4, '\0'));
  }
  const nlohmann::json manifest = nlohmann::json::parse(Read(out + "/manifest.json"));
  EXPECT_EQ(manifest["hrt_model_exec"], "--input_file=data.bin");
  EXPECT_EQ(manifest["tensors"][0]["bin_file"], "data.bin");
}

TEST(CliPrepare, ResizerRoiGoesToATextFileAndTheRunArguments) {
  TempDir dir;
  const std::string image = WriteNoiseImage(dir, "a.png", 100, 120);
  const std::string out = dir.path() + "/out";
  CliResult run = Cli({"prepare", "--config", kModels + "/det_resizer.yaml", "--format", "bin",
                       "--roi", "10,20,59,79", "--out", out, "--json", image});
  ASSERT_EQ(run.status, kExitOk) << run.err;
  EXPECT_EQ(Read(out + "/data_roi.txt"), "10 20 59 79\n");
  const nlohmann::json doc = nlohmann::json::parse(run.out);
  EXPECT_EQ(doc["hrt_model_exec"],
            "--input_file=data_y.bin,data_uv.bin,data_roi.txt "
            "--input_valid_shape=\"1,100,120,1;1,50,60,2;1,4\" "
            "--input_stride=\"12800,128,1,1;6400,128,2,1;16,4\"");
  // The model sees the 50x60 ROI scaled to its 640x384.
  EXPECT_EQ(doc["geometry"], nlohmann::json::parse(R"([{"source": [120, 100],
      "window": [10.0, 20.0, 50.0, 60.0], "scale": [12.8, 6.4], "pad": [0, 0],
      "content": [640, 384], "size": [120, 100], "roi": [10, 20, 59, 79]}])"));
}

TEST(CliPrepare, SeveralRequestsGoToNumberedFolders) {
  TempDir dir;
  const std::string a = WriteNoiseImage(dir, "a.png", 64, 64),
                    b = WriteNoiseImage(dir, "b.png", 80, 60);
  const std::string out = dir.path() + "/out";
  CliResult run = Cli({"prepare", "--config", kModels + "/cls_pyramid.yaml", "--target",
                       "calibration", "--out", out, a, b});
  ASSERT_EQ(run.status, kExitOk) << run.err;
  for (const char* n : {"0", "1"}) {
    EXPECT_TRUE(fs::exists(out + "/" + n + "/manifest.json")) << n;
    EXPECT_TRUE(fs::exists(out + "/" + n + "/images.npy")) << n;
  }
  EXPECT_FALSE(fs::exists(out + "/manifest.json"));
}

TEST(CliPrepare, AFailedRunLeavesNothingBehindAndKeepsAnEarlierResult) {
  TempDir dir;
  const std::string good = WriteNoiseImage(dir, "a.png", 64, 64);
  const std::string bad = dir.Write("bad.jpg", "\xFF\xD8\xFF\xE0 not really a jpeg");
  const std::string out = dir.path() + "/out";
  ASSERT_EQ(Cli({"prepare", "--config", kModels + "/cls_pyramid.yaml", "--out", out, good}).status,
            kExitOk);
  const std::string before = Read(out + "/manifest.json");
  CliResult run =
      Cli({"prepare", "--config", kModels + "/cls_pyramid.yaml", "--out", out, good, bad});
  EXPECT_EQ(run.status, kExitFailed);
  EXPECT_EQ(run.err, "hbprep: " + bad + ": truncated or corrupt JPEG header\n");
  EXPECT_EQ(Read(out + "/manifest.json"), before);
  EXPECT_FALSE(fs::exists(out + "/0"));
  for (const auto& entry : fs::directory_iterator(dir.path())) {
    EXPECT_EQ(entry.path().string().find(".hbprep-tmp-"), std::string::npos) << entry.path();
  }
}

TEST(CliPrepare, BadRoiExits1NamingTheImage) {
  TempDir dir;
  const std::string image = WriteNoiseImage(dir, "a.png", 100, 120);
  CliResult run = Cli({"prepare", "--config", kModels + "/det_resizer.yaml", "--roi", "0,0,120,99",
                       "--out", dir.path() + "/out", image});
  EXPECT_EQ(run.status, kExitFailed);
  EXPECT_EQ(run.err, "hbprep: " + image + ": ROI 0,0,120,99 lies outside the 120x100 image\n");
  EXPECT_FALSE(fs::exists(dir.path() + "/out"));
}

struct PrepareUsageCase {
  std::vector<std::string> args;
  std::string message;
};

void PrintTo(const PrepareUsageCase& c, std::ostream* os) { *os << c.message; }

class CliPrepareUsage : public ::testing::TestWithParam<PrepareUsageCase> {};

TEST_P(CliPrepareUsage, Exits2NamingTheProblem) {
  std::vector<std::string> args = {"prepare", "--config", kModels + "/cls_pyramid.yaml", "--out",
                                   "/tmp/hbprep-never-written"};
  args.insert(args.end(), GetParam().args.begin(), GetParam().args.end());
  CliResult run = Cli(args);
  EXPECT_EQ(run.status, kExitUsage);
  EXPECT_EQ(run.err, "hbprep: " + GetParam().message + "\nrun 'hbprep help' for usage\n");
  EXPECT_FALSE(fs::exists("/tmp/hbprep-never-written"));
}

INSTANTIATE_TEST_SUITE_P(
    All, CliPrepareUsage,
    ::testing::Values(
        PrepareUsageCase{{},
                         "model 'cls_pyramid' takes 1 file(s) per request for target board; got 0"},
        PrepareUsageCase{{"--roi", "1,2,3", "x.jpg"},
                         "--roi '1,2,3' must be left,top,right,bottom"},
        PrepareUsageCase{{"--roi", "1,2,3,x", "x.jpg"},
                         "--roi '1,2,3,x' must be four integers left,top,right,bottom"},
        PrepareUsageCase{{"--roi", "0,0,9,9", "x.jpg"},
                         "1 --roi given but only 0 image(s) feed a resizer input"},
        PrepareUsageCase{
            {"--raw", "yuyv:640x480", "x.yuv"},
            "--raw 'yuyv:640x480': format 'yuyv' is not one of bgr, rgb, gray, nv12, i420"},
        PrepareUsageCase{
            {"--raw", "nv12:640", "x.yuv"},
            "--raw 'nv12:640': size '640' must be WIDTHxHEIGHT with positive integers"},
        PrepareUsageCase{{"--raw", "nv12:640x480:range=pc", "x.yuv"},
                         "--raw 'nv12:640x480:range=pc': 'range=pc' is not stride=N, range=full or "
                         "range=video"},
        PrepareUsageCase{{"--nv12-recipe", "libyuv", "x.jpg"},
                         "--nv12-recipe 'libyuv' is not one of auto, calc, calc_f32, opencv"},
        PrepareUsageCase{{"--decode", "quick", "x.jpg"},
                         "--decode 'quick' is not one of exact, fast"},
        PrepareUsageCase{{"--format", "raw", "x.jpg"}, "--format 'raw' is not one of npy, bin"},
        PrepareUsageCase{
            {"--target", "calibration", "--dtype", "uint8", "x.jpg"},
            "input 'images' is normalised (data_mean_and_std) for calibration data, which "
            "uint8 cannot hold; uint8 is only for inputs that are not normalised"}));

}  // namespace
}  // namespace hbprep

namespace hbprep {
namespace {

TEST(CliPrepare, LimitsAreConfigurable) {
  TempDir dir;
  const std::string image = WriteNoiseImage(dir, "a.png", 256, 300);
  CliResult run = Cli({"prepare", "--config", kModels + "/cls_pyramid.yaml", "--max-side", "290",
                       "--out", dir.path() + "/out", image});
  EXPECT_EQ(run.status, kExitFailed);
  EXPECT_EQ(run.err, "hbprep: " + image +
                         ": PNG header declares 300x256, over the limit of 290x290 and 67108864 "
                         "pixels\n");
  run = Cli({"prepare", "--config", kModels + "/cls_pyramid.yaml", "--max-pixels", "76800", "--out",
             dir.path() + "/out", image});
  EXPECT_EQ(run.status, kExitOk) << run.err;
  // The limits hold for every image size a request leads to, the model's own included
  // (cls_pyramid takes 224x224 = 50176 pixels).
  run = Cli({"prepare", "--config", kModels + "/cls_pyramid.yaml", "--max-pixels", "50000",
             "--out", dir.path() + "/out2", image});
  EXPECT_EQ(run.status, kExitFailed);
  EXPECT_EQ(run.err,
            "hbprep: input 'images': input_shape's image 224x224 (width x height), over the "
            "limit of 16384x16384 and 50000 pixels\n");
  run = Cli({"prepare", "--config", kModels + "/cls_pyramid.yaml", "--max-pixels", "0", "--out",
             dir.path() + "/out", image});
  EXPECT_EQ(run.err,
            "hbprep: --max-pixels '0' must be a positive integer\nrun 'hbprep help' "
            "for usage\n");
}

}  // namespace
}  // namespace hbprep

namespace hbprep {
namespace {

// --decode fast gives the engine's fast-mode bytes; exact stays the default.
TEST(CliPrepare, DecodeFastIsTheEnginesFastMode) {
  TempDir dir;
  cv::Mat image(360, 480, CV_8UC3);
  for (int y = 0; y < image.rows; ++y) {
    for (int x = 0; x < image.cols; ++x) {
      image.at<cv::Vec3b>(y, x) = cv::Vec3b(static_cast<uint8_t>(x / 2), static_cast<uint8_t>(y / 2),
                                            static_cast<uint8_t>((x * y) % 251));
    }
  }
  const std::string path = dir.path() + "/a.jpg";
  cv::imwrite(path, image);
  const std::string config = kModels + "/cls_pyramid.yaml";
  ASSERT_EQ(Cli({"prepare", "--config", config, "--decode", "fast", "--out", dir.path() + "/fast",
                 path}).status, kExitOk);
  ASSERT_EQ(Cli({"prepare", "--config", config, "--out", dir.path() + "/exact", path}).status,
            kExitOk);
  absl::StatusOr<Descriptor> descriptor = LoadDescriptorFile(config, nullptr);
  ASSERT_THAT(descriptor, IsOk());
  PrepareOptions fast;
  fast.decode = DecodeMode::kFast;
  absl::StatusOr<Prepared> want = Prepare(*descriptor, {InputImage{path, Read(path), {}, {}}}, fast);
  ASSERT_THAT(want, IsOk());
  absl::StatusOr<NpyArray> got = DecodeNpy(Read(dir.path() + "/fast/images_y.npy"), "y");
  absl::StatusOr<NpyArray> exact = DecodeNpy(Read(dir.path() + "/exact/images_y.npy"), "y");
  ASSERT_THAT(got, IsOk());
  ASSERT_THAT(exact, IsOk());
  EXPECT_EQ(got->data, want->tensors[0].data);
  EXPECT_NE(exact->data, want->tensors[0].data);
}

}  // namespace
}  // namespace hbprep

namespace hbprep {
namespace {

// A model that decodes JPEG fast says so in its plan, text and JSON.
TEST(CliDescribe, ShowsAFastDecodingModel) {
  TempDir dir;
  std::string yaml = Read(kModels + "/cls_pyramid.yaml");
  yaml.replace(yaml.find("hbprep:\n"), 8, "hbprep:\n  decode: fast\n");
  const std::string config = dir.path() + "/fast.yaml";
  std::ofstream(config) << yaml;
  CliResult text = Cli({"describe", "--config", config});
  ASSERT_EQ(text.status, kExitOk) << text.err;
  EXPECT_THAT(text.out, HasSubstr("\ndecode fast (JPEG to YCbCr planes, DCT-scaled)\n"));
  CliResult json = Cli({"describe", "--config", config, "--json"});
  ASSERT_EQ(json.status, kExitOk) << json.err;
  EXPECT_EQ(nlohmann::json::parse(json.out)["decode"], "fast");
  CliResult exact = Cli({"describe", "--config", kModels + "/cls_pyramid.yaml", "--json"});
  EXPECT_FALSE(nlohmann::json::parse(exact.out).contains("decode"));
}

}  // namespace
}  // namespace hbprep

namespace hbprep {
namespace {

// Three featuremap inputs whose names the toolchain accepts but a path would not keep inside
// --out: a relative escape, an absolute path (in `dir`) and an ONNX-style name.
std::string EscapingModel(const TempDir& dir) {
  return dir.Write("escape.yaml",
                   "model_parameters: {march: nash-e}\n"
                   "input_parameters:\n"
                   "  input_name: '../../escaped; " +
                       dir.path() +
                       "/abs_x; onnx::Shape_8609'\n"
                       "  input_type_train: 'featuremap; featuremap; featuremap'\n"
                       "  input_type_rt: 'featuremap; featuremap; featuremap'\n"
                       "  input_layout_train: 'NCHW; NCHW; NCHW'\n"
                       "  input_shape: '1x4; 1x4; 1x4'\n");
}

std::string FeatureFile(const TempDir& dir) {
  const std::vector<float> values = {1, 2, 3, 4};
  return dir.Write("f.npy", EncodeNpy(DType::kFloat32, {1, 4},
                                      {reinterpret_cast<const uint8_t*>(values.data()), 16}));
}

TEST(CliPrepare, TensorNamesBecomeEncodedFileNamesThatStayInsideOut) {
  TempDir dir;
  const std::string config = EscapingModel(dir), feature = FeatureFile(dir);
  const std::string out = dir.path() + "/a/b/out";
  CliResult run = Cli(
      {"prepare", "--config", config, "--format", "bin", "--out", out, feature, feature, feature});
  ASSERT_EQ(run.status, kExitOk) << run.err;
  // The temporary folder's path is made of [A-Za-z0-9-] and '/'.
  const std::string abs = absl::StrReplaceAll(dir.path(), {{"/", "%2F"}}) + "%2Fabs_x";
  std::set<std::string> files;
  for (const auto& entry : fs::directory_iterator(out))
    files.insert(entry.path().filename().string());
  EXPECT_EQ(files, (std::set<std::string>{"%2E.%2F..%2Fescaped.npy", "%2E.%2F..%2Fescaped.bin",
                                          abs + ".npy", abs + ".bin", "onnx%3A%3AShape_8609.npy",
                                          "onnx%3A%3AShape_8609.bin", "manifest.json"}));
  // Nothing was written where the names point.
  EXPECT_FALSE(fs::exists(dir.path() + "/escaped.npy"));
  EXPECT_FALSE(fs::exists(dir.path() + "/a/escaped.npy"));
  EXPECT_FALSE(fs::exists(dir.path() + "/abs_x.npy"));
  EXPECT_FALSE(fs::exists(dir.path() + "/abs_x.bin"));
  const nlohmann::json manifest = nlohmann::json::parse(Read(out + "/manifest.json"));
  EXPECT_EQ(manifest["tensors"][0]["name"], "../../escaped");
  EXPECT_EQ(manifest["tensors"][0]["file"], "%2E.%2F..%2Fescaped.npy");
  EXPECT_EQ(manifest["tensors"][0]["bin_file"], "%2E.%2F..%2Fescaped.bin");
  EXPECT_EQ(manifest["tensors"][1]["name"], dir.path() + "/abs_x");
  EXPECT_EQ(manifest["tensors"][1]["file"], abs + ".npy");
  EXPECT_EQ(manifest["tensors"][2]["file"], "onnx%3A%3AShape_8609.npy");
  EXPECT_EQ(manifest["hrt_model_exec"], "--input_file=%2E.%2F..%2Fescaped.bin," + abs +
                                            ".bin,onnx%3A%3AShape_8609.bin --input_stride=\"16,4;"
                                            "16,4;16,4\"");
  absl::StatusOr<NpyArray> array = DecodeNpy(Read(out + "/onnx%3A%3AShape_8609.npy"), "npy");
  ASSERT_THAT(array, IsOk());
  EXPECT_EQ(array->shape, (std::vector<int64_t>{1, 4}));
  // diff reads the folder back by the tensors' names, through the manifest and without it.
  CliResult same = Cli({"diff", out, out});
  EXPECT_EQ(same.status, kExitOk) << same.err;
  EXPECT_THAT(same.out, HasSubstr("../../escaped: equal"));
  const std::string plain = dir.path() + "/plain";
  fs::create_directories(plain);
  for (const auto& entry : fs::directory_iterator(out)) {
    if (entry.path().extension() == ".npy")
      fs::copy_file(entry.path(), plain / entry.path().filename());
  }
  CliResult read_plain = Cli({"diff", plain, out});
  EXPECT_EQ(read_plain.status, kExitOk) << read_plain.err;
  EXPECT_EQ(read_plain.out, same.out);
}

TEST(CliPrepare, CalibFoldersAreEncodedInputNames) {
  TempDir dir;
  const std::string config = EscapingModel(dir), feature = FeatureFile(dir);
  const std::string out = dir.path() + "/cal";
  CliResult run = Cli({"calib", "--config", config, "--out", out, feature, feature, feature});
  ASSERT_EQ(run.status, kExitOk) << run.err;
  EXPECT_TRUE(fs::exists(out + "/%2E.%2F..%2Fescaped/0000_f.npy"));
  EXPECT_TRUE(fs::exists(out + "/onnx%3A%3AShape_8609/0000_f.npy"));
  EXPECT_FALSE(fs::exists(dir.path() + "/escaped"));
  EXPECT_FALSE(fs::exists(dir.path() + "/abs_x"));
  const nlohmann::json manifest = nlohmann::json::parse(Read(out + "/manifest.json"));
  EXPECT_EQ(manifest["samples"][0]["files"][0], "%2E.%2F..%2Fescaped/0000_f.npy");
}

TEST(CliPrepare, TensorsOfTheSameNameExit2NamingBoth) {
  TempDir dir;
  const std::string config = dir.Write("c.yaml",
                                       "model_parameters: {march: nash-e}\n"
                                       "input_parameters:\n"
                                       "  input_name: 'a; a_y'\n"
                                       "  input_type_train: 'rgb; featuremap'\n"
                                       "  input_type_rt: 'nv12; featuremap'\n"
                                       "  input_layout_train: 'NCHW; NCHW'\n"
                                       "  input_shape: '1x3x64x64; 1x4'\n");
  const std::string image = WriteNoiseImage(dir, "a.png", 64, 64), feature = FeatureFile(dir);
  const std::string message =
      "hbprep: model 'c': tensor 'a_y' of input 'a' and tensor 'a_y' of input 'a_y' have the "
      "same name; their files would collide\nrun 'hbprep help' for usage\n";
  CliResult run =
      Cli({"prepare", "--config", config, "--out", dir.path() + "/out", image, feature});
  EXPECT_EQ(run.status, kExitUsage);
  EXPECT_EQ(run.err, message);
  EXPECT_FALSE(fs::exists(dir.path() + "/out"));
}

TEST(CliPrepare, OutReplacesOnlyAnEmptyFolderOrAnEarlierResult) {
  TempDir dir;
  const std::string image = WriteNoiseImage(dir, "a.png", 64, 64);
  const std::string config = kModels + "/cls_pyramid.yaml";
  const std::string file = dir.Write("notes.txt", "mine");
  CliResult over_file = Cli({"prepare", "--config", config, "--out", file, image});
  EXPECT_EQ(over_file.status, kExitFailed);
  EXPECT_EQ(over_file.err,
            "hbprep: --out '" + file + "' exists and is not a folder; not replaced\n");
  EXPECT_EQ(Read(file), "mine");
  const std::string folder = dir.path() + "/photos";
  fs::create_directories(folder);
  dir.Write("photos/keep.jpg", "jpeg");
  for (const char* command : {"prepare", "calib"}) {
    CliResult over_folder = Cli({command, "--config", config, "--out", folder, image});
    EXPECT_EQ(over_folder.status, kExitFailed) << command;
    EXPECT_EQ(over_folder.err, "hbprep: --out '" + folder +
                                   "' is a folder that holds no hbprep result (no manifest.json); "
                                   "not replaced\n")
        << command;
    EXPECT_EQ(Read(folder + "/keep.jpg"), "jpeg");
  }
  // An empty folder, then the result it now holds, then a calibration result over it.
  const std::string out = dir.path() + "/out";
  fs::create_directories(out);
  ASSERT_EQ(Cli({"prepare", "--config", config, "--out", out, image}).status, kExitOk);
  EXPECT_TRUE(fs::exists(out + "/images_y.npy"));
  ASSERT_EQ(Cli({"prepare", "--config", config, "--out", out, image, image}).status, kExitOk);
  EXPECT_TRUE(fs::exists(out + "/1/images_y.npy"));
  ASSERT_EQ(Cli({"prepare", "--config", config, "--out", out, image}).status, kExitOk);
  ASSERT_EQ(Cli({"calib", "--config", config, "--out", out, image}).status, kExitOk);
  EXPECT_TRUE(fs::exists(out + "/images/0000_a.npy"));
  EXPECT_FALSE(fs::exists(out + "/images_y.npy"));
}

}  // namespace
}  // namespace hbprep

namespace hbprep {
namespace {

// Issue 15, finding 1: a model info with huge but legal strides and `--format bin` aborted
// on std::bad_alloc (exit 134) and left OUT.hbprep-tmp-PID behind.
TEST(CliPrepare, HugeModelInfoStridesExit1AndLeaveNothingBehind) {
  TempDir dir;
  const std::string info = dir.Write(
      "fusion.model_info.txt",
      "[model name]: fusion\n\n"
      "input[0]: \nname: image\nvalid shape: (1,128,128,3)\ntensor type: HB_DNN_TENSOR_TYPE_S8\n"
      "quanti type: NONE\nstride: (1099511627776,384,3,1)\n\n"
      "input[1]: \nname: prior\nvalid shape: (1,64,8,8)\ntensor type: HB_DNN_TENSOR_TYPE_S16\n"
      "quanti type: SCALE\nstride: (8192,128,16,2)\nscale data: (0.00048828125)\n"
      "zero_point data: (0)\n");
  const std::string image = WriteNoiseImage(dir, "a.png", 128, 128);
  const std::string prior = dir.path() + "/prior.npy";
  {
    std::ofstream file(prior, std::ios::binary);
    const std::vector<uint8_t> zeros(64 * 8 * 8 * 4, 0);
    file << EncodeNpy(DType::kFloat32, {1, 64, 8, 8}, zeros);
  }
  const std::string out = dir.path() + "/out";
  CliResult run = Cli({"prepare", "--config", kModels + "/fusion_multi.yaml", "--model-info", info,
                       "--format", "bin", "--out", out, image, prior});
  EXPECT_EQ(run.status, kExitFailed);
  EXPECT_THAT(run.err, HasSubstr("of them its tensors), over the limit of 4294967296\n"));
  EXPECT_FALSE(fs::exists(out));
  for (const auto& entry : fs::directory_iterator(dir.path())) {
    EXPECT_EQ(entry.path().string().find(".hbprep-tmp-"), std::string::npos) << entry.path();
  }
}

}  // namespace
}  // namespace hbprep
