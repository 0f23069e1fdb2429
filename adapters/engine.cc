#include "adapters/engine.h"

#include <jconfig.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <tuple>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "adapters/color.h"
#include "adapters/compiled_model.h"
#include "adapters/frame.h"
#include "adapters/image_io.h"
#include "adapters/jpeg.h"
#include "adapters/npy.h"
#include "adapters/part_sink.h"
#include "adapters/recipe.h"
#include "adapters/request_cost.h"
#include "adapters/size_math.h"
#include "adapters/status_macros.h"
#include "opencv2/core.hpp"
#include "opencv2/imgproc.hpp"

namespace hbprep::internal {
// Reads the versions once (OpenCV's build information is a long string to search).
std::vector<std::pair<std::string, std::string>> ReadLibraryVersions();
}  // namespace hbprep::internal

// LIBJPEG_TURBO_VERSION, of the library OpenCV decodes JPEG with (libjpeg62-turbo).
#define HBPREP_STRINGIZE_INNER(x) #x
#define HBPREP_STRINGIZE(x) HBPREP_STRINGIZE_INNER(x)

namespace hbprep {
namespace {

using Clock = std::chrono::steady_clock;

int64_t MicrosSince(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count();
}

absl::Status ApplyRecipePlanar(Frame& frame, const InputDescriptor& input,
                               absl::string_view what) {
  HBPREP_ASSIGN_OR_RETURN(const ComposedRecipe recipe,
                          ComposeRecipe(input, frame.width(), frame.height(), what));
  frame.ScaleWindow(recipe.window, static_cast<int>(input.height()),
                    static_cast<int>(input.width()), recipe.interpolation);
  return absl::OkStatus();
}

// The float model's geometric recipe (domain brief section 3), then the default resize to
// the model's size when the result differs.
//
// The data follows the sample transformers' dtypes: uint8 pixels until their first step, float32
// after it (each ends in astype(np.float32)), and Frame::float32 says so. A resize of float32
// data takes OpenCV's float path (cv2.resize of a float32 array), whose results are fractional:
// the frame's BGR becomes CV_32FC3 there (nearest-neighbour copies values, so it stays 8-bit),
// and so does PadResize's float32 canvas when its pad value is fractional. Camera frames on
// their way to NV12 outputs stay planar: no transformer handles them.
absl::Status ApplyRecipe(Frame& frame, const InputDescriptor& input,
                         const std::function<absl::Status()>& check_continue,
                         absl::string_view what) {
  const bool model_size = frame.width() == input.width() && frame.height() == input.height();
  if (frame.nv12 && CanScalePlanar(input)) {
    frame.float32 = frame.float32 || !input.recipe.empty() || !model_size;
    return ApplyRecipePlanar(frame, input, what);
  }
  auto to_float = [&frame] {
    if (!frame.nv12 && frame.bgr.depth() != CV_32F) frame.bgr.convertTo(frame.bgr, CV_32F);
  };
  for (const RecipeStep& step : input.recipe) {
    if (check_continue) HBPREP_RETURN_IF_ERROR(check_continue());
    const int h = frame.height(), w = frame.width();
    if (step.kind == RecipeStep::Kind::kPadResize) {
      frame.ToBgr();
      if (frame.float32) to_float();
      const int th = step.size[0], tw = step.size[1];
      const double scale = std::min(static_cast<double>(tw) / w, static_cast<double>(th) / h);
      const int nh = static_cast<int>(scale * h), nw = static_cast<int>(scale * w);
      cv::Mat scaled;
      cv::resize(frame.bgr, scaled, cv::Size(nw, nh), 0, 0, cv::INTER_LINEAR);
      const bool fractional_pad = step.pad_value != std::floor(step.pad_value);
      const int type = scaled.depth() == CV_32F || fractional_pad ? CV_32FC3 : CV_8UC3;
      if (scaled.type() != type) scaled.convertTo(scaled, type);
      cv::Mat canvas(th, tw, type, cv::Scalar::all(static_cast<float>(step.pad_value)));
      const int top = step.pad_centered ? (th - nh) / 2 : 0;
      const int left = step.pad_centered ? (tw - nw) / 2 : 0;
      scaled.copyTo(canvas(cv::Rect(left, top, nw, nh)));
      frame.bgr = canvas;
      frame.float32 = true;
      continue;
    }
    const StepGeometry g = Geometry(step, w, h);
    if (g.crop) {
      HBPREP_RETURN_IF_ERROR(CheckCrop({w, h}, *g.crop, g.crop_step, what));
      frame.Crop(*g.crop);
    } else {
      if (frame.float32 && g.interpolation != cv::INTER_NEAREST) to_float();
      frame.Resize(g.size->height, g.size->width, g.interpolation);
    }
    frame.float32 = true;
  }
  if (check_continue) HBPREP_RETURN_IF_ERROR(check_continue());
  if (frame.width() != input.width() || frame.height() != input.height()) {
    if (frame.float32) to_float();
    frame.Resize(static_cast<int>(input.height()), static_cast<int>(input.width()),
                 cv::INTER_LINEAR);
    frame.float32 = true;
  }
  return absl::OkStatus();
}

// BGR pixels as uint8, as astype(np.uint8) makes them of float32 data (8-bit frames as they are).
cv::Mat AsUint8(const cv::Mat& bgr) {
  if (bgr.depth() == CV_8U) return bgr;
  cv::Mat out(bgr.rows, bgr.cols, CV_8UC3);
  for (int row = 0; row < bgr.rows; ++row) {
    const float* s = bgr.ptr<float>(row);
    uint8_t* d = out.ptr<uint8_t>(row);
    for (int i = 0; i < bgr.cols * 3; ++i) d[i] = AstypeUint8(s[i]);
  }
  return out;
}

// Fast decoding: the smallest decoded size that keeps the recipe's first resize a reduction,
// so that DCT-domain scaling loses nothing the recipe keeps. 0 x 0 (the full image) for
// resizer inputs and for recipes that crop before they resize.
cv::Size FastDecodeMinimum(const InputDescriptor& input, Target target,
                           const ImageHeader& header) {
  if (TakesRoi(input, target)) return {0, 0};
  if (input.recipe.empty()) {
    return {static_cast<int>(input.width()), static_cast<int>(input.height())};
  }
  const RecipeStep& first = input.recipe.front();
  switch (first.kind) {
    case RecipeStep::Kind::kShortSideResize:  // the short side at least the size
      return {first.size[0], first.size[0]};
    case RecipeStep::Kind::kResize:
      return {first.size[1], first.size[0]};
    case RecipeStep::Kind::kPadResize: {
      const double scale =
          std::min(static_cast<double>(first.size[1]) / static_cast<double>(header.width),
                   static_cast<double>(first.size[0]) / static_cast<double>(header.height));
      return {static_cast<int>(std::ceil(scale * header.width)),
              static_cast<int>(std::ceil(scale * header.height))};
    }
    default:
      return {0, 0};
  }
}

// NV12 planes of a BGR image with the given recipe: `y` becomes the Y plane, `uv` (w * h / 2
// bytes) receives the interleaved chroma. REQUIRES: even width and height.
void BgrToNv12(const cv::Mat& bgr_in, Nv12Recipe recipe, std::vector<uint8_t>* y, uint8_t* uv) {
  const int w = bgr_in.cols, h = bgr_in.rows;
  const size_t pixels = static_cast<size_t>(w) * h;
  if (bgr_in.depth() == CV_32F && recipe != Nv12Recipe::kOpencv) {
    // Fractional float32 data: the formula on the float values.
    const cv::Mat bgr = bgr_in.isContinuous() ? bgr_in : bgr_in.clone();
    y->resize(pixels);
    FloatRgbToNv12Calc(bgr.ptr<float>(), w * 3, ChannelOrder::kBgr,
                       recipe == Nv12Recipe::kCalcF32, y->data(), w, uv, w, w, h);
    return;
  }
  // The opencv recipe casts float data to uint8 (truncating) before cvtColor.
  const cv::Mat bgr = AsUint8(bgr_in);
  if (recipe == Nv12Recipe::kOpencv) {
    // cvtColor writes its I420 (Y, then U and V planes) into the Y tensor's own buffer, U and
    // V are interleaved into the UV tensor, and the buffer is cut back to the Y plane: the Y
    // plane is never copied.
    y->resize(pixels * 3 / 2);
    cv::Mat i420(h * 3 / 2, w, CV_8UC1, y->data());
    cv::cvtColor(bgr, i420, cv::COLOR_BGR2YUV_I420);
    const cv::Mat planes[] = {cv::Mat(h / 2, w / 2, CV_8UC1, y->data() + pixels),
                              cv::Mat(h / 2, w / 2, CV_8UC1, y->data() + pixels + pixels / 4)};
    cv::Mat interleaved(h / 2, w / 2, CV_8UC2, uv);
    cv::merge(planes, 2, interleaved);
    y->resize(pixels);
    return;
  }
  y->resize(pixels);
  (recipe == Nv12Recipe::kCalcF32 ? RgbToNv12CalcF32 : RgbToNv12Calc)(
      bgr.ptr<uint8_t>(), static_cast<int>(bgr.step[0]), ChannelOrder::kBgr, y->data(), w, uv, w,
      w, h);
}

// The interleaved (or gray) uint8 pixels of `type` the board takes from a BGR frame: fractional
// float32 data truncates, as astype(np.uint8); Y/U/V of the full-range formula for gray and
// yuv444.
std::vector<uint8_t> PixelsOf(const cv::Mat& bgr_in, ImageType type) {
  cv::Mat bgr = AsUint8(bgr_in);
  if (!bgr.isContinuous()) bgr = bgr.clone();
  const size_t pixels = bgr.total();
  const int channels = type == ImageType::kGray ? 1 : 3;
  std::vector<uint8_t> data(pixels * channels);
  const uint8_t* src = bgr.ptr<uint8_t>();
  const int w = bgr.cols, h = bgr.rows, step = static_cast<int>(bgr.step[0]);
  switch (type) {
    case ImageType::kBgr:
    case ImageType::kRgb:
      ReorderChannels(src, step,
                      type == ImageType::kRgb ? ChannelOrder::kRgb : ChannelOrder::kBgr,
                      data.data(), w * 3, w, h);
      break;
    case ImageType::kYuv444:
      RgbToYuv444Calc(src, step, ChannelOrder::kBgr, data.data(), w * 3, w, h);
      break;
    default:  // gray
      RgbToGrayCalc(src, step, ChannelOrder::kBgr, data.data(), w, w, h);
      break;
  }
  return data;
}

// J6 calibration data and ONNX inputs are normalised; on OE 1.x the model holds the
// normalisation node, so its data stops before mean/scale.
bool Normalises(const Descriptor& descriptor, const InputDescriptor& input) {
  return descriptor.chip->toolchain == Toolchain::kJ6 && input.norm_type != NormType::kNoPreprocess;
}

// q = clip(nearbyint(x / scale + zero_point)) in float32 arithmetic (as numpy computes it on
// float32 data), rounding half to even, saturating to T's range.
template <typename T>
void QuantizeAs(const uint8_t* x, size_t count, const Quantization& q, int64_t axis_length,
                int64_t inner, uint8_t* out) {
  const double lo = std::numeric_limits<T>::min(), hi = std::numeric_limits<T>::max();
  T* dst = reinterpret_cast<T*>(out);
  for (size_t i = 0; i < count; ++i) {
    float v;
    std::memcpy(&v, x + i * sizeof(float), sizeof(float));
    const size_t k = q.axis < 0 ? 0 : (i / inner) % axis_length;
    const float value = v / q.scale[k] + static_cast<float>(q.zero_point[k]);
    const double rounded = std::nearbyint(value);
    dst[i] = static_cast<T>(std::clamp(rounded, lo, hi));
  }
}


}  // namespace

absl::Status QuantizeInto(const std::string& input, const TensorSpec& spec, const uint8_t* x,
                          size_t count, uint8_t* out) {
  const Quantization& q = *spec.quantization;
  for (size_t i = 0; i < count; ++i) {
    float v;
    std::memcpy(&v, x + i * sizeof(float), sizeof(float));
    if (!std::isfinite(v)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "featuremap input '", input, "': element ", i, " of tensor '", spec.name, "' is ", v,
          "; a quantised input (", ToString(spec.dtype), ") needs finite values"));
    }
  }
  int64_t axis_length = 1, inner = 1;
  if (q.axis >= 0) {
    axis_length = spec.shape[q.axis];
    for (size_t d = q.axis + 1; d < spec.shape.size(); ++d) inner *= spec.shape[d];
  }
  switch (spec.dtype) {
    case DType::kUint8:
      QuantizeAs<uint8_t>(x, count, q, axis_length, inner, out);
      break;
    case DType::kInt8:
      QuantizeAs<int8_t>(x, count, q, axis_length, inner, out);
      break;
    case DType::kInt16:
      QuantizeAs<int16_t>(x, count, q, axis_length, inner, out);
      break;
    case DType::kUint16:
      QuantizeAs<uint16_t>(x, count, q, axis_length, inner, out);
      break;
    case DType::kInt32:
      QuantizeAs<int32_t>(x, count, q, axis_length, inner, out);
      break;
    case DType::kFloat32:
    case DType::kBool:
    case DType::kFloat16:
    case DType::kInt64:
      return absl::InternalError(absl::StrCat("tensor '", spec.name, "': quantised to ",
                                              ToString(spec.dtype)));
  }
  return absl::OkStatus();
}

