#include "hbprep/output_folder.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace hbprep {
namespace {

namespace fs = std::filesystem;
using ::hbprep::testing::IsOk;
using ::hbprep::testing::StatusIs;
using ::hbprep::testing::TempDir;

std::string Read(const std::string& path) {
  std::string bytes;
  return ReadFile(path, &bytes) ? bytes : "";
}

TEST(FileNameOf, PlainNamesStayAndEverythingElseIsPercentEncoded) {
  EXPECT_EQ(FileNameOf("images_y"), "images_y");
  EXPECT_EQ(FileNameOf("data_0_uv"), "data_0_uv");
  EXPECT_EQ(FileNameOf("a.b-c_D9"), "a.b-c_D9");
  EXPECT_EQ(FileNameOf("/encoder/after_norm/Add_1_output_0"),
            "%2Fencoder%2Fafter_norm%2FAdd_1_output_0");
  EXPECT_EQ(FileNameOf("onnx::Shape_8609"), "onnx%3A%3AShape_8609");
  EXPECT_EQ(FileNameOf("../../escaped"), "%2E.%2F..%2Fescaped");
  EXPECT_EQ(FileNameOf(".."), "%2E.");
  EXPECT_EQ(FileNameOf(".hidden"), "%2Ehidden");
  EXPECT_EQ(FileNameOf("a%2Fb"), "a%252Fb");
  EXPECT_EQ(FileNameOf("a b\n"), "a%20b%0A");
  EXPECT_EQ(FileNameOf(std::string("\0\xff\xc3\xa9", 4)), "%00%FF%C3%A9");
  EXPECT_EQ(FileNameOf(""), "");
}

TEST(FileNameOf, IsOneToOneAndNameOfFileReversesIt) {
  // Every byte alone, at the start and after a letter.
  for (int c = 0; c < 256; ++c) {
    const std::string one(1, static_cast<char>(c));
    for (const std::string& name : {one, "x" + one, one + one}) {
      const std::string file = FileNameOf(name);
      EXPECT_EQ(file.find('/'), std::string::npos) << c;
      EXPECT_NE(file, ".");
      EXPECT_NE(file, "..");
      EXPECT_NE(file[0], '.') << c;
      EXPECT_EQ(NameOfFile(file), name) << c;
    }
  }
  for (const char* name : {"/encoder/after_norm/Add_1_output_0", "onnx::Shape_8609", "a%25b", "%",
                           "%%", "..", "...x", "x..", "images_y"}) {
    EXPECT_EQ(NameOfFile(FileNameOf(name)), name) << name;
  }
}

TEST(FileNameOf, NameOfFileRefusesWhatFileNameOfNeverWrites) {
  for (const char* file : {"a b", "%", "%2", "%zz", "%2e", "%41", "%5F", ".x", "a/b", "%2E%2E"}) {
    EXPECT_EQ(NameOfFile(file), std::nullopt) << file;
  }
  EXPECT_EQ(NameOfFile("%2E%2E").value_or("-"), "-");
  EXPECT_EQ(NameOfFile("x%2E").value_or("-"), "-");  // a '.' after the start is plain
  EXPECT_EQ(NameOfFile("%2E.").value_or("-"), "..");
}

TEST(CheckTensorNames, TwoTensorsOfTheSameNameAreRefusedNamingBoth) {
  Plan plan;
  plan.model = "m";
  plan.tensors.resize(3);
  plan.tensors[0].name = "a_y", plan.tensors[0].input = "a";
  plan.tensors[1].name = "a_uv", plan.tensors[1].input = "a";
  plan.tensors[2].name = "a_y", plan.tensors[2].input = "a_y";
  EXPECT_THAT(CheckTensorNames(plan),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "model 'm': tensor 'a_y' of input 'a' and tensor 'a_y' of input 'a_y' have "
                       "the same name; their files would collide"));
  plan.tensors[2].name = "";
  EXPECT_THAT(CheckTensorNames(plan),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "model 'm': tensor 2 (input 'a_y') has an empty name"));
  plan.tensors[2].name = "a%5Fy";  // distinct names, distinct files
  EXPECT_THAT(CheckTensorNames(plan), IsOk());
}

