// libFuzzer target: image headers and decoding behind the engine's limits (small limits, so
// the fuzzer explores headers rather than allocating).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "adapters/image_io.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  hbprep::DecodeLimits limits;
  limits.max_width = limits.max_height = 2048;
  limits.max_pixels = 1 << 20;
  std::vector<std::string> warnings;
  (void)hbprep::ReadImageHeader(bytes, "fuzz");
  absl::StatusOr<cv::Mat> image = hbprep::DecodeImage(bytes, limits, "fuzz", &warnings);
  if (image.ok() && (image->cols > 2048 || image->rows > 2048)) __builtin_trap();
  return 0;
}
