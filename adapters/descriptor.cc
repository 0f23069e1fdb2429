#include "hbprep/descriptor.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <functional>
#include <sstream>
#include <tuple>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/types/span.h"
#include "adapters/descriptor_names.h"
#include "adapters/steps/step.h"
#include "adapters/toolchain_rules.h"
#include "adapters/utf8.h"
#include "yaml-cpp/yaml.h"

namespace hbprep {
namespace {

bool IsNone(absl::string_view text) {
  return text.empty() || text == "None" || text == "none" || text == "null" || text == "~";
}

std::string ShapeText(absl::Span<const int64_t> shape) { return absl::StrJoin(shape, "x"); }

// The toolchain's transformer lists have a handful of steps; a recipe of more is a mistake or
// an attempt to make each image cost minutes.
constexpr size_t kMaxRecipeSteps = 32;

// Largest tensor hbprep plans for: 2^31 elements. Bigger shapes are typos.
constexpr int64_t kMaxElements = int64_t{1} << 31;

// One per-input entry of a key: nullopt means "not set" (None).
using Entry = std::optional<std::string>;

// ---------------------------------------------------------------------------------------

class Parser {
 public:
  Parser(absl::string_view name, const ParseOptions& options) : source_(options.source) {
    descriptor_.name = std::string(name);
  }

  absl::StatusOr<Descriptor> Run(absl::string_view text, std::vector<std::string>* warnings);

 private:
  void Error(const std::string& message) {
    errors_.push_back(absl::StrCat(source_, ": ", message));
  }
  void Warn(const std::string& message) {
    warnings_.push_back(absl::StrCat(source_, ": ", message));
  }
  void InputError(const InputDescriptor& input, const std::string& message) {
    Error(absl::StrCat("input '", input.name, "': ", message));
  }
  void InputWarn(const InputDescriptor& input, const std::string& message) {
    Warn(absl::StrCat("input '", input.name, "': ", message));
  }

  YAML::Node Section(const YAML::Node& root, const char* key);
  void WarnUnknownKeys(const YAML::Node& section, absl::string_view section_name,
                       absl::Span<const absl::string_view> known);
  // The per-input entries of input_parameters.<key>; nullopt when the key is absent.
  // `joiner` joins a nested list (per-channel values " ", shape dims "x").
  std::optional<std::vector<Entry>> Entries(const YAML::Node& section, const char* key,
                                            const char* joiner);
  // `entries` of `key` checked to hold one per input; nullopt when absent or mismatched.
  std::optional<std::vector<Entry>> PerInput(const char* key,
                                             std::optional<std::vector<Entry>> entries);

  void ParseMarch(const YAML::Node& model);
  void ParseInputs(const YAML::Node& params);
  void ParseInputSource(const YAML::Node& compiler);
  void ParseBatch(const YAML::Node& params);
  void ParseHbprepSection(const YAML::Node& section);
  // kAuto becomes the recipe whose range matches input_space_and_range; a forced recipe
  // that cannot match draws a warning.
  void ResolveNv12Recipes();
  void ParseRecipe(InputDescriptor& input, const YAML::Node& node);
  std::optional<RecipeStep> ParseStep(const InputDescriptor& input, int index,
                                      const YAML::Node& node);
  void CheckRecipeSize(InputDescriptor& input);
  // The YUV step (recipe step `index`) makes YUV444 data: input_type_train must be yuv444.
  void CheckYuvStep(InputDescriptor& input, int index);

  void ParseShape(InputDescriptor& input, const std::string& text);
  std::vector<double> ParseValues(InputDescriptor& input, const char* key, const std::string& text);
  void ValidateInput(InputDescriptor& input);
  void ResolveNormalisation(InputDescriptor& input, const Entry& norm_entry);
  InputDescriptor* FindInput(absl::string_view name);

