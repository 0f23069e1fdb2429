#include "hbprep/output_folder.h"

#include <unistd.h>

#include <fstream>
#include <sstream>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

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

namespace {

bool PlainByte(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;  // lower-case digits are not what FileNameOf() writes
}

// A folder holding hbprep's manifest (a JSON object with "model" and "tensors" or "samples").
bool HoldsManifest(const fs::path& dir) {
  std::string text;
  std::error_code error;
  if (!fs::is_regular_file(dir / "manifest.json", error)) return false;
  if (!ReadFile((dir / "manifest.json").string(), &text)) return false;
  const nlohmann::json manifest = nlohmann::json::parse(text, nullptr, false);
  return manifest.is_object() && manifest.contains("model") &&
         (manifest.contains("tensors") || manifest.contains("samples"));
}

// OK when `out` may be replaced: missing, an empty folder, or an earlier hbprep result (its
// manifest, or numbered folders of several requests each with its manifest).
absl::Status CheckReplaceable(const fs::path& out, absl::string_view label) {
  std::error_code error;
  const fs::file_status status = fs::symlink_status(out, error);
  if (status.type() == fs::file_type::not_found) return absl::OkStatus();
  if (status.type() != fs::file_type::directory) {
    return absl::FailedPreconditionError(
        absl::StrCat(label, " '", out.string(), "' exists and is not a folder; not replaced"));
  }
  if (HoldsManifest(out)) return absl::OkStatus();
  bool empty = true, numbered = true;
  for (const fs::directory_entry& entry : fs::directory_iterator(out, error)) {
    empty = false;
    const std::string name = entry.path().filename().string();
    const bool digits = !name.empty() && name.find_first_not_of("0123456789") == std::string::npos;
    if (!digits || !entry.is_directory(error) || entry.is_symlink(error) ||
        !HoldsManifest(entry.path())) {
      numbered = false;
      break;
    }
  }
  if (error) {
    return absl::FailedPreconditionError(
        absl::StrCat(label, " '", out.string(), "' cannot be read: ", error.message()));
  }
  if (empty || numbered) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat(label, " '", out.string(),
                   "' is a folder that holds no hbprep result (no manifest.json); not replaced"));
}

}  // namespace

std::string FileNameOf(absl::string_view name) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(name.size());
  for (size_t i = 0; i < name.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(name[i]);
    if (PlainByte(c) && !(i == 0 && c == '.')) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::optional<std::string> NameOfFile(absl::string_view file) {
  std::string name;
  for (size_t i = 0; i < file.size(); ++i) {
    if (file[i] != '%') {
      if (!PlainByte(static_cast<unsigned char>(file[i])) || (i == 0 && file[i] == '.')) {
        return std::nullopt;
      }
      name.push_back(file[i]);
      continue;
    }
    if (file.size() - i < 3) return std::nullopt;  // '%' needs two digits after it
    const int high = HexValue(file[i + 1]), low = HexValue(file[i + 2]);
    if (high < 0 || low < 0) return std::nullopt;
    const unsigned char c = static_cast<unsigned char>(high * 16 + low);
    if (PlainByte(c) && !(i == 0 && c == '.')) return std::nullopt;  // never encoded
    name.push_back(static_cast<char>(c));
    i += 2;
  }
  return name;
}

absl::Status CheckTensorNames(const Plan& plan) {
  for (size_t i = 0; i < plan.tensors.size(); ++i) {
    const TensorSpec& a = plan.tensors[i];
    if (a.name.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("model '", plan.model, "': tensor ", i,
                                                     " (input '", a.input, "') has an empty name"));
    }
    for (size_t j = 0; j < i; ++j) {
      const TensorSpec& b = plan.tensors[j];
      if (a.name != b.name) continue;
      return absl::InvalidArgumentError(absl::StrCat(
          "model '", plan.model, "': tensor '", b.name, "' of input '", b.input, "' and tensor '",
          a.name, "' of input '", a.input, "' have the same name; their files would collide"));
    }
  }
  return absl::OkStatus();
}

StagedOutput::StagedOutput(fs::path out, std::string label)
    : out_(std::move(out)), label_(std::move(label)) {
  staging_ = out_;
  staging_ += absl::StrCat(".hbprep-tmp-", ::getpid());
}

StagedOutput::~StagedOutput() {
  if (committed_) return;
  std::error_code ignored;
  fs::remove_all(staging_, ignored);
}

absl::Status StagedOutput::Open() {
  if (absl::Status replaceable = CheckReplaceable(out_, label_); !replaceable.ok())
    return replaceable;
  std::error_code error;
  fs::remove_all(staging_, error);
  if (!fs::create_directories(staging_, error)) {
    return absl::UnavailableError(
        absl::StrCat(staging_.string(), ": cannot create folder: ", error.message()));
  }
  return absl::OkStatus();
}

absl::Status StagedOutput::Commit() {
  // Again: the folder may have changed while the work ran.
  if (absl::Status replaceable = CheckReplaceable(out_, label_); !replaceable.ok())
    return replaceable;
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
