#include "adapters/image_io.h"

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "adapters/jpeg.h"
#include "hbprep/status_macros.h"
#include "opencv2/core.hpp"
#include "opencv2/imgcodecs.hpp"
#include "opencv2/imgproc.hpp"

namespace hbprep {
namespace {

uint32_t Be16(absl::string_view b, size_t at) {
  return static_cast<uint32_t>(static_cast<uint8_t>(b[at]) << 8 | static_cast<uint8_t>(b[at + 1]));
}
uint32_t Le16(absl::string_view b, size_t at) {
  return static_cast<uint32_t>(static_cast<uint8_t>(b[at]) | static_cast<uint8_t>(b[at + 1]) << 8);
}
uint32_t Be32(absl::string_view b, size_t at) { return Be16(b, at) << 16 | Be16(b, at + 2); }
uint32_t Le24(absl::string_view b, size_t at) {
  return Le16(b, at) | static_cast<uint32_t>(static_cast<uint8_t>(b[at + 2])) << 16;
}
uint32_t Le32(absl::string_view b, size_t at) { return Le16(b, at) | Le16(b, at + 2) << 16; }

// Progressive JPEGs take one scan per coefficient band and component; encoders write about 10.
constexpr size_t kMaxJpegScans = 500;

absl::Status Truncated(absl::string_view what, absl::string_view format) {
  return absl::InvalidArgumentError(
      absl::StrCat(what, ": truncated or corrupt ", format, " header"));
}

absl::StatusOr<ImageHeader> JpegHeader(absl::string_view b, absl::string_view what) {
  size_t at = 2;
  while (at + 4 <= b.size()) {
    if (static_cast<uint8_t>(b[at]) != 0xFF) return Truncated(what, "JPEG");
    while (at < b.size() && static_cast<uint8_t>(b[at]) == 0xFF) ++at;  // fill bytes
    if (at >= b.size()) break;
    const uint8_t marker = static_cast<uint8_t>(b[at++]);
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) continue;  // no length
    if (marker == 0xD9 || marker == 0xDA) break;  // end of image / scan before any frame
    if (at + 2 > b.size()) break;
    const uint32_t length = Be16(b, at);
    if (length < 2) return Truncated(what, "JPEG");
    const bool sof =
        marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    if (sof) {
      if (at + 7 > b.size()) break;
      ImageHeader header{"JPEG", Be16(b, at + 5), Be16(b, at + 3), static_cast<uint8_t>(b[at + 2])};
      if (header.width == 0 || header.height == 0) {
        return absl::InvalidArgumentError(
            absl::StrCat(what, ": JPEG frame header declares ", header.width, "x", header.height));
      }
      return header;
    }
    at += length;
  }
  return Truncated(what, "JPEG");
}

absl::StatusOr<ImageHeader> TiffHeader(absl::string_view b, absl::string_view what) {
  const bool le = b[0] == 'I';
  auto u16 = [&](size_t at) { return le ? Le16(b, at) : Be16(b, at); };
  auto u32 = [&](size_t at) { return le ? Le32(b, at) : Be32(b, at); };
  const size_t ifd = u32(4);
  if (ifd + 2 > b.size()) return Truncated(what, "TIFF");
  const uint32_t entries = u16(ifd);
  if (ifd + 2 + static_cast<size_t>(entries) * 12 > b.size()) return Truncated(what, "TIFF");
  ImageHeader header{"TIFF", 0, 0, 8};
  for (uint32_t i = 0; i < entries; ++i) {
    const size_t e = ifd + 2 + i * 12;
    const uint32_t tag = u16(e), type = u16(e + 2), count = u32(e + 4);
    const uint32_t value = type == 3 ? u16(e + 8) : u32(e + 8);  // SHORT or LONG, inline
    if (tag == 256 || tag == 257) {
      // The limits must hold for the size libtiff allocates: one inline SHORT or LONG, given
      // once (libtiff keeps the first of duplicated tags; a reader keeping another would
      // check a size the decoder does not use).
      int64_t& side = tag == 256 ? header.width : header.height;
      const char* name = tag == 256 ? "ImageWidth" : "ImageLength";
      if (side != 0) {
        return absl::InvalidArgumentError(
            absl::StrCat(what, ": TIFF gives ", name, " more than once"));
      }
      if ((type != 3 && type != 4) || count != 1 || value == 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            what, ": TIFF ", name, " must be one SHORT or LONG above 0 (type ", type, ", count ",
            count, ", value ", value, ")"));
      }
      side = value;
    }
    if (tag == 258 && type == 3) {
      if (count <= 2) {
        header.bit_depth = static_cast<int>(value);
      } else if (const size_t at = u32(e + 8); at + 2 <= b.size()) {  // size_t: no wrap
        header.bit_depth = static_cast<int>(u16(at));
      }
    }
  }
  if (header.width == 0 || header.height == 0) return Truncated(what, "TIFF");
  return header;
}

}  // namespace