namespace {

class Preparer {
 public:
  Preparer(const Descriptor& descriptor, const PrepareOptions& options,
           const std::function<absl::Status()>& check_continue, PartSink& sink,
           PrepareReport& report, ScratchPlanes* scratch)
      : descriptor_(descriptor),
        options_(options),
        check_continue_(check_continue),
        sink_(sink),
        report_(report),
        scratch_(scratch) {}

  // `header`: the image's, checked (CheckRequest); null for raw frames and featuremaps.
  // `geometry`: where the image's geometry goes.
  absl::Status Input(int index, int item, const InputView& image, const ImageHeader* header,
                     ImageGeometry* geometry);

 private:
  absl::StatusOr<Frame> Load(const InputView& image, const InputDescriptor& input,
                             const ImageHeader* header);
  // Exact decoding of a JPEG (`header` checked) whose recipe reads only part of each row:
  // just those columns (and a margin), the rest of the image zero. nullopt when that does
  // not apply.
  std::optional<cv::Mat> DecodeRecipeColumns(const InputView& image,
                                             const InputDescriptor& input,
                                             const ImageHeader& header);
  absl::Status Board(int index, int item, const InputDescriptor& input, const InputView& image,
                     Frame frame);
  // Camera NV12 planes scaled to the model's size straight into the sink's planes (the
  // default resize, bilinear, without cv::resize's allocations): false when this frame and
  // input need the general path.
  absl::StatusOr<bool> ScaleCameraPlanes(int index, int item, const InputDescriptor& input,
                                         const InputView& image, const Frame& frame);
  // NV12 planes into the sink's planes of a height x width image, scaled to it (with
  // `interpolation`) when they have another size, in the range the model expects.
  absl::Status PlanesOut(int index, int item, const InputDescriptor& input,
                         const InputView& image, const Frame& frame, int height, int width,
                         int interpolation);
  // The float model's data of a BGR frame; `float32`: the transformers hold it as float32
  // (Frame::float32), so colour conversions compute in float32.
  absl::Status Float(int index, int item, const InputDescriptor& input, const cv::Mat& bgr,
                     bool float32);
  // The data of OE 1.x's generated ONNX models (Target::kOe1FloatOnnx, kOe1QuantizedOnnx): they
  // begin with hb_mapper's HzPreprocess node and take input_type_rt's "intermediate type"
  // minus 128 (nv12 and yuv444 as YUV444, rgb/bgr/gray as they are; hb_mapper's docs, "the
  // conversion's internal process"): the float models float32 in input_layout_train, the
  // quantized model int8 in NHWC (NCHW where input_layout_rt says so). horizon_tc_ui's
  // HB_ONNXRuntime subtracts the 128 itself from uint8 data for HzPreprocess models, which is
  // why the samples feed uint8 with input_offset=128.
  absl::Status Oe1Onnx(int index, int item, const InputDescriptor& input, const cv::Mat& bgr,
                       bool float32);
  absl::Status Featuremap(int index, int item, const InputDescriptor& input,
                          const InputView& image);
  absl::Status CheckRoi(const Roi& roi, int width, int height, const InputView& image);
  // The NV12 recipe for `input` on a frame holding float32 data (Frame::float32) or not.
  Nv12Recipe RecipeFor(const InputDescriptor& input, bool float32);

