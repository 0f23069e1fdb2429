// Featuremap inputs: .npy, .bin or typed feature data checked against the input's shape and
// dtype, transposed where OE 1.x takes another layout, quantised as the compiled model says.
#include "adapters/preparer.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "adapters/preparer.h"
#include "adapters/size_math.h"
#include "hbprep/compiled_model.h"
#include "hbprep/npy.h"
#include "hbprep/status_macros.h"

namespace hbprep {
namespace {

// q = clip(nearbyint(x / scale + zero_point)) in float32 arithmetic (as numpy computes it on
// float32 data), rounding half to even, saturating to T's range.
template <typename T>
void QuantizeAs(const uint8_t* x, size_t count, const Quantization& q, int64_t axis_length,
                int64_t inner, uint8_t* out) {
  const double lo = std::numeric_limits<T>::min(), hi = std::numeric_limits<T>::max();
  T* dst = reinterpret_cast<T*>(out);
  for (size_t i = 0; i < count; ++i) {
    float v;
    std::memcpy(&v, x + i * sizeof(float), sizeof(float));
    const size_t k = q.axis < 0 ? 0 : (i / inner) % axis_length;
    const float value = v / q.scale[k] + static_cast<float>(q.zero_point[k]);
    const double rounded = std::nearbyint(value);
    dst[i] = static_cast<T>(std::clamp(rounded, lo, hi));
  }
}

}  // namespace

absl::Status QuantizeInto(const std::string& input, const TensorSpec& spec, const uint8_t* x,
                          size_t count, uint8_t* out) {
  const Quantization& q = *spec.quantization;
  for (size_t i = 0; i < count; ++i) {
    float v;
    std::memcpy(&v, x + i * sizeof(float), sizeof(float));
    if (!std::isfinite(v)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "featuremap input '", input, "': element ", i, " of tensor '", spec.name, "' is ", v,
          "; a quantised input (", ToString(spec.dtype), ") needs finite values"));
    }
  }
  int64_t axis_length = 1, inner = 1;
  if (q.axis >= 0) {
    axis_length = spec.shape[q.axis];
    for (size_t d = q.axis + 1; d < spec.shape.size(); ++d) inner *= spec.shape[d];
  }
  switch (spec.dtype) {
    case DType::kUint8:
      QuantizeAs<uint8_t>(x, count, q, axis_length, inner, out);
      break;
    case DType::kInt8:
      QuantizeAs<int8_t>(x, count, q, axis_length, inner, out);
      break;
    case DType::kInt16:
      QuantizeAs<int16_t>(x, count, q, axis_length, inner, out);
      break;
    case DType::kUint16:
      QuantizeAs<uint16_t>(x, count, q, axis_length, inner, out);
      break;
    case DType::kInt32:
      QuantizeAs<int32_t>(x, count, q, axis_length, inner, out);
      break;
    case DType::kFloat32:
    case DType::kBool:
    case DType::kFloat16:
    case DType::kInt64:
      return absl::InternalError(absl::StrCat("tensor '", spec.name, "': quantised to ",
                                              ToString(spec.dtype)));
  }
  return absl::OkStatus();
}