absl::StatusOr<ImageHeader> ReadImageHeader(absl::string_view b, absl::string_view what) {
  if (b.empty())
    return absl::InvalidArgumentError(absl::StrCat(what, ": the image is empty (0 bytes)"));
  if (b.size() >= 3 && absl::StartsWith(b, "\xFF\xD8\xFF")) return JpegHeader(b, what);
  if (absl::StartsWith(b, "\x89PNG\r\n\x1a\n")) {
    if (b.size() < 26 || b.substr(12, 4) != "IHDR") return Truncated(what, "PNG");
    return ImageHeader{"PNG", Be32(b, 16), Be32(b, 20), static_cast<uint8_t>(b[24])};
  }
  if (absl::StartsWith(b, "BM")) {
    if (b.size() < 26) return Truncated(what, "BMP");
    const uint32_t dib = Le32(b, 14);
    if (dib == 12) return ImageHeader{"BMP", Le16(b, 18), Le16(b, 20), 8};
    if (dib < 40 || b.size() < 30) return Truncated(what, "BMP");
    const int64_t width = static_cast<int32_t>(Le32(b, 18));
    const int64_t height = static_cast<int32_t>(Le32(b, 22));
    return ImageHeader{"BMP", width < 0 ? -width : width, height < 0 ? -height : height, 8};
  }
  if (b.size() >= 12 && absl::StartsWith(b, "RIFF") && b.substr(8, 4) == "WEBP") {
    if (b.size() < 30) return Truncated(what, "WebP");
    const absl::string_view chunk = b.substr(12, 4);
    if (chunk == "VP8X") {  // 24-bit width - 1 and height - 1 at bytes 24 and 27
      const int64_t w = 1 + Le24(b, 24), h = 1 + Le24(b, 27);
      return ImageHeader{"WebP", w, h, 8};
    }
    if (chunk == "VP8L") {
      if (static_cast<uint8_t>(b[20]) != 0x2F) return Truncated(what, "WebP");
      const uint32_t bits = Le32(b, 21);
      return ImageHeader{"WebP", 1 + (bits & 0x3FFF), 1 + ((bits >> 14) & 0x3FFF), 8};
    }
    if (chunk == "VP8 ") {
      if (b.substr(23, 3) != "\x9d\x01\x2a") return Truncated(what, "WebP");
      return ImageHeader{"WebP", Le16(b, 26) & 0x3FFF, Le16(b, 28) & 0x3FFF, 8};
    }
    return Truncated(what, "WebP");
  }
  if (b.size() >= 8 && (absl::StartsWith(b, "II*\0") || absl::StartsWith(b, "MM\0*"))) {
    return TiffHeader(b, what);
  }
  return absl::InvalidArgumentError(
      absl::StrCat(what, ": not a supported image format (JPEG, PNG, BMP, WebP, TIFF)"));
}

