// `hbprep diff DIR_A DIR_B`: compares two prepared output folders (or folders of plain
// .npy files named after their tensors, as a user's own script writes them) tensor by
// tensor, and checks what the data says about its colour range and channel order.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "client/args.h"
#include "client/cli.h"
#include "client/commands.h"
#include "client/tensor_folder.h"
#include "hbprep/descriptor.h"
#include "hbprep/npy.h"
#include "hbprep/output_folder.h"
#include "hbprep/plan_json.h"
#include "nlohmann/json.hpp"

namespace hbprep {
namespace {

namespace fs = std::filesystem;

std::string Position(const std::vector<int64_t>& shape, size_t index) {
  std::vector<int64_t> position(shape.size());
  for (size_t d = shape.size(); d-- > 0;) {
    position[d] = static_cast<int64_t>(index) % shape[d];
    index /= static_cast<size_t>(shape[d]);
  }
  return absl::StrCat("[", absl::StrJoin(position, ","), "]");
}

struct Comparison {
  std::string name;
  std::string problem;  // set when the tensors cannot be compared value by value
  double max_abs = 0, mean_abs = 0, psnr = INFINITY;
  int64_t differing = 0;
  std::vector<std::string> first;  // "[n,h,w,c]: a vs b"
  bool equal = false;
};

Comparison OnlyIn(const std::string& name, const std::string& dir) {
  Comparison c;
  c.name = name;
  c.problem = absl::StrCat("only in ", dir);
  return c;
}

Comparison Compare(const std::string& name, const NpyArray& a, const NpyArray& b,
                   double tolerance) {
  Comparison c;
  c.name = name;
  if (a.dtype != b.dtype) {
    c.problem = absl::StrCat("dtype ", ToString(a.dtype), " vs ", ToString(b.dtype));
    return c;
  }
  if (a.shape != b.shape) {
    c.problem =
        absl::StrCat("shape ", absl::StrJoin(a.shape, "x"), " vs ", absl::StrJoin(b.shape, "x"));
    return c;
  }
  const size_t count = a.data.size() / static_cast<size_t>(ElementSize(a.dtype));
  double sum_abs = 0, sum_sq = 0, low = INFINITY, high = -INFINITY;
  for (size_t i = 0; i < count; ++i) {
    const double x = ValueAt(a, i), y = ValueAt(b, i), d = std::abs(x - y);
    low = std::min(low, x);
    high = std::max(high, x);
    sum_abs += d;
    sum_sq += d * d;
    c.max_abs = std::max(c.max_abs, d);
    if (d > tolerance) {
      if (c.first.size() < 5) {
        c.first.push_back(absl::StrCat(Position(a.shape, i), ": ", x, " vs ", y));
      }
      ++c.differing;
    }
  }
  if (count > 0) {
    c.mean_abs = sum_abs / count;
    // Peak: the dtype's span for integers, the data's span for floats.
    const double peak = a.dtype == DType::kFloat32 ? std::max(high - low, 1e-12) : 255.0;
    const double mse = sum_sq / count;
    c.psnr = mse == 0 ? INFINITY : 10 * std::log10(peak * peak / mse);
  }
  c.equal = c.differing == 0;
  return c;
}

}  // namespace

int DiffCommand(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  absl::StatusOr<Args> args = Args::Parse(argv, FlagSpec{{"tolerance", "config"}, {"json"}});
  if (!args.ok()) return UsageError(err, args.status().message());
  if (args->positional().size() != 2) return UsageError(err, "diff needs two folders: DIR_A DIR_B");
  double tolerance = 0;
  if (std::optional<std::string> text = args->Get("tolerance")) {
    if (!absl::SimpleAtod(*text, &tolerance) || !(tolerance >= 0)) {
      return UsageError(err, absl::StrCat("--tolerance '", *text, "' must be a number >= 0"));
    }
  }
  std::optional<Descriptor> descriptor;
  if (std::optional<std::string> config = args->Get("config")) {
    absl::StatusOr<Descriptor> loaded = LoadDescriptorFile(*config, nullptr);
    if (!loaded.ok()) return SetupFailure(err, loaded.status());
    descriptor = *std::move(loaded);
  }
  const std::string dir_a = args->positional()[0], dir_b = args->positional()[1];
  absl::StatusOr<std::map<std::string, NpyArray>> a = LoadFolder(dir_a);
  if (!a.ok()) return SetupFailure(err, a.status());
  absl::StatusOr<std::map<std::string, NpyArray>> b = LoadFolder(dir_b);
  if (!b.ok()) return SetupFailure(err, b.status());

  std::vector<Comparison> comparisons;
  for (const auto& [name, array] : *a) {
    auto other = b->find(name);
    if (other == b->end()) {
      comparisons.push_back(OnlyIn(name, dir_a));
    } else {
      comparisons.push_back(Compare(name, array, other->second, tolerance));
    }
  }
  for (const auto& [name, array] : *b) {
    if (!a->count(name)) comparisons.push_back(OnlyIn(name, dir_b));
  }
  std::vector<std::string> notes = RangeChecks(dir_a, *a, descriptor);
  for (const std::string& note : RangeChecks(dir_b, *b, descriptor)) notes.push_back(note);
  const bool equal = std::all_of(comparisons.begin(), comparisons.end(),
                                 [](const Comparison& c) { return c.equal; });

  if (args->Has("json")) {
    nlohmann::ordered_json doc = {{"equal", equal}, {"tolerance", tolerance}};
    doc["tensors"] = nlohmann::ordered_json::array();
    for (const Comparison& c : comparisons) {
      nlohmann::ordered_json t = {{"name", c.name}, {"equal", c.equal}};
      if (!c.problem.empty()) {
        t["problem"] = c.problem;
      } else {
        t["max_abs_diff"] = c.max_abs;
        t["mean_abs_diff"] = c.mean_abs;
        t["psnr_db"] =
            std::isinf(c.psnr) ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(c.psnr);
        t["differing"] = c.differing;
        t["first"] = c.first;
      }
      doc["tensors"].push_back(std::move(t));
    }
    doc["checks"] = notes;
    out << DumpJson(doc) << "\n";
  } else {
    for (const Comparison& c : comparisons) {
      if (!c.problem.empty()) {
        out << c.name << ": DIFFERENT " << c.problem << "\n";
        continue;
      }
      out << c.name << ": " << (c.equal ? "equal" : "DIFFERENT")
          << absl::StrFormat(" (max |diff| %g, mean |diff| %g, PSNR %s, %d value(s) beyond %g)",
                             c.max_abs, c.mean_abs,
                             std::isinf(c.psnr) ? "inf" : absl::StrFormat("%.2f dB", c.psnr),
                             c.differing, tolerance)
          << "\n";
      for (const std::string& position : c.first) out << "  " << position << "\n";
    }
    for (const std::string& note : notes) out << note << "\n";
  }
  return equal ? kExitOk : kExitFailed;
}

}  // namespace hbprep
