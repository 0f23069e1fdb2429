// The `hbprep` command line. main() only forwards argv here, so tests run the same code.
//
// Exit status (docs: README "CLI"): 0 success; 1 the work failed (unreadable file, I/O);
// 2 bad usage or an invalid descriptor. With --json, `out` receives exactly one JSON
// document; messages and warnings always go to `err`.
#ifndef HBPREP_CLIENT_CLI_H_
#define HBPREP_CLIENT_CLI_H_

#include <ostream>
#include <string>
#include <vector>

namespace hbprep {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;

// `args` excludes the program name.
int RunCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace hbprep

#endif  // HBPREP_CLIENT_CLI_H_