absl::StatusOr<ImageHeader> CheckImageHeader(absl::string_view bytes, const DecodeLimits& limits,
                                             absl::string_view what) {
  absl::StatusOr<ImageHeader> header = ReadImageHeader(bytes, what);
  if (!header.ok()) return header.status();
  if (header->width > limits.max_width || header->height > limits.max_height ||
      header->width * header->height > limits.max_pixels) {
    return absl::ResourceExhaustedError(
        absl::StrCat(what, ": ", header->format, " header declares ", header->width, "x",
                     header->height, ", over the limit of ", limits.max_width, "x",
                     limits.max_height, " and ", limits.max_pixels, " pixels"));
  }
  // The end-of-image marker after the start marker, searched from the end, where it is,
  // rather than through the whole entropy-coded data.
  const size_t eoi = header->format == "JPEG" ? bytes.rfind("\xFF\xD9") : 0;
  if (header->format == "JPEG" && (eoi == absl::string_view::npos || eoi < 2)) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": truncated JPEG (no end-of-image marker)"));
  }
  if (header->format == "JPEG") {
    // The size the decoder will allocate is the one libjpeg reads, which a hostile file can
    // make differ from the frame header read above (libjpeg skips bytes this reader takes as
    // a segment): refuse such a file rather than trust the limits to the first reading.
    const std::optional<cv::Size> decoded = JpegDecoderSize(bytes);
    if (!decoded) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": JPEG cannot be decoded (corrupt or truncated)"));
    }
    if (decoded->width != header->width || decoded->height != header->height) {
      return absl::InvalidArgumentError(absl::StrCat(
          what, ": JPEG headers disagree: the frame header declares ", header->width, "x",
          header->height, " but the decoder reads ", decoded->width, "x", decoded->height));
    }
    // Each scan starts with an SOS marker (FF DA cannot occur inside entropy-coded data); a
    // progressive file with very many scans costs quadratic time to decode.
    size_t scans = 0;
    for (size_t at = bytes.find("\xFF\xDA"); at != absl::string_view::npos;
         at = bytes.find("\xFF\xDA", at + 2)) {
      ++scans;
    }
    if (scans > kMaxJpegScans) {
      return absl::InvalidArgumentError(absl::StrCat(what, ": JPEG has ", scans,
                                                     " scans, more than the ", kMaxJpegScans,
                                                     " hbprep decodes"));
    }
  }
  return header;
}

absl::StatusOr<cv::Mat> DecodeImage(absl::string_view bytes, const DecodeLimits& limits,
                                    absl::string_view what, std::vector<std::string>* warnings) {
  absl::StatusOr<ImageHeader> header = CheckImageHeader(bytes, limits, what);
  if (!header.ok()) return header.status();
  return DecodeCheckedImage(bytes, *header, what, warnings);
}

namespace {

// cv::imdecode with `flags`; INVALID_ARGUMENT naming `what` when it throws or gives nothing.
absl::StatusOr<cv::Mat> Imdecode(absl::string_view bytes, int flags, const ImageHeader& header,
                                 absl::string_view what) {
  cv::Mat image;
  try {
    const cv::Mat raw(1, static_cast<int>(bytes.size()), CV_8U, const_cast<char*>(bytes.data()));
    image = cv::imdecode(raw, flags);
  } catch (const cv::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": ", header.format, " cannot be decoded: ", e.err));
  }
  if (image.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": ", header.format, " cannot be decoded (corrupt or truncated)"));
  }
  return image;
}

}  // namespace

absl::StatusOr<cv::Mat> DecodeCheckedImage(absl::string_view bytes, const ImageHeader& header,
                                           absl::string_view what,
                                           std::vector<std::string>* warnings) {
  if (header.format == "JPEG") {
    // TurboJPEG straight into one buffer: the pixels imdecode gives, without its overhead.
    if (std::optional<cv::Mat> bgr = DecodeJpegBgr(bytes)) return *std::move(bgr);
  }
  HBPREP_ASSIGN_OR_RETURN(cv::Mat image, Imdecode(bytes, cv::IMREAD_COLOR, header, what));
  if (header.bit_depth > 8 && warnings != nullptr) {
    warnings->push_back(absl::StrCat(what, ": ", header.bit_depth,
                                     "-bit image reduced to 8 bits per sample (high byte), as "
                                     "cv2.imread does"));
  }
  return image;
}

