#include "hbprep/model.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "adapters/frame.h"
#include "adapters/image_io.h"
#include "adapters/part_sink.h"
#include "adapters/request_cost.h"
#include "adapters/size_math.h"
#include "hbprep/status_macros.h"

namespace hbprep {

struct Model::State {
  Descriptor descriptor;
  PrepareOptions options;  // without hooks
  Plan plan;
  std::vector<int> bindings;
};

struct Scratch::State {
  Workspace workspace;
  // This call's concrete layouts (resizer planes sized by their frames), and which resizer
  // tensors have their size yet.
  std::vector<TensorSpec> specs;
  std::vector<char> sized;
  std::vector<uint8_t> quantized;
};

struct ModelAccess {
  static const Model::State& Get(const Model& model) { return *model.state_; }
  static Scratch::State& Get(Scratch& scratch) { return *scratch.state_; }
};

InputView InputView::Encoded(absl::string_view what, absl::Span<const uint8_t> bytes) {
  InputView view;
  view.kind = Kind::kEncoded;
  view.what = what;
  view.bytes = bytes;
  return view;
}

InputView InputView::Frame(absl::string_view what, const FrameView& frame,
                           std::optional<Roi> roi) {
  InputView view;
  view.kind = Kind::kFrame;
  view.what = what;
  view.frame = frame;
  view.roi = roi;
  return view;
}

InputView InputView::Feature(absl::string_view what, FeatureView feature) {
  InputView view;
  view.kind = Kind::kFeature;
  view.what = what;
  view.feature = std::move(feature);
  return view;
}

absl::StatusOr<Model> Model::Compile(Descriptor descriptor, PrepareOptions options) {
  if (descriptor.chip == nullptr) {
    return absl::InvalidArgumentError("Model::Compile: the descriptor has no chip (not parsed)");
  }
  HBPREP_RETURN_IF_ERROR(CheckOptions(descriptor, options));
  options.check_continue = nullptr;
  options.reserve = nullptr;
  auto state = std::make_shared<State>();
  state->plan = PlanFor(descriptor, options);
  state->bindings = ImageBindings(descriptor, options.target);
  state->descriptor = std::move(descriptor);
  state->options = std::move(options);
  return Model(std::move(state));
}

const Descriptor& Model::descriptor() const { return state_->descriptor; }
const PrepareOptions& Model::options() const { return state_->options; }
const Plan& Model::plan() const { return state_->plan; }
const std::vector<int>& Model::bindings() const { return state_->bindings; }

bool Model::TakesRoi(int file) const {
  if (file < 0 || file >= static_cast<int>(state_->bindings.size())) return false;
  return hbprep::TakesRoi(state_->descriptor.inputs[state_->bindings[file]],
                         state_->options.target);
}

namespace {

// INVALID_ARGUMENT naming output `t` when it is null or smaller than `spec`'s layout.
absl::Status CheckOutputView(size_t t, const TensorSpec& spec, const OutputView& output) {
  const int64_t need = LayoutBytes(spec);
  if (output.data != nullptr && need >= 0 && static_cast<int64_t>(output.size) >= need) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "output ", t, " (tensor '", spec.name, "') has ", output.size, " bytes",
      output.data == nullptr ? " at a null address" : "", "; its layout (shape ",
      absl::StrJoin(spec.shape, "x"), ", strides ", absl::StrJoin(spec.strides, ","),
      ") needs ", need));
}

// Whether `spec` holds part (index, item, role), and which of its batch items that is.
bool Holds(const TensorSpec& spec, int index, int item, TensorRole role, int64_t* k) {
  if (spec.input_index != index) return false;
  if (spec.item >= 0 && spec.item != item) return false;
  const bool role_ok = spec.role == role || (spec.role == TensorRole::kNv12 &&
                                             (role == TensorRole::kY || role == TensorRole::kUV));
  if (!role_ok) return false;
  *k = spec.item >= 0 ? 0 : item;
  return true;
}

// Whether the strides are the shape's dense ones (DenseStrides, without making them).
bool IsDense(const TensorSpec& spec) {
  if (spec.strides.size() != spec.shape.size()) return false;
  int64_t stride = ElementSize(spec.dtype);
  for (size_t d = spec.shape.size(); d-- > 0;) {
    if (spec.strides[d] != stride) return false;
    stride *= spec.shape[d];
  }
  return true;
}

bool IsResizerPlane(const TensorSpec& spec) {
  return spec.adapter == AdapterKind::kResizer && spec.role != TensorRole::kRoi;
}

