#include "python/errors.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"

namespace hbprep::python {
namespace py = pybind11;

namespace {

// The classes, made once at import and kept for the process's life (a module's exception
// classes are never freed).
PyObject* g_error = nullptr;
struct CodeClass {
  absl::StatusCode code;
  PyObject* cls;
};
std::vector<CodeClass>* g_classes = nullptr;

PyObject* NewClass(py::module_& module, const char* name, const char* doc,
                   std::initializer_list<PyObject*> bases) {
  PyObject* tuple = PyTuple_New(static_cast<Py_ssize_t>(bases.size()));
  Py_ssize_t i = 0;
  for (PyObject* base : bases) {
    Py_INCREF(base);
    PyTuple_SET_ITEM(tuple, i++, base);
  }
  const std::string qualified = absl::StrCat("hbprep.", name);
  PyObject* cls = PyErr_NewExceptionWithDoc(qualified.c_str(), doc, tuple, nullptr);
  Py_DECREF(tuple);
  if (cls == nullptr) throw py::error_already_set();
  module.add_object(name, py::reinterpret_borrow<py::object>(cls));
  return cls;
}

PyObject* ClassOf(absl::StatusCode code) {
  for (const CodeClass& entry : *g_classes) {
    if (entry.code == code) return entry.cls;
  }
  return g_error;
}

// The message as str, with any byte that is not UTF-8 (a file name's) replaced.
py::object Text(const std::string& text) {
  PyObject* str =
      PyUnicode_DecodeUTF8(text.data(), static_cast<Py_ssize_t>(text.size()), "replace");
  if (str == nullptr) throw py::error_already_set();
  return py::reinterpret_steal<py::object>(str);
}

void SetError(const absl::Status& status) {
  PyObject* cls = ClassOf(status.code());
  const py::object message = Text(std::string(status.message()));
  PyObject* instance = PyObject_CallOneArg(cls, message.ptr());
  if (instance == nullptr) return;  // the call's own error stands
  py::object error = py::reinterpret_steal<py::object>(instance);
  error.attr("code") = py::str(absl::StatusCodeToString(status.code()));
  error.attr("message") = message;
  PyErr_SetObject(cls, error.ptr());
}

}  // namespace

void ThrowInvalid(std::string message) {
  throw StatusError{absl::InvalidArgumentError(std::move(message))};
}

void AddErrors(py::module_& module) {
  g_error =
      NewClass(module, "Error",
               "A failed hbprep call. `code` is the engine's status code (\"INVALID_ARGUMENT\", "
               "...), `message` (and str(error)) the engine's message, which names the "
               "image, input, tensor or value at fault.",
               {PyExc_Exception});
  g_classes = new std::vector<CodeClass>();
  auto add = [&](absl::StatusCode code, const char* name, const char* doc,
                 std::initializer_list<PyObject*> bases) {
    g_classes->push_back({code, NewClass(module, name, doc, bases)});
  };
  add(absl::StatusCode::kInvalidArgument, "InvalidArgument",
      "A bad request: an undecodable image, a wrong number of images or ROIs, feature data of "
      "the wrong shape, an invalid descriptor, an array that cannot hold a tensor. A ValueError.",
      {g_error, PyExc_ValueError});
  add(absl::StatusCode::kNotFound, "NotFound",
      "A file, folder or repository model that is not there. A KeyError (str() is the message, "
      "unquoted).",
      {g_error, PyExc_KeyError});
  add(absl::StatusCode::kResourceExhausted, "ResourceExhausted",
      "A request beyond the model's limits (image sizes, pixels, request memory: Model's "
      "max_side, max_pixels, max_request_bytes), or memory that ran out.",
      {g_error});
  add(absl::StatusCode::kFailedPrecondition, "FailedPrecondition",
      "A valid request the system cannot take in its state, e.g. an output folder that holds "
      "something other than an earlier hbprep result.",
      {g_error});
  add(absl::StatusCode::kCancelled, "Cancelled", "The call was cancelled.", {g_error});
  add(absl::StatusCode::kDeadlineExceeded, "DeadlineExceeded",
      "The call ran out of time. A TimeoutError.", {g_error, PyExc_TimeoutError});
  add(absl::StatusCode::kUnavailable, "Unavailable",
      "A file or folder that cannot be written or read. An OSError.", {g_error, PyExc_OSError});
  add(absl::StatusCode::kInternal, "Internal",
      "A library failed where it should not (OpenCV, a decoder). A RuntimeError.",
      {g_error, PyExc_RuntimeError});
  // KeyError's str() quotes its argument (it is meant for keys); NotFound's is the message.
  py::object not_found = py::reinterpret_borrow<py::object>(ClassOf(absl::StatusCode::kNotFound));
  not_found.attr("__str__") =
      py::reinterpret_borrow<py::object>(reinterpret_cast<PyObject*>(PyExc_BaseException))
          .attr("__str__");

  py::register_exception_translator([](std::exception_ptr thrown) {
    try {
      if (thrown) std::rethrow_exception(thrown);
    } catch (const StatusError& e) {
      SetError(e.status);
    }
  });
}

}  // namespace hbprep::python
