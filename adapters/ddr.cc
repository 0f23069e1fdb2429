// ddr inputs: interleaved rgb/bgr/yuv444 images (int8 or uint8, NCHW on OE 1.x where asked)
// and gray planes, from a BGR frame after the recipe.
#include "adapters/preparer.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "adapters/preparer.h"
#include "hbprep/color.h"
#include "hbprep/status_macros.h"

namespace hbprep {

std::vector<uint8_t> PixelsOf(const cv::Mat& bgr_in, ImageType type, bool yuv444) {
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
      if (yuv444) {  // already Y, U, V
        ReorderChannels(src, step, ChannelOrder::kBgr, data.data(), w * 3, w, h);
      } else {
        RgbToYuv444Calc(src, step, ChannelOrder::kBgr, data.data(), w * 3, w, h);
      }
      break;
    default:  // gray
      RgbToGrayCalc(src, step, ChannelOrder::kBgr, data.data(), w, w, h);
      break;
  }
  return data;
}

absl::Status Preparer::Ddr(int index, int item, const InputDescriptor& input, Frame& frame) {
  frame.ToBgr();
  const size_t pixels = frame.bgr.total();
  std::vector<uint8_t> data = PixelsOf(frame.bgr, input.type_rt, frame.yuv444);
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

}  // namespace hbprep
