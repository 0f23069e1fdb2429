#include "adapters/recipe.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "adapters/steps/step.h"
#include "hbprep/status_macros.h"
#include "opencv2/imgproc.hpp"

namespace hbprep {
namespace {

bool Composable(const RecipeStep& step) {
  // A step's shape kind does not depend on the image's size.
  return StepTypeOf(step.kind).shape(step, 64, 64).kind != StepShape::Kind::kPixels;
}

}  // namespace

int CvInterpolation(Interpolation interpolation) {
  switch (interpolation) {
    case Interpolation::kLinear:
      return cv::INTER_LINEAR;
    case Interpolation::kCubic:
      return cv::INTER_CUBIC;
    case Interpolation::kNearest:
      return cv::INTER_NEAREST;
    case Interpolation::kArea:
      return cv::INTER_AREA;
    case Interpolation::kBox:  // Pillow's alone: no OpenCV step accepts them
    case Interpolation::kHamming:
    case Interpolation::kLanczos:
      break;
  }
  return cv::INTER_LINEAR;
}

absl::Status CheckCrop(const cv::Size& image, const cv::Rect& rect, absl::string_view step,
                       absl::string_view what) {
  if (rect.x < 0 || rect.y < 0 || rect.x + rect.width > image.width ||
      rect.y + rect.height > image.height || rect.width <= 0 || rect.height <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": ", step, " needs ", rect.height, "x",
                                                   rect.width, " but the image is ", image.height,
                                                   "x", image.width));
  }
  return absl::OkStatus();
}

absl::StatusOr<ComposedRecipe> ComposeRecipe(const InputDescriptor& input, int width,
                                             int height, absl::string_view what) {
  int w = width, h = height;
  ComposedRecipe out;
  out.window = cv::Rect2d(0, 0, w, h);
  for (const RecipeStep& step : input.recipe) {
    const StepShape g = StepTypeOf(step.kind).shape(step, w, h);
    const double frame_per_pixel = out.window.width / w;  // image pixels per current pixel
    if (g.kind == StepShape::Kind::kCrop) {
      HBPREP_RETURN_IF_ERROR(CheckCrop({w, h}, g.crop, ToString(step.kind), what));
      const double sy = out.window.height / h;
      out.window = cv::Rect2d(out.window.x + g.crop.x * frame_per_pixel,
                              out.window.y + g.crop.y * sy, g.crop.width * frame_per_pixel,
                              g.crop.height * sy);
    } else {
      // Linear and nearest read 1 source pixel beyond, cubic 2, area its box.
      const double box = std::ceil(static_cast<double>(w) / g.size.width);
      out.reach += (3 + box) * frame_per_pixel;
      out.interpolation = g.interpolation;
    }
    w = g.size.width;
    h = g.size.height;
  }
  // The default resize to the model's size, when it is not a no-op.
  if (w != input.width() || h != input.height()) {
    out.reach += (3 + std::ceil(static_cast<double>(w) / input.width())) * out.window.width / w;
  }
  return out;
}

bool CanScaleOnce(const InputDescriptor& input) {
  return std::all_of(input.recipe.begin(), input.recipe.end(), Composable);
}

bool CanScalePlanar(const InputDescriptor& input) {
  return CanScaleOnce(input) &&
         std::none_of(input.recipe.begin(), input.recipe.end(), [](const RecipeStep& s) {
           return StepTypeOf(s.kind).shape(s, 64, 64).kind == StepShape::Kind::kResize &&
                  s.interpolation == Interpolation::kArea;
         });
}

absl::Status TraceRecipe(const InputDescriptor& input, int width, int height,
                         absl::string_view what, std::vector<StepSize>* out) {
  std::vector<StepSize>& steps = *out;
  steps.clear();
  cv::Size size(width, height);
  for (const RecipeStep& step : input.recipe) {
    const StepShape g = StepTypeOf(step.kind).shape(step, size.width, size.height);
    if (g.kind == StepShape::Kind::kCrop) {
      HBPREP_RETURN_IF_ERROR(CheckCrop(size, g.crop, ToString(step.kind), what));
    }
    const cv::Size next = g.size;
    if (next.width <= 0 || next.height <= 0) {
      return absl::InvalidArgumentError(absl::StrCat(what, ": recipe step ", ToString(step.kind),
                                                     " makes ", next.height, "x", next.width,
                                                     " of a ", size.height, "x", size.width,
                                                     " image"));
    }
    steps.push_back({size, next, g.scratch_pixels});
    size = next;
  }
  const cv::Size model(static_cast<int>(input.width()), static_cast<int>(input.height()));
  if (size != model) steps.push_back({size, model});
  return absl::OkStatus();
}

ImageGeometry RecipeGeometry(const InputDescriptor& input, int width, int height) {
  // Per axis, the current image's edge coordinate c shows source coordinate o + c * s, and
  // its content (the part that is not padding) is [lo, hi).
  struct Axis {
    double o = 0, s = 1, lo = 0, hi = 0;
    int size = 0;
    // The next image's edge coordinate c' shows this one's `offset + c' * scale`.
    void Map(double offset, double scale, int to) {
      o += offset * s;
      s *= scale;
      lo = std::clamp((lo - offset) / scale, 0.0, static_cast<double>(to));
      hi = std::clamp((hi - offset) / scale, 0.0, static_cast<double>(to));
      size = to;
    }
  } x{0, 1, 0, static_cast<double>(width), width}, y{0, 1, 0, static_cast<double>(height), height};
  for (const RecipeStep& step : input.recipe) {
    const StepShape g = StepTypeOf(step.kind).shape(step, x.size, y.size);
    if (g.size.width <= 0 || g.size.height <= 0 || !(g.scale_x > 0) || !(g.scale_y > 0) ||
        !std::isfinite(g.scale_x) || !std::isfinite(g.scale_y)) {
      break;
    }
    x.Map(g.offset_x, g.scale_x, g.size.width);
    y.Map(g.offset_y, g.scale_y, g.size.height);
  }
  if (x.size != input.width() || y.size != input.height()) {
    x.Map(0, static_cast<double>(x.size) / input.width(), static_cast<int>(input.width()));
    y.Map(0, static_cast<double>(y.size) / input.height(), static_cast<int>(input.height()));
  }
  ImageGeometry out;
  out.valid = true;
  out.source_width = width;
  out.source_height = height;
  out.width = x.size;
  out.height = y.size;
  out.scale_x = 1 / x.s;
  out.scale_y = 1 / y.s;
  out.pad_left = static_cast<int>(std::lround(x.lo));
  out.pad_top = static_cast<int>(std::lround(y.lo));
  out.content_width = static_cast<int>(std::lround(x.hi - x.lo));
  out.content_height = static_cast<int>(std::lround(y.hi - y.lo));
  out.window_x = x.o + x.lo * x.s;
  out.window_y = y.o + y.lo * y.s;
  out.window_width = (x.hi - x.lo) * x.s;
  out.window_height = (y.hi - y.lo) * y.s;
  return out;
}

}  // namespace hbprep
