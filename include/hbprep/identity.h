// A model's identity: the canonical form of everything that decides its prepared data, the
// descriptor's and the compiled model's (AttachModelInfo) alike, and its hash. It sits above
// both (descriptor.h knows nothing of compiled models), so that no library part depends on
// one that depends on it.
#ifndef HBPREP_IDENTITY_H_
#define HBPREP_IDENTITY_H_

#include <string>

#include "hbprep/descriptor.h"

namespace hbprep {

// A canonical text form of everything that decides the prepared data (not the name, the
// formatting, comments or key order of the yaml), and its sha256 as "sha256:<hex>".
std::string CanonicalForm(const Descriptor& descriptor);
std::string DescriptorHash(const Descriptor& descriptor);

}  // namespace hbprep

#endif  // HBPREP_IDENTITY_H_
