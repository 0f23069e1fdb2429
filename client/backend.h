// Where the CLI's work runs: in this process (the engine) or on hbprep-server (--server).
// Both give the same plans and the same tensors, so every command writes the same files
// either way. The --server half (client/remote_backend.cc) is built with HBPREP_BUILD_REMOTE
// only; nothing here needs gRPC, so the CLI's in-process commands build without it.
#ifndef HBPREP_CLIENT_BACKEND_H_
#define HBPREP_CLIENT_BACKEND_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/args.h"
#include "hbprep/engine.h"
#include "hbprep/plan.h"

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

// INVALID_ARGUMENT (exit 2 with the usage hint) for --server in an hbprep built without
// HBPREP_BUILD_REMOTE; OK otherwise.
absl::Status CheckServerFlag(const Args& args);

// Flag combinations that cannot work (exit 2 with the usage hint), CheckServerFlag's among
// them.
absl::Status CheckBackendFlags(const Args& args);

// The backend the flags ask for (REQUIRES: CheckBackendFlags(args) is OK): with --server, the
// server (naming a repository model with
// --model, or sending --config's yaml inline); without, the engine on --config's file.
// INVALID_ARGUMENT for an invalid descriptor (exit 2), NOT_FOUND for missing files (exit 1).
absl::StatusOr<std::unique_ptr<Backend>> MakeBackend(const Args& args);

// A server's repository, as `hbprep models --server` lists it.
struct ServerModel {
  std::string name, march, descriptor_hash;
  std::vector<std::string> inputs;
};
struct ServerModels {
  std::vector<ServerModel> models;
  std::vector<std::string> errors;  // files the server could not load
};

// The --server half (client/remote_backend.cc), for --server and the connection flags
// (REQUIRES: CheckServerFlag(args) is OK and args has --server).
// The server's model for MakeBackend: --model NAME, or --config's yaml sent inline.
absl::StatusOr<std::unique_ptr<Backend>> MakeRemoteBackend(const Args& args);
absl::StatusOr<ServerModels> ListServerModels(const Args& args);
// grpc.health.v1 Check of `service` ("" the whole server): "SERVING", "NOT_SERVING", ...
absl::StatusOr<std::string> ServerHealth(const Args& args, const std::string& service);

}  // namespace hbprep

#endif  // HBPREP_CLIENT_BACKEND_H_
