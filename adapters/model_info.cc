#include "hbprep/model_info.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace hbprep {
namespace {

// Bounds that keep hostile text cheap: far above any real model.
constexpr size_t kMaxText = size_t{4} << 20;
constexpr int kMaxInputs = 1024;
constexpr size_t kMaxDims = 10;
constexpr size_t kMaxValues = 1 << 16;

// "(1,3,640,640,)", "0,0,0,", "(0.0177)", "1 2 3": the items, empty ones dropped.
std::vector<absl::string_view> Items(absl::string_view value) {
  value = absl::StripAsciiWhitespace(value);
  absl::ConsumePrefix(&value, "(");
  absl::ConsumeSuffix(&value, ")");
  std::vector<absl::string_view> items;
  for (absl::string_view item : absl::StrSplit(value, absl::ByAnyChar(", \t"), absl::SkipEmpty())) {
    items.push_back(item);
  }
  return items;
}

// Integers of at least `min`. With `min` -1 (shapes and strides), INT64_MIN is -1 too: a
// dynamic entry as `hb_model_info -v` prints it (hrt_model_exec prints -1).
template <typename T>
bool ParseIntegers(absl::string_view value, int64_t min, std::vector<T>* out) {
  out->clear();
  for (absl::string_view item : Items(value)) {
    int64_t number = 0;
    if (!absl::SimpleAtoi(item, &number)) return false;
    if (min == -1 && number == std::numeric_limits<int64_t>::min()) number = -1;
    if (number < min) return false;
    out->push_back(static_cast<T>(number));
  }
  return true;
}

bool ParseScales(absl::string_view value, std::vector<float>* out) {
  out->clear();
  for (absl::string_view item : Items(value)) {
    float number = 0;
    if (!absl::SimpleAtof(item, &number) || !std::isfinite(number) || number <= 0) return false;
    out->push_back(number);
  }
  return !out->empty();
}

// "Tensor Type" / "tensor_type" / "quantizeAxis" -> "tensor type" / "quantizeaxis".
std::string NormalizeKey(absl::string_view key) {
  std::string out = absl::AsciiStrToLower(absl::StripAsciiWhitespace(key));
  absl::StrReplaceAll({{"_", " "}}, &out);
  return out;
}

class Parser {
 public:
  explicit Parser(absl::string_view what) : what_(what) {}

  absl::StatusOr<std::vector<ModelInfoModel>> Run(absl::string_view text);

 private:
  void StartModel(std::string name);
  void Field(ModelInfoInput& input, const std::string& key, absl::string_view value, int line);
  void FinishInput();
  void FinishModel();
  void Error(int line, absl::string_view message) {
    errors_.push_back(absl::StrCat(what_, ":", line, ": ", message));
  }
  std::string Name(const ModelInfoInput& input) const {
    return input.name.empty() ? absl::StrCat("input[", input.index, "]")
                              : absl::StrCat("input[", input.index, "] '", input.name, "'");
  }

