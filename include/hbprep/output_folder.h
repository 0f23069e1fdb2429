// Files hbprep reads and writes, and output folders written all or nothing: what `hbprep
// prepare` and `hbprep calib` write through, and the Python module's calib (python/) with
// them, so a folder is the same whoever writes it.
#ifndef HBPREP_OUTPUT_FOLDER_H_
#define HBPREP_OUTPUT_FOLDER_H_

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "hbprep/plan.h"

namespace hbprep {

// Reads a whole file; false when it cannot be read.
bool ReadFile(const std::string& path, std::string* bytes);

// UNAVAILABLE naming the path when the file cannot be written.
absl::Status WriteFile(const std::filesystem::path& path, absl::string_view bytes);

// The file name (without extension) of a tensor or input name: bytes outside
// [A-Za-z0-9._-], and a leading '.', become %XX (two upper-case hex digits). '%' is outside
// the set, so the encoding is one-to-one, and no name can leave its folder ('/' is %2F,
// ".." is %2E.). Plain names (images_y, data_0_uv) are unchanged. An empty name is "".
std::string FileNameOf(absl::string_view name);
// The name FileNameOf() encoded; nullopt for text FileNameOf() never gives.
std::optional<std::string> NameOfFile(absl::string_view file);

// The tensors of a plan written to one folder: INVALID_ARGUMENT naming both tensors (and
// their inputs) when two share a name, or naming the tensor whose name is empty.
absl::Status CheckTensorNames(const Plan& plan);

// An output folder written all or nothing: files go into a staging folder beside `out`
// (`<out>.hbprep-tmp-<pid>`); Commit() moves it to `out`, replacing an earlier result. An
// output that is destroyed uncommitted removes its staging folder, so a failed run leaves
// no partial files behind. `out` may be missing, an empty folder or an earlier hbprep result
// (a folder holding hbprep's manifest.json, or numbered folders each holding one); anything
// else (a file, a folder of other files) is refused by Open() and Commit(), untouched.
// Messages name `out` after `label`, how the caller asked for it (the CLI's "--out", the
// Python module's "out").
class StagedOutput {
 public:
  explicit StagedOutput(std::filesystem::path out, std::string label = "--out");
  ~StagedOutput();
  StagedOutput(const StagedOutput&) = delete;
  StagedOutput& operator=(const StagedOutput&) = delete;

  // Checks `out` (FAILED_PRECONDITION naming it when it may not be replaced) and creates
  // the staging folder (UNAVAILABLE when it cannot).
  absl::Status Open();
  // Where to write.
  const std::filesystem::path& dir() const { return staging_; }
  absl::Status Commit();

 private:
  std::filesystem::path out_;
  std::string label_;
  std::filesystem::path staging_;
  bool committed_ = false;
};

}  // namespace hbprep

#endif  // HBPREP_OUTPUT_FOLDER_H_
