// `hbprep calib`: a calibration set, one .npy per sample and input, as the toolchain's
// calibration step reads it (cal_data_dir per input), written by hbprep/calibration_set.h's
// writer; this file is the flags, the jobs and what the command prints.

#include <unistd.h>

#include <functional>
#include <iostream>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "client/args.h"
#include "client/backend.h"
#include "client/cli.h"
#include "client/commands.h"
#include "client/engine_flags.h"
#include "client/jobs.h"
#include "hbprep/calibration_set.h"
#include "hbprep/engine.h"
#include "hbprep/output_folder.h"
#include "hbprep/plan_json.h"
#include "nlohmann/json.hpp"

namespace hbprep {
namespace {

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
  absl::StatusOr<std::vector<std::string>> expanded = ExpandSampleFiles(args->positional());
  if (!expanded.ok()) {
    PrintMessages(err, "hbprep: ", expanded.status().message());
    return kExitFailed;
  }
  const std::vector<std::string>& files = *expanded;
  const std::vector<Slot>& slots = info->slots;
  const size_t per_sample = slots.size();
  if (files.empty() || files.size() % per_sample != 0) {
    return UsageError(err, absl::StrCat("model '", info->plan.model, "' takes ", per_sample,
                                        " file(s) per calibration sample; got ", files.size()));
  }
  // With --limit, samples are taken in a seeded random order until `limit` are written
  // (near-constant images skipped on the way); otherwise every sample in file order.
  const std::pair<std::vector<size_t>, size_t> order =
      CalibrationOrder(files.size() / per_sample, limit, seed);
  const std::vector<size_t>& chosen = order.first;
  limit = order.second;

  StagedOutput output(*args->Get("out"));
  if (absl::Status opened = output.Open(); !opened.ok()) {
    PrintMessages(err, "hbprep: ", opened.message());
    return kExitFailed;
  }
  std::vector<std::string> slot_inputs;
  for (const Slot& slot : slots) slot_inputs.push_back(slot.input);
  CalibrationSetWriter writer(output.dir(), slot_inputs, args->Has("keep-blank"), limit);
  if (absl::Status opened = writer.Open(); !opened.ok()) {
    PrintMessages(err, "hbprep: ", opened.message());
    return kExitFailed;
  }

  const bool tty = ::isatty(STDERR_FILENO) && &err == &std::cerr;
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
    if (tty) Progress(err, writer.written(), limit);
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
    const std::vector<std::string> sources(files.begin() + first,
                                           files.begin() + first + per_sample);
    absl::StatusOr<bool> more = writer.Add(sources, *outcome.prepared);
    if (!more.ok()) {
      PrintMessages(err, "hbprep: ", more.status().message());
      status = kExitFailed;
      return false;
    }
    return *more;
  };
  RunInOrder<Outcome>(
      chosen.size(), *jobs, work, [](const Outcome& outcome) { return !outcome.prepared.ok(); },
      consume);
  if (status != kExitOk) return status;  // `output` removes its staging folder
  if (tty) Progress(err, limit, limit);
  absl::StatusOr<nlohmann::ordered_json> manifest = writer.Finish();
  if (!manifest.ok()) {
    PrintMessages(err, "hbprep: ", manifest.status().message());
    return kExitFailed;
  }
  if (absl::Status committed = output.Commit(); !committed.ok()) {
    PrintMessages(err, "hbprep: ", committed.message());
    return kExitFailed;
  }
  for (const std::string& warning : writer.warnings()) {
    err << "hbprep: warning: " << warning << "\n";
  }
  if (args->Has("json")) {
    out << DumpJson(*manifest) << "\n";
    return kExitOk;
  }
  out << "wrote " << writer.written() << " calibration sample(s) of model " << info->plan.model
      << " to " << *args->Get("out") << " (";
  const std::vector<std::string>& inputs = writer.input_folders();
  for (size_t i = 0; i < inputs.size(); ++i) {
    out << (i ? ", " : "") << FileNameOf(inputs[i]) << "/";
  }
  out << ")";
  if (writer.skipped() > 0) out << ", " << writer.skipped() << " skipped";
  out << "\n";
  return kExitOk;
}

}  // namespace hbprep
