// Folders of prepared tensors (a manifest and its .npy files, or plain .npy files named after
// their tensors), and what their data says about itself. Shared by `diff` and `preview`.
#ifndef HBPREP_CLIENT_TENSOR_FOLDER_H_
#define HBPREP_CLIENT_TENSOR_FOLDER_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "hbprep/descriptor.h"
#include "hbprep/npy.h"

namespace hbprep {

// The tensors of a folder by name: the manifest's files when there is one, else every .npy.
absl::StatusOr<std::map<std::string, NpyArray>> LoadFolder(const std::string& dir);

// Element `i` of `array` as a double.
double ValueAt(const NpyArray& array, size_t i);

// Notes on the data: each Y plane's span and what range it proves (warning when it disagrees
// with the descriptor's input_space_and_range), and float images whose channel means fit the
// descriptor's mean_value better reversed (BGR given to an RGB model, or the reverse).
std::vector<std::string> RangeChecks(const std::string& folder,
                                     const std::map<std::string, NpyArray>& tensors,
                                     const std::optional<Descriptor>& descriptor);

}  // namespace hbprep

#endif  // HBPREP_CLIENT_TENSOR_FOLDER_H_