  const Descriptor& descriptor_;
  const PrepareOptions& options_;
  const std::function<absl::Status()>& check_continue_;
  PartSink& sink_;
  PrepareReport& report_;
  ScratchPlanes* scratch_;  // null: nothing kept between calls
};

absl::StatusOr<Frame> Preparer::Load(const InputView& image, const InputDescriptor& input,
                                     const ImageHeader* checked) {
  const auto start = Clock::now();
  struct Account {
    PrepareReport& out;
    std::chrono::steady_clock::time_point start;
    ~Account() { out.decode_us += MicrosSince(start); }
  } account{report_, start};
  if (image.kind == InputView::Kind::kFrame) return FrameFromView(image.frame);  // checked
  if (checked == nullptr) return absl::InternalError(absl::StrCat(image.what, ": no header"));
  const ImageHeader& header = *checked;  // limits checked; it says which decoder to use
  Frame frame;
  if (header.format == "JPEG" &&
      options_.decode.value_or(descriptor_.decode) == DecodeMode::kFast) {
    const cv::Size minimum = FastDecodeMinimum(input, options_.target, header);
    if (std::optional<JpegPlanes> planes =
            DecodeJpegPlanes(BytesOf(image), minimum.width, minimum.height)) {
      frame.nv12 = true;
      frame.y = planes->y;
      frame.uv = planes->uv;
      frame.range = ColorRange::kRegular;  // JPEG's YCbCr: full-range BT.601
      frame.chroma_centered = true;
      return frame;
    }
  }
  if (header.format == "JPEG") {
    if (std::optional<cv::Mat> bgr = DecodeRecipeColumns(image, input, header)) {
      frame.bgr = *std::move(bgr);
      return frame;
    }
  }
  HBPREP_ASSIGN_OR_RETURN(frame.bgr,
                          DecodeCheckedImage(BytesOf(image), header, image.what, &report_.warnings));
  return frame;
}

std::optional<cv::Mat> Preparer::DecodeRecipeColumns(const InputView& image,
                                                     const InputDescriptor& input,
                                                     const ImageHeader& header) {
  if (input.recipe.empty() || !CanScaleOnce(input) ||
      TakesRoi(input, options_.target)) {
    return std::nullopt;
  }
  const int width = static_cast<int>(header.width), height = static_cast<int>(header.height);
  const absl::StatusOr<ComposedRecipe> recipe = ComposeRecipe(input, width, height, image.what);
  if (!recipe.ok()) return std::nullopt;  // the step-by-step recipe reports it
  const int x0 = std::max(0, static_cast<int>(std::floor(recipe->window.x - recipe->reach)));
  const int x1 = std::min(width, static_cast<int>(std::ceil(recipe->window.x +
                                                            recipe->window.width + recipe->reach)));
  if (x1 - x0 > width * 3 / 4) return std::nullopt;  // most of each row: decode it all
  return DecodeJpegBgrColumns(BytesOf(image), x0, x1);
}

Nv12Recipe Preparer::RecipeFor(const InputDescriptor& input, bool float32) {
  if (!options_.nv12_recipe || *options_.nv12_recipe == Nv12Recipe::kAuto) {
    if (input.nv12_recipe != Nv12Recipe::kAuto) return input.nv12_recipe;
    return float32 ? Nv12Recipe::kCalcF32 : Nv12Recipe::kCalc;
  }
  const Nv12Recipe forced = *options_.nv12_recipe;
  const bool video = forced == Nv12Recipe::kOpencv;
  if (video != (input.range == ColorRange::kBt601Video)) {
    const std::string warning =
        absl::StrCat("input '", input.name, "': nv12_recipe ", ToString(forced), " produces ",
                     video ? "video" : "full", " range but input_space_and_range is ",
                     ToString(input.range), ": the model will see shifted colours");
    if (std::find(report_.warnings.begin(), report_.warnings.end(), warning) ==
        report_.warnings.end()) {
      report_.warnings.push_back(warning);
    }
  }
  return forced;
}

absl::Status Preparer::Input(int index, int item, const InputView& image,
                             const ImageHeader* header, ImageGeometry* geometry) {
  const InputDescriptor& input = descriptor_.inputs[index];
  *geometry = ImageGeometry();
  if (!input.is_image()) return Featuremap(index, item, input, image);
  if (image.roi && !TakesRoi(input, options_.target)) {
    return absl::InvalidArgumentError(absl::StrCat(
        image.what, ": a ROI was given but input '", input.name, "' is not a resizer input",
        options_.target == Target::kBoard ? "" : " on the board target"));
  }
  HBPREP_ASSIGN_OR_RETURN(Frame frame, Load(image, input, header));
  const bool resizer = TakesRoi(input, options_.target);
  const int source_w = header ? static_cast<int>(header->width) : frame.width();
  const int source_h = header ? static_cast<int>(header->height) : frame.height();
  if (resizer) {
    const int w = frame.width() & ~1, h = frame.height() & ~1;
    const Roi roi = image.roi.value_or(Roi{0, 0, w - 1, h - 1});
    geometry->valid = true;
    geometry->source_width = source_w;
    geometry->source_height = source_h;
    geometry->width = w;
    geometry->height = h;
    geometry->content_width = static_cast<int>(input.width());
    geometry->content_height = static_cast<int>(input.height());
    geometry->roi = roi;
    // What the model sees: the ROI, scaled by the BPU's resizer to the model's size.
    geometry->window_x = roi.left;
    geometry->window_y = roi.top;
    geometry->window_width = int64_t{roi.right} - roi.left + 1;
    geometry->window_height = int64_t{roi.bottom} - roi.top + 1;
    geometry->scale_x = geometry->window_width > 0 ? input.width() / geometry->window_width : 1;
    geometry->scale_y = geometry->window_height > 0 ? input.height() / geometry->window_height : 1;
  } else {
    // The recipe runs on the decoded size (smaller than the header's when fast decoding
    // reduced it): its geometry there, in the image's own pixels.
    *geometry = RecipeGeometry(input, frame.width(), frame.height());
    const double kx = static_cast<double>(source_w) / frame.width();
    const double ky = static_cast<double>(source_h) / frame.height();
    geometry->source_width = source_w;
    geometry->source_height = source_h;
    geometry->window_x *= kx;
    geometry->window_width *= kx;
    geometry->scale_x /= kx;
    geometry->window_y *= ky;
    geometry->window_height *= ky;
    geometry->scale_y /= ky;
  }
  // Camera frames stay planar only on their way to NV12 outputs; JPEG planes (fast decoding)
  // also through the recipe's one scaling, before they become BGR at the model's size.
  const bool nv12_out = options_.target == Target::kBoard && input.type_rt == ImageType::kNv12;
  if (!nv12_out && !(frame.chroma_centered && CanScalePlanar(input))) frame.ToBgr();
  if (options_.target == Target::kBoard) {
    return Board(index, item, input, image, std::move(frame));
  }
  HBPREP_RETURN_IF_ERROR(ApplyRecipe(frame, input, check_continue_, image.what));
  if (check_continue_) HBPREP_RETURN_IF_ERROR(check_continue_());
  frame.ToBgr();
  cv::Scalar mean, stddev;
  cv::meanStdDev(frame.bgr, mean, stddev);
  report_.pixel_stddev.push_back(std::max({stddev[0], stddev[1], stddev[2]}));
  return Float(index, item, input, frame.bgr, frame.float32);
}

absl::Status Preparer::CheckRoi(const Roi& roi, int width, int height, const InputView& image) {
  auto bad = [&](const std::string& why) {
    return absl::InvalidArgumentError(absl::StrCat(image.what, ": ROI ", roi.left, ",", roi.top,
                                                   ",", roi.right, ",", roi.bottom, " ", why));
  };
  if (roi.right < roi.left || roi.bottom < roi.top) {
    return bad("has right < left or bottom < top (coordinates are inclusive)");
  }
  if (roi.left < 0 || roi.top < 0 || roi.right >= width || roi.bottom >= height) {
    return bad(absl::StrCat("lies outside the ", width, "x", height, " image"));
  }
  const int64_t rw = int64_t{roi.right} - roi.left + 1, rh = int64_t{roi.bottom} - roi.top + 1;
  const absl::string_view march = descriptor_.chip->march;
  if (march == "bernoulli2") {  // X3
    if (roi.left % 2 || roi.top % 2 || roi.right % 2 == 0 || roi.bottom % 2 == 0) {
      return bad("must have even left/top and odd right/bottom on X3 (bernoulli2)");
    }
    if (rw < 16 || rh < 16 || rw >= 256 || rh >= 256) {
      return bad(
          absl::StrCat("is ", rw, "x", rh, "; X3 (bernoulli2) needs 16 <= width, height < 256"));
    }
  } else if (march == "bayes") {  // J5 / RDK Ultra
    if (rw < 2 || rh < 2 || rw > 4096 || rh > 4096) {
      return bad(absl::StrCat("is ", rw, "x", rh, "; J5 (bayes) needs 2 <= width, height <= 4096"));
    }
    if (width > 4096) {
      return bad(
          absl::StrCat("applies to a ", width, "-wide image; J5 (bayes) takes at most 4096"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> Preparer::ScaleCameraPlanes(int index, int item,
                                                 const InputDescriptor& input,
                                                 const InputView& image, const Frame& frame) {
  if (!frame.nv12 || frame.chroma_centered || input.type_rt != ImageType::kNv12 ||
      !CanScalePlanar(input)) {
    return false;
  }
  HBPREP_ASSIGN_OR_RETURN(const ComposedRecipe recipe,
                          ComposeRecipe(input, frame.width(), frame.height(), image.what));
  // Resizes only: the recipe's planar scaling is one resize of the whole frame (ScaleWindow).
  if (recipe.window != cv::Rect2d(0, 0, frame.width(), frame.height())) return false;
  if (check_continue_) HBPREP_RETURN_IF_ERROR(check_continue_());
  HBPREP_RETURN_IF_ERROR(PlanesOut(index, item, input, image, frame,
                                   static_cast<int>(input.height()),
                                   static_cast<int>(input.width()), recipe.interpolation));
  return true;
}

absl::Status Preparer::PlanesOut(int index, int item, const InputDescriptor& input,
                                 const InputView& image, const Frame& frame, int h, int w,
                                 int interpolation) {
  HBPREP_ASSIGN_OR_RETURN(const PlaneRows y, sink_.Plane(index, item, TensorRole::kY, h, w));
  HBPREP_ASSIGN_OR_RETURN(const PlaneRows uv, sink_.Plane(index, item, TensorRole::kUV, h, w));
  const cv::Mat y_out(h, w, CV_8UC1, y.data, static_cast<size_t>(y.stride));
  const cv::Mat uv_out(h / 2, w / 2, CV_8UC2, uv.data, static_cast<size_t>(uv.stride));
  const bool convert = frame.range != input.range && options_.convert_range;
  if (frame.range != input.range && !convert) {
    report_.warnings.push_back(absl::StrCat(
        image.what, ": the frame is ", frame.range == ColorRange::kRegular ? "full" : "video",
        " range but input '", input.name, "' expects ", ToString(input.range),
        "; passed through unconverted as asked"));
  }
  const bool scale = frame.width() != w || frame.height() != h;
  ScratchPlanes local;
  ScratchPlanes& scratch = scratch_ != nullptr ? *scratch_ : local;
  // Scaled straight into the outputs, or (before a range conversion) into scratch planes.
  Frame scaled = frame;
  if (scale) {
    if (convert) {
      scaled.y = scratch.Y(h, w);
      scaled.uv = scratch.UV(h / 2, w / 2);
    } else {
      scaled.y = y_out;
      scaled.uv = uv_out;
    }
    scratch.ScalePlane(frame.y, scaled.y, interpolation);
    scratch.ScalePlane(frame.uv, scaled.uv, interpolation);
  }
  if (convert) {
    scaled.ConvertRange(input.range, y_out, uv_out);
  } else if (!scale) {
    frame.y.copyTo(y_out);
    frame.uv.copyTo(uv_out);
  }
  return absl::OkStatus();
}

absl::Status Preparer::Board(int index, int item, const InputDescriptor& input,
                             const InputView& image, Frame frame) {
  if (input.source == InputSource::kResizer) {
    // The resizer takes the frame as it is; NV12 needs even sizes.
    const int w = frame.width() & ~1, h = frame.height() & ~1;
    if (w == 0 || h == 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          image.what, ": a ", frame.width(), "x", frame.height(), " image is too small for NV12"));
    }
    if (w != frame.width() || h != frame.height()) {
      report_.warnings.push_back(absl::StrCat(image.what, ": ", frame.width(), "x", frame.height(),
                                           " has an odd size; NV12 uses the top-left ", w, "x", h));
      frame.Crop(cv::Rect(0, 0, w, h));
    }
    const Roi roi = image.roi.value_or(Roi{0, 0, w - 1, h - 1});
    HBPREP_RETURN_IF_ERROR(CheckRoi(roi, w, h, image));
    HBPREP_RETURN_IF_ERROR(sink_.FrameSize(index, item, h, w));
    uint8_t roi_bytes[16];
    const int32_t values[4] = {roi.left, roi.top, roi.right, roi.bottom};
    std::memcpy(roi_bytes, values, 16);
    HBPREP_RETURN_IF_ERROR(sink_.Put(index, item, TensorRole::kRoi, roi_bytes));
  } else {
    HBPREP_ASSIGN_OR_RETURN(const bool scaled, ScaleCameraPlanes(index, item, input, image, frame));
    if (scaled) return absl::OkStatus();
    HBPREP_RETURN_IF_ERROR(ApplyRecipe(frame, input, check_continue_, image.what));
  }
  if (check_continue_) HBPREP_RETURN_IF_ERROR(check_continue_());
  const int w = frame.width(), h = frame.height();
  const size_t pixels = static_cast<size_t>(w) * h;

  if (input.type_rt == ImageType::kNv12) {
    if (frame.nv12) return PlanesOut(index, item, input, image, frame, h, w, cv::INTER_LINEAR);
    std::vector<uint8_t> y, uv(pixels / 2);
    BgrToNv12(frame.bgr, RecipeFor(input, frame.float32), &y, uv.data());
    HBPREP_RETURN_IF_ERROR(sink_.Put(index, item, TensorRole::kY, std::move(y)));
    return sink_.Put(index, item, TensorRole::kUV, std::move(uv));
  }
  frame.ToBgr();
  std::vector<uint8_t> data = PixelsOf(frame.bgr, input.type_rt);
  const int channels = input.type_rt == ImageType::kGray ? 1 : 3;
  const bool ddr = input.source == InputSource::kDdr;
  if (ddr && input.ddr_signed) {
    for (uint8_t& value : data) value ^= 0x80;  // pixel - 128 as int8
  }
  const bool nchw = channels == 3 && ddr && input.layout_rt && *input.layout_rt == Layout::kNCHW &&
                    descriptor_.chip->toolchain == Toolchain::kOe1;
  if (nchw) {
    std::vector<uint8_t> planar(data.size());
    for (size_t i = 0; i < pixels; ++i) {
      for (int c = 0; c < 3; ++c) planar[c * pixels + i] = data[i * 3 + c];
    }
    data = std::move(planar);
  }
  return sink_.Put(index, item, channels == 1 && !ddr ? TensorRole::kY : TensorRole::kImage,
                   std::move(data));
}

// The float pixels of `type` (interleaved, or gray) of a BGR frame, as the float model's
// data holds them; `float32`: the transformers hold the data as float32 (Frame::float32), so
// colour conversions compute in float32.
std::vector<float> FloatPixels(const cv::Mat& bgr_in, ImageType type, bool float32) {
  cv::Mat bgr = bgr_in.isContinuous() ? bgr_in : bgr_in.clone();
  const int w = bgr.cols, h = bgr.rows;
  const size_t pixels = static_cast<size_t>(w) * h;
  const int channels = type == ImageType::kGray ? 1 : 3;
  std::vector<float> hwc(pixels * channels);
  if (float32 || bgr.depth() == CV_32F) {
    // float32 data (after any step): copied as it is, colour conversions in float32 as numpy
    // evaluates them on float32 arrays.
    if (bgr.depth() != CV_32F) bgr.convertTo(bgr, CV_32F);
    const float* src = bgr.ptr<float>();
    switch (type) {
      case ImageType::kYuv444:
        FloatRgbToYuv444F32(src, w * 3, ChannelOrder::kBgr, hwc.data(), w * 3, w, h);
        break;
      case ImageType::kGray:
        FloatRgbToGrayF32(src, w * 3, ChannelOrder::kBgr, hwc.data(), w, w, h);
        break;
      default:
        ReorderChannels(src, w * 3, type == ImageType::kRgb ? ChannelOrder::kRgb : ChannelOrder::kBgr,
                        hwc.data(), w * 3, w, h);
    }
  } else {
    switch (type) {
      case ImageType::kYuv444:
        RgbToYuv444Float(bgr.ptr<uint8_t>(), static_cast<int>(bgr.step[0]), ChannelOrder::kBgr,
                         hwc.data(), w * 3, w, h);
        break;
      case ImageType::kGray:
        RgbToGrayFloat(bgr.ptr<uint8_t>(), static_cast<int>(bgr.step[0]), ChannelOrder::kBgr,
                       hwc.data(), w, w, h);
        break;
      default:
        ReorderChannels(bgr.ptr<uint8_t>(), static_cast<int>(bgr.step[0]),
                        type == ImageType::kRgb ? ChannelOrder::kRgb : ChannelOrder::kBgr,
                        hwc.data(), w * 3, w, h);
    }
  }
  return hwc;
}

absl::Status Preparer::Float(int index, int item, const InputDescriptor& input,
                             const cv::Mat& bgr, bool float32) {
  if (options_.target == Target::kOe1FloatOnnx || options_.target == Target::kOe1QuantizedOnnx) {
    return Oe1Onnx(index, item, input, bgr, float32);
  }
  const size_t pixels = bgr.total();
  const int channels = input.type_train == ImageType::kGray ? 1 : 3;
  std::vector<float> hwc = FloatPixels(bgr, input.type_train, float32);
  if (options_.float_as_uint8) {  // only where nothing is normalised (checked up front)
    std::vector<uint8_t> data(hwc.size());
    const bool nchw = *input.layout_train == Layout::kNCHW;
    for (size_t i = 0; i < pixels; ++i) {
      for (int c = 0; c < channels; ++c) {
        data[nchw ? c * pixels + i : i * channels + c] = AstypeUint8(hwc[i * channels + c]);
      }
    }
    return sink_.Put(index, item, TensorRole::kImage, std::move(data));
  }
  if (Normalises(descriptor_, input)) {
    auto at = [](const std::vector<double>& values, int c) {
      return values.size() == 1 ? values[0] : values[c];
    };
    for (size_t i = 0; i < pixels; ++i) {
      for (int c = 0; c < channels; ++c) {
        double value = hwc[i * channels + c];  // numpy: float32 data, float64 arithmetic
        if (!input.mean.empty()) value = value - at(input.mean, c);
        if (!input.scale.empty()) value = value * at(input.scale, c);
        if (!input.std.empty()) value = value / at(input.std, c);
        hwc[i * channels + c] = static_cast<float>(value);
      }
    }
  }
  std::vector<uint8_t> data(hwc.size() * sizeof(float));
  if (*input.layout_train == Layout::kNHWC) {
    std::memcpy(data.data(), hwc.data(), data.size());
  } else {
    float* chw = reinterpret_cast<float*>(data.data());
    for (size_t i = 0; i < pixels; ++i) {
      for (int c = 0; c < channels; ++c) chw[c * pixels + i] = hwc[i * channels + c];
    }
  }
  return sink_.Put(index, item, TensorRole::kImage, std::move(data));
}

absl::Status Preparer::Oe1Onnx(int index, int item, const InputDescriptor& input,
                               const cv::Mat& bgr, bool float32) {
  const bool quantized = options_.target == Target::kOe1QuantizedOnnx;
  const int w = bgr.cols, h = bgr.rows;
  const size_t pixels = static_cast<size_t>(w) * h;
  const int channels = input.type_rt == ImageType::kGray ? 1 : 3;
  // Interleaved values before the offset: uint8 where the board's data is integral (NV12,
  // and every quantized-model input), the float model's float pixels otherwise.
  std::vector<uint8_t> integral;
  std::vector<float> fractional;
  if (input.type_rt == ImageType::kNv12) {
    // YUV444 from the board's NV12: each U and V sample serves its 2x2 block (nearest).
    std::vector<uint8_t> y, uv(pixels / 2);
    BgrToNv12(bgr, RecipeFor(input, float32), &y, uv.data());
    integral.resize(pixels * 3);
    Nv12ToYuv444(y.data(), w, uv.data(), w, integral.data(), w * 3, w, h);
  } else if (quantized) {
    integral = PixelsOf(bgr, input.type_rt);
  } else {
    fractional = FloatPixels(bgr, input.type_rt, float32);
  }
  const bool nchw = quantized ? input.layout_rt == Layout::kNCHW
                              : *input.layout_train == Layout::kNCHW;
  auto at = [&](size_t i, int c) { return nchw ? c * pixels + i : i * channels + c; };
  const size_t values = pixels * channels;
  std::vector<uint8_t> data(values * (quantized ? 1 : sizeof(float)));
  if (quantized) {  // int8: pixel - 128
    for (size_t i = 0; i < pixels; ++i) {
      for (int c = 0; c < channels; ++c) data[at(i, c)] = integral[i * channels + c] ^ 0x80;
    }
  } else {  // float32: pixel - 128 (one float32 subtraction, as numpy does it)
    float* out = reinterpret_cast<float*>(data.data());
    for (size_t i = 0; i < pixels; ++i) {
      for (int c = 0; c < channels; ++c) {
        const size_t k = i * channels + c;
        const float value = integral.empty() ? fractional[k] : static_cast<float>(integral[k]);
        out[at(i, c)] = value - 128.0f;
      }
    }
  }
  return sink_.Put(index, item, TensorRole::kImage, std::move(data));
}

absl::Status Preparer::Featuremap(int index, int item, const InputDescriptor& input,
                                  const InputView& image) {
  const std::vector<int64_t> want = FeaturemapFileShape(descriptor_, input, options_.target);
  const DType dtype = FeaturemapFileDType(descriptor_, input, options_.target);
  const int64_t element = ElementSize(dtype);
  int64_t elements = 1;
  for (int64_t dim : want) elements *= dim;
  // The data: a .npy file's (decoded, owned), or a view of a .bin file's or the caller's.
  NpyArray array;
  absl::Span<const uint8_t> data;
  const absl::string_view bytes = BytesOf(image);
  if (image.kind == InputView::Kind::kFrame) {
    return absl::InvalidArgumentError(absl::StrCat(image.what, ": a raw frame for featuremap input '",
                                                   input.name, "'"));
  }
  if (image.kind == InputView::Kind::kFeature) {
    const FeatureView& view = image.feature;
    int64_t count = ElementSize(view.dtype);
    for (int64_t dim : view.shape) count = SizeMul(count, std::max<int64_t>(dim, 0));
    if (view.data == nullptr || static_cast<int64_t>(view.bytes) != count) {
      return absl::InvalidArgumentError(absl::StrCat(
          image.what, ": feature data of ", ToString(view.dtype), " ",
          absl::StrJoin(view.shape, "x"), " needs ", count, " bytes, got ", view.bytes,
          view.data == nullptr ? " at a null address" : ""));
    }
    array.dtype = view.dtype;
    array.shape = view.shape;
    data = absl::MakeConstSpan(static_cast<const uint8_t*>(view.data), view.bytes);
  } else if (absl::StartsWith(bytes, "\x93NUMPY")) {
    HBPREP_ASSIGN_OR_RETURN(array, DecodeNpy(bytes, image.what));
    data = array.data;
  } else if (static_cast<int64_t>(bytes.size()) == elements * element) {
    // A .bin file: the tensor's values, little-endian, C order, nothing else.
    array.dtype = dtype;
    array.shape = want;
    data = image.bytes;
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        image.what, ": featuremap input '", input.name, "' needs a .npy file or a .bin of ",
        elements * element, " bytes (", ToString(dtype), " ", absl::StrJoin(want, "x"), "), got ",
        bytes.size(), " bytes"));
  }
  if (array.shape != want || array.dtype != dtype) {
    return absl::InvalidArgumentError(absl::StrCat(image.what, ": featuremap input '", input.name,
                                                   "' needs ", ToString(dtype), " ",
                                                   absl::StrJoin(want, "x"), ", got ",
                                                   ToString(array.dtype), " ",
                                                   absl::StrJoin(array.shape, "x")));
  }
  if (dtype == DType::kBool) {
    // A BOOL8 mask is bytes of 0 and 1; anything else would reach the model as is.
    const auto bad =
        std::find_if(data.begin(), data.end(), [](uint8_t value) { return value > 1; });
    if (bad != data.end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          image.what, ": featuremap input '", input.name, "' is bool, but element ",
          bad - data.begin(), " holds byte ", *bad, " (0 or 1 only)"));
    }
  }
  if (options_.target == Target::kBoard && FeaturemapTransposedOnBoard(*descriptor_.chip, input)) {
    // OE 1.x takes it in input_layout_rt: NCHW <-> NHWC of each batch item.
    const bool to_nhwc = *input.layout_rt == Layout::kNHWC;
    const int64_t n = want[0], a = want[1], b = want[2], c = want[3];  // file dims 1..3
    std::vector<uint8_t> moved(data.size());
    for (int64_t i = 0; i < n; ++i) {
      const uint8_t* s = data.data() + i * a * b * c * element;
      uint8_t* d = moved.data() + i * a * b * c * element;
      for (int64_t x = 0; x < a; ++x) {
        for (int64_t y = 0; y < b; ++y) {
          for (int64_t z = 0; z < c; ++z) {
            // NCHW (a=C, b=H, c=W) -> NHWC [y][z][x]; NHWC (a=H, b=W, c=C) -> NCHW [z][x][y].
            const int64_t to = to_nhwc ? (y * c + z) * a + x : (z * a + x) * b + y;
            std::memcpy(d + to * element, s + ((x * b + y) * c + z) * element, element);
          }
        }
      }
    }
    return sink_.Put(index, item, TensorRole::kImage, std::move(moved));
  }
  if (!array.data.empty()) return sink_.Put(index, item, TensorRole::kImage, std::move(array.data));
  return sink_.Put(index, item, TensorRole::kImage, data);
}

