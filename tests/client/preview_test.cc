#include "client/preview.h"

#include <string>
#include <vector>

#include "client/cli.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "opencv2/core.hpp"
#include "opencv2/imgcodecs.hpp"
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

// Layout of the sheet (client/preview.cc): 8 px margins, 34 px of label, 160 px tiles.
constexpr int kTop = 8 + 34;
constexpr int kRowHeight = 34 + 160 + 8;

// A solid-colour image file (B, G, R).
std::string Solid(const TempDir& dir, cv::Vec3b bgr, int height = 120, int width = 160) {
  const std::string path = dir.path() + "/solid.png";
  cv::imwrite(path, cv::Mat(height, width, CV_8UC3, cv::Scalar(bgr[0], bgr[1], bgr[2])));
  return path;
}

cv::Mat PrepareAndPreview(const TempDir& dir, const std::string& model,
                          const std::vector<std::string>& extra,
                          const std::vector<std::string>& files, PreviewSummary* summary) {
  std::vector<std::string> args = {"prepare", "--config", kModels + "/" + model + ".yaml", "--out",
                                   dir.path() + "/out"};
  args.insert(args.end(), extra.begin(), extra.end());
  args.insert(args.end(), files.begin(), files.end());
  CliResult run = Cli(args);
  EXPECT_EQ(run.status, kExitOk) << run.err;
  absl::StatusOr<Descriptor> descriptor =
      LoadDescriptorFile(kModels + "/" + model + ".yaml", nullptr);
  EXPECT_TRUE(descriptor.ok());
  absl::StatusOr<PreviewSummary> rendered =
      RenderPreview(dir.path() + "/out", dir.path() + "/sheet.png", *descriptor);
  EXPECT_TRUE(rendered.ok()) << rendered.status();
  if (rendered.ok()) *summary = *rendered;
  return cv::imread(dir.path() + "/sheet.png", cv::IMREAD_COLOR);
}

void ExpectNear(cv::Vec3b got, cv::Vec3b want, int tolerance) {
  for (int c = 0; c < 3; ++c) EXPECT_NEAR(got[c], want[c], tolerance) << "channel " << c;
}

TEST(Preview, Nv12BackInColourWithItsPlanesBeside) {
  TempDir dir;
  const cv::Vec3b colour(40, 80, 200);
  PreviewSummary summary;
  cv::Mat sheet = PrepareAndPreview(dir, "cls_pyramid", {}, {Solid(dir, colour)}, &summary);
  ASSERT_FALSE(sheet.empty());
  EXPECT_EQ(summary.rows, 1);
  EXPECT_EQ(summary.tiles, 4);  // colour, Y, U, V
  EXPECT_EQ(sheet.rows, 8 + kRowHeight);
  EXPECT_EQ(sheet.cols, summary.width);
  // The colour tile's centre is the image's colour, through NV12 and back (full range).
  ExpectNear(sheet.at<cv::Vec3b>(kTop + 80, 8 + 80), colour, 3);
  // Y of the calc recipe: 0.299 R + 0.587 G + 0.114 B = 111.2 -> 111, shown grey.
  int x = 8;
  while (x < sheet.cols && sheet.at<cv::Vec3b>(kTop + 80, x) != cv::Vec3b(111, 111, 111)) ++x;
  EXPECT_LT(x, sheet.cols) << "no Y tile of value 111";
}

TEST(Preview, ResizerRoiIsDrawn) {
  TempDir dir;
  PreviewSummary summary;
  cv::Mat sheet = PrepareAndPreview(dir, "det_resizer", {"--roi", "0,0,79,79"},
                                    {Solid(dir, cv::Vec3b(128, 128, 128), 160, 160)}, &summary);
  ASSERT_FALSE(sheet.empty());
  // 160x160 source shown at 160x160: the ROI's corner (0,0) and its far edge (79,79).
  const cv::Vec3b green(0, 255, 0);
  ExpectNear(sheet.at<cv::Vec3b>(kTop + 0, 8 + 40), green, 0);
  ExpectNear(sheet.at<cv::Vec3b>(kTop + 79, 8 + 40), green, 0);
  ExpectNear(sheet.at<cv::Vec3b>(kTop + 120, 8 + 120), cv::Vec3b(128, 128, 128), 3);
}

TEST(Preview, FloatDataIsDeNormalisedInTheModelsChannelOrder) {
  TempDir dir;
  const cv::Vec3b colour(30, 140, 220);
  PreviewSummary summary;
  cv::Mat sheet = PrepareAndPreview(dir, "cls_pyramid", {"--target", "calibration"},
                                    {Solid(dir, colour)}, &summary);
  ASSERT_FALSE(sheet.empty());
  EXPECT_EQ(summary.tiles, 1);
  ExpectNear(sheet.at<cv::Vec3b>(kTop + 80, 8 + 80), colour, 1);
}

TEST(Preview, Int8DataIsShiftedBackAndBatchItemsGetRows) {
  TempDir dir;
  const cv::Vec3b colour(10, 100, 250);
  PreviewSummary summary;
  cv::Mat sheet = PrepareAndPreview(
      dir, "fusion_multi", {}, {Solid(dir, colour), HBPREP_SOURCE_DIR "/tests/client/prior.npy"},
      &summary);
  ASSERT_FALSE(sheet.empty());
  EXPECT_EQ(summary.rows, 2);  // the int8 image, the feature map
  ExpectNear(sheet.at<cv::Vec3b>(kTop + 80, 8 + 80), colour, 1);

  TempDir batch;
  const std::string image = Solid(batch, colour);
  sheet = PrepareAndPreview(batch, "cls_batch8", {}, std::vector<std::string>(8, image), &summary);
  EXPECT_EQ(summary.rows, 8);
  EXPECT_EQ(summary.tiles, 32);
  EXPECT_EQ(sheet.rows, 8 + 8 * kRowHeight);
}

TEST(Preview, CommandWritesPreviewPngAndReportsTheRange) {
  TempDir dir;
  cv::Mat ramp(64, 256, CV_8UC3);
  for (int x = 0; x < 256; ++x) ramp.col(x).setTo(cv::Scalar(x, x, x));
  cv::imwrite(dir.path() + "/ramp.png", ramp);
  CliResult run = Cli({"prepare", "--config", kModels + "/det_resizer.yaml", "--preview", "--out",
                       dir.path() + "/out", dir.path() + "/ramp.png"});
  ASSERT_EQ(run.status, kExitOk) << run.err;
  EXPECT_FALSE(cv::imread(dir.path() + "/out/preview.png").empty());
  // A 0..255 ramp through det_resizer's opencv recipe becomes video range, as the model's
  // bt601_video expects: reported, not flagged.
  run = Cli({"preview", dir.path() + "/out", "--config", kModels + "/det_resizer.yaml"});
  EXPECT_EQ(run.status, kExitOk);
  EXPECT_THAT(run.out,
              HasSubstr("data_y Y spans 16..235: video range (16..235, reaching both ends)"));
  EXPECT_EQ(run.out.find("WARNING"), std::string::npos);
  EXPECT_EQ(Cli({"preview"}).status, kExitUsage);
  EXPECT_EQ(Cli({"preview", "/nonexistent"}).status, kExitFailed);
}

}  // namespace
}  // namespace hbprep
