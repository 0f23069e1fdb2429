// `hbprep diff DIR_A DIR_B`: compares two prepared output folders (or folders of plain
// .npy files named after their tensors, as a user's own script writes them) tensor by
// tensor, and checks what the data says about its colour range and channel order.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "adapters/descriptor.h"
#include "adapters/npy.h"
#include "client/args.h"
#include "client/cli.h"
#include "client/commands.h"
#include "client/output.h"
#include "nlohmann/json.hpp"

namespace hbprep {
namespace {

namespace fs = std::filesystem;

// The tensors of a folder by name: the manifest's files when there is one, else every .npy.
absl::StatusOr<std::map<std::string, NpyArray>> LoadFolder(const std::string& dir) {
  std::error_code error;
  if (!fs::is_directory(dir, error)) {
    return absl::NotFoundError(absl::StrCat("'", dir, "' is not a folder"));
  }
  std::map<std::string, std::string> files;  // name -> path
  std::string manifest_text;
  if (ReadFile(dir + "/manifest.json", &manifest_text)) {
    const nlohmann::json manifest = nlohmann::json::parse(manifest_text, nullptr, false);
    if (manifest.is_discarded() || !manifest.contains("tensors")) {
      return absl::InvalidArgumentError(absl::StrCat(dir, "/manifest.json is not a manifest"));
    }
    for (const auto& tensor : manifest["tensors"]) {
      files[tensor.value("name", "")] = dir + "/" + tensor.value("file", "");
    }
  } else {
    for (const auto& entry : fs::directory_iterator(dir, error)) {
      if (entry.path().extension() == ".npy")
        files[entry.path().stem().string()] = entry.path().string();
    }
  }
  std::map<std::string, NpyArray> tensors;
  for (const auto& [name, path] : files) {
    std::string bytes;
    if (!ReadFile(path, &bytes))
      return absl::NotFoundError(absl::StrCat(path, ": cannot read file"));
    absl::StatusOr<NpyArray> array = DecodeNpy(bytes, path);
    if (!array.ok()) return array.status();
    tensors[name] = *std::move(array);
  }
  return tensors;
}

double ValueAt(const NpyArray& a, size_t i) {
  switch (a.dtype) {
    case DType::kUint8:
      return a.data[i];
    case DType::kInt8:
      return static_cast<int8_t>(a.data[i]);
    case DType::kInt32: {
      int32_t v;
      std::memcpy(&v, a.data.data() + i * 4, 4);
      return v;
    }
    case DType::kFloat32: {
      float v;
      std::memcpy(&v, a.data.data() + i * 4, 4);
      return v;
    }
  }
  return 0;
}

std::string Position(const std::vector<int64_t>& shape, size_t index) {
  std::vector<int64_t> position(shape.size());
  for (size_t d = shape.size(); d-- > 0;) {
    position[d] = static_cast<int64_t>(index) % shape[d];
    index /= static_cast<size_t>(shape[d]);
  }
  return absl::StrCat("[", absl::StrJoin(position, ","), "]");
}

struct Comparison {
  std::string name;
  std::string problem;  // set when the tensors cannot be compared value by value
  double max_abs = 0, mean_abs = 0, psnr = INFINITY;
  int64_t differing = 0;
  std::vector<std::string> first;  // "[n,h,w,c]: a vs b"
  bool equal = false;
};

Comparison OnlyIn(const std::string& name, const std::string& dir) {
  Comparison c;
  c.name = name;
  c.problem = absl::StrCat("only in ", dir);
  return c;
}

Comparison Compare(const std::string& name, const NpyArray& a, const NpyArray& b,
                   double tolerance) {
  Comparison c;
  c.name = name;
  if (a.dtype != b.dtype) {
    c.problem = absl::StrCat("dtype ", ToString(a.dtype), " vs ", ToString(b.dtype));
    return c;
  }
  if (a.shape != b.shape) {
    c.problem =
        absl::StrCat("shape ", absl::StrJoin(a.shape, "x"), " vs ", absl::StrJoin(b.shape, "x"));
    return c;
  }
  const size_t count = a.data.size() / static_cast<size_t>(ElementSize(a.dtype));
  double sum_abs = 0, sum_sq = 0, low = INFINITY, high = -INFINITY;
  for (size_t i = 0; i < count; ++i) {
    const double x = ValueAt(a, i), y = ValueAt(b, i), d = std::abs(x - y);
    low = std::min(low, x);
    high = std::max(high, x);
    sum_abs += d;
    sum_sq += d * d;
    c.max_abs = std::max(c.max_abs, d);
    if (d > tolerance) {
      if (c.first.size() < 5) {
        c.first.push_back(absl::StrCat(Position(a.shape, i), ": ", x, " vs ", y));
      }
      ++c.differing;
    }
  }
  if (count > 0) {
    c.mean_abs = sum_abs / count;
    // Peak: the dtype's span for integers, the data's span for floats.
    const double peak = a.dtype == DType::kFloat32 ? std::max(high - low, 1e-12) : 255.0;
    const double mse = sum_sq / count;
    c.psnr = mse == 0 ? INFINITY : 10 * std::log10(peak * peak / mse);
  }
  c.equal = c.differing == 0;
  return c;
}

// What the data says about itself: the range of Y planes, channel order of float images.
std::vector<std::string> RangeChecks(const std::string& folder,
                                     const std::map<std::string, NpyArray>& tensors,
                                     const std::optional<Descriptor>& descriptor) {
  std::vector<std::string> notes;
  for (const auto& [name, array] : tensors) {
    const bool y_plane = array.dtype == DType::kUint8 && name.size() > 2 &&
                         name.compare(name.size() - 2, 2, "_y") == 0;
    if (y_plane && !array.data.empty()) {
      const auto [low_it, high_it] = std::minmax_element(array.data.begin(), array.data.end());
      const int low = *low_it, high = *high_it;
      // Values outside 16..235 prove full range; values filling 16..235 up to both ends
      // suggest video range; anything else cannot tell.
      std::optional<bool> video;
      std::string verdict = "the range cannot be told (inside 16..235 without reaching its ends)";
      if (low < 16 || high > 235) {
        video = false;
        verdict = "full range (values outside 16..235)";
      } else if (low <= 20 && high >= 231) {
        video = true;
        verdict = "video range (16..235, reaching both ends)";
      }
      std::string note =
          absl::StrFormat("%s: %s Y spans %d..%d: %s", folder, name, low, high, verdict);
      if (descriptor && video) {
        for (const InputDescriptor& input : descriptor->inputs) {
          if (name.rfind(input.name + "_", 0) != 0 || input.type_rt != ImageType::kNv12) continue;
          const bool expects_video = input.range == ColorRange::kBt601Video;
          if (*video != expects_video) {
            absl::StrAppend(&note, "; WARNING: input '", input.name, "' has input_space_and_range ",
                            ToString(input.range));
          }
        }
      }
      notes.push_back(note);
    }
    // Calibration data whose channel means fit the descriptor's mean values better when the
    // channels are reversed: BGR given to an RGB model, or the other way round.
    if (!descriptor || array.dtype != DType::kFloat32 || array.shape.size() != 4) continue;
    for (const InputDescriptor& input : descriptor->inputs) {
      if (input.name != name || input.mean.size() != 3 || !input.layout_train) continue;
      if (input.type_train != ImageType::kRgb && input.type_train != ImageType::kBgr) continue;
      const bool nchw = *input.layout_train == Layout::kNCHW;
      const int64_t channels = nchw ? array.shape[1] : array.shape[3];
      if (channels != 3) continue;
      const size_t count = array.data.size() / 4;
      std::array<double, 3> sums{};
      const size_t plane = count / static_cast<size_t>(array.shape[0]) / 3;
      for (size_t i = 0; i < count; ++i) {
        const size_t c = nchw ? (i / plane) % 3 : i % 3;
        sums[c] += ValueAt(array, i);
      }
      std::array<double, 3> means;
      for (int c = 0; c < 3; ++c) {
        double m = sums[c] / (count / 3.0);
        // Back to pixel units: undo std / scale, then mean.
        if (!input.std.empty()) m *= input.std.size() == 3 ? input.std[c] : input.std[0];
        if (!input.scale.empty()) m /= input.scale.size() == 3 ? input.scale[c] : input.scale[0];
        means[c] = m + input.mean[c];
      }
      auto distance = [&](bool swapped) {
        double d = 0;
        for (int c = 0; c < 3; ++c) d += std::abs(means[swapped ? 2 - c : c] - input.mean[c]);
        return d;
      };
      const double spread = std::abs(input.mean[0] - input.mean[2]);
      if (spread >= 5 && distance(true) + spread / 2 < distance(false)) {
        notes.push_back(absl::StrFormat(
            "%s: %s WARNING: channel means %.1f %.1f %.1f fit the descriptor's mean_value "
            "better reversed: %s data given to a %s model?",
            folder, name, means[0], means[1], means[2],
            input.type_train == ImageType::kRgb ? "BGR" : "RGB",
            ToString(input.type_train) == "rgb" ? "RGB" : "BGR"));
      }
    }
  }
  return notes;
}

}  // namespace

int DiffCommand(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  absl::StatusOr<Args> args = Args::Parse(argv, FlagSpec{{"tolerance", "config"}, {"json"}});
  if (!args.ok()) return UsageError(err, args.status().message());
  if (args->positional().size() != 2) return UsageError(err, "diff needs two folders: DIR_A DIR_B");
  double tolerance = 0;
  if (std::optional<std::string> text = args->Get("tolerance")) {
    if (!absl::SimpleAtod(*text, &tolerance) || !(tolerance >= 0)) {
      return UsageError(err, absl::StrCat("--tolerance '", *text, "' must be a number >= 0"));
    }
  }
  std::optional<Descriptor> descriptor;
  if (std::optional<std::string> config = args->Get("config")) {
    absl::StatusOr<Descriptor> loaded = LoadDescriptorFile(*config, nullptr);
    if (!loaded.ok()) return SetupFailure(err, loaded.status());
    descriptor = *std::move(loaded);
  }
  const std::string dir_a = args->positional()[0], dir_b = args->positional()[1];
  absl::StatusOr<std::map<std::string, NpyArray>> a = LoadFolder(dir_a);
  if (!a.ok()) return SetupFailure(err, a.status());
  absl::StatusOr<std::map<std::string, NpyArray>> b = LoadFolder(dir_b);
  if (!b.ok()) return SetupFailure(err, b.status());

  std::vector<Comparison> comparisons;
  for (const auto& [name, array] : *a) {
    auto other = b->find(name);
    if (other == b->end()) {
      comparisons.push_back(OnlyIn(name, dir_a));
    } else {
      comparisons.push_back(Compare(name, array, other->second, tolerance));
    }
  }
  for (const auto& [name, array] : *b) {
    if (!a->count(name)) comparisons.push_back(OnlyIn(name, dir_b));
  }
  std::vector<std::string> notes = RangeChecks(dir_a, *a, descriptor);
  for (const std::string& note : RangeChecks(dir_b, *b, descriptor)) notes.push_back(note);
  const bool equal = std::all_of(comparisons.begin(), comparisons.end(),
                                 [](const Comparison& c) { return c.equal; });

  if (args->Has("json")) {
    nlohmann::ordered_json doc = {{"equal", equal}, {"tolerance", tolerance}};
    doc["tensors"] = nlohmann::ordered_json::array();
    for (const Comparison& c : comparisons) {
      nlohmann::ordered_json t = {{"name", c.name}, {"equal", c.equal}};
      if (!c.problem.empty()) {
        t["problem"] = c.problem;
      } else {
        t["max_abs_diff"] = c.max_abs;
        t["mean_abs_diff"] = c.mean_abs;
        t["psnr_db"] =
            std::isinf(c.psnr) ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(c.psnr);
        t["differing"] = c.differing;
        t["first"] = c.first;
      }
      doc["tensors"].push_back(std::move(t));
    }
    doc["checks"] = notes;
    out << doc.dump(2) << "\n";
  } else {
    for (const Comparison& c : comparisons) {
      if (!c.problem.empty()) {
        out << c.name << ": DIFFERENT " << c.problem << "\n";
        continue;
      }
      out << c.name << ": " << (c.equal ? "equal" : "DIFFERENT")
          << absl::StrFormat(" (max |diff| %g, mean |diff| %g, PSNR %s, %d value(s) beyond %g)",
                             c.max_abs, c.mean_abs,
                             std::isinf(c.psnr) ? "inf" : absl::StrFormat("%.2f dB", c.psnr),
                             c.differing, tolerance)
          << "\n";
      for (const std::string& position : c.first) out << "  " << position << "\n";
    }
    for (const std::string& note : notes) out << note << "\n";
  }
  return equal ? kExitOk : kExitFailed;
}

}  // namespace hbprep
