// `hbprep preview DIR`: what the model will see, as one PNG contact sheet.
//
// One row per image of the folder: NV12 Y/UV pairs back in colour (in the range the
// descriptor implies) with the Y, U and V planes in grey beside it and the resizer's ROI
// drawn on it; float calibration/onnx tensors de-normalised with the descriptor's
// mean/scale/std and shown in the model's channel order; int8 data (pixel - 128) shifted
// back; batch items one row each; anything else as its first channel in grey. Every tile
// is labelled with the tensor's name, shape, dtype and value range.

#include "client/preview.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "adapters/frame.h"
#include "client/args.h"
#include "client/cli.h"
#include "client/commands.h"
#include "client/tensor_folder.h"
#include "opencv2/core.hpp"
#include "opencv2/imgcodecs.hpp"
#include "opencv2/imgproc.hpp"

namespace hbprep {
namespace {

constexpr int kTileHeight = 160;  // pixels of image in every tile
constexpr int kLabelHeight = 34;  // two lines of text above it
constexpr int kGap = 8;

struct Tile {
  cv::Mat image;  // CV_8UC3
  std::string line1, line2;
};

std::string Describe(const std::string& name, const NpyArray& array) {
  double low = INFINITY, high = -INFINITY;
  const size_t count = array.data.size() / static_cast<size_t>(ElementSize(array.dtype));
  for (size_t i = 0; i < count; ++i) {
    const double v = ValueAt(array, i);
    low = std::min(low, v);
    high = std::max(high, v);
  }
  return absl::StrFormat("%s %s %s [%g..%g]", name, absl::StrJoin(array.shape, "x"),
                         std::string(ToString(array.dtype)), low, high);
}

Tile Labelled(cv::Mat image, std::string line1, std::string line2 = "") {
  cv::Mat scaled;
  const double factor = static_cast<double>(kTileHeight) / image.rows;
  cv::resize(image, scaled,
             cv::Size(std::max(1, static_cast<int>(std::lround(image.cols * factor))), kTileHeight),
             0, 0, cv::INTER_NEAREST);
  if (scaled.channels() == 1) cv::cvtColor(scaled, scaled, cv::COLOR_GRAY2BGR);
  return {scaled, std::move(line1), std::move(line2)};
}

const InputDescriptor* FindInput(const std::optional<Descriptor>& descriptor,
                                 const std::string& tensor) {
  if (!descriptor) return nullptr;
  const InputDescriptor* best = nullptr;
  for (const InputDescriptor& input : descriptor->inputs) {
    if (tensor == input.name || tensor.rfind(input.name + "_", 0) == 0) {
      if (best == nullptr || input.name.size() > best->name.size()) best = &input;
    }
  }
  return best;
}

// NV12 planes (Y h x w, interleaved UV) as BGR in the given range, with the engine's own
// conversion (adapters/frame.h).
cv::Mat Nv12ToBgr(const cv::Mat& y, const cv::Mat& uv, ColorRange range) {
  Frame frame;
  frame.nv12 = true;
  frame.y = y;
  frame.uv = uv;
  frame.range = range;
  frame.ToBgr();
  return frame.bgr;
}

// One row per batch item of an NV12 input: colour (ROI drawn), Y, U, V.
void Nv12Rows(const std::string& base, const NpyArray& y, const NpyArray& uv, const NpyArray* roi,
              const InputDescriptor* input, std::vector<std::vector<Tile>>* rows) {
  const int n = static_cast<int>(y.shape[0]), h = static_cast<int>(y.shape[1]),
            w = static_cast<int>(y.shape[2]);
  const ColorRange range = input ? input->range : ColorRange::kRegular;
  for (int i = 0; i < n; ++i) {
    const cv::Mat y_plane(h, w, CV_8UC1,
                          const_cast<uint8_t*>(y.data.data()) + static_cast<size_t>(i) * h * w);
    const cv::Mat uv_plane(
        h / 2, w / 2, CV_8UC2,
        const_cast<uint8_t*>(uv.data.data()) + static_cast<size_t>(i) * (h / 2) * w);
    cv::Mat colour = Nv12ToBgr(y_plane, uv_plane, range);
    std::string roi_text;
    if (roi != nullptr && roi->shape.size() == 2 && roi->shape[0] > i) {
      int32_t v[4];
      std::memcpy(v, roi->data.data() + i * 16, 16);
      cv::rectangle(colour, cv::Point(v[0], v[1]), cv::Point(v[2], v[3]), cv::Scalar(0, 255, 0),
                    std::max(1, h / 100));
      roi_text = absl::StrFormat(" ROI %d,%d,%d,%d", v[0], v[1], v[2], v[3]);
    }
    std::vector<cv::Mat> uv_split;
    cv::split(uv_plane, uv_split);
    std::vector<Tile> row;
    row.push_back(Labelled(
        colour,
        absl::StrCat(base, n > 1 ? absl::StrCat(" #", i) : "", " NV12 ",
                     range == ColorRange::kBt601Video ? "video" : "full", " range", roi_text),
        Describe(base + "_y", y)));
    row.push_back(Labelled(y_plane.clone(), "Y plane", Describe(base + "_y", y)));
    row.push_back(Labelled(uv_split[0], "U (even bytes of UV)", Describe(base + "_uv", uv)));
    row.push_back(Labelled(uv_split[1], "V (odd bytes of UV)", Describe(base + "_uv", uv)));
    rows->push_back(std::move(row));
  }
}

// An image tensor (NCHW or NHWC, 1 or 3 channels) in display colours: de-normalised float,
// int8 shifted back, channel order made BGR.
void ImageRows(const std::string& name, const NpyArray& array, const InputDescriptor* input,
               std::vector<std::vector<Tile>>* rows) {
  const bool nhwc = array.shape[3] == 1 || array.shape[3] == 3;
  const bool nchw_hint = input && input->layout_train && *input->layout_train == Layout::kNCHW &&
                         array.dtype == DType::kFloat32;
  const bool nchw = nchw_hint || !nhwc;
  const int n = static_cast<int>(array.shape[0]);
  const int c = static_cast<int>(nchw ? array.shape[1] : array.shape[3]);
  if (c != 1 && c != 3) return;  // REQUIRES: an image shape (checked by the caller)
  const int h = static_cast<int>(nchw ? array.shape[2] : array.shape[1]);
  const int w = static_cast<int>(nchw ? array.shape[3] : array.shape[2]);
  const size_t plane = static_cast<size_t>(h) * w;
  // Min-max scaling for floats the descriptor cannot undo.
  double low = INFINITY, high = -INFINITY;
  const size_t count = array.data.size() / static_cast<size_t>(ElementSize(array.dtype));
  for (size_t i = 0; i < count; ++i) {
    low = std::min(low, ValueAt(array, i));
    high = std::max(high, ValueAt(array, i));
  }
  const bool float_data = array.dtype == DType::kFloat32;
  const bool denormalise = float_data && input != nullptr &&
                           input->norm_type != NormType::kNoPreprocess && input->is_image();
  const bool raw_pixels = float_data && !denormalise && low >= 0 && high <= 255;
  auto channel_value = [&](const std::vector<double>& values, int k) {
    return values.size() == 1 ? values[0] : values[k];
  };
  // The channel order: the float model's type for float data, the board's for ddr data.
  ImageType order = ImageType::kBgr;
  if (input) order = float_data ? input->type_train : input->type_rt;
  for (int i = 0; i < n; ++i) {
    cv::Mat image(h, w, c == 1 ? CV_8UC1 : CV_8UC3);
    for (int k = 0; k < c; ++k) {
      for (size_t p = 0; p < plane; ++p) {
        const size_t index = nchw ? (static_cast<size_t>(i) * c + k) * plane + p
                                  : (static_cast<size_t>(i) * plane + p) * c + k;
        double v = ValueAt(array, index);
        if (denormalise) {
          if (!input->std.empty()) v *= channel_value(input->std, k);
          if (!input->scale.empty()) v /= channel_value(input->scale, k);
          if (!input->mean.empty()) v += channel_value(input->mean, k);
        } else if (array.dtype == DType::kInt8) {
          v += 128;  // int8 holding pixel - 128
        } else if (float_data && !raw_pixels) {
          v = high > low ? (v - low) * 255 / (high - low) : 0;
        }
        // Display BGR: RGB data goes in reverse.
        const int out = c == 3 && order == ImageType::kRgb ? 2 - k : k;
        image.data[p * c + out] = cv::saturate_cast<uint8_t>(std::lround(v));
      }
    }
    std::string how = denormalise
                          ? absl::StrCat(" de-normalised (", ToString(input->norm_type), ")")
                      : array.dtype == DType::kInt8 ? " +128"
                      : float_data && !raw_pixels   ? " min-max scaled"
                                                    : "";
    rows->push_back({Labelled(
        image,
        absl::StrCat(name, n > 1 ? absl::StrCat(" #", i) : "",
                     c == 3 ? absl::StrCat(" ", order == ImageType::kRgb ? "RGB" : "BGR") : "",
                     how),
        Describe(name, array))});
  }
}

}  // namespace

absl::StatusOr<PreviewSummary> RenderPreview(const std::string& dir, const std::string& png,
                                             const std::optional<Descriptor>& descriptor) {
  absl::StatusOr<std::map<std::string, NpyArray>> tensors = LoadFolder(dir);
  if (!tensors.ok()) return tensors.status();
  std::vector<std::vector<Tile>> rows;
  for (const auto& [name, array] : *tensors) {
    const bool y_plane = name.size() > 2 && name.compare(name.size() - 2, 2, "_y") == 0 &&
                         array.dtype == DType::kUint8 && array.shape.size() == 4 &&
                         array.shape[3] == 1;
    if (y_plane) {
      const std::string base = name.substr(0, name.size() - 2);
      auto uv = tensors->find(base + "_uv");
      auto roi = tensors->find(base + "_roi");
      if (uv != tensors->end()) {
        Nv12Rows(base, array, uv->second, roi == tensors->end() ? nullptr : &roi->second,
                 FindInput(descriptor, name), &rows);
        continue;
      }
    }
    const bool uv_plane = name.size() > 3 && name.compare(name.size() - 3, 3, "_uv") == 0 &&
                          tensors->count(name.substr(0, name.size() - 3) + "_y");
    const bool roi = array.dtype == DType::kInt32 && array.shape.size() == 2 && array.shape[1] == 4;
    if (uv_plane || roi) continue;  // drawn with their Y plane
    const bool image = array.shape.size() == 4 && (array.shape[1] == 1 || array.shape[1] == 3 ||
                                                   array.shape[3] == 1 || array.shape[3] == 3);
    if (image) {
      ImageRows(name, array, FindInput(descriptor, name), &rows);
    } else if (array.shape.size() == 3 && array.dtype == DType::kUint8) {  // OE 1.x packed NV12
      const int h = static_cast<int>(array.shape[1] * 2 / 3), w = static_cast<int>(array.shape[2]);
      NpyArray y, uv;
      y.dtype = uv.dtype = DType::kUint8;
      y.shape = {array.shape[0], h, w, 1};
      uv.shape = {array.shape[0], h / 2, w / 2, 2};
      for (int64_t i = 0; i < array.shape[0]; ++i) {
        const uint8_t* item = array.data.data() + i * h * w * 3 / 2;
        y.data.insert(y.data.end(), item, item + static_cast<size_t>(h) * w);
        uv.data.insert(uv.data.end(), item + static_cast<size_t>(h) * w,
                       item + static_cast<size_t>(h) * w * 3 / 2);
      }
      Nv12Rows(name, y, uv, nullptr, FindInput(descriptor, name), &rows);
    } else {
      // A feature map or anything else: its values min-max scaled, as one grey square.
      NpyArray flat = array;
      const int64_t count = static_cast<int64_t>(array.data.size()) / ElementSize(array.dtype);
      const int64_t width = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(std::sqrt(count))));
      flat.shape = {1, 1, (count + width - 1) / width, width};
      flat.data.resize(static_cast<size_t>(flat.shape[2] * width) * ElementSize(array.dtype), 0);
      ImageRows(name, flat, nullptr, &rows);
      rows.back()[0].line2 = Describe(name, array);
    }
  }
  if (rows.empty()) return absl::InvalidArgumentError(absl::StrCat(dir, ": no tensors to preview"));
  // A column is as wide as its image or its label, whichever is wider.
  auto column_width = [](const Tile& tile) {
    int baseline = 0;
    int text = 0;
    for (const std::string* line : {&tile.line1, &tile.line2}) {
      text =
          std::max(text, cv::getTextSize(*line, cv::FONT_HERSHEY_SIMPLEX, 0.4, 1, &baseline).width);
    }
    return std::max(tile.image.cols, text);
  };
  int width = 0, height = kGap;
  PreviewSummary summary;
  for (const auto& row : rows) {
    int row_width = kGap;
    for (const Tile& tile : row) row_width += column_width(tile) + kGap;
    width = std::max(width, row_width);
    height += kLabelHeight + kTileHeight + kGap;
    summary.tiles += static_cast<int>(row.size());
  }
  cv::Mat sheet(height, width, CV_8UC3, cv::Scalar(32, 32, 32));
  int y = kGap;
  for (const auto& row : rows) {
    int x = kGap;
    for (const Tile& tile : row) {
      cv::putText(sheet, tile.line1, cv::Point(x, y + 13), cv::FONT_HERSHEY_SIMPLEX, 0.4,
                  cv::Scalar(255, 255, 255), 1, cv::LINE_AA);
      cv::putText(sheet, tile.line2, cv::Point(x, y + 29), cv::FONT_HERSHEY_SIMPLEX, 0.4,
                  cv::Scalar(200, 200, 200), 1, cv::LINE_AA);
      tile.image.copyTo(sheet(cv::Rect(x, y + kLabelHeight, tile.image.cols, tile.image.rows)));
      x += column_width(tile) + kGap;
    }
    y += kLabelHeight + kTileHeight + kGap;
  }
  summary.rows = static_cast<int>(rows.size());
  summary.width = width;
  summary.height = height;
  summary.notes = RangeChecks(dir, *tensors, descriptor);
  if (!cv::imwrite(png, sheet)) return absl::UnavailableError(absl::StrCat(png, ": cannot write"));
  return summary;
}

int PreviewCommand(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  absl::StatusOr<Args> args = Args::Parse(argv, FlagSpec{{"out", "config"}, {}});
  if (!args.ok()) return UsageError(err, args.status().message());
  if (args->positional().size() != 1) return UsageError(err, "preview needs one folder: DIR");
  const std::string dir = args->positional()[0];
  std::optional<Descriptor> descriptor;
  if (std::optional<std::string> config = args->Get("config")) {
    absl::StatusOr<Descriptor> loaded = LoadDescriptorFile(*config, nullptr);
    if (!loaded.ok()) return SetupFailure(err, loaded.status());
    descriptor = *std::move(loaded);
  }
  const std::string png = args->Get("out").value_or(dir + "/preview.png");
  absl::StatusOr<PreviewSummary> summary = RenderPreview(dir, png, descriptor);
  if (!summary.ok()) return SetupFailure(err, summary.status());
  out << "wrote " << png << " (" << summary->width << "x" << summary->height << ", "
      << summary->rows << " row(s), " << summary->tiles << " tile(s))\n";
  for (const std::string& note : summary->notes) out << note << "\n";
  return kExitOk;
}

}  // namespace hbprep
