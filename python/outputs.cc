#include "python/outputs.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "python/errors.h"

namespace hbprep::python {
namespace py = pybind11;

namespace {

constexpr char kTensorCapsule[] = "hbprep.tensor";
constexpr char kOutputsCapsule[] = "hbprep.outputs";

std::string Tuple(const std::vector<int64_t>& values) {
  return absl::StrCat("(", absl::StrJoin(values, ", "), values.size() == 1 ? ",)" : ")");
}

// [lowest, highest) byte offsets an array's elements touch from its data pointer.
std::pair<int64_t, int64_t> Extent(const std::vector<int64_t>& shape,
                                   const std::vector<int64_t>& strides, int64_t itemsize) {
  int64_t low = 0, high = itemsize;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 0) return {0, 0};
    const int64_t span = (shape[d] - 1) * strides[d];
    (span < 0 ? low : high) += span;
  }
  return {low, high};
}

std::vector<int64_t> ShapeOf(const py::array& array) {
  return std::vector<int64_t>(array.shape(), array.shape() + array.ndim());
}
std::vector<int64_t> StridesOf(const py::array& array) {
  return std::vector<int64_t>(array.strides(), array.strides() + array.ndim());
}

}  // namespace

py::dtype NumpyDType(DType dtype) { return py::dtype(std::string(Traits(dtype).numpy)); }

py::array DenseArray(Tensor&& tensor) {
  auto* data = new std::vector<uint8_t>(std::move(tensor.data));
  const py::capsule owner(data, kTensorCapsule, [](PyObject* capsule) {
    delete static_cast<std::vector<uint8_t>*>(PyCapsule_GetPointer(capsule, kTensorCapsule));
  });
  const py::dtype dtype = NumpyDType(tensor.spec.dtype);
  std::vector<py::ssize_t> shape(tensor.dense_shape.begin(), tensor.dense_shape.end());
  return py::array(dtype, shape, data->data(), owner);
}

py::array FlatArray(const std::shared_ptr<OutputBuffers>& buffers, size_t t) {
  auto* held = new std::shared_ptr<OutputBuffers>(buffers);
  const py::capsule owner(held, kOutputsCapsule, [](PyObject* capsule) {
    delete static_cast<std::shared_ptr<OutputBuffers>*>(
        PyCapsule_GetPointer(capsule, kOutputsCapsule));
  });
  const OutputView& view = buffers->views()[t];
  return py::array(py::dtype("uint8"), {static_cast<py::ssize_t>(view.size)},
                   static_cast<uint8_t*>(view.data), owner);
}

std::optional<ArrayLayout> LayoutOf(const TensorSpec& spec) {
  if (spec.layout != TensorLayout::kNV12) return ArrayLayout{spec.shape, spec.strides};
  // [N, 3, H, W]: Y rows, then UV rows at strides[1], rows strides[2] apart.
  if (spec.shape.size() != 4 || spec.strides.size() != 4 ||
      spec.strides[1] != spec.shape[2] * spec.strides[2]) {
    return std::nullopt;
  }
  return ArrayLayout{{spec.shape[0], spec.shape[2] * 3 / 2, spec.shape[3]},
                     {spec.strides[0], spec.strides[2], spec.strides[3]}};
}

py::array EmptyOutput(const TensorSpec& spec) {
  const int64_t bytes = std::max<int64_t>(LayoutBytes(spec), 0);
  py::array flat = py::module_::import("numpy").attr("zeros")(bytes, "uint8");
  const std::optional<ArrayLayout> layout = LayoutOf(spec);
  if (!layout) return flat;
  std::vector<py::ssize_t> shape(layout->shape.begin(), layout->shape.end());
  std::vector<py::ssize_t> strides(layout->strides.begin(), layout->strides.end());
  return py::array(NumpyDType(spec.dtype), shape, strides, flat.mutable_data(), flat);
}