  std::string source_;
  Descriptor descriptor_;
  std::vector<std::string> errors_;
  std::vector<std::string> warnings_;
  bool inputs_ok_ = false;  // input_name parsed: per-input checks can run
  absl::flat_hash_set<std::string> rt_128_;  // inputs whose input_type_rt is yuv444_128
};

YAML::Node Parser::Section(const YAML::Node& root, const char* key) {
  // A missing key yields an invalid node that throws on use: hand back a null node instead.
  const YAML::Node section = root[key];
  if (!section.IsDefined() || section.IsNull()) return YAML::Node();
  if (!section.IsMap()) {
    Error(absl::StrCat(key, " must be a map of keys"));
    return YAML::Node();
  }
  return section;
}

void Parser::WarnUnknownKeys(const YAML::Node& section, absl::string_view section_name,
                             absl::Span<const absl::string_view> known) {
  if (!section.IsMap()) return;
  for (const auto& item : section) {
    const std::string key = item.first.Scalar();
    if (!IsOneOf(known, key)) {
      Warn(absl::StrCat(section_name, ".", key, " is not a key hbprep knows; ignored"));
    }
  }
}

std::optional<std::vector<Entry>> Parser::Entries(const YAML::Node& section, const char* key,
                                                  const char* joiner) {
  const YAML::Node node = section[key];
  if (!node.IsDefined() || node.IsNull()) return std::nullopt;
  auto entry_of = [](const std::string& text) -> Entry {
    std::string trimmed(absl::StripAsciiWhitespace(text));
    if (IsNone(trimmed)) return std::nullopt;
    return trimmed;
  };
  std::vector<Entry> entries;
  if (node.IsScalar()) {
    for (absl::string_view part : absl::StrSplit(node.Scalar(), ';')) {
      entries.push_back(entry_of(std::string(part)));
    }
    // The toolchain's list parser drops one trailing separator: 'NCHW;' is one entry.
    if (entries.size() > 1 && absl::EndsWith(absl::StripTrailingAsciiWhitespace(node.Scalar()), ";")) {
      entries.pop_back();
    }
    return entries;
  }
  if (node.IsSequence()) {
    if (descriptor_.chip != nullptr && descriptor_.chip->toolchain == Toolchain::kOe1) {
      Warn(absl::StrCat("input_parameters.", key, " is a yaml list; OE 1.x's hb_mapper reads "
                        "only strings ('a; b'), so the toolchain would refuse this file"));
    }
    bool all_scalars = true;
    for (const auto& element : node) all_scalars = all_scalars && element.IsScalar();
    // A flat list of numbers for a one-input model is that input's per-channel values
    // (mean_value: [123.68, 116.28, 103.53]) or its shape ([1, 3, 224, 224]).
    const bool one_input = descriptor_.inputs.size() == 1 && absl::string_view(key) != "input_name";
    if (one_input && all_scalars && node.size() > 1) {
      bool numeric = true;
      std::vector<std::string> parts;
      for (const auto& element : node) {
        double ignored;
        numeric = numeric && absl::SimpleAtod(element.Scalar(), &ignored);
        parts.push_back(element.Scalar());
      }
      if (numeric) return std::vector<Entry>{absl::StrJoin(parts, joiner)};
    }
    for (const auto& element : node) {
      if (element.IsNull()) {
        entries.push_back(std::nullopt);
      } else if (element.IsScalar()) {
        entries.push_back(entry_of(element.Scalar()));
      } else if (element.IsSequence()) {
        std::vector<std::string> parts;
        bool flat = true;
        for (const auto& inner : element) {
          flat = flat && inner.IsScalar();
          if (inner.IsScalar()) parts.push_back(inner.Scalar());
        }
        if (!flat) {
          Error(absl::StrCat("input_parameters.", key, " nests lists too deeply"));
          return std::nullopt;
        }
        entries.push_back(absl::StrJoin(parts, joiner));
      } else {
        Error(absl::StrCat("input_parameters.", key, " entries must be strings, numbers or lists"));
        return std::nullopt;
      }
    }
    return entries;
  }
  Error(absl::StrCat("input_parameters.", key, " must be a string or a list, not a map"));
  return std::nullopt;
}

std::optional<std::vector<Entry>> Parser::PerInput(const char* key,
                                                   std::optional<std::vector<Entry>> entries) {
  if (!entries || !inputs_ok_) return std::nullopt;
  if (entries->size() != descriptor_.inputs.size()) {
    Error(absl::StrFormat("input_parameters.%s has %d entries but input_name has %d", key,
                          entries->size(), descriptor_.inputs.size()));
    return std::nullopt;
  }
  return entries;
}

void Parser::ParseMarch(const YAML::Node& model) {
  const YAML::Node march = model.IsMap() ? model["march"] : YAML::Node();
  if (!march.IsDefined() || march.IsNull() || !march.IsScalar()) {
    Error(absl::StrCat("model_parameters.march is required (one of ", KnownMarches(), ")"));
    return;
  }
  descriptor_.chip = FindChip(march.Scalar());
  if (descriptor_.chip == nullptr) {
    Error(absl::StrCat("model_parameters.march '", march.Scalar(), "' is not one of ",
                       KnownMarches()));
  }
}

InputDescriptor* Parser::FindInput(absl::string_view name) {
  for (InputDescriptor& input : descriptor_.inputs) {
    if (input.name == name) return &input;
  }
  return nullptr;
}

void Parser::ParseShape(InputDescriptor& input, const std::string& text) {
  std::vector<int64_t> dims;
  int64_t elements = 1;
  bool valid = true;
  for (absl::string_view part : absl::StrSplit(text, absl::ByAnyChar("xX"))) {
    int64_t dim = 0;
    if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(part), &dim) || dim <= 0) {
      valid = false;
      break;
    }
    dims.push_back(dim);
    elements = dim > kMaxElements / elements ? kMaxElements + 1 : elements * dim;
  }
  if (!valid || dims.empty()) {
    InputError(input, absl::StrCat("input_shape '", text,
                                   "' is not a list of positive integers like 1x3x224x224"));
    return;
  }
  if (elements > kMaxElements) {
    InputError(input, absl::StrCat("input_shape ", text, " is too large (more than ", kMaxElements,
                                   " elements)"));
    return;
  }
  input.shape = std::move(dims);
}

std::vector<double> Parser::ParseValues(InputDescriptor& input, const char* key,
                                        const std::string& text) {
  std::vector<double> values;
  // Spaces, or commas as the toolchain itself prints them (`123.68,116.779,103.939,`).
  for (absl::string_view part : absl::StrSplit(text, absl::ByAnyChar(" ,"), absl::SkipWhitespace())) {
    double value = 0;
    if (!absl::SimpleAtod(part, &value) || !std::isfinite(value)) {
      InputError(input, absl::StrCat(key, " '", text,
                                     "' is not a list of numbers separated by spaces or commas"));
      return {};
    }
    values.push_back(value);
  }
  return values;
}

