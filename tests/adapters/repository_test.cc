#include "hbprep/repository.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hbprep/compiled_model.h"
#include "tests/testing/cli.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace hbprep {
namespace {

using ::hbprep::testing::IsOk;
using ::hbprep::testing::StatusIs;
using ::hbprep::testing::TempDir;
using ::testing::ElementsAre;
using ::testing::StartsWith;

const char kGood[] =
    "model_parameters: {march: nash-e}\n"
    "input_parameters:\n"
    "  input_name: data\n  input_type_train: rgb\n  input_layout_train: NCHW\n"
    "  input_type_rt: nv12\n  input_shape: 1x3x64x64\n";

TEST(Repository, LoadsTheExampleRepository) {
  absl::StatusOr<Repository> repository = LoadRepository(HBPREP_SOURCE_DIR "/deploy/models");
  ASSERT_THAT(repository, IsOk());
  std::vector<std::string> names;
  for (const auto& [name, model] : repository->models) names.push_back(name);
  EXPECT_THAT(names,
              ElementsAre("cls_batch8", "cls_pyramid", "det_resizer", "fusion_multi", "x5_ssd"));
  EXPECT_TRUE(repository->errors.empty());
  for (const auto& [name, model] : repository->models) {
    EXPECT_TRUE(model.warnings.empty()) << name;
  }
}

TEST(Repository, SkipsAndReportsBrokenFilesAndKeepsTheRest) {
  TempDir dir;
  dir.Write("a.yaml", kGood);
  dir.Write("b.yml", kGood);
  dir.Write("broken.yaml", "model_parameters: {march: nash-e}\n");
  dir.Write("a.yml", kGood);  // same model name as a.yaml
  dir.Write("notes.txt", "not a model");
  dir.Write("notes.model_info.txt", "no yaml of that name: not read");
  absl::StatusOr<Repository> repository = LoadRepository(dir.path());
  ASSERT_THAT(repository, IsOk());
  ASSERT_EQ(repository->models.size(), 2u);
  EXPECT_EQ(repository->models.begin()->first, "a");
  EXPECT_EQ(repository->models.begin()->second.path, dir.path() + "/a.yaml");
  EXPECT_EQ(repository->models.rbegin()->first, "b");
  EXPECT_THAT(repository->errors,
              ElementsAre(dir.path() + "/a.yml: model 'a' is already defined by " + dir.path() +
                              "/a.yaml; skipped",
                          dir.path() + "/broken.yaml: input_parameters is required: hbprep "
                                       "reads no ONNX file, so the yaml must describe every "
                                       "input"));
}

TEST(Repository, ModelInfoBesideAYamlIsAppliedAndABrokenOneSkipsTheModel) {
  TempDir dir;
  const std::string yaml = hbprep::testing::Read(HBPREP_SOURCE_DIR "/deploy/models/cls_pyramid.yaml");
  dir.Write("good.yaml", yaml);
  dir.Write("good.model_info.txt",
            hbprep::testing::Read(HBPREP_SOURCE_DIR "/tests/fixtures/model_info/cls_pyramid_j6.txt"));
  dir.Write("bad.yaml", yaml);
  dir.Write("bad.model_info.txt",
            hbprep::testing::Read(HBPREP_SOURCE_DIR "/tests/fixtures/model_info/x5_ssd_oe1.txt"));
  absl::StatusOr<Repository> repository = LoadRepository(dir.path());
  ASSERT_THAT(repository, IsOk());
  ASSERT_EQ(repository->models.size(), 1u);
  const RepositoryModel& good = repository->models.at("good");
  EXPECT_EQ(good.model_info_path, dir.path() + "/good.model_info.txt");
  ASSERT_TRUE(good.descriptor.compiled);
  EXPECT_EQ(ResolvePlan(good.descriptor, Target::kBoard).model_info, good.model_info_path);
  ASSERT_EQ(repository->errors.size(), 1u);
  EXPECT_THAT(repository->errors[0],
              StartsWith(dir.path() + "/bad.yaml: " + dir.path() +
                         "/bad.model_info.txt: this is the OE 1.x form of model info, but "
                         "march 'nash-e' is a J6 chip\n"));
}

TEST(Repository, MissingFolderIsNotFound) {
  EXPECT_THAT(LoadRepository("/nonexistent/models"),
              StatusIs(absl::StatusCode::kNotFound,
                       "model repository '/nonexistent/models' is not a folder"));
}

}  // namespace
}  // namespace hbprep