CallerOutput ReadCallerOutput(py::handle object, size_t t, const std::string& tensor) {
  if (!py::isinstance<py::array>(object)) {
    ThrowInvalid(absl::StrCat("output ", t, " (tensor '", tensor, "'): a ",
                              std::string(py::str(py::type::handle_of(object).attr("__name__"))),
                              ", not a numpy array"));
  }
  const py::array array = py::reinterpret_borrow<py::array>(object);
  CallerOutput out;
  out.object = array;
  out.data = static_cast<uint8_t*>(const_cast<void*>(array.data()));
  out.dtype = py::str(array.dtype().attr("name"));
  out.shape = ShapeOf(array);
  out.strides = StridesOf(array);
  out.writable = array.writeable();
  out.c_contiguous = (array.flags() & py::array::c_style) != 0;
  out.nbytes = array.nbytes();
  // The memory the array lies in: its owner's (the end of its chain of bases: an array that
  // owns its data, or the buffer a view was made over; numpy's as_strided puts an
  // __array_interface__ holder in the chain), else the array's own elements.
  const std::pair<int64_t, int64_t> own = Extent(out.shape, out.strides, array.itemsize());
  int64_t start = own.first, end = own.second;  // offsets from `data`
  py::object owner = array;
  while ((py::isinstance<py::array>(owner) || py::hasattr(owner, "__array_interface__")) &&
         py::hasattr(owner, "base") && !owner.attr("base").is_none()) {
    owner = owner.attr("base");
  }
  const auto* base = reinterpret_cast<const uint8_t*>(out.data);
  if (py::isinstance<py::array>(owner)) {
    const py::array a = py::reinterpret_borrow<py::array>(owner);
    const std::pair<int64_t, int64_t> e = Extent(ShapeOf(a), StridesOf(a), a.itemsize());
    const auto* at = static_cast<const uint8_t*>(a.data());
    start = (at - base) + e.first;
    end = (at - base) + e.second;
  } else {
    Py_buffer buffer;
    if (PyObject_GetBuffer(owner.ptr(), &buffer, PyBUF_SIMPLE) == 0) {
      const auto* at = static_cast<const uint8_t*>(buffer.buf);
      start = at - base;
      end = start + buffer.len;
      PyBuffer_Release(&buffer);
    } else {
      PyErr_Clear();
    }
  }
  out.available = start <= 0 && end > 0 ? end : 0;
  out.elements_end = own.second;
  return out;
}

absl::Status CheckCallerOutput(size_t t, const TensorSpec& spec, const CallerOutput& out,
                               OutputView* view) {
  const int64_t need = LayoutBytes(spec);
  const std::optional<ArrayLayout> layout = LayoutOf(spec);
  const std::string dtype(Traits(spec.dtype).numpy);
  auto refuse = [&](const std::string& why) {
    const std::string takes =
        layout ? absl::StrCat("a ", dtype, " array of shape ", Tuple(layout->shape),
                              " with strides ", Tuple(layout->strides), ", or ")
               : std::string();
    return absl::InvalidArgumentError(
        absl::StrCat("output ", t, " (tensor '", spec.name, "'): ", why, "; it takes ", takes,
                     "a C-contiguous uint8 buffer of at least ", need, " bytes"));
  };
  if (need < 0) return absl::InternalError(absl::StrCat("tensor '", spec.name, "' is not sized"));
  bool fits = false;
  if (layout && out.dtype == dtype && out.shape == layout->shape) {
    fits = true;
    for (size_t d = 0; d < out.shape.size(); ++d) {
      if (out.shape[d] > 1 && out.strides[d] != layout->strides[d]) fits = false;
    }
    if (!fits)
      return refuse(absl::StrCat("its strides ", Tuple(out.strides), " are not the layout's"));
    if (out.available < out.elements_end) {
      return refuse(absl::StrCat("its elements run ", out.elements_end,
                                 " bytes from its start, beyond the ", out.available,
                                 " bytes of the memory it lies in"));
    }
  } else if (out.dtype == "uint8" && out.c_contiguous) {
    if (out.nbytes < need) return refuse(absl::StrCat("a uint8 buffer of ", out.nbytes, " bytes"));
    fits = true;
  }
  if (!fits) {
    return refuse(absl::StrCat("a ", out.c_contiguous ? "" : "non-contiguous ", out.dtype,
                               " array of shape ", Tuple(out.shape)));
  }
  if (!out.writable) return refuse("a read-only array");
  *view = OutputView{out.data, static_cast<size_t>(need)};
  return absl::OkStatus();
}

py::object ToPython(const nlohmann::ordered_json& value) {
  switch (value.type()) {
    case nlohmann::ordered_json::value_t::null:
      return py::none();
    case nlohmann::ordered_json::value_t::boolean:
      return py::bool_(value.get<bool>());
    case nlohmann::ordered_json::value_t::number_integer:
      return py::int_(value.get<int64_t>());
    case nlohmann::ordered_json::value_t::number_unsigned:
      return py::int_(value.get<uint64_t>());
    case nlohmann::ordered_json::value_t::number_float:
      return py::float_(value.get<double>());
    case nlohmann::ordered_json::value_t::string: {
      const std::string& text = value.get_ref<const std::string&>();
      PyObject* str =
          PyUnicode_DecodeUTF8(text.data(), static_cast<Py_ssize_t>(text.size()), "replace");
      if (str == nullptr) throw py::error_already_set();
      return py::reinterpret_steal<py::object>(str);
    }
    case nlohmann::ordered_json::value_t::array: {
      py::list list;
      for (const auto& item : value) list.append(ToPython(item));
      return std::move(list);
    }
    case nlohmann::ordered_json::value_t::object: {
      py::dict dict;
      for (const auto& [key, item] : value.items()) dict[py::str(key)] = ToPython(item);
      return std::move(dict);
    }
    default:
      return py::none();
  }
}

}  // namespace hbprep::python
