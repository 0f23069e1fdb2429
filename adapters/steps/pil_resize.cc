// PILResize: S | [H, W] | {size, interpolation: linear|nearest|box|hamming|cubic|lanczos}
// (PILResizeTransformer(size, interpolation=Image.BILINEAR)): Image.fromarray of
// data.astype('uint8'), then with one size S the short side to S, the long one int(S * long /
// short) (an image whose short side is already S is returned as it is), with [H, W] to W x H;
// Pillow's resampling (pillow_resample.h). The result is uint8 (np.array of the image, no
// astype).
#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"
#include "adapters/frame.h"
#include "adapters/preparer.h"
#include "adapters/steps/pillow_resample.h"
#include "adapters/steps/step_rows.h"
#include "nlohmann/json.hpp"

namespace hbprep {
namespace {

constexpr Interpolation kFilters[] = {Interpolation::kLinear,  Interpolation::kNearest,
                                      Interpolation::kBox,     Interpolation::kHamming,
                                      Interpolation::kCubic,   Interpolation::kLanczos};

PilFilter FilterOf(Interpolation interpolation) {
  switch (interpolation) {
    case Interpolation::kNearest:
      return PilFilter::kNearest;
    case Interpolation::kBox:
      return PilFilter::kBox;
    case Interpolation::kHamming:
      return PilFilter::kHamming;
    case Interpolation::kCubic:
      return PilFilter::kBicubic;
    case Interpolation::kLanczos:
      return PilFilter::kLanczos;
    default:
      return PilFilter::kBilinear;
  }
}

void Parse(StepArgs& args, RecipeStep& step) {
  args.Size(StepArgs::SizeForm::kOneOrPair, &step.size);
  args.Interpolation(kFilters, &step.interpolation);
}

void Canonical(const RecipeStep& step, nlohmann::json& out) {
  out["interpolation"] = ToString(step.interpolation);
}

cv::Size Target(const RecipeStep& step, int w, int h) {
  if (step.size.size() == 2) return {step.size[1], step.size[0]};
  const int s = step.size[0];
  if ((w <= h && w == s) || (h <= w && h == s)) return {w, h};
  // int(S * long / short): the product first, then the division, in double.
  auto side = [s](int long_px, int short_px) {
    const double value = static_cast<double>(s) * long_px / short_px;
    return static_cast<int>(std::min(value, double{std::numeric_limits<int>::max()}));
  };
  return w < h ? cv::Size(s, side(h, w)) : cv::Size(side(w, h), s);
}

StepShape Shape(const RecipeStep& step, int w, int h) {
  StepShape shape;
  shape.size = Target(step, w, h);
  shape.scale_x = static_cast<double>(w) / shape.size.width;
  shape.scale_y = static_cast<double>(h) / shape.size.height;
  return shape;
}

std::optional<cv::Size> FixedSize(const RecipeStep& step, std::optional<cv::Size>) {
  if (step.size.size() != 2) return std::nullopt;
  return cv::Size(step.size[1], step.size[0]);
}

cv::Size DecodeMinimum(const RecipeStep& step, int, int) {
  return step.size.size() == 2 ? cv::Size(step.size[1], step.size[0])
                               : cv::Size(step.size[0], step.size[0]);
}

absl::Status Run(const RecipeStep& step, Frame& frame, absl::string_view what) {
  frame.ToBgr();
  const cv::Mat pixels = AsUint8(frame.bgr);
  const cv::Size size = Target(step, pixels.cols, pixels.rows);
  if (size == pixels.size()) {
    frame.bgr = pixels;
  } else {
    cv::Mat out;
    const absl::Status status =
        PilResize(pixels, size.height, size.width, FilterOf(step.interpolation), out);
    if (!status.ok()) return absl::InvalidArgumentError(absl::StrCat(what, ": ", status.message()));
    frame.bgr = out;
  }
  frame.float32 = false;  // np.array of a Pillow image: uint8
  return absl::OkStatus();
}

}  // namespace

const StepType kPilResizeStep = {RecipeStep::Kind::kPilResize, "PILResize", Parse, Canonical,
                                 Shape, FixedSize, DecodeMinimum, Run};

}  // namespace hbprep
