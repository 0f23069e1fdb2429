#include "client/output.h"

#include <unistd.h>

#include <fstream>
#include <sstream>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"

namespace hbprep {

namespace fs = std::filesystem;

bool ReadFile(const std::string& path, std::string* bytes) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return false;
  std::ostringstream text;
  text << file.rdbuf();
  *bytes = text.str();
  return !file.bad();
}

absl::Status WriteFile(const fs::path& path, absl::string_view bytes) {
  std::ofstream file(path, std::ios::binary);
  file.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  file.close();
  if (!file) return absl::UnavailableError(absl::StrCat(path.string(), ": cannot write"));
  return absl::OkStatus();
}

StagedOutput::StagedOutput(fs::path out) : out_(std::move(out)) {
  staging_ = out_;
  staging_ += absl::StrCat(".hbprep-tmp-", ::getpid());
}

StagedOutput::~StagedOutput() {
  if (committed_) return;
  std::error_code ignored;
  fs::remove_all(staging_, ignored);
}

absl::Status StagedOutput::Open() {
  std::error_code error;
  fs::remove_all(staging_, error);
  if (!fs::create_directories(staging_, error)) {
    return absl::UnavailableError(
        absl::StrCat(staging_.string(), ": cannot create folder: ", error.message()));
  }
  return absl::OkStatus();
}

absl::Status StagedOutput::Commit() {
  std::error_code error;
  fs::path old;
  if (fs::exists(out_, error)) {
    old = out_;
    old += absl::StrCat(".hbprep-old-", ::getpid());
    fs::rename(out_, old, error);
    if (error) {
      return absl::UnavailableError(
          absl::StrCat(out_.string(), ": cannot replace: ", error.message()));
    }
  }
  fs::rename(staging_, out_, error);
  if (error) {
    return absl::UnavailableError(
        absl::StrCat(out_.string(), ": cannot create: ", error.message()));
  }
  committed_ = true;
  if (!old.empty()) fs::remove_all(old, error);
  return absl::OkStatus();
}

}  // namespace hbprep
