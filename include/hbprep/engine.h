// The preparation engine: images (or feature data) in, the plan's tensors out, for one
// request. Runs in-process (the CLI) and behind the server; no gRPC.
//
// Binding of images to inputs (README "Binding"): inputs in input_name order; an image
// input takes one image per batch item (input_batch or the first dimension of input_shape;
// for the calibration target only input_shape), a featuremap input one .npy file holding
// the whole tensor (one per item after a batch split).
//
// Thread-safety: Prepare() is a pure function of its arguments.
#ifndef HBPREP_ENGINE_H_
#define HBPREP_ENGINE_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "hbprep/descriptor.h"
#include "hbprep/model.h"
#include "hbprep/plan.h"

namespace hbprep {

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
  // Per file of the request: where its tensor pixels came from (model.h's ImageGeometry).
  std::vector<ImageGeometry> geometry;
  // Microseconds spent decoding (or reading raw frames), in the recipe and adapters, and
  // assembling the tensors.
  int64_t decode_us = 0, transform_us = 0, pack_us = 0;
  // hbprep's and the imaging libraries' versions (LibraryVersions()), for manifests.
  std::vector<std::pair<std::string, std::string>> versions;
};

// Versions of hbprep and of the imaging libraries that decide the data, for manifests.
std::vector<std::pair<std::string, std::string>> LibraryVersions();

// Whether `input`'s images take a ROI for `target`: the board's resizer inputs (one ROI per
// image, the whole image when none is given). The one place this rule lives.
inline bool TakesRoi(const InputDescriptor& input, Target target) {
  return target == Target::kBoard && input.is_image() && input.source == InputSource::kResizer;
}

// How many files of a request of `descriptor` for `target` feed `input`: one image per batch
// item, one featuremap file (one per item after a batch split).
int InputFileCount(const Descriptor& descriptor, const InputDescriptor& input, Target target);

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

// Prepare() over a compiled model (model.h) and views of the caller's memory (camera planes at
// their own strides, a Python array's pixels): the same tensors, warnings, geometry and
// statuses, without the copy of each input into an InputImage. The views are read during the
// call only. Thread-safety: as PrepareInto, any number of calls on one model at once.
absl::StatusOr<Prepared> Prepare(const Model& model, absl::Span<const InputView> inputs,
                                 const CallHooks& hooks = {});

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

#endif  // HBPREP_ENGINE_H_
