#include "python/inputs.h"

#include <cstring>
#include <filesystem>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "hbprep/output_folder.h"
#include "hbprep/plan.h"
#include "python/errors.h"

namespace hbprep::python {
namespace py = pybind11;

namespace {

struct FormatRow {
  RawFormat format;
  const char* name;
};
constexpr FormatRow kFormats[] = {{RawFormat::kBgr, "bgr"},
                                  {RawFormat::kRgb, "rgb"},
                                  {RawFormat::kGray, "gray"},
                                  {RawFormat::kNv12, "nv12"},
                                  {RawFormat::kI420, "i420"}};

std::string TypeName(py::handle object) {
  return py::str(py::type::handle_of(object).attr("__name__"));
}

std::string ShapeText(const py::array& array) {
  std::vector<int64_t> shape(array.shape(), array.shape() + array.ndim());
  return absl::StrCat("(", absl::StrJoin(shape, ", "), shape.size() == 1 ? ",)" : ")");
}

bool IsUint8(const py::array& array) {
  return array.dtype().kind() == 'u' && array.dtype().itemsize() == 1;
}

}  // namespace

const char* FormatName(RawFormat format) {
  for (const FormatRow& row : kFormats) {
    if (row.format == format) return row.name;
  }
  return "?";
}

std::optional<RawFormat> ParseFormat(const std::string& name) {
  for (const FormatRow& row : kFormats) {
    if (name == row.name) return row.format;
  }
  return std::nullopt;
}

const char* RangeName(ColorRange range) { return range == ColorRange::kRegular ? "full" : "video"; }

std::optional<ColorRange> ParseRange(const std::string& name) {
  if (name == "video") return ColorRange::kBt601Video;
  if (name == "full") return ColorRange::kRegular;
  return std::nullopt;
}

Request::~Request() {
  for (Py_buffer& buffer : buffers_) PyBuffer_Release(&buffer);
}

void Request::Add(py::handle object, std::string what, Slot slot, std::optional<Roi> roi) {
  names_.push_back(std::move(what));
  File file;
  file.view.what = names_.back();
  file.view.roi = roi;
  if (slot == Slot::kImage) {
    AddImage(object, file);
  } else {
    AddFeature(object, file);
  }
  if (!file.path.empty()) {
    // A path names its file in messages, as the CLI's do.
    names_.back() = file.path;
    file.view.what = names_.back();
  }
  files_.push_back(std::move(file));
}

bool Request::AsPath(py::handle object, File& file) {
  if (!PyUnicode_Check(object.ptr()) && !py::hasattr(object, "__fspath__")) return false;
  py::object path = py::reinterpret_steal<py::object>(PyOS_FSPath(object.ptr()));
  if (!path) throw py::error_already_set();
  if (PyUnicode_Check(path.ptr())) {
    path = py::reinterpret_steal<py::object>(PyUnicode_EncodeFSDefault(path.ptr()));
    if (!path) throw py::error_already_set();
  }
  file.path = std::string(py::bytes(path));
  if (file.path.empty()) ThrowInvalid(absl::StrCat(file.view.what, ": an empty path"));
  file.view.kind = InputView::Kind::kEncoded;
  return true;
}

bool Request::AsBytes(py::handle object, File& file) {
  if (!PyObject_CheckBuffer(object.ptr())) return false;
  Py_buffer buffer;
  if (PyObject_GetBuffer(object.ptr(), &buffer, PyBUF_SIMPLE) != 0) {
    PyErr_Clear();
    ThrowInvalid(absl::StrCat(file.view.what, ": a ", TypeName(object),
                              " whose bytes are not contiguous; give bytes, a bytearray or a "
                              "contiguous 1-D uint8 array"));
  }
  buffers_.push_back(buffer);
  file.view.kind = InputView::Kind::kEncoded;
  file.view.bytes =
      absl::MakeConstSpan(static_cast<const uint8_t*>(buffer.buf), static_cast<size_t>(buffer.len));
  return true;
}

void Request::AddImage(py::handle object, File& file) {
  if (py::isinstance<PyFrame>(object)) {
    const PyFrame& frame = object.cast<const PyFrame&>();
    return AddFrame(frame.planes, frame.format, frame.range, file);
  }
  if (PyTuple_Check(object.ptr())) {
    return AddFrame(py::reinterpret_borrow<py::tuple>(object), std::nullopt,
                    ColorRange::kBt601Video, file);
  }
  if (py::isinstance<py::array>(object)) {
    py::array array = py::reinterpret_borrow<py::array>(object);
    if (array.ndim() == 1 && IsUint8(array)) {  // encoded bytes, as cv2.imdecode takes them
      if (!(array.flags() & py::array::c_style)) {
        array = py::module_::import("numpy").attr("ascontiguousarray")(array);
      }
      held_.push_back(array);
      return static_cast<void>(AsBytes(array, file));
    }
    return AddFrame(py::make_tuple(array), std::nullopt, ColorRange::kBt601Video, file);
  }
  if (AsPath(object, file) || AsBytes(object, file)) return;
  ThrowInvalid(absl::StrCat(
      file.view.what, ": a ", TypeName(object),
      " is not an image; give a path, encoded bytes, a uint8 array ((H, W, 3) BGR or (H, W) "
      "gray), a (y, uv) tuple of NV12 planes or an hbprep.Frame"));
}

void Request::AddFeature(py::handle object, File& file) {
  if (py::isinstance<py::array>(object)) {
    const py::array array = py::reinterpret_borrow<py::array>(object);
    std::string dtype = py::str(array.dtype().attr("name"));
    if (dtype == "float64") dtype = "float32";  // as the engine reads float64 .npy files
    const std::optional<DType> parsed = ParseDType(dtype);
    if (!parsed) {
      std::vector<std::string> names;
      for (const DTypeTraits& traits : kDTypeTraits) names.emplace_back(traits.numpy);
      ThrowInvalid(absl::StrCat(file.view.what, ": a ", std::string(py::str(array.dtype())),
                                " array; feature data is one of ", absl::StrJoin(names, ", "),
                                " (or float64, taken as float32)"));
    }
    int64_t bytes = ElementSize(*parsed);
    for (py::ssize_t d = 0; d < array.ndim(); ++d) {
      bytes = array.shape(d) > 0 && bytes > INT64_MAX / array.shape(d) ? INT64_MAX
                                                                       : bytes * array.shape(d);
    }
    if (limits_.max_request_bytes > 0 && bytes > limits_.max_request_bytes) {
      throw StatusError{absl::ResourceExhaustedError(
          absl::StrCat(file.view.what, ": feature data of ", bytes,
                       " bytes is over the request limit of ", limits_.max_request_bytes))};
    }
    // C order, native byte order, the engine's dtype: the array itself when it is so.
    const py::array compact =
        py::module_::import("numpy").attr("ascontiguousarray")(array, py::dtype(dtype));
    held_.push_back(compact);
    FeatureView feature;
    feature.dtype = *parsed;
    feature.shape.assign(compact.shape(), compact.shape() + compact.ndim());
    feature.data = compact.data();
    feature.bytes = static_cast<size_t>(compact.nbytes());
    file.view.kind = InputView::Kind::kFeature;
    file.view.feature = std::move(feature);
    return;
  }
  if (AsPath(object, file) || AsBytes(object, file)) return;
  ThrowInvalid(absl::StrCat(file.view.what, ": a ", TypeName(object),
                            " is not feature data; give an array, a .npy (or .bin) path or its "
                            "bytes"));
}

Request::Plane Request::PlaneOf(const py::array& array, const char* name, int64_t rows,
                                int64_t cols, int64_t element, File& file) {
  if (!IsUint8(array)) {
    ThrowInvalid(absl::StrCat(file.view.what, ": the ", name, " plane is a ",
                              std::string(py::str(array.dtype())), " array; pixels are uint8"));
  }
  held_.push_back(array);
  Plane plane;
  plane.data = static_cast<const uint8_t*>(array.data());
  plane.rows = rows;
  plane.cols = cols;
  plane.element = element;
  plane.row_stride = array.strides(0);
  plane.col_stride = array.ndim() > 1 ? array.strides(1) : element;
  plane.byte_stride = array.ndim() > 2 ? array.strides(2) : 1;
  return plane;
}

void Request::AddFrame(const py::tuple& planes, std::optional<RawFormat> format, ColorRange range,
                       File& file) {
  const size_t count = planes.size();
  std::vector<py::array> arrays;
  for (size_t p = 0; p < count; ++p) {
    if (!py::isinstance<py::array>(planes[p])) {
      ThrowInvalid(absl::StrCat(file.view.what, ": plane ", p, " is a ", TypeName(planes[p]),
                                ", not a numpy array"));
    }
    arrays.push_back(py::reinterpret_borrow<py::array>(planes[p]));
  }
  auto bad = [&](const std::string& why) { ThrowInvalid(absl::StrCat(file.view.what, ": ", why)); };
  if (!format) {
    if (count == 1) {
      const py::array& a = arrays[0];
      format = a.ndim() == 3 && a.shape(2) == 3 ? RawFormat::kBgr : RawFormat::kGray;
    } else if (count == 2) {
      format = RawFormat::kNv12;
    } else if (count == 3) {
      format = RawFormat::kI420;
    } else {
      bad(absl::StrCat("a tuple of ", count,
                       " planes; give (y, uv) NV12 planes or (y, u, v) I420 planes"));
    }
  }
  const size_t want = *format == RawFormat::kNv12 ? 2 : *format == RawFormat::kI420 ? 3 : 1;
  if (count != want) {
    bad(absl::StrCat(FormatName(*format), " takes ", want, " plane(s), got ", count));
  }
  // The first plane's rows and columns give the frame's size.
  const py::array& first = arrays[0];
  const bool packed = *format == RawFormat::kBgr || *format == RawFormat::kRgb;
  const bool shape_ok = packed ? first.ndim() == 3 && first.shape(2) == 3
                               : first.ndim() == 2 || (first.ndim() == 3 && first.shape(2) == 1);
  if (!shape_ok) {
    bad(absl::StrCat("a uint8 array of shape ", ShapeText(first), " is not ",
                     packed ? absl::StrCat("(H, W, 3) ", FormatName(*format), " pixels")
                            : std::string(count == 1 ? "(H, W, 3) BGR or (H, W) gray pixels"
                                                     : "an (H, W) Y plane")));
  }
  const int64_t height = first.shape(0), width = first.shape(1);
  if (height > INT32_MAX || width > INT32_MAX || height == 0 || width == 0) {
    bad(absl::StrCat("a ", FormatName(*format), " frame of ", width, "x", height,
                     " pixels; width and height must be positive"));
  }
  FrameView& frame = file.view.frame;
  file.view.kind = InputView::Kind::kFrame;
  frame.format = *format;
  frame.width = static_cast<int>(width);
  frame.height = static_cast<int>(height);
  frame.range = range;
  file.planes.push_back(
      PlaneOf(first, count == 1 ? "pixel" : "Y", height, width, packed ? 3 : 1, file));
  if (count > 1) {
    // Chroma planes of an even frame (an odd one the engine refuses, naming its size).
    const int64_t rows = height / 2, cols = width / 2;
    for (size_t p = 1; p < count; ++p) {
      const py::array& a = arrays[p];
      const char* name = count == 2 ? "UV" : p == 1 ? "U" : "V";
      int64_t element = 1, columns = cols;
      bool fits = a.ndim() >= 2 && a.shape(0) == rows;
      if (count == 2) {
        // (H/2, W/2, 2) pairs, or (H/2, W) interleaved bytes.
        if (a.ndim() == 3) {
          fits = fits && a.shape(1) == cols && a.shape(2) == 2;
          element = 2;
        } else {
          fits = fits && a.ndim() == 2 && a.shape(1) == 2 * cols;
          columns = 2 * cols;
        }
      } else {
        fits = fits && (a.ndim() == 2 || (a.ndim() == 3 && a.shape(2) == 1)) && a.shape(1) == cols;
      }
      if ((height % 2 == 0 && width % 2 == 0) && !fits) {
        bad(absl::StrCat(
            "the ", name, " plane's shape ", ShapeText(a), " does not fit a ", width, "x", height,
            " frame: ", FormatName(*format), " takes ",
            count == 2 ? absl::StrCat("(", rows, ", ", cols, ", 2) or (", rows, ", ", 2 * cols, ")")
                       : absl::StrCat("(", rows, ", ", cols, ")")));
      }
      if (fits) file.planes.push_back(PlaneOf(a, name, rows, columns, element, file));
    }
  }
  // A copy's size is held to the model's limits before it is made (the engine holds views).
  for (const Plane& plane : file.planes) {
    if (RowContiguous(plane)) continue;
    if (width > limits_.max_width || height > limits_.max_height ||
        width * height > limits_.max_pixels) {
      throw StatusError{absl::ResourceExhaustedError(
          absl::StrCat(file.view.what, ": raw ", FormatName(*format), " ", width, "x", height,
                       " is over the limit of ", limits_.max_width, "x", limits_.max_height,
                       " and ", limits_.max_pixels, " pixels"))};
    }
  }
}

absl::Status Request::Materialize() {
  views_.clear();
  for (File& file : files_) {
    if (!file.path.empty()) {
      std::error_code error;
      const uintmax_t size = std::filesystem::file_size(file.path, error);
      if (!error && limits_.max_request_bytes > 0 &&
          size > static_cast<uintmax_t>(limits_.max_request_bytes)) {
        return absl::ResourceExhaustedError(absl::StrCat(file.path, ": ", size,
                                                         " bytes is over the request limit of ",
                                                         limits_.max_request_bytes));
      }
      owned_.emplace_back();
      if (error || !ReadFile(file.path, &owned_.back())) {
        return absl::NotFoundError(absl::StrCat(file.path, ": cannot read file"));
      }
      file.view.bytes = absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(owned_.back().data()),
                                            owned_.back().size());
    }
    for (size_t p = 0; p < file.planes.size(); ++p) {
      const Plane& plane = file.planes[p];
      const int64_t row_bytes = plane.cols * plane.element;
      if (RowContiguous(plane)) {
        file.view.frame.planes[p] = {plane.data, plane.rows == 1 ? row_bytes : plane.row_stride};
        continue;
      }
      // Compact rows; each source byte found from its row, column and channel (strides of any
      // sign, as numpy's views make them).
      owned_.emplace_back(static_cast<size_t>(plane.rows * row_bytes), '\0');
      uint8_t* out = reinterpret_cast<uint8_t*>(owned_.back().data());
      for (int64_t r = 0; r < plane.rows; ++r) {
        const uint8_t* row = plane.data + r * plane.row_stride;
        uint8_t* dst = out + r * row_bytes;
        if (plane.col_stride == plane.element && (plane.element == 1 || plane.byte_stride == 1)) {
          std::memcpy(dst, row, static_cast<size_t>(row_bytes));
          continue;
        }
        for (int64_t c = 0; c < plane.cols; ++c) {
          const uint8_t* pixel = row + c * plane.col_stride;
          for (int64_t b = 0; b < plane.element; ++b) *dst++ = pixel[b * plane.byte_stride];
        }
      }
      file.view.frame.planes[p] = {out, row_bytes};
    }
    views_.push_back(file.view);
  }
  return absl::OkStatus();
}

}  // namespace hbprep::python
