// Where the CLI's work runs: in this process (the engine) or on hbprep-server (--server).
// Both give the same plans and the same tensors, so every command writes the same files
// either way.
#ifndef HBPREP_CLIENT_BACKEND_H_
#define HBPREP_CLIENT_BACKEND_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "adapters/engine.h"
#include "adapters/plan.h"
#include "client/args.h"
#include "client/remote.h"

namespace hbprep {

// One file of a request: the input it feeds.
struct Slot {
  std::string input;
  bool image = true;     // false: a featuremap's .npy/.bin
  bool resizer = false;  // the image takes a ROI
};

struct ModelInfo {
  Plan plan;                // warnings: what the descriptor's parse tolerated
  std::vector<Slot> slots;  // the files of one request, in order
};

class Backend {
 public:
  virtual ~Backend() = default;
  // The model's plan and bindings for `target`. INVALID_ARGUMENT for an invalid descriptor,
  // NOT_FOUND for an unknown model, UNAVAILABLE when the server cannot be reached.
  virtual absl::StatusOr<ModelInfo> Describe(Target target) = 0;
  // Options that cannot work with this model, before any file is read.
  virtual absl::Status Check(const PrepareOptions& options) = 0;
  // One request. `info` is what Describe() returned for options.target.
  virtual absl::StatusOr<Prepared> Prepare(const ModelInfo& info,
                                           const std::vector<InputImage>& images,
                                           const PrepareOptions& options) = 0;
};

// --server, --model, --config and the connection flags (--token-file, --tls-ca, --tls-cert,
// --tls-key, --timeout-ms).
void AddBackendFlags(FlagSpec* spec);

// A client for --server and the connection flags (for commands that need no model).
absl::StatusOr<std::unique_ptr<RemoteClient>> ConnectFromFlags(const Args& args);

// Flag combinations that cannot work (exit 2 with the usage hint).
absl::Status CheckBackendFlags(const Args& args);

// The backend the flags ask for (REQUIRES: CheckBackendFlags(args) is OK): with --server, the
// server (naming a repository model with
// --model, or sending --config's yaml inline); without, the engine on --config's file.
// INVALID_ARGUMENT for an invalid descriptor (exit 2), NOT_FOUND for missing files (exit 1).
absl::StatusOr<std::unique_ptr<Backend>> MakeBackend(const Args& args);

}  // namespace hbprep

#endif  // HBPREP_CLIENT_BACKEND_H_