void Parser::ParseInputs(const YAML::Node& params) {
  // '' (how the toolchain's templates say "not set") is as good as no key.
  auto unset = [](const std::optional<std::vector<Entry>>& entries) {
    return !entries || (entries->size() == 1 && !entries->front());
  };
  auto names = Entries(params, "input_name", " ");
  if (unset(names)) {
    Error(
        "input_parameters.input_name is required: hbprep reads no ONNX file, so the yaml "
        "must name every input");
  } else {
    absl::flat_hash_set<std::string> seen;
    for (const Entry& name : *names) {
      if (!name) {
        Error("input_parameters.input_name has an empty entry");
        return;
      }
      if (!seen.insert(*name).second) {
        Error(absl::StrCat("input_parameters.input_name lists '", *name, "' twice"));
        return;
      }
      InputDescriptor input;
      input.name = *name;
      descriptor_.inputs.push_back(std::move(input));
    }
    inputs_ok_ = true;
  }
  std::optional<std::vector<Entry>> shape_entries = Entries(params, "input_shape", "x");
  if (unset(shape_entries)) {
    shape_entries.reset();
    Error(
        "input_parameters.input_shape is required: hbprep reads no ONNX file, so the yaml "
        "must give every input's shape (for example 1x3x224x224)");
  }
  if (!inputs_ok_) return;

  const size_t n = descriptor_.inputs.size();
  auto get = [&](const char* key) {
    return PerInput(key, Entries(params, key, " ")).value_or(std::vector<Entry>(n));
  };
  const std::vector<Entry> type_train = get("input_type_train");
  const std::vector<Entry> type_rt = get("input_type_rt");
  const std::vector<Entry> layout_train = get("input_layout_train");
  const std::vector<Entry> layout_rt = get("input_layout_rt");
  const std::vector<Entry> range = get("input_space_and_range");
  const bool shape_given = shape_entries.has_value();
  const std::vector<Entry> shape =
      PerInput("input_shape", std::move(shape_entries)).value_or(std::vector<Entry>(n));
  const std::vector<Entry> mean = get("mean_value");
  const std::vector<Entry> scale = get("scale_value");
  const std::vector<Entry> stdv = get("std_value");
  const std::vector<Entry> norm = get("norm_type");

  for (size_t i = 0; i < n; ++i) {
    InputDescriptor& input = descriptor_.inputs[i];
    bool ok = true;
    if (!type_train[i]) {
      InputError(input,
                 absl::StrCat("input_type_train is required (one of ", NamesOf(kTrainTypes), ")"));
      ok = false;
    } else if (auto t = Lookup(kTrainTypes, *type_train[i])) {
      input.type_train = *t;
    } else {
      InputError(input, absl::StrCat("input_type_train '", *type_train[i], "' is not one of ",
                                     NamesOf(kTrainTypes)));
      ok = false;
    }
    if (!type_rt[i]) {
      InputError(input, absl::StrCat("input_type_rt is required (one of ", NamesOf(kRtTypes), ")"));
      ok = false;
    } else if (auto t = Lookup(kRtTypes, *type_rt[i])) {
      input.type_rt = *t;
    } else if (*type_rt[i] == kYuv444_128) {
      input.type_rt = ImageType::kYuv444;
      rt_128_.insert(input.name);
    } else {
      InputError(input, absl::StrCat("input_type_rt '", *type_rt[i], "' is not one of ",
                                     NamesOf(kRtTypes), ", ", kYuv444_128));
      ok = false;
    }
    if (layout_train[i]) {
      if (auto l = Lookup(kLayouts, *layout_train[i])) {
        input.layout_train = *l;
      } else {
        InputError(input, absl::StrCat("input_layout_train '", *layout_train[i],
                                       "' is not one of NCHW, NHWC"));
        ok = false;
      }
    }
    if (layout_rt[i]) {
      if (auto l = Lookup(kLayouts, *layout_rt[i])) {
        input.layout_rt = *l;
      } else {
        InputError(input,
                   absl::StrCat("input_layout_rt '", *layout_rt[i], "' is not one of NCHW, NHWC"));
      }
    }
    if (range[i]) {
      if (auto r = Lookup(kRanges, *range[i])) {
        input.range = *r;
      } else {
        InputError(input, absl::StrCat("input_space_and_range '", *range[i], "' is not one of ",
                                       NamesOf(kRanges)));
      }
    }
    if (shape[i]) {
      ParseShape(input, *shape[i]);
    } else if (shape_given) {
      InputError(input, "input_shape is required: hbprep reads no ONNX file");
    }
    if (mean[i]) input.mean = ParseValues(input, "mean_value", *mean[i]);
    if (scale[i]) input.scale = ParseValues(input, "scale_value", *scale[i]);
    if (stdv[i]) input.std = ParseValues(input, "std_value", *stdv[i]);
    if (ok) {
      ValidateInput(input);
      ResolveNormalisation(input, norm[i]);
    }
  }
}

void Parser::ValidateInput(InputDescriptor& input) {
  const bool oe1 = descriptor_.chip != nullptr && descriptor_.chip->toolchain == Toolchain::kOe1;
  if (input.is_image()) {
    if (!input.layout_train) {
      InputError(input, absl::StrCat("input_layout_train is required for input_type_train ",
                                     ToString(input.type_train), " (NCHW or NHWC)"));
      input.shape.clear();  // its height and width cannot be told apart
    } else if (!input.shape.empty()) {
      if (input.shape.size() != 4) {
        InputError(input, absl::StrCat("input_shape ", ShapeText(input.shape),
                                       " must have 4 dimensions for input_type_train ",
                                       ToString(input.type_train)));
        input.shape.clear();
      } else {
        const int64_t want = input.type_train == ImageType::kGray ? 1 : 3;
        if (input.channels() != want) {
          InputError(input, absl::StrFormat("input_shape %s has %d channels in layout %s, but "
                                            "input_type_train %s has %d",
                                            ShapeText(input.shape), input.channels(),
                                            ToString(*input.layout_train),
                                            ToString(input.type_train), want));
          input.shape.clear();
        }
      }
    }
  }
  if (!LegalConversion(input.type_train, input.type_rt)) {
    InputError(input, absl::StrCat("input_type_train ", ToString(input.type_train),
                                   " cannot become input_type_rt ", ToString(input.type_rt), " (",
                                   ToString(input.type_train), " allows ",
                                   LegalTargets(input.type_train), ")"));
  }
  input.source = (input.type_rt == ImageType::kNv12 || input.type_rt == ImageType::kGray)
                     ? InputSource::kPyramid
                     : InputSource::kDdr;
  if (input.range == ColorRange::kBt601Video && input.type_rt != ImageType::kNv12) {
    InputError(input, absl::StrCat("input_space_and_range bt601_video is only valid with "
                                   "input_type_rt nv12, got ",
                                   ToString(input.type_rt)));
  }
  const bool even_needed =
      input.type_rt == ImageType::kNv12 || (oe1 && input.type_rt == ImageType::kYuv444);
  if (even_needed && input.shape.size() == 4 && (input.height() % 2 || input.width() % 2)) {
    InputError(input, absl::StrFormat("input_type_rt %s needs even height and width, got %dx%d",
                                      ToString(input.type_rt), input.height(), input.width()));
  }
  if (input.type_rt != ImageType::kFeaturemap && input.layout_rt && !oe1) {
    const Layout implied = input.type_rt == ImageType::kGray ? Layout::kNCHW : Layout::kNHWC;
    if (input.type_rt == ImageType::kNv12 || *input.layout_rt != implied) {
      InputWarn(input, absl::StrCat("input_layout_rt ", ToString(*input.layout_rt),
                                    " is ignored on J6, where input_type_rt ",
                                    ToString(input.type_rt), " implies its layout"));
    }
  }
  if (oe1 && !input.layout_rt && input.type_rt != ImageType::kNv12 &&
      input.type_rt != ImageType::kFeaturemap) {
    // hb_mapper refuses a non-nv12 image input without input_layout_rt; hbprep goes on with the
    // layout the type implies.
    InputWarn(input, absl::StrCat("input_layout_rt is not set; OE 1.x's hb_mapper requires it for "
                                  "input_type_rt ", ToString(input.type_rt), " (hbprep takes ",
                                  input.type_rt == ImageType::kGray ? "NCHW" : "NHWC", ")"));
  }
  if (!oe1) input.layout_rt.reset();
  input.ddr_signed = input.type_rt == ImageType::kRgb || input.type_rt == ImageType::kBgr ||
                     input.type_rt == ImageType::kYuv444 ||
                     (oe1 && input.type_rt == ImageType::kGray);
}

