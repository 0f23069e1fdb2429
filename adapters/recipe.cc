#include "adapters/recipe.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "hbprep/status_macros.h"
#include "opencv2/imgproc.hpp"

namespace hbprep {

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

StepGeometry Geometry(const RecipeStep& step, int w, int h) {
  StepGeometry g;
  switch (step.kind) {
    case RecipeStep::Kind::kShortSideResize: {
      const int s = step.size[0];
      // The transformer: int(short_size * (long / short)), truncated.
      // Beyond int's range it stays at INT_MAX, which the limits refuse.
      auto long_side = [s](int long_px, int short_px) {
        const double value = s * (static_cast<double>(long_px) / short_px);
        return static_cast<int>(std::min(value, double{std::numeric_limits<int>::max()}));
      };
      g.size = h < w ? cv::Size(long_side(w, h), s) : cv::Size(s, long_side(h, w));
      g.interpolation = CvInterpolation(step.interpolation);
      break;
    }
    case RecipeStep::Kind::kResize:
      g.size = cv::Size(step.size[1], step.size[0]);
      g.interpolation = CvInterpolation(step.interpolation);
      break;
    case RecipeStep::Kind::kCenterCrop: {
      const int s = step.size[0];
      g.crop = cv::Rect(w / 2 - s / 2, h / 2 - s / 2, s, s);
      g.crop_step = "CenterCrop";
      break;
    }
    case RecipeStep::Kind::kPaddedCenterCrop: {
      const int s = step.size[0];
      const int side =
          static_cast<int>(static_cast<double>(s) / (s + step.padding) * std::min(h, w));
      g.crop = cv::Rect(((w - side) + 1) / 2, ((h - side) + 1) / 2, side, side);
      g.crop_step = "PaddedCenterCrop";
      break;
    }
    case RecipeStep::Kind::kLongSideCrop: {
      const int side = std::min(h, w);
      g.crop = cv::Rect((w - side) / 2, (h - side) / 2, side, side);
      g.crop_step = "LongSideCrop";
      break;
    }
    case RecipeStep::Kind::kPadResize:
      break;
  }
  return g;
}

absl::StatusOr<ComposedRecipe> ComposeRecipe(const InputDescriptor& input, int width,
                                             int height, absl::string_view what) {
  int w = width, h = height;
  ComposedRecipe out;
  out.window = cv::Rect2d(0, 0, w, h);
  for (const RecipeStep& step : input.recipe) {
    const StepGeometry g = Geometry(step, w, h);
    const double frame_per_pixel = out.window.width / w;  // image pixels per current pixel
    if (g.crop) {
      HBPREP_RETURN_IF_ERROR(CheckCrop({w, h}, *g.crop, g.crop_step, what));
      const double sy = out.window.height / h;
      out.window = cv::Rect2d(out.window.x + g.crop->x * frame_per_pixel,
                              out.window.y + g.crop->y * sy, g.crop->width * frame_per_pixel,
                              g.crop->height * sy);
      w = g.crop->width;
      h = g.crop->height;
    } else {
      // Linear and nearest read 1 source pixel beyond, cubic 2, area its box.
      const double box = std::ceil(static_cast<double>(w) / g.size->width);
      out.reach += (3 + box) * frame_per_pixel;
      w = g.size->width;
      h = g.size->height;
      out.interpolation = g.interpolation;
    }
  }
  // The default resize to the model's size, when it is not a no-op.
  if (w != input.width() || h != input.height()) {
    out.reach += (3 + std::ceil(static_cast<double>(w) / input.width())) * out.window.width / w;
  }
  return out;
}

bool CanScaleOnce(const InputDescriptor& input) {
  return std::none_of(input.recipe.begin(), input.recipe.end(), [](const RecipeStep& s) {
    return s.kind == RecipeStep::Kind::kPadResize;
  });
}

bool CanScalePlanar(const InputDescriptor& input) {
  return CanScaleOnce(input) &&
         std::none_of(input.recipe.begin(), input.recipe.end(), [](const RecipeStep& s) {
           return s.interpolation == Interpolation::kArea &&
                  (s.kind == RecipeStep::Kind::kResize ||
                   s.kind == RecipeStep::Kind::kShortSideResize);
         });
}


absl::Status TraceRecipe(const InputDescriptor& input, int width, int height,
                         absl::string_view what, std::vector<StepSize>* out) {
  std::vector<StepSize>& steps = *out;
  steps.clear();
  cv::Size size(width, height);
  for (const RecipeStep& step : input.recipe) {
    cv::Size next;
    if (step.kind == RecipeStep::Kind::kPadResize) {
      next = cv::Size(step.size[1], step.size[0]);
    } else {
      const StepGeometry g = Geometry(step, size.width, size.height);
      if (g.crop) {
        HBPREP_RETURN_IF_ERROR(CheckCrop(size, *g.crop, g.crop_step, what));
        next = g.crop->size();
      } else {
        next = *g.size;
      }
    }
    if (next.width <= 0 || next.height <= 0) {
      return absl::InvalidArgumentError(absl::StrCat(what, ": recipe step ", ToString(step.kind),
                                                     " makes ", next.height, "x", next.width,
                                                     " of a ", size.height, "x", size.width,
                                                     " image"));
    }
    steps.push_back({size, next});
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
    void Resize(int to) {
      const double k = static_cast<double>(size) / to;  // current pixels per new pixel
      s *= k;
      lo /= k;
      hi /= k;
      size = to;
    }
    void Crop(int at, int length) {
      o += at * s;
      lo = std::clamp(lo - at, 0.0, static_cast<double>(length));
      hi = std::clamp(hi - at, 0.0, static_cast<double>(length));
      size = length;
    }
  } x{0, 1, 0, static_cast<double>(width), width}, y{0, 1, 0, static_cast<double>(height), height};
  for (const RecipeStep& step : input.recipe) {
    if (step.kind == RecipeStep::Kind::kPadResize) {
      const int th = step.size[0], tw = step.size[1];
      const double scale = std::min(static_cast<double>(tw) / x.size,
                                    static_cast<double>(th) / y.size);
      const int nh = static_cast<int>(scale * y.size), nw = static_cast<int>(scale * x.size);
      if (nw <= 0 || nh <= 0) break;
      x.Resize(nw);
      y.Resize(nh);
      // Placed at (left, top) of the canvas: a crop at minus the offset.
      x.Crop(step.pad_centered ? -((tw - nw) / 2) : 0, tw);
      y.Crop(step.pad_centered ? -((th - nh) / 2) : 0, th);
      continue;
    }
    const StepGeometry g = Geometry(step, x.size, y.size);
    if (g.crop) {
      if (g.crop->width <= 0 || g.crop->height <= 0) break;
      x.Crop(g.crop->x, g.crop->width);
      y.Crop(g.crop->y, g.crop->height);
    } else {
      if (g.size->width <= 0 || g.size->height <= 0) break;
      x.Resize(g.size->width);
      y.Resize(g.size->height);
    }
  }
  if (x.size != input.width() || y.size != input.height()) {
    x.Resize(static_cast<int>(input.width()));
    y.Resize(static_cast<int>(input.height()));
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
