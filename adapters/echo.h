// Client values in messages and logs. A value a client sent (a model name, a tensor name, a
// parameter, a path) is echoed only through Echo(): control characters, quotes and backslashes
// are escaped (a name cannot forge a log line or send terminal escapes), and it is cut to a
// small length (a 10 MB name costs 10 MB once, in the request, not again in every log line
// and status message).
#ifndef HBPREP_ADAPTERS_ECHO_H_
#define HBPREP_ADAPTERS_ECHO_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace hbprep {

// The longest part of a client value Echo() keeps, in bytes.
inline constexpr size_t kEchoMaxBytes = 64;

// `value` escaped and cut to `max_bytes`: bytes below 0x20, 0x7f, `'` and `\` become \xNN
// (\n, \r, \t as such); beyond `max_bytes` the rest is replaced by "...(N bytes)" giving the
// whole length. Printable ASCII and UTF-8 bytes stay as they are.
std::string Echo(absl::string_view value, size_t max_bytes = kEchoMaxBytes);

// A whole message (a status message, made of the server's own text and echoed values) made
// safe for one log line or one status: escaped as Echo() does, except that newlines are kept
// when `keep_newlines` (multi-error messages), and cut to `max_bytes`.
std::string EchoMessage(absl::string_view message, size_t max_bytes, bool keep_newlines);

}  // namespace hbprep

#endif  // HBPREP_ADAPTERS_ECHO_H_
