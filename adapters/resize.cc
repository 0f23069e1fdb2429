#include "adapters/resize.h"

#include "adapters/resize_exact.h"
#include "opencv2/core/utility.hpp"
#include "opencv2/imgproc.hpp"

namespace hbprep {
namespace {

// The engine's reference is Debian's amd64 OpenCV: where it is the library linked, its
// cv::resize is by definition right for INTER_LINEAR on 8-bit data (the one arithmetic left to
// it here that another build could change: the coordinates).
#if defined(__x86_64__)
constexpr bool kLinkedOpenCvIsReference = true;
#else
constexpr bool kLinkedOpenCvIsReference = false;
#endif

// Whether cv::resize itself gives amd64's bytes on every architecture for this call, so that
// ExactResizer is not needed: copies; INTER_NEAREST (one multiply per coordinate);
// integer-ratio INTER_AREA (integer sums for 8 bits, float sums of whole pixels times one
// factor for float: nothing to fuse, the same SIMD blocks on SSE2 and NEON); 8-bit
// INTER_LINEAR where the linked library is the reference or its coordinates are the same
// fused and not (the rest of that arithmetic is integer). Not for 8-bit INTER_AREA or
// INTER_CUBIC, or any float INTER_LINEAR, INTER_AREA or INTER_CUBIC: those fuse on arm64.
bool OpenCvIsExact(ResizePath path, int depth, const ResizeShape& shape) {
  switch (path) {
    case ResizePath::kCopy:
    case ResizePath::kNearest:
    case ResizePath::kAreaFast:
      return true;
    case ResizePath::kLinear:
      return depth == CV_8U && (kLinkedOpenCvIsReference || LinearCoordinatesFuseInvariant(shape));
    default:
      return false;
  }
}

}  // namespace

void Resize(const cv::Mat& src_in, cv::Mat& dst, cv::Size size, double fx, double fy,
            int interpolation) {
  // A header of the source keeps its pixels alive while `dst` (possibly the same Mat) is
  // reallocated.
  const cv::Mat src = src_in;
  const int depth = src.depth(), cn = src.channels();
  // cv::resize turns INTER_LINEAR_EXACT on float data into INTER_LINEAR.
  const int how =
      interpolation == cv::INTER_LINEAR_EXACT && depth == CV_32F ? cv::INTER_LINEAR : interpolation;
  ResizeShape shape;
  shape.src_width = src.cols;
  shape.src_height = src.rows;
  shape.channels = cn;
  cv::Size out_size = size;
  if (size.empty()) {
    // cv::resize's size for a scale: each side rounded half to even, and the scale itself
    // (not the size ratio) maps coordinates.
    if (fx > 0 && fy > 0) {
      out_size =
          cv::Size(cv::saturate_cast<int>(src.cols * fx), cv::saturate_cast<int>(src.rows * fy));
    }
    shape.inv_scale_x = fx;
    shape.inv_scale_y = fy;
  } else if (src.cols > 0 && src.rows > 0) {
    shape.inv_scale_x = static_cast<double>(size.width) / src.cols;
    shape.inv_scale_y = static_cast<double>(size.height) / src.rows;
  }
  shape.dst_width = out_size.width;
  shape.dst_height = out_size.height;

  const bool supported = src.dims == 2 && !src.empty() && !out_size.empty() &&
                         (depth == CV_8U || depth == CV_32F) && cn >= 1 && cn <= 4 &&
                         shape.inv_scale_x > 0 && shape.inv_scale_y > 0;
  if (supported) {
    const ResizePath path = OpenCvResizePath(shape, how);
    ExactResizer resizer;
    if (!OpenCvIsExact(path, depth, shape) &&
        resizer.Reset(shape, how,
                      depth == CV_8U ? ExactResizer::Depth::kU8 : ExactResizer::Depth::kF32)) {
      dst.create(out_size, src.type());  // a no-op when `dst` already has the size and type
      // Rows in stripes over OpenCV's threads, as cv::resize splits them (each stripe's bytes
      // are the same whichever thread runs it).
      const cv::Mat& out = dst;
      cv::parallel_for_(
          cv::Range(0, out_size.height),
          [&](const cv::Range& rows) {
            resizer.Run(src.data, static_cast<ptrdiff_t>(src.step[0]), out.data,
                        static_cast<ptrdiff_t>(out.step[0]), rows.start, rows.end);
          },
          static_cast<double>(out.total()) / (1 << 16));
      return;
    }
  }
  // Everything else, invalid arguments included (cv::resize raises its own error).
  cv::resize(src, dst, size, fx, fy, interpolation);
}

}  // namespace hbprep