// PrepareInto's sink: every part written into the caller's outputs at the layout's offsets.
class StridedSink final : public PartSink {
 public:
  StridedSink(const Model::State& model, absl::Span<const OutputView> outputs,
              Scratch::State& scratch)
      : model_(model), outputs_(outputs), scratch_(scratch) {}
  using PartSink::Put;

  absl::Status FrameSize(int index, int item, int height, int width) override {
    const InputDescriptor& input = model_.descriptor.inputs[index];
    for (size_t t = 0; t < scratch_.specs.size(); ++t) {
      const TensorSpec& planned = model_.plan.tensors[t];
      if (!IsResizerPlane(planned) || planned.input_index != index ||
          (planned.item >= 0 && planned.item != item)) {
        continue;
      }
      TensorSpec& spec = scratch_.specs[t];
      if (scratch_.sized[t]) {
        const int64_t h = spec.layout == TensorLayout::kNHWC ? spec.shape[1] : spec.shape[2];
        const int64_t w = spec.layout == TensorLayout::kNHWC ? spec.shape[2] : spec.shape[3];
        const int64_t want_h = spec.role == TensorRole::kUV ? height / 2 : height;
        const int64_t want_w = spec.role == TensorRole::kUV ? width / 2 : width;
        if (h != want_h || w != want_w) {
          const int64_t fh = spec.role == TensorRole::kUV ? h * 2 : h;
          const int64_t fw = spec.role == TensorRole::kUV ? w * 2 : w;
          return absl::InvalidArgumentError(absl::StrCat(
              "resizer input '", input.name, "': the images of one batch must share one size, got ",
              fw, "x", fh, " and ", width, "x", height));
        }
        continue;
      }
      SetPlaneGeometry(*model_.descriptor.chip, planned.shape[0], height, width, &spec);
      scratch_.sized[t] = 1;
      HBPREP_RETURN_IF_ERROR(CheckOutput(t));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<PlaneRows> Plane(int index, int item, TensorRole role, int height,
                                  int width) override {
    for (size_t t = 0; t < scratch_.specs.size(); ++t) {
      int64_t k = 0;
      if (!Holds(model_.plan.tensors[t], index, item, role, &k)) continue;
      const TensorSpec& spec = scratch_.specs[t];
      int64_t offset = k * spec.strides[0], stride = 0, rows = 0, cols = 0;
      if (spec.layout == TensorLayout::kNHWC) {  // J6 Y or UV: [N, H, W, C]
        stride = spec.strides[1];
        rows = spec.shape[1];
        cols = spec.shape[2] * spec.shape[3];
      } else {  // OE 1.x [N, C, H, W]: Y (then UV at strides[1]) rows of W bytes
        stride = spec.strides[2];
        rows = role == TensorRole::kUV ? spec.shape[2] / 2 : spec.shape[2];
        cols = spec.shape[3];
        if (role == TensorRole::kUV) offset += spec.strides[1];
      }
      const int64_t want_rows = role == TensorRole::kUV ? height / 2 : height;
      if (rows != want_rows || cols != width || stride < cols) {
        return absl::InternalError(absl::StrCat("tensor '", spec.name, "': a ", width, "x",
                                                height, " part for a layout of ", cols, "x",
                                                rows));
      }
      int64_t end = 0;
      if (!CheckedMul(rows - 1, stride, &end) || !CheckedAdd(end, offset + cols, &end) ||
          end > static_cast<int64_t>(outputs_[t].size)) {
        return absl::InternalError(
            absl::StrCat("tensor '", spec.name, "': a part beyond its output"));
      }
      return PlaneRows{static_cast<uint8_t*>(outputs_[t].data) + offset, stride};
    }
    return absl::InternalError(absl::StrCat("no tensor for part ", index, "/", item));
  }

  absl::Status Put(int index, int item, TensorRole role,
                   absl::Span<const uint8_t> bytes) override {
    if (role == TensorRole::kY || role == TensorRole::kUV) {
      const TensorSpec* spec = Find(index, item, role);
      if (spec != nullptr && spec->role != TensorRole::kImage) {
        // A dense plane (converted from BGR): its rows into the layout's.
        const int64_t w = spec->layout == TensorLayout::kNHWC ? spec->shape[2] * spec->shape[3]
                                                              : spec->shape[3];
        const int64_t image_rows = spec->layout == TensorLayout::kNHWC
                                       ? (role == TensorRole::kUV ? spec->shape[1] * 2 : spec->shape[1])
                                       : spec->shape[2];
        const int64_t rows = role == TensorRole::kUV ? image_rows / 2 : image_rows;
        if (static_cast<int64_t>(bytes.size()) != rows * w) {
          return absl::InternalError(absl::StrCat("tensor '", spec->name, "': a plane of ",
                                                  bytes.size(), " bytes for ", rows, "x", w));
        }
        HBPREP_ASSIGN_OR_RETURN(const PlaneRows out,
                                Plane(index, item, role, static_cast<int>(image_rows),
                                      static_cast<int>(w)));
        for (int64_t r = 0; r < rows; ++r) {
          std::memcpy(out.data + r * out.stride, bytes.data() + r * w, w);
        }
        return absl::OkStatus();
      }
    }
    for (size_t t = 0; t < scratch_.specs.size(); ++t) {
      int64_t k = 0;
      if (!Holds(model_.plan.tensors[t], index, item, role, &k)) continue;
      const TensorSpec& spec = scratch_.specs[t];
      const InputDescriptor& input = model_.descriptor.inputs[index];
      if (spec.quantization) {
        const size_t count = bytes.size() / sizeof(float);
        scratch_.quantized.resize(count * ElementSize(spec.dtype));
        HBPREP_RETURN_IF_ERROR(
            QuantizeInto(input.name, spec, bytes.data(), count, scratch_.quantized.data()));
        bytes = scratch_.quantized;
      }
      return Place(t, k, bytes);
    }
    return absl::InternalError(absl::StrCat("no tensor for part ", index, "/", item));
  }

 private:
  const TensorSpec* Find(int index, int item, TensorRole role) const {
    for (size_t t = 0; t < scratch_.specs.size(); ++t) {
      int64_t k = 0;
      if (Holds(model_.plan.tensors[t], index, item, role, &k)) return &scratch_.specs[t];
    }
    return nullptr;
  }

  absl::Status CheckOutput(size_t t) const {
    return CheckOutputView(t, scratch_.specs[t], outputs_[t]);
  }

  // A dense part (batch item k, or the whole tensor) into tensor t's layout: rows of its
  // last dimension at the offsets its strides give.
  absl::Status Place(size_t t, int64_t k, absl::Span<const uint8_t> bytes) {
    const TensorSpec& spec = scratch_.specs[t];
    const size_t rank = spec.shape.size();
    const int64_t element = ElementSize(spec.dtype);
    const int64_t row = spec.shape[rank - 1] * element;
    int64_t item_bytes = element;
    for (size_t d = 1; d < rank; ++d) item_bytes *= spec.shape[d];
    const int64_t total = item_bytes * spec.shape[0];
    const int64_t size = static_cast<int64_t>(bytes.size());
    if (size != item_bytes && size != total) {
      return absl::InternalError(absl::StrCat("tensor '", spec.name, "': a part of ", size,
                                              " bytes for items of ", item_bytes));
    }
    if (size == total) k = 0;
    uint8_t* out = static_cast<uint8_t*>(outputs_[t].data);
    if (IsDense(spec)) {
      std::memcpy(out + k * item_bytes, bytes.data(), bytes.size());
      return absl::OkStatus();
    }
    const int64_t rows = size / row, first = k * (item_bytes / row);
    for (int64_t r = 0; r < rows; ++r) {
      int64_t offset = 0;
      for (int64_t d = static_cast<int64_t>(rank) - 2, rest = first + r; d >= 0; --d) {
        offset += (rest % spec.shape[d]) * spec.strides[d];
        rest /= spec.shape[d];
      }
      std::memcpy(out + offset, bytes.data() + r * row, row);
    }
    return absl::OkStatus();
  }

  const Model::State& model_;
  absl::Span<const OutputView> outputs_;
  Scratch::State& scratch_;
};

// The even frame size a resizer input takes from a file: its frame's, or its header's, held
// to the model's limits first (the caller allocates what this sizes).
absl::StatusOr<std::pair<int, int>> ResizerSize(const InputView& file,
                                                const PrepareOptions& limits) {
  int64_t width = file.frame.width, height = file.frame.height;
  if (file.kind == InputView::Kind::kEncoded) {
    DecodeLimits decode;
    decode.max_width = limits.max_width;
    decode.max_height = limits.max_height;
    decode.max_pixels = limits.max_pixels;
    HBPREP_ASSIGN_OR_RETURN(const ImageHeader header,
                            CheckImageHeader(BytesOf(file), decode, file.what));
    width = header.width;
    height = header.height;
  } else if (file.kind == InputView::Kind::kFrame) {
    HBPREP_RETURN_IF_ERROR(CheckFrameView(file.frame, limits, file.what));
  } else {
    return absl::InvalidArgumentError(absl::StrCat(file.what, ": feature data for a resizer input"));
  }
  return std::make_pair(static_cast<int>(height & ~int64_t{1}),
                        static_cast<int>(width & ~int64_t{1}));
}

}  // namespace

absl::StatusOr<std::vector<TensorSpec>> Model::OutputSpecs(
    absl::Span<const InputView> inputs) const {
  const State& m = *state_;
  HBPREP_RETURN_IF_ERROR(CheckFileCount(m.descriptor, m.options.target, inputs.size()));
  std::vector<TensorSpec> specs = m.plan.tensors;
  std::vector<int> items(m.descriptor.inputs.size(), 0);
  for (size_t i = 0; i < inputs.size(); ++i) {
    const int index = m.bindings[i], item = items[index]++;
    if (!TakesRoi(static_cast<int>(i))) continue;
    HBPREP_ASSIGN_OR_RETURN(const auto size, ResizerSize(inputs[i], m.options));
    for (TensorSpec& spec : specs) {
      if (!IsResizerPlane(spec) || spec.input_index != index ||
          (spec.item >= 0 && spec.item != item)) {
        continue;
      }
      SetPlaneGeometry(*m.descriptor.chip, spec.shape[0], size.first, size.second, &spec);
    }
  }
  return specs;
}

Scratch::Scratch() : state_(std::make_unique<State>()) {}
Scratch::~Scratch() = default;
Scratch::Scratch(Scratch&&) noexcept = default;
Scratch& Scratch::operator=(Scratch&&) noexcept = default;

absl::Status PrepareInto(const Model& model, absl::Span<const InputView> inputs,
                         absl::Span<const OutputView> outputs, Scratch& scratch,
                         PrepareReport* report, const CallHooks& hooks) {
  const Model::State& m = ModelAccess::Get(model);
  Scratch::State& s = ModelAccess::Get(scratch);
  const std::vector<TensorSpec>& tensors = m.plan.tensors;
  if (outputs.size() != tensors.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "PrepareInto: ", outputs.size(), " outputs for the plan's ", tensors.size(),
        " tensors (", absl::StrJoin(tensors, ", ", [](std::string* out, const TensorSpec& spec) {
          absl::StrAppend(out, spec.name);
        }), ")"));
  }
  s.specs = tensors;  // copy-assigned: the vectors keep their capacity
  s.sized.assign(tensors.size(), 0);
  PrepareReport& r = report != nullptr ? *report : s.workspace.report;
  StridedSink sink(m, outputs, s);
  size_t next = 0;
  for (size_t t = 0; t < tensors.size(); ++t) {
    if (IsResizerPlane(tensors[t])) continue;  // sized by their frames
    HBPREP_RETURN_IF_ERROR(CheckOutputView(t, tensors[t], outputs[t]));
  }

  HBPREP_RETURN_IF_ERROR(Guarded(&inputs, &next, [&] {
    return RunRequest(m.descriptor, m.plan, m.options, inputs, hooks, sink, r, &s.workspace,
                      &next);
  }));
  if (hooks.flush) {
    for (size_t t = 0; t < outputs.size(); ++t) {
      hooks.flush(outputs[t].data, static_cast<size_t>(LayoutBytes(s.specs[t])));
    }
  }
  return absl::OkStatus();
}

