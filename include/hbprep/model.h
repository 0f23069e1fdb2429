// The embeddable engine: compile a model once, then prepare each request straight into the
// caller's buffers (the board runtime's input tensors), from views of the caller's memory.
//
//   Model model = *Model::Compile(descriptor, options);          // once; immutable
//   std::vector<TensorSpec> specs = *model.OutputSpecs(views);   // when the sizes change
//   Scratch scratch;                                             // one per thread
//   PrepareInto(model, views, outputs, scratch, &report);        // every frame
//
// A camera frame (NV12 planes at their own addresses and strides, as the ISP delivers them)
// for a pyramid input (a recipe of resizes and crops, the default one included) or a resizer
// input is written straight into the output tensors: no copy of the frame, no intermediate
// image, and once the scratch has seen the sizes, no allocation at all (tests/bench's
// board_pipeline counts them). Every other input (encoded images, PadResize, ddr and float
// targets, featuremaps) takes the engine's general path, whose parts are copied into the
// outputs once. Prepare() (engine.h) is this core writing into dense tensors of its own.
#ifndef HBPREP_MODEL_H_
#define HBPREP_MODEL_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "hbprep/descriptor.h"
#include "hbprep/plan.h"

namespace hbprep {

// Inclusive pixel coordinates: a 200x200 crop at the origin is {0, 0, 199, 199}.
struct Roi {
  int32_t left = 0, top = 0, right = 0, bottom = 0;
};

enum class RawFormat { kBgr, kRgb, kGray, kNv12, kI420 };

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

// One plane of a raw frame: its first row and the bytes from one row to the next.
struct PlaneView {
  const uint8_t* data = nullptr;
  int64_t stride = 0;  // 0: the row's own bytes (packed)
};

// A raw frame in the caller's memory. NV12: planes[0] Y, planes[1] interleaved UV; I420:
// Y, U, V; BGR/RGB/gray: planes[0]. The engine never writes to it.
struct FrameView {
  RawFormat format = RawFormat::kNv12;
  int width = 0;
  int height = 0;
  PlaneView planes[3];
  ColorRange range = ColorRange::kBt601Video;  // of NV12/I420 frames
};

// Feature data of its real dtype, C order, little-endian, no header.
struct FeatureView {
  DType dtype = DType::kFloat32;
  std::vector<int64_t> shape;
  const void* data = nullptr;
  size_t bytes = 0;
};

// One file's worth of a request, in the model's binding order (Model::bindings()).
struct InputView {
  enum class Kind { kEncoded, kFrame, kFeature };
  Kind kind = Kind::kEncoded;
  absl::string_view what;  // how messages name it; must outlive the call
  // kEncoded: a JPEG/PNG/BMP/... image, or a featuremap's .npy (or .bin) file.
  absl::Span<const uint8_t> bytes;
  FrameView frame;        // kFrame
  FeatureView feature;    // kFeature
  std::optional<Roi> roi;  // resizer inputs; the whole frame when unset

  static InputView Encoded(absl::string_view what, absl::Span<const uint8_t> bytes);
  static InputView Frame(absl::string_view what, const FrameView& frame,
                         std::optional<Roi> roi = std::nullopt);
  static InputView Feature(absl::string_view what, FeatureView feature);
};

// One output tensor in the caller's memory, laid out as its TensorSpec (OutputSpecs) says:
// the board's strides for board plans (row padding included), dense otherwise. At least
// the spec's bytes (strides[0] * shape[0]). Padding bytes are never written: they keep
// whatever the caller left there.
struct OutputView {
  void* data = nullptr;
  size_t size = 0;
};

// Where a prepared image's pixels came from, to map a detector's boxes back to the source:
// a tensor pixel at (x, y) shows the source point
//   (window_x + (x - pad_left) / scale_x, window_y + (y - pad_top) / scale_y)
// (edge coordinates: pixel i spans [i, i + 1)). Source pixels are the image's own (the
// encoded image's header size, also when fast decoding reduced it).
struct ImageGeometry {
  bool valid = false;  // false for featuremap files
  int source_width = 0, source_height = 0;
  // The part of the source the tensor's content shows (fractional after resizes).
  double window_x = 0, window_y = 0, window_width = 0, window_height = 0;
  // Tensor pixels per source pixel.
  double scale_x = 1, scale_y = 1;
  // Where the content starts in the tensor (PadResize's padding), and its size.
  int pad_left = 0, pad_top = 0;
  int content_width = 0, content_height = 0;
  // The tensor's image size (resizer inputs: the frame's even size).
  int width = 0, height = 0;
  // Resizer inputs: the ROI written to the ROI tensor. The BPU's resizer scales it to the
  // model's size, which the mapping above then describes: window = the ROI, content = the
  // model's size, scale = model size / ROI size, no padding.
  std::optional<Roi> roi;
};

// What a PrepareInto call reports beside the tensors. Reused between calls (its vectors keep
// their capacity).
struct PrepareReport {
  std::vector<ImageGeometry> geometry;  // per file of the request
  std::vector<std::string> warnings;
  // Calibration and onnx targets: per image, the largest per-channel standard deviation of its
  // pixels after the recipe (Prepared::pixel_stddev).
  std::vector<double> pixel_stddev;
  int64_t decode_us = 0, transform_us = 0, pack_us = 0;
};

// Per-call hooks; each may be empty.
struct CallHooks {
  // PrepareOptions::check_continue and ::reserve, for this call.
  std::function<absl::Status()> check_continue;
  std::function<absl::Status(const RequestCost&)> reserve;
  // Called once per output after it is written, with the output's memory: the board
  // runtime's cache flush (hbUCPMemFlush / hbSysFlushMem) goes here.
  std::function<void(void* data, size_t size)> flush;
};

class Model {
 public:
  // Resolves the plan for options.target once (CheckOptions, CheckTarget first) and keeps
  // it, the bindings and the descriptor's hash. options' hooks are not kept: they are per
  // call (CallHooks).
  static absl::StatusOr<Model> Compile(Descriptor descriptor, PrepareOptions options);

