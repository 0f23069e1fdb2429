#include "adapters/echo.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace hbprep {
namespace {

std::string Escape(absl::string_view value, size_t max_bytes, bool keep_newlines,
                   bool escape_quotes) {
  std::string out;
  const size_t kept = value.size() > max_bytes ? max_bytes : value.size();
  out.reserve(kept + 16);
  for (size_t i = 0; i < kept; ++i) {
    const unsigned char c = static_cast<unsigned char>(value[i]);
    if (c == '\n' && keep_newlines) {
      out += '\n';
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f || (escape_quotes && (c == '\'' || c == '\\'))) {
      absl::StrAppendFormat(&out, "\\x%02x", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  if (kept < value.size()) absl::StrAppend(&out, "...(", value.size(), " bytes)");
  return out;
}

}  // namespace

std::string Echo(absl::string_view value, size_t max_bytes) {
  return Escape(value, max_bytes, /*keep_newlines=*/false, /*escape_quotes=*/true);
}

std::string EchoMessage(absl::string_view message, size_t max_bytes, bool keep_newlines) {
  return Escape(message, max_bytes, keep_newlines, /*escape_quotes=*/false);
}

}  // namespace hbprep