// Prepare()'s sink: each part in a vector of its own, assembled into the plan's dense tensors
// at the end (a tensor of one part takes its bytes over, without a copy).
class DenseSink final : public PartSink {
 public:
  DenseSink(const Descriptor& descriptor, Prepared& out) : descriptor_(descriptor), out_(out) {}
  using PartSink::Put;

  absl::Status FrameSize(int index, int item, int height, int width) override {
    sizes_[{index, item}] = {height, width};
    return absl::OkStatus();
  }
  absl::StatusOr<PlaneRows> Plane(int index, int item, TensorRole role, int height,
                                  int width) override {
    std::vector<uint8_t>& part = parts_[{index, item, role}];
    part.resize(static_cast<size_t>(role == TensorRole::kUV ? height / 2 : height) * width);
    return PlaneRows{part.data(), width};
  }
  absl::Status Put(int index, int item, TensorRole role,
                   absl::Span<const uint8_t> bytes) override {
    parts_[{index, item, role}].assign(bytes.begin(), bytes.end());
    return absl::OkStatus();
  }
  absl::Status Put(int index, int item, TensorRole role, std::vector<uint8_t>&& bytes) override {
    parts_[{index, item, role}] = std::move(bytes);
    return absl::OkStatus();
  }
  // The plan's tensors from the parts, in plan order, into out.tensors.
  absl::Status Assemble();

