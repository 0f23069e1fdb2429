// JPEG decoding with libjpeg-turbo's TurboJPEG API (internal to the engine; exposes cv::Mat):
// the exact BGR pixels cv::imdecode gives, without its overhead, and, for the fast decode
// mode, JPEG's own YCbCr planes, reduced in the DCT domain, never through BGR.
//
// Both return nullopt for the JPEGs they leave to cv::imdecode: CMYK/YCCK, an EXIF
// orientation other than 1 (imdecode rotates), and data TurboJPEG refuses (imdecode then
// decides what is decodable and what the error says). Thread-safe: one TurboJPEG handle per
// thread.
#ifndef HBPREP_ADAPTERS_JPEG_H_
#define HBPREP_ADAPTERS_JPEG_H_

#include <optional>

#include "absl/strings/string_view.h"
#include "opencv2/core/mat.hpp"

namespace hbprep {

// The EXIF orientation (1-8) of a JPEG's APP1 segment; 1 when there is none or it cannot be
// read. Bounded by the bytes given; never reads past them.
int JpegExifOrientation(absl::string_view jpeg);

// The width and height libjpeg reads from the JPEG's headers (what a decode allocates);
// nullopt when it cannot read them.
std::optional<cv::Size> JpegDecoderSize(absl::string_view jpeg);

// The whole image as 8-bit BGR, byte for byte what cv::imdecode(IMREAD_COLOR) returns
// (TurboJPEG's default flags are libjpeg's defaults: accurate integer DCT, fancy upsampling).
std::optional<cv::Mat> DecodeJpegBgr(absl::string_view jpeg);

// Only the columns [x0, x1) of the image, decoded as DecodeJpegBgr decodes them, byte for
// byte, into a full-size BGR image whose other columns are zero: libjpeg's
// partial-width decompression, which the library documents as identical to a full decode
// except on the edges of the partial region (a margin of 16 columns each side keeps those
// out of [x0, x1)). For recipes that read only part of each row. nullopt as DecodeJpegBgr.
std::optional<cv::Mat> DecodeJpegBgrColumns(absl::string_view jpeg, int x0, int x1);

// NV12-style planes of JPEG's YCbCr (full-range BT.601): y is CV_8UC1 h x w, uv CV_8UC2
// ceil(h/2) x ceil(w/2) (chroma other than 4:2:0 resampled to it; grey gives neutral chroma).
struct JpegPlanes {
  cv::Mat y, uv;
};

// The image decoded to planes at the smallest of TurboJPEG's DCT scaling factors (1/8 to 1)
// that keeps it at least min_width x min_height (0 x 0: full size, no reduction).
std::optional<JpegPlanes> DecodeJpegPlanes(absl::string_view jpeg, int min_width, int min_height);

}  // namespace hbprep

#endif  // HBPREP_ADAPTERS_JPEG_H_
