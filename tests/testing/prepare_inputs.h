// Shorthands for Prepare()'s arguments in the engine's tests: options for a target, images
// encoded by OpenCV.
#ifndef HBPREP_TESTS_TESTING_PREPARE_INPUTS_H_
#define HBPREP_TESTS_TESTING_PREPARE_INPUTS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "hbprep/model.h"
#include "opencv2/core.hpp"
#include "opencv2/imgcodecs.hpp"

namespace hbprep::testing {

// The default options, for `target`.
inline PrepareOptions For(Target target) {
  PrepareOptions options;
  options.target = target;
  return options;
}

// `image` as cv::imencode writes it for the extension `ext` (".png", ".jpg") with `params`
// (cv::IMWRITE_* pairs; none: OpenCV's defaults).
inline std::string Encode(const cv::Mat& image, const std::string& ext,
                          const std::vector<int>& params = {}) {
  std::vector<uint8_t> bytes;
  cv::imencode(ext, image, bytes, params);
  return std::string(bytes.begin(), bytes.end());
}

}  // namespace hbprep::testing

#endif  // HBPREP_TESTS_TESTING_PREPARE_INPUTS_H_
