// `hbprep calib`: a calibration set, one .npy per sample and input, as the toolchain's
// calibration step reads it (cal_data_dir per input).

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <iostream>
#include <random>
#include <string>
#include <system_error>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/args.h"
#include "client/backend.h"
#include "client/cli.h"
#include "client/commands.h"
#include "client/engine_flags.h"
#include "client/jobs.h"
#include "client/output.h"
#include "hbprep/descriptor.h"
#include "hbprep/engine.h"
#include "hbprep/npy.h"
#include "hbprep/plan_json.h"
#include "nlohmann/json.hpp"

namespace hbprep {
namespace {

namespace fs = std::filesystem;

// The toolchain asks for 20 to 100 calibration samples.
constexpr int kFewestSamples = 20;
constexpr int kMostSamples = 100;
// A pixel standard deviation below this (0..255 units) marks a blank or single-colour image.
constexpr double kBlankStddev = 2.0;

bool IsSampleFile(const fs::path& path) {
  const std::string ext = absl::AsciiStrToLower(path.extension().string());
  for (const char* known : {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff", ".npy"}) {
    if (ext == known) return true;
  }
  return false;
}

// Files as given, folders expanded to their sample files (recursively, sorted by path).
bool ExpandInputs(const std::vector<std::string>& args, std::vector<std::string>* files,
                  std::string* error_message) {
  for (const std::string& arg : args) {
    std::error_code error;
    if (!fs::is_directory(arg, error)) {
      files->push_back(arg);
      continue;
    }
    std::vector<std::string> found;
    for (fs::recursive_directory_iterator it(arg, error), end; !error && it != end;
         it.increment(error)) {
      if (it->is_regular_file(error) && IsSampleFile(it->path())) {
        found.push_back(it->path().string());
      }
    }
    if (error) {
      *error_message = absl::StrCat(arg, ": cannot read folder: ", error.message());
      return false;
    }
    std::sort(found.begin(), found.end());
    files->insert(files->end(), found.begin(), found.end());
  }
  return true;
}

// 0 .. total-1 shuffled reproducibly from `seed`: Fisher-Yates over mt19937_64, whose
// sequence the C++ standard fixes, with an unbiased draw of our own (std::shuffle and the
// standard distributions differ between library implementations).
std::vector<size_t> Shuffled(size_t total, uint64_t seed) {
  std::vector<size_t> order(total);
  for (size_t i = 0; i < total; ++i) order[i] = i;
  std::mt19937_64 rng(seed);
  for (size_t i = 0; i + 1 < total; ++i) {
    const uint64_t range = total - i;
    const uint64_t limit = UINT64_MAX - UINT64_MAX % range;
    uint64_t draw;
    do {
      draw = rng();
    } while (draw >= limit);
    std::swap(order[i], order[i + draw % range]);
  }
  return order;
}

void Progress(std::ostream& err, size_t done, size_t total) {
  constexpr int kWidth = 30;
  const int filled = total == 0 ? kWidth : static_cast<int>(kWidth * done / total);
  err << "\rcalib [" << std::string(filled, '#') << std::string(kWidth - filled, '-') << "] "
      << done << "/" << total << (done == total ? "\n" : "") << std::flush;
}

}  // namespace

int CalibCommand(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  absl::StatusOr<Args> args =
      ParseWorkCommandFlags(argv, FlagSpec{{"out", "limit", "seed"}, {"keep-blank", "json"}});
  if (!args.ok()) return UsageError(err, args.status().message());
  if (!args->Has("out")) return UsageError(err, "calib needs --out DIR");
  if (args->positional().empty()) return UsageError(err, "calib needs images or folders");
  size_t limit = 0;
  if (std::optional<std::string> text = args->Get("limit")) {
    if (!absl::SimpleAtoi(*text, &limit) || limit == 0) {
      return UsageError(err, absl::StrCat("--limit '", *text, "' must be a positive integer"));
    }
  }
  uint64_t seed = 0;
  if (std::optional<std::string> text = args->Get("seed")) {
    if (!absl::SimpleAtoi(*text, &seed)) {
      return UsageError(err, absl::StrCat("--seed '", *text, "' must be a non-negative integer"));
    }
  }
  absl::StatusOr<int> jobs = ParseJobs(*args);
  if (!jobs.ok()) return UsageError(err, jobs.status().message());
  absl::StatusOr<EngineFlags> engine = ParseEngineFlags(*args);
  if (!engine.ok()) return UsageError(err, engine.status().message());
  PrepareOptions& options = engine->options;
  options.target = Target::kCalibration;

  absl::StatusOr<std::unique_ptr<Backend>> backend = MakeBackend(*args);
  if (!backend.ok()) return SetupFailure(err, backend.status());
  absl::StatusOr<ModelInfo> info = (*backend)->Describe(Target::kCalibration);
  if (!info.ok()) return SetupFailure(err, info.status());
  if (absl::Status checked = (*backend)->Check(options); !checked.ok()) {
    return UsageError(err, checked.message());
  }
  if (absl::Status names = CheckTensorNames(info->plan); !names.ok()) {
    return UsageError(err, names.message());
  }
  std::vector<std::string> files;
  std::string expand_error;
  if (!ExpandInputs(args->positional(), &files, &expand_error)) {
    err << "hbprep: " << expand_error << "\n";
    return kExitFailed;
  }
  const std::vector<Slot>& slots = info->slots;
  const size_t per_sample = slots.size();
  if (files.empty() || files.size() % per_sample != 0) {
    return UsageError(err, absl::StrCat("model '", info->plan.model, "' takes ", per_sample,
                                        " file(s) per calibration sample; got ", files.size()));
  }
  const size_t available = files.size() / per_sample;
  // With --limit, samples are taken in a seeded random order until `limit` are written
  // (near-constant images skipped on the way); otherwise every sample in file order.
  std::vector<size_t> chosen;
  if (limit > 0 && limit < available) {
    chosen = Shuffled(available, seed);
  } else {
    for (size_t i = 0; i < available; ++i) chosen.push_back(i);
    limit = available;
  }

  StagedOutput output(*args->Get("out"));
  if (absl::Status opened = output.Open(); !opened.ok()) {
    PrintMessages(err, "hbprep: ", opened.message());
    return kExitFailed;
  }
  // The inputs, in order, each once (a batch input has several slots).
  std::vector<std::string> inputs;
  for (const Slot& slot : slots) {
    if (std::find(inputs.begin(), inputs.end(), slot.input) == inputs.end()) {
      inputs.push_back(slot.input);
    }
  }
  std::error_code error;
  // One folder per input, named by FileNameOf(input): none can leave the output folder.
  for (const std::string& input : inputs) {
    fs::create_directories(output.dir() / FileNameOf(input), error);
  }

  const bool tty = ::isatty(STDERR_FILENO) && &err == &std::cerr;
  std::vector<std::string> warnings;  // each once, in the order they arose
  auto warn = [&warnings](const std::string& warning) {
    if (std::find(warnings.begin(), warnings.end(), warning) == warnings.end()) {
      warnings.push_back(warning);
    }
  };
  nlohmann::ordered_json samples = nlohmann::ordered_json::array();
  nlohmann::ordered_json skipped = nlohmann::ordered_json::array();
  std::optional<Plan> plan;
  std::vector<std::pair<std::string, std::string>> versions;
  size_t written = 0;
  // Jobs read and prepare samples (chosen[n]) ahead; this thread takes them in order, skips
  // the blank ones and names and writes the rest, until `limit` are written (client/jobs.h).
  struct Outcome {
    std::string unreadable;  // the file that could not be read
    absl::StatusOr<Prepared> prepared;
    RequestBudget::Hold hold;  // the sample's memory, until it is written
  };
  std::optional<RequestBudget> budget;
  if (*jobs > 1 && options.max_request_bytes > 0) budget.emplace(options.max_request_bytes);
  const std::function<Outcome(size_t, const std::function<bool()>&)> work =
      [&](size_t n, const std::function<bool()>& cancelled) {
        Outcome outcome;
        const size_t first = chosen[n] * per_sample;
        std::vector<InputImage> images(per_sample);
        for (size_t i = 0; i < per_sample; ++i) {
          images[i].what = files[first + i];
          if (slots[i].image) images[i].raw = engine->raw;
          if (!ReadFile(images[i].what, &images[i].bytes)) {
            if (budget) budget->Pass(n);
            outcome.unreadable = images[i].what;
            outcome.prepared = absl::NotFoundError("cannot read file");
            return outcome;
          }
        }
        PrepareOptions sample_options = options;
        if (budget) {
          sample_options.reserve = [&](const RequestCost& cost) {
            return budget->Reserve(n, cost.peak_bytes, cancelled, &outcome.hold);
          };
          sample_options.check_continue = [&cancelled] {
            return cancelled() ? absl::CancelledError("cancelled") : absl::OkStatus();
          };
        }
        outcome.prepared = (*backend)->Prepare(*info, images, sample_options);
        if (budget) budget->Pass(n);
        return outcome;
      };
  int status = kExitOk;
  const std::function<bool(size_t, Outcome)> consume = [&](size_t n, Outcome outcome) {
    if (tty) Progress(err, written, limit);
    const size_t first = chosen[n] * per_sample;
    if (!outcome.unreadable.empty()) {
      err << (tty ? "\n" : "") << "hbprep: " << outcome.unreadable << ": cannot read file\n";
      status = kExitFailed;
      return false;
    }
    if (!outcome.prepared.ok()) {
      if (tty) err << "\n";
      PrintMessages(err, "hbprep: ", outcome.prepared.status().message());
      status = kExitFailed;
      return false;
    }
    Prepared& prepared = *outcome.prepared;
    for (const std::string& warning : prepared.warnings) warn(warning);
    const double spread =
        prepared.pixel_stddev.empty()
            ? kBlankStddev
            : *std::min_element(prepared.pixel_stddev.begin(), prepared.pixel_stddev.end());
    if (spread < kBlankStddev) {
      const std::string note = absl::StrFormat(
          "%s: near-constant image (pixel standard deviation %.2f)%s", files[first], spread,
          args->Has("keep-blank") ? "; kept as asked" : "; skipped (--keep-blank keeps it)");
      warn(note);
      if (!args->Has("keep-blank")) {
        skipped.push_back(files[first]);
        return true;
      }
    }
    nlohmann::ordered_json sample = {{"sources", nlohmann::ordered_json::array()},
                                     {"files", nlohmann::ordered_json::array()}};
    for (size_t i = 0; i < per_sample; ++i) sample["sources"].push_back(files[first + i]);
    for (const Tensor& tensor : prepared.tensors) {
      size_t slot = 0;
      while (slot + 1 < slots.size() && slots[slot].input != tensor.spec.input) ++slot;
      const std::string& source = files[first + slot];
      const std::string name =
          absl::StrFormat("%04d_%s.npy", written, fs::path(source).stem().string());
      const fs::path relative = fs::path(FileNameOf(tensor.spec.input)) / name;
      if (absl::Status wrote =
              WriteFile(output.dir() / relative,
                        EncodeNpy(tensor.spec.dtype, tensor.dense_shape, tensor.data));
          !wrote.ok()) {
        PrintMessages(err, "hbprep: ", wrote.message());
        status = kExitFailed;
        return false;
      }
      sample["files"].push_back(relative.string());
    }
    sample["geometry"] = GeometryToJson(prepared.geometry);
    samples.push_back(std::move(sample));
    if (!plan) {
      plan = prepared.plan;
      versions = prepared.versions;
    }
    ++written;
    return written < limit;
  };
  RunInOrder<Outcome>(
      chosen.size(), *jobs, work, [](const Outcome& outcome) { return !outcome.prepared.ok(); },
      consume);
  if (status != kExitOk) return status;  // `output` removes its staging folder
  if (tty) Progress(err, limit, limit);
  if (written < kFewestSamples || written > kMostSamples) {
    warn(absl::StrCat("the calibration set has ", written, " samples; the toolchain asks for ",
                      kFewestSamples, " to ", kMostSamples));
  }
  if (!plan) {
    err << "hbprep: no usable sample: every image was near-constant (--keep-blank keeps them)\n";
    return kExitFailed;
  }
  nlohmann::ordered_json manifest = PlanToJson(*plan);
  manifest["samples"] = std::move(samples);
  manifest["skipped"] = std::move(skipped);
  manifest["warnings"] = warnings;
  manifest["versions"] = nlohmann::ordered_json::object();
  for (const auto& [name, version] : versions) manifest["versions"][name] = version;
  if (absl::Status wrote = WriteFile(output.dir() / "manifest.json", DumpJson(manifest) + "\n");
      !wrote.ok()) {
    PrintMessages(err, "hbprep: ", wrote.message());
    return kExitFailed;
  }
  if (absl::Status committed = output.Commit(); !committed.ok()) {
    PrintMessages(err, "hbprep: ", committed.message());
    return kExitFailed;
  }
  for (const std::string& warning : warnings) err << "hbprep: warning: " << warning << "\n";
  if (args->Has("json")) {
    out << DumpJson(manifest) << "\n";
    return kExitOk;
  }
  out << "wrote " << written << " calibration sample(s) of model " << info->plan.model << " to "
      << *args->Get("out") << " (";
  for (size_t i = 0; i < inputs.size(); ++i) {
    out << (i ? ", " : "") << FileNameOf(inputs[i]) << "/";
  }
  out << ")";
  if (!manifest["skipped"].empty()) out << ", " << manifest["skipped"].size() << " skipped";
  out << "\n";
  return kExitOk;
}

}  // namespace hbprep
