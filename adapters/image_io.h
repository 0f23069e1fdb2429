// Encoded image input: format sniffing, header dimensions read before any pixel is decoded
// (so a small file cannot make the engine allocate gigabytes), and decoding to BGR.
// Internal to the engine: exposes cv::Mat.
#ifndef HBPREP_ADAPTERS_IMAGE_IO_H_
#define HBPREP_ADAPTERS_IMAGE_IO_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "hbprep/descriptor.h"
#include "opencv2/core/mat.hpp"

namespace hbprep {

// Limits checked against an image's header before decoding. Defaults admit 8K frames.
struct DecodeLimits {
  int64_t max_width = 16384;
  int64_t max_height = 16384;
  int64_t max_pixels = int64_t{1} << 26;  // 64 Mpixel
};

struct ImageHeader {
  std::string format;  // "JPEG", "PNG", "BMP", "WebP", "TIFF"
  int64_t width = 0;
  int64_t height = 0;
  int bit_depth = 8;  // bits per sample, where the header says
};

// INVALID_ARGUMENT naming `what` when the bytes are not a supported format or the header is
// truncated or inconsistent.
absl::StatusOr<ImageHeader> ReadImageHeader(absl::string_view bytes, absl::string_view what);

// The header, checked against `limits` (RESOURCE_EXHAUSTED beyond them); INVALID_ARGUMENT
// also for a JPEG without its end-of-image marker.
absl::StatusOr<ImageHeader> CheckImageHeader(absl::string_view bytes, const DecodeLimits& limits,
                                             absl::string_view what);

// Checks the header as CheckImageHeader does, then decodes to 8-bit
// BGR the way cv2.imread does (EXIF orientation applied, grey replicated, alpha dropped,
// 16-bit samples reduced to their high byte, with a warning).
absl::StatusOr<cv::Mat> DecodeImage(absl::string_view bytes, const DecodeLimits& limits,
                                    absl::string_view what, std::vector<std::string>* warnings);

// DecodeImage for bytes whose header CheckImageHeader has returned: the decode only.
absl::StatusOr<cv::Mat> DecodeCheckedImage(absl::string_view bytes, const ImageHeader& header,
                                           absl::string_view what,
                                           std::vector<std::string>* warnings);

// The image as a read mode other than opencv gives it to the float model's pipeline (see
// ReadMode), for bytes whose header CheckImageHeader has returned:
//  - kPil, Horizon's loader np.array(Image.open(p)) (no EXIF rotation; grey replicated to
//    three channels as the loaders do): 8-bit BGR. Palette PNGs (their indices), alpha and
//    16-bit grey images (wrapped to their low byte) are INVALID_ARGUMENT naming the file.
//  - kSkimage, img_as_float(skimage.io.imread(p)).astype(np.float32) through imageio's
//    Pillow reader (EXIF orientation applied, as imageio rotates JPEGs; grey replicated):
//    CV_32FC3 BGR in [0, 1]: 8-bit samples * (1 / 255), 16-bit grey PNG samples / 65535
//    (16-bit colour PNGs Pillow reads as 8-bit, their high byte). Alpha and other 16-bit
//    images are INVALID_ARGUMENT.
absl::StatusOr<cv::Mat> DecodeForRead(absl::string_view bytes, const ImageHeader& header,
                                      ReadMode mode, absl::string_view what);

}  // namespace hbprep

#endif  // HBPREP_ADAPTERS_IMAGE_IO_H_
