// The plan: what a descriptor means for one target, as the ordered list of tensors to fill.
//
// Resolving a plan is where the toolchain's conventions live (domain brief section 5):
// J6 names (`data_y`, `data_uv`, `data_roi`, `data_0_y` after a batch split), shapes,
// row alignment of Y/UV planes per chip, OE 1.x's packed NV12 tensor, calibration and ONNX
// shapes. Everything a client needs to allocate, name and stride its buffers is here, before
// any pixel is touched.
#ifndef HBPREP_PLAN_H_
#define HBPREP_PLAN_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "hbprep/descriptor.h"

namespace hbprep {

// Who consumes the prepared data.
enum class Target {
  kBoard,        // the compiled HBIR/HBM model: input_type_rt data, board strides
  kCalibration,  // calibration samples: the float model's input, input_shape
  kOnnx,         // the float ONNX models: as calibration, with input_batch applied (J6's
                 // original_float and ptq_model.onnx; OE 1.x's float model before hb_mapper)
  // OE 1.x's hb_mapper models, which begin with its HzPreprocess node (input_batch applied):
  kOe1FloatOnnx,      // *_original_float/_optimized_float/_calibrated_model.onnx: input_type_rt's
                      // intermediate type minus 128, float32, input_layout_train
  kOe1QuantizedOnnx,  // *_quantized_model.onnx: the same values as int8, NHWC
};
absl::string_view ToString(Target target);
std::optional<Target> ParseTarget(absl::string_view name);
// Every target's name, joined by `separator`: "board, calibration, onnx, ..." for messages.
std::string TargetNames(absl::string_view separator = ", ");

enum class DType { kUint8, kInt8, kInt16, kUint16, kInt32, kFloat32, kBool, kFloat16, kInt64 };
// numpy's names: uint8, int8, int16, uint16, int32, float32, bool (one byte, 0 or 1: the
// compiled models' BOOL8 masks), float16 and int64 (compiled models' F16 and S64 featuremaps,
// passed through as given).
absl::string_view ToString(DType dtype);
std::optional<DType> ParseDType(absl::string_view name);
int ElementSize(DType dtype);

// Everything each layer calls a dtype, in one row per DType (in enum order): numpy's name,
// the .npy header's descr, the element size, and the Open Inference Protocol's datatype.
// hbprep.v1's DataType is in proto/engine_enums.h, beside the wire's other enums; the
// compiled models' HB_DNN_TENSOR_TYPE_* names (more types than hbprep produces) are in
// compiled_model.cc.
struct DTypeTraits {
  DType dtype;
  absl::string_view numpy;
  absl::string_view npy_descr;
  int size;
  absl::string_view oip;
};
inline constexpr DTypeTraits kDTypeTraits[] = {
    {DType::kUint8, "uint8", "|u1", 1, "UINT8"},      {DType::kInt8, "int8", "|i1", 1, "INT8"},
    {DType::kInt16, "int16", "<i2", 2, "INT16"},      {DType::kUint16, "uint16", "<u2", 2, "UINT16"},
    {DType::kInt32, "int32", "<i4", 4, "INT32"},      {DType::kFloat32, "float32", "<f4", 4, "FP32"},
    {DType::kBool, "bool", "|b1", 1, "BOOL"},         {DType::kFloat16, "float16", "<f2", 2, "FP16"},
    {DType::kInt64, "int64", "<i8", 8, "INT64"},
};
const DTypeTraits& Traits(DType dtype);

// kNone for tensors that are not images (the 1x4 ROI).
enum class TensorLayout { kNone, kNHWC, kNCHW, kNV12 };
absl::string_view ToString(TensorLayout layout);

// Which adapter fills a tensor.
enum class AdapterKind {
  kPyramid,     // NV12 (or gray) planes at the model's size
  kResizer,     // NV12 (or gray) planes at the source image's size, plus the ROI
  kDdr,         // an interleaved image tensor (rgb/bgr/yuv444 NHWC, gray NCHW)
  kFeaturemap,  // caller-supplied feature data
  kFloatImage,  // the float model's input (calibration and onnx targets)
};
absl::string_view ToString(AdapterKind kind);
std::optional<AdapterKind> ParseAdapterKind(absl::string_view name);

// What part of an input a tensor holds.
enum class TensorRole {
  kImage,  // the whole image (ddr, featuremap, float image)
  kY,      // Y plane
  kUV,     // interleaved UV plane
  kNv12,   // OE 1.x: Y then UV in one buffer
  kRoi,    // int32 [left, top, right, bottom], inclusive
};

// How the compiled model quantises an input it takes as integers (from its model info):
// q = clip(nearbyint(x / scale + zero_point)) in float32, to the tensor's dtype range.
struct Quantization {
  std::vector<float> scale;         // one value (per tensor) or one per index of `axis`
  std::vector<int32_t> zero_point;  // as many as `scale`
  int axis = -1;                    // the axis of per-axis quantisation; -1 per tensor
};

struct TensorSpec {
  std::string name;
  std::string input;  // the descriptor input it belongs to
  int input_index = 0;
  int item = -1;  // batch item after a batch split, -1 when not split
  AdapterKind adapter = AdapterKind::kDdr;
  TensorRole role = TensorRole::kImage;
  DType dtype = DType::kUint8;
  // Logical shape; -1 for a dynamic dimension (resizer sizes follow the image).
  std::vector<int64_t> shape;
  // Bytes; the board's layout (row padding included) for board tensors, dense otherwise;
  // -1 where the size is dynamic. For TensorLayout::kNV12 (OE 1.x, shape 1x3xHxW) they are
  // [bytes per image, offset of the UV plane, row stride, 1].
  std::vector<int64_t> strides;
  TensorLayout layout = TensorLayout::kNone;
  // Set when the compiled model takes this featuremap quantised: the engine turns the
  // float32 data into `dtype` integers.
  std::optional<Quantization> quantization;
};

struct Plan {
  std::string model;
  Target target = Target::kBoard;
  const ChipInfo* chip = nullptr;
  std::string descriptor_hash;
  std::vector<NormType> norm_types;  // per descriptor input
  std::vector<TensorSpec> tensors;
  std::vector<std::string> warnings;
  // The compiled model's description the board plan follows (its file), "" when none.
  std::string model_info;
  // How the model's JPEG images are decoded (hbprep.decode).
  DecodeMode decode = DecodeMode::kExact;
};

// Row-major strides in bytes: the last is the element size, each earlier one the product of
// the later dimensions (-1 from a dynamic dimension on).
std::vector<int64_t> DenseStrides(const std::vector<int64_t>& shape, DType dtype);

// The shape of the tensor's data without stride padding: spec.shape, except OE 1.x packed
// NV12 ([N, H*3/2, W]); -1 stays -1.
std::vector<int64_t> DenseShape(const TensorSpec& spec);

// The shape and strides of an image-plane tensor of a pyramid or resizer input (role kY,
// kUV or kNv12): J6 NHWC planes with rows aligned to the chip, or OE 1.x's packed NV12 (and
// gray NCHW) with the width aligned. `height` and `width` are the image's pixels, or -1 while
// they are dynamic (a resizer's plan). The one place these rules live, for plans and for
// the concrete sizes of prepared resizer tensors.
void SetPlaneGeometry(const ChipInfo& chip, int64_t batch, int64_t height, int64_t width,
                      TensorSpec* spec);

// Whether an OE 1.x board takes a rank-4 featuremap input in another layout than the float
// model's: its input_layout_rt differs from input_layout_train (NCHW when not given). The
// featuremap files stay in the float model's layout (input_shape); the engine transposes.
bool FeaturemapTransposedOnBoard(const ChipInfo& chip, const InputDescriptor& input);

// Whether `target` applies to the model: the OE 1.x ONNX targets need an OE 1.x model (the
// descriptor's type pairs keep input_type_rt's channels those of input_shape).
// INVALID_ARGUMENT naming the target.
absl::Status CheckTarget(const Descriptor& descriptor, Target target);
// Resolves `descriptor` for `target` (CheckTarget first). REQUIRES: `descriptor` came from
// ParseDescriptor. With a compiled model attached (AttachModelInfo), the board plan takes its
// input order, dtypes, quantisation and strides.
Plan ResolvePlan(const Descriptor& descriptor, Target target);

// The `--input_stride` argument of hrt_model_exec for a J6 board plan, e.g.
// `--input_stride="50176,224,1,1;25088,224,2,1"`; empty for other plans (OE 1.x's
// hrt_model_exec takes packed files and no strides).
std::string HrtInputStride(const Plan& plan);

// "data_mean_and_scale", or the toolchain's "a; b" form for several inputs.
std::string NormTypeText(const Plan& plan);

}  // namespace hbprep

#endif  // HBPREP_PLAN_H_
