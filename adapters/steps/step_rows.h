// The rows of the step table (one per file in adapters/steps/) and the helpers their run
// functions share. Internal to adapters/steps/.
#ifndef HBPREP_ADAPTERS_STEPS_STEP_ROWS_H_
#define HBPREP_ADAPTERS_STEPS_STEP_ROWS_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "adapters/steps/step.h"

namespace hbprep {

extern const StepType kShortSideResizeStep;   // short_side_resize.cc
extern const StepType kCenterCropStep;        // center_crop.cc
extern const StepType kResizeStep;            // resize.cc
extern const StepType kPadResizeStep;         // pad_resize.cc
extern const StepType kPaddedCenterCropStep;  // padded_center_crop.cc
extern const StepType kLongSideCropStep;      // long_side_crop.cc
extern const StepType kPilCenterCropStep;     // pil_center_crop.cc
extern const StepType kPilResizeStep;         // pil_resize.cc
extern const StepType kWarpAffineStep;        // warp_affine.cc
extern const StepType kPadStep;               // pad.cc
extern const StepType kShortLongResizeStep;   // short_long_resize.cc
extern const StepType kSwapRbStep;            // swap_rb.cc
extern const StepType kYuvStep;               // yuv.cc

// A resize or crop shape (StepShape::Kind kResize or kCrop) run on the frame: crops checked
// against the image (INVALID_ARGUMENT naming the step), NV12 frames kept planar, and the
// data's dtype as the OpenCV-based transformers have it (a resize of float32 data takes
// OpenCV's float path; every such step ends in astype(np.float32)).
absl::Status RunShape(const RecipeStep& step, const StepShape& shape, Frame& frame,
                      absl::string_view what);

// The frame's BGR as the transformer's cv2 call receives it: BGR (NV12 frames converted),
// CV_32F when the transformers hold the data as float32 (Frame::float32).
void AsTransformerInput(Frame& frame);

// Python's round(v) of a size (halves to even), as an int; INT_MAX beyond it (the limits
// then refuse the size).
int PythonRoundSize(double v);

}  // namespace hbprep

#endif  // HBPREP_ADAPTERS_STEPS_STEP_ROWS_H_
