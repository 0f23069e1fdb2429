// The adapters' shared machinery (internal to the engine): the Preparer, which runs one
// request's files through the decode policy, the recipe and the adapter of each input, and
// writes the parts through a PartSink. Its parts live in one file per adapter kind:
// preparer.cc (the flow, the recipe on frames), decode_policy.cc, nv12_planes.cc (pyramid and
// resizer inputs), ddr.cc, float_image.cc (calibration, onnx and OE 1.x ONNX data),
// featuremap.cc.
#ifndef HBPREP_ADAPTERS_PREPARER_H_
#define HBPREP_ADAPTERS_PREPARER_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "adapters/frame.h"
#include "adapters/image_io.h"
#include "adapters/part_sink.h"
#include "hbprep/descriptor.h"
#include "hbprep/engine.h"
#include "hbprep/model.h"
#include "opencv2/core/mat.hpp"

namespace hbprep {

using Clock = std::chrono::steady_clock;

inline int64_t MicrosSince(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count();
}

// The float model's geometric recipe, then the default resize to the model's size
// (preparer.cc).
absl::Status ApplyRecipe(Frame& frame, const InputDescriptor& input,
                         const std::function<absl::Status()>& check_continue,
                         absl::string_view what);

// BGR pixels as uint8, as astype(np.uint8) makes them of float32 data (8-bit frames as they
// are).
cv::Mat AsUint8(const cv::Mat& bgr);

// NV12 planes of a BGR image with the given recipe: `y` becomes the Y plane, `uv` (w * h / 2
// bytes) receives the interleaved chroma. `yuv444`: the image already holds Y, U, V (the
// YUV step, Frame::yuv444): Y as it is, chroma from each 2x2 block's top-left pixel, as
// uint8 (the recipe then does not apply). REQUIRES: even width and height (nv12_planes.cc).
void BgrToNv12(const cv::Mat& bgr_in, Nv12Recipe recipe, std::vector<uint8_t>* y, uint8_t* uv,
               bool yuv444 = false);

// The interleaved (or gray) uint8 pixels of `type` the board takes from a BGR frame, or from
// a frame that already holds YUV444 (`yuv444`; type is then yuv444) (ddr.cc).
std::vector<uint8_t> PixelsOf(const cv::Mat& bgr_in, ImageType type, bool yuv444 = false);

// J6 calibration data and ONNX inputs are normalised; on OE 1.x the model holds the
// normalisation node, so its data stops before mean/scale (float_image.cc).
bool Normalises(const Descriptor& descriptor, const InputDescriptor& input);

class Preparer {
 public:
  Preparer(const Descriptor& descriptor, const PrepareOptions& options,
           const std::function<absl::Status()>& check_continue, PartSink& sink,
           PrepareReport& report, ScratchPlanes* scratch)
      : descriptor_(descriptor),
        options_(options),
        check_continue_(check_continue),
        sink_(sink),
        report_(report),
        scratch_(scratch) {}

  // `header`: the image's, checked (CheckRequest); null for raw frames and featuremaps.
  // `geometry`: where the image's geometry goes.
  absl::Status Input(int index, int item, const InputView& image, const ImageHeader* header,
                     ImageGeometry* geometry);

 private:
  absl::StatusOr<Frame> Load(const InputView& image, const InputDescriptor& input,
                             const ImageHeader* header);
  // Exact decoding of a JPEG (`header` checked) whose recipe reads only part of each row:
  // just those columns (and a margin), the rest of the image zero. nullopt when that does
  // not apply.
  std::optional<cv::Mat> DecodeRecipeColumns(const InputView& image,
                                             const InputDescriptor& input,
                                             const ImageHeader& header);
  absl::Status Board(int index, int item, const InputDescriptor& input, const InputView& image,
                     Frame frame);
  // Camera NV12 planes through the recipe's resizes and crops (one window, as
  // ApplyRecipePlanar scales it) straight into the sink's planes, bilinear whole-pixel cases
  // without allocations: false when this frame and input need the general path.
  absl::StatusOr<bool> ScaleCameraPlanes(int index, int item, const InputDescriptor& input,
                                         const InputView& image, const Frame& frame);
  // NV12 planes into the sink's planes of a height x width image, in the range the model
  // expects: the `window` of the frame scaled to it (ScaleWindow's sampling) when given, the
  // whole frame scaled when it has another size, else copied.
  absl::Status PlanesOut(int index, int item, const InputDescriptor& input,
                         const InputView& image, const Frame& frame, int height, int width,
                         int interpolation, const cv::Rect2d* window = nullptr);
  // The float model's data of a BGR frame; `float32`: the transformers hold it as float32
  // (Frame::float32), so colour conversions compute in float32.
  absl::Status Float(int index, int item, const InputDescriptor& input, const cv::Mat& bgr,
                     bool float32, bool yuv444);
  // The data of OE 1.x's generated ONNX models (Target::kOe1FloatOnnx, kOe1QuantizedOnnx): they
  // begin with hb_mapper's HzPreprocess node and take input_type_rt's "intermediate type"
  // minus 128 (nv12 and yuv444 as YUV444, rgb/bgr/gray as they are; hb_mapper's docs, "the
  // conversion's internal process"): the float models float32 in input_layout_train, the
  // quantized model int8 in NHWC (NCHW where input_layout_rt says so). horizon_tc_ui's
  // HB_ONNXRuntime subtracts the 128 itself from uint8 data for HzPreprocess models, which is
  // why the samples feed uint8 with input_offset=128.
  absl::Status Oe1Onnx(int index, int item, const InputDescriptor& input, const cv::Mat& bgr,
                       bool float32, bool yuv444);
  absl::Status Featuremap(int index, int item, const InputDescriptor& input,
                          const InputView& image);
  absl::Status CheckRoi(const Roi& roi, int width, int height, const InputView& image);
  // An interleaved image (rgb/bgr/yuv444, int8 or uint8; NCHW on OE 1.x where asked) or a
  // gray plane at the frame's size (after the recipe).
  absl::Status Ddr(int index, int item, const InputDescriptor& input, Frame& frame);
  // The NV12 recipe for `input` on a frame holding float32 data (Frame::float32) or not.
  Nv12Recipe RecipeFor(const InputDescriptor& input, bool float32);

  const Descriptor& descriptor_;
  const PrepareOptions& options_;
  const std::function<absl::Status()>& check_continue_;
  PartSink& sink_;
  PrepareReport& report_;
  ScratchPlanes* scratch_;  // null: nothing kept between calls
};

}  // namespace hbprep

#endif  // HBPREP_ADAPTERS_PREPARER_H_
