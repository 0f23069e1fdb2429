// The recipe's step table: one row per step, each in its own file in adapters/steps/, named
// after the toolchain's transformer (horizon_tc_ui.data.transformer) without "Transformer".
// A row says everything about its step: its arguments (parsing and canonical form), what it
// does to an image's geometry (before any pixel is decoded: limits, costs, ImageGeometry,
// composing resizes and crops into one window) and how it runs on a frame.
// Internal to the engine: exposes cv:: types and the Frame.
#ifndef HBPREP_ADAPTERS_STEPS_STEP_H_
#define HBPREP_ADAPTERS_STEPS_STEP_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "hbprep/descriptor.h"
#include "nlohmann/json_fwd.hpp"
#include "opencv2/core/types.hpp"

namespace hbprep {

struct Frame;

// What a step does to a w x h image's geometry, per axis: the result is `size`, and its edge
// coordinate c shows the input's edge coordinate `offset + c * scale` (scale: input pixels per
// result pixel). Padding shows up as a negative offset or as a result larger than what the
// input maps to (RecipeGeometry clips the content to the input).
struct StepShape {
  enum class Kind {
    kResize,  // the whole image to `size` with `interpolation` (cv::resize by sizes)
    kCrop,    // `crop` of the image, pixels unchanged
    kPixels,  // anything else: needs the pixels, never composed into one scaling
  };
  Kind kind = Kind::kPixels;
  cv::Size size;
  double offset_x = 0, offset_y = 0, scale_x = 1, scale_y = 1;
  cv::Rect crop;              // kCrop: the rect, which must lie inside the image
  int interpolation = 1;      // kResize: cv::INTER_*
  // Pixels it holds besides its source and result, in units of the data's pixels (costs):
  // a scaled image before padding, filtered copies.
  int64_t scratch_pixels = 0;
};

// The crop shape of `rect` in a w x h image.
StepShape CropShape(const cv::Rect& rect);
// The shape of a whole-image resize of a w x h image to `size`.
StepShape ResizeStepShape(int w, int h, cv::Size size, int interpolation);

// The arguments of one step as the descriptor gives them: `Step: VALUE` or `Step: {key:
// value, ...}`. A row's parse function asks for what it takes; every error names the step
// and the value; keys it did not ask for are errors.
class StepArgs {
 public:
  enum class SizeForm {
    kSquare,     // one integer S
    kPair,       // [H, W], or one S meaning S x S
    kOneOrPair,  // one S (kept as one) or [H, W]
  };
  virtual ~StepArgs() = default;
  // The step's size: the bare value or the `size` key, into `size` (one or two integers from
  // 1 to 65536). Required unless `optional`.
  virtual void Size(SizeForm form, std::vector<int>* size, bool optional = false) = 0;
  // Optional keyed values; `out` keeps its default when the key is absent.
  virtual void Int(absl::string_view key, int lo, int hi, int* out, bool required = false) = 0;
  virtual void Number(absl::string_view key, double lo, double hi, double* out) = 0;
  // One of `names` (case-insensitive): its index into `out`.
  virtual void Choice(absl::string_view key, absl::Span<const absl::string_view> names,
                      int* out, bool required = false) = 0;
  virtual void Interpolation(absl::Span<const ::hbprep::Interpolation> allowed,
                             ::hbprep::Interpolation* out) = 0;
  // Steps without arguments.
  virtual void None() = 0;
  virtual void Fail(absl::string_view message) = 0;
};

struct StepType {
  RecipeStep::Kind kind;
  absl::string_view name;
  // Reads the arguments into `step` (its kind already set).
  void (*parse)(StepArgs& args, RecipeStep& step);
  // Adds the arguments besides `size` to the step's canonical form (the descriptor hash).
  void (*canonical)(const RecipeStep& step, nlohmann::json& out);
  // What it does to a w x h image (sizes may be <= 0 or huge for hostile inputs: the
  // callers check them).
  StepShape (*shape)(const RecipeStep& step, int w, int h);
  // The size it produces whatever the image, given the size before it when that is known
  // (nullopt: it depends on the image); the recipe's is checked against input_shape.
  std::optional<cv::Size> (*fixed_size)(const RecipeStep& step, std::optional<cv::Size> in);
  // The smallest decoded size of a w x h image that keeps this step, as the recipe's first,
  // a reduction (fast JPEG decoding); {0, 0}: the full image.
  cv::Size (*decode_minimum)(const RecipeStep& step, int w, int h);
  // Runs it on the frame (BGR or, for resizes and crops, NV12 planes), keeping the frame's
  // dtype facts (Frame::float32) as the transformer's result has them. `what` names the
  // image in errors.
  absl::Status (*run)(const RecipeStep& step, Frame& frame, absl::string_view what);
};

// The row of a step kind; every kind has one.
const StepType& StepTypeOf(RecipeStep::Kind kind);
// The row named `name` (case-insensitive), or null.
const StepType* FindStepType(absl::string_view name);
// Every step's name, for error messages.
std::string StepNames();

// Rows shared by the step files.
std::optional<cv::Size> NoFixedSize(const RecipeStep& step, std::optional<cv::Size> in);
// size[0] x size[1].
std::optional<cv::Size> FixedSizeHW(const RecipeStep& step, std::optional<cv::Size> in);
cv::Size FullDecode(const RecipeStep& step, int w, int h);
void NoCanonicalArgs(const RecipeStep& step, nlohmann::json& out);

}  // namespace hbprep

#endif  // HBPREP_ADAPTERS_STEPS_STEP_H_
