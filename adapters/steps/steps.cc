// The step table and what its rows share.
#include <algorithm>
#include <cmath>

#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "adapters/frame.h"
#include "adapters/recipe.h"
#include "adapters/steps/step.h"
#include "adapters/steps/step_rows.h"
#include "hbprep/status_macros.h"
#include "nlohmann/json.hpp"
#include "opencv2/core.hpp"
#include "opencv2/imgproc.hpp"

namespace hbprep {

StepShape CropShape(const cv::Rect& rect) {
  StepShape shape;
  shape.kind = StepShape::Kind::kCrop;
  shape.size = rect.size();
  shape.crop = rect;
  shape.offset_x = rect.x;
  shape.offset_y = rect.y;
  return shape;
}

StepShape ResizeStepShape(int w, int h, cv::Size size, int interpolation) {
  StepShape shape;
  shape.kind = StepShape::Kind::kResize;
  shape.size = size;
  shape.interpolation = interpolation;
  shape.scale_x = static_cast<double>(w) / size.width;
  shape.scale_y = static_cast<double>(h) / size.height;
  return shape;
}

std::optional<cv::Size> NoFixedSize(const RecipeStep&, std::optional<cv::Size>) {
  return std::nullopt;
}
std::optional<cv::Size> FixedSizeHW(const RecipeStep& step, std::optional<cv::Size>) {
  return cv::Size(step.size[1], step.size[0]);
}
cv::Size FullDecode(const RecipeStep&, int, int) { return {0, 0}; }
void NoCanonicalArgs(const RecipeStep&, nlohmann::json&) {}

int PythonRoundSize(double v) {
  return static_cast<int>(std::min(std::nearbyint(v), 2147483647.0));
}

void AsTransformerInput(Frame& frame) {
  frame.ToBgr();
  if (frame.float32 && frame.bgr.depth() != CV_32F) frame.bgr.convertTo(frame.bgr, CV_32F);
}

absl::Status RunShape(const RecipeStep& step, const StepShape& shape, Frame& frame,
                      absl::string_view what) {
  if (shape.kind == StepShape::Kind::kCrop) {
    HBPREP_RETURN_IF_ERROR(
        CheckCrop({frame.width(), frame.height()}, shape.crop, ToString(step.kind), what));
    frame.Crop(shape.crop);
  } else {
    // float32 data takes OpenCV's float path; nearest-neighbour copies values, so 8-bit
    // data stays 8-bit there (the same values), and NV12 planes stay planar.
    if (frame.float32 && !frame.nv12 && shape.interpolation != cv::INTER_NEAREST &&
        frame.bgr.depth() != CV_32F) {
      frame.bgr.convertTo(frame.bgr, CV_32F);
    }
    frame.Resize(shape.size.height, shape.size.width, shape.interpolation);
  }
  frame.float32 = true;
  return absl::OkStatus();
}

namespace {

// In the order the README lists them.
const StepType* const kStepTable[] = {
    &kShortSideResizeStep, &kCenterCropStep,     &kResizeStep,       &kPadResizeStep,
    &kPaddedCenterCropStep, &kLongSideCropStep,  &kPilResizeStep,    &kPilCenterCropStep,
    &kWarpAffineStep,      &kPadStep,            &kShortLongResizeStep, &kSwapRbStep,
    &kYuvStep,
};

}  // namespace

const StepType& StepTypeOf(RecipeStep::Kind kind) {
  for (const StepType* row : kStepTable) {
    if (row->kind == kind) return *row;
  }
  return kShortSideResizeStep;  // unreachable: every kind has a row (steps_test)
}

const StepType* FindStepType(absl::string_view name) {
  for (const StepType* row : kStepTable) {
    if (absl::EqualsIgnoreCase(row->name, name)) return row;
  }
  return nullptr;
}

std::string StepNames() {
  return absl::StrJoin(kStepTable, ", ", [](std::string* out, const StepType* row) {
    out->append(row->name.data(), row->name.size());
  });
}

absl::string_view ToString(RecipeStep::Kind kind) { return StepTypeOf(kind).name; }

}  // namespace hbprep
