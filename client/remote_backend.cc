// The --server half of client/backend.h, built with HBPREP_BUILD_REMOTE: the backend, and the
// commands that need no model (models, health), over the C++ client (client/remote.h).
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "client/backend.h"
#include "client/remote.h"
#include "hbprep/compiled_model.h"
#include "hbprep/output_folder.h"

namespace hbprep {
namespace {

class RemoteBackend final : public Backend {
 public:
  RemoteBackend(std::unique_ptr<RemoteClient> client, std::string model_name, std::string yaml,
                std::string model_info, std::string inline_name)
      : client_(std::move(client)),
        model_name_(std::move(model_name)),
        yaml_(std::move(yaml)),
        model_info_(std::move(model_info)),
        inline_name_(std::move(inline_name)) {}

  absl::StatusOr<ModelInfo> Describe(Target target) override {
    v1::DescribeModelRequest request;
    SetModel(&request);
    request.set_target(TargetToProto(target));
    absl::StatusOr<v1::DescribeModelResponse> response = client_->Describe(request);
    if (!response.ok()) return response.status();
    ModelInfo info;
    absl::StatusOr<Plan> plan = PlanFromProto(*response);
    if (!plan.ok()) return plan.status();
    info.plan = *std::move(plan);
    for (const v1::Binding& binding : response->bindings()) {
      info.slots.push_back({binding.input(), binding.image(), binding.resizer()});
    }
    return info;
  }

  absl::Status Check(const PrepareOptions&) override { return absl::OkStatus(); }

  absl::StatusOr<Prepared> Prepare(const ModelInfo& info, const std::vector<InputImage>& images,
                                   const PrepareOptions& options) override {
    v1::PrepareRequest request;
    SetModel(&request);
    request.set_descriptor_hash(info.plan.descriptor_hash);  // the model we described
    std::vector<bool> is_feature;
    for (const Slot& slot : info.slots) is_feature.push_back(!slot.image);
    ToProto(images, is_feature, options, &request);
    absl::StatusOr<v1::PrepareResponse> response = client_->Prepare(request);
    if (!response.ok()) return response.status();
    absl::StatusOr<Prepared> prepared = PreparedFromProto(*response);
    if (!prepared.ok()) return prepared.status();
    // Nothing the server sent is written before it matches what was asked for.
    if (absl::Status checked = CheckPreparedAgainstPlan(info.plan, options, *prepared);
        !checked.ok()) {
      return checked;
    }
    // The plan header is the described one; the tensors are the concrete ones.
    std::vector<TensorSpec> concrete = std::move(prepared->plan.tensors);
    prepared->plan = info.plan;
    prepared->plan.warnings.clear();
    prepared->plan.tensors = std::move(concrete);
    return prepared;
  }

 private:
  template <typename Request>
  void SetModel(Request* request) const {
    if (!model_name_.empty()) {
      request->set_model_name(model_name_);
    } else {
      request->mutable_inline_descriptor()->set_yaml(yaml_);
      request->mutable_inline_descriptor()->set_name(inline_name_);
      request->mutable_inline_descriptor()->set_model_info(model_info_);
    }
  }

  std::unique_ptr<RemoteClient> client_;
  std::string model_name_, yaml_, model_info_, inline_name_;
};

std::string Stem(const std::string& path) {
  std::string name = path.substr(path.find_last_of('/') + 1);
  const size_t dot = name.find_last_of('.');
  return dot == std::string::npos || dot == 0 ? name : name.substr(0, dot);
}

// A client for --server and the connection flags.
absl::StatusOr<std::unique_ptr<RemoteClient>> ConnectFromFlags(const Args& args) {
  RemoteOptions options;
  options.target = args.Get("server").value_or("");
  if (std::optional<std::string> path = args.Get("token-file")) {
    std::string token;
    if (!ReadFile(*path, &token)) {
      return absl::NotFoundError(absl::StrCat("--token-file '", *path, "' cannot be read"));
    }
    options.token = std::string(absl::StripAsciiWhitespace(token));
  }
  options.tls_ca_file = args.Get("tls-ca").value_or("");
  options.tls_cert_file = args.Get("tls-cert").value_or("");
  options.tls_key_file = args.Get("tls-key").value_or("");
  if (std::optional<std::string> text = args.Get("timeout-ms")) {
    int64_t ms = 0;
    if (!absl::SimpleAtoi(*text, &ms) || ms <= 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("--timeout-ms '", *text, "' must be a positive integer"));
    }
    options.timeout = std::chrono::milliseconds(ms);
  }
  return RemoteClient::Connect(options);
}

}  // namespace

absl::StatusOr<std::unique_ptr<Backend>> MakeRemoteBackend(const Args& args) {
  const std::optional<std::string> config = args.Get("config");
  const std::optional<std::string> model = args.Get("model");
  absl::StatusOr<std::unique_ptr<RemoteClient>> client = ConnectFromFlags(args);
  if (!client.ok()) return client.status();
  std::string yaml, model_info;
  if (config && !ReadFile(*config, &yaml)) {
    return absl::NotFoundError(absl::StrCat(*config, ": cannot open descriptor file"));
  }
  if (config) {
    const std::string path = FindModelInfo(*config, args.Get("model-info").value_or(""));
    if (!path.empty() && !ReadFile(path, &model_info)) {
      return absl::NotFoundError(absl::StrCat(path, ": cannot open model info file"));
    }
  }
  return std::unique_ptr<Backend>(new RemoteBackend(*std::move(client), model.value_or(""),
                                                    std::move(yaml), std::move(model_info),
                                                    config ? Stem(*config) : std::string()));
}

absl::StatusOr<ServerModels> ListServerModels(const Args& args) {
  absl::StatusOr<std::unique_ptr<RemoteClient>> client = ConnectFromFlags(args);
  if (!client.ok()) return client.status();
  absl::StatusOr<v1::ListModelsResponse> response = (*client)->ListModels();
  if (!response.ok()) return response.status();
  ServerModels list;
  for (const v1::ModelSummary& model : response->models()) {
    std::vector<std::string> inputs(model.inputs().begin(), model.inputs().end());
    list.models.push_back(
        {model.name(), model.march(), model.descriptor_hash(), std::move(inputs)});
  }
  list.errors.assign(response->errors().begin(), response->errors().end());
  return list;
}

absl::StatusOr<std::string> ServerHealth(const Args& args, const std::string& service) {
  absl::StatusOr<std::unique_ptr<RemoteClient>> client = ConnectFromFlags(args);
  if (!client.ok()) return client.status();
  return (*client)->Health(service);
}

}  // namespace hbprep
