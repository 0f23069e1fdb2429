// Files the CLI reads and writes, and output folders written all or nothing.
#ifndef HBPREP_CLIENT_OUTPUT_H_
#define HBPREP_CLIENT_OUTPUT_H_

#include <filesystem>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace hbprep {

// Reads a whole file; false when it cannot be read.
bool ReadFile(const std::string& path, std::string* bytes);

// UNAVAILABLE naming the path when the file cannot be written.
absl::Status WriteFile(const std::filesystem::path& path, absl::string_view bytes);

// An output folder written all or nothing: files go into a staging folder beside `out`
// (`<out>.hbprep-tmp-<pid>`); Commit() moves it to `out`, replacing an earlier result. An
// output that is destroyed uncommitted removes its staging folder, so a failed run leaves
// no partial files behind.
class StagedOutput {
 public:
  explicit StagedOutput(std::filesystem::path out);
  ~StagedOutput();
  StagedOutput(const StagedOutput&) = delete;
  StagedOutput& operator=(const StagedOutput&) = delete;

  // Creates the staging folder; UNAVAILABLE when it cannot.
  absl::Status Open();
  // Where to write.
  const std::filesystem::path& dir() const { return staging_; }
  absl::Status Commit();

 private:
  std::filesystem::path out_;
  std::filesystem::path staging_;
  bool committed_ = false;
};

}  // namespace hbprep

#endif  // HBPREP_CLIENT_OUTPUT_H_
