#include "adapters/preparer.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "adapters/recipe.h"
#include "adapters/resize.h"
#include "adapters/steps/step.h"
#include "hbprep/color.h"
#include "hbprep/status_macros.h"
#include "opencv2/core.hpp"
#include "opencv2/imgproc.hpp"

namespace hbprep {
namespace {

absl::Status ApplyRecipePlanar(Frame& frame, const InputDescriptor& input,
                               absl::string_view what) {
  HBPREP_ASSIGN_OR_RETURN(const ComposedRecipe recipe,
                          ComposeRecipe(input, frame.width(), frame.height(), what));
  frame.ScaleWindow(recipe.window, static_cast<int>(input.height()),
                    static_cast<int>(input.width()), recipe.interpolation);
  return absl::OkStatus();
}

}  // namespace

// The float model's geometric recipe (domain brief section 3), then the default resize to
// the model's size when the result differs.
//
// The data follows the sample transformers' dtypes: uint8 pixels until their first step, float32
// after it (each ends in astype(np.float32)), and Frame::float32 says so. A resize of float32
// data takes OpenCV's float path (cv2.resize of a float32 array), whose results are fractional:
// the frame's BGR becomes CV_32FC3 there (nearest-neighbour copies values, so it stays 8-bit),
// and so does PadResize's float32 canvas when its pad value is fractional. Camera frames on
// their way to NV12 outputs stay planar: no transformer handles them.
absl::Status ApplyRecipe(Frame& frame, const InputDescriptor& input,
                         const std::function<absl::Status()>& check_continue,
                         absl::string_view what) {
  const bool model_size = frame.width() == input.width() && frame.height() == input.height();
  if (frame.nv12 && CanScalePlanar(input)) {
    frame.float32 = frame.float32 || !input.recipe.empty() || !model_size;
    return ApplyRecipePlanar(frame, input, what);
  }
  for (const RecipeStep& step : input.recipe) {
    if (check_continue) HBPREP_RETURN_IF_ERROR(check_continue());
    HBPREP_RETURN_IF_ERROR(StepTypeOf(step.kind).run(step, frame, what));
  }
  if (check_continue) HBPREP_RETURN_IF_ERROR(check_continue());
  if (frame.width() != input.width() || frame.height() != input.height()) {
    if (frame.float32 && !frame.nv12 && frame.bgr.depth() != CV_32F) {
      frame.bgr.convertTo(frame.bgr, CV_32F);
    }
    frame.Resize(static_cast<int>(input.height()), static_cast<int>(input.width()),
                 cv::INTER_LINEAR);
    frame.float32 = true;
  }
  if (frame.unit_range) {
    // The samples' ScaleTransformer(255) after a skimage read: float32 data * 255.
    frame.ToBgr();
    frame.bgr.convertTo(frame.bgr, CV_32F, 255.0);
    frame.unit_range = false;
  }
  return absl::OkStatus();
}

cv::Mat AsUint8(const cv::Mat& bgr) {
  if (bgr.depth() == CV_8U) return bgr;
  cv::Mat out(bgr.rows, bgr.cols, CV_8UC3);
  for (int row = 0; row < bgr.rows; ++row) {
    const float* s = bgr.ptr<float>(row);
    uint8_t* d = out.ptr<uint8_t>(row);
    for (int i = 0; i < bgr.cols * 3; ++i) d[i] = AstypeUint8(s[i]);
  }
  return out;
}

Nv12Recipe Preparer::RecipeFor(const InputDescriptor& input, bool float32) {
  if (!options_.nv12_recipe || *options_.nv12_recipe == Nv12Recipe::kAuto) {
    if (input.nv12_recipe != Nv12Recipe::kAuto) return input.nv12_recipe;
    return float32 ? Nv12Recipe::kCalcF32 : Nv12Recipe::kCalc;
  }
  const Nv12Recipe forced = *options_.nv12_recipe;
  const bool video = forced == Nv12Recipe::kOpencv;
  if (video != (input.range == ColorRange::kBt601Video)) {
    const std::string warning =
        absl::StrCat("input '", input.name, "': nv12_recipe ", ToString(forced), " produces ",
                     video ? "video" : "full", " range but input_space_and_range is ",
                     ToString(input.range), ": the model will see shifted colours");
    if (std::find(report_.warnings.begin(), report_.warnings.end(), warning) ==
        report_.warnings.end()) {
      report_.warnings.push_back(warning);
    }
  }
  return forced;
}

absl::Status Preparer::Input(int index, int item, const InputView& image,
                             const ImageHeader* header, ImageGeometry* geometry) {
  const InputDescriptor& input = descriptor_.inputs[index];
  *geometry = ImageGeometry();
  if (!input.is_image()) return Featuremap(index, item, input, image);
  if (image.roi && !TakesRoi(input, options_.target)) {
    return absl::InvalidArgumentError(absl::StrCat(
        image.what, ": a ROI was given but input '", input.name, "' is not a resizer input",
        options_.target == Target::kBoard ? "" : " on the board target"));
  }
  HBPREP_ASSIGN_OR_RETURN(Frame frame, Load(image, input, header));
  const bool resizer = TakesRoi(input, options_.target);
  const int source_w = header ? static_cast<int>(header->width) : frame.width();
  const int source_h = header ? static_cast<int>(header->height) : frame.height();
  if (resizer) {
    const int w = frame.width() & ~1, h = frame.height() & ~1;
    const Roi roi = image.roi.value_or(Roi{0, 0, w - 1, h - 1});
    geometry->valid = true;
    geometry->source_width = source_w;
    geometry->source_height = source_h;
    geometry->width = w;
    geometry->height = h;
    geometry->content_width = static_cast<int>(input.width());
    geometry->content_height = static_cast<int>(input.height());
    geometry->roi = roi;
    // What the model sees: the ROI, scaled by the BPU's resizer to the model's size.
    geometry->window_x = roi.left;
    geometry->window_y = roi.top;
    geometry->window_width = int64_t{roi.right} - roi.left + 1;
    geometry->window_height = int64_t{roi.bottom} - roi.top + 1;
    geometry->scale_x = geometry->window_width > 0 ? input.width() / geometry->window_width : 1;
    geometry->scale_y = geometry->window_height > 0 ? input.height() / geometry->window_height : 1;
  } else {
    // The recipe runs on the decoded size (smaller than the header's when fast decoding
    // reduced it): its geometry there, in the image's own pixels.
    *geometry = RecipeGeometry(input, frame.width(), frame.height());
    const double kx = static_cast<double>(source_w) / frame.width();
    const double ky = static_cast<double>(source_h) / frame.height();
    geometry->source_width = source_w;
    geometry->source_height = source_h;
    geometry->window_x *= kx;
    geometry->window_width *= kx;
    geometry->scale_x /= kx;
    geometry->window_y *= ky;
    geometry->window_height *= ky;
    geometry->scale_y /= ky;
  }
  // Camera frames stay planar only on their way to NV12 outputs; JPEG planes (fast decoding)
  // also through the recipe's one scaling, before they become BGR at the model's size.
  const bool nv12_out = options_.target == Target::kBoard && input.type_rt == ImageType::kNv12;
  if (!nv12_out && !(frame.chroma_centered && CanScalePlanar(input))) frame.ToBgr();
  if (options_.target == Target::kBoard) {
    return Board(index, item, input, image, std::move(frame));
  }
  HBPREP_RETURN_IF_ERROR(ApplyRecipe(frame, input, check_continue_, image.what));
  if (check_continue_) HBPREP_RETURN_IF_ERROR(check_continue_());
  frame.ToBgr();
  cv::Scalar mean, stddev;
  cv::meanStdDev(frame.bgr, mean, stddev);
  report_.pixel_stddev.push_back(std::max({stddev[0], stddev[1], stddev[2]}));
  return Float(index, item, input, frame.bgr, frame.float32, frame.yuv444);
}

absl::Status RunRequest(const Descriptor& descriptor, const Plan& plan,
                        const PrepareOptions& options, absl::Span<const InputView> inputs,
                        const CallHooks& hooks, PartSink& sink, PrepareReport& report,
                        Workspace* workspace, size_t* next) {
  report.warnings.clear();
  report.pixel_stddev.clear();
  report.decode_us = report.transform_us = report.pack_us = 0;
  // Every size checked and the memory known (and reserved) before anything is allocated.
  CheckedRequest local;
  CheckedRequest& checked = workspace != nullptr ? workspace->checked : local;
  HBPREP_RETURN_IF_ERROR(CheckRequest(descriptor, plan, inputs, options, &checked));
  if (hooks.reserve) HBPREP_RETURN_IF_ERROR(hooks.reserve(checked.cost));
  report.geometry.resize(inputs.size());
  Preparer preparer(descriptor, options, hooks.check_continue, sink, report,
                    workspace != nullptr ? &workspace->planes : nullptr);
  for (size_t i = 0; i < descriptor.inputs.size(); ++i) {
    const int items = InputFileCount(descriptor, descriptor.inputs[i], options.target);
    for (int item = 0; item < items; ++item, ++*next) {
      if (hooks.check_continue) HBPREP_RETURN_IF_ERROR(hooks.check_continue());
      const auto start = Clock::now();
      const int64_t decoded_before = report.decode_us;
      const std::optional<ImageHeader>& header = checked.headers[*next];
      HBPREP_RETURN_IF_ERROR(preparer.Input(static_cast<int>(i), item, inputs[*next],
                                            header ? &*header : nullptr, &report.geometry[*next]));
      report.transform_us += MicrosSince(start) - (report.decode_us - decoded_before);
    }
  }
  if (hooks.check_continue) HBPREP_RETURN_IF_ERROR(hooks.check_continue());
  return absl::OkStatus();
}

absl::Status Guarded(const absl::Span<const InputView>* inputs, const size_t* next,
                     absl::FunctionRef<absl::Status()> body) {
  auto which = [&] {
    return inputs->empty() ? std::string("the request")
                           : std::string((*inputs)[std::min(*next, inputs->size() - 1)].what);
  };
  try {
    return body();
  } catch (const cv::Exception& e) {
    return absl::InternalError(absl::StrCat("OpenCV failed on ", which(), ": ", e.err));
  } catch (const std::bad_alloc&) {
    return absl::ResourceExhaustedError(absl::StrCat("out of memory while preparing ", which()));
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("failed on ", which(), ": ", e.what()));
  }
}

}  // namespace hbprep
