#include "adapters/resize.h"

#include "opencv2/imgproc.hpp"

namespace hbprep {

void Resize(const cv::Mat& src, cv::Mat& dst, cv::Size size, double fx, double fy,
            int interpolation) {
  cv::resize(src, dst, size, fx, fy, interpolation);
}

}  // namespace hbprep