void Parser::ResolveNormalisation(InputDescriptor& input, const Entry& norm_entry) {
  if (!input.is_image()) {
    for (auto [key, values] :
         {std::pair<const char*, const std::vector<double>*>{"mean_value", &input.mean},
          {"scale_value", &input.scale},
          {"std_value", &input.std}}) {
      if (!values->empty()) {
        InputError(input, absl::StrCat(key, " is not allowed on a featuremap input"));
      }
    }
    if (norm_entry && !absl::EqualsIgnoreCase(*norm_entry, "no_preprocess")) {
      InputError(input,
                 absl::StrCat("norm_type ", *norm_entry, " is not allowed on a featuremap input"));
    }
    input.mean.clear();
    input.scale.clear();
    input.std.clear();
    input.norm_type = NormType::kNoPreprocess;
    return;
  }
  const int64_t channels = input.type_train == ImageType::kGray ? 1 : 3;
  for (auto [key, values] :
       {std::pair<const char*, const std::vector<double>*>{"mean_value", &input.mean},
        {"scale_value", &input.scale},
        {"std_value", &input.std}}) {
    if (!values->empty() && values->size() != 1 &&
        static_cast<int64_t>(values->size()) != channels) {
      InputError(input, absl::StrFormat("%s has %d values; give 1 or %d (one per channel of %s)",
                                        key, values->size(), channels, ToString(input.type_train)));
    }
  }
  for (double value : input.std) {
    if (value == 0) {
      InputError(input, "std_value 0 would divide by zero");
      break;
    }
  }
  if (!input.scale.empty() && !input.std.empty()) {
    InputError(input, "scale_value and std_value are mutually exclusive");
    return;
  }
  const bool oe1 = descriptor_.chip != nullptr && descriptor_.chip->toolchain == Toolchain::kOe1;
  const std::string march = descriptor_.chip ? std::string(descriptor_.chip->march) : "";
  if (oe1 && !input.std.empty()) {
    InputError(input, absl::StrCat("std_value needs a J6 (nash) march; OE 1.x (march ", march,
                                   ") takes scale_value, the reciprocal of std"));
    return;
  }
  const bool has_mean = !input.mean.empty(), has_scale = !input.scale.empty(),
             has_std = !input.std.empty();
  const NormType derived = has_mean    ? (has_scale ? NormType::kDataMeanAndScale
                                          : has_std ? NormType::kDataMeanAndStd
                                                    : NormType::kDataMean)
                           : has_scale ? NormType::kDataScale
                           : has_std   ? NormType::kDataStd
                                       : NormType::kNoPreprocess;
  if (!norm_entry) {
    if (oe1 && (has_mean || has_scale)) {
      InputError(input, absl::StrCat(has_scale ? "scale_value" : "mean_value",
                                     " is set but norm_type is not: OE 1.x (march ", march,
                                     ") does not apply it without norm_type (use ",
                                     has_mean && has_scale ? "data_mean_and_scale"
                                     : has_scale           ? "data_scale"
                                                           : "data_mean",
                                     ")"));
      return;
    }
    input.norm_type = derived;
    return;
  }
  auto norm = Lookup(kNormTypes, *norm_entry);
  if (!norm) {
    InputError(input,
               absl::StrCat("norm_type '", *norm_entry, "' is not one of ", NamesOf(kNormTypes)));
    return;
  }
  if (!oe1) {
    // hb_compile derives norm_type from the values given and ignores a written one.
    if (*norm != derived) {
      InputWarn(input, absl::StrCat("norm_type ", ToString(*norm), " disagrees with the values "
                                    "given; J6 (march ", march, ") derives ", ToString(derived),
                                    " from them and ignores the written one, as hbprep does"));
    }
    input.norm_type = derived;
    return;
  }
  if (oe1 && (*norm == NormType::kDataStd || *norm == NormType::kDataMeanAndStd)) {
    InputError(input,
               absl::StrCat(
                   "norm_type ", ToString(*norm), " needs a J6 (nash) march; OE 1.x (march ", march,
                   ") supports no_preprocess, data_mean, data_scale, data_mean_and_scale"));
    return;
  }
  input.norm_type = *norm;
  const bool uses_mean = *norm == NormType::kDataMean || *norm == NormType::kDataMeanAndScale ||
                         *norm == NormType::kDataMeanAndStd;
  const bool uses_scale = *norm == NormType::kDataScale || *norm == NormType::kDataMeanAndScale;
  const bool uses_std = *norm == NormType::kDataStd || *norm == NormType::kDataMeanAndStd;
  for (auto [key, uses, has, values] : {std::tuple<const char*, bool, bool, std::vector<double>*>{
                                            "mean_value", uses_mean, has_mean, &input.mean},
                                        {"scale_value", uses_scale, has_scale, &input.scale},
                                        {"std_value", uses_std, has_std, &input.std}}) {
    if (uses && !has) {
      InputError(input, absl::StrCat("norm_type ", ToString(*norm), " needs ", key));
    } else if (!uses && has) {
      InputWarn(input, absl::StrCat(key, " is set but norm_type ", ToString(*norm),
                                    " does not apply it; ignored"));
      values->clear();
    }
  }
}

