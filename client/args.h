// A small command-line parser for `hbprep` subcommands: `--name value`, `--name=value`,
// boolean `--name`, repeatable flags, and positional arguments (`--` ends the flags).
#ifndef HBPREP_CLIENT_ARGS_H_
#define HBPREP_CLIENT_ARGS_H_

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace hbprep {

struct FlagSpec {
  std::set<std::string> with_value;  // e.g. "config", "target"
  std::set<std::string> boolean;     // e.g. "json"
};

class Args {
 public:
  // INVALID_ARGUMENT naming the flag for unknown flags and missing values.
  static absl::StatusOr<Args> Parse(const std::vector<std::string>& argv, const FlagSpec& spec);

  bool Has(const std::string& flag) const { return values_.count(flag) > 0; }
  // The last value given for `flag`.
  std::optional<std::string> Get(const std::string& flag) const;
  // Every value given for `flag`, in order.
  std::vector<std::string> GetAll(const std::string& flag) const;
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  std::map<std::string, std::vector<std::string>> values_;
  std::vector<std::string> positional_;
};

}  // namespace hbprep

#endif  // HBPREP_CLIENT_ARGS_H_
