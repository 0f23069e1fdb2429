// libFuzzer target: raw-image and ROI validation, and the NV12 paths behind them. The first
// bytes choose the format, size, stride, range, ROI and model; the rest are the pixels.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "hbprep/descriptor.h"
#include "hbprep/engine.h"

namespace {

const hbprep::Descriptor& Model(int which) {
  static const hbprep::Descriptor* const models[2] = {
      new hbprep::Descriptor(*hbprep::ParseDescriptor(
          "model_parameters: {march: bernoulli2}\n"
          "input_parameters: {input_name: d, input_type_train: bgr, input_layout_train: NCHW,"
          " input_type_rt: nv12, input_shape: 1x3x32x32}\n"
          "compiler_parameters: {input_source: {d: resizer}}\n",
          "resizer", {}, nullptr)),
      new hbprep::Descriptor(*hbprep::ParseDescriptor(
          "model_parameters: {march: nash-e}\n"
          "input_parameters: {input_name: d, input_type_train: rgb, input_layout_train: NCHW,"
          " input_type_rt: nv12, input_shape: 1x3x16x24, input_space_and_range: bt601_video}\n"
          "hbprep: {inputs: {d: {recipe: [{ShortSideResize: 20}, {CenterCrop: 16},"
          " {Resize: [16, 24]}]}}}\n",
          "pyramid", {}, nullptr))};
  return *models[which];
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 16) return 0;
  hbprep::InputImage image;
  image.what = "fuzz";
  hbprep::RawImage raw;
  raw.format = static_cast<hbprep::RawFormat>(data[0] % 5);
  raw.width = static_cast<int8_t>(data[1]);  // negative and zero sizes included
  raw.height = static_cast<int8_t>(data[2]);
  raw.stride = data[3] % 4 == 0 ? 0 : static_cast<int8_t>(data[4]) * 3;
  raw.range = data[5] % 2 ? hbprep::ColorRange::kRegular : hbprep::ColorRange::kBt601Video;
  image.raw = raw;
  if (data[6] % 2) {
    int32_t roi[4];
    for (int i = 0; i < 4; ++i) roi[i] = static_cast<int8_t>(data[7 + i]);
    image.roi = hbprep::Roi{roi[0], roi[1], roi[2], roi[3]};
  }
  image.bytes.assign(reinterpret_cast<const char*>(data) + 12, size - 12);
  hbprep::PrepareOptions options;
  options.convert_range = data[11] % 2;
  (void)hbprep::Prepare(Model(data[11] / 2 % 2), {image}, options);
  return 0;
}
