// What hbprep knows about each chip family, keyed by the yaml's `model_parameters.march`.
//
// The table is data: a new chip or a newly published limit is one row in chip.cc.
#ifndef HBPREP_CHIP_H_
#define HBPREP_CHIP_H_

#include <string>

#include "absl/strings/string_view.h"

namespace hbprep {

// The toolchain generation that compiles for a chip. It decides tensor conventions:
// OE 1.x takes one packed NV12 tensor per pyramid input, OE 3.x (J6) separate Y and UV.
enum class Toolchain { kOe1, kJ6 };

// What a chip's BPU resizer accepts of a ROI (inclusive coordinates) beyond lying inside the
// image; zero: no such rule.
struct RoiRules {
  absl::string_view board;  // how messages name it, e.g. "X3 (bernoulli2)"
  bool even_start_odd_end = false;  // left and top even, right and bottom odd
  int min_side = 0;                 // width and height at least this
  int max_side = 0;                 // ... and at most this
  bool max_exclusive = false;       // ... or below it
  int max_image_width = 0;          // the image at most this wide
};

struct ChipInfo {
  absl::string_view march;  // as written in the yaml, e.g. "nash-e"
  absl::string_view chips;  // the boards it means, for messages and docs
  Toolchain toolchain;
  // Row alignment in bytes of image planes: the Y/UV row stride on J6 (64 on nash-p and
  // nash-h, 32 on the others), the NV12 width alignment on OE 1.x (16).
  int row_alignment;
  // The largest input_batch: the toolchain's own limit on OE 1.x (128 on bernoulli2, 4096 on
  // bayes and bayes-e); hb_compile sets none, and hbprep takes at most 4096 there.
  int max_input_batch;
  // The resizer's ROI rules (the domain brief section 5; X3's and J5's published limits).
  RoiRules roi = {};
};

// Returns the chip for a march name, or nullptr when the name is unknown.
const ChipInfo* FindChip(absl::string_view march);

// "bernoulli2, bayes, bayes-e, nash-e, nash-m, nash-p", for error messages.
std::string KnownMarches();

}  // namespace hbprep

#endif  // HBPREP_CHIP_H_
