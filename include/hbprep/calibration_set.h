// A calibration set as the toolchain's calibration step reads it (cal_data_dir per input): one
// folder per input holding one .npy per sample, named `NNNN_<stem>.npy`, and a manifest.
// `hbprep calib` and the Python module's Model.calib() write it through this one writer, so
// the same images give the same folder either way.
//
// The rules, in one place: folders given as inputs are searched recursively for sample files
// (sorted by path); with a limit, samples are drawn in a seeded random order until that many
// are written; near-constant images (a pixel standard deviation below kBlankStddev after the
// recipe) are skipped unless kept; a set outside the toolchain's 20 to 100 samples draws a
// warning; every warning is reported once, in the order it arose.
//
// Thread-safety: a CalibrationSetWriter is used from one thread at a time.
#ifndef HBPREP_CALIBRATION_SET_H_
#define HBPREP_CALIBRATION_SET_H_

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "hbprep/engine.h"
#include "hbprep/plan.h"
#include "nlohmann/json.hpp"

namespace hbprep {

// The toolchain asks for 20 to 100 calibration samples.
inline constexpr int kFewestCalibrationSamples = 20;
inline constexpr int kMostCalibrationSamples = 100;
// A pixel standard deviation below this (0..255 units) marks a blank or single-colour image.
inline constexpr double kBlankStddev = 2.0;

// Whether `path` has a sample file's extension (.jpg .jpeg .png .bmp .webp .tif .tiff .npy,
// any case).
bool IsSampleFile(const std::filesystem::path& path);

// Files as given, folders expanded to their sample files (recursively, sorted by path).
// UNAVAILABLE naming the folder when one cannot be read.
absl::StatusOr<std::vector<std::string>> ExpandSampleFiles(absl::Span<const std::string> args);

// 0 .. total-1 shuffled reproducibly from `seed`: Fisher-Yates over mt19937_64, whose
// sequence the C++ standard fixes, with an unbiased draw of its own (std::shuffle and the
// standard distributions differ between library implementations).
std::vector<size_t> ShuffledOrder(size_t total, uint64_t seed);

// Which of `available` samples are prepared, in the order they are tried: with 0 < limit <
// available, all of them in ShuffledOrder(available, seed), of which the first `limit` usable
// ones are written; otherwise all of them in file order. Returns the order and the number to
// write.
std::pair<std::vector<size_t>, size_t> CalibrationOrder(size_t available, size_t limit,
                                                        uint64_t seed);

// Writes prepared samples into a folder (a StagedOutput's, hbprep/output_folder.h) and the
// manifest when done.
class CalibrationSetWriter {
 public:
  // `dir`: where to write; `inputs`: the input each file of a sample feeds (one per binding,
  // in order); `keep_blank`: near-constant samples are written too; `wanted`: how many
  // samples to write (CalibrationOrder's second value); `keep_blank_option`: how warnings
  // name the option that keeps them (the CLI's "--keep-blank").
  CalibrationSetWriter(std::filesystem::path dir, std::vector<std::string> inputs, bool keep_blank,
                       size_t wanted, std::string keep_blank_option = "--keep-blank");

  // Creates one folder per input (named FileNameOf(input): none leaves `dir`). UNAVAILABLE
  // when it cannot.
  absl::Status Open();

  // One prepared sample and its files (`sources`, one per binding): written, or skipped when
  // near-constant. Returns whether more samples are wanted; UNAVAILABLE when a file cannot be
  // written.
  absl::StatusOr<bool> Add(absl::Span<const std::string> sources, const Prepared& prepared);

  // The manifest (the plan's document with "samples", "skipped", "warnings", "versions"),
  // written to `dir`/manifest.json; the count warning added first. INVALID_ARGUMENT when no
  // sample was usable (every image near-constant).
  absl::StatusOr<nlohmann::ordered_json> Finish();

  size_t written() const { return written_; }
  size_t skipped() const { return skipped_.size(); }
  // Every warning once, in the order it arose (the samples' and the writer's).
  const std::vector<std::string>& warnings() const { return warnings_; }
  // The input folders' names, in order, each once.
  const std::vector<std::string>& input_folders() const { return folders_; }

 private:
  void Warn(const std::string& warning);

  std::filesystem::path dir_;
  std::vector<std::string> inputs_;
  std::vector<std::string> folders_;
  bool keep_blank_;
  size_t wanted_;
  std::string keep_blank_option_;
  size_t written_ = 0;
  nlohmann::ordered_json samples_ = nlohmann::ordered_json::array();
  std::vector<std::string> skipped_;
  std::vector<std::string> warnings_;
  std::optional<Plan> plan_;
  std::vector<std::pair<std::string, std::string>> versions_;
};

}  // namespace hbprep

#endif  // HBPREP_CALIBRATION_SET_H_
