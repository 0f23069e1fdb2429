// The names the toolchain's yaml gives the descriptor's enum values, one table per enum
// (internal to the engine: the parser reads them; descriptor.h's ToString/Parse* too), and
// the lookups over them.
#ifndef HBPREP_ADAPTERS_DESCRIPTOR_NAMES_H_
#define HBPREP_ADAPTERS_DESCRIPTOR_NAMES_H_

#include <optional>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "hbprep/descriptor.h"

namespace hbprep {

template <typename E>
struct Named {
  absl::string_view name;
  E value;
};

inline constexpr Named<ImageType> kTrainTypes[] = {{"rgb", ImageType::kRgb},
                                            {"bgr", ImageType::kBgr},
                                            {"yuv444", ImageType::kYuv444},
                                            {"gray", ImageType::kGray},
                                            {"featuremap", ImageType::kFeaturemap}};
inline constexpr Named<ImageType> kRtTypes[] = {
    {"nv12", ImageType::kNv12}, {"yuv444", ImageType::kYuv444},
    {"rgb", ImageType::kRgb},   {"bgr", ImageType::kBgr},
    {"gray", ImageType::kGray}, {"featuremap", ImageType::kFeaturemap}};
// Both toolchains also accept input_type_rt yuv444_128: YUV444 minus 128 as int8, which is
// what hbprep makes of a ddr yuv444 input by default (ddr_dtype int8).
inline constexpr absl::string_view kYuv444_128 = "yuv444_128";
inline constexpr Named<Layout> kLayouts[] = {{"NCHW", Layout::kNCHW}, {"NHWC", Layout::kNHWC}};
inline constexpr Named<InputSource> kSources[] = {{"ddr", InputSource::kDdr},
                                           {"pyramid", InputSource::kPyramid},
                                           {"resizer", InputSource::kResizer}};
inline constexpr Named<ColorRange> kRanges[] = {{"regular", ColorRange::kRegular},
                                         {"bt601_video", ColorRange::kBt601Video}};
inline constexpr Named<NormType> kNormTypes[] = {{"no_preprocess", NormType::kNoPreprocess},
                                          {"data_mean", NormType::kDataMean},
                                          {"data_scale", NormType::kDataScale},
                                          {"data_mean_and_scale", NormType::kDataMeanAndScale},
                                          {"data_std", NormType::kDataStd},
                                          {"data_mean_and_std", NormType::kDataMeanAndStd}};
inline constexpr Named<Nv12Recipe> kNv12Recipes[] = {{"auto", Nv12Recipe::kAuto},
                                              {"calc", Nv12Recipe::kCalc},
                                              {"calc_f32", Nv12Recipe::kCalcF32},
                                              {"opencv", Nv12Recipe::kOpencv}};
inline constexpr Named<DecodeMode> kDecodeModes[] = {{"exact", DecodeMode::kExact},
                                             {"fast", DecodeMode::kFast}};
inline constexpr Named<Interpolation> kInterpolations[] = {{"linear", Interpolation::kLinear},
                                                    {"cubic", Interpolation::kCubic},
                                                    {"nearest", Interpolation::kNearest},
                                                    {"area", Interpolation::kArea},
                                                    {"box", Interpolation::kBox},
                                                    {"hamming", Interpolation::kHamming},
                                                    {"lanczos", Interpolation::kLanczos}};
inline constexpr Named<ReadMode> kReadModes[] = {
    {"opencv", ReadMode::kOpencv},
    {"skimage", ReadMode::kSkimage},
    {"caffe", ReadMode::kSkimage},  // the samples' other name for it
    {"pil", ReadMode::kPil}};
inline constexpr Named<ResizeMode> kResizeModes[] = {{"opencv", ResizeMode::kOpencv},
                                              {"skimage", ResizeMode::kSkimage}};

template <typename E, size_t N>
std::optional<E> Lookup(const Named<E> (&table)[N], absl::string_view name) {
  for (const auto& entry : table) {
    if (absl::EqualsIgnoreCase(entry.name, name)) return entry.value;
  }
  return std::nullopt;
}

template <typename E, size_t N>
absl::string_view NameOf(const Named<E> (&table)[N], E value) {
  for (const auto& entry : table) {
    if (entry.value == value) return entry.name;
  }
  return "?";
}

template <typename E, size_t N>
std::string NamesOf(const Named<E> (&table)[N]) {
  return absl::StrJoin(table, ", ", [](std::string* out, const Named<E>& entry) {
    absl::StrAppend(out, entry.name);
  });
}

}  // namespace hbprep

#endif  // HBPREP_ADAPTERS_DESCRIPTOR_NAMES_H_