 private:
  const Descriptor& descriptor_;
  Prepared& out_;
  // Per input and batch item, the bytes of each role (Y, UV, image, ROI).
  std::map<std::tuple<int, int, TensorRole>, std::vector<uint8_t>> parts_;
  // Resizer source sizes per (input, item): height, width.
  std::map<std::pair<int, int>, std::pair<int, int>> sizes_;
};

absl::Status DenseSink::Assemble() {
  for (const TensorSpec& spec : out_.plan.tensors) {
    Tensor tensor;
    tensor.spec = spec;
    const InputDescriptor& input = descriptor_.inputs[spec.input_index];
    // The items this tensor holds: its own after a split, else all of the input's.
    int first = spec.item, last = spec.item;
    if (spec.item < 0) {
      first = 0;
      last = static_cast<int>(spec.shape[0]) - 1;
      if (!input.is_image()) last = 0;
    }
    const TensorRole role = spec.role == TensorRole::kNv12 ? TensorRole::kY : spec.role;
    std::pair<int, int> size{-1, -1};
    for (int item = first; item <= last; ++item) {
      if (spec.role == TensorRole::kNv12) {  // OE 1.x: Y then UV
        for (TensorRole part : {TensorRole::kY, TensorRole::kUV}) {
          const auto& bytes = parts_.at({spec.input_index, item, part});
          tensor.data.insert(tensor.data.end(), bytes.begin(), bytes.end());
        }
      } else if (first == last) {  // one part makes the tensor: it moves, no copy
        tensor.data = std::move(parts_.at({spec.input_index, item, role}));
      } else {
        const auto& bytes = parts_.at({spec.input_index, item, role});
        tensor.data.insert(tensor.data.end(), bytes.begin(), bytes.end());
      }
      if (auto it = sizes_.find({spec.input_index, item}); it != sizes_.end()) {
        if (size.first >= 0 && size != it->second) {
          return absl::InvalidArgumentError(absl::StrCat(
              "resizer input '", input.name, "': the images of one batch must share one size, got ",
              size.second, "x", size.first, " and ", it->second.second, "x", it->second.first));
        }
        size = it->second;
      }
    }
    // Concrete shapes and strides for the resizer's dynamic sizes.
    if (size.first >= 0 && spec.role != TensorRole::kRoi) {
      SetPlaneGeometry(*descriptor_.chip, spec.shape[0], size.first, size.second, &tensor.spec);
    }
    if (spec.quantization) {
      std::vector<uint8_t> quantized(tensor.data.size() / sizeof(float) * ElementSize(spec.dtype));
      HBPREP_RETURN_IF_ERROR(QuantizeInto(input.name, tensor.spec, tensor.data.data(),
                                          tensor.data.size() / sizeof(float), quantized.data()));
      tensor.data = std::move(quantized);
    }
    tensor.dense_shape = DenseShape(tensor.spec);
    out_.tensors.push_back(std::move(tensor));
  }
  return absl::OkStatus();
}


}  // namespace

