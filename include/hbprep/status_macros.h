// Status helpers for code that returns absl::Status / absl::StatusOr<T>.
//
// The abseil shipped with Debian 12 (20220623) has no status macros; these are the
// project's, prefixed so they cannot clash with a later abseil.
#ifndef HBPREP_STATUS_MACROS_H_
#define HBPREP_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Returns `expr` from the enclosing function when it is not OK.
#define HBPREP_RETURN_IF_ERROR(expr)                 \
  do {                                               \
    ::absl::Status hbprep_status_ = (expr);          \
    if (!hbprep_status_.ok()) return hbprep_status_; \
  } while (0)

#define HBPREP_STATUS_CONCAT_INNER_(a, b) a##b
#define HBPREP_STATUS_CONCAT_(a, b) HBPREP_STATUS_CONCAT_INNER_(a, b)

// `HBPREP_ASSIGN_OR_RETURN(auto x, F());` declares or assigns `x` from the value of an
// absl::StatusOr, or returns its status from the enclosing function.
#define HBPREP_ASSIGN_OR_RETURN(lhs, expr) \
  HBPREP_ASSIGN_OR_RETURN_IMPL_(HBPREP_STATUS_CONCAT_(hbprep_statusor_, __LINE__), lhs, expr)

#define HBPREP_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                                  \
  if (!statusor.ok()) return std::move(statusor).status(); \
  lhs = *std::move(statusor)

#endif  // HBPREP_STATUS_MACROS_H_
