// Holding the plan against the compiled model: the yaml says what the user asked the compiler
// for, the model info (adapters/model_info.h) what it built. Some facts are only in the
// compiled model: the order of its inputs, whether a ddr image is int8 or uint8, the
// quantisation of featuremap inputs, exact strides.
//
// AttachModelInfo compares the board plan the yaml implies with the compiled model's inputs,
// by tensor name:
//   errors (the data would be wrong): an input missing on either side, a different shape, a
//     tensor type that cannot hold what the yaml describes (RGB vs BGR, NV12 vs Y, a layout),
//     a stride that breaks the chip's row alignment or is smaller than the data, a plan that
//     needs more bytes than the compiled model's aligned byte size, a featuremap type hbprep
//     cannot produce;
//   warnings (the compiled model decides, and the plan follows it): the input order, a ddr
//     image's int8/uint8, strides that differ from the plan's but are legal.
// The board plan then follows the compiled model (ResolvePlan): order, dtypes, quantisation
// (featuremaps become integers: q = clip(nearbyint(x / scale + zero_point))), strides.
#ifndef HBPREP_COMPILED_MODEL_H_
#define HBPREP_COMPILED_MODEL_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "hbprep/descriptor.h"
#include "hbprep/model_info.h"
#include "hbprep/plan.h"

namespace hbprep {

// What the compiled model decides for one board tensor.
struct CompiledTensor {
  std::string name;
  DType dtype = DType::kUint8;
  std::vector<int64_t> strides;  // empty: the plan's own
  std::optional<Quantization> quantization;
};

struct CompiledModel {
  std::string source;  // the model info file, for messages and plans
  std::string name;    // its `[model name]`, "" when it does not say
  ModelInfoForm form = ModelInfoForm::kJ6;
  std::vector<CompiledTensor> tensors;  // in the compiled model's input order
  // OE 1.x resizer ROIs are not model inputs (the runtime takes them with hbDNNRoiInfer):
  // they keep their place after their image.
};

// Checks `models` (a parsed model info) against `descriptor`'s board plan and attaches the
// result to it. With several models in the text, the one named like the descriptor is used.
// `source` names the text in messages. INVALID_ARGUMENT listing every error; the warnings
// are appended to `warnings`. On error `descriptor` is unchanged.
absl::Status AttachModelInfo(const std::vector<ModelInfoModel>& models, absl::string_view source,
                             Descriptor* descriptor, std::vector<std::string>* warnings);

// Reads the model info file at `path` and attaches it to `descriptor` (LoadModelInfoFile,
// then AttachModelInfo).
absl::Status AttachModelInfoFile(const std::string& path, Descriptor* descriptor,
                                 std::vector<std::string>* warnings);

// `<folder>/<stem>.model_info.txt` for `<folder>/<stem>.yaml`: where a model's model info
// lives beside its yaml, in a repository or for `--config`.
std::string ModelInfoPathFor(const std::string& yaml_path);

// The model info file for a yaml: `explicit_path` when given, else the one beside the yaml
// when it exists, else "".
std::string FindModelInfo(const std::string& yaml_path, const std::string& explicit_path);

// The yaml descriptor at `yaml_path` with its model info attached (FindModelInfo: the file
// at `model_info_path`, or the one beside the yaml). Errors as LoadDescriptorFile,
// LoadModelInfoFile and AttachModelInfo.
absl::StatusOr<Descriptor> LoadModel(const std::string& yaml_path,
                                     const std::string& model_info_path,
                                     std::vector<std::string>* warnings);

// Applies `compiled` to a board plan resolved from the yaml (ResolvePlan calls it).
void ApplyCompiledModel(const CompiledModel& compiled, Plan* plan);

}  // namespace hbprep

#endif  // HBPREP_COMPILED_MODEL_H_
