// `hbprep prepare`: runs the engine in-process (or asks hbprep-server) and writes .npy (and
// .bin) files plus a manifest into a temporary folder that is moved into place only when
// everything worked. With --jobs N, N threads prepare requests and this thread writes them in
// input order, so the output is the same whatever N.

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "client/args.h"
#include "client/backend.h"
#include "client/cli.h"
#include "client/commands.h"
#include "client/engine_flags.h"
#include "client/jobs.h"
#include "client/preview.h"
#include "hbprep/descriptor.h"
#include "hbprep/engine.h"
#include "hbprep/npy.h"
#include "hbprep/output_folder.h"
#include "hbprep/plan_json.h"
#include "hbprep/status_macros.h"
#include "nlohmann/json.hpp"

namespace hbprep {
namespace {

namespace fs = std::filesystem;

absl::StatusOr<Roi> ParseRoi(const std::string& text) {
  std::vector<std::string> parts = absl::StrSplit(text, ',');
  int32_t values[4];
  if (parts.size() != 4) {
    return absl::InvalidArgumentError(
        absl::StrCat("--roi '", text, "' must be left,top,right,bottom"));
  }
  for (int i = 0; i < 4; ++i) {
    if (!absl::SimpleAtoi(parts[i], &values[i])) {
      return absl::InvalidArgumentError(
          absl::StrCat("--roi '", text, "' must be four integers left,top,right,bottom"));
    }
  }
  return Roi{values[0], values[1], values[2], values[3]};
}

// hrt_model_exec arguments for a J6 board result: one file per tensor.
std::string HrtArguments(const Prepared& prepared, const std::vector<std::string>& files) {
  if (prepared.plan.target != Target::kBoard) return "";
  if (prepared.plan.chip->toolchain == Toolchain::kOe1) {
    std::vector<std::string> inputs, rois;
    for (size_t i = 0; i < prepared.tensors.size(); ++i) {
      const Tensor& t = prepared.tensors[i];
      if (t.spec.role == TensorRole::kRoi) {
        const int32_t* v = reinterpret_cast<const int32_t*>(t.data.data());
        rois.push_back(absl::StrCat(v[0], ",", v[1], ",", v[2], ",", v[3]));
      } else {
        inputs.push_back(files[i]);
      }
    }
    std::string out = absl::StrCat("--input_file=", absl::StrJoin(inputs, ","));
    if (!rois.empty())
      absl::StrAppend(&out, " --roi_infer=true --roi=\"", absl::StrJoin(rois, ";"), "\"");
    return out;
  }
  // The plan with this result's concrete shapes and strides (the resizer's follow the image).
  Plan concrete = prepared.plan;
  std::vector<std::string> shapes;
  bool dynamic = false;
  for (size_t i = 0; i < prepared.tensors.size(); ++i) {
    const TensorSpec& spec = prepared.tensors[i].spec;
    concrete.tensors[i] = spec;
    shapes.push_back(absl::StrJoin(spec.shape, ","));
    dynamic = dynamic || spec.adapter == AdapterKind::kResizer;
  }
  std::string out = absl::StrCat("--input_file=", absl::StrJoin(files, ","));
  if (dynamic) absl::StrAppend(&out, " --input_valid_shape=\"", absl::StrJoin(shapes, ";"), "\"");
  absl::StrAppend(&out, " ", HrtInputStride(concrete));
  return out;
}

// Writes one request's files into `dir` and returns its manifest.
absl::StatusOr<nlohmann::ordered_json> WriteResult(const Prepared& prepared, const fs::path& dir,
                                                   bool bin) {
  nlohmann::ordered_json manifest = PlanToJson(prepared.plan);
  std::vector<std::string> run_files;
  for (size_t i = 0; i < prepared.tensors.size(); ++i) {
    const Tensor& tensor = prepared.tensors[i];
    // File names encode the tensor's name (FileNameOf): none can leave `dir`.
    const std::string stem = FileNameOf(tensor.spec.name);
    const std::string npy = stem + ".npy";
    const std::string encoded = EncodeNpy(tensor.spec.dtype, tensor.dense_shape, tensor.data);
    HBPREP_RETURN_IF_ERROR(WriteFile(dir / npy, encoded));
    nlohmann::ordered_json& entry = manifest["tensors"][i];
    entry["shape"] = tensor.spec.shape;
    entry["strides"] = prepared.plan.target == Target::kBoard ? tensor.spec.strides
                                                              : prepared.plan.tensors[i].strides;
    entry["file"] = npy;
    if (!bin) continue;
    std::string run_file;
    if (tensor.spec.role == TensorRole::kRoi) {
      const int32_t* v = reinterpret_cast<const int32_t*>(tensor.data.data());
      run_file = stem + ".txt";
      const std::string text = absl::StrCat(v[0], " ", v[1], " ", v[2], " ", v[3], "\n");
      HBPREP_RETURN_IF_ERROR(WriteFile(dir / run_file, text));
    } else {
      run_file = stem + ".bin";
      if (absl::StatusOr<size_t> layout = CheckStridedLayout(tensor.spec, tensor.data.size());
          !layout.ok()) {
        return layout.status();
      }
      const std::vector<uint8_t> packed = PackStrided(tensor);
      HBPREP_RETURN_IF_ERROR(WriteFile(
          dir / run_file,
          absl::string_view(reinterpret_cast<const char*>(packed.data()), packed.size())));
    }
    entry["bin_file"] = run_file;
    run_files.push_back(run_file);
  }
  if (bin) {
    if (std::string hrt = HrtArguments(prepared, run_files); !hrt.empty()) {
      manifest["hrt_model_exec"] = hrt;
    } else {
      manifest.erase("hrt_model_exec");
    }
  } else {
    manifest.erase("hrt_model_exec");
  }
  manifest["geometry"] = GeometryToJson(prepared.geometry);
  manifest["warnings"] = prepared.warnings;
  nlohmann::ordered_json versions = nlohmann::ordered_json::object();
  for (const auto& [name, version] : prepared.versions) versions[name] = version;
  manifest["versions"] = versions;
  const std::string text = DumpJson(manifest) + "\n";
  HBPREP_RETURN_IF_ERROR(WriteFile(dir / "manifest.json", text));
  return manifest;
}

}  // namespace

int PrepareCommand(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  absl::StatusOr<Args> args = ParseWorkCommandFlags(
      argv, FlagSpec{{"target", "roi", "out", "format"}, {"json", "preview"}});
  if (!args.ok()) return UsageError(err, args.status().message());
  if (!args->Has("out")) return UsageError(err, "prepare needs --out DIR");
  absl::StatusOr<EngineFlags> engine = ParseEngineFlags(*args);
  if (!engine.ok()) return UsageError(err, engine.status().message());
  PrepareOptions& options = engine->options;
  const std::optional<RawImage>& raw = engine->raw;
  const std::string target_name = args->Get("target").value_or("board");
  std::optional<Target> target = ParseTarget(target_name);
  if (!target) {
    return UsageError(
        err, absl::StrCat("--target '", target_name, "' is not one of ", TargetNames()));
  }
  options.target = *target;
  const std::string format = args->Get("format").value_or("npy");
  if (format != "npy" && format != "bin") {
    return UsageError(err, absl::StrCat("--format '", format, "' is not one of npy, bin"));
  }
  std::vector<Roi> rois;
  for (const std::string& text : args->GetAll("roi")) {
    absl::StatusOr<Roi> roi = ParseRoi(text);
    if (!roi.ok()) return UsageError(err, roi.status().message());
    rois.push_back(*roi);
  }
  absl::StatusOr<int> jobs = ParseJobs(*args);
  if (!jobs.ok()) return UsageError(err, jobs.status().message());

  absl::StatusOr<std::unique_ptr<Backend>> backend = MakeBackend(*args);
  if (!backend.ok()) return SetupFailure(err, backend.status());
  absl::StatusOr<ModelInfo> info = (*backend)->Describe(options.target);
  if (!info.ok()) return SetupFailure(err, info.status());
  if (absl::Status checked = (*backend)->Check(options); !checked.ok()) {
    return UsageError(err, checked.message());
  }
  if (absl::Status names = CheckTensorNames(info->plan); !names.ok()) {
    return UsageError(err, names.message());
  }
  const std::string& model = info->plan.model;
  const size_t per_request = info->slots.size();
  const std::vector<std::string>& files = args->positional();
  if (files.empty() || files.size() % per_request != 0) {
    return UsageError(
        err, absl::StrCat("model '", model, "' takes ", per_request,
                          " file(s) per request for target ", target_name, "; got ", files.size()));
  }
  // The i-th --roi belongs to the i-th image that feeds a resizer input.
  const size_t requests = files.size() / per_request;
  size_t resizer_images = 0;
  for (const Slot& slot : info->slots) resizer_images += slot.resizer;
  if (rois.size() > resizer_images * requests) {
    return UsageError(err,
                      absl::StrCat(rois.size(), " --roi given but only ", resizer_images * requests,
                                   " image(s) feed a resizer input"));
  }

  const fs::path out_dir = *args->Get("out");
  StagedOutput output(out_dir);
  if (absl::Status opened = output.Open(); !opened.ok()) {
    PrintMessages(err, "hbprep: ", opened.message());
    return kExitFailed;
  }
  auto fail = [&](absl::string_view message) {
    PrintMessages(err, "hbprep: ", message);
    return kExitFailed;  // `output` removes its staging folder
  };

  // Each request's ROIs, fixed before any work starts: the i-th --roi goes to the i-th image
  // that feeds a resizer input, whichever job prepares it.
  std::vector<std::vector<std::optional<Roi>>> request_rois(
      requests, std::vector<std::optional<Roi>>(per_request));
  size_t next_roi = 0;
  for (size_t r = 0; r < requests; ++r) {
    for (size_t i = 0; i < per_request; ++i) {
      if (info->slots[i].resizer && next_roi < rois.size()) request_rois[r][i] = rois[next_roi++];
    }
  }
  // The preview de-normalises with the descriptor when the CLI has it (--config).
  std::optional<Descriptor> preview_descriptor;
  if (args->Has("preview")) {
    if (std::optional<std::string> config = args->Get("config")) {
      absl::StatusOr<Descriptor> loaded = LoadDescriptorFile(*config, nullptr);
      if (loaded.ok()) preview_descriptor = *std::move(loaded);
    }
  }

  // Jobs read and prepare requests; this thread writes them, in order (client/jobs.h).
  struct Outcome {
    absl::StatusOr<Prepared> prepared;
    RequestBudget::Hold hold;  // the request's memory, until it is written
  };
  std::optional<RequestBudget> budget;
  if (*jobs > 1 && options.max_request_bytes > 0) budget.emplace(options.max_request_bytes);
  const std::function<Outcome(size_t, const std::function<bool()>&)> work =
      [&](size_t r, const std::function<bool()>& cancelled) {
        Outcome outcome;
        std::vector<InputImage> images(per_request);
        for (size_t i = 0; i < per_request; ++i) {
          InputImage& image = images[i];
          image.what = files[r * per_request + i];
          if (!ReadFile(image.what, &image.bytes)) {
            if (budget) budget->Pass(r);
            outcome.prepared = absl::NotFoundError(absl::StrCat(image.what, ": cannot read file"));
            return outcome;
          }
          image.roi = request_rois[r][i];
          if (info->slots[i].image) image.raw = raw;
        }
        PrepareOptions request_options = options;
        if (budget) {
          request_options.reserve = [&](const RequestCost& cost) {
            return budget->Reserve(r, cost.peak_bytes, cancelled, &outcome.hold);
          };
          request_options.check_continue = [&cancelled] {
            return cancelled() ? absl::CancelledError("cancelled") : absl::OkStatus();
          };
        }
        outcome.prepared = (*backend)->Prepare(*info, images, request_options);
        if (budget) budget->Pass(r);
        return outcome;
      };
  int status = kExitOk;
  nlohmann::ordered_json documents = nlohmann::ordered_json::array();
  const std::function<bool(size_t, Outcome)> consume = [&](size_t r, Outcome outcome) {
    if (!outcome.prepared.ok()) {
      status = fail(outcome.prepared.status().message());
      return false;
    }
    Prepared& prepared = *outcome.prepared;
    const fs::path dir = requests == 1 ? output.dir() : output.dir() / std::to_string(r);
    std::error_code error;
    fs::create_directories(dir, error);
    absl::StatusOr<nlohmann::ordered_json> manifest = WriteResult(prepared, dir, format == "bin");
    if (!manifest.ok()) {
      status = fail(manifest.status().message());
      return false;
    }
    if (args->Has("preview")) {
      // The folder's tensors as they will be read back.
      absl::StatusOr<PreviewSummary> preview =
          RenderPreview(dir.string(), (dir / "preview.png").string(), preview_descriptor);
      if (!preview.ok()) {
        status = fail(preview.status().message());
        return false;
      }
      for (const std::string& note : preview->notes) {
        if (note.find("WARNING") != std::string::npos) prepared.warnings.push_back(note);
      }
    }
    for (const std::string& warning : prepared.warnings)
      err << "hbprep: warning: " << warning << "\n";
    documents.push_back(*std::move(manifest));
    return true;
  };
  RunInOrder<Outcome>(
      requests, *jobs, work, [](const Outcome& outcome) { return !outcome.prepared.ok(); },
      consume);
  if (status != kExitOk) return status;  // `output` removes its staging folder
  if (absl::Status committed = output.Commit(); !committed.ok()) return fail(committed.message());

  if (args->Has("json")) {
    out << (requests == 1 ? DumpJson(documents[0])
                          : DumpJson(nlohmann::ordered_json{{"requests", documents}}))
        << "\n";
    return kExitOk;
  }
  out << "wrote " << requests << " request(s) of model " << model << " (" << target_name << ") to "
      << out_dir.string() << "\n";
  for (size_t r = 0; r < requests; ++r) {
    const auto& doc = documents[r];
    const std::string where =
        requests == 1 ? out_dir.string() : (out_dir / std::to_string(r)).string();
    for (const auto& tensor : doc["tensors"]) {
      out << "  " << where << "/" << tensor["file"].get<std::string>() << "  "
          << tensor["dtype"].get<std::string>() << " "
          << absl::StrJoin(tensor["shape"].get<std::vector<int64_t>>(), "x") << "\n";
    }
    if (doc.contains("hrt_model_exec")) {
      out << "  hrt_model_exec " << doc["hrt_model_exec"].get<std::string>() << "\n";
    }
  }
  return kExitOk;
}

}  // namespace hbprep
