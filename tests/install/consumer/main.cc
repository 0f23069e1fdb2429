// consumer MODEL.yaml IMAGE: the engine's core against the installed package. Prepares IMAGE
// (encoded) and a synthetic camera frame (NV12 planes at their own addresses, padded rows)
// into caller-allocated outputs, and prints each tensor's name, dtype, shape and bytes.
#include <cstdint>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "hbprep/descriptor.h"
#include "hbprep/model.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: consumer MODEL.yaml IMAGE\n";
    return 2;
  }
  absl::StatusOr<hbprep::Descriptor> descriptor = hbprep::LoadDescriptorFile(argv[1], nullptr);
  if (!descriptor.ok()) {
    std::cerr << descriptor.status().message() << "\n";
    return 1;
  }
  absl::StatusOr<hbprep::Model> model = hbprep::Model::Compile(*descriptor, {});
  if (!model.ok()) {
    std::cerr << model.status().message() << "\n";
    return 1;
  }
  std::ifstream file(argv[2], std::ios::binary);
  std::stringstream stream;
  stream << file.rdbuf();
  const std::string bytes = stream.str();
  const hbprep::InputView image = hbprep::InputView::Encoded(
      argv[2], absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
  absl::StatusOr<std::vector<hbprep::TensorSpec>> specs = model->OutputSpecs({image});
  if (!specs.ok()) {
    std::cerr << specs.status().message() << "\n";
    return 1;
  }
  hbprep::OutputBuffers outputs(*specs);  // the caller's memory (a runtime's, on a board)
  hbprep::Scratch scratch;
  if (absl::Status status = hbprep::PrepareInto(*model, {image}, outputs.views(), scratch);
      !status.ok()) {
    std::cerr << status.message() << "\n";
    return 1;
  }
  for (const hbprep::TensorSpec& spec : *specs) {
    std::cout << spec.name << " " << hbprep::ToString(spec.dtype);
    for (int64_t dim : spec.shape) std::cout << " " << dim;
    std::cout << " bytes=" << hbprep::LayoutBytes(spec) << "\n";
  }

  // A 640x480 camera frame: Y and UV apart, 704-byte rows, flushed after each output.
  std::vector<uint8_t> y(704 * 480, 90), uv(704 * 240, 128);
  hbprep::FrameView frame;
  frame.format = hbprep::RawFormat::kNv12;
  frame.width = 640;
  frame.height = 480;
  frame.planes[0] = {y.data(), 704};
  frame.planes[1] = {uv.data(), 704};
  int flushed = 0;
  hbprep::CallHooks hooks;
  hooks.flush = [&](void*, size_t) { ++flushed; };
  const hbprep::InputView camera = hbprep::InputView::Frame("camera", frame);
  if (absl::Status status =
          hbprep::PrepareInto(*model, {camera}, outputs.views(), scratch, nullptr, hooks);
      !status.ok()) {
    std::cerr << status.message() << "\n";
    return 1;
  }
  std::cout << "camera frame: " << flushed << " outputs flushed, Y[0]=" << int{outputs.data(0)[0]}
            << "\n";
  return 0;
}