void Parser::ParseInputSource(const YAML::Node& compiler) {
  const YAML::Node sources = compiler.IsMap() ? compiler["input_source"] : YAML::Node();
  if (!sources.IsDefined() || sources.IsNull()) return;
  if (!sources.IsMap()) {
    Error("compiler_parameters.input_source must be a map {input_name: ddr|pyramid|resizer}");
    return;
  }
  if (!inputs_ok_) return;
  for (const auto& item : sources) {
    const std::string name = item.first.Scalar();
    InputDescriptor* input = FindInput(name);
    if (input == nullptr) {
      std::vector<std::string> known;
      for (const auto& in : descriptor_.inputs) known.push_back(in.name);
      Error(absl::StrCat("compiler_parameters.input_source names '", name,
                         "', which is not in input_name (", absl::StrJoin(known, ", "), ")"));
      continue;
    }
    const std::string value = item.second.IsScalar() ? item.second.Scalar() : "";
    auto source = Lookup(kSources, value);
    if (!source) {
      InputError(*input,
                 absl::StrCat("input_source '", value, "' is not one of ", NamesOf(kSources)));
      continue;
    }
    input->source = *source;
    if (!SourceAccepts(*source, input->type_rt)) {
      InputError(*input,
                 absl::StrCat("input_source ", ToString(*source), " does not accept input_type_rt ",
                              ToString(input->type_rt), " (", ToString(*source), " accepts ",
                              AcceptedBy(*source), ")"));
    }
  }
}

void Parser::ParseBatch(const YAML::Node& params) {
  const YAML::Node batch = params["input_batch"];
  if (batch.IsDefined() && !batch.IsNull() && !(batch.IsScalar() && IsNone(batch.Scalar()))) {
    int value = 0;
    const int max_batch = descriptor_.chip != nullptr ? descriptor_.chip->max_input_batch : 128;
    if (!batch.IsScalar() || !absl::SimpleAtoi(batch.Scalar(), &value) || value < 1 ||
        value > max_batch) {
      Error(absl::StrCat("input_parameters.input_batch ",
                         batch.IsScalar() ? batch.Scalar() : "(a list)",
                         " must be one integer from 1 to ", max_batch,
                         descriptor_.chip != nullptr
                             ? absl::StrCat(" on ", descriptor_.chip->march)
                             : std::string()));
    } else {
      descriptor_.input_batch = value;
      for (const InputDescriptor& input : descriptor_.inputs) {
        if (!input.shape.empty() && input.shape[0] != 1) {
          InputError(input, absl::StrFormat("input_batch %d needs the first dimension of "
                                            "input_shape to be 1, got %s",
                                            value, ShapeText(input.shape)));
        }
      }
    }
  }

  const YAML::Node separate_batch = params["separate_batch"];
  bool split_all = false;
  if (separate_batch.IsDefined() && !separate_batch.IsNull()) {
    try {
      split_all = separate_batch.as<bool>();
    } catch (const YAML::Exception&) {
      Error(absl::StrCat("input_parameters.separate_batch '",
                         separate_batch.IsScalar() ? separate_batch.Scalar() : "(not a scalar)",
                         "' must be True or False"));
    }
  }
  auto names = Entries(params, "separate_name", " ");
  std::vector<std::string> split_names;
  if (names) {
    for (const Entry& name : *names) {
      if (name) split_names.push_back(*name);
    }
  }
  if (split_all && !split_names.empty()) {
    Error("input_parameters: separate_batch and separate_name are mutually exclusive");
    return;
  }
  if (!inputs_ok_) return;
  for (const std::string& name : split_names) {
    InputDescriptor* input = FindInput(name);
    if (input == nullptr) {
      Error(absl::StrCat("input_parameters.separate_name names '", name,
                         "', which is not in input_name"));
    } else {
      input->separate = true;
    }
  }
  if (split_all) {
    for (InputDescriptor& input : descriptor_.inputs) input.separate = true;
  }
  for (InputDescriptor& input : descriptor_.inputs) {
    const int64_t batch_size = descriptor_.input_batch > 0
                                   ? descriptor_.input_batch
                                   : (input.shape.empty() ? 1 : input.shape[0]);
    if (input.separate && batch_size == 1 && !input.shape.empty()) {
      if (!split_all) InputWarn(input, "separate_name has no effect on an input with batch 1");
      input.separate = false;
    }
  }
}

