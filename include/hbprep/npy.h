// NumPy .npy files (format 1.0/2.0, little-endian, C order): what calibration tools and
// HBRuntime scripts load with numpy.load, and what featuremap inputs arrive as.
#ifndef HBPREP_NPY_H_
#define HBPREP_NPY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "hbprep/plan.h"

namespace hbprep {

struct NpyArray {
  DType dtype = DType::kUint8;
  std::vector<int64_t> shape;
  std::vector<uint8_t> data;  // C order, little-endian
};

// The whole file: header then `data`. REQUIRES: data.size() == product(shape) * element size.
std::string EncodeNpy(DType dtype, absl::Span<const int64_t> shape, absl::Span<const uint8_t> data);

// Parses a .npy file's bytes. INVALID_ARGUMENT naming `what` for anything malformed,
// Fortran order, big-endian data or a dtype other than uint8/int8/int32/float32/float64
// (float64 is converted to float32).
absl::StatusOr<NpyArray> DecodeNpy(absl::string_view bytes, absl::string_view what);

}  // namespace hbprep

#endif  // HBPREP_NPY_H_
