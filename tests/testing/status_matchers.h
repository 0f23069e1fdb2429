// gMock matchers for absl::Status and absl::StatusOr<T> (the abseil in Debian 12 has none).
#ifndef HBPREP_TESTS_TESTING_STATUS_MATCHERS_H_
#define HBPREP_TESTS_TESTING_STATUS_MATCHERS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"

namespace hbprep::testing {

inline const absl::Status& GetStatus(const absl::Status& status) { return status; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

// EXPECT_THAT(result, IsOk());
MATCHER(IsOk, "is OK") {
  const absl::Status& status = GetStatus(arg);
  if (!status.ok()) *result_listener << "status: " << status;
  return status.ok();
}

// EXPECT_THAT(result, StatusIs(absl::StatusCode::kInvalidArgument, "exact message"));
// The message matcher may be any gMock string matcher (HasSubstr, ...).
MATCHER_P2(StatusIs, code, message_matcher, "") {
  const absl::Status& status = GetStatus(arg);
  *result_listener << "status: " << status;
  return status.code() == code && ::testing::Matches(::testing::Matcher<std::string>(
                                      message_matcher))(std::string(status.message()));
}

}  // namespace hbprep::testing

#endif  // HBPREP_TESTS_TESTING_STATUS_MATCHERS_H_
