// The CLI's subcommands and the helpers they share (internal to client/).
#ifndef HBPREP_CLIENT_COMMANDS_H_
#define HBPREP_CLIENT_COMMANDS_H_

#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace hbprep {

// `hbprep prepare` and `hbprep calib`: see README "CLI".
int PrepareCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int CalibCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
// `hbprep diff`: see README "Debugging accuracy".
int DiffCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int PreviewCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

// Prints "hbprep: <message>" and the usage hint; returns kExitUsage.
int UsageError(std::ostream& err, absl::string_view message);
// A failure while finding the model (before any file is processed): every line of the
// message, then kExitUsage for an invalid descriptor (INVALID_ARGUMENT), kExitFailed for
// the rest (missing files, unknown models, an unreachable server).
int SetupFailure(std::ostream& err, const absl::Status& status);
// Prints every line of `text` with `prefix`.
void PrintMessages(std::ostream& err, absl::string_view prefix, absl::string_view text);

}  // namespace hbprep

#endif  // HBPREP_CLIENT_COMMANDS_H_