std::vector<std::pair<std::string, std::string>> LibraryVersions() {
  static const auto* const kVersions =
      new std::vector<std::pair<std::string, std::string>>(internal::ReadLibraryVersions());
  return *kVersions;
}

namespace internal {

std::vector<std::pair<std::string, std::string>> ReadLibraryVersions() {
  std::vector<std::pair<std::string, std::string>> versions = {
      {"hbprep", HBPREP_VERSION},
      {"opencv", CV_VERSION},
      {"libjpeg-turbo", HBPREP_STRINGIZE(LIBJPEG_TURBO_VERSION)}};
  // The PNG library OpenCV decodes with, as its build information names it:
  // "    PNG:     /usr/lib/x86_64-linux-gnu/libpng.so (ver 1.6.39)".
  const std::string info = cv::getBuildInformation();
  if (size_t at = info.find("PNG:"); at != std::string::npos) {
    const size_t ver = info.find("(ver ", at), end = info.find(')', ver);
    if (ver != std::string::npos && end != std::string::npos && ver < info.find('\n', at)) {
      versions.emplace_back("libpng", info.substr(ver + 5, end - ver - 5));
    }
  }
  return versions;
}

}  // namespace internal

std::vector<int64_t> FeaturemapFileShape(const Descriptor& descriptor,
                                         const InputDescriptor& input, Target target) {
  std::vector<int64_t> shape = input.shape;
  if (target != Target::kCalibration && descriptor.input_batch > 0) {
    shape[0] = descriptor.input_batch;
  }
  if (input.separate && target == Target::kBoard) shape[0] = 1;
  return shape;
}

