#include "adapters/request_cost.h"

#include <algorithm>
#include <limits>
#include <map>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "adapters/frame.h"
#include "adapters/recipe.h"
#include "hbprep/status_macros.h"

namespace hbprep {
namespace {

// RESOURCE_EXHAUSTED when a width x height image is beyond the limits; `what` names it (only
// built then: a request that fits allocates nothing here).
template <typename Name>
absl::Status CheckSize(const Name& what, int64_t width, int64_t height,
                       const PrepareOptions& options) {
  if (width <= options.max_width && height <= options.max_height &&
      SizeMul(width, height) <= options.max_pixels) {
    return absl::OkStatus();
  }
  return absl::ResourceExhaustedError(absl::StrCat(
      what(), " ", width, "x", height, " (width x height), over the limit of ", options.max_width,
      "x", options.max_height, " and ", options.max_pixels, " pixels"));
}

// The bytes of one image's part of the outputs, at the model's size or (resizer) the
// frame's, before any packing.
int64_t OutputPartBytes(const InputDescriptor& input, Target target, int64_t width, int64_t height,
                        bool float_as_uint8) {
  const int64_t pixels = SizeMul(width, height);
  if (target != Target::kBoard) {
    const int64_t channels = input.type_train == ImageType::kGray ? 1 : 3;
    return SizeMul(SizeMul(pixels, channels), float_as_uint8 ? 1 : 4);
  }
  // The opencv recipe writes I420 into the Y tensor's buffer: 1.5 planes, plus the UV plane.
  if (input.type_rt == ImageType::kNv12) return SizeMul(pixels, 2);
  if (input.type_rt == ImageType::kGray) return pixels;
  return SizeMul(pixels, 3);
}

}  // namespace

absl::Status CheckFileCount(const Descriptor& descriptor, Target target, size_t files) {
  size_t want = 0;
  for (const InputDescriptor& input : descriptor.inputs) {
    want += static_cast<size_t>(InputFileCount(descriptor, input, target));
  }
  if (files != want) {
    const std::vector<int> bindings = ImageBindings(descriptor, target);
    std::vector<std::string> per_input;
    for (size_t i = 0; i < descriptor.inputs.size(); ++i) {
      per_input.push_back(absl::StrCat(std::count(bindings.begin(), bindings.end(), i), " for '",
                                       descriptor.inputs[i].name, "'"));
    }
    return absl::InvalidArgumentError(absl::StrCat(
        "model '", descriptor.name, "' takes ", bindings.size(), " file(s) per request for target ",
        ToString(target), " (", absl::StrJoin(per_input, ", "), "), got ", files));
  }
  return absl::OkStatus();
}

absl::Status CheckRequest(const Descriptor& descriptor, const Plan& plan,
                          absl::Span<const InputView> images, const PrepareOptions& options,
                          CheckedRequest* checked) {
  HBPREP_RETURN_IF_ERROR(CheckFileCount(descriptor, options.target, images.size()));
  // The model's own image sizes first: a descriptor can ask for any input_shape.
  for (const InputDescriptor& input : descriptor.inputs) {
    if (!input.is_image()) continue;
    HBPREP_RETURN_IF_ERROR(
        CheckSize([&] { return absl::StrCat("input '", input.name, "': input_shape's image"); },
                  input.width(), input.height(), options));
  }
  DecodeLimits limits;
  limits.max_width = options.max_width;
  limits.max_height = options.max_height;
  limits.max_pixels = options.max_pixels;

  CheckedRequest& out = *checked;
  out.headers.resize(images.size());
  for (std::optional<ImageHeader>& header : out.headers) header.reset();
  out.frame_sizes.clear();
  RequestCost& cost = out.cost;
  cost = RequestCost();
  int64_t request_bytes = 0, parts_bytes = 0, largest_transient = 0;
  for (size_t i = 0, index = 0; index < descriptor.inputs.size(); ++index) {
    const InputDescriptor& input = descriptor.inputs[index];
    const int items = InputFileCount(descriptor, input, options.target);
    for (int item = 0; item < items; ++item, ++i) {
      const InputView& image = images[i];
      request_bytes =
          SizeAdd(request_bytes, static_cast<int64_t>(image.bytes.size() + image.feature.bytes));
      if (!input.is_image()) {
        int64_t bytes = ElementSize(FeaturemapFileDType(descriptor, input, options.target));
        for (int64_t dim : FeaturemapFileShape(descriptor, input, options.target)) {
          bytes = SizeMul(bytes, dim);
        }
        parts_bytes = SizeAdd(parts_bytes, bytes);
        largest_transient = std::max(largest_transient, bytes);  // the .npy's data, copied
        continue;
      }
      int64_t width = 0, height = 0;
      if (image.kind == InputView::Kind::kFeature) {
        return absl::InvalidArgumentError(
            absl::StrCat(image.what, ": feature data for image input '", input.name, "'"));
      }
      if (image.kind == InputView::Kind::kFrame) {
        HBPREP_RETURN_IF_ERROR(CheckFrameView(image.frame, options, image.what));
        width = image.frame.width;
        height = image.frame.height;
      } else {
        HBPREP_ASSIGN_OR_RETURN(out.headers[i],
                                CheckImageHeader(BytesOf(image), limits, image.what));
        width = out.headers[i]->width;
        height = out.headers[i]->height;
      }
      // Decoded (or converted) BGR pixels.
      int64_t transient = SizeMul(SizeMul(width, height), 3);
      int64_t part = 0;
      if (TakesRoi(input, options.target)) {
        const int64_t w = width & ~int64_t{1}, h = height & ~int64_t{1};
        out.frame_sizes.push_back({static_cast<int>(index), item, w, h});
        part = SizeAdd(OutputPartBytes(input, options.target, w, h, false), 16);
      } else {
        HBPREP_RETURN_IF_ERROR(TraceRecipe(input, static_cast<int>(width), static_cast<int>(height),
                                           image.what, &out.steps));
        const std::vector<StepSize>& steps = out.steps;
        int64_t largest_step = 0;
        for (size_t s = 0; s < steps.size(); ++s) {
          const StepSize& step = steps[s];
          auto name = [&] {
            return s < input.recipe.size()
                       ? absl::StrCat(image.what, ": input '", input.name, "': recipe step ", s + 1,
                                      " (", ToString(input.recipe[s].kind), ") makes")
                       : absl::StrCat(image.what, ": input '", input.name,
                                      "': the resize to the model's size makes");
          };
          HBPREP_RETURN_IF_ERROR(CheckSize(name, step.out.width, step.out.height, options));
          const int64_t in = SizeMul(step.in.width, step.in.height);
          const int64_t out_pixels = SizeMul(step.out.width, step.out.height);
          cost.recipe_pixels = SizeAdd(cost.recipe_pixels, SizeAdd(in, out_pixels));
          // Source, result and what the step holds besides (StepShape::scratch_pixels), 3
          // bytes a pixel for the first step's 8-bit data, 12 after it (the transformers'
          // float32 data).
          largest_step = std::max(
              largest_step,
              SizeMul(SizeAdd(SizeAdd(in, out_pixels), step.scratch_pixels), s == 0 ? 3 : 12));
        }
        transient = SizeAdd(transient, largest_step);
        part = OutputPartBytes(input, options.target, input.width(), input.height(),
                               options.float_as_uint8);
      }
      // As much as the part again while it is converted (float data, NCHW transposes).
      transient = SizeAdd(transient, part);
      parts_bytes = SizeAdd(parts_bytes, part);
      largest_transient = std::max(largest_transient, transient);
    }
  }
  const int64_t max_recipe_pixels =
      SizeMul(options.max_pixels, PrepareOptions::kRecipePixelsPerMaxPixels);
  if (cost.recipe_pixels > max_recipe_pixels) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "the recipes of this request touch ", cost.recipe_pixels, " pixels, over the limit of ",
        max_recipe_pixels, " (", PrepareOptions::kRecipePixelsPerMaxPixels, " x max_pixels ",
        options.max_pixels, ")"));
  }
  // Tensors assembled from several parts copy them; quantisation makes a second buffer.
  int64_t assembly = 0;
  for (const TensorSpec& planned : plan.tensors) {
    TensorSpec& spec = out.spec;
    spec = planned;  // copy-assigned: the workspace's vectors keep their capacity
    const auto size = std::find_if(
        out.frame_sizes.begin(), out.frame_sizes.end(), [&](const CheckedRequest::FrameSize& f) {
          return f.index == spec.input_index && f.item == std::max(spec.item, 0);
        });
    if (size != out.frame_sizes.end() && spec.role != TensorRole::kRoi) {
      SetPlaneGeometry(*descriptor.chip, spec.shape[0], size->height, size->width, &spec);
    }
    const int64_t bytes = std::max<int64_t>(LayoutBytes(spec), 0);
    cost.output_bytes = SizeAdd(cost.output_bytes, bytes);
    const bool several_parts =
        spec.role == TensorRole::kNv12 || (spec.item < 0 && spec.shape[0] > 1);
    if (several_parts || spec.quantization) assembly = std::max(assembly, bytes);
  }
  // The request's bytes throughout; then either the parts so far and the largest image's
  // transients, or every part, an assembly buffer and three copies of the outputs (a
  // caller's packing, its response and the response's serialised form: measured on the
  // server as 3.1 copies of a dense response's tensors and 3.2 of a strided one's).
  const int64_t images_phase = SizeAdd(parts_bytes, largest_transient);
  const int64_t output_phase =
      SizeAdd(SizeAdd(parts_bytes, assembly), SizeMul(cost.output_bytes, 3));
  cost.peak_bytes = SizeAdd(request_bytes, std::max(images_phase, output_phase));
  if (options.max_request_bytes > 0 && cost.peak_bytes > options.max_request_bytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat("the request needs ", cost.peak_bytes, " bytes of memory (", cost.output_bytes,
                     " of them its tensors), over the limit of ", options.max_request_bytes));
  }
  return absl::OkStatus();
}

}  // namespace hbprep
