// libFuzzer target: image headers and decoding behind the engine's limits (small limits, so
// the fuzzer explores headers rather than allocating), exact and fast (JPEG's planes at a DCT
// scale chosen from the input's last byte) alike, partial-width exact decoding, and the EXIF
// orientation reader.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "adapters/image_io.h"
#include "adapters/jpeg.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  hbprep::DecodeLimits limits;
  limits.max_width = limits.max_height = 2048;
  limits.max_pixels = 1 << 20;
  std::vector<std::string> warnings;
  (void)hbprep::ReadImageHeader(bytes, "fuzz");
  (void)hbprep::JpegExifOrientation(bytes);
  absl::StatusOr<cv::Mat> image = hbprep::DecodeImage(bytes, limits, "fuzz", &warnings);
  if (image.ok() && (image->cols > 2048 || image->rows > 2048)) __builtin_trap();
  absl::StatusOr<hbprep::ImageHeader> header = hbprep::CheckImageHeader(bytes, limits, "fuzz");
  if (header.ok() && header->format == "JPEG" && size > 0) {
    const int minimum = data[size - 1];
    const std::optional<hbprep::JpegPlanes> planes =
        hbprep::DecodeJpegPlanes(bytes, minimum, minimum / 2);
    if (planes && (planes->y.cols > header->width || planes->y.rows > header->height ||
                   planes->uv.cols != (planes->y.cols + 1) / 2 ||
                   planes->uv.rows != (planes->y.rows + 1) / 2)) {
      __builtin_trap();
    }
    // Partial-width decoding of the columns [x0, x1) the input's last bytes choose.
    const int width = static_cast<int>(header->width);
    const int x0 = size > 1 ? data[size - 2] % width : 0;
    const int x1 = std::min(width, x0 + 1 + minimum);
    const std::optional<cv::Mat> columns = hbprep::DecodeJpegBgrColumns(bytes, x0, x1);
    if (columns && (columns->cols != width || columns->rows != header->height)) __builtin_trap();
  }
  return 0;
}
