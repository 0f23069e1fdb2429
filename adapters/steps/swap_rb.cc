// SwapRB: the first and third channels exchanged. No transformer of its own: it reproduces a
// sample whose colour conversion reads its data in the other channel order (fcos's
// RGB2NV12Transformer on BGR data, vargconvnet's), since hbprep otherwise always converts an
// image's true colours. A consistent sample never needs it; the channel swaps the samples
// write (BGR2RGBTransformer ...) follow from input_type_train and are not steps.
#include "adapters/frame.h"
#include "adapters/steps/step_rows.h"
#include "opencv2/imgproc.hpp"

namespace hbprep {
namespace {

void Parse(StepArgs& args, RecipeStep&) { args.None(); }

StepShape Shape(const RecipeStep&, int w, int h) {
  StepShape shape;
  shape.size = cv::Size(w, h);
  return shape;
}

std::optional<cv::Size> FixedSize(const RecipeStep&, std::optional<cv::Size> in) { return in; }

absl::Status Run(const RecipeStep&, Frame& frame, absl::string_view) {
  frame.ToBgr();
  cv::Mat swapped;
  cv::cvtColor(frame.bgr, swapped, cv::COLOR_BGR2RGB);
  frame.bgr = swapped;
  frame.reversed_channels = !frame.reversed_channels;  // the sample's array is unchanged
  return absl::OkStatus();
}

}  // namespace

const StepType kSwapRbStep = {RecipeStep::Kind::kSwapRb, "SwapRB", Parse, NoCanonicalArgs,
                              Shape, FixedSize, FullDecode, Run};

}  // namespace hbprep
