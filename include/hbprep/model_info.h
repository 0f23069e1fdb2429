// The compiled model's own description of its inputs: the text `hrt_model_exec model_info
// --model_file m.hbm` (or `.bin`) prints, in both of its forms.
//
// OE 1.x (X3, J5, X5; `.bin` models), one block per input:
//   input[0]:
//   name: images
//   input source: HB_DNN_INPUT_FROM_PYRAMID
//   valid shape: (1,3,640,640,)
//   aligned shape: (1,3,640,640,)
//   aligned byte size: 614400
//   tensor type: HB_DNN_IMG_TYPE_NV12
//   tensor layout: HB_DNN_LAYOUT_NCHW
//   quanti type: NONE            (or SHIFT with `shift data: 0,0,0,`)
//   stride: (0,0,0,0,)
//
// J6 / UCP (`.hbm` models): no input source, aligned shape or layout; scales per tensor or
// per axis:
//   input[5]:
//   name: _input_5
//   valid shape: (1,384,200,200)
//   aligned byte size: 19660800
//   tensor type: HB_DNN_TENSOR_TYPE_S8
//   quanti type: SCALE
//   stride: (19660800,51200,256,1)
//   scale data: (0.0472441)
//   zero_point data: (0)
//
// Everything else in the text (runtime log lines, the output blocks, banners) is skipped.
#ifndef HBPREP_MODEL_INFO_H_
#define HBPREP_MODEL_INFO_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hbprep {

enum class ModelInfoForm { kOe1, kJ6 };
absl::string_view ToString(ModelInfoForm form);  // "OE 1.x", "J6"

enum class QuantiType { kNone, kShift, kScale };
absl::string_view ToString(QuantiType type);  // NONE, SHIFT, SCALE as printed

struct ModelInfoInput {
  int index = 0;
  std::string name;
  std::string source;  // OE 1.x `input source`, e.g. HB_DNN_INPUT_FROM_PYRAMID; "" if absent
  std::vector<int64_t> valid_shape;    // -1 for a dynamic dimension
  std::vector<int64_t> aligned_shape;  // OE 1.x; empty if absent
  int64_t aligned_byte_size = 0;       // 0 if absent, -1 dynamic
  std::string tensor_type;  // as printed, e.g. HB_DNN_TENSOR_TYPE_S8, HB_DNN_IMG_TYPE_NV12
  std::string layout;       // OE 1.x `tensor layout`, e.g. HB_DNN_LAYOUT_NCHW; "" if absent
  QuantiType quanti = QuantiType::kNone;
  std::vector<float> scale;          // SCALE: one value, or one per index of the axis
  std::vector<int32_t> zero_point;   // SCALE: empty (all 0), one value, or one per scale
  std::vector<int32_t> shift;        // SHIFT: one value, or one per index of the axis
  int quantize_axis = -1;            // -1: per tensor, or not printed
  std::vector<int64_t> stride;       // bytes; -1 dynamic, 0 "aligned by the runtime"; empty if absent
  int line = 0;                      // of the `input[N]:` line, for messages
};

struct ModelInfoModel {
  std::string name;  // `[model name]: ...`; "" when the text does not say
  ModelInfoForm form = ModelInfoForm::kJ6;
  std::vector<ModelInfoInput> inputs;  // by index
};

// Parses the text. `what` names it in messages (the file's path). INVALID_ARGUMENT naming
// the line, the input and the field for a malformed or missing field, a repeated or missing
// index, or text holding no input block at all; every problem of the text at once.
absl::StatusOr<std::vector<ModelInfoModel>> ParseModelInfo(absl::string_view text,
                                                           absl::string_view what);

// Reads and parses a file (NOT_FOUND when it cannot be read).
absl::StatusOr<std::vector<ModelInfoModel>> LoadModelInfoFile(const std::string& path);

}  // namespace hbprep

#endif  // HBPREP_MODEL_INFO_H_
