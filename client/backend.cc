#include "client/backend.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "hbprep/compiled_model.h"
#include "hbprep/descriptor.h"

namespace hbprep {
namespace {

// The one place that knows how the CLI was built: with HBPREP_BUILD_REMOTE the --server half
// is client/remote_backend.cc; without it, --server is refused as bad usage before any of it
// would run.
#if HBPREP_WITH_REMOTE
constexpr bool kWithRemote = true;
#else
constexpr bool kWithRemote = false;
#endif

absl::Status NoRemote() {
  return absl::InvalidArgumentError(
      "this hbprep was built without HBPREP_BUILD_REMOTE; --server needs it");
}

class LocalBackend final : public Backend {
 public:
  LocalBackend(Descriptor descriptor, std::vector<std::string> warnings)
      : descriptor_(std::move(descriptor)), warnings_(std::move(warnings)) {}

  absl::StatusOr<ModelInfo> Describe(Target target) override {
    if (absl::Status applies = CheckTarget(descriptor_, target); !applies.ok()) return applies;
    ModelInfo info;
    info.plan = ResolvePlan(descriptor_, target);
    info.plan.warnings = warnings_;
    for (int index : ImageBindings(descriptor_, target)) {
      const InputDescriptor& input = descriptor_.inputs[index];
      info.slots.push_back(
          {input.name, input.is_image(),
           TakesRoi(input, target)});
    }
    return info;
  }

  absl::Status Check(const PrepareOptions& options) override {
    return CheckOptions(descriptor_, options);
  }

  absl::StatusOr<Prepared> Prepare(const ModelInfo&, const std::vector<InputImage>& images,
                                   const PrepareOptions& options) override {
    absl::StatusOr<Prepared> prepared = hbprep::Prepare(descriptor_, images, options);
    if (prepared.ok()) {
      prepared->warnings.insert(prepared->warnings.begin(), warnings_.begin(), warnings_.end());
    }
    return prepared;
  }

 private:
  Descriptor descriptor_;
  std::vector<std::string> warnings_;
};

}  // namespace

#if !HBPREP_WITH_REMOTE
absl::StatusOr<std::unique_ptr<Backend>> MakeRemoteBackend(const Args&) { return NoRemote(); }
absl::StatusOr<ServerModels> ListServerModels(const Args&) { return NoRemote(); }
absl::StatusOr<std::string> ServerHealth(const Args&, const std::string&) { return NoRemote(); }
#endif

void AddBackendFlags(FlagSpec* spec) {
  for (const char* flag :
       {"server", "model", "config", "model-info", "token-file", "tls-ca", "tls-cert", "tls-key",
        "timeout-ms"}) {
    spec->with_value.insert(flag);
  }
}

absl::Status CheckServerFlag(const Args& args) {
  return args.Has("server") && !kWithRemote ? NoRemote() : absl::OkStatus();
}

absl::Status CheckBackendFlags(const Args& args) {
  if (absl::Status built = CheckServerFlag(args); !built.ok()) return built;
  const bool config = args.Has("config"), model = args.Has("model");
  if (args.Has("model-info") && !config) {
    return absl::InvalidArgumentError(
        "--model-info goes with --config FILE.yaml (a repository keeps it beside the yaml as "
        "<model>.model_info.txt)");
  }
  if (!args.Has("server")) {
    if (model)
      return absl::InvalidArgumentError("--model names a server's model: add --server ADDR");
    if (!config) {
      return absl::InvalidArgumentError("needs --config FILE.yaml (or --server ADDR --model NAME)");
    }
    for (const char* flag : {"token-file", "tls-ca", "tls-cert", "tls-key", "timeout-ms"}) {
      if (args.Has(flag))
        return absl::InvalidArgumentError(absl::StrCat("--", flag, " needs --server ADDR"));
    }
    return absl::OkStatus();
  }
  if (config == model) {
    return absl::InvalidArgumentError(
        "with --server, give exactly one of --model NAME or --config FILE.yaml");
  }
  if (args.Has("tls-cert") != args.Has("tls-key")) {
    return absl::InvalidArgumentError("--tls-cert and --tls-key go together");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Backend>> MakeBackend(const Args& args) {
  if (args.Has("server")) return MakeRemoteBackend(args);
  std::vector<std::string> warnings;
  absl::StatusOr<Descriptor> descriptor =
      LoadModel(*args.Get("config"), args.Get("model-info").value_or(""), &warnings);
  if (!descriptor.ok()) return descriptor.status();
  return std::unique_ptr<Backend>(new LocalBackend(*std::move(descriptor), std::move(warnings)));
}

}  // namespace hbprep
