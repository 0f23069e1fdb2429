// A model repository: a folder of toolchain yaml files, one model per file, named after the
// file's stem (`cls.yaml` is model `cls`), each optionally with the compiled model's
// description beside it (`cls.model_info.txt`, see adapters/compiled_model.h). Files that do
// not parse, or whose model info disagrees with them, are reported and skipped, so one broken
// file never hides the others.
#ifndef HBPREP_REPOSITORY_H_
#define HBPREP_REPOSITORY_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "hbprep/descriptor.h"

namespace hbprep {

struct RepositoryModel {
  Descriptor descriptor;
  std::string path;
  std::string model_info_path;  // `<stem>.model_info.txt` when the folder has one
  std::vector<std::string> warnings;
};

struct Repository {
  std::map<std::string, RepositoryModel> models;  // by name, sorted
  // One entry per file that was skipped; each holds that file's errors, one per line.
  std::vector<std::string> errors;
};

// Loads every `*.yaml` / `*.yml` file directly in `dir`. NOT_FOUND when `dir` is not a
// readable folder; a folder with broken files still loads (see Repository::errors).
absl::StatusOr<Repository> LoadRepository(const std::string& dir);

}  // namespace hbprep

#endif  // HBPREP_REPOSITORY_H_
