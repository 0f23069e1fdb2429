#include "client/cli.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "client/args.h"
#include "client/backend.h"
#include "client/commands.h"
#include "hbprep/compiled_model.h"
#include "hbprep/descriptor.h"
#include "hbprep/identity.h"
#include "hbprep/plan.h"
#include "hbprep/plan_json.h"
#include "hbprep/repository.h"
#include "nlohmann/json.hpp"

namespace hbprep {
namespace {

constexpr char kUsage[] =
    "usage: hbprep <command> [flags]\n"
    "\n"
    "commands:\n"
    "  describe   print the plan (tensor names, dtypes, shapes, strides) of a model\n"
    "             --config FILE.yaml [--model-info FILE] | --models DIR [--model NAME]\n"
    "             | --server ADDR ... [--target TARGET] [--json]\n"
    "  prepare    prepare the tensors of a model for a target from images\n"
    "             --config FILE.yaml [--model-info FILE] --out DIR\n"
    "             [--target TARGET]\n"
    "             [--nv12-recipe auto|calc|calc_f32|opencv] [--decode exact|fast]\n"
    "             [--roi l,t,r,b]...\n"
    "             [--raw FORMAT:WxH[:stride=N][:range=full|video]]\n"
    "             [--no-range-conversion] [--dtype float32|uint8]\n"
    "             [--max-side N] [--max-pixels N] [--format npy|bin] [--preview]\n"
    "             [--jobs N] [--json] IMAGE...\n"
    "  calib      write a calibration set: one .npy per sample under DIR/<input name>/\n"
    "             --config FILE.yaml --out DIR [--limit N] [--seed S] [--keep-blank]\n"
    "             [--dtype float32|uint8] [--raw ...] [--max-side N] [--max-pixels N]\n"
    "             [--jobs N] [--json] IMAGE_OR_FOLDER...\n"
    "  diff       compare two output folders (or folders of .npy files) tensor by tensor\n"
    "             DIR_A DIR_B [--tolerance T] [--config FILE.yaml] [--json]\n"
    "  preview    render an output folder as one PNG contact sheet\n"
    "             DIR [--out FILE.png] [--config FILE.yaml]\n"
    "  models     list the models of a repository\n"
    "             --server ADDR | --models DIR [--json]\n"
    "  health     ask a server's grpc.health.v1 (exit 0 when SERVING)\n"
    "             --server ADDR [--service NAME]\n"
    "  version    print the version\n"
    "\n"
    "describe, prepare, calib, models and health take --server ADDR (host:port,\n"
    "unix:/path, dns:///name:port, or a comma list) to work through hbprep-server, with\n"
    "--model NAME (a repository model) or --config FILE [--model-info FILE] (sent\n"
    "inline), and\n"
    "[--token-file FILE] [--tls-ca FILE [--tls-cert FILE --tls-key FILE]] [--timeout-ms N]\n"
    "  help       print this text\n"
    "\n"
    "--jobs N (prepare, calib): prepare N requests at once (default: one per core; 1 with\n"
    "--server, where N requests are sent at once). Files, manifests, messages and exit status\n"
    "are those of --jobs 1. Memory: at most 2N requests are in flight; those being prepared\n"
    "and those waiting to be written together stay within one request's memory limit (4 GiB),\n"
    "plus the input files of up to N requests being read.\n"
    "\n"
    "TARGET (default board): board (the compiled .hbm/.bin/.bc), calibration, onnx (the\n"
    "float ONNX models; J6's ptq_model.onnx), oe1_float_onnx (OE 1.x's original_float,\n"
    "optimized_float and calibrated ONNX), oe1_quantized_onnx (OE 1.x's quantized ONNX)\n"
    "\n"
    "exit status: 0 success, 1 the work failed, 2 bad usage or invalid descriptor\n";

int Models(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  FlagSpec spec{{"models"}, {"json"}};
  AddBackendFlags(&spec);
  absl::StatusOr<Args> args = Args::Parse(argv, spec);
  if (!args.ok()) return UsageError(err, args.status().message());
  if (args->Has("server") == args->Has("models")) {
    return UsageError(err, "models needs exactly one of --server ADDR or --models DIR");
  }
  if (absl::Status built = CheckServerFlag(*args); !built.ok()) {
    return UsageError(err, built.message());
  }
  struct Row {
    std::string name, march, hash, inputs;
  };
  std::vector<Row> rows;
  std::vector<std::string> errors;
  if (args->Has("models")) {
    absl::StatusOr<Repository> repository = LoadRepository(*args->Get("models"));
    if (!repository.ok()) return SetupFailure(err, repository.status());
    for (const auto& [name, model] : repository->models) {
      std::vector<std::string> inputs;
      for (const InputDescriptor& input : model.descriptor.inputs) inputs.push_back(input.name);
      rows.push_back({name, std::string(model.descriptor.chip->march),
                      DescriptorHash(model.descriptor), absl::StrJoin(inputs, ", ")});
    }
    errors = repository->errors;
  } else {
    absl::StatusOr<ServerModels> list = ListServerModels(*args);
    if (!list.ok()) return SetupFailure(err, list.status());
    for (const ServerModel& model : list->models) {
      rows.push_back(
          {model.name, model.march, model.descriptor_hash, absl::StrJoin(model.inputs, ", ")});
    }
    errors = list->errors;
  }
  for (const std::string& error : errors) PrintMessages(err, "hbprep: ", error);
  if (args->Has("json")) {
    nlohmann::ordered_json models = nlohmann::ordered_json::array();
    for (const Row& row : rows) {
      models.push_back({{"name", row.name},
                        {"march", row.march},
                        {"descriptor_hash", row.hash},
                        {"inputs", absl::StrSplit(row.inputs, ", ", absl::SkipEmpty())}});
    }
    out << DumpJson(nlohmann::ordered_json{{"models", models}, {"errors", errors}}) << "\n";
  } else {
    for (const Row& row : rows) {
      out << row.name << "  " << row.march << "  " << row.hash << "  inputs: " << row.inputs
          << "\n";
    }
  }
  return kExitOk;
}

int Health(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  FlagSpec spec{{"service"}, {}};
  AddBackendFlags(&spec);
  absl::StatusOr<Args> args = Args::Parse(argv, spec);
  if (!args.ok()) return UsageError(err, args.status().message());
  if (!args->Has("server")) return UsageError(err, "health needs --server ADDR");
  if (absl::Status built = CheckServerFlag(*args); !built.ok()) {
    return UsageError(err, built.message());
  }
  absl::StatusOr<std::string> status = ServerHealth(*args, args->Get("service").value_or(""));
  if (!status.ok()) return SetupFailure(err, status.status());
  out << *status << "\n";
  return *status == "SERVING" ? kExitOk : kExitFailed;
}

}  // namespace

void PrintMessages(std::ostream& err, absl::string_view prefix, absl::string_view text) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) err << prefix << line << "\n";
}

