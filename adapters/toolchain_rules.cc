#include "adapters/toolchain_rules.h"

#include <vector>

#include "absl/strings/str_join.h"
#include "adapters/descriptor_names.h"

namespace hbprep {

bool IsOneOf(absl::Span<const absl::string_view> keys, absl::string_view key) {
  for (absl::string_view known : keys) {
    if (known == key) return true;
  }
  return false;
}

// Legal input_type_train -> input_type_rt (domain brief section 2).
bool LegalConversion(ImageType train, ImageType rt) {
  switch (train) {
    case ImageType::kRgb:
    case ImageType::kBgr:
      return rt == ImageType::kRgb || rt == ImageType::kBgr || rt == ImageType::kNv12 ||
             rt == ImageType::kYuv444;
    case ImageType::kYuv444:
      return rt == ImageType::kYuv444 || rt == ImageType::kNv12;
    case ImageType::kGray:
      return rt == ImageType::kGray;
    case ImageType::kFeaturemap:
      return rt == ImageType::kFeaturemap;
    case ImageType::kNv12:
      return false;
  }
  return false;
}

std::string LegalTargets(ImageType train) {
  std::vector<absl::string_view> names;
  for (const auto& rt : kRtTypes) {
    if (LegalConversion(train, rt.value)) names.push_back(rt.name);
  }
  return absl::StrJoin(names, ", ");
}

bool SourceAccepts(InputSource source, ImageType rt) {
  switch (source) {
    case InputSource::kPyramid:
    case InputSource::kResizer:
      return rt == ImageType::kNv12 || rt == ImageType::kGray;
    case InputSource::kDdr:
      return rt != ImageType::kNv12;
  }
  return false;
}

std::string AcceptedBy(InputSource source) {
  std::vector<absl::string_view> names;
  for (const auto& rt : kRtTypes) {
    if (SourceAccepts(source, rt.value)) names.push_back(rt.name);
  }
  return absl::StrJoin(names, ", ");
}

}  // namespace hbprep
