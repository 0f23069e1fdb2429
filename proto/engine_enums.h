// The engine's enums (hbprep/plan.h, hbprep/model.h) as hbprep.v1 names them: one table per enum, read by
// the server (server/convert.cc) and the C++ client (client/remote.cc) alike, so that a new
// target or dtype is one row here. Header-only: both sides link the engine and the proto
// library already.
#ifndef HBPREP_PROTO_ENGINE_ENUMS_H_
#define HBPREP_PROTO_ENGINE_ENUMS_H_

#include <optional>
#include <utility>

#include "hbprep/model.h"
#include "hbprep/plan.h"
#include "hbprep/v1/hbprep.pb.h"

namespace hbprep::wire {

inline constexpr std::pair<Target, v1::Target> kTargets[] = {
    {Target::kBoard, v1::TARGET_BOARD},
    {Target::kCalibration, v1::TARGET_CALIBRATION},
    {Target::kOnnx, v1::TARGET_ONNX},
    {Target::kOe1FloatOnnx, v1::TARGET_OE1_FLOAT_ONNX},
    {Target::kOe1QuantizedOnnx, v1::TARGET_OE1_QUANTIZED_ONNX},
};

inline constexpr std::pair<DType, v1::DataType> kDTypes[] = {
    {DType::kUint8, v1::DATA_TYPE_UINT8},     {DType::kInt8, v1::DATA_TYPE_INT8},
    {DType::kInt16, v1::DATA_TYPE_INT16},     {DType::kUint16, v1::DATA_TYPE_UINT16},
    {DType::kInt32, v1::DATA_TYPE_INT32},     {DType::kFloat32, v1::DATA_TYPE_FLOAT32},
    {DType::kBool, v1::DATA_TYPE_BOOL},       {DType::kFloat16, v1::DATA_TYPE_FLOAT16},
    {DType::kInt64, v1::DATA_TYPE_INT64},
};

inline constexpr std::pair<TensorLayout, v1::Layout> kLayouts[] = {
    {TensorLayout::kNone, v1::LAYOUT_UNSPECIFIED},
    {TensorLayout::kNHWC, v1::LAYOUT_NHWC},
    {TensorLayout::kNCHW, v1::LAYOUT_NCHW},
    {TensorLayout::kNV12, v1::LAYOUT_NV12},
};

inline constexpr std::pair<RawFormat, v1::PixelFormat> kPixelFormats[] = {
    {RawFormat::kBgr, v1::PIXEL_FORMAT_BGR},   {RawFormat::kRgb, v1::PIXEL_FORMAT_RGB},
    {RawFormat::kGray, v1::PIXEL_FORMAT_GRAY}, {RawFormat::kNv12, v1::PIXEL_FORMAT_NV12},
    {RawFormat::kI420, v1::PIXEL_FORMAT_I420},
};

inline constexpr std::pair<ColorRange, v1::ColorRange> kColorRanges[] = {
    {ColorRange::kRegular, v1::COLOR_RANGE_FULL},
    {ColorRange::kBt601Video, v1::COLOR_RANGE_VIDEO},
};

inline constexpr std::pair<Nv12Recipe, v1::Nv12Recipe> kNv12Recipes[] = {
    {Nv12Recipe::kAuto, v1::NV12_RECIPE_AUTO},
    {Nv12Recipe::kCalc, v1::NV12_RECIPE_CALC},
    {Nv12Recipe::kCalcF32, v1::NV12_RECIPE_CALC_F32},
    {Nv12Recipe::kOpencv, v1::NV12_RECIPE_OPENCV},
};

inline constexpr std::pair<DecodeMode, v1::DecodeMode> kDecodeModes[] = {
    {DecodeMode::kExact, v1::DECODE_MODE_EXACT},
    {DecodeMode::kFast, v1::DECODE_MODE_FAST},
};

// The wire value of an engine value (every engine value has a row).
template <typename Engine, typename Wire, size_t N>
constexpr Wire ToWire(const std::pair<Engine, Wire> (&table)[N], Engine value) {
  for (const auto& [engine, wire] : table) {
    if (engine == value) return wire;
  }
  return Wire{};
}

// The engine value of a wire value; nullopt for one the table does not hold (proto3 enums are
// open: a newer peer's value, or *_UNSPECIFIED).
template <typename Engine, typename Wire, size_t N>
constexpr std::optional<Engine> FromWire(const std::pair<Engine, Wire> (&table)[N], Wire value) {
  for (const auto& [engine, wire] : table) {
    if (wire == value) return engine;
  }
  return std::nullopt;
}

}  // namespace hbprep::wire

#endif  // HBPREP_PROTO_ENGINE_ENUMS_H_