  const Descriptor& descriptor() const;
  const PrepareOptions& options() const;
  // Plan::tensors with resizer sizes dynamic (-1); OutputSpecs gives them for a request.
  const Plan& plan() const;
  // For each file of a request, the index of the input it feeds.
  const std::vector<int>& bindings() const;
  // Whether file `file` of a request may carry a ROI (a resizer input on the board).
  bool TakesRoi(int file) const;

  // The plan's tensors made concrete for these inputs (resizer planes sized by their frames
  // or image headers): what the caller allocates. INVALID_ARGUMENT for a wrong number of
  // inputs, an undecodable header or a bad frame view; RESOURCE_EXHAUSTED for a size beyond
  // the model's limits (options' max_width, max_height, max_pixels), checked before any size
  // is given out.
  absl::StatusOr<std::vector<TensorSpec>> OutputSpecs(absl::Span<const InputView> inputs) const;

 struct State;  // model.cc

 private:
  explicit Model(std::shared_ptr<const State> state) : state_(std::move(state)) {}
  std::shared_ptr<const State> state_;
  friend struct ModelAccess;  // model.cc
};

// The buffers one thread's calls reuse: intermediate planes, the scaler's tables, the
// concrete output layouts. Not shared between threads at once.
class Scratch {
 public:
  Scratch();
  ~Scratch();
  Scratch(Scratch&&) noexcept;
  Scratch& operator=(Scratch&&) noexcept;
  struct State;

 private:
  friend struct ModelAccess;
  std::unique_ptr<State> state_;
};

// Prepares one request into `outputs` (one per plan tensor, in plan order, each laid out as
// model.OutputSpecs(inputs) says). `report` may be null. The same statuses as Prepare(), and
// INVALID_ARGUMENT naming the tensor when an output is missing or smaller than its layout.
// On an error, outputs may be partly written.
absl::Status PrepareInto(const Model& model, absl::Span<const InputView> inputs,
                         absl::Span<const OutputView> outputs, Scratch& scratch,
                         PrepareReport* report = nullptr, const CallHooks& hooks = {});

// Outputs allocated for `specs` when the caller has no runtime memory of its own: each
// tensor's bytes in its layout, `alignment`-aligned (a power of two), zero-filled.
class OutputBuffers {
 public:
  OutputBuffers() = default;
  OutputBuffers(absl::Span<const TensorSpec> specs, size_t alignment = 64);
  absl::Span<const OutputView> views() const { return views_; }
  uint8_t* data(size_t i) const { return static_cast<uint8_t*>(views_[i].data); }

 private:
  struct Free {
    void operator()(void* p) const;
  };
  std::vector<std::unique_ptr<void, Free>> memory_;
  std::vector<OutputView> views_;
};

// A tensor's bytes in its layout (strides[0] * shape[0], or the dense bytes when larger);
// -1 while a dimension is dynamic.
int64_t LayoutBytes(const TensorSpec& spec);

}  // namespace hbprep

#endif  // HBPREP_MODEL_H_
