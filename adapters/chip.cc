#include "hbprep/chip.h"

#include <array>

#include "absl/strings/str_join.h"

namespace hbprep {
namespace {

// Sources (README "Chips"): the domain brief section 5; the marches hb_compile accepts
// (horizon_tc_ui's and hbdk4's march lists: nash-b-lite, nash-b, nash-b-plus, nash-e,
// nash-m, nash-p, nash-starry-p, nash-h); the boards per march from the OE skills' board
// detection (J6E/M -> nash-e/m, J6P and RDK S600 -> nash-p, J6B -> nash-b) and rdk_model_zoo
// (S100 -> nash-e, S100P -> nash-m); row alignment from the J6 UCP samples' tensor
// preparation (64 bytes on J6P/J6H, 32 on every other J6) and the J6E/M pyramid/resizer
// deployment notes (32); input_batch ranges from the OE 1.x yaml parser.
constexpr std::array<ChipInfo, 11> kChips = {{
    {"bernoulli2", "X3", Toolchain::kOe1, 16, 128, {"X3 (bernoulli2)", true, 16, 256, true, 0}},
    {"bayes", "J5 / RDK Ultra", Toolchain::kOe1, 16, 4096, {"J5 (bayes)", false, 2, 4096, false, 4096}},
    {"bayes-e", "X5", Toolchain::kOe1, 16, 4096},
    {"nash-e", "J6E / S100", Toolchain::kJ6, 32, 4096},
    {"nash-m", "J6M / S100P", Toolchain::kJ6, 32, 4096},
    {"nash-p", "J6P / S600", Toolchain::kJ6, 64, 4096},
    {"nash-h", "J6H", Toolchain::kJ6, 64, 4096},
    {"nash-b", "J6B", Toolchain::kJ6, 32, 4096},
    {"nash-b-lite", "(board not published)", Toolchain::kJ6, 32, 4096},
    {"nash-b-plus", "(board not published)", Toolchain::kJ6, 32, 4096},
    {"nash-starry-p", "(board not published)", Toolchain::kJ6, 32, 4096},
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