absl::StatusOr<cv::Mat> DecodeForRead(absl::string_view bytes, const ImageHeader& header,
                                      ReadMode mode, absl::string_view what) {
  const bool pil = mode == ReadMode::kPil;
  const absl::string_view name = pil ? "pil" : "skimage";
  cv::Mat image;
  if (header.format == "JPEG") {
    // 8-bit grey or colour; the skimage read rotates by EXIF as cv2.imread does, the pil
    // read does not (TurboJPEG only takes unrotated JPEGs).
    if (std::optional<cv::Mat> bgr = DecodeJpegBgr(bytes)) {
      image = *std::move(bgr);
    } else {
      HBPREP_ASSIGN_OR_RETURN(
          image, Imdecode(bytes, pil ? cv::IMREAD_COLOR | cv::IMREAD_IGNORE_ORIENTATION
                                     : cv::IMREAD_COLOR,
                          header, what));
    }
  } else {
    HBPREP_ASSIGN_OR_RETURN(image, Imdecode(bytes, cv::IMREAD_UNCHANGED, header, what));
  }
  // PNG's IHDR colour type (byte 25): 3 is a palette image.
  const bool palette = header.format == "PNG" && bytes.size() > 25 && bytes[25] == 3;
  if (pil && palette) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, ": a palette PNG read as pil gives its palette indices, not colours; convert it to "
              "RGB or read it as opencv"));
  }
  if (image.channels() == 2 || image.channels() == 4) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, ": an image with alpha read as ", name,
        " has 4 channels, which the sample's transformers do not take; drop the alpha or read "
        "it as opencv"));
  }
  const bool grey = image.channels() == 1;
  if (image.depth() == CV_16U) {
    if (grey && (pil || header.format != "PNG")) {
      return absl::InvalidArgumentError(absl::StrCat(
          what, ": a 16-bit grey ", header.format, " read as ", name, " is not reproduced (",
          pil ? "numpy keeps the low byte" : "only 16-bit grey PNG is", "); read it as opencv"));
    }
    if (!grey && header.format != "PNG") {
      return absl::InvalidArgumentError(absl::StrCat(
          what, ": a 16-bit colour ", header.format, " read as ", name,
          " is not reproduced; read it as opencv"));
    }
  } else if (image.depth() != CV_8U) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": ", header.format, " samples of ",
                                                   image.elemSize1() * 8, " bits read as ", name,
                                                   " are not reproduced; read it as opencv"));
  }
  if (!pil && grey && image.depth() == CV_16U) {
    cv::Mat unit(image.rows, image.cols, CV_32FC3);
    for (int r = 0; r < image.rows; ++r) {
      const uint16_t* s = image.ptr<uint16_t>(r);
      float* d = unit.ptr<float>(r);
      for (int c = 0; c < image.cols; ++c) {
        d[3 * c] = d[3 * c + 1] = d[3 * c + 2] = static_cast<float>(s[c] / 65535.0);
      }
    }
    return unit;
  }
  if (image.depth() == CV_16U) {  // colour PNG: Pillow's 8 bits, the high byte
    cv::Mat high(image.rows, image.cols, CV_8UC3);
    for (int r = 0; r < image.rows; ++r) {
      const uint16_t* s = image.ptr<uint16_t>(r);
      uint8_t* d = high.ptr<uint8_t>(r);
      for (int i = 0; i < image.cols * 3; ++i) d[i] = static_cast<uint8_t>(s[i] >> 8);
    }
    image = high;
  } else if (grey) {
    cv::Mat bgr;
    cv::cvtColor(image, bgr, cv::COLOR_GRAY2BGR);
    image = bgr;
  }
  if (pil) return image;
  // img_as_float: uint8 * (1 / 255) in float64, then astype(np.float32).
  cv::Mat unit(image.rows, image.cols, CV_32FC3);
  for (int r = 0; r < image.rows; ++r) {
    const uint8_t* s = image.ptr<uint8_t>(r);
    float* d = unit.ptr<float>(r);
    for (int i = 0; i < image.cols * 3; ++i) d[i] = static_cast<float>(s[i] * (1.0 / 255.0));
  }
  return unit;
}

}  // namespace hbprep
