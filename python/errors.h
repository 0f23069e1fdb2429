// hbprep's exceptions: one Python class per absl::StatusCode the engine returns, each a
// subclass of hbprep.Error and of the builtin a Python caller expects (InvalidArgument is a
// ValueError, NotFound a KeyError, ...), carrying the engine's message and code unchanged.
#ifndef HBPREP_PYTHON_ERRORS_H_
#define HBPREP_PYTHON_ERRORS_H_

#include <pybind11/pybind11.h>

#include "absl/status/status.h"

namespace hbprep::python {

// Creates the classes in `module` (Error, InvalidArgument, NotFound, ResourceExhausted,
// FailedPrecondition, Cancelled, DeadlineExceeded, Unavailable, Internal). Once, at import.
void AddErrors(pybind11::module_& module);

// Thrown by the bindings for a non-OK status; pybind11 turns it into the status's class
// (REQUIRES: AddErrors ran). Needs no GIL to be made: a status from a call without the GIL is
// thrown after the GIL is back.
struct StatusError {
  absl::Status status;
};

// Throws StatusError when `status` is not OK.
inline void ThrowIfError(absl::Status status) {
  if (!status.ok()) throw StatusError{std::move(status)};
}

// StatusError for INVALID_ARGUMENT with `message`: the bindings' own checks of Python values.
[[noreturn]] void ThrowInvalid(std::string message);

}  // namespace hbprep::python

#endif  // HBPREP_PYTHON_ERRORS_H_
