// Runs the `hbprep` CLI in-process for tests (and reads files back: tests/testing/files.h).
#ifndef HBPREP_TESTS_TESTING_CLI_H_
#define HBPREP_TESTS_TESTING_CLI_H_

#include <sstream>
#include <string>
#include <vector>

#include "client/cli.h"
#include "tests/testing/files.h"

namespace hbprep::testing {

struct CliResult {
  int status;
  std::string out, err;
};

inline CliResult Cli(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  const int status = RunCli(args, out, err);
  return {status, out.str(), err.str()};
}

}  // namespace hbprep::testing

#endif  // HBPREP_TESTS_TESTING_CLI_H_
