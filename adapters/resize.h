// The engine's one entry to image resizing: cv::resize's semantics and, on every
// architecture, the bytes Debian's amd64 OpenCV 4.6 gives. Every resize the engine does
// (recipe steps, default resizes, fast-decoded chroma) goes through here, so that where an
// OpenCV build differs between architectures the fix lives in one place.
// Internal to the engine: exposes cv::Mat.
#ifndef HBPREP_ADAPTERS_RESIZE_H_
#define HBPREP_ADAPTERS_RESIZE_H_

#include "opencv2/core/mat.hpp"

namespace hbprep {

// cv::resize(src, dst, size, fx, fy, interpolation): `size` empty means
// round(src * fx) x round(src * fy), and then fx, fy (not the size ratio) map coordinates.
// `dst` is reused when it already has the size and type (a caller's buffer stays in place).
void Resize(const cv::Mat& src, cv::Mat& dst, cv::Size size, double fx, double fy,
            int interpolation);

// The same with the scale given by the sizes.
inline void Resize(const cv::Mat& src, cv::Mat& dst, cv::Size size, int interpolation) {
  Resize(src, dst, size, 0, 0, interpolation);
}

}  // namespace hbprep

#endif  // HBPREP_ADAPTERS_RESIZE_H_
