// Flags that configure the engine, shared by `hbprep prepare` and `hbprep calib`:
// --nv12-recipe, --raw, --no-range-conversion, --dtype, --max-side, --max-pixels.
#ifndef HBPREP_CLIENT_ENGINE_FLAGS_H_
#define HBPREP_CLIENT_ENGINE_FLAGS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/args.h"
#include "hbprep/engine.h"

namespace hbprep {

struct EngineFlags {
  PrepareOptions options;       // target left at its default; the command sets it
  std::optional<RawImage> raw;  // --raw: how to read every image file
};

void AddEngineFlags(FlagSpec* spec);

// INVALID_ARGUMENT naming the flag and value.
absl::StatusOr<EngineFlags> ParseEngineFlags(const Args& args);

// The flags of a command that prepares data (prepare, calib): `spec` plus --jobs
// (ParseJobs, client/jobs.h), the engine flags and the backend flags (client/backend.h),
// with the backend flags' combination checked.
// INVALID_ARGUMENT for any misuse.
absl::StatusOr<Args> ParseWorkCommandFlags(const std::vector<std::string>& argv, FlagSpec spec);

}  // namespace hbprep

#endif  // HBPREP_CLIENT_ENGINE_FLAGS_H_