void Parser::ParseHbprepSection(const YAML::Node& section) {
  if (!section.IsMap()) return;
  Nv12Recipe model_recipe = Nv12Recipe::kAuto;
  for (const auto& item : section) {
    const std::string key = item.first.Scalar();
    if (key == "nv12_recipe") {
      auto recipe = Lookup(kNv12Recipes, item.second.IsScalar() ? item.second.Scalar() : "");
      if (!recipe) {
        Error(absl::StrCat("hbprep.nv12_recipe '",
                           item.second.IsScalar() ? item.second.Scalar() : "", "' is not one of ",
                           NamesOf(kNv12Recipes)));
      } else {
        model_recipe = *recipe;
      }
    } else if (key == "decode") {
      auto mode = Lookup(kDecodeModes, item.second.IsScalar() ? item.second.Scalar() : "");
      if (!mode) {
        Error(absl::StrCat("hbprep.decode '", item.second.IsScalar() ? item.second.Scalar() : "",
                           "' is not one of ", NamesOf(kDecodeModes)));
      } else {
        descriptor_.decode = *mode;
      }
    } else if (key != "inputs") {
      Error(absl::StrCat("hbprep.", key,
                         " is not a key of the hbprep section (nv12_recipe, decode, inputs)"));
    }
  }
  for (InputDescriptor& input : descriptor_.inputs) input.nv12_recipe = model_recipe;

  const YAML::Node inputs = section["inputs"];
  if (inputs.IsDefined() && !inputs.IsNull()) {
    if (!inputs.IsMap()) {
      Error("hbprep.inputs must be a map {input_name: {recipe, read, nv12_recipe, ddr_dtype}}");
    } else if (inputs_ok_) {
      for (const auto& item : inputs) {
        const std::string name = item.first.Scalar();
        InputDescriptor* input = FindInput(name);
        if (input == nullptr) {
          Error(absl::StrCat("hbprep.inputs names '", name, "', which is not in input_name"));
          continue;
        }
        if (!item.second.IsMap()) {
          InputError(*input, "hbprep.inputs entry must be a map {recipe, read, nv12_recipe, ddr_dtype}");
          continue;
        }
        for (const auto& field : item.second) {
          const std::string key = field.first.Scalar();
          const std::string value = field.second.IsScalar() ? field.second.Scalar() : "";
          if (key == "recipe") {
            ParseRecipe(*input, field.second);
          } else if (key == "nv12_recipe") {
            auto recipe = Lookup(kNv12Recipes, value);
            if (!recipe) {
              InputError(*input, absl::StrCat("hbprep nv12_recipe '", value, "' is not one of ",
                                              NamesOf(kNv12Recipes)));
            } else {
              input->nv12_recipe = *recipe;
              if (input->type_rt != ImageType::kNv12) {
                InputWarn(*input, absl::StrCat("hbprep nv12_recipe has no effect on input_type_rt ",
                                               ToString(input->type_rt)));
              }
            }
          } else if (key == "read") {
            auto mode = Lookup(kReadModes, value);
            if (!mode) {
              InputError(*input, absl::StrCat("hbprep read '", value, "' is not one of ",
                                              NamesOf(kReadModes)));
            } else {
              input->read = *mode;
            }
          } else if (key == "ddr_dtype") {
            if (value != "int8" && value != "uint8") {
              InputError(*input,
                         absl::StrCat("hbprep ddr_dtype '", value, "' is not one of int8, uint8"));
            } else if (input->source != InputSource::kDdr || !input->is_image()) {
              InputWarn(*input, "hbprep ddr_dtype applies to ddr image inputs only; ignored");
            } else if (rt_128_.count(input->name) && value == "uint8") {
              InputError(*input, "hbprep ddr_dtype uint8 contradicts input_type_rt yuv444_128, "
                                 "which is YUV444 minus 128 as int8");
            } else {
              input->ddr_signed = value == "int8";
            }
          } else {
            InputError(*input, absl::StrCat("hbprep.inputs.", name, ".", key,
                                            " is not one of recipe, read, nv12_recipe, ddr_dtype"));
          }
        }
      }
    }
  }
}

void Parser::ResolveNv12Recipes() {
  for (InputDescriptor& input : descriptor_.inputs) {
    if (input.type_rt != ImageType::kNv12) continue;
    const Nv12Recipe matching =
        input.range == ColorRange::kRegular ? Nv12Recipe::kCalc : Nv12Recipe::kOpencv;
    if (input.nv12_recipe == Nv12Recipe::kAuto) {
      // Regular range stays auto: calc in the precision of the data, decided per image.
      if (input.range != ColorRange::kRegular) input.nv12_recipe = matching;
    } else if ((input.nv12_recipe == Nv12Recipe::kOpencv) != (matching == Nv12Recipe::kOpencv)) {
      InputWarn(input, absl::StrCat("nv12_recipe ", ToString(input.nv12_recipe), " produces ",
                                    input.nv12_recipe == Nv12Recipe::kOpencv ? "video" : "full",
                                    " range but input_space_and_range is ", ToString(input.range),
                                    ": the model will see shifted colours"));
    }
  }
}

void Parser::ParseRecipe(InputDescriptor& input, const YAML::Node& node) {
  if (!input.is_image()) {
    InputError(input, "hbprep recipe is for image inputs, not featuremap");
    return;
  }
  if (!node.IsSequence()) {
    InputError(input,
               "hbprep recipe must be a list of steps such as [{ShortSideResize: 256}, "
               "{CenterCrop: 224}]");
    return;
  }
  if (node.size() > kMaxRecipeSteps) {
    InputError(input, absl::StrCat("hbprep recipe has ", node.size(), " steps, more than the ",
                                   kMaxRecipeSteps, " hbprep runs"));
    return;
  }
  int index = 0;
  for (const auto& element : node) {
    ++index;
    if (auto step = ParseStep(input, index, element)) {
      if (step->kind == RecipeStep::Kind::kYuv) CheckYuvStep(input, index);
      input.recipe.push_back(*step);
    }
  }
  CheckRecipeSize(input);
}

namespace {

// A step's YAML arguments as its row asks for them (adapters/steps/step.h).
class YamlStepArgs : public StepArgs {
 public:
  // `args`: the value after the step's name (undefined or null when there is none).
  YamlStepArgs(const YAML::Node& args, std::function<void(const std::string&)> fail)
      : args_(args), fail_(std::move(fail)) {
    if (args_.IsMap()) {
      for (const auto& field : args_) keys_.push_back({field.first.Scalar(), false});
    }
  }

  void Size(SizeForm form, std::vector<int>* size, bool optional) override {
    asked_size_ = true;
    YAML::Node value;
    if (args_.IsMap()) {
      if (Consume("size")) value = args_["size"];
    } else if (args_.IsDefined() && !args_.IsNull()) {
      value = args_;
      bare_used_ = true;
    }
    if (!value.IsDefined() || value.IsNull()) {
      if (!optional) Fail("needs a size");
      return;
    }
    const bool pair = form != SizeForm::kSquare;
    if (value.IsSequence()) {
      if (!pair || value.size() != 2) {
        Fail(pair ? "size must be [height, width]" : "size must be one integer");
        return;
      }
      size->assign(2, 0);
      ReadInt(value[0], "height", 1, 65536, &(*size)[0]);
      ReadInt(value[1], "width", 1, 65536, &(*size)[1]);
      return;
    }
    size->assign(1, 0);
    ReadInt(value, "size", 1, 65536, &(*size)[0]);
    if (form == SizeForm::kPair) size->push_back((*size)[0]);
  }

