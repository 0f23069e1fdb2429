// Colour kernels: packed 8-bit RGB/BGR to NV12 planes and to YUV444, with the exact
// arithmetic of the toolchain's reference recipes (domain brief sections 3 and 4).
//
// Plane API in libyuv's style: (src, src_stride, ..., dst planes with strides, width,
// height); strides in bytes; callers own every buffer; nothing allocates. Rows are processed
// one (Y) or two (Y + chroma) at a time; odd widths and heights are handled: chroma covers
// ceil(w/2) x ceil(h/2) blocks, each taken from the block's top-left pixel.
//
// The engine is compiled with -ffp-contract=off: these expressions must not be fused into
// multiply-adds, or they stop matching numpy's float64 results on some inputs.
#ifndef HBPREP_COLOR_H_
#define HBPREP_COLOR_H_

#include <cstdint>

namespace hbprep {

enum class ChannelOrder { kBgr, kRgb };

// The transformer's "calc" recipe: full-range BT.601 in float64, evaluated exactly as numpy
// evaluates `0.299*R + 0.587*G + 0.114*B`, `-0.169*R - 0.331*G + 0.5*B + 128` and
// `0.5*R - 0.419*G - 0.081*B + 128` (left to right), then truncated like
// `astype(np.uint8)`. U and V come from the top-left pixel of each 2x2 block (no averaging).
void RgbToNv12Calc(const uint8_t* src, int src_stride, ChannelOrder order, uint8_t* dst_y,
                   int dst_stride_y, uint8_t* dst_uv, int dst_stride_uv, int width, int height);

// The same expressions in float32, as pipelines that hand the transformer float32 data
// compute them (differs from float64 on 3,708 Y and 1,393 U triples).
void RgbToNv12CalcF32(const uint8_t* src, int src_stride, ChannelOrder order, uint8_t* dst_y,
                      int dst_stride_y, uint8_t* dst_uv, int dst_stride_uv, int width, int height);

// Full-range BT.601 YUV444 (RGB2YUV444 / BGR2YUV444) as float values of the same float64
// expressions, one interleaved Y,U,V triple per pixel.
void RgbToYuv444Float(const uint8_t* src, int src_stride, ChannelOrder order, float* dst,
                      int dst_stride_floats, int width, int height);

// Gray (RGB2GRAY): 0.299*R + 0.587*G + 0.114*B in float64, as float.
void RgbToGrayFloat(const uint8_t* src, int src_stride, ChannelOrder order, float* dst,
                    int dst_stride_floats, int width, int height);

// numpy's astype(np.uint8) of a float on x86: truncated toward zero through int32, the low
// byte kept (256.5 -> 0, -3.2 -> 253; what a cubic resize's overshoot becomes). REQUIRES:
// |value| < 2^31.
inline uint8_t AstypeUint8(double value) {
  return static_cast<uint8_t>(static_cast<uint32_t>(static_cast<int32_t>(value)) & 0xFF);
}

// The calc formulas on float pixels (the sample transformers' float32 data, fractional once a
// resize ran on float data), evaluated in float32 (`single_precision`: what numpy computes on
// float32 arrays, calc_f32) or float64 (calc), then cast with AstypeUint8. Strides in floats.
void FloatRgbToNv12Calc(const float* src, int src_stride_floats, ChannelOrder order,
                        bool single_precision, uint8_t* dst_y, int dst_stride_y, uint8_t* dst_uv,
                        int dst_stride_uv, int width, int height);

// YUV444 and gray of float pixels in float32, as _ColorConvertTransformer computes them on the
// float32 data the transformers hand it (RgbToYuv444Float / RgbToGrayFloat are the float64
// versions, for uint8 pixels).
void FloatRgbToYuv444F32(const float* src, int src_stride_floats, ChannelOrder order, float* dst,
                         int dst_stride_floats, int width, int height);
void FloatRgbToGrayF32(const float* src, int src_stride_floats, ChannelOrder order, float* dst,
                       int dst_stride_floats, int width, int height);

// Channel order swapped (BGR <-> RGB) or kept (`order` of the result relative to the
// source: kRgb swaps, kBgr copies), uint8 and float pixels, 3 channels interleaved.
void ReorderChannels(const uint8_t* src, int src_stride, ChannelOrder order, uint8_t* dst,
                     int dst_stride, int width, int height);
void ReorderChannels(const uint8_t* src, int src_stride, ChannelOrder order, float* dst,
                     int dst_stride_floats, int width, int height);
void ReorderChannels(const float* src, int src_stride_floats, ChannelOrder order, float* dst,
                     int dst_stride_floats, int width, int height);

// YUV444 and gray as uint8: the float64 expressions (RgbToYuv444Float, RgbToGrayFloat)
// truncated, as the board's ddr data and the quantized ONNX model's take them.
void RgbToYuv444Calc(const uint8_t* src, int src_stride, ChannelOrder order, uint8_t* dst,
                     int dst_stride, int width, int height);
void RgbToGrayCalc(const uint8_t* src, int src_stride, ChannelOrder order, uint8_t* dst,
                   int dst_stride, int width, int height);

// NV12 planes to interleaved YUV444, each U, V pair serving its 2x2 block (nearest), as the
// OE 1.x samples' NV12ToYUV444 transformer repeats it. REQUIRES: even width and height.
void Nv12ToYuv444(const uint8_t* y, int y_stride, const uint8_t* uv, int uv_stride, uint8_t* dst,
                  int dst_stride, int width, int height);

// Full-range BT.601 (JFIF) NV12 to packed BGR, the inverse of the "calc" formulas in float64
// (Y + 1.772 U', Y - 0.344136 U' - 0.714136 V', Y + 1.402 V' with U' = U - 128, V' = V - 128),
// rounded to nearest (halves to even, as std::nearbyint) and saturated; each U, V pair covers
// its 2x2 block (an odd last column or row takes its block's pair).
void Nv12ToBgrJfif(const uint8_t* y, int y_stride, const uint8_t* uv, int uv_stride,
                   uint8_t* dst, int dst_stride, int width, int height);

// The float64 expressions for one pixel, for references and tests.
double CalcY(double r, double g, double b);
double CalcU(double r, double g, double b);
double CalcV(double r, double g, double b);

}  // namespace hbprep

#endif  // HBPREP_COLOR_H_
