#include "server/rpc.h"

#include <array>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "adapters/echo.h"
#include "hbprep/identity.h"

namespace hbprep {
namespace {

// Constant-time comparison, so a wrong token's timing says nothing about the right one.
bool SameToken(absl::string_view a, absl::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

// A status as one log line: newlines and control characters escaped, cut to 2 KiB.
std::string LogText(const absl::Status& status) {
  return absl::StrCat(absl::StatusCodeToString(status.code()), ": ",
                      EchoMessage(status.message(), 2048, /*keep_newlines=*/false));
}

}  // namespace

absl::Status Authorize(const ServerOptions& options, const CallContext& call) {
  if (options.auth_token.empty()) return absl::OkStatus();
  const absl::optional<absl::string_view> header = call.Header("authorization");
  if (!header.has_value()) {
    return absl::UnauthenticatedError("missing 'authorization: Bearer <token>' metadata");
  }
  if (!SameToken(*header, "Bearer " + options.auth_token)) {
    return absl::UnauthenticatedError("wrong token");
  }
  return absl::OkStatus();
}

absl::Status CheckContinue(const CallContext* call) {
  if (call == nullptr) return absl::OkStatus();
  // The deadline first: a client whose deadline passed also sees its call cancelled.
  if (call->deadline() <= std::chrono::system_clock::now()) {
    return absl::DeadlineExceededError("the request's deadline passed before its work was done");
  }
  if (call->IsCancelled()) return absl::CancelledError("the client cancelled the request");
  return absl::OkStatus();
}

absl::Status BusyError(const WorkerPool& pool) {
  return absl::ResourceExhaustedError(absl::StrCat("server busy: ", pool.threads(),
                                                   " workers and ", pool.queue_capacity(),
                                                   " queued requests; retry later"));
}

void LogFailure(const char* method, const absl::Status& status) {
  if (status.ok()) return;
  if (status.code() == absl::StatusCode::kInternal || status.code() == absl::StatusCode::kUnknown) {
    spdlog::error("{} failed: {}", method, LogText(status));
  } else {
    spdlog::info("{} refused: {}", method, LogText(status));
  }
}

void RecordCall(Metrics* metrics, const char* method, const absl::Status& status,
                absl::string_view protocol) {
  std::array<int64_t, Metrics::kStageCount> stages;
  stages.fill(-1);
  metrics->Record(method, "", "", absl::StatusCodeToString(status.code()), 0, 0, stages,
                  protocol);
}

absl::StatusOr<const RepositoryModel*> FindModel(const Repository& repository,
                                                 const std::string& name) {
  auto it = repository.models.find(name);
  if (it != repository.models.end()) return &it->second;
  std::vector<std::string> known;
  for (const auto& [known_name, model] : repository.models) known.push_back(known_name);
  return absl::NotFoundError(absl::StrCat("model '", Echo(name),
                                          "' is not in the repository (models: ",
                                          absl::StrJoin(known, ", "), ")"));
}

absl::Status CheckPinnedHash(const Descriptor& descriptor, const std::string& pinned) {
  if (pinned.empty()) return absl::OkStatus();
  const std::string hash = DescriptorHash(descriptor);
  if (hash == pinned) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat("model '", descriptor.name,
                                                    "' has descriptor hash ", hash,
                                                    " but the request is pinned to ", pinned));
}

absl::StatusOr<Prepared> PrepareForCall(const ServerOptions& server, MemoryBudget* budget,
                                        const Descriptor& descriptor,
                                        absl::Span<const InputImage> images,
                                        PrepareOptions options,
                                        const std::vector<std::string>& warnings,
                                        const CallContext* call,
                                        MemoryBudget::Reservation* hold) {
  options.max_width = options.max_height = server.max_side;
  options.max_pixels = server.max_pixels;
  options.check_continue = [call] { return CheckContinue(call); };
  options.max_request_bytes = 0;  // the budget decides, naming itself
  options.reserve = [&server, budget, call, hold](const RequestCost& cost) -> absl::Status {
    if (cost.output_bytes > server.max_message_bytes) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "the response would hold ", cost.output_bytes, " bytes of tensors, over the message "
          "limit of ", server.max_message_bytes, " bytes (--max-message-bytes)"));
    }
    return budget->Reserve(cost.peak_bytes, [call] { return CheckContinue(call); }, hold);
  };
  absl::StatusOr<Prepared> prepared = Prepare(descriptor, images, options);
  if (prepared.ok()) {
    prepared->warnings.insert(prepared->warnings.begin(), warnings.begin(), warnings.end());
  }
  return prepared;
}

}  // namespace hbprep
