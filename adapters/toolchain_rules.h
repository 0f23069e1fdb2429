// What the toolchain's yaml allows (internal to the engine, read by the descriptor parser):
// the keys it documents in the sections hbprep reads, the legal type conversions and what
// each input source takes.
#ifndef HBPREP_ADAPTERS_TOOLCHAIN_RULES_H_
#define HBPREP_ADAPTERS_TOOLCHAIN_RULES_H_

#include <string>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "hbprep/descriptor.h"

namespace hbprep {

// Keys the toolchain documents in the three sections hbprep reads. Keys outside these lists
// draw a warning (a typo in a key hbprep uses would otherwise go unnoticed).
inline constexpr absl::string_view kModelKeys[] = {"onnx_model",
                                            "caffe_model",
                                            "prototxt",
                                            "march",
                                            "output_model_file_prefix",
                                            "working_dir",
                                            "layer_out_dump",
                                            "log_level",
                                            "remove_node_type",
                                            "remove_node_name",
                                            "node_info",
                                            "debug_mode",
                                            "output_nodes",
                                            "set_node_data_type"};
inline constexpr absl::string_view kInputKeys[] = {
    "input_name",    "input_type_train", "input_layout_train",
    "input_type_rt", "input_layout_rt",  "input_space_and_range",
    "input_shape",   "input_batch",      "separate_batch",
    "separate_name", "mean_value",       "scale_value",
    "std_value",     "norm_type"};
inline constexpr absl::string_view kCompilerKeys[] = {
    "compile_mode",    "debug",      "optimize_level", "input_source",          "core_num",
    "max_time_per_fc", "jobs",       "advice",         "balance_factor",        "extra_params",
    "split_dim",       "cache_mode", "cache_path",     "hbdk3_compatible_mode", "ability_entry"};

// Whether `key` is one of `keys`.
bool IsOneOf(absl::Span<const absl::string_view> keys, absl::string_view key);

// Legal input_type_train -> input_type_rt (domain brief section 2), and the legal ones' names.
bool LegalConversion(ImageType train, ImageType rt);
std::string LegalTargets(ImageType train);

// Which input_type_rt an input_source takes, and their names.
bool SourceAccepts(InputSource source, ImageType rt);
std::string AcceptedBy(InputSource source);

}  // namespace hbprep

#endif  // HBPREP_ADAPTERS_TOOLCHAIN_RULES_H_