int64_t LayoutBytes(const TensorSpec& spec) {
  // The dense bytes of DenseShape (OE 1.x's packed NV12 holds H * 3 / 2 rows), without making it.
  int64_t dense = ElementSize(spec.dtype);
  for (size_t d = 0; d < spec.shape.size(); ++d) {
    const int64_t dim = spec.shape[d];
    if (dim < 0) return -1;
    if (spec.layout == TensorLayout::kNV12 && d == 1) continue;  // C = 3 stands for 1.5 planes
    dense = SizeMul(dense, spec.layout == TensorLayout::kNV12 && d == 2 ? dim * 3 / 2 : dim);
  }
  if (spec.shape.empty() || spec.strides.empty()) return dense;
  if (spec.strides.front() < 0) return -1;
  return std::max(dense, SizeMul(spec.strides.front(), spec.shape.front()));
}

void OutputBuffers::Free::operator()(void* p) const { std::free(p); }

OutputBuffers::OutputBuffers(absl::Span<const TensorSpec> specs, size_t alignment) {
  for (const TensorSpec& spec : specs) {
    const int64_t bytes = std::max<int64_t>(LayoutBytes(spec), 0);
    // aligned_alloc wants a multiple of the alignment.
    const size_t size = (static_cast<size_t>(bytes) + alignment - 1) / alignment * alignment;
    void* memory = std::aligned_alloc(alignment, std::max(size, alignment));
    if (memory == nullptr) throw std::bad_alloc();
    std::memset(memory, 0, std::max(size, alignment));
    memory_.emplace_back(memory);
    views_.push_back({memory, static_cast<size_t>(bytes)});
  }
}

}  // namespace hbprep