DType FeaturemapFileDType(const Descriptor& descriptor, const InputDescriptor& input,
                          Target target) {
  if (target != Target::kBoard || descriptor.compiled == nullptr) return DType::kFloat32;
  for (const CompiledTensor& tensor : descriptor.compiled->tensors) {
    if (tensor.name != input.name && tensor.name != absl::StrCat(input.name, "_0")) continue;
    return tensor.quantization ? DType::kFloat32 : tensor.dtype;
  }
  return DType::kFloat32;
}

int InputFileCount(const Descriptor& descriptor, const InputDescriptor& input, Target target) {
  if (!input.is_image()) {
    const int batch = descriptor.input_batch > 0 && target != Target::kCalibration
                          ? descriptor.input_batch
                          : static_cast<int>(input.shape[0]);
    return input.separate && target == Target::kBoard ? batch : 1;
  }
  if (target == Target::kCalibration || descriptor.input_batch == 0) {
    return static_cast<int>(input.shape[0]);
  }
  return descriptor.input_batch;
}

std::vector<int> ImageBindings(const Descriptor& descriptor, Target target) {
  std::vector<int> bindings;
  for (size_t i = 0; i < descriptor.inputs.size(); ++i) {
    bindings.insert(bindings.end(), InputFileCount(descriptor, descriptor.inputs[i], target),
                    static_cast<int>(i));
  }
  return bindings;
}

absl::Status CheckOptions(const Descriptor& descriptor, const PrepareOptions& options) {
  HBPREP_RETURN_IF_ERROR(CheckTarget(descriptor, options.target));
  const bool oe1_onnx = options.target == Target::kOe1FloatOnnx ||
                        options.target == Target::kOe1QuantizedOnnx;
  if (!options.float_as_uint8) return absl::OkStatus();
  if (oe1_onnx) {
    return absl::InvalidArgumentError(absl::StrCat(
        "uint8 float-model data is for the calibration and onnx targets; ",
        ToString(options.target), " tensors have their dtype from the plan"));
  }
  if (options.target == Target::kBoard) {
    return absl::InvalidArgumentError(
        "uint8 float-model data is for the calibration and onnx targets; board tensors have "
        "their dtype from the plan");
  }
  for (const InputDescriptor& input : descriptor.inputs) {
    if (input.is_image() && Normalises(descriptor, input)) {
      return absl::InvalidArgumentError(
          absl::StrCat("input '", input.name, "' is normalised (", ToString(input.norm_type),
                       ") for ", ToString(options.target),
                       " data, which uint8 cannot hold; uint8 is only for inputs "
                       "that are not normalised"));
    }
  }
  return absl::OkStatus();
}

Plan PlanFor(const Descriptor& descriptor, const PrepareOptions& options) {
  Plan plan = ResolvePlan(descriptor, options.target);
  if (options.float_as_uint8) {
    for (TensorSpec& spec : plan.tensors) {
      if (spec.adapter != AdapterKind::kFloatImage) continue;
      spec.dtype = DType::kUint8;
      spec.strides = DenseStrides(spec.shape, spec.dtype);
    }
  }
  return plan;
}

namespace {

// An InputImage as the core's view of it: raw buffers checked (size, stride, limits) first.
absl::StatusOr<InputView> ViewOf(const InputImage& image, const PrepareOptions& options) {
  InputView view;
  view.what = image.what;
  view.roi = image.roi;
  view.bytes = absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(image.bytes.data()),
                                   image.bytes.size());
  if (image.raw) {
    HBPREP_RETURN_IF_ERROR(CheckRawImage(image.bytes, *image.raw, options, image.what));
    view.kind = InputView::Kind::kFrame;
    view.frame = ViewOfRaw(image.bytes, *image.raw);
  }
  return view;
}

}  // namespace

absl::Status RunRequest(const Descriptor& descriptor, const Plan& plan,
                        const PrepareOptions& options, absl::Span<const InputView> inputs,
                        const CallHooks& hooks, PartSink& sink, PrepareReport& report,
                        Workspace* workspace, size_t* next) {
  report.warnings.clear();
  report.pixel_stddev.clear();
  report.decode_us = report.transform_us = report.pack_us = 0;
  // Every size checked and the memory known (and reserved) before anything is allocated.
  CheckedRequest local;
  CheckedRequest& checked = workspace != nullptr ? workspace->checked : local;
  HBPREP_RETURN_IF_ERROR(CheckRequest(descriptor, plan, inputs, options, &checked));
  if (hooks.reserve) HBPREP_RETURN_IF_ERROR(hooks.reserve(checked.cost));
  report.geometry.resize(inputs.size());
  Preparer preparer(descriptor, options, hooks.check_continue, sink, report,
                    workspace != nullptr ? &workspace->planes : nullptr);
  for (size_t i = 0; i < descriptor.inputs.size(); ++i) {
    const int items = InputFileCount(descriptor, descriptor.inputs[i], options.target);
    for (int item = 0; item < items; ++item, ++*next) {
      if (hooks.check_continue) HBPREP_RETURN_IF_ERROR(hooks.check_continue());
      const auto start = Clock::now();
      const int64_t decoded_before = report.decode_us;
      const std::optional<ImageHeader>& header = checked.headers[*next];
      HBPREP_RETURN_IF_ERROR(preparer.Input(static_cast<int>(i), item, inputs[*next],
                                            header ? &*header : nullptr, &report.geometry[*next]));
      report.transform_us += MicrosSince(start) - (report.decode_us - decoded_before);
    }
  }
  if (hooks.check_continue) HBPREP_RETURN_IF_ERROR(hooks.check_continue());
  return absl::OkStatus();
}

absl::Status Guarded(const absl::Span<const InputView>* inputs, const size_t* next,
                     absl::FunctionRef<absl::Status()> body) {
  auto which = [&] {
    return inputs->empty() ? std::string("the request")
                           : std::string((*inputs)[std::min(*next, inputs->size() - 1)].what);
  };
  try {
    return body();
  } catch (const cv::Exception& e) {
    return absl::InternalError(absl::StrCat("OpenCV failed on ", which(), ": ", e.err));
  } catch (const std::bad_alloc&) {
    return absl::ResourceExhaustedError(absl::StrCat("out of memory while preparing ", which()));
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("failed on ", which(), ": ", e.what()));
  }
}

absl::StatusOr<RequestCost> EstimateCost(const Descriptor& descriptor,
                                         absl::Span<const InputImage> images,
                                         const PrepareOptions& options) {
  HBPREP_RETURN_IF_ERROR(CheckOptions(descriptor, options));
  HBPREP_RETURN_IF_ERROR(CheckFileCount(descriptor, options.target, images.size()));
  std::vector<InputView> views;
  views.reserve(images.size());
  for (const InputImage& image : images) {
    HBPREP_ASSIGN_OR_RETURN(views.emplace_back(), ViewOf(image, options));
  }
  CheckedRequest checked;
  HBPREP_RETURN_IF_ERROR(
      CheckRequest(descriptor, PlanFor(descriptor, options), views, options, &checked));
  return checked.cost;
}

