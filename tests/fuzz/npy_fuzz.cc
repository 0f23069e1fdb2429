// libFuzzer target: the .npy reader (header dict literal, dtype, shape and size bounds). A
// file it accepts holds exactly its shape's bytes and reads back the same once re-encoded.
#include <cstddef>
#include <cstdint>
#include <string>

#include "hbprep/npy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<hbprep::NpyArray> array = hbprep::DecodeNpy(bytes, "fuzz");
  if (!array.ok()) return 0;
  size_t count = static_cast<size_t>(hbprep::ElementSize(array->dtype));
  for (int64_t dim : array->shape) count *= static_cast<size_t>(dim);
  if (array->data.size() != count) __builtin_trap();
  absl::StatusOr<hbprep::NpyArray> back =
      hbprep::DecodeNpy(hbprep::EncodeNpy(array->dtype, array->shape, array->data), "again");
  if (!back.ok() || back->shape != array->shape || back->data != array->data) __builtin_trap();
  return 0;
}
