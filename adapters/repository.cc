#include "hbprep/repository.h"

#include <algorithm>
#include <filesystem>
#include <system_error>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "hbprep/compiled_model.h"

namespace hbprep {

absl::StatusOr<Repository> LoadRepository(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code error;
  if (!fs::is_directory(dir, error)) {
    return absl::NotFoundError(absl::StrCat("model repository '", dir, "' is not a folder"));
  }
  std::vector<fs::path> files;
  for (fs::directory_iterator it(dir, error), end; !error && it != end; it.increment(error)) {
    const fs::path& path = it->path();
    const std::string ext = path.extension().string();
    if ((ext == ".yaml" || ext == ".yml") && it->is_regular_file(error)) files.push_back(path);
  }
  if (error) {
    return absl::NotFoundError(
        absl::StrCat("model repository '", dir, "' cannot be read: ", error.message()));
  }
  std::sort(files.begin(), files.end());

  Repository repository;
  for (const fs::path& path : files) {
    RepositoryModel model;
    model.path = path.string();
    absl::StatusOr<Descriptor> descriptor = LoadDescriptorFile(model.path, &model.warnings);
    if (!descriptor.ok()) {
      repository.errors.emplace_back(descriptor.status().message());
      continue;
    }
    // `<stem>.model_info.txt` beside the yaml: the compiled model's own description.
    model.model_info_path = FindModelInfo(model.path, "");
    if (!model.model_info_path.empty()) {
      const absl::Status attached =
          AttachModelInfoFile(model.model_info_path, &*descriptor, &model.warnings);
      if (!attached.ok()) {
        // Named after the yaml, like its own errors: the model is what is skipped.
        repository.errors.push_back(absl::StrCat(model.path, ": ", attached.message()));
        continue;
      }
    }
    const std::string name = descriptor->name;
    if (auto it = repository.models.find(name); it != repository.models.end()) {
      repository.errors.push_back(absl::StrCat(
          model.path, ": model '", name, "' is already defined by ", it->second.path, "; skipped"));
      continue;
    }
    model.descriptor = *std::move(descriptor);
    repository.models.emplace(name, std::move(model));
  }
  return repository;
}

}  // namespace hbprep
