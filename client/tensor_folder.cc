#include "client/tensor_folder.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "hbprep/output_folder.h"
#include "nlohmann/json.hpp"

namespace hbprep {

namespace fs = std::filesystem;

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
      if (!tensor.is_object() || !tensor.contains("name") || !tensor["name"].is_string() ||
          !tensor.contains("file") || !tensor["file"].is_string()) {
        return absl::InvalidArgumentError(
            absl::StrCat(dir, "/manifest.json: a tensor without a name or file"));
      }
      // A file of the folder itself, never a path elsewhere.
      const std::string file = tensor["file"].get<std::string>();
      if (file.empty() || file == "." || file == ".." || file.find('/') != std::string::npos) {
        return absl::InvalidArgumentError(
            absl::StrCat(dir, "/manifest.json: tensor '", tensor["name"].get<std::string>(),
                         "' has file '", file, "', which is not a file name of the folder"));
      }
      files[tensor["name"].get<std::string>()] = dir + "/" + file;
    }
  } else {
    // Plain .npy files: the stem is the tensor's name, encoded as hbprep encodes it
    // (FileNameOf), or taken as it is when it is no such encoding.
    for (const auto& entry : fs::directory_iterator(dir, error)) {
      if (entry.path().extension() != ".npy") continue;
      const std::string stem = entry.path().stem().string();
      files[NameOfFile(stem).value_or(stem)] = entry.path().string();
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

namespace {

// An IEEE 754 binary16 value.
double HalfValue(uint16_t bits) {
  const int sign = bits >> 15, exponent = (bits >> 10) & 0x1f, fraction = bits & 0x3ff;
  double magnitude;
  if (exponent == 0) {
    magnitude = std::ldexp(fraction, -24);  // subnormal
  } else if (exponent == 31) {
    magnitude = fraction == 0 ? std::numeric_limits<double>::infinity()
                              : std::numeric_limits<double>::quiet_NaN();
  } else {
    magnitude = std::ldexp(fraction + 1024, exponent - 25);
  }
  return sign ? -magnitude : magnitude;
}

}  // namespace

double ValueAt(const NpyArray& a, size_t i) {
  switch (a.dtype) {
    case DType::kUint8:
    case DType::kBool:
      return a.data[i];
    case DType::kInt8:
      return static_cast<int8_t>(a.data[i]);
    case DType::kInt16: {
      int16_t v;
      std::memcpy(&v, a.data.data() + i * 2, 2);
      return v;
    }
    case DType::kUint16: {
      uint16_t v;
      std::memcpy(&v, a.data.data() + i * 2, 2);
      return v;
    }
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
    case DType::kFloat16: {
      uint16_t v;
      std::memcpy(&v, a.data.data() + i * 2, 2);
      return HalfValue(v);
    }
    case DType::kInt64: {
      int64_t v;
      std::memcpy(&v, a.data.data() + i * 8, 8);
      return static_cast<double>(v);
    }
  }
  return 0;
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

}  // namespace hbprep
