#include "adapters/jpeg.h"

#include <turbojpeg.h>

#include <csetjmp>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

#include <jpeglib.h>

#include "adapters/resize.h"
#include "opencv2/core.hpp"
#include "opencv2/imgproc.hpp"

namespace hbprep {
namespace {

// One decompressor per thread, created on first use. After a failure its state is not
// trusted with the next image (TurboJPEG 2.1 can then report a valid header as 0 x 0), so a
// failed call starts a fresh one.
class Decompressor {
 public:
  Decompressor() : handle_(tjInitDecompress()) {}
  ~Decompressor() {
    if (handle_ != nullptr) tjDestroy(handle_);
  }
  Decompressor(const Decompressor&) = delete;
  Decompressor& operator=(const Decompressor&) = delete;

  tjhandle get() const { return handle_; }
  void Reset() {
    if (handle_ != nullptr) tjDestroy(handle_);
    handle_ = tjInitDecompress();
  }

 private:
  tjhandle handle_;
};

Decompressor& ThreadDecompressor() {
  thread_local Decompressor decompressor;
  return decompressor;
}

const unsigned char* Bytes(absl::string_view jpeg) {
  return reinterpret_cast<const unsigned char*>(jpeg.data());
}

struct Header {
  int width = 0, height = 0, subsampling = -1, colorspace = -1;
};

// The JPEG's header as libjpeg reads it; warnings (such as extraneous bytes before a marker)
// are not failures, as they are not for the decoders.
std::optional<Header> ReadSize(Decompressor& decompressor, absl::string_view jpeg) {
  Header h;
  if (decompressor.get() == nullptr) return std::nullopt;
  const int result =
      tjDecompressHeader3(decompressor.get(), Bytes(jpeg), jpeg.size(), &h.width, &h.height,
                          &h.subsampling, &h.colorspace);
  if ((result != 0 && tjGetErrorCode(decompressor.get()) != TJERR_WARNING) || h.width <= 0 ||
      h.height <= 0) {
    decompressor.Reset();
    return std::nullopt;
  }
  return h;
}

// The JPEG's header, when TurboJPEG should decode it (see jpeg.h).
std::optional<Header> ReadHeader(Decompressor& decompressor, absl::string_view jpeg) {
  std::optional<Header> found = ReadSize(decompressor, jpeg);
  if (!found) return std::nullopt;
  const Header& h = *found;
  if (h.colorspace == TJCS_CMYK || h.colorspace == TJCS_YCCK || h.subsampling < 0 ||
      JpegExifOrientation(jpeg) != 1) {
    return std::nullopt;
  }
  return h;
}

uint32_t Read16(absl::string_view b, size_t at, bool little) {
  const uint32_t b0 = static_cast<uint8_t>(b[at]), b1 = static_cast<uint8_t>(b[at + 1]);
  return little ? (b0 | b1 << 8) : (b0 << 8 | b1);
}

uint32_t Read32(absl::string_view b, size_t at, bool little) {
  return little ? (Read16(b, at, true) | Read16(b, at + 2, true) << 16)
                : (Read16(b, at, false) << 16 | Read16(b, at + 2, false));
}

// The orientation tag of a TIFF structure (an EXIF block after "Exif\0\0").
int TiffOrientation(absl::string_view tiff) {
  if (tiff.size() < 8) return 1;
  const bool little = tiff.substr(0, 2) == "II";
  if (!little && tiff.substr(0, 2) != "MM") return 1;
  const size_t ifd = Read32(tiff, 4, little);
  if (ifd > tiff.size() || tiff.size() - ifd < 2) return 1;
  const size_t entries = Read16(tiff, ifd, little);
  for (size_t i = 0; i < entries; ++i) {
    const size_t at = ifd + 2 + i * 12;
    if (at > tiff.size() || tiff.size() - at < 12) return 1;
    if (Read16(tiff, at, little) == 0x0112) {
      const uint32_t value = Read16(tiff, at + 8, little);
      return value >= 1 && value <= 8 ? static_cast<int>(value) : 1;
    }
  }
  return 1;
}

// TurboJPEG's status after a decode: usable output unless the error was fatal (warnings,
// such as a premature end of a segment, leave an image, as imdecode returns one).
bool Succeeded(Decompressor& decompressor, int result) {
  if (result == 0 || tjGetErrorCode(decompressor.get()) == TJERR_WARNING) return true;
  decompressor.Reset();
  return false;
}

// libjpeg's errors end the decode through longjmp; its warnings (corrupt but decodable data)
// are counted silently, as TurboJPEG and OpenCV go on after them.
struct JpegError {
  jpeg_error_mgr manager;
  std::jmp_buf jump;
};

void OnJpegError(j_common_ptr cinfo) {
  std::longjmp(reinterpret_cast<JpegError*>(cinfo->err)->jump, 1);
}

void OnJpegMessage(j_common_ptr) {}

// The partial-width decode proper, in plain C style: nothing with a destructor lives between
// setjmp and a longjmp. Fills rows [0, height) of `bgr` (height x width x 3, `step` bytes per
// row) in the columns libjpeg decodes around [x0, x1). False on any error.
bool DecodeColumns(const unsigned char* data, size_t size, int x0, int x1, uint8_t* bgr,
                   size_t step, int width, int height) {
  jpeg_decompress_struct cinfo;
  JpegError error;
  cinfo.err = jpeg_std_error(&error.manager);
  error.manager.error_exit = OnJpegError;
  error.manager.output_message = OnJpegMessage;
  if (setjmp(error.jump)) {
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, data, static_cast<unsigned long>(size));
  jpeg_read_header(&cinfo, TRUE);
  if (static_cast<int>(cinfo.image_width) != width ||
      static_cast<int>(cinfo.image_height) != height) {
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  cinfo.out_color_space = JCS_EXT_BGR;  // libjpeg's defaults otherwise, as TurboJPEG's
  jpeg_start_decompress(&cinfo);
  JDIMENSION offset = static_cast<JDIMENSION>(x0 > 16 ? x0 - 16 : 0);
  JDIMENSION columns = static_cast<JDIMENSION>(x1 + 16 < width ? x1 + 16 : width) - offset;
  jpeg_crop_scanline(&cinfo, &offset, &columns);  // moves offset left to an iMCU boundary
  const size_t left = offset * 3, right = (offset + columns) * 3;
  while (cinfo.output_scanline < cinfo.output_height) {
    uint8_t* line = bgr + cinfo.output_scanline * step;
    // The columns left out are zero, not whatever the memory held: nothing downstream reads
    // an indeterminate byte, and the image is the same on every run.
    std::memset(line, 0, left);
    std::memset(line + right, 0, static_cast<size_t>(width) * 3 - right);
    JSAMPROW row = line + left;
    jpeg_read_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  return true;
}

}  // namespace

int JpegExifOrientation(absl::string_view b) {
  size_t at = 2;
  while (at + 4 <= b.size()) {
    if (static_cast<uint8_t>(b[at]) != 0xFF) return 1;
    const uint8_t marker = static_cast<uint8_t>(b[at + 1]);
    if (marker == 0xDA || marker == 0xD9) return 1;  // image data: no EXIF before it
    const size_t length = Read16(b, at + 2, false);
    if (length < 2 || at + 2 + length > b.size()) return 1;
    if (marker == 0xE1 && length >= 8 && b.substr(at + 4, 6) == absl::string_view("Exif\0\0", 6)) {
      return TiffOrientation(b.substr(at + 10, length - 8));
    }
    at += 2 + length;
  }
  return 1;
}

std::optional<cv::Size> JpegDecoderSize(absl::string_view jpeg) {
  Decompressor& decompressor = ThreadDecompressor();
  const std::optional<Header> h = ReadSize(decompressor, jpeg);
  if (!h) return std::nullopt;
  return cv::Size(h->width, h->height);
}

std::optional<cv::Mat> DecodeJpegBgr(absl::string_view jpeg) {
  Decompressor& decompressor = ThreadDecompressor();
  const std::optional<Header> header = ReadHeader(decompressor, jpeg);
  if (!header) return std::nullopt;
  cv::Mat bgr(header->height, header->width, CV_8UC3);
  const int result =
      tjDecompress2(decompressor.get(), Bytes(jpeg), jpeg.size(), bgr.data, header->width,
                    static_cast<int>(bgr.step[0]), header->height, TJPF_BGR, 0);
  if (!Succeeded(decompressor, result)) return std::nullopt;
  return bgr;
}

std::optional<cv::Mat> DecodeJpegBgrColumns(absl::string_view jpeg, int x0, int x1) {
  Decompressor& decompressor = ThreadDecompressor();
  const std::optional<Header> header = ReadHeader(decompressor, jpeg);
  if (!header || x0 < 0 || x1 <= x0 || x1 > header->width) return std::nullopt;
  cv::Mat bgr(header->height, header->width, CV_8UC3);
  if (!DecodeColumns(Bytes(jpeg), jpeg.size(), x0, x1, bgr.data, bgr.step[0], header->width,
                     header->height)) {
    return std::nullopt;
  }
  return bgr;
}

std::optional<JpegPlanes> DecodeJpegPlanes(absl::string_view jpeg, int min_width,
                                           int min_height) {
  Decompressor& decompressor = ThreadDecompressor();
  const std::optional<Header> header = ReadHeader(decompressor, jpeg);
  if (!header) return std::nullopt;
  const int width = header->width, height = header->height, subsampling = header->subsampling;
  // The smallest factor that keeps the image at least min_width x min_height.
  int count = 0;
  const tjscalingfactor* factors = tjGetScalingFactors(&count);
  tjscalingfactor chosen{1, 1};
  for (int i = 0; i < count && (min_width > 0 || min_height > 0); ++i) {
    const tjscalingfactor f = factors[i];
    if (f.num > f.denom) continue;  // no upscaling
    if (TJSCALED(width, f) < min_width || TJSCALED(height, f) < min_height) continue;
    if (f.num * chosen.denom < chosen.num * f.denom) chosen = f;
  }
  const int w = TJSCALED(width, chosen), h = TJSCALED(height, chosen);
  const bool gray = subsampling == TJSAMP_GRAY;
  const int components = gray ? 1 : 3;
  cv::Mat planes[3];
  unsigned char* pointers[3] = {nullptr, nullptr, nullptr};
  int strides[3] = {0, 0, 0};
  for (int c = 0; c < components; ++c) {
    const int pw = tjPlaneWidth(c, w, subsampling), ph = tjPlaneHeight(c, h, subsampling);
    if (pw <= 0 || ph <= 0) return std::nullopt;
    planes[c].create(ph, pw, CV_8UC1);
    pointers[c] = planes[c].data;
    strides[c] = static_cast<int>(planes[c].step[0]);
  }
  const int result = tjDecompressToYUVPlanes(decompressor.get(), Bytes(jpeg), jpeg.size(),
                                             pointers, w, strides, h, 0);
  if (!Succeeded(decompressor, result)) return std::nullopt;

  JpegPlanes out;
  out.y = planes[0](cv::Rect(0, 0, w, h));  // the luma plane is padded to the chroma blocks
  const int cw = (w + 1) / 2, ch = (h + 1) / 2;
  if (gray) {
    out.uv = cv::Mat(ch, cw, CV_8UC2, cv::Scalar(128, 128));
    return out;
  }
  for (int c = 1; c < 3; ++c) {  // 4:4:4, 4:2:2, 4:4:0, 4:1:1 chroma to 4:2:0's size
    if (planes[c].cols != cw || planes[c].rows != ch) {
      cv::Mat resampled;
      Resize(planes[c], resampled, cv::Size(cw, ch), cv::INTER_AREA);
      planes[c] = resampled;
    }
  }
  cv::merge(&planes[1], 2, out.uv);
  return out;
}

}  // namespace hbprep
