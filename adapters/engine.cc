#include "hbprep/engine.h"

#include <jconfig.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <tuple>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "adapters/frame.h"
#include "adapters/image_io.h"
#include "adapters/jpeg.h"
#include "adapters/part_sink.h"
#include "adapters/preparer.h"
#include "adapters/recipe.h"
#include "adapters/request_cost.h"
#include "adapters/size_math.h"
#include "hbprep/color.h"
#include "hbprep/compiled_model.h"
#include "hbprep/npy.h"
#include "hbprep/status_macros.h"
#include "opencv2/core.hpp"
#include "opencv2/imgproc.hpp"

namespace hbprep::internal {
// Reads the versions once (OpenCV's build information is a long string to search).
std::vector<std::pair<std::string, std::string>> ReadLibraryVersions();
}  // namespace hbprep::internal

// LIBJPEG_TURBO_VERSION, of the library OpenCV decodes JPEG with (libjpeg62-turbo).
#define HBPREP_STRINGIZE_INNER(x) #x
#define HBPREP_STRINGIZE(x) HBPREP_STRINGIZE_INNER(x)

namespace hbprep {
namespace {

// Prepare()'s sink: each part in a vector of its own, assembled into the plan's dense tensors
// at the end (a tensor of one part takes its bytes over, without a copy).
class DenseSink final : public PartSink {
 public:
  DenseSink(const Descriptor& descriptor, Prepared& out) : descriptor_(descriptor), out_(out) {}
  using PartSink::Put;

  absl::Status FrameSize(int index, int item, int height, int width) override {
    sizes_[{index, item}] = {height, width};
    return absl::OkStatus();
  }
  absl::StatusOr<PlaneRows> Plane(int index, int item, TensorRole role, int height,
                                  int width) override {
    std::vector<uint8_t>& part = parts_[{index, item, role}];
    part.resize(static_cast<size_t>(role == TensorRole::kUV ? height / 2 : height) * width);
    return PlaneRows{part.data(), width};
  }
  absl::Status Put(int index, int item, TensorRole role,
                   absl::Span<const uint8_t> bytes) override {
    parts_[{index, item, role}].assign(bytes.begin(), bytes.end());
    return absl::OkStatus();
  }
  absl::Status Put(int index, int item, TensorRole role, std::vector<uint8_t>&& bytes) override {
    parts_[{index, item, role}] = std::move(bytes);
    return absl::OkStatus();
  }
  // The plan's tensors from the parts, in plan order, into out.tensors.
  absl::Status Assemble();

