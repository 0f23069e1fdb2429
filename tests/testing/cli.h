// Runs the `hbprep` CLI in-process for tests, and reads files back.
#ifndef HBPREP_TESTS_TESTING_CLI_H_
#define HBPREP_TESTS_TESTING_CLI_H_

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "client/cli.h"

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

// A whole file; empty when it cannot be read.
inline std::string Read(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

}  // namespace hbprep::testing

#endif  // HBPREP_TESTS_TESTING_CLI_H_
