// The model descriptor: what hbprep knows about a compiled model's inputs.
//
// It is read from the toolchain's own `hb_compile` / `hb_mapper` yaml (model_parameters.march,
// input_parameters, compiler_parameters.input_source) plus hbprep's one extra top-level
// section `hbprep:` for what that yaml does not say (the float model's resize/crop recipe,
// the NV12 recipe, the ddr dtype). Parsing validates everything the toolchain validates and
// reports every error of a file at once. A Descriptor that parsed is fully resolved:
// defaults are filled in and every field is legal, so plan resolution cannot fail on it.
//
// Thread-safety: the types are plain values; the functions are pure.
#ifndef HBPREP_DESCRIPTOR_H_
#define HBPREP_DESCRIPTOR_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "hbprep/chip.h"

namespace hbprep {

// input_type_train / input_type_rt values.
enum class ImageType { kRgb, kBgr, kYuv444, kGray, kFeaturemap, kNv12 };
enum class Layout { kNCHW, kNHWC };
// compiler_parameters.input_source values.
enum class InputSource { kDdr, kPyramid, kResizer };
// input_space_and_range: `regular` is full range 0..255, `bt601_video` is 16..235.
enum class ColorRange { kRegular, kBt601Video };
enum class NormType {
  kNoPreprocess,
  kDataMean,
  kDataScale,
  kDataMeanAndScale,
  kDataStd,         // J6 only
  kDataMeanAndStd,  // J6 only
};
// How BGR/RGB becomes NV12 (domain brief section 4). kAuto follows the toolchain's sample
// pipelines: for bt601_video it is kOpencv; for regular it is the calc formula in the
// precision of the data that reaches it, as the transformers hold it: float32 (kCalcF32)
// after any recipe step or resize (their OpenCV-based steps end in astype(np.float32)),
// float64 (kCalc) when the decoded uint8 pixels go straight in. A regular input keeps kAuto
// after parsing; the engine decides per image.
enum class Nv12Recipe { kAuto, kCalc, kCalcF32, kOpencv };
// A step's resampling filter. kBox, kHamming and kLanczos are Pillow's (PILResize) alone.
enum class Interpolation { kLinear, kCubic, kNearest, kArea, kBox, kHamming, kLanczos };
// How JPEG images are decoded. kExact: the full image to BGR, pixels identical to
// cv2.imread, as the reference recipes see them. kFast: straight to JPEG's YCbCr planes,
// reduced in the DCT domain when the recipe's first resize is much smaller, never through
// BGR; close to exact, not equal (other formats decode as in kExact).
enum class DecodeMode { kExact, kFast };
// How the float model's data pipeline reads an image file (`hbprep.inputs.<name>.read`, the
// sample dataset's read mode). kOpencv: cv2.imread (BGR uint8, EXIF orientation applied).
// kSkimage: skimage.img_as_float(skimage.io.imread(path)).astype(np.float32), RGB in [0, 1]
// (the recipe then runs on those floats and its result is scaled back by 255 in float32, the
// samples' ScaleTransformer(255)). kPil: np.array(Image.open(path).convert('RGB')), uint8
// RGB without EXIF rotation. They differ on 16-bit, grey and alpha images (README).
enum class ReadMode { kOpencv, kSkimage, kPil };
// ResizeTransformer's modes: cv2.resize (kOpencv) or its min/max-normalised
// skimage.transform.resize (kSkimage, the transformer's default).
enum class ResizeMode { kOpencv, kSkimage };

absl::string_view ToString(ImageType type);
absl::string_view ToString(Layout layout);
absl::string_view ToString(InputSource source);
absl::string_view ToString(ColorRange range);
absl::string_view ToString(NormType norm);
std::optional<NormType> ParseNormType(absl::string_view name);
absl::string_view ToString(Nv12Recipe recipe);
std::optional<Nv12Recipe> ParseNv12Recipe(absl::string_view name);  // "auto", "calc", ...
absl::string_view ToString(DecodeMode mode);
std::optional<DecodeMode> ParseDecodeMode(absl::string_view name);  // "exact", "fast"
absl::string_view ToString(Interpolation interpolation);
absl::string_view ToString(ReadMode mode);
absl::string_view ToString(ResizeMode mode);

// One step of the float model's recipe, named after the toolchain's transformer without
// "Transformer" (horizon_tc_ui.data.transformer) and taking its constructor's arguments.
// Sizes are in pixels. adapters/steps/ holds one file per step; README lists them.
struct RecipeStep {
  enum class Kind {
    kShortSideResize,   // short side -> size[0]; long side = int(short * long / short_side)
    kCenterCrop,        // size[0] x size[0] from the centre
    kResize,            // to size[0] (h) x size[1] (w), by `mode`
    kPadResize,         // keep aspect into size[0] x size[1], pad with pad_value
    kPaddedCenterCrop,  // side = int(size / (size + padding) * min(h, w)), centred
    kLongSideCrop,      // crop the long side to the short one, centred (square)
    kPilCenterCrop,     // Pillow's crop of size[0] x size[1] with round()ed offsets
    kWarpAffine,        // cv2.warpAffine to size[0] x size[1], scale by max(h, w) (centernet)
    kPad,               // long side -> size[0] (round), zero-pad to a multiple of size_divisor
    kShortLongResize,   // short side -> size[0] unless the long side passes size[1]
    kPilResize,         // Pillow: short side -> size[0] (one size) or to size[0] x size[1]
    kYuv,               // YUVTransformer: video-range I420, chroma repeated (YUV444 data)
    kSwapRb,            // the first and third channels exchanged (an inconsistent sample's)
  };
  Kind kind;
  std::vector<int> size;  // see Kind
  Interpolation interpolation = Interpolation::kLinear;
  ResizeMode mode = ResizeMode::kOpencv;  // kResize
  int order = 1;                          // kResize in skimage mode: spline order 0..3
  double pad_value = 127.0;               // kPadResize
  bool pad_centered = true;               // kPadResize: `boundary` (true) or `top_left`
  int padding = 32;                       // kPaddedCenterCrop
  double scale = 1.0;                     // kWarpAffine
  int size_divisor = 128;                 // kPad
  bool rgb_sequence = true;               // kYuv: color_sequence RGB (true) or BGR
};
absl::string_view ToString(RecipeStep::Kind kind);

struct InputDescriptor {
  std::string name;
  ImageType type_train = ImageType::kRgb;
  // Unset only for featuremap inputs that did not give one.
  std::optional<Layout> layout_train;
  ImageType type_rt = ImageType::kRgb;
  // input_layout_rt as given; only OE 1.x ddr image inputs use it (J6 implies the layout).
  std::optional<Layout> layout_rt;
  ColorRange range = ColorRange::kRegular;
  std::vector<int64_t> shape;  // input_shape, every dimension positive
  InputSource source = InputSource::kDdr;
  // As given, one value or one per channel; empty when not set.
  std::vector<double> mean, scale, std;
  // Given, or derived from which of mean/scale/std are set (J6).
  NormType norm_type = NormType::kNoPreprocess;
  bool separate = false;  // split along the batch (separate_batch or separate_name)

