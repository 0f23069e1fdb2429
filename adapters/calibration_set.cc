#include "hbprep/calibration_set.h"

#include <algorithm>
#include <random>
#include <system_error>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "hbprep/npy.h"
#include "hbprep/output_folder.h"
#include "hbprep/plan_json.h"
#include "hbprep/status_macros.h"

namespace hbprep {

namespace fs = std::filesystem;

bool IsSampleFile(const fs::path& path) {
  const std::string ext = absl::AsciiStrToLower(path.extension().string());
  for (const char* known : {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff", ".npy"}) {
    if (ext == known) return true;
  }
  return false;
}

absl::StatusOr<std::vector<std::string>> ExpandSampleFiles(absl::Span<const std::string> args) {
  std::vector<std::string> files;
  for (const std::string& arg : args) {
    std::error_code error;
    if (!fs::is_directory(arg, error)) {
      files.push_back(arg);
      continue;
    }
    std::vector<std::string> found;
    for (fs::recursive_directory_iterator it(arg, error), end; !error && it != end;
         it.increment(error)) {
      if (it->is_regular_file(error) && IsSampleFile(it->path())) {
        found.push_back(it->path().string());
      }
    }
    if (error) {
      return absl::UnavailableError(absl::StrCat(arg, ": cannot read folder: ", error.message()));
    }
    std::sort(found.begin(), found.end());
    files.insert(files.end(), found.begin(), found.end());
  }
  return files;
}

std::vector<size_t> ShuffledOrder(size_t total, uint64_t seed) {
  std::vector<size_t> order(total);
  for (size_t i = 0; i < total; ++i) order[i] = i;
  std::mt19937_64 rng(seed);
  for (size_t i = 0; i + 1 < total; ++i) {
    const uint64_t range = total - i;
    const uint64_t limit = UINT64_MAX - UINT64_MAX % range;
    uint64_t draw;
    do {
      draw = rng();
    } while (draw >= limit);
    std::swap(order[i], order[i + draw % range]);
  }
  return order;
}

std::pair<std::vector<size_t>, size_t> CalibrationOrder(size_t available, size_t limit,
                                                        uint64_t seed) {
  if (limit > 0 && limit < available) return {ShuffledOrder(available, seed), limit};
  std::vector<size_t> order(available);
  for (size_t i = 0; i < available; ++i) order[i] = i;
  return {std::move(order), available};
}

CalibrationSetWriter::CalibrationSetWriter(fs::path dir, std::vector<std::string> inputs,
                                           bool keep_blank, size_t wanted,
                                           std::string keep_blank_option)
    : dir_(std::move(dir)),
      inputs_(std::move(inputs)),
      keep_blank_(keep_blank),
      wanted_(wanted),
      keep_blank_option_(std::move(keep_blank_option)) {
  for (const std::string& input : inputs_) {
    if (std::find(folders_.begin(), folders_.end(), input) == folders_.end()) {
      folders_.push_back(input);
    }
  }
}

void CalibrationSetWriter::Warn(const std::string& warning) {
  if (std::find(warnings_.begin(), warnings_.end(), warning) == warnings_.end()) {
    warnings_.push_back(warning);
  }
}

absl::Status CalibrationSetWriter::Open() {
  for (const std::string& input : folders_) {
    std::error_code error;
    const fs::path folder = dir_ / FileNameOf(input);
    fs::create_directories(folder, error);
    if (error) {
      return absl::UnavailableError(
          absl::StrCat(folder.string(), ": cannot create folder: ", error.message()));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> CalibrationSetWriter::Add(absl::Span<const std::string> sources,
                                               const Prepared& prepared) {
  for (const std::string& warning : prepared.warnings) Warn(warning);
  const double spread =
      prepared.pixel_stddev.empty()
          ? kBlankStddev
          : *std::min_element(prepared.pixel_stddev.begin(), prepared.pixel_stddev.end());
  if (spread < kBlankStddev) {
    Warn(absl::StrFormat(
        "%s: near-constant image (pixel standard deviation %.2f)%s", sources[0], spread,
        keep_blank_ ? "; kept as asked"
                    : absl::StrCat("; skipped (", keep_blank_option_, " keeps it)")));
    if (!keep_blank_) {
      skipped_.push_back(sources[0]);
      return true;
    }
  }
  nlohmann::ordered_json sample = {{"sources", nlohmann::ordered_json::array()},
                                   {"files", nlohmann::ordered_json::array()}};
  for (const std::string& source : sources) sample["sources"].push_back(source);
  for (const Tensor& tensor : prepared.tensors) {
    // The file of the first binding that feeds the tensor's input names its sample file.
    size_t slot = 0;
    while (slot + 1 < inputs_.size() && inputs_[slot] != tensor.spec.input) ++slot;
    const std::string name =
        absl::StrFormat("%04d_%s.npy", written_, fs::path(sources[slot]).stem().string());
    const fs::path relative = fs::path(FileNameOf(tensor.spec.input)) / name;
    HBPREP_RETURN_IF_ERROR(
        WriteFile(dir_ / relative, EncodeNpy(tensor.spec.dtype, tensor.dense_shape, tensor.data)));
    sample["files"].push_back(relative.string());
  }
  sample["geometry"] = GeometryToJson(prepared.geometry);
  samples_.push_back(std::move(sample));
  if (!plan_) {
    plan_ = prepared.plan;
    versions_ = prepared.versions;
  }
  ++written_;
  return written_ < wanted_;
}

absl::StatusOr<nlohmann::ordered_json> CalibrationSetWriter::Finish() {
  if (written_ < static_cast<size_t>(kFewestCalibrationSamples) ||
      written_ > static_cast<size_t>(kMostCalibrationSamples)) {
    Warn(absl::StrCat("the calibration set has ", written_, " samples; the toolchain asks for ",
                      kFewestCalibrationSamples, " to ", kMostCalibrationSamples));
  }
  if (!plan_) {
    return absl::InvalidArgumentError(absl::StrCat(
        "no usable sample: every image was near-constant (", keep_blank_option_, " keeps them)"));
  }
  nlohmann::ordered_json manifest = PlanToJson(*plan_);
  manifest["samples"] = samples_;
  manifest["skipped"] = skipped_;
  manifest["warnings"] = warnings_;
  manifest["versions"] = nlohmann::ordered_json::object();
  for (const auto& [name, version] : versions_) manifest["versions"][name] = version;
  HBPREP_RETURN_IF_ERROR(WriteFile(dir_ / "manifest.json", DumpJson(manifest) + "\n"));
  return manifest;
}

}  // namespace hbprep
