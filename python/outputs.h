// The engine's tensors as numpy arrays, and the caller's arrays as the engine's outputs.
//
// Arrays made from the engine's tensors own its buffers (a capsule is their base): no copy,
// and the memory lives as long as the array does, whatever happens to the model or the
// result. Caller arrays for PrepareInto are checked in full before the engine writes: dtype,
// shape and strides against the tensor's layout (or a flat uint8 buffer of the layout's
// bytes), writability, and the bytes the layout needs inside the memory the array lies in.
#ifndef HBPREP_PYTHON_OUTPUTS_H_
#define HBPREP_PYTHON_OUTPUTS_H_

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "hbprep/engine.h"
#include "hbprep/model.h"
#include "hbprep/plan.h"
#include "nlohmann/json.hpp"

namespace hbprep::python {

pybind11::dtype NumpyDType(DType dtype);

// A dense tensor's array (shape Tensor::dense_shape), owning `tensor.data`.
pybind11::array DenseArray(Tensor&& tensor);
// Output `t` of `buffers` as a flat uint8 array of its layout's bytes (the board's padded
// rows), keeping `buffers` alive.
pybind11::array FlatArray(const std::shared_ptr<OutputBuffers>& buffers, size_t t);

// How numpy views a tensor in its layout: the shape and byte strides of an array whose
// elements sit where the layout puts them. The plan's for most tensors; for OE 1.x packed
// NV12 ([N, 3, H, W] with strides [image, UV offset, row, 1]) the dense shape [N, H*3/2, W]
// with strides [image, row, 1], when the UV plane follows the Y rows (nullopt otherwise: such
// a tensor goes into a flat buffer).
struct ArrayLayout {
  std::vector<int64_t> shape, strides;
};
std::optional<ArrayLayout> LayoutOf(const TensorSpec& spec);

// A zero-filled array laid out as `spec` (LayoutOf's view over a buffer of the layout's
// bytes), or the flat buffer itself when LayoutOf has none.
pybind11::array EmptyOutput(const TensorSpec& spec);

// What the engine needs to know of a caller's output array, read with the GIL.
struct CallerOutput {
  pybind11::object object;  // held for the call
  uint8_t* data = nullptr;
  // Bytes from `data` to the end of the memory the array lies in (its base buffer's, when
  // the array is a view over one; its own elements' when nothing tells more), and to the end
  // of its last element.
  int64_t available = 0;
  int64_t elements_end = 0;
  std::string dtype;  // numpy's name
  std::vector<int64_t> shape, strides;
  bool writable = false;
  bool c_contiguous = false;
  int64_t nbytes = 0;
};
// INVALID_ARGUMENT (StatusError) naming output `t` for an object that is not an array.
CallerOutput ReadCallerOutput(pybind11::handle object, size_t t, const std::string& tensor);

// The OutputView for output `t` when `out` can take `spec`'s layout: the tensor's dtype and
// LayoutOf's shape and strides (dimensions of one element excepted) with every element inside
// the memory the array lies in, or a C-contiguous uint8 buffer of at least LayoutBytes(spec);
// writable. The view claims the layout's bytes: the engine writes the elements alone, never
// the padding (model.h), so an array that ends with its last element (a runtime's tensor
// without its last row's padding) takes it too. INVALID_ARGUMENT naming the output, its
// tensor and the bytes needed otherwise. No GIL needed.
absl::Status CheckCallerOutput(size_t t, const TensorSpec& spec, const CallerOutput& out,
                               OutputView* view);

// A JSON document (plan_json.h's) as Python objects: dicts in the document's key order,
// lists, str, int, float, bool, None.
pybind11::object ToPython(const nlohmann::ordered_json& value);

}  // namespace hbprep::python

#endif  // HBPREP_PYTHON_OUTPUTS_H_
