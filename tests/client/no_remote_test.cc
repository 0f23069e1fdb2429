// The CLI built without HBPREP_BUILD_REMOTE (only such builds compile this file): every
// command that takes --server refuses it as bad usage, naming the option, and nothing else
// changes (the in-process commands are the rest of tests/client).
#include <string>
#include <vector>

#include "client/cli.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
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

const std::string kImage = HBPREP_SOURCE_DIR "/deploy/demo/scene.jpg";

TEST(CliWithoutRemote, ServerIsAUsageErrorNamingTheBuildOption) {
  TempDir dir;
  const std::vector<std::vector<std::string>> commands = {
      {"describe", "--server", "127.0.0.1:1", "--model", "cls_pyramid"},
      {"prepare", "--server", "127.0.0.1:1", "--model", "cls_pyramid", "--out", dir.path(), kImage},
      {"calib", "--server", "127.0.0.1:1", "--model", "cls_pyramid", "--out", dir.path(), kImage},
      {"models", "--server", "127.0.0.1:1"},
      {"health", "--server", "127.0.0.1:1"},
  };
  for (const std::vector<std::string>& command : commands) {
    CliResult run = Cli(command);
    EXPECT_EQ(run.status, kExitUsage) << command[0];
    EXPECT_EQ(run.out, "") << command[0];
    EXPECT_EQ(run.err,
              "hbprep: this hbprep was built without HBPREP_BUILD_REMOTE; --server needs it\n"
              "run 'hbprep help' for usage\n")
        << command[0];
  }
}

TEST(CliWithoutRemote, InProcessCommandsStillWork) {
  CliResult run = Cli({"describe", "--config", kModels + "/cls_pyramid.yaml"});
  EXPECT_EQ(run.status, kExitOk) << run.err;
  EXPECT_THAT(run.out, HasSubstr("images_y"));
  run = Cli({"models", "--models", kModels});
  EXPECT_EQ(run.status, kExitOk) << run.err;
  EXPECT_THAT(run.out, HasSubstr("cls_pyramid"));
}

}  // namespace
}  // namespace hbprep