 private:
  const Descriptor& descriptor_;
  Prepared& out_;
  // Per input and batch item, the bytes of each role (Y, UV, image, ROI).
  std::map<std::tuple<int, int, TensorRole>, std::vector<uint8_t>> parts_;
  // Resizer source sizes per (input, item): height, width.
  std::map<std::pair<int, int>, std::pair<int, int>> sizes_;
};

absl::Status DenseSink::Assemble() {
  for (const TensorSpec& spec : out_.plan.tensors) {
    Tensor tensor;
    tensor.spec = spec;
    const InputDescriptor& input = descriptor_.inputs[spec.input_index];
    // The items this tensor holds: its own after a split, else all of the input's.
    int first = spec.item, last = spec.item;
    if (spec.item < 0) {
      first = 0;
      last = static_cast<int>(spec.shape[0]) - 1;
      if (!input.is_image()) last = 0;
    }
    const TensorRole role = spec.role == TensorRole::kNv12 ? TensorRole::kY : spec.role;
    std::pair<int, int> size{-1, -1};
    for (int item = first; item <= last; ++item) {
      if (spec.role == TensorRole::kNv12) {  // OE 1.x: Y then UV
        for (TensorRole part : {TensorRole::kY, TensorRole::kUV}) {
          const auto& bytes = parts_.at({spec.input_index, item, part});
          tensor.data.insert(tensor.data.end(), bytes.begin(), bytes.end());
        }
      } else if (first == last) {  // one part makes the tensor: it moves, no copy
        tensor.data = std::move(parts_.at({spec.input_index, item, role}));
      } else {
        const auto& bytes = parts_.at({spec.input_index, item, role});
        tensor.data.insert(tensor.data.end(), bytes.begin(), bytes.end());
      }
      if (auto it = sizes_.find({spec.input_index, item}); it != sizes_.end()) {
        if (size.first >= 0 && size != it->second) {
          return absl::InvalidArgumentError(absl::StrCat(
              "resizer input '", input.name, "': the images of one batch must share one size, got ",
              size.second, "x", size.first, " and ", it->second.second, "x", it->second.first));
        }
        size = it->second;
      }
    }
    // Concrete shapes and strides for the resizer's dynamic sizes.
    if (size.first >= 0 && spec.role != TensorRole::kRoi) {
      SetPlaneGeometry(*descriptor_.chip, spec.shape[0], size.first, size.second, &tensor.spec);
    }
    if (spec.quantization) {
      std::vector<uint8_t> quantized(tensor.data.size() / sizeof(float) * ElementSize(spec.dtype));
      HBPREP_RETURN_IF_ERROR(QuantizeInto(input.name, tensor.spec, tensor.data.data(),
                                          tensor.data.size() / sizeof(float), quantized.data()));
      tensor.data = std::move(quantized);
    }
    tensor.dense_shape = DenseShape(tensor.spec);
    out_.tensors.push_back(std::move(tensor));
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<std::pair<std::string, std::string>> LibraryVersions() {
  static const auto* const kVersions =
      new std::vector<std::pair<std::string, std::string>>(internal::ReadLibraryVersions());
  return *kVersions;
}

namespace internal {

std::vector<std::pair<std::string, std::string>> ReadLibraryVersions() {
  std::vector<std::pair<std::string, std::string>> versions = {
      {"hbprep", HBPREP_VERSION},
      {"opencv", CV_VERSION},
      {"libjpeg-turbo", HBPREP_STRINGIZE(LIBJPEG_TURBO_VERSION)}};
  // The PNG library OpenCV decodes with, as its build information names it:
  // "    PNG:     /usr/lib/x86_64-linux-gnu/libpng.so (ver 1.6.39)".
  const std::string info = cv::getBuildInformation();
  if (size_t at = info.find("PNG:"); at != std::string::npos) {
    const size_t ver = info.find("(ver ", at), end = info.find(')', ver);
    if (ver != std::string::npos && end != std::string::npos && ver < info.find('\n', at)) {
      versions.emplace_back("libpng", info.substr(ver + 5, end - ver - 5));
    }
  }
  return versions;
}

}  // namespace internal

int InputFileCount(const Descriptor& descriptor, const InputDescriptor& input, Target target) {
  if (!input.is_image()) {
    const int batch = descriptor.input_batch > 0 && target != Target::kCalibration
                          ? descriptor.input_batch
                          : static_cast<int>(input.shape[0]);
    return input.separate && target == Target::kBoard ? batch : 1;
  }
  if (target == Target::kCalibration || descriptor.input_batch == 0) {
    return static_cast<int>(input.shape[0]);
  }
  return descriptor.input_batch;
}

std::vector<int> ImageBindings(const Descriptor& descriptor, Target target) {
  std::vector<int> bindings;
  for (size_t i = 0; i < descriptor.inputs.size(); ++i) {
    bindings.insert(bindings.end(), InputFileCount(descriptor, descriptor.inputs[i], target),
                    static_cast<int>(i));
  }
  return bindings;
}

absl::Status CheckOptions(const Descriptor& descriptor, const PrepareOptions& options) {
  HBPREP_RETURN_IF_ERROR(CheckTarget(descriptor, options.target));
  const bool oe1_onnx = options.target == Target::kOe1FloatOnnx ||
                        options.target == Target::kOe1QuantizedOnnx;
  if (!options.float_as_uint8) return absl::OkStatus();
  if (oe1_onnx) {
    return absl::InvalidArgumentError(absl::StrCat(
        "uint8 float-model data is for the calibration and onnx targets; ",
        ToString(options.target), " tensors have their dtype from the plan"));
  }
  if (options.target == Target::kBoard) {
    return absl::InvalidArgumentError(
        "uint8 float-model data is for the calibration and onnx targets; board tensors have "
        "their dtype from the plan");
  }
  for (const InputDescriptor& input : descriptor.inputs) {
    if (input.is_image() && Normalises(descriptor, input)) {
      return absl::InvalidArgumentError(
          absl::StrCat("input '", input.name, "' is normalised (", ToString(input.norm_type),
                       ") for ", ToString(options.target),
                       " data, which uint8 cannot hold; uint8 is only for inputs "
                       "that are not normalised"));
    }
  }
  return absl::OkStatus();
}

Plan PlanFor(const Descriptor& descriptor, const PrepareOptions& options) {
  Plan plan = ResolvePlan(descriptor, options.target);
  if (options.float_as_uint8) {
    for (TensorSpec& spec : plan.tensors) {
      if (spec.adapter != AdapterKind::kFloatImage) continue;
      spec.dtype = DType::kUint8;
      spec.strides = DenseStrides(spec.shape, spec.dtype);
    }
  }
  return plan;
}

namespace {

// An InputImage as the core's view of it: raw buffers checked (size, stride, limits) first.
absl::StatusOr<InputView> ViewOf(const InputImage& image, const PrepareOptions& options) {
  InputView view;
  view.what = image.what;
  view.roi = image.roi;
  view.bytes = absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(image.bytes.data()),
                                   image.bytes.size());
  if (image.raw) {
    HBPREP_RETURN_IF_ERROR(CheckRawImage(image.bytes, *image.raw, options, image.what));
    view.kind = InputView::Kind::kFrame;
    view.frame = ViewOfRaw(image.bytes, *image.raw);
  }
  return view;
}

}  // namespace

absl::StatusOr<RequestCost> EstimateCost(const Descriptor& descriptor,
                                         absl::Span<const InputImage> images,
                                         const PrepareOptions& options) {
  HBPREP_RETURN_IF_ERROR(CheckOptions(descriptor, options));
  HBPREP_RETURN_IF_ERROR(CheckFileCount(descriptor, options.target, images.size()));
  std::vector<InputView> views;
  views.reserve(images.size());
  for (const InputImage& image : images) {
    HBPREP_ASSIGN_OR_RETURN(views.emplace_back(), ViewOf(image, options));
  }
  CheckedRequest checked;
  HBPREP_RETURN_IF_ERROR(
      CheckRequest(descriptor, PlanFor(descriptor, options), views, options, &checked));
  return checked.cost;
}

namespace {

// The core writing into dense tensors of its own (DenseSink), for either Prepare().
absl::Status PrepareDense(const Model& model, absl::Span<const InputView> inputs,
                          const CallHooks& hooks, size_t* next, Prepared& out) {
  HBPREP_RETURN_IF_ERROR(
      CheckFileCount(model.descriptor(), model.options().target, inputs.size()));
  out.plan = model.plan();
  out.versions = LibraryVersions();
  DenseSink sink(model.descriptor(), out);
  PrepareReport report;
  HBPREP_RETURN_IF_ERROR(RunRequest(model.descriptor(), out.plan, model.options(), inputs, hooks,
                                    sink, report, nullptr, next));
  const auto start = Clock::now();
  HBPREP_RETURN_IF_ERROR(sink.Assemble());
  out.pack_us = MicrosSince(start);
  out.warnings = std::move(report.warnings);
  out.pixel_stddev = std::move(report.pixel_stddev);
  out.geometry = std::move(report.geometry);
  out.decode_us = report.decode_us;
  out.transform_us = report.transform_us;
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Prepared> Prepare(const Descriptor& descriptor, absl::Span<const InputImage> images,
                                 const PrepareOptions& options) {
  Prepared out;
  std::vector<InputView> views;
  absl::Span<const InputView> named;  // the files messages name, once they are views
  size_t next = 0;
  const absl::Status status = Guarded(&named, &next, [&]() -> absl::Status {
    HBPREP_ASSIGN_OR_RETURN(const Model model, Model::Compile(descriptor, options));
    HBPREP_RETURN_IF_ERROR(CheckFileCount(descriptor, options.target, images.size()));
    views.reserve(images.size());
    for (const InputImage& image : images) {
      HBPREP_ASSIGN_OR_RETURN(views.emplace_back(), ViewOf(image, options));
    }
    named = views;
    const CallHooks hooks{options.check_continue, options.reserve, {}};
    return PrepareDense(model, views, hooks, &next, out);
  });
  if (!status.ok()) return status;
  return out;
}

absl::StatusOr<Prepared> Prepare(const Model& model, absl::Span<const InputView> inputs,
                                 const CallHooks& hooks) {
  Prepared out;
  size_t next = 0;
  const absl::Status status = Guarded(
      &inputs, &next, [&]() -> absl::Status { return PrepareDense(model, inputs, hooks, &next, out); });
  if (!status.ok()) return status;
  return out;
}

absl::StatusOr<size_t> CheckStridedLayout(const TensorSpec& spec, size_t data_bytes) {
  const std::string shape = absl::StrJoin(spec.shape, "x");
  const std::string strides = absl::StrJoin(spec.strides, ",");
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("tensor '", spec.name, "': ", why));
  };
  auto overflow = [&] {
    return bad(absl::StrCat("shape ", shape, " with strides ", strides, " overflows 64 bits"));
  };
  const size_t rank = spec.shape.size();
  if (rank == 0) return bad("has no shape");
  if (spec.strides.size() != rank) {
    return bad(absl::StrCat(spec.strides.size(), " strides (", strides, ") for shape ", shape,
                            " of rank ", rank));
  }
  for (int64_t dim : spec.shape) {
    if (dim < 1) return bad(absl::StrCat("shape ", shape, " has a dimension below 1"));
  }
  for (int64_t stride : spec.strides) {
    if (stride < 1) return bad(absl::StrCat("strides ", strides, " hold one below 1"));
  }
  const int64_t element = ElementSize(spec.dtype);
  const int64_t bytes = static_cast<int64_t>(data_bytes);
  if (data_bytes > static_cast<size_t>(std::numeric_limits<int64_t>::max())) return overflow();
  int64_t packed = 0;
  if (spec.role == TensorRole::kImage || spec.role == TensorRole::kRoi) {
    // PackStrided copies rows of the last dimension to the offsets the other strides give.
    int64_t count = element;
    for (int64_t dim : spec.shape) {
      if (!CheckedMul(count, dim, &count)) return overflow();
    }
    if (bytes != count) {
      return bad(absl::StrCat("holds ", data_bytes, " data bytes, shape ", shape, " (",
                              ToString(spec.dtype), ") needs ", count));
    }
    if (spec.strides == DenseStrides(spec.shape, spec.dtype)) return data_bytes;
    const int64_t row = spec.shape[rank - 1] * element;  // <= count
    int64_t inner = row, end = row;  // bytes a dimension's block spans; end of the last row
    for (size_t d = rank - 1; d-- > 0;) {
      if (spec.strides[d] < inner) {
        return bad(absl::StrCat("strides ", strides, " do not fit shape ", shape, ": stride ",
                                spec.strides[d], " of dimension ", d, " is below the ", inner,
                                " bytes within it"));
      }
      int64_t span = 0;
      if (!CheckedMul(spec.shape[d] - 1, spec.strides[d], &span) || !CheckedAdd(end, span, &end) ||
          !CheckedMul(spec.shape[d], spec.strides[d], &inner)) {
        return overflow();
      }
    }
    if (!CheckedMul(spec.strides[0], spec.shape[0], &packed)) return overflow();
    if (end > packed) {
      return bad(absl::StrCat("strides ", strides, " do not fit shape ", shape,
                              ": its data ends at byte ", end, " of ", packed));
    }
  } else {
    // Image planes: `rows` rows of `row_bytes` bytes per image, `row_stride` apart, images
    // `image_stride` apart.
    if (element != 1) {
      return bad(absl::StrCat("an image plane holds uint8 data, not ", ToString(spec.dtype)));
    }
    if (rank != 4) return bad(absl::StrCat("an image plane has rank 4, not shape ", shape));
    int64_t row_bytes = 0, rows = 0, row_stride = 0;
    if (spec.layout == TensorLayout::kNHWC) {
      if (!CheckedMul(spec.shape[2], spec.shape[3], &row_bytes)) return overflow();
      rows = spec.shape[1];
      row_stride = spec.strides[1];
    } else if (spec.layout == TensorLayout::kNCHW || spec.layout == TensorLayout::kNV12) {
      row_bytes = spec.shape[3];
      rows = spec.shape[2];
      if (spec.layout == TensorLayout::kNV12) {  // Y rows, then H / 2 UV rows
        if (!CheckedMul(rows, 3, &rows)) return overflow();
        rows /= 2;
      }
      row_stride = spec.strides[2];
    } else {
      return bad("an image plane needs layout NHWC, NCHW or NV12");
    }
    const int64_t image_stride = spec.strides[0], n = spec.shape[0];
    int64_t count = 0, last = 0, end = 0;
    if (!CheckedMul(n, rows, &count) || !CheckedMul(count, row_bytes, &count)) return overflow();
    if (bytes != count) {
      return bad(
          absl::StrCat("holds ", data_bytes, " data bytes, shape ", shape, " needs ", count));
    }
    if (row_stride < row_bytes) {
      return bad(absl::StrCat("strides ", strides, " do not fit shape ", shape, ": row stride ",
                              row_stride, " is below the row's ", row_bytes, " bytes"));
    }
    if (!CheckedMul(rows - 1, row_stride, &last) || !CheckedAdd(last, row_bytes, &end)) return overflow();
    if (image_stride < end) {
      return bad(absl::StrCat("strides ", strides, " do not fit shape ", shape, ": image stride ",
                              image_stride, " is below the image's ", end, " bytes"));
    }
    if (!CheckedMul(image_stride, n, &packed)) return overflow();
  }
  if (static_cast<uint64_t>(packed) > std::numeric_limits<size_t>::max()) return overflow();
  return static_cast<size_t>(packed);
}

std::vector<uint8_t> PackStrided(const Tensor& tensor) {
  const TensorSpec& spec = tensor.spec;
  const absl::StatusOr<size_t> packed = CheckStridedLayout(spec, tensor.data.size());
  if (!packed.ok()) return {};  // would read or write out of bounds
  if (spec.role == TensorRole::kImage || spec.role == TensorRole::kRoi) {
    // Dense unless the compiled model pads (its strides, checked against the shape).
    const size_t rank = spec.shape.size();
    const int64_t element = ElementSize(spec.dtype);
    if (spec.strides == DenseStrides(spec.shape, spec.dtype)) return tensor.data;
    std::vector<uint8_t> out(*packed, 0);
    const int64_t row = spec.shape[rank - 1] * element;
    const int64_t rows = static_cast<int64_t>(tensor.data.size()) / row;
    for (int64_t r = 0; r < rows; ++r) {
      // The row's index in each leading dimension gives its offset.
      int64_t offset = 0;
      for (int64_t d = static_cast<int64_t>(rank) - 2, rest = r; d >= 0; --d) {
        offset += (rest % spec.shape[d]) * spec.strides[d];
        rest /= spec.shape[d];
      }
      std::memcpy(out.data() + offset, tensor.data.data() + r * row, row);
    }
    return out;
  }
  // Image planes: rows of `row_bytes` dense bytes become rows of the plan's row stride.
  int64_t row_bytes = 0, rows = 0, row_stride = 0, image_stride = spec.strides[0];
  const int64_t n = spec.shape[0];
  if (spec.layout == TensorLayout::kNHWC) {  // J6 Y / UV: [N, H, W, C]
    row_bytes = spec.shape[2] * spec.shape[3];
    rows = spec.shape[1];
    row_stride = spec.strides[1];
  } else {  // OE 1.x [N, C, H, W]: Y (and UV) rows of W bytes
    row_bytes = spec.shape[3];
    rows = spec.layout == TensorLayout::kNV12 ? spec.shape[2] * 3 / 2 : spec.shape[2];
    row_stride = spec.strides[2];
  }
  std::vector<uint8_t> out(*packed, 0);
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t r = 0; r < rows; ++r) {
      std::memcpy(out.data() + i * image_stride + r * row_stride,
                  tensor.data.data() + (i * rows + r) * row_bytes, row_bytes);
    }
  }
  return out;
}

}  // namespace hbprep
