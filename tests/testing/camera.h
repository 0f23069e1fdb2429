// A camera's NV12 frame for tests and the benchmark: Y and UV at separate addresses, rows
// padded to a stride, smooth content with noise (scaling has something to interpolate).
#ifndef HBPREP_TESTS_TESTING_CAMERA_H_
#define HBPREP_TESTS_TESTING_CAMERA_H_

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "hbprep/engine.h"
#include "hbprep/model.h"

namespace hbprep::testing {

struct CameraFrame {
  int width = 0, height = 0, stride = 0;
  std::vector<uint8_t> y, uv;

  FrameView view(ColorRange range = ColorRange::kBt601Video) const {
    FrameView v;
    v.format = RawFormat::kNv12;
    v.width = width;
    v.height = height;
    v.planes[0] = {y.data(), stride};
    v.planes[1] = {uv.data(), stride};
    v.range = range;
    return v;
  }
  // The same frame as one buffer (Y rows, then UV rows, at the stride): Prepare()'s raw form.
  InputImage raw(ColorRange range = ColorRange::kBt601Video,
                 std::optional<Roi> roi = std::nullopt) const {
    InputImage image;
    image.what = "frame";
    image.bytes.assign(y.begin(), y.end());
    image.bytes.append(uv.begin(), uv.end());
    image.raw = RawImage{RawFormat::kNv12, width, height, stride, range};
    image.roi = roi;
    return image;
  }
};

inline CameraFrame Camera(int width, int height, int stride, unsigned seed) {
  std::mt19937 rng(seed);
  CameraFrame f{width, height, stride, {}, {}};
  f.y.resize(static_cast<size_t>(stride) * height);
  f.uv.resize(static_cast<size_t>(stride) * height / 2);
  for (int r = 0; r < height; ++r) {
    for (int c = 0; c < stride; ++c) {
      f.y[static_cast<size_t>(r) * stride + c] =
          static_cast<uint8_t>((r * 3 + c * 5) % 220 + 16 + rng() % 8);
    }
  }
  for (int r = 0; r < height / 2; ++r) {
    for (int c = 0; c < stride; ++c) {
      f.uv[static_cast<size_t>(r) * stride + c] =
          static_cast<uint8_t>((r * 7 + c * 2) % 200 + 20 + rng() % 8);
    }
  }
  return f;
}

}  // namespace hbprep::testing

#endif  // HBPREP_TESTS_TESTING_CAMERA_H_
