// hbprep_kernel_probe KERNEL IN.npy OUT.npy [ARG...]: runs one of the engine's image kernels
// on an H x W x C array and writes its result, so that tests/reference/ can hold each kernel
// against the library it reproduces (scikit-image, SciPy, Pillow, OpenCV) over many sizes
// without going through a whole descriptor. A test tool: not installed.
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "adapters/steps/pillow_resample.h"
#include "adapters/steps/skimage_resize.h"
#include "hbprep/npy.h"
#include "opencv2/core.hpp"

namespace hbprep {
namespace {

using Args = std::vector<std::string>;
// A kernel: the input as an H x W x C cv::Mat (CV_8U or CV_32F channels), its arguments,
// the result to fill.
using Kernel = std::function<absl::Status(const cv::Mat& in, const Args& args, cv::Mat& out)>;

// Defined below the table; rows that take further images read and write them with these.
absl::StatusOr<cv::Mat> ReadImage(const std::string& path);
absl::Status WriteImage(const std::string& path, const cv::Mat& image);

absl::StatusOr<int> IntArg(const std::string& text) {
  int value = 0;
  if (!absl::SimpleAtoi(text, &value)) return absl::InvalidArgumentError("not an integer: " + text);
  return value;
}

// pil_resize_batch: each line of the cases file "FILTER SY SX SH SW DY DX DH DW" resizes the
// input's SH x SW view at (SY, SX) into the DH x DW view at (DY, DX) of an OUT-H x OUT-W
// canvas of the input's type, filled with 0xA5 first; the views must stay in place. A fourth
// argument "portable" takes PilResize's portable loops instead of its SIMD ones.
absl::Status PilResizeBatch(const cv::Mat& in, const Args& args, cv::Mat& out) {
  const bool portable = args.size() == 4 && args[3] == "portable";
  if (args.size() != 3 && !portable) {
    return absl::InvalidArgumentError("needs CASES OUT-H OUT-W [portable]");
  }
  absl::StatusOr<int> out_h = IntArg(args[1]);
  absl::StatusOr<int> out_w = IntArg(args[2]);
  if (!out_h.ok()) return out_h.status();
  if (!out_w.ok()) return out_w.status();
  std::ifstream cases(args[0]);
  if (!cases) return absl::NotFoundError("cannot read " + args[0]);
  out.create(*out_h, *out_w, in.type());
  out.setTo(cv::Scalar::all(0xA5));
  std::string name;
  int sy, sx, sh, sw, dy, dx, dh, dw;
  int line = 0;
  while (cases >> name >> sy >> sx >> sh >> sw >> dy >> dx >> dh >> dw) {
    ++line;
    const cv::Rect from(sx, sy, sw, sh), to(dx, dy, dw, dh);
    if ((from & cv::Rect(0, 0, in.cols, in.rows)) != from ||
        (to & cv::Rect(0, 0, out.cols, out.rows)) != to) {
      return absl::InvalidArgumentError(absl::StrCat("case ", line, ": a view outside its image"));
    }
    absl::StatusOr<PilFilter> filter = PilFilterFromName(name);
    if (!filter.ok()) return filter.status();
    cv::Mat view = out(to);
    const uint8_t* before = view.data;
    absl::Status status =
        portable ? pil_resize_internal::PilResizePortable(in(from), dh, dw, *filter, view)
                 : PilResize(in(from), dh, dw, *filter, view);
    if (!status.ok()) {
      return absl::Status(status.code(), absl::StrCat("case ", line, ": ", status.message()));
    }
    if (view.data != before) {
      return absl::InternalError(
          absl::StrCat("case ", line, ": the destination view was reallocated"));
    }
  }
  if (!cases.eof()) {
    return absl::InvalidArgumentError(absl::StrCat(args[0], ": bad line after case ", line));
  }
  return absl::OkStatus();
}

// skimage_resize HEIGHT WIDTH ORDER [IN.npy OUT.npy HEIGHT WIDTH ORDER]...: the input, then
// each further image, through one SkimageResizer (so the cases also hold its reuse of
// buffers across sizes; process start-up would otherwise dominate the reference's time).
// `channels`: how the images' channels stand to the transformer's array.
absl::Status SkimageResizeRow(const cv::Mat& in, const Args& args, SkimageChannels channels,
                              cv::Mat& out) {
  if (args.size() < 3 || (args.size() - 3) % 5 != 0) {
    return absl::InvalidArgumentError("needs HEIGHT WIDTH ORDER, then groups of five");
  }
  SkimageResizer resizer;
  // The case whose HEIGHT WIDTH ORDER start at args[at].
  auto resize = [&](size_t at, const cv::Mat& image, cv::Mat& result) -> absl::Status {
    absl::StatusOr<int> height = IntArg(args[at]);
    absl::StatusOr<int> width = IntArg(args[at + 1]);
    absl::StatusOr<int> order = IntArg(args[at + 2]);
    if (!height.ok()) return height.status();
    if (!width.ok()) return width.status();
    if (!order.ok()) return order.status();
    return resizer.Resize(image, *height, *width, *order, channels, result);
  };
  absl::Status status = resize(0, in, out);
  for (size_t i = 3; status.ok() && i < args.size(); i += 5) {
    absl::StatusOr<cv::Mat> image = ReadImage(args[i]);
    cv::Mat result;
    status = image.status();
    if (status.ok()) status = resize(i + 2, *image, result);
    if (status.ok()) status = WriteImage(args[i + 1], result);
    if (!status.ok()) {
      status = absl::Status(status.code(), absl::StrCat(args[i], ": ", status.message()));
    }
  }
  return status;
}

struct Row {
  const char* name;
  const char* usage;
  Kernel run;
};

// One row per kernel.
const Row kKernels[] = {
    {"copy", "(no arguments)",
     [](const cv::Mat& in, const Args&, cv::Mat& out) {
       out = in.clone();
       return absl::OkStatus();
     }},
    {"pil_resize", "H W FILTER (Pillow's name: NEAREST, BOX, BILINEAR, HAMMING, BICUBIC, LANCZOS)",
     [](const cv::Mat& in, const Args& args, cv::Mat& out) {
       if (args.size() != 3) return absl::InvalidArgumentError("needs H W FILTER");
       absl::StatusOr<int> h = IntArg(args[0]);
       absl::StatusOr<int> w = IntArg(args[1]);
       absl::StatusOr<PilFilter> filter = PilFilterFromName(args[2]);
       if (!h.ok()) return h.status();
       if (!w.ok()) return w.status();
       if (!filter.ok()) return filter.status();
       return PilResize(in, *h, *w, *filter, out);
     }},
    {"pil_resize_batch", "CASES OUT-H OUT-W [portable] (lines: FILTER SY SX SH SW DY DX DH DW)",
     PilResizeBatch},
    // adapters/steps/skimage_resize.h: ResizeTransformer(mode='skimage').
    {"skimage_resize", "HEIGHT WIDTH ORDER [IN.npy OUT.npy HEIGHT WIDTH ORDER]...",
     [](const cv::Mat& in, const Args& args, cv::Mat& out) {
       return SkimageResizeRow(in, args, SkimageChannels::kSame, out);
     }},
    // The same on images stored in the transformer's reverse channel order (its RGB as BGR).
    {"skimage_resize_reversed", "HEIGHT WIDTH ORDER [IN.npy OUT.npy HEIGHT WIDTH ORDER]...",
     [](const cv::Mat& in, const Args& args, cv::Mat& out) {
       return SkimageResizeRow(in, args, SkimageChannels::kReversed, out);
     }},
};

absl::StatusOr<cv::Mat> ReadImage(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return absl::NotFoundError("cannot read " + path);
  std::stringstream bytes;
  bytes << file.rdbuf();
  absl::StatusOr<NpyArray> array = DecodeNpy(bytes.str(), path);
  if (!array.ok()) return array.status();
  if (array->shape.size() != 3 || (array->dtype != DType::kUint8 && array->dtype != DType::kFloat32)) {
    return absl::InvalidArgumentError(path + ": needs an H x W x C uint8 or float32 array");
  }
  const int depth = array->dtype == DType::kUint8 ? CV_8U : CV_32F;
  cv::Mat header(static_cast<int>(array->shape[0]), static_cast<int>(array->shape[1]),
                 CV_MAKETYPE(depth, static_cast<int>(array->shape[2])), array->data.data());
  return header.clone();
}

absl::Status WriteImage(const std::string& path, const cv::Mat& image) {
  if (image.depth() != CV_8U && image.depth() != CV_32F) {
    return absl::InternalError("the kernel's result is neither uint8 nor float32");
  }
  const cv::Mat dense = image.isContinuous() ? image : image.clone();
  const std::vector<int64_t> shape = {dense.rows, dense.cols, dense.channels()};
  const std::string npy = EncodeNpy(
      dense.depth() == CV_8U ? DType::kUint8 : DType::kFloat32, shape,
      {dense.data, dense.total() * dense.elemSize()});
  std::ofstream file(path, std::ios::binary);
  file.write(npy.data(), static_cast<std::streamsize>(npy.size()));
  return file ? absl::OkStatus() : absl::InternalError("cannot write " + path);
}

int Main(int argc, char** argv) {
  auto usage = [] {
    std::fprintf(stderr, "usage: hbprep_kernel_probe KERNEL IN.npy OUT.npy [ARG...]\n");
    for (const Row& row : kKernels) std::fprintf(stderr, "  %s %s\n", row.name, row.usage);
    return 2;
  };
  if (argc < 4) return usage();
  const Row* row = nullptr;
  for (const Row& r : kKernels) {
    if (std::strcmp(r.name, argv[1]) == 0) row = &r;
  }
  if (row == nullptr) return usage();
  absl::StatusOr<cv::Mat> in = ReadImage(argv[2]);
  cv::Mat out;
  absl::Status status = in.status();
  if (status.ok()) status = row->run(*in, Args(argv + 4, argv + argc), out);
  if (status.ok()) status = WriteImage(argv[3], out);
  if (!status.ok()) {
    std::fprintf(stderr, "hbprep_kernel_probe: %s\n", status.ToString().c_str());
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace hbprep

int main(int argc, char** argv) { return hbprep::Main(argc, argv); }