absl::StatusOr<Prepared> Prepare(const Descriptor& descriptor, absl::Span<const InputImage> images,
                                 const PrepareOptions& options) {
  // The core (model.h) writing into dense tensors of its own.
  Prepared out;
  std::vector<InputView> views;
  absl::Span<const InputView> named;  // the files messages name, once they are views
  size_t next = 0;
  const absl::Status status = Guarded(&named, &next, [&]() -> absl::Status {
    HBPREP_ASSIGN_OR_RETURN(const Model model, Model::Compile(descriptor, options));
    HBPREP_RETURN_IF_ERROR(CheckFileCount(descriptor, options.target, images.size()));
    views.reserve(images.size());
    for (const InputImage& image : images) {
      HBPREP_ASSIGN_OR_RETURN(views.emplace_back(), ViewOf(image, options));
    }
    named = views;
    out.plan = model.plan();
    out.versions = LibraryVersions();
    DenseSink sink(model.descriptor(), out);
    PrepareReport report;
    const CallHooks hooks{options.check_continue, options.reserve, {}};
    HBPREP_RETURN_IF_ERROR(RunRequest(model.descriptor(), out.plan, model.options(), views, hooks,
                                      sink, report, nullptr, &next));
    const auto start = Clock::now();
    HBPREP_RETURN_IF_ERROR(sink.Assemble());
    out.pack_us = MicrosSince(start);
    out.warnings = std::move(report.warnings);
    out.pixel_stddev = std::move(report.pixel_stddev);
    out.geometry = std::move(report.geometry);
    out.decode_us = report.decode_us;
    out.transform_us = report.transform_us;
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return out;
}

absl::StatusOr<size_t> CheckStridedLayout(const TensorSpec& spec, size_t data_bytes) {
  const std::string shape = absl::StrJoin(spec.shape, "x");
  const std::string strides = absl::StrJoin(spec.strides, ",");
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("tensor '", spec.name, "': ", why));
  };
  auto overflow = [&] {
    return bad(absl::StrCat("shape ", shape, " with strides ", strides, " overflows 64 bits"));
  };
  const size_t rank = spec.shape.size();
  if (rank == 0) return bad("has no shape");
  if (spec.strides.size() != rank) {
    return bad(absl::StrCat(spec.strides.size(), " strides (", strides, ") for shape ", shape,
                            " of rank ", rank));
  }
  for (int64_t dim : spec.shape) {
    if (dim < 1) return bad(absl::StrCat("shape ", shape, " has a dimension below 1"));
  }
  for (int64_t stride : spec.strides) {
    if (stride < 1) return bad(absl::StrCat("strides ", strides, " hold one below 1"));
  }
  const int64_t element = ElementSize(spec.dtype);
  const int64_t bytes = static_cast<int64_t>(data_bytes);
  if (data_bytes > static_cast<size_t>(std::numeric_limits<int64_t>::max())) return overflow();
  int64_t packed = 0;
  if (spec.role == TensorRole::kImage || spec.role == TensorRole::kRoi) {
    // PackStrided copies rows of the last dimension to the offsets the other strides give.
    int64_t count = element;
    for (int64_t dim : spec.shape) {
      if (!CheckedMul(count, dim, &count)) return overflow();
    }
    if (bytes != count) {
      return bad(absl::StrCat("holds ", data_bytes, " data bytes, shape ", shape, " (",
                              ToString(spec.dtype), ") needs ", count));
    }
    if (spec.strides == DenseStrides(spec.shape, spec.dtype)) return data_bytes;
    const int64_t row = spec.shape[rank - 1] * element;  // <= count
    int64_t inner = row, end = row;  // bytes a dimension's block spans; end of the last row
    for (size_t d = rank - 1; d-- > 0;) {
      if (spec.strides[d] < inner) {
        return bad(absl::StrCat("strides ", strides, " do not fit shape ", shape, ": stride ",
                                spec.strides[d], " of dimension ", d, " is below the ", inner,
                                " bytes within it"));
      }
      int64_t span = 0;
      if (!CheckedMul(spec.shape[d] - 1, spec.strides[d], &span) || !CheckedAdd(end, span, &end) ||
          !CheckedMul(spec.shape[d], spec.strides[d], &inner)) {
        return overflow();
      }
    }
    if (!CheckedMul(spec.strides[0], spec.shape[0], &packed)) return overflow();
    if (end > packed) {
      return bad(absl::StrCat("strides ", strides, " do not fit shape ", shape,
                              ": its data ends at byte ", end, " of ", packed));
    }
  } else {
    // Image planes: `rows` rows of `row_bytes` bytes per image, `row_stride` apart, images
    // `image_stride` apart.
    if (element != 1) {
      return bad(absl::StrCat("an image plane holds uint8 data, not ", ToString(spec.dtype)));
    }
    if (rank != 4) return bad(absl::StrCat("an image plane has rank 4, not shape ", shape));
    int64_t row_bytes = 0, rows = 0, row_stride = 0;
    if (spec.layout == TensorLayout::kNHWC) {
      if (!CheckedMul(spec.shape[2], spec.shape[3], &row_bytes)) return overflow();
      rows = spec.shape[1];
      row_stride = spec.strides[1];
    } else if (spec.layout == TensorLayout::kNCHW || spec.layout == TensorLayout::kNV12) {
      row_bytes = spec.shape[3];
      rows = spec.shape[2];
      if (spec.layout == TensorLayout::kNV12) {  // Y rows, then H / 2 UV rows
        if (!CheckedMul(rows, 3, &rows)) return overflow();
        rows /= 2;
      }
      row_stride = spec.strides[2];
    } else {
      return bad("an image plane needs layout NHWC, NCHW or NV12");
    }
    const int64_t image_stride = spec.strides[0], n = spec.shape[0];
    int64_t count = 0, last = 0, end = 0;
    if (!CheckedMul(n, rows, &count) || !CheckedMul(count, row_bytes, &count)) return overflow();
    if (bytes != count) {
      return bad(
          absl::StrCat("holds ", data_bytes, " data bytes, shape ", shape, " needs ", count));
    }
    if (row_stride < row_bytes) {
      return bad(absl::StrCat("strides ", strides, " do not fit shape ", shape, ": row stride ",
                              row_stride, " is below the row's ", row_bytes, " bytes"));
    }
    if (!CheckedMul(rows - 1, row_stride, &last) || !CheckedAdd(last, row_bytes, &end)) return overflow();
    if (image_stride < end) {
      return bad(absl::StrCat("strides ", strides, " do not fit shape ", shape, ": image stride ",
                              image_stride, " is below the image's ", end, " bytes"));
    }
    if (!CheckedMul(image_stride, n, &packed)) return overflow();
  }
  if (static_cast<uint64_t>(packed) > std::numeric_limits<size_t>::max()) return overflow();
  return static_cast<size_t>(packed);
}

std::vector<uint8_t> PackStrided(const Tensor& tensor) {
  const TensorSpec& spec = tensor.spec;
  const absl::StatusOr<size_t> packed = CheckStridedLayout(spec, tensor.data.size());
  if (!packed.ok()) return {};  // would read or write out of bounds
  if (spec.role == TensorRole::kImage || spec.role == TensorRole::kRoi) {
    // Dense unless the compiled model pads (its strides, checked against the shape).
    const size_t rank = spec.shape.size();
    const int64_t element = ElementSize(spec.dtype);
    if (spec.strides == DenseStrides(spec.shape, spec.dtype)) return tensor.data;
    std::vector<uint8_t> out(*packed, 0);
    const int64_t row = spec.shape[rank - 1] * element;
    const int64_t rows = static_cast<int64_t>(tensor.data.size()) / row;
    for (int64_t r = 0; r < rows; ++r) {
      // The row's index in each leading dimension gives its offset.
      int64_t offset = 0;
      for (int64_t d = static_cast<int64_t>(rank) - 2, rest = r; d >= 0; --d) {
        offset += (rest % spec.shape[d]) * spec.strides[d];
        rest /= spec.shape[d];
      }
      std::memcpy(out.data() + offset, tensor.data.data() + r * row, row);
    }
    return out;
  }
  // Image planes: rows of `row_bytes` dense bytes become rows of the plan's row stride.
  int64_t row_bytes = 0, rows = 0, row_stride = 0, image_stride = spec.strides[0];
  const int64_t n = spec.shape[0];
  if (spec.layout == TensorLayout::kNHWC) {  // J6 Y / UV: [N, H, W, C]
    row_bytes = spec.shape[2] * spec.shape[3];
    rows = spec.shape[1];
    row_stride = spec.strides[1];
  } else {  // OE 1.x [N, C, H, W]: Y (and UV) rows of W bytes
    row_bytes = spec.shape[3];
    rows = spec.layout == TensorLayout::kNV12 ? spec.shape[2] * 3 / 2 : spec.shape[2];
    row_stride = spec.strides[2];
  }
  std::vector<uint8_t> out(*packed, 0);
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t r = 0; r < rows; ++r) {
      std::memcpy(out.data() + i * image_stride + r * row_stride,
                  tensor.data.data() + (i * rows + r) * row_bytes, row_bytes);
    }
  }
  return out;
}

}  // namespace hbprep
