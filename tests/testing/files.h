// Reads files back for tests.
#ifndef HBPREP_TESTS_TESTING_FILES_H_
#define HBPREP_TESTS_TESTING_FILES_H_

#include <fstream>
#include <sstream>
#include <string>

namespace hbprep::testing {

// A whole file; empty when it cannot be read.
inline std::string Read(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

}  // namespace hbprep::testing

#endif  // HBPREP_TESTS_TESTING_FILES_H_
