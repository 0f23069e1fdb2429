#include "adapters/chip.h"

#include <array>

#include "absl/strings/str_join.h"

namespace hbprep {
namespace {

// Sources: domain brief section 5 (Horizon OE 1.x and OE 3.x documentation).
constexpr std::array<ChipInfo, 6> kChips = {{
    {"bernoulli2", "X3", Toolchain::kOe1, 16},
    {"bayes", "J5 / RDK Ultra", Toolchain::kOe1, 16},
    {"bayes-e", "X5", Toolchain::kOe1, 16},
    {"nash-e", "J6E / J6M / S100", Toolchain::kJ6, 32},
    {"nash-m", "J6M / S100", Toolchain::kJ6, 32},
    {"nash-p", "J6P / J6H", Toolchain::kJ6, 64},
}};

}  // namespace

const ChipInfo* FindChip(absl::string_view march) {
  for (const ChipInfo& chip : kChips) {
    if (chip.march == march) return &chip;
  }
  return nullptr;
}

std::string KnownMarches() {
  return absl::StrJoin(kChips, ", ", [](std::string* out, const ChipInfo& chip) {
    out->append(chip.march.data(), chip.march.size());
  });
}

}  // namespace hbprep
