// The preparation engine: images (or feature data) in, the plan's tensors out, for one
// request. Runs in-process (the CLI) and behind the server; no gRPC.
//
// Binding of images to inputs (README "Binding"): inputs in input_name order; an image
// input takes one image per batch item (input_batch or the first dimension of input_shape;
// for the calibration target only input_shape), a featuremap input one .npy file holding
// the whole tensor (one per item after a batch split).
//
// Thread-safety: Prepare() is a pure function of its arguments.
#ifndef HBPREP_ADAPTERS_ENGINE_H_
#define HBPREP_ADAPTERS_ENGINE_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "adapters/descriptor.h"
#include "adapters/plan.h"

namespace hbprep {

// Inclusive pixel coordinates: a 200x200 crop at the origin is {0, 0, 199, 199}.
struct Roi {
  int32_t left = 0, top = 0, right = 0, bottom = 0;
};

enum class RawFormat { kBgr, kRgb, kGray, kNv12, kI420 };

// Raw pixels: rows of `stride` bytes (0: packed). NV12 is the Y plane then the interleaved
// UV plane at the same stride; I420 the Y plane then U and V at stride / 2. `range` is the
// YUV formats' BT.601 range: kRegular (full, 0..255) or kBt601Video (16..235).
struct RawImage {
  RawFormat format = RawFormat::kBgr;
  int width = 0;
  int height = 0;
  int stride = 0;
  ColorRange range = ColorRange::kBt601Video;
};

struct InputImage {
  std::string what;   // how messages name it, e.g. the file's path
  std::string bytes;  // an encoded image, raw pixels, or a .npy file for featuremap inputs
  std::optional<RawImage> raw;  // set when `bytes` holds raw pixels
  std::optional<Roi> roi;       // resizer inputs; the whole image when unset
};

// What one request costs, computed from the image headers (or raw sizes), the recipe and the
// plan before any pixel is decoded (EstimateCost; Prepare checks it against the limits).
struct RequestCost {
  // The most memory the request holds at once: its input bytes, and either the largest
  // image's decoded pixels, recipe intermediates and conversion beside the tensor parts made
  // so far, or every tensor, its assembly and three copies of the outputs (a caller's
  // packing, its response and the response's serialised form). An upper bound of the
  // engine's own buffers and a caller's; library scratch (resize tables, the JPEG decoder's
  // state) is small beside them.
  int64_t peak_bytes = 0;
  // The output tensors' bytes, dense or in the board layout, whichever is larger.
  int64_t output_bytes = 0;
  // Pixels the recipes read and write, every step of every image.
  int64_t recipe_pixels = 0;
};

struct PrepareOptions {
  Target target = Target::kBoard;
  // Overrides the descriptor's decode mode (hbprep.decode) when set.
  std::optional<DecodeMode> decode;
  // Overrides the descriptor's NV12 recipe for every nv12 input when set (not kAuto).
  std::optional<Nv12Recipe> nv12_recipe;
  // Calibration/onnx image data as uint8 instead of float32; only for inputs whose data is
  // not normalised (OE 1.x, or no mean/scale/std), INVALID_ARGUMENT otherwise.
  bool float_as_uint8 = false;
  // NV12/I420 frames whose range differs from the model's input_space_and_range are
  // converted; when false they pass unchanged, with a warning.
  bool convert_range = true;
  // Called before each image, between recipe steps and adapters, and before assembling the
  // tensors; a non-OK status (the caller's CANCELLED or DEADLINE_EXCEEDED) stops the work and
  // is returned. May be empty.
  std::function<absl::Status()> check_continue;
  // Limits on every image size the request leads to, checked before anything is allocated:
  // the headers' (and raw frames') sizes, each recipe step's result and the model's input
  // size. RESOURCE_EXHAUSTED naming the image, input or step and the size beyond them.
  int64_t max_width = 16384;
  int64_t max_height = 16384;
  int64_t max_pixels = int64_t{1} << 26;
  // The pixels all recipe steps of a request may touch (RequestCost::recipe_pixels), as a
  // multiple of max_pixels: a recipe cannot make a small request cost minutes of CPU.
  static constexpr int64_t kRecipePixelsPerMaxPixels = 8;
  // The most memory one request may need (RequestCost::peak_bytes); 0: no limit.
  int64_t max_request_bytes = int64_t{4} << 30;
  // Called once with the request's cost after the limits hold and before any pixel is
  // decoded: the server reserves the memory from its budget here (and may wait for it). A
  // non-OK status stops the request and is returned. May be empty.
  std::function<absl::Status(const RequestCost&)> reserve;
};

struct Tensor {
  // The plan's tensor with every dimension and stride concrete.
  TensorSpec spec;
  // Shape of `data` as a dense array: spec.shape, except for OE 1.x packed NV12
  // ([N, H*3/2, W]).
  std::vector<int64_t> dense_shape;
  std::vector<uint8_t> data;  // dense, C order, no row padding
};

struct Prepared {
  Plan plan;
  std::vector<Tensor> tensors;  // in plan order
  std::vector<std::string> warnings;
  // Calibration and onnx targets: for each image of the request that fed an image input,
  // the largest per-channel standard deviation of its pixels after the recipe (0..255
  // units). Near zero for blank or single-colour images.
  std::vector<double> pixel_stddev;
  // Microseconds spent decoding (or reading raw frames), in the recipe and adapters, and
  // assembling the tensors.
  int64_t decode_us = 0, transform_us = 0, pack_us = 0;
  // hbprep's and the imaging libraries' versions (LibraryVersions()), for manifests.
  std::vector<std::pair<std::string, std::string>> versions;
};

// Versions of hbprep and of the imaging libraries that decide the data, for manifests.
std::vector<std::pair<std::string, std::string>> LibraryVersions();

// For each file of one request of `descriptor` for `target`, in order, the index of the
// input it feeds; its size is how many images (or .npy files) a request takes.
std::vector<int> ImageBindings(const Descriptor& descriptor, Target target);

// The float32 shape of one featuremap file for `input` (not an image input) and `target`:
// one batch item's after a batch split, else the whole input's.
std::vector<int64_t> FeaturemapFileShape(const Descriptor& descriptor,
                                         const InputDescriptor& input, Target target);

// The dtype of `input`'s featuremap files for `target`: float32, except on the board where
// the compiled model (its model info) takes the input unquantised as another type (int32
// coordinates, int8 masks, ...): its files then hold that type and pass through unchanged.
DType FeaturemapFileDType(const Descriptor& descriptor, const InputDescriptor& input,
                          Target target);

// Checks options against the descriptor before any image is read (INVALID_ARGUMENT for a
// combination that cannot work, such as uint8 data for a normalised input). Prepare()
// checks it too.
absl::Status CheckOptions(const Descriptor& descriptor, const PrepareOptions& options);

// The request's cost (above), with the same checks Prepare makes before it allocates:
// image counts, headers, limits of sizes, recipe pixels and request memory.
absl::StatusOr<RequestCost> EstimateCost(const Descriptor& descriptor,
                                         absl::Span<const InputImage> images,
                                         const PrepareOptions& options);

// INVALID_ARGUMENT naming the image and the problem for undecodable images, wrong counts,
// bad ROIs and feature data of the wrong shape; RESOURCE_EXHAUSTED beyond the limits, and
// when memory runs out anyway (std::bad_alloc); INTERNAL for a library's failure. Nothing
// throws.
absl::StatusOr<Prepared> Prepare(const Descriptor& descriptor, absl::Span<const InputImage> images,
                                 const PrepareOptions& options);

// Whether PackStrided can lay out `data_bytes` dense bytes of a tensor of `spec` within
// bounds: a concrete shape (every dimension >= 1), one positive stride per dimension, data
// bytes exactly what the shape holds, strides that keep each row (or image plane) apart and
// inside the packed buffer. Returns the packed size in bytes (computed without overflow);
// INVALID_ARGUMENT naming the tensor, the field and its value otherwise.
absl::StatusOr<size_t> CheckStridedLayout(const TensorSpec& spec, size_t data_bytes);

// The board layout of a dense tensor: rows padded to spec.strides (padding bytes zero).
// Dense tensors come back unchanged. A tensor CheckStridedLayout() refuses gives an empty
// vector (nothing is read or written out of bounds): check it first.
std::vector<uint8_t> PackStrided(const Tensor& tensor);

}  // namespace hbprep

#endif  // HBPREP_ADAPTERS_ENGINE_H_
