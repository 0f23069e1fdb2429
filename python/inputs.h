// A request's files from Python objects, as the engine's views of their memory (model.h's
// InputView): paths and bytes of encoded images (or featuremap .npy / .bin files), uint8
// pixel arrays of any strides, camera planes with padded rows, feature arrays.
//
// Pixel arrays whose rows are contiguous (pixels, then channels, one after the other) are
// viewed where they are, whatever their row stride (a camera's padded rows); any other layout
// (negative strides, a column step, a channel view) is copied into a compact buffer of the
// request's. Paths are read and those copies made in Materialize(), which needs no GIL;
// everything else needs it, the destructor included.
#ifndef HBPREP_PYTHON_INPUTS_H_
#define HBPREP_PYTHON_INPUTS_H_

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "hbprep/model.h"

namespace hbprep::python {

// hbprep.Frame: pixels or planes with their format and range, as the caller names them.
struct PyFrame {
  pybind11::tuple planes;
  std::optional<RawFormat> format;  // unset: from the planes (1: bgr or gray, 2: nv12, 3: i420)
  ColorRange range = ColorRange::kBt601Video;
};

// "bgr", "rgb", "gray", "nv12", "i420"; and "video", "full".
const char* FormatName(RawFormat format);
std::optional<RawFormat> ParseFormat(const std::string& name);
const char* RangeName(ColorRange range);
std::optional<ColorRange> ParseRange(const std::string& name);

// What a file of a request feeds (the model's binding of it).
enum class Slot { kImage, kFeature };

class Request {
 public:
  // `limits`: the model's (max_width, max_height, max_pixels bound the copies of strided
  // arrays; max_request_bytes, when set, the files read and the other copies).
  explicit Request(const PrepareOptions& limits) : limits_(limits) {}
  ~Request();
  Request(const Request&) = delete;
  Request& operator=(const Request&) = delete;

  // One file of the request from `object` (GIL held); `what` names it in messages. Images: a
  // path (str or os.PathLike), bytes-like encoded data, a uint8 array ((H, W, 3) BGR, (H, W)
  // or (H, W, 1) gray, 1-D encoded bytes), a (y, uv) or (y, u, v) tuple of planes, or an
  // hbprep.Frame. Featuremaps: a path, bytes-like .npy/.bin data, or an array (float64
  // becomes float32, as the engine reads .npy files). INVALID_ARGUMENT naming `what` for
  // anything else (StatusError).
  void Add(pybind11::handle object, std::string what, Slot slot, std::optional<Roi> roi);

  // Reads the paths and makes the copies (no GIL needed). NOT_FOUND for a file that cannot
  // be read, RESOURCE_EXHAUSTED for one beyond max_request_bytes.
  absl::Status Materialize();

  // The views, one per Add (after Materialize).
  absl::Span<const InputView> views() const { return views_; }

 private:
  // `rows` rows of `cols` elements of `element` bytes at `data`: rows `row_stride` bytes
  // apart, elements `col_stride` apart, an element's bytes `byte_stride` apart (any sign).
  struct Plane {
    const uint8_t* data = nullptr;
    int64_t rows = 0, cols = 0, element = 1;
    int64_t row_stride = 0, col_stride = 0, byte_stride = 1;
  };
  static bool RowContiguous(const Plane& plane) {
    return (plane.element == 1 || plane.byte_stride == 1) &&
           (plane.cols == 1 || plane.col_stride == plane.element) &&
           (plane.rows == 1 || plane.row_stride >= plane.cols * plane.element);
  }
  struct File {
    InputView view;
    std::string path;           // read into the view's bytes when set
    std::vector<Plane> planes;  // a frame's, viewed or copied into its planes
  };

  void AddImage(pybind11::handle object, File& file);
  void AddFeature(pybind11::handle object, File& file);
  bool AsPath(pybind11::handle object, File& file);
  bool AsBytes(pybind11::handle object, File& file);
  void AddFrame(const pybind11::tuple& planes, std::optional<RawFormat> format, ColorRange range,
                File& file);
  Plane PlaneOf(const pybind11::array& array, const char* name, int64_t rows, int64_t cols,
                int64_t element, File& file);

  const PrepareOptions limits_;
  std::vector<pybind11::object> held_;  // the arrays viewed, alive for the call
  std::vector<Py_buffer> buffers_;      // bytes-like data, released with the request
  std::deque<std::string> names_;       // what each file is called (views hold string_views)
  std::deque<std::string> owned_;       // files read, copies
  std::vector<File> files_;
  std::vector<InputView> views_;
};

}  // namespace hbprep::python

#endif  // HBPREP_PYTHON_INPUTS_H_
