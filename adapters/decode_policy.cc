// How an input's images are decoded: raw frames as views, JPEG fast (DCT-scaled YCbCr
// planes) or exact, and exact JPEG decoding of just the columns a recipe reads.
#include "adapters/preparer.h"

#include <algorithm>
#include <cmath>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "adapters/jpeg.h"
#include "adapters/preparer.h"
#include "adapters/recipe.h"
#include "adapters/steps/step.h"
#include "hbprep/status_macros.h"
#include "opencv2/core.hpp"

namespace hbprep {
namespace {

// Fast decoding: the smallest decoded size that keeps the recipe's first resize a reduction,
// so that DCT-domain scaling loses nothing the recipe keeps. 0 x 0 (the full image) for
// resizer inputs and for recipes that crop before they resize.
cv::Size FastDecodeMinimum(const InputDescriptor& input, Target target,
                           const ImageHeader& header) {
  if (TakesRoi(input, target)) return {0, 0};
  if (input.recipe.empty()) {
    return {static_cast<int>(input.width()), static_cast<int>(input.height())};
  }
  const RecipeStep& first = input.recipe.front();
  return StepTypeOf(first.kind)
      .decode_minimum(first, static_cast<int>(header.width), static_cast<int>(header.height));
}

}  // namespace

absl::StatusOr<Frame> Preparer::Load(const InputView& image, const InputDescriptor& input,
                                     const ImageHeader* checked) {
  const auto start = Clock::now();
  struct Account {
    PrepareReport& out;
    std::chrono::steady_clock::time_point start;
    ~Account() { out.decode_us += MicrosSince(start); }
  } account{report_, start};
  if (image.kind == InputView::Kind::kFrame) return FrameFromView(image.frame);  // checked
  if (checked == nullptr) return absl::InternalError(absl::StrCat(image.what, ": no header"));
  const ImageHeader& header = *checked;  // limits checked; it says which decoder to use
  Frame frame;
  if (input.read != ReadMode::kOpencv) {
    // The float model's own read: never through fast decoding's planes.
    HBPREP_ASSIGN_OR_RETURN(frame.bgr,
                            DecodeForRead(BytesOf(image), header, input.read, image.what));
    frame.unit_range = input.read == ReadMode::kSkimage;
    frame.reversed_channels = true;  // both reads give R, G, B arrays
    frame.float32 = frame.unit_range;
    return frame;
  }
  if (header.format == "JPEG" &&
      options_.decode.value_or(descriptor_.decode) == DecodeMode::kFast) {
    const cv::Size minimum = FastDecodeMinimum(input, options_.target, header);
    if (std::optional<JpegPlanes> planes =
            DecodeJpegPlanes(BytesOf(image), minimum.width, minimum.height)) {
      frame.nv12 = true;
      frame.y = planes->y;
      frame.uv = planes->uv;
      frame.range = ColorRange::kRegular;  // JPEG's YCbCr: full-range BT.601
      frame.chroma_centered = true;
      return frame;
    }
  }
  if (header.format == "JPEG") {
    if (std::optional<cv::Mat> bgr = DecodeRecipeColumns(image, input, header)) {
      frame.bgr = *std::move(bgr);
      return frame;
    }
  }
  HBPREP_ASSIGN_OR_RETURN(frame.bgr,
                          DecodeCheckedImage(BytesOf(image), header, image.what, &report_.warnings));
  return frame;
}

std::optional<cv::Mat> Preparer::DecodeRecipeColumns(const InputView& image,
                                                     const InputDescriptor& input,
                                                     const ImageHeader& header) {
  if (input.recipe.empty() || !CanScaleOnce(input) ||
      TakesRoi(input, options_.target)) {
    return std::nullopt;
  }
  const int width = static_cast<int>(header.width), height = static_cast<int>(header.height);
  const absl::StatusOr<ComposedRecipe> recipe = ComposeRecipe(input, width, height, image.what);
  if (!recipe.ok()) return std::nullopt;  // the step-by-step recipe reports it
  const int x0 = std::max(0, static_cast<int>(std::floor(recipe->window.x - recipe->reach)));
  const int x1 = std::min(width, static_cast<int>(std::ceil(recipe->window.x +
                                                            recipe->window.width + recipe->reach)));
  if (x1 - x0 > width * 3 / 4) return std::nullopt;  // most of each row: decode it all
  return DecodeJpegBgrColumns(BytesOf(image), x0, x1);
}

}  // namespace hbprep