absl::Status Preparer::Featuremap(int index, int item, const InputDescriptor& input,
                                  const InputView& image) {
  const std::vector<int64_t> want = FeaturemapFileShape(descriptor_, input, options_.target);
  const DType dtype = FeaturemapFileDType(descriptor_, input, options_.target);
  const int64_t element = ElementSize(dtype);
  int64_t elements = 1;
  for (int64_t dim : want) elements *= dim;
  // The data: a .npy file's (decoded, owned), or a view of a .bin file's or the caller's.
  NpyArray array;
  absl::Span<const uint8_t> data;
  const absl::string_view bytes = BytesOf(image);
  if (image.kind == InputView::Kind::kFrame) {
    return absl::InvalidArgumentError(absl::StrCat(image.what, ": a raw frame for featuremap input '",
                                                   input.name, "'"));
  }
  if (image.kind == InputView::Kind::kFeature) {
    const FeatureView& view = image.feature;
    int64_t count = ElementSize(view.dtype);
    for (int64_t dim : view.shape) count = SizeMul(count, std::max<int64_t>(dim, 0));
    if (view.data == nullptr || static_cast<int64_t>(view.bytes) != count) {
      return absl::InvalidArgumentError(absl::StrCat(
          image.what, ": feature data of ", ToString(view.dtype), " ",
          absl::StrJoin(view.shape, "x"), " needs ", count, " bytes, got ", view.bytes,
          view.data == nullptr ? " at a null address" : ""));
    }
    array.dtype = view.dtype;
    array.shape = view.shape;
    data = absl::MakeConstSpan(static_cast<const uint8_t*>(view.data), view.bytes);
  } else if (absl::StartsWith(bytes, "\x93NUMPY")) {
    HBPREP_ASSIGN_OR_RETURN(array, DecodeNpy(bytes, image.what));
    data = array.data;
  } else if (static_cast<int64_t>(bytes.size()) == elements * element) {
    // A .bin file: the tensor's values, little-endian, C order, nothing else.
    array.dtype = dtype;
    array.shape = want;
    data = image.bytes;
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        image.what, ": featuremap input '", input.name, "' needs a .npy file or a .bin of ",
        elements * element, " bytes (", ToString(dtype), " ", absl::StrJoin(want, "x"), "), got ",
        bytes.size(), " bytes"));
  }
  if (array.shape != want || array.dtype != dtype) {
    return absl::InvalidArgumentError(absl::StrCat(image.what, ": featuremap input '", input.name,
                                                   "' needs ", ToString(dtype), " ",
                                                   absl::StrJoin(want, "x"), ", got ",
                                                   ToString(array.dtype), " ",
                                                   absl::StrJoin(array.shape, "x")));
  }
  if (dtype == DType::kBool) {
    // A BOOL8 mask is bytes of 0 and 1; anything else would reach the model as is.
    const auto bad =
        std::find_if(data.begin(), data.end(), [](uint8_t value) { return value > 1; });
    if (bad != data.end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          image.what, ": featuremap input '", input.name, "' is bool, but element ",
          bad - data.begin(), " holds byte ", *bad, " (0 or 1 only)"));
    }
  }
  if (options_.target == Target::kBoard && FeaturemapTransposedOnBoard(*descriptor_.chip, input)) {
    // OE 1.x takes it in input_layout_rt: NCHW <-> NHWC of each batch item.
    const bool to_nhwc = *input.layout_rt == Layout::kNHWC;
    const int64_t n = want[0], a = want[1], b = want[2], c = want[3];  // file dims 1..3
    std::vector<uint8_t> moved(data.size());
    for (int64_t i = 0; i < n; ++i) {
      const uint8_t* s = data.data() + i * a * b * c * element;
      uint8_t* d = moved.data() + i * a * b * c * element;
      for (int64_t x = 0; x < a; ++x) {
        for (int64_t y = 0; y < b; ++y) {
          for (int64_t z = 0; z < c; ++z) {
            // NCHW (a=C, b=H, c=W) -> NHWC [y][z][x]; NHWC (a=H, b=W, c=C) -> NCHW [z][x][y].
            const int64_t to = to_nhwc ? (y * c + z) * a + x : (z * a + x) * b + y;
            std::memcpy(d + to * element, s + ((x * b + y) * c + z) * element, element);
          }
        }
      }
    }
    return sink_.Put(index, item, TensorRole::kImage, std::move(moved));
  }
  if (!array.data.empty()) return sink_.Put(index, item, TensorRole::kImage, std::move(array.data));
  return sink_.Put(index, item, TensorRole::kImage, data);
}

std::vector<int64_t> FeaturemapFileShape(const Descriptor& descriptor,
                                         const InputDescriptor& input, Target target) {
  std::vector<int64_t> shape = input.shape;
  if (target != Target::kCalibration && descriptor.input_batch > 0) {
    shape[0] = descriptor.input_batch;
  }
  if (input.separate && target == Target::kBoard) shape[0] = 1;
  return shape;
}

DType FeaturemapFileDType(const Descriptor& descriptor, const InputDescriptor& input,
                          Target target) {
  if (target != Target::kBoard || descriptor.compiled == nullptr) return DType::kFloat32;
  for (const CompiledTensor& tensor : descriptor.compiled->tensors) {
    if (tensor.name != input.name && tensor.name != absl::StrCat(input.name, "_0")) continue;
    return tensor.quantization ? DType::kFloat32 : tensor.dtype;
  }
  return DType::kFloat32;
}

}  // namespace hbprep
