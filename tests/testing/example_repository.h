// The example model repository (deploy/models) and the demo photo, as the tests use them.
// HBPREP_SOURCE_DIR is each test binary's (tests/CMakeLists.txt).
#ifndef HBPREP_TESTS_TESTING_EXAMPLE_REPOSITORY_H_
#define HBPREP_TESTS_TESTING_EXAMPLE_REPOSITORY_H_

#include <string>

#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "hbprep/descriptor.h"
#include "tests/testing/files.h"
#include "tests/testing/status_matchers.h"

namespace hbprep::testing {

// The example repository's folder.
inline const std::string kModels = HBPREP_SOURCE_DIR "/deploy/models";

// The demo photo's bytes (deploy/demo/scene.jpg, 70 KB), read once per binary.
inline const std::string kScene = Read(HBPREP_SOURCE_DIR "/deploy/demo/scene.jpg");

// The example model `model`'s descriptor (deploy/models/MODEL.yaml), without warnings.
// REQUIRES: it loads (a non-fatal test failure names the status otherwise).
inline Descriptor LoadExampleModel(const std::string& model) {
  absl::StatusOr<Descriptor> d = LoadDescriptorFile(kModels + "/" + model + ".yaml", nullptr);
  EXPECT_THAT(d, IsOk());
  return *d;
}

}  // namespace hbprep::testing

#endif  // HBPREP_TESTS_TESTING_EXAMPLE_REPOSITORY_H_
