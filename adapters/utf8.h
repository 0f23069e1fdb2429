// UTF-8 validation (internal to the engine): descriptors are UTF-8 text, and their names and
// values end up in JSON documents.
#ifndef HBPREP_ADAPTERS_UTF8_H_
#define HBPREP_ADAPTERS_UTF8_H_

#include <cstddef>

#include "absl/strings/string_view.h"

namespace hbprep {

// The offset of the first byte that breaks UTF-8 (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF), or npos.
size_t InvalidUtf8(absl::string_view text);

}  // namespace hbprep

#endif  // HBPREP_ADAPTERS_UTF8_H_