int SetupFailure(std::ostream& err, const absl::Status& status) {
  PrintMessages(err, "hbprep: ", status.message());
  return absl::IsInvalidArgument(status) ? kExitUsage : kExitFailed;
}

int UsageError(std::ostream& err, absl::string_view message) {
  err << "hbprep: " << message << "\n"
      << "run 'hbprep help' for usage\n";
  return kExitUsage;
}

namespace {

std::string Dims(const std::vector<int64_t>& values, absl::string_view separator) {
  return absl::StrJoin(values, separator);
}

// A plan as a table for people.
void PrintPlanText(const Plan& plan, std::ostream& out) {
  out << "model " << plan.model << "  target " << ToString(plan.target) << "  march "
      << plan.chip->march << " (" << plan.chip->chips << ")\n";
  out << "descriptor " << plan.descriptor_hash << "\n";
  out << "norm_type " << NormTypeText(plan) << "\n";
  if (!plan.model_info.empty()) out << "model info " << plan.model_info << "\n";
  if (plan.decode == DecodeMode::kFast) out << "decode fast (JPEG to YCbCr planes, DCT-scaled)\n";
  out << "\n";
  const bool quantised = std::any_of(plan.tensors.begin(), plan.tensors.end(),
                                     [](const TensorSpec& spec) { return spec.quantization; });
  std::vector<std::vector<std::string>> rows = {
      {"tensor", "input", "adapter", "dtype", "shape", "strides", "layout"}};
  if (quantised) rows[0].push_back("quantization");
  for (const TensorSpec& spec : plan.tensors) {
    rows.push_back({spec.name, spec.input, std::string(ToString(spec.adapter)),
                    std::string(ToString(spec.dtype)), Dims(spec.shape, "x"),
                    Dims(spec.strides, ","), std::string(ToString(spec.layout))});
    if (quantised && spec.quantization) {
      const Quantization& q = *spec.quantization;
      rows.back().push_back(
          q.axis < 0 ? absl::StrCat("scale ", q.scale[0], " zero_point ", q.zero_point[0])
                     : absl::StrCat(q.scale.size(), " scales along axis ", q.axis));
    } else if (quantised) {
      rows.back().push_back("");
    }
  }
  std::vector<size_t> widths(rows[0].size(), 0);
  for (const auto& row : rows) {
    for (size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], row[c].size());
  }
  for (const auto& row : rows) {
    std::string line = " ";
    for (size_t c = 0; c < row.size(); ++c) {
      line += " " + row[c];
      if (c + 1 < row.size()) line += std::string(widths[c] - row[c].size() + 1, ' ');
    }
    out << absl::StripTrailingAsciiWhitespace(line) << "\n";
  }
  if (std::string stride = HrtInputStride(plan); !stride.empty()) {
    out << "\nhrt_model_exec " << stride << "\n";
  }
}