TEST(StagedOutput, ReplacesOnlyNothingAnEmptyFolderOrAnEarlierResult) {
  TempDir dir;
  const fs::path out = dir.path() + "/out";
  auto run = [](const fs::path& path, const std::string& file) {
    StagedOutput output(path);
    if (absl::Status opened = output.Open(); !opened.ok()) return opened;
    if (absl::Status wrote = WriteFile(output.dir() / file, "x"); !wrote.ok()) return wrote;
    return output.Commit();
  };
  // Missing, then an earlier result (its manifest): replaced.
  ASSERT_THAT(run(out, "manifest.json"), IsOk());
  EXPECT_THAT(run(out, "a.npy"), StatusIs(absl::StatusCode::kFailedPrecondition,
                                          "--out '" + out.string() +
                                              "' is a folder that holds no hbprep result (no "
                                              "manifest.json); not replaced"));
  fs::remove_all(out);
  fs::create_directories(out);
  WriteFile(out / "manifest.json", R"({"model": "m", "tensors": []})").IgnoreError();
  ASSERT_THAT(run(out, "b.npy"), IsOk());
  EXPECT_TRUE(fs::exists(out / "b.npy"));
  EXPECT_FALSE(fs::exists(out / "manifest.json"));
  // Numbered folders of several requests, each with its manifest.
  fs::remove_all(out);
  for (const char* n : {"0", "1"}) {
    fs::create_directories(out / n);
    WriteFile(out / n / "manifest.json", R"({"model": "m", "tensors": []})").IgnoreError();
  }
  ASSERT_THAT(run(out, "c.npy"), IsOk());
  EXPECT_TRUE(fs::exists(out / "c.npy"));
  // An empty folder.
  fs::remove_all(out);
  fs::create_directories(out);
  ASSERT_THAT(run(out, "d.npy"), IsOk());
  EXPECT_TRUE(fs::exists(out / "d.npy"));
}

TEST(StagedOutput, RefusesAFileAndAFolderOfOtherFilesAndLeavesThemAlone) {
  TempDir dir;
  const std::string file = dir.Write("notes.txt", "mine");
  StagedOutput over_file(file);
  EXPECT_THAT(over_file.Open(),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       "--out '" + file + "' exists and is not a folder; not replaced"));
  EXPECT_EQ(Read(file), "mine");
  const fs::path folder = dir.path() + "/photos";
  fs::create_directories(folder / "2024");
  WriteFile(folder / "a.jpg", "jpeg").IgnoreError();
  // Not a manifest of hbprep's, and numbered folders without manifests.
  WriteFile(folder / "manifest.json", R"({"name": "something else"})").IgnoreError();
  StagedOutput over_folder(folder);
  EXPECT_THAT(over_folder.Open(),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       "--out '" + folder.string() +
                           "' is a folder that holds no hbprep result (no manifest.json); not "
                           "replaced"));
  EXPECT_EQ(Read((folder / "a.jpg").string()), "jpeg");
  EXPECT_TRUE(fs::is_directory(folder / "2024"));
  // A symlink to a result is not followed: refused as not a folder.
  const fs::path link = dir.path() + "/link";
  fs::create_directory_symlink(folder, link);
  StagedOutput over_link(link);
  EXPECT_THAT(over_link.Open(),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       "--out '" + link.string() + "' exists and is not a folder; not replaced"));
  size_t entries = 0;
  for (const auto& entry : fs::directory_iterator(dir.path())) {
    ++entries;
    EXPECT_EQ(entry.path().string().find(".hbprep-tmp-"), std::string::npos) << entry.path();
  }
  EXPECT_EQ(entries, 3u);
}

}  // namespace
}  // namespace hbprep
