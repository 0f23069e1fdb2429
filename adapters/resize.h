// The engine's one entry to image resizing: cv::resize's semantics and, on every
// architecture, the bytes Debian's amd64 OpenCV 4.6 gives. Every resize the engine does
// (recipe steps, default resizes, fast-decoded chroma) goes through here, so that where an
// OpenCV build differs between architectures the fix lives in one place.
//
// Debian's arm64 OpenCV fuses multiply-adds that its amd64 build rounds apart (measured over
// ~80,000 random cases: 8-bit INTER_AREA and INTER_CUBIC off by 1 on about 0.01% of values,
// float INTER_LINEAR, INTER_AREA and INTER_CUBIC in the last bits of 15-83% of values). So for
// 8-bit (CV_8UC1..4) and float (CV_32FC1..4) images:
//  - INTER_CUBIC, non-integer INTER_AREA, INTER_AREA enlarging, and float INTER_LINEAR run
//    ExactResizer (resize_exact.h): OpenCV's amd64 arithmetic rewritten without fused
//    operations, the same bytes on every architecture, on cv::resize's threads;
//  - INTER_NEAREST, integer-ratio INTER_AREA (2x2 INTER_LINEAR included) and equal sizes stay
//    with cv::resize, whose arithmetic there has nothing to fuse;
//  - 8-bit INTER_LINEAR stays with cv::resize, except off x86-64 for the ~0.2% of sizes whose
//    coordinates the fused build rounds differently (then ExactResizer).
// Other depths, more channels and other interpolations go to cv::resize as they are.
// Internal to the engine: exposes cv::Mat.
#ifndef HBPREP_ADAPTERS_RESIZE_H_
#define HBPREP_ADAPTERS_RESIZE_H_

#include "opencv2/core/mat.hpp"

namespace hbprep {

// cv::resize(src, dst, size, fx, fy, interpolation): `size` empty means
// round(src * fx) x round(src * fy), and then fx, fy (not the size ratio) map coordinates.
// `dst` is reused when it already has the size and type (a caller's buffer stays in place);
// `dst` may be `src`. Invalid arguments raise cv::resize's cv::Exception, as before.
void Resize(const cv::Mat& src, cv::Mat& dst, cv::Size size, double fx, double fy,
            int interpolation);

// The same with the scale given by the sizes.
inline void Resize(const cv::Mat& src, cv::Mat& dst, cv::Size size, int interpolation) {
  Resize(src, dst, size, 0, 0, interpolation);
}

}  // namespace hbprep

#endif  // HBPREP_ADAPTERS_RESIZE_H_
