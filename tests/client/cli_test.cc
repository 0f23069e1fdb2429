#include "client/cli.h"

#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testing/cli.h"
#include "tests/testing/example_repository.h"
#include "tests/testing/temp_dir.h"

namespace hbprep {
namespace {

using ::hbprep::testing::Cli;
using ::hbprep::testing::CliResult;
using ::hbprep::testing::kModels;
using ::hbprep::testing::TempDir;
using ::testing::HasSubstr;
using ::testing::StartsWith;

TEST(CliDescribe, PrintsThePlanAsATable) {
  CliResult run = Cli({"describe", "--config", kModels + "/cls_pyramid.yaml"});
  EXPECT_EQ(run.status, kExitOk);
  EXPECT_EQ(run.err, "");
  EXPECT_THAT(run.out, StartsWith("model cls_pyramid  target board  march nash-e"));
  EXPECT_THAT(run.out, HasSubstr("norm_type data_mean_and_std\n"));
  EXPECT_THAT(run.out,
              HasSubstr("  images_y   images  pyramid  uint8  1x224x224x1  50176,224,1,1  NHWC\n"));
  EXPECT_THAT(run.out,
              HasSubstr("\nhrt_model_exec --input_stride=\"50176,224,1,1;25088,224,2,1\"\n"));
}

TEST(CliDescribe, JsonIsOneDocumentInTheContractsForm) {
  CliResult run = Cli({"describe", "--config", kModels + "/det_resizer.yaml", "--json"});
  ASSERT_EQ(run.status, kExitOk) << run.err;
  const nlohmann::json doc = nlohmann::json::parse(run.out);  // throws on anything extra
  EXPECT_EQ(doc["model"], "det_resizer");
  EXPECT_EQ(doc["target"], "board");
  EXPECT_EQ(doc["march"], "nash-m");
  EXPECT_EQ(doc["norm_type"], "data_scale");
  EXPECT_THAT(doc["descriptor_hash"].get<std::string>(),
              ::testing::MatchesRegex("sha256:[0-9a-f]{64}"));
  EXPECT_EQ(doc["hrt_model_exec"], "--input_stride=\"-1,-1,1,1;-1,-1,2,1;16,4\"");
  EXPECT_EQ(doc["warnings"], nlohmann::json::array());
  ASSERT_EQ(doc["tensors"].size(), 3u);
  EXPECT_EQ(doc["tensors"][0],
            nlohmann::json::parse(R"({"name": "data_y", "input": "data", "adapter": "resizer",
                                      "dtype": "uint8", "shape": [1, -1, -1, 1],
                                      "strides": [-1, -1, 1, 1], "layout": "NHWC"})"));
  EXPECT_EQ(doc["tensors"][2],
            nlohmann::json::parse(R"({"name": "data_roi", "input": "data", "adapter": "resizer",
                                      "dtype": "int32", "shape": [1, 4], "strides": [16, 4]})"));
}

const std::string kFixtures = HBPREP_SOURCE_DIR "/tests/fixtures/model_info";

TEST(CliDescribe, TheModelInfoBesideTheYamlDecidesQuantisation) {
  // deploy/models/fusion_multi.model_info.txt is found beside the yaml.
  CliResult run = Cli({"describe", "--config", kModels + "/fusion_multi.yaml"});
  ASSERT_EQ(run.status, kExitOk) << run.err;
  EXPECT_EQ(run.err, "");
  EXPECT_THAT(run.out, HasSubstr("\nmodel info " + kModels + "/fusion_multi.model_info.txt\n"));
  EXPECT_THAT(run.out, HasSubstr("  tensor  input  adapter     dtype  shape        strides  "
                                 "      layout  quantization\n"
                                 "  image   image  ddr         int8   1x128x128x3  "
                                 "49152,384,3,1  NHWC\n"
                                 "  prior   prior  featuremap  int16  1x64x8x8     "
                                 "8192,128,16,2  NCHW    scale 0.000488281 zero_point 0\n"));
  run = Cli({"describe", "--config", kModels + "/fusion_multi.yaml", "--json"});
  ASSERT_EQ(run.status, kExitOk) << run.err;
  const nlohmann::json doc = nlohmann::json::parse(run.out);
  EXPECT_EQ(doc["model_info"], kModels + "/fusion_multi.model_info.txt");
  EXPECT_EQ(doc["tensors"][1]["dtype"], "int16");
  EXPECT_EQ(doc["tensors"][1]["quantization"],
            nlohmann::json::parse(R"({"scale": [0.00048828125], "zero_point": [0], "axis": -1})"));
  EXPECT_FALSE(doc["tensors"][0].contains("quantization"));
}

TEST(CliDescribe, ModelInfoFlagAndItsErrors) {
  CliResult run = Cli({"describe", "--config", kModels + "/cls_pyramid.yaml", "--model-info",
                       kFixtures + "/cls_pyramid_j6.txt"});
  ASSERT_EQ(run.status, kExitOk) << run.err;
  EXPECT_THAT(run.out, HasSubstr("\nmodel info " + kFixtures + "/cls_pyramid_j6.txt\n"));
  // A disagreement is an invalid model: exit 2, every error named.
  run = Cli({"describe", "--config", kModels + "/cls_pyramid.yaml", "--model-info",
             kFixtures + "/x5_ssd_oe1.txt"});
  EXPECT_EQ(run.status, kExitUsage);
  EXPECT_EQ(run.out, "");
  EXPECT_THAT(run.err, StartsWith("hbprep: " + kFixtures + "/x5_ssd_oe1.txt: this is the OE 1.x "
                                  "form of model info, but march 'nash-e' is a J6 chip\n"
                                  "hbprep: " + kFixtures + "/x5_ssd_oe1.txt: the compiled model "
                                  "has no input 'images_y'"));
  run = Cli({"describe", "--config", kModels + "/cls_pyramid.yaml", "--model-info", "/nope.txt"});
  EXPECT_EQ(run.status, kExitFailed);
  EXPECT_EQ(run.err, "hbprep: /nope.txt: cannot open model info file\n");
  run = Cli({"describe", "--models", kModels, "--model-info", "/nope.txt"});
  EXPECT_EQ(run.status, kExitUsage);
  EXPECT_THAT(run.err, StartsWith("hbprep: --model-info goes with --config FILE.yaml (a "
                                  "repository keeps it beside the yaml as "
                                  "<model>.model_info.txt)\n"));
}

TEST(CliDescribe, TargetSelectsTheFloatModelsInput) {
  CliResult run =
      Cli({"describe", "--config", kModels + "/cls_batch8.yaml", "--target", "onnx", "--json"});
  ASSERT_EQ(run.status, kExitOk) << run.err;
  const nlohmann::json doc = nlohmann::json::parse(run.out);
  EXPECT_EQ(doc["target"], "onnx");
  EXPECT_EQ(doc["tensors"][0]["shape"], nlohmann::json::parse("[8, 3, 224, 224]"));
  EXPECT_FALSE(doc.contains("hrt_model_exec"));
}

TEST(CliDescribe, WholeRepository) {
  CliResult run = Cli({"describe", "--models", kModels, "--json"});
  ASSERT_EQ(run.status, kExitOk) << run.err;
  const nlohmann::json doc = nlohmann::json::parse(run.out);
  ASSERT_EQ(doc["models"].size(), 5u);
  EXPECT_EQ(doc["models"][0]["model"], "cls_batch8");
  EXPECT_EQ(doc["errors"], nlohmann::json::array());
}

TEST(CliDescribe, OneModelOfARepository) {
  CliResult run = Cli({"describe", "--models", kModels, "--model", "x5_ssd", "--json"});
  ASSERT_EQ(run.status, kExitOk) << run.err;
  const nlohmann::json doc = nlohmann::json::parse(run.out);
  EXPECT_EQ(doc["model"], "x5_ssd");
  EXPECT_EQ(doc["tensors"][0]["layout"], "NV12");
}

TEST(CliDescribe, InvalidDescriptorExits2WithEveryErrorOnStderr) {
  TempDir dir;
  const std::string path = dir.Write(
      "bad.yaml",
      "model_parameters: {march: nash-e}\n"
      "input_parameters:\n"
      "  input_name: data\n  input_type_train: rgb\n  input_layout_train: NCHW\n"
      "  input_type_rt: nv12\n  input_shape: 1x3x225x225\n  scale_value: 1\n  std_value: 2\n");
  CliResult run = Cli({"describe", "--config", path, "--json"});
  EXPECT_EQ(run.status, kExitUsage);
  EXPECT_EQ(run.out, "");
  EXPECT_EQ(run.err,
            "hbprep: " + path +
                ": input 'data': input_type_rt nv12 needs even height and width, got 225x225\n"
                "hbprep: " +
                path + ": input 'data': scale_value and std_value are mutually exclusive\n");
}

TEST(CliDescribe, WarningsGoToStderrAndIntoTheDocument) {
  TempDir dir;
  const std::string path =
      dir.Write("w.yaml",
                "model_parameters: {march: nash-e, colour: blue}\n"
                "input_parameters:\n"
                "  input_name: data\n  input_type_train: rgb\n  input_layout_train: NCHW\n"
                "  input_type_rt: nv12\n  input_shape: 1x3x4x4\n");
  CliResult run = Cli({"describe", "--config", path, "--json"});
  ASSERT_EQ(run.status, kExitOk);
  const std::string warning = path + ": model_parameters.colour is not a key hbprep knows; ignored";
  EXPECT_EQ(run.err, "hbprep: warning: " + warning + "\n");
  EXPECT_EQ(nlohmann::json::parse(run.out)["warnings"], nlohmann::json::array({warning}));
}

TEST(CliDescribe, RepositoryWithABrokenFileDescribesTheRestAndExits2) {
  TempDir dir;
  dir.Write("bad.yaml", "model_parameters: {march: nash-z}\n");
  CliResult run = Cli({"describe", "--models", dir.path(), "--json"});
  EXPECT_EQ(run.status, kExitUsage);
  const nlohmann::json doc = nlohmann::json::parse(run.out);
  EXPECT_EQ(doc["models"].size(), 0u);
  ASSERT_EQ(doc["errors"].size(), 1u);
  EXPECT_THAT(doc["errors"][0].get<std::string>(), HasSubstr("march 'nash-z' is not one of"));
  EXPECT_THAT(run.err, HasSubstr("hbprep: " + dir.path() + "/bad.yaml: model_parameters.march"));
}

TEST(CliDescribe, MissingFileExits1) {
  CliResult run = Cli({"describe", "--config", "/nonexistent/m.yaml"});
  EXPECT_EQ(run.status, kExitFailed);
  EXPECT_EQ(run.err, "hbprep: /nonexistent/m.yaml: cannot open descriptor file\n");
}

TEST(CliDescribe, UnknownModelExits1AndListsTheModels) {
  CliResult run = Cli({"describe", "--models", kModels, "--model", "resnet"});
  EXPECT_EQ(run.status, kExitFailed);
  EXPECT_EQ(run.err, "hbprep: model 'resnet' is not in repository '" + kModels +
                         "' (models: cls_batch8, cls_pyramid, det_resizer, fusion_multi, "
                         "x5_ssd)\n");
}

struct UsageCase {
  std::vector<std::string> args;
  std::string message;
};

void PrintTo(const UsageCase& c, std::ostream* os) { *os << absl::StrJoin(c.args, " "); }

class CliUsage : public ::testing::TestWithParam<UsageCase> {};

TEST_P(CliUsage, Exits2NamingTheProblem) {
  CliResult run = Cli(GetParam().args);
  EXPECT_EQ(run.status, kExitUsage);
  EXPECT_EQ(run.out, "");
  EXPECT_EQ(run.err, "hbprep: " + GetParam().message + "\nrun 'hbprep help' for usage\n");
}

INSTANTIATE_TEST_SUITE_P(
    All, CliUsage,
    ::testing::Values(
        UsageCase{{"frobnicate"}, "unknown command 'frobnicate'"},
        UsageCase{{"describe"}, "describe needs exactly one of --config FILE.yaml or --models DIR"},
        UsageCase{{"describe", "--config", "a.yaml", "--models", "d"},
                  "describe needs exactly one of --config FILE.yaml or --models DIR"},
        UsageCase{{"describe", "--config", "a.yaml", "--target", "fpga"},
                  "--target 'fpga' is not one of board, calibration, onnx, oe1_float_onnx, "
                  "oe1_quantized_onnx"},
        UsageCase{{"describe", "--config"}, "--config needs a value"},
        UsageCase{{"describe", "--config=a.yaml", "--colour"}, "unknown flag --colour"},
        UsageCase{{"describe", "--json=yes"}, "--json takes no value"},
        UsageCase{{"describe", "--config", "a.yaml", "extra"},
                  "describe takes no positional arguments, got 'extra'"},
        UsageCase{{"describe", "--config", "a.yaml", "--model", "m"},
                  "--model needs --models DIR"}));

TEST(Cli, HelpAndVersion) {
  CliResult help = Cli({"help"});
  EXPECT_EQ(help.status, kExitOk);
  EXPECT_THAT(help.out, StartsWith("usage: hbprep <command> [flags]"));
  CliResult version = Cli({"--version"});
  EXPECT_EQ(version.status, kExitOk);
  EXPECT_THAT(version.out, ::testing::MatchesRegex("hbprep [0-9]+\\.[0-9]+\\.[0-9]+\n"));
  CliResult none = Cli({});
  EXPECT_EQ(none.status, kExitUsage);
  EXPECT_THAT(none.err, StartsWith("usage: hbprep"));
}

}  // namespace
}  // namespace hbprep