int Describe(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  FlagSpec spec{{"models", "target"}, {"json"}};
  AddBackendFlags(&spec);
  absl::StatusOr<Args> args = Args::Parse(argv, spec);
  if (!args.ok()) return UsageError(err, args.status().message());
  if (!args->positional().empty()) {
    return UsageError(err, absl::StrCat("describe takes no positional arguments, got '",
                                        args->positional()[0], "'"));
  }
  const std::string target_name = args->Get("target").value_or("board");
  const std::optional<Target> target = ParseTarget(target_name);
  if (!target) {
    return UsageError(
        err, absl::StrCat("--target '", target_name, "' is not one of ", TargetNames()));
  }
  const bool json = args->Has("json");
  if (args->Has("server")) {  // the server resolves the plan
    if (args->Has("models"))
      return UsageError(err, "--models DIR is for in-process use, not --server");
    if (absl::Status flags = CheckBackendFlags(*args); !flags.ok()) {
      return UsageError(err, flags.message());
    }
    absl::StatusOr<std::unique_ptr<Backend>> backend = MakeBackend(*args);
    if (!backend.ok()) return SetupFailure(err, backend.status());
    absl::StatusOr<ModelInfo> info = (*backend)->Describe(*target);
    if (!info.ok()) return SetupFailure(err, info.status());
    for (const std::string& warning : info->plan.warnings) {
      err << "hbprep: warning: " << warning << "\n";
    }
    if (json) {
      out << DumpJson(PlanToJson(info->plan)) << "\n";
    } else {
      PrintPlanText(info->plan, out);
    }
    return kExitOk;
  }
  const bool has_config = args->Has("config"), has_models = args->Has("models");
  if (has_config == has_models) {
    return UsageError(err, "describe needs exactly one of --config FILE.yaml or --models DIR");
  }
  if (args->Has("model") && !has_models) return UsageError(err, "--model needs --models DIR");
  if (args->Has("model-info") && !has_config) {
    return UsageError(err,
                      "--model-info goes with --config FILE.yaml (a repository keeps it beside "
                      "the yaml as <model>.model_info.txt)");
  }

  // Collect the descriptors to describe, with their warnings.
  std::vector<std::pair<Descriptor, std::vector<std::string>>> models;
  std::vector<std::string> errors;
  int status = kExitOk;
  if (has_config) {
    std::vector<std::string> warnings;
    absl::StatusOr<Descriptor> descriptor =
        LoadModel(*args->Get("config"), args->Get("model-info").value_or(""), &warnings);
    if (!descriptor.ok()) {
      PrintMessages(err, "hbprep: ", descriptor.status().message());
      return absl::IsNotFound(descriptor.status()) ? kExitFailed : kExitUsage;
    }
    models.emplace_back(*std::move(descriptor), std::move(warnings));
  } else {
    absl::StatusOr<Repository> repository = LoadRepository(*args->Get("models"));
    if (!repository.ok()) {
      PrintMessages(err, "hbprep: ", repository.status().message());
      return kExitFailed;
    }
    if (std::optional<std::string> name = args->Get("model")) {
      auto it = repository->models.find(*name);
      if (it == repository->models.end()) {
        std::vector<std::string> known;
        for (const auto& [known_name, model] : repository->models) known.push_back(known_name);
        err << "hbprep: model '" << *name << "' is not in repository '" << *args->Get("models")
            << "' (models: " << absl::StrJoin(known, ", ") << ")\n";
        return kExitFailed;
      }
      models.emplace_back(it->second.descriptor, it->second.warnings);
    } else {
      for (auto& [model_name, model] : repository->models) {
        models.emplace_back(model.descriptor, model.warnings);
      }
      errors = repository->errors;
      if (!errors.empty()) status = kExitUsage;
    }
  }

  nlohmann::ordered_json documents = nlohmann::ordered_json::array();
  bool first = true;
  for (auto& [descriptor, warnings] : models) {
    if (absl::Status applies = CheckTarget(descriptor, *target); !applies.ok()) {
      PrintMessages(err, "hbprep: ", applies.message());
      return kExitFailed;
    }
    Plan plan = ResolvePlan(descriptor, *target);
    plan.warnings.insert(plan.warnings.begin(), warnings.begin(), warnings.end());
    for (const std::string& warning : plan.warnings) err << "hbprep: warning: " << warning << "\n";
    if (json) {
      documents.push_back(PlanToJson(plan));
    } else {
      if (!first) out << "\n";
      PrintPlanText(plan, out);
    }
    first = false;
  }
  for (const std::string& error : errors) PrintMessages(err, "hbprep: ", error);
  if (json) {
    // One model: its plan. A whole repository: {"models": [...], "errors": [...]}.
    if (has_config || args->Has("model")) {
      out << DumpJson(documents[0]) << "\n";
    } else {
      nlohmann::ordered_json all = {{"models", std::move(documents)}, {"errors", errors}};
      out << DumpJson(all) << "\n";
    }
  }
  return status;
}

}  // namespace

int RunCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  if (args.empty()) {
    err << kUsage;
    return kExitUsage;
  }
  const std::string& command = args[0];
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (command == "describe") return Describe(rest, out, err);
  if (command == "prepare") return PrepareCommand(rest, out, err);
  if (command == "models") return Models(rest, out, err);
  if (command == "health") return Health(rest, out, err);
  if (command == "calib") return CalibCommand(rest, out, err);
  if (command == "diff") return DiffCommand(rest, out, err);
  if (command == "preview") return PreviewCommand(rest, out, err);
  if (command == "version" || command == "--version") {
    out << "hbprep " << HBPREP_VERSION << "\n";
    return kExitOk;
  }
  if (command == "help" || command == "--help" || command == "-h") {
    out << kUsage;
    return kExitOk;
  }
  return UsageError(err, absl::StrCat("unknown command '", command, "'"));
}

}  // namespace hbprep
