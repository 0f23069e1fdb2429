// The float model's data (calibration and onnx targets) and OE 1.x's generated ONNX models'
// (oe1_float_onnx, oe1_quantized_onnx), from a BGR frame after the recipe.
#include "adapters/preparer.h"

#include <cstring>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "adapters/preparer.h"
#include "hbprep/color.h"
#include "hbprep/status_macros.h"
#include "opencv2/core.hpp"

namespace hbprep {
namespace {

// The float pixels of `type` (interleaved, or gray) of a BGR frame, as the float model's
// data holds them; `float32`: the transformers hold the data as float32 (Frame::float32), so
// colour conversions compute in float32.
// `yuv444`: the frame already holds Y, U, V (the YUV step), copied as they are.
std::vector<float> FloatPixels(const cv::Mat& bgr_in, ImageType type, bool float32,
                               bool yuv444) {
  if (yuv444) type = ImageType::kBgr;  // an identity copy of the three channels
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

}  // namespace

bool Normalises(const Descriptor& descriptor, const InputDescriptor& input) {
  return descriptor.chip->toolchain == Toolchain::kJ6 && input.norm_type != NormType::kNoPreprocess;
}

absl::Status Preparer::Float(int index, int item, const InputDescriptor& input,
                             const cv::Mat& bgr, bool float32, bool yuv444) {
  if (options_.target == Target::kOe1FloatOnnx || options_.target == Target::kOe1QuantizedOnnx) {
    return Oe1Onnx(index, item, input, bgr, float32, yuv444);
  }
  const size_t pixels = bgr.total();
  const int channels = input.type_train == ImageType::kGray ? 1 : 3;
  std::vector<float> hwc = FloatPixels(bgr, input.type_train, float32, yuv444);
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
                               const cv::Mat& bgr, bool float32, bool yuv444) {
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
    BgrToNv12(bgr, RecipeFor(input, float32), &y, uv.data(), yuv444);
    integral.resize(pixels * 3);
    Nv12ToYuv444(y.data(), w, uv.data(), w, integral.data(), w * 3, w, h);
  } else if (quantized) {
    integral = PixelsOf(bgr, input.type_rt, yuv444);
  } else {
    fractional = FloatPixels(bgr, input.type_rt, float32, yuv444);
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

}  // namespace hbprep