  // From the `hbprep:` section.
  std::vector<RecipeStep> recipe;  // empty: resize to H x W (contracts: default recipe)
  Nv12Recipe nv12_recipe = Nv12Recipe::kAuto;
  ReadMode read = ReadMode::kOpencv;  // how encoded images are read (ReadMode)
  // Board dtype of ddr image inputs: int8 holding pixel - 128 (the default on J6 for
  // rgb/bgr/yuv444 and on OE 1.x for every ddr image), or uint8.
  bool ddr_signed = false;

  bool is_image() const { return type_train != ImageType::kFeaturemap; }
  // Image geometry from input_shape and layout_train; REQUIRES: is_image().
  int64_t height() const;
  int64_t width() const;
  int64_t channels() const;
};

struct CompiledModel;  // adapters/compiled_model.h

struct Descriptor {
  std::string name;                // the model's name (file stem), not part of the hash
  const ChipInfo* chip = nullptr;  // never null in a parsed descriptor
  int input_batch = 0;             // 0 when not set
  DecodeMode decode = DecodeMode::kExact;  // hbprep.decode
  std::vector<InputDescriptor> inputs;
  // What the compiled model says of its inputs (AttachModelInfo); null when not supplied.
  std::shared_ptr<const CompiledModel> compiled;
};

struct ParseOptions {
  // Shown at the start of error messages and warnings, e.g. the file's path.
  std::string source = "descriptor";
};

// Parses and validates the toolchain yaml text. On success `warnings` (if not null)
// receives what was tolerated (unknown keys, settings that have no effect). On failure the
// status is INVALID_ARGUMENT and its message holds every error, one per line, each
// prefixed with `options.source`.
absl::StatusOr<Descriptor> ParseDescriptor(absl::string_view yaml_text, absl::string_view name,
                                           const ParseOptions& options,
                                           std::vector<std::string>* warnings);

// Reads `path` and parses it; the model's name is the file's stem.
absl::StatusOr<Descriptor> LoadDescriptorFile(const std::string& path,
                                              std::vector<std::string>* warnings);

}  // namespace hbprep

#endif  // HBPREP_DESCRIPTOR_H_