  void Int(absl::string_view key, int lo, int hi, int* out, bool required) override {
    if (!Consume(key)) {
      if (required) Fail(absl::StrCat("needs ", key));
      return;
    }
    ReadInt(args_[std::string(key)], key, lo, hi, out);
  }

  void Number(absl::string_view key, double lo, double hi, double* out) override {
    if (!Consume(key)) return;
    const YAML::Node value = args_[std::string(key)];
    const std::string text = value.IsScalar() ? value.Scalar() : "";
    double parsed = 0;
    if (!value.IsScalar() || !absl::SimpleAtod(text, &parsed) || !(parsed >= lo) ||
        !(parsed <= hi)) {
      Fail(absl::StrCat(key, " must be a number from ", lo, " to ", hi, ", got '", text, "'"));
      return;
    }
    *out = parsed;
  }

  void Choice(absl::string_view key, absl::Span<const absl::string_view> names, int* out,
              bool required) override {
    if (!Consume(key)) {
      if (required) Fail(absl::StrCat("needs ", key, " (", absl::StrJoin(names, ", "), ")"));
      return;
    }
    const YAML::Node value = args_[std::string(key)];
    const std::string text = value.IsScalar() ? value.Scalar() : "";
    for (size_t i = 0; i < names.size(); ++i) {
      if (absl::EqualsIgnoreCase(names[i], text)) {
        *out = static_cast<int>(i);
        return;
      }
    }
    Fail(absl::StrCat(key, " '", text, "' is not one of ", absl::StrJoin(names, ", ")));
  }

  void Interpolation(absl::Span<const ::hbprep::Interpolation> allowed,
                     ::hbprep::Interpolation* out) override {
    if (!Consume("interpolation")) return;
    const YAML::Node value = args_["interpolation"];
    const std::string text = value.IsScalar() ? value.Scalar() : "";
    auto interpolation = Lookup(kInterpolations, text);
    if (!interpolation ||
        std::find(allowed.begin(), allowed.end(), *interpolation) == allowed.end()) {
      Fail(absl::StrCat("interpolation '", text, "' is not one of ",
                        absl::StrJoin(allowed, ", ", [](std::string* o, ::hbprep::Interpolation i) {
                          absl::StrAppend(o, ToString(i));
                        })));
      return;
    }
    *out = *interpolation;
  }

  void None() override {
    if (args_.IsDefined() && !args_.IsNull() && !(args_.IsMap() && args_.size() == 0)) {
      Fail("takes no arguments");
    }
    bare_used_ = true;
    for (auto& key : keys_) key.second = true;  // reported once, above
  }

  void Fail(absl::string_view message) override {
    ok_ = false;
    fail_(std::string(message));
  }

  // After the row's parse: the keys it did not ask for, a bare value it does not take.
  bool Finish() {
    for (const auto& [key, used] : keys_) {
      if (!used) Fail(absl::StrCat("'", key, "' is not an argument of this step"));
    }
    if (!args_.IsMap() && args_.IsDefined() && !args_.IsNull() && !bare_used_) {
      Fail("takes {key: value} arguments");
    }
    return ok_;
  }

 private:
  bool Consume(absl::string_view key) {
    for (auto& [name, used] : keys_) {
      if (name == key) {
        used = true;
        return true;
      }
    }
    return false;
  }
  void ReadInt(const YAML::Node& value, absl::string_view what, int lo, int hi, int* out) {
    int parsed = 0;
    if (!value.IsScalar() || !absl::SimpleAtoi(value.Scalar(), &parsed) || parsed < lo ||
        parsed > hi) {
      Fail(absl::StrCat(what, " must be an integer from ", lo, " to ", hi, ", got '",
                        value.IsScalar() ? value.Scalar() : "(not a number)", "'"));
      return;
    }
    *out = parsed;
  }

  const YAML::Node args_;
  std::function<void(const std::string&)> fail_;
  std::vector<std::pair<std::string, bool>> keys_;  // a map's keys, and whether asked for
  bool asked_size_ = false, bare_used_ = false, ok_ = true;
};

}  // namespace

std::optional<RecipeStep> Parser::ParseStep(const InputDescriptor& input, int index,
                                            const YAML::Node& node) {
  std::string name;
  YAML::Node args;
  if (node.IsScalar()) {
    name = node.Scalar();
  } else if (node.IsMap() && node.size() == 1) {
    name = node.begin()->first.Scalar();
    args = node.begin()->second;
  } else {
    InputError(input, absl::StrFormat("hbprep recipe step %d must be a step name or a map with "
                                      "one key, the step name",
                                      index));
    return std::nullopt;
  }
  const StepType* row = FindStepType(name);
  if (row == nullptr) {
    InputError(input, absl::StrFormat("hbprep recipe step %d '%s' is not one of %s", index, name,
                                      StepNames()));
    return std::nullopt;
  }
  RecipeStep step;
  step.kind = row->kind;
  const std::string where = absl::StrFormat("hbprep recipe step %d (%s)", index, row->name);
  YamlStepArgs reader(args, [&](const std::string& message) {
    InputError(input, absl::StrCat(where, ": ", message));
  });
  row->parse(reader, step);
  if (!reader.Finish()) return std::nullopt;
  return step;
}

void Parser::CheckYuvStep(InputDescriptor& input, int index) {
  if (input.type_train != ImageType::kYuv444) {
    InputError(input, absl::StrFormat("hbprep recipe step %d (YUV) makes YUV444 data, but "
                                      "input_type_train is %s",
                                      index, ToString(input.type_train)));
  } else if (input.type_rt != ImageType::kNv12 && input.type_rt != ImageType::kYuv444) {
    InputError(input, absl::StrFormat("hbprep recipe step %d (YUV) makes YUV444 data, which "
                                      "input_type_rt %s does not take",
                                      index, ToString(input.type_rt)));
  } else if (input.type_rt == ImageType::kNv12 && input.range == ColorRange::kRegular) {
    InputWarn(input, absl::StrFormat("hbprep recipe step %d (YUV) makes video-range YUV "
                                     "(OpenCV's I420) but input_space_and_range is regular",
                                     index));
  }
}