  std::string what_;
  std::vector<std::string> errors_;
  std::vector<ModelInfoModel> models_;
  bool in_model_ = false;
  bool oe1_fields_ = false;  // an OE 1.x-only field was seen in the current model
  bool in_input_ = false;    // inside an input[N] block
  bool in_other_ = false;    // inside an output[N] block
  ModelInfoInput input_;
  int quanti_line_ = 0, scale_line_ = 0;
};

void Parser::StartModel(std::string name) {
  FinishModel();
  models_.emplace_back().name = std::move(name);
  in_model_ = true;
  oe1_fields_ = false;
}

void Parser::Field(ModelInfoInput& input, const std::string& key, absl::string_view value,
                   int line) {
  value = absl::StripAsciiWhitespace(value);
  auto bad = [&](absl::string_view expected) {
    Error(line, absl::StrCat(Name(input), ": ", key, " '", value, "' is not ", expected));
  };
  if (key == "name") {
    if (value.empty()) return bad("a name");
    input.name = std::string(value);
  } else if (key == "input source") {
    input.source = std::string(value);
    oe1_fields_ = true;
  } else if (key == "valid shape" || key == "aligned shape") {
    std::vector<int64_t>& shape = key == "valid shape" ? input.valid_shape : input.aligned_shape;
    if (!ParseIntegers(value, -1, &shape) || shape.empty() || shape.size() > kMaxDims) {
      shape.clear();
      return bad(absl::StrCat("a list of 1 to ", kMaxDims, " dimensions (-1 for dynamic)"));
    }
    for (int64_t dim : shape) {
      if (dim == 0) return bad("a shape: a dimension is 0");
    }
    if (key == "aligned shape") oe1_fields_ = true;
  } else if (key == "aligned byte size") {
    if (!absl::SimpleAtoi(value, &input.aligned_byte_size) || input.aligned_byte_size < -1) {
      input.aligned_byte_size = 0;
      return bad("a byte count (-1 for dynamic)");
    }
  } else if (key == "tensor type") {
    if (!absl::StartsWith(value, "HB_DNN_")) return bad("an HB_DNN_* tensor type");
    input.tensor_type = std::string(value);
  } else if (key == "tensor layout") {
    input.layout = std::string(value);
    oe1_fields_ = true;
  } else if (key == "quanti type") {
    if (value == "NONE") {
      input.quanti = QuantiType::kNone;
    } else if (value == "SHIFT") {
      input.quanti = QuantiType::kShift;
    } else if (value == "SCALE") {
      input.quanti = QuantiType::kScale;
    } else {
      return bad("NONE, SHIFT or SCALE");
    }
    quanti_line_ = line;
  } else if (key == "stride") {
    if (!ParseIntegers(value, -1, &input.stride) || input.stride.empty() ||
        input.stride.size() > kMaxDims) {
      input.stride.clear();
      return bad("a list of byte strides (-1 for dynamic)");
    }
  } else if (key == "scale data") {
    scale_line_ = line;
    if (!ParseScales(value, &input.scale) || input.scale.size() > kMaxValues) {
      input.scale.clear();
      return bad("a list of positive scales");
    }
  } else if (key == "zero point data") {
    if (!ParseIntegers(value, INT32_MIN, &input.zero_point) ||
        input.zero_point.size() > kMaxValues) {
      input.zero_point.clear();
      return bad("a list of integer zero points");
    }
  } else if (key == "shift data") {
    if (!ParseIntegers(value, 0, &input.shift) || input.shift.size() > kMaxValues) {
      input.shift.clear();
      return bad("a list of shifts (0 or more)");
    }
    for (int32_t shift : input.shift) {
      if (shift > 31) return bad("a list of shifts of at most 31");
    }
  } else if (key == "quantize axis" || key == "quantizeaxis") {
    int64_t axis = 0;
    if (!absl::SimpleAtoi(value, &axis) || axis < -1 || axis >= static_cast<int64_t>(kMaxDims)) {
      return bad("an axis index (-1 for per tensor)");
    }
    input.quantize_axis = static_cast<int>(axis);
  }
  // Other keys (new runtime versions print more) are ignored.
}

void Parser::FinishInput() {
  if (!in_input_) return;
  in_input_ = false;
  ModelInfoInput& input = input_;
  const std::string name = Name(input);
  bool complete = true;
  if (input.name.empty()) Error(input.line, absl::StrCat(name, ": no 'name:' line")), complete = false;
  if (input.valid_shape.empty()) {
    Error(input.line, absl::StrCat(name, ": no usable 'valid shape:' line"));
    complete = false;
  }
  if (input.tensor_type.empty()) {
    Error(input.line, absl::StrCat(name, ": no usable 'tensor type:' line"));
    complete = false;
  }
  if (input.quanti == QuantiType::kScale && input.scale.empty()) {
    Error(quanti_line_, absl::StrCat(name, ": quanti type SCALE without 'scale data:'"));
    complete = false;
  }
  if (input.quanti == QuantiType::kShift && input.shift.empty()) {
    Error(quanti_line_, absl::StrCat(name, ": quanti type SHIFT without 'shift data:'"));
    complete = false;
  }
  if (input.quanti == QuantiType::kScale && !input.zero_point.empty() &&
      input.zero_point.size() != 1 && input.zero_point.size() != input.scale.size()) {
    Error(scale_line_, absl::StrCat(name, ": ", input.scale.size(), " scales but ",
                                    input.zero_point.size(), " zero points"));
    complete = false;
  }
  if (!input.stride.empty() && !input.valid_shape.empty() &&
      input.stride.size() != input.valid_shape.size()) {
    Error(input.line, absl::StrCat(name, ": stride has ", input.stride.size(),
                                   " entries for a valid shape of ", input.valid_shape.size(),
                                   " dimensions"));
    complete = false;
  }
  if (!complete) return;
  ModelInfoModel& model = models_.back();
  for (const ModelInfoInput& other : model.inputs) {
    if (other.index == input.index) {
      Error(input.line, absl::StrCat("input[", input.index, "] appears twice (line ", other.line,
                                     ")"));
      return;
    }
    if (other.name == input.name) {
      Error(input.line, absl::StrCat(name, ": the name is already input[", other.index, "]'s"));
      return;
    }
  }
  model.inputs.push_back(std::move(input));
}

void Parser::FinishModel() {
  FinishInput();
  if (!in_model_) return;
  ModelInfoModel& model = models_.back();
  model.form = oe1_fields_ ? ModelInfoForm::kOe1 : ModelInfoForm::kJ6;
  std::sort(model.inputs.begin(), model.inputs.end(),
            [](const ModelInfoInput& a, const ModelInfoInput& b) { return a.index < b.index; });
  for (size_t i = 0; i < model.inputs.size(); ++i) {
    if (model.inputs[i].index != static_cast<int>(i)) {
      errors_.push_back(absl::StrCat(what_, ": model '", model.name, "' has no input[", i,
                                     "] (its inputs must be numbered 0, 1, ...)"));
      break;
    }
  }
}

absl::StatusOr<std::vector<ModelInfoModel>> Parser::Run(absl::string_view text) {
  if (text.size() > kMaxText) {
    return absl::InvalidArgumentError(
        absl::StrCat(what_, ": ", text.size(), " bytes is more than model info text holds (",
                     kMaxText, " at most)"));
  }
  int line_number = 0;
  int inputs = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    absl::ConsumeSuffix(&line, "\r");
    const absl::string_view trimmed = absl::StripAsciiWhitespace(line);
    if (trimmed.empty() || absl::StartsWith(trimmed, "----")) {
      // Blocks end at a blank line or a rule.
      FinishInput();
      in_other_ = false;
      continue;
    }
    if (absl::StartsWith(trimmed, "[model name]:")) {
      StartModel(std::string(absl::StripAsciiWhitespace(trimmed.substr(13))));
      continue;
    }
    // `input[N]:` / `output[N]:` start a block.
    for (absl::string_view kind : {"input[", "output["}) {
      if (!absl::StartsWith(trimmed, kind)) continue;
      absl::string_view rest = trimmed.substr(kind.size());
      const size_t close = rest.find("]:");
      int64_t index = 0;
      if (close == absl::string_view::npos || !absl::SimpleAtoi(rest.substr(0, close), &index) ||
          index < 0 || !absl::StripAsciiWhitespace(rest.substr(close + 2)).empty()) {
        break;  // not a block header: some log line
      }
      FinishInput();
      in_other_ = kind == "output[";
      if (in_other_) break;
      if (!in_model_) StartModel("");
      if (++inputs > kMaxInputs) {
        return absl::InvalidArgumentError(absl::StrCat(what_, ":", line_number, ": more than ",
                                                       kMaxInputs, " inputs"));
      }
      in_input_ = true;
      input_ = ModelInfoInput();
      input_.index = static_cast<int>(index);
      input_.line = line_number;
      quanti_line_ = scale_line_ = line_number;
      break;
    }
    if (!in_input_ || absl::StartsWith(trimmed, "input[")) continue;
    const size_t colon = trimmed.find(':');
    if (colon == absl::string_view::npos) continue;
    Field(input_, NormalizeKey(trimmed.substr(0, colon)), trimmed.substr(colon + 1), line_number);
  }
  FinishModel();
  // Models without inputs are banners or output-only blocks, not models.
  std::vector<ModelInfoModel> models;
  for (ModelInfoModel& model : models_) {
    if (!model.inputs.empty()) models.push_back(std::move(model));
  }
  if (!errors_.empty()) return absl::InvalidArgumentError(absl::StrJoin(errors_, "\n"));
  if (models.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what_, ": no 'input[N]:' block found; expected the output of "
                            "`hrt_model_exec model_info --model_file <model>`"));
  }
  return models;
}

}  // namespace

absl::string_view ToString(ModelInfoForm form) {
  return form == ModelInfoForm::kOe1 ? "OE 1.x" : "J6";
}

absl::string_view ToString(QuantiType type) {
  switch (type) {
    case QuantiType::kNone:
      return "NONE";
    case QuantiType::kShift:
      return "SHIFT";
    case QuantiType::kScale:
      return "SCALE";
  }
  return "?";
}

absl::StatusOr<std::vector<ModelInfoModel>> ParseModelInfo(absl::string_view text,
                                                           absl::string_view what) {
  return Parser(what).Run(text);
}

absl::StatusOr<std::vector<ModelInfoModel>> LoadModelInfoFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return absl::NotFoundError(absl::StrCat(path, ": cannot open model info file"));
  // Read one byte past the limit, so an oversized file is reported without reading it all.
  std::string text(kMaxText + 1, '\0');
  file.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(file.gcount()));
  return ParseModelInfo(text, path);
}

}  // namespace hbprep
