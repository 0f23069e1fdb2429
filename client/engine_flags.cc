#include "client/engine_flags.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "client/backend.h"

namespace hbprep {
namespace {

// FORMAT:WxH[:stride=N][:range=full|video], e.g. nv12:1920x1080:range=full.
absl::StatusOr<RawImage> ParseRaw(const std::string& text) {
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("--raw '", text, "': ", why));
  };
  std::vector<std::string> parts = absl::StrSplit(text, ':');
  if (parts.size() < 2) return bad("must be FORMAT:WIDTHxHEIGHT[:stride=N][:range=full|video]");
  RawImage raw;
  const std::vector<std::pair<const char*, RawFormat>> formats = {{"bgr", RawFormat::kBgr},
                                                                  {"rgb", RawFormat::kRgb},
                                                                  {"gray", RawFormat::kGray},
                                                                  {"nv12", RawFormat::kNv12},
                                                                  {"i420", RawFormat::kI420}};
  bool known = false;
  for (const auto& [name, format] : formats) {
    if (parts[0] == name) raw.format = format, known = true;
  }
  if (!known)
    return bad(absl::StrCat("format '", parts[0], "' is not one of bgr, rgb, gray, nv12, i420"));
  std::vector<std::string> size = absl::StrSplit(parts[1], 'x');
  if (size.size() != 2 || !absl::SimpleAtoi(size[0], &raw.width) ||
      !absl::SimpleAtoi(size[1], &raw.height) || raw.width <= 0 || raw.height <= 0) {
    return bad(absl::StrCat("size '", parts[1], "' must be WIDTHxHEIGHT with positive integers"));
  }
  for (size_t i = 2; i < parts.size(); ++i) {
    std::vector<std::string> kv = absl::StrSplit(parts[i], absl::MaxSplits('=', 1));
    if (kv.size() == 2 && kv[0] == "stride") {
      if (!absl::SimpleAtoi(kv[1], &raw.stride) || raw.stride <= 0) {
        return bad(absl::StrCat("stride '", kv[1], "' must be a positive integer"));
      }
    } else if (kv.size() == 2 && kv[0] == "range" && (kv[1] == "full" || kv[1] == "video")) {
      raw.range = kv[1] == "full" ? ColorRange::kRegular : ColorRange::kBt601Video;
    } else {
      return bad(absl::StrCat("'", parts[i], "' is not stride=N, range=full or range=video"));
    }
  }
  return raw;
}

}  // namespace

void AddEngineFlags(FlagSpec* spec) {
  for (const char* flag : {"nv12-recipe", "decode", "raw", "dtype", "max-side", "max-pixels"}) {
    spec->with_value.insert(flag);
  }
  spec->boolean.insert("no-range-conversion");
}

absl::StatusOr<EngineFlags> ParseEngineFlags(const Args& args) {
  EngineFlags flags;
  PrepareOptions& options = flags.options;
  if (std::optional<std::string> recipe = args.Get("nv12-recipe")) {
    options.nv12_recipe = ParseNv12Recipe(*recipe);
    if (!options.nv12_recipe) {
      return absl::InvalidArgumentError(
          absl::StrCat("--nv12-recipe '", *recipe, "' is not one of auto, calc, calc_f32, opencv"));
    }
  }
  if (std::optional<std::string> mode = args.Get("decode")) {
    options.decode = ParseDecodeMode(*mode);
    if (!options.decode) {
      return absl::InvalidArgumentError(
          absl::StrCat("--decode '", *mode, "' is not one of exact, fast"));
    }
  }
  if (std::optional<std::string> text = args.Get("raw")) {
    absl::StatusOr<RawImage> raw = ParseRaw(*text);
    if (!raw.ok()) return raw.status();
    flags.raw = *raw;
  }
  options.convert_range = !args.Has("no-range-conversion");
  if (std::optional<std::string> dtype = args.Get("dtype")) {
    if (*dtype != "float32" && *dtype != "uint8") {
      return absl::InvalidArgumentError(
          absl::StrCat("--dtype '", *dtype, "' is not one of float32, uint8"));
    }
    options.float_as_uint8 = *dtype == "uint8";
  }
  if (std::optional<std::string> text = args.Get("max-side")) {
    int64_t side = 0;
    if (!absl::SimpleAtoi(*text, &side) || side <= 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("--max-side '", *text, "' must be a positive integer"));
    }
    options.max_width = options.max_height = side;
  }
  if (std::optional<std::string> text = args.Get("max-pixels")) {
    if (!absl::SimpleAtoi(*text, &options.max_pixels) || options.max_pixels <= 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("--max-pixels '", *text, "' must be a positive integer"));
    }
  }
  return flags;
}

absl::StatusOr<Args> ParseWorkCommandFlags(const std::vector<std::string>& argv, FlagSpec spec) {
  spec.with_value.insert("jobs");  // client/jobs.h
  AddEngineFlags(&spec);
  AddBackendFlags(&spec);
  absl::StatusOr<Args> args = Args::Parse(argv, spec);
  if (!args.ok()) return args.status();
  if (absl::Status flags = CheckBackendFlags(*args); !flags.ok()) return flags;
  return args;
}

}  // namespace hbprep
