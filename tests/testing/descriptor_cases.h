// The table of descriptor errors, shared by the parser's tests and the service's (which
// sends each case inline and expects INVALID_ARGUMENT with the same lines).
#ifndef HBPREP_TESTS_TESTING_DESCRIPTOR_CASES_H_
#define HBPREP_TESTS_TESTING_DESCRIPTOR_CASES_H_

#include <ostream>
#include <string>
#include <vector>

namespace hbprep::testing {

// A yaml with model_parameters.march and the given input_parameters lines (indented by two).
inline std::string Yaml(const std::string& march, const std::string& inputs,
                        const std::string& rest = "") {
  return "model_parameters:\n  march: " + march + "\ninput_parameters:\n" + inputs + rest;
}

// The standard J6 pyramid input, to which cases add or change keys.
inline constexpr char kRgbNv12[] =
    "  input_name: data\n"
    "  input_type_train: rgb\n"
    "  input_layout_train: NCHW\n"
    "  input_type_rt: nv12\n"
    "  input_shape: 1x3x224x224\n";

struct ErrorCase {
  const char* name;
  std::string yaml;
  std::vector<std::string> errors;
};

inline void PrintTo(const ErrorCase& c, std::ostream* os) { *os << c.name; }

// Every descriptor error hbprep reports, with the exact lines it reports for a file
// named m.yaml.
inline const std::vector<ErrorCase>& DescriptorErrorCases() {
  static const auto* const cases = new std::vector<ErrorCase>{
      {"ListLengthsDisagree",
       Yaml("nash-e",
            "  input_name: 'a; b'\n"
            "  input_type_train: 'rgb; rgb'\n"
            "  input_layout_train: 'NCHW; NCHW'\n"
            "  input_type_rt: 'nv12; nv12; nv12'\n"
            "  input_shape: '1x3x224x224; 1x3x224x224'\n"),
       {"m.yaml: input_parameters.input_type_rt has 3 entries but input_name has 2",
        "m.yaml: input 'a': input_type_rt is required (one of nv12, yuv444, rgb, bgr, gray, "
        "featuremap)",
        "m.yaml: input 'b': input_type_rt is required (one of nv12, yuv444, rgb, bgr, gray, "
        "featuremap)"}},
      {"IllegalTrainToRt",
       Yaml("nash-e",
            "  input_name: data\n  input_type_train: rgb\n  input_layout_train: NCHW\n"
            "  input_type_rt: gray\n  input_shape: 1x3x224x224\n"),
       {"m.yaml: input 'data': input_type_train rgb cannot become input_type_rt gray (rgb "
        "allows nv12, yuv444, rgb, bgr)"}},
      {"YuvCannotBecomeRgb",
       Yaml("nash-e",
            "  input_name: data\n  input_type_train: yuv444\n  input_layout_train: NHWC\n"
            "  input_type_rt: rgb\n  input_shape: 1x224x224x3\n"),
       {"m.yaml: input 'data': input_type_train yuv444 cannot become input_type_rt rgb (yuv444 "
        "allows nv12, yuv444)"}},
      {"InputSourceIncompatible",
       Yaml("nash-e",
            "  input_name: data\n  input_type_train: rgb\n  input_layout_train: NCHW\n"
            "  input_type_rt: rgb\n  input_shape: 1x3x224x224\n",
            "compiler_parameters:\n  input_source: {data: resizer}\n"),
       {"m.yaml: input 'data': input_source resizer does not accept input_type_rt rgb (resizer "
        "accepts nv12, gray)"}},
      {"DdrRefusesNv12",
       Yaml("nash-e", kRgbNv12, "compiler_parameters:\n  input_source: {data: ddr}\n"),
       {"m.yaml: input 'data': input_source ddr does not accept input_type_rt nv12 (ddr accepts "
        "yuv444, rgb, bgr, gray, featuremap)"}},
      {"UnknownInputSource",
       Yaml("nash-e", kRgbNv12, "compiler_parameters:\n  input_source: {data: dram}\n"),
       {"m.yaml: input 'data': input_source 'dram' is not one of ddr, pyramid, resizer"}},
      {"InputSourceNamesUnknownInput",
       Yaml("nash-e", kRgbNv12, "compiler_parameters:\n  input_source: {img: pyramid}\n"),
       {"m.yaml: compiler_parameters.input_source names 'img', which is not in input_name "
        "(data)"}},
      {"OddNv12",
       Yaml("nash-e",
            "  input_name: data\n  input_type_train: rgb\n  input_layout_train: NCHW\n"
            "  input_type_rt: nv12\n  input_shape: 1x3x225x224\n"),
       {"m.yaml: input 'data': input_type_rt nv12 needs even height and width, got 225x224"}},
      {"OddYuv444OnOe1",
       Yaml("bayes",
            "  input_name: data\n  input_type_train: rgb\n  input_layout_train: NHWC\n"
            "  input_type_rt: yuv444\n  input_shape: 1x224x223x3\n"),
       {"m.yaml: input 'data': input_type_rt yuv444 needs even height and width, got 224x223"}},
      {"ScaleWithStd",
       Yaml("nash-e", std::string(kRgbNv12) + "  scale_value: 0.017\n  std_value: 58.4\n"),
       {"m.yaml: input 'data': scale_value and std_value are mutually exclusive"}},
      {"SeparateBatchWithSeparateName",
       Yaml("nash-e", std::string(kRgbNv12) +
                          "  input_batch: 4\n  separate_batch: True\n  separate_name: data\n"),
       {"m.yaml: input_parameters: separate_batch and separate_name are mutually exclusive"}},
      {"InputBatchNeedsFirstDimOne",
       Yaml("nash-e",
            "  input_name: data\n  input_type_train: rgb\n  input_layout_train: NCHW\n"
            "  input_type_rt: nv12\n  input_shape: 4x3x224x224\n  input_batch: 8\n"),
       {"m.yaml: input 'data': input_batch 8 needs the first dimension of input_shape to be 1, "
        "got 4x3x224x224"}},
      {"InputBatchOutOfRange",
       Yaml("bernoulli2", std::string(kRgbNv12) + "  input_batch: 129\n"),
       {"m.yaml: input_parameters.input_batch 129 must be one integer from 1 to 128 on "
        "bernoulli2"}},
      {"InputBatchBeyondHbprepsBoundOnJ6",
       Yaml("nash-e", std::string(kRgbNv12) + "  input_batch: 4097\n"),
       {"m.yaml: input_parameters.input_batch 4097 must be one integer from 1 to 4096 on "
        "nash-e"}},
      {"MeanOnFeaturemap",
       Yaml("nash-e",
            "  input_name: feat\n  input_type_train: featuremap\n  input_type_rt: featuremap\n"
            "  input_shape: 1x64x8x8\n  mean_value: 128\n  scale_value: 0.5\n"),
       {"m.yaml: input 'feat': mean_value is not allowed on a featuremap input",
        "m.yaml: input 'feat': scale_value is not allowed on a featuremap input"}},
      {"VideoRangeWithoutNv12",
       Yaml("nash-e",
            "  input_name: data\n  input_type_train: rgb\n  input_layout_train: NCHW\n"
            "  input_type_rt: rgb\n  input_shape: 1x3x224x224\n"
            "  input_space_and_range: bt601_video\n"),
       {"m.yaml: input 'data': input_space_and_range bt601_video is only valid with "
        "input_type_rt nv12, got rgb"}},
      {"Oe1ScaleWithoutNormType",
       Yaml("bayes-e", std::string(kRgbNv12) + "  mean_value: 128\n  scale_value: 0.0078125\n"),
       {"m.yaml: input 'data': scale_value is set but norm_type is not: OE 1.x (march bayes-e) "
        "does not apply it without norm_type (use data_mean_and_scale)"}},
      {"Oe1MeanWithoutNormType",
       Yaml("bernoulli2", std::string(kRgbNv12) + "  mean_value: 128\n"),
       {"m.yaml: input 'data': mean_value is set but norm_type is not: OE 1.x (march "
        "bernoulli2) does not apply it without norm_type (use data_mean)"}},
      {"Oe1HasNoStd",
       Yaml("bayes", std::string(kRgbNv12) + "  std_value: 58.4\n  norm_type: data_std\n"),
       {"m.yaml: input 'data': std_value needs a J6 (nash) march; OE 1.x (march bayes) takes "
        "scale_value, the reciprocal of std"}},
      {"Oe1HasNoStdNormType",
       Yaml("bayes", std::string(kRgbNv12) + "  mean_value: 128\n  norm_type: data_mean_and_std\n"),
       {"m.yaml: input 'data': norm_type data_mean_and_std needs a J6 (nash) march; OE 1.x "
        "(march bayes) supports no_preprocess, data_mean, data_scale, data_mean_and_scale"}},
      {"NormTypeNeedsScale",
       Yaml("bayes-e",
            std::string(kRgbNv12) + "  mean_value: 128\n  norm_type: data_mean_and_scale\n"),
       {"m.yaml: input 'data': norm_type data_mean_and_scale needs scale_value"}},
      {"UnknownNormType",
       Yaml("nash-e", std::string(kRgbNv12) + "  norm_type: data_minmax\n"),
       {"m.yaml: input 'data': norm_type 'data_minmax' is not one of no_preprocess, data_mean, "
        "data_scale, data_mean_and_scale, data_std, data_mean_and_std"}},
      {"MeanCountNotChannels",
       Yaml("nash-e", std::string(kRgbNv12) + "  mean_value: 1 2\n"),
       {"m.yaml: input 'data': mean_value has 2 values; give 1 or 3 (one per channel of rgb)"}},
      {"MeanNotNumbers",
       Yaml("nash-e", std::string(kRgbNv12) + "  mean_value: '1;2;3'\n"),
       {"m.yaml: input_parameters.mean_value has 3 entries but input_name has 1"}},
      {"MeanNotNumbersAtAll",
       Yaml("nash-e", std::string(kRgbNv12) + "  mean_value: '1, two, 3'\n"),
       {"m.yaml: input 'data': mean_value '1, two, 3' is not a list of numbers separated by "
        "spaces or commas"}},
      {"StdZero",
       Yaml("nash-e", std::string(kRgbNv12) + "  std_value: 58 0 57\n"),
       {"m.yaml: input 'data': std_value 0 would divide by zero"}},
      {"MissingInputName",
       Yaml("nash-e", "  input_type_train: rgb\n  input_shape: 1x3x224x224\n"),
       {"m.yaml: input_parameters.input_name is required: hbprep reads no ONNX file, so the "
        "yaml must name every input"}},
      {"MissingInputShape",
       Yaml("nash-e",
            "  input_name: data\n  input_type_train: rgb\n  input_layout_train: NCHW\n"
            "  input_type_rt: nv12\n"),
       {"m.yaml: input_parameters.input_shape is required: hbprep reads no ONNX file, so the "
        "yaml must give every input's shape (for example 1x3x224x224)"}},
      {"MissingMarch",
       "model_parameters:\n  onnx_model: a.onnx\ninput_parameters:\n" + std::string(kRgbNv12),
       {"m.yaml: model_parameters.march is required (one of bernoulli2, bayes, bayes-e, nash-e, "
        "nash-m, nash-p, nash-h, nash-b, nash-b-lite, nash-b-plus, nash-starry-p)"}},
      {"UnknownMarch",
       Yaml("nash-x", kRgbNv12),
       {"m.yaml: model_parameters.march 'nash-x' is not one of bernoulli2, bayes, bayes-e, "
        "nash-e, nash-m, nash-p, nash-h, nash-b, nash-b-lite, nash-b-plus, nash-starry-p"}},
      {"UnknownTypes",
       Yaml("nash-e",
            "  input_name: data\n  input_type_train: nv12\n  input_layout_train: NCHW\n"
            "  input_type_rt: nv21\n  input_shape: 1x3x224x224\n"),
       {"m.yaml: input 'data': input_type_train 'nv12' is not one of rgb, bgr, yuv444, gray, "
        "featuremap",
        "m.yaml: input 'data': input_type_rt 'nv21' is not one of nv12, yuv444, rgb, bgr, gray, "
        "featuremap, yuv444_128"}},
      {"MissingLayoutTrain",
       Yaml("nash-e",
            "  input_name: data\n  input_type_train: rgb\n  input_type_rt: nv12\n"
            "  input_shape: 1x3x224x224\n"),
       {"m.yaml: input 'data': input_layout_train is required for input_type_train rgb (NCHW "
        "or NHWC)"}},
      {"ChannelsDisagreeWithType",
       Yaml("nash-e",
            "  input_name: data\n  input_type_train: rgb\n  input_layout_train: NHWC\n"
            "  input_type_rt: nv12\n  input_shape: 1x3x224x224\n"),
       {"m.yaml: input 'data': input_shape 1x3x224x224 has 224 channels in layout NHWC, but "
        "input_type_train rgb has 3"}},
      {"ShapeNotParsable",
       Yaml("nash-e",
            "  input_name: data\n  input_type_train: rgb\n  input_layout_train: NCHW\n"
            "  input_type_rt: nv12\n  input_shape: 1x3x?x224\n"),
       {"m.yaml: input 'data': input_shape '1x3x?x224' is not a list of positive integers like "
        "1x3x224x224"}},
      {"ShapeHuge",
       Yaml("nash-e",
            "  input_name: data\n  input_type_train: rgb\n  input_layout_train: NCHW\n"
            "  input_type_rt: nv12\n  input_shape: 1x3x65536x65536\n"),
       {"m.yaml: input 'data': input_shape 1x3x65536x65536 is too large (more than 2147483648 "
        "elements)"}},
      {"DuplicateInputName",
       Yaml("nash-e", "  input_name: 'a; a'\n  input_shape: '1x3x2x2; 1x3x2x2'\n"),
       {"m.yaml: input_parameters.input_name lists 'a' twice"}},
      {"SeparateNameUnknownInput",
       Yaml("nash-e", std::string(kRgbNv12) + "  input_batch: 2\n  separate_name: img\n"),
       {"m.yaml: input_parameters.separate_name names 'img', which is not in input_name"}},
      {"RecipeSizeDisagrees",
       Yaml("nash-e", kRgbNv12,
            "hbprep:\n  inputs:\n    data:\n      recipe:\n        - ShortSideResize: 256\n"
            "        - CenterCrop: 200\n"),
       {"m.yaml: input 'data': hbprep recipe produces 200x200 but input_shape 1x3x224x224 needs "
        "224x224"}},
      {"RecipeUnknownStep",
       Yaml("nash-e", kRgbNv12,
            "hbprep:\n  inputs:\n    data:\n      recipe:\n        - RandomCrop: 224\n"),
       {"m.yaml: input 'data': hbprep recipe step 1 'RandomCrop' is not one of ShortSideResize, "
        "CenterCrop, Resize, PadResize, PaddedCenterCrop, LongSideCrop, PILResize, PILCenterCrop, "
        "WarpAffine, Pad, ShortLongResize, SwapRB, YUV"}},
      {"RecipeBadArguments",
       Yaml("nash-e", kRgbNv12,
            "hbprep:\n  inputs:\n    data:\n      recipe:\n"
            "        - ShortSideResize: {size: 0, interpolation: lanczos}\n"
            "        - Resize: [224, 224, 3]\n"),
       {"m.yaml: input 'data': hbprep recipe step 1 (ShortSideResize): size must be an integer "
        "from 1 to 65536, got '0'",
        "m.yaml: input 'data': hbprep recipe step 1 (ShortSideResize): interpolation 'lanczos' "
        "is not one of linear, cubic, nearest, area",
        "m.yaml: input 'data': hbprep recipe step 2 (Resize): size must be [height, width]"}},
      {"RecipeNewStepsBadArguments",
       Yaml("nash-e", kRgbNv12,
            "hbprep:\n  inputs:\n    data:\n      read: opencv2\n      recipe:\n"
            "        - Pad: 512\n"
            "        - ShortLongResize: {short: 600}\n"
            "        - WarpAffine: {size: [512, 512], scale: 0}\n"
            "        - PILResize: {size: 256, interpolation: area}\n"
            "        - Resize: {size: 224, order: 3}\n"
            "        - SwapRB: {x: 1}\n"
            "        - Resize: {size: 224, mode: skimage, interpolation: cubic}\n"
            "        - Resize: {size: 224, mode: scipy}\n"
            "        - PadResize: {size: 224, pad_position: bottom}\n"),
       {"m.yaml: input 'data': hbprep read 'opencv2' is not one of opencv, skimage, caffe, pil",
        "m.yaml: input 'data': hbprep recipe step 1 (Pad): takes {key: value} arguments",
        "m.yaml: input 'data': hbprep recipe step 2 (ShortLongResize): needs long",
        "m.yaml: input 'data': hbprep recipe step 3 (WarpAffine): scale must be a number from "
        "1e-06 to 1e+06, got '0'",
        "m.yaml: input 'data': hbprep recipe step 4 (PILResize): interpolation 'area' is not "
        "one of linear, nearest, box, hamming, cubic, lanczos",
        "m.yaml: input 'data': hbprep recipe step 5 (Resize): order is an argument of mode "
        "skimage",
        "m.yaml: input 'data': hbprep recipe step 6 (SwapRB): takes no arguments",
        "m.yaml: input 'data': hbprep recipe step 7 (Resize): interpolation is an argument of "
        "mode opencv; mode skimage takes order",
        "m.yaml: input 'data': hbprep recipe step 8 (Resize): mode 'scipy' is not one of "
        "opencv, skimage",
        "m.yaml: input 'data': hbprep recipe step 9 (PadResize): pad_position 'bottom' is not "
        "one of boundary, top_left, bottom_right"}},
      {"HbprepUnknownKeys",
       Yaml("nash-e", kRgbNv12,
            "hbprep:\n  nv12_recipie: calc\n  inputs:\n    data:\n      dtype: uint8\n"
            "    img:\n      nv12_recipe: calc\n"),
       {"m.yaml: hbprep.nv12_recipie is not a key of the hbprep section (nv12_recipe, decode, "
        "inputs)",
        "m.yaml: input 'data': hbprep.inputs.data.dtype is not one of recipe, read, nv12_recipe, "
        "ddr_dtype",
        "m.yaml: hbprep.inputs names 'img', which is not in input_name"}},
      {"HbprepBadValues",
       Yaml("nash-e", kRgbNv12,
            "hbprep:\n  nv12_recipe: fast\n  decode: quick\n  inputs:\n    data:\n"
            "      ddr_dtype: float32\n"),
       {"m.yaml: hbprep.nv12_recipe 'fast' is not one of auto, calc, calc_f32, opencv",
        "m.yaml: hbprep.decode 'quick' is not one of exact, fast",
        "m.yaml: input 'data': hbprep ddr_dtype 'float32' is not one of int8, uint8"}},
      {"NotYaml",
       "model_parameters:\n  march: [nash-e\n",
       {"m.yaml: not valid yaml at line 3, column 1: end of sequence flow not found"}},
      {"NotUtf8",
       "model_parameters:\n  march: nash-\x9e\n",
       {"m.yaml: not UTF-8 text (byte 0x9E at offset 32)"}},
      {"NotUtf8Overlong",
       "model_parameters:\n  march: \xc0\xaf\n",
       {"m.yaml: not UTF-8 text (byte 0xC0 at offset 27)"}},
      {"NotAMap",
       "- a\n- b\n",
       {"m.yaml: the descriptor must be a yaml map with model_parameters and input_parameters"}},
      {"EveryErrorOfTheFileAtOnce",
       Yaml("nash-q",
            "  input_name: 'a; b'\n"
            "  input_type_train: 'rgb; gray'\n"
            "  input_layout_train: 'NCHW; NCHW'\n"
            "  input_type_rt: 'nv12; nv12'\n"
            "  input_shape: '1x3x223x224; 1x1x224x224'\n"
            "  scale_value: '0.5; 0.5'\n"
            "  std_value: '2; None'\n"),
       {"m.yaml: model_parameters.march 'nash-q' is not one of bernoulli2, bayes, bayes-e, "
        "nash-e, nash-m, nash-p, nash-h, nash-b, nash-b-lite, "
        "nash-b-plus, nash-starry-p",
        "m.yaml: input 'a': input_type_rt nv12 needs even height and width, got 223x224",
        "m.yaml: input 'a': scale_value and std_value are mutually exclusive",
        "m.yaml: input 'b': input_type_train gray cannot become input_type_rt nv12 (gray allows "
        "gray)"}},
  };
  return *cases;
}

}  // namespace hbprep::testing

#endif  // HBPREP_TESTS_TESTING_DESCRIPTOR_CASES_H_