void Parser::CheckRecipeSize(InputDescriptor& input) {
  if (input.recipe.empty() || input.shape.size() != 4) return;
  // Follow the output size through the steps while it does not depend on the image.
  std::optional<cv::Size> size;
  for (const RecipeStep& step : input.recipe) {
    size = StepTypeOf(step.kind).fixed_size(step, size);
  }
  if (!size) {
    InputWarn(input, absl::StrFormat("hbprep recipe ends with a size that depends on the image; "
                                     "hbprep resizes its result to %dx%d (linear)",
                                     input.height(), input.width()));
  } else if (size->height != input.height() || size->width != input.width()) {
    InputError(input, absl::StrFormat("hbprep recipe produces %dx%d but input_shape %s needs %dx%d",
                                      size->height, size->width, ShapeText(input.shape),
                                      input.height(), input.width()));
  }
}

absl::StatusOr<Descriptor> Parser::Run(absl::string_view text, std::vector<std::string>* warnings) {
  // YAML is UTF-8 text; names and values end up in JSON documents, which must be too.
  if (const size_t bad = InvalidUtf8(text); bad != absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s: not UTF-8 text (byte 0x%02X at offset %d)", source_,
                        static_cast<unsigned char>(text[bad]), bad));
  }
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::ParserException& e) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s: not valid yaml at line %d, column %d: %s", source_, e.mark.line + 1,
                        e.mark.column + 1, e.msg));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(source_, ": not valid yaml: ", e.what()));
  }
  if (!root.IsMap()) {
    return absl::InvalidArgumentError(
        absl::StrCat(source_,
                     ": the descriptor must be a yaml map with model_parameters and "
                     "input_parameters"));
  }
  try {
    const YAML::Node model = Section(root, "model_parameters");
    const YAML::Node params = Section(root, "input_parameters");
    const YAML::Node compiler = Section(root, "compiler_parameters");
    const YAML::Node hbprep = Section(root, "hbprep");
    WarnUnknownKeys(model, "model_parameters", kModelKeys);
    WarnUnknownKeys(params, "input_parameters", kInputKeys);
    WarnUnknownKeys(compiler, "compiler_parameters", kCompilerKeys);
    ParseMarch(model);
    if (!params.IsMap()) {
      Error(
          "input_parameters is required: hbprep reads no ONNX file, so the yaml must "
          "describe every input");
    } else {
      ParseInputs(params);
      ParseInputSource(compiler);
      ParseBatch(params);
    }
    ParseHbprepSection(hbprep);
    ResolveNv12Recipes();
  } catch (const YAML::Exception& e) {
    Error(absl::StrCat("unexpected yaml structure: ", e.what()));
  }
  if (!errors_.empty()) return absl::InvalidArgumentError(absl::StrJoin(errors_, "\n"));
  if (warnings != nullptr) {
    warnings->insert(warnings->end(), warnings_.begin(), warnings_.end());
  }
  return std::move(descriptor_);
}

}  // namespace

absl::string_view ToString(ImageType type) {
  return type == ImageType::kNv12 ? "nv12" : NameOf(kTrainTypes, type);
}
absl::string_view ToString(Layout layout) { return NameOf(kLayouts, layout); }
absl::string_view ToString(InputSource source) { return NameOf(kSources, source); }
absl::string_view ToString(ColorRange range) { return NameOf(kRanges, range); }
absl::string_view ToString(NormType norm) { return NameOf(kNormTypes, norm); }
std::optional<NormType> ParseNormType(absl::string_view name) { return Lookup(kNormTypes, name); }
absl::string_view ToString(Nv12Recipe recipe) { return NameOf(kNv12Recipes, recipe); }
std::optional<Nv12Recipe> ParseNv12Recipe(absl::string_view name) {
  return Lookup(kNv12Recipes, name);
}
absl::string_view ToString(DecodeMode mode) { return NameOf(kDecodeModes, mode); }
std::optional<DecodeMode> ParseDecodeMode(absl::string_view name) {
  return Lookup(kDecodeModes, name);
}
absl::string_view ToString(Interpolation interpolation) {
  return NameOf(kInterpolations, interpolation);
}
absl::string_view ToString(ReadMode mode) { return NameOf(kReadModes, mode); }
absl::string_view ToString(ResizeMode mode) { return NameOf(kResizeModes, mode); }

int64_t InputDescriptor::height() const {
  return *layout_train == Layout::kNCHW ? shape[2] : shape[1];
}
int64_t InputDescriptor::width() const {
  return *layout_train == Layout::kNCHW ? shape[3] : shape[2];
}
int64_t InputDescriptor::channels() const {
  return *layout_train == Layout::kNCHW ? shape[1] : shape[3];
}

absl::StatusOr<Descriptor> ParseDescriptor(absl::string_view yaml_text, absl::string_view name,
                                           const ParseOptions& options,
                                           std::vector<std::string>* warnings) {
  return Parser(name, options).Run(yaml_text, warnings);
}

absl::StatusOr<Descriptor> LoadDescriptorFile(const std::string& path,
                                              std::vector<std::string>* warnings) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return absl::NotFoundError(absl::StrCat(path, ": cannot open descriptor file"));
  std::ostringstream text;
  text << file.rdbuf();
  absl::string_view stem = path;
  if (size_t slash = stem.find_last_of('/'); slash != absl::string_view::npos) {
    stem.remove_prefix(slash + 1);
  }
  if (size_t dot = stem.find_last_of('.'); dot != absl::string_view::npos && dot > 0) {
    stem = stem.substr(0, dot);
  }
  ParseOptions options;
  options.source = path;
  return ParseDescriptor(text.str(), stem, options, warnings);
}

}  // namespace hbprep
