// consumer MODEL.yaml IMAGE: prints each board tensor's name, dtype, shape and byte count.
#include <fstream>
#include <iostream>
#include <sstream>

#include "adapters/descriptor.h"
#include "adapters/engine.h"

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
  std::ifstream file(argv[2], std::ios::binary);
  std::stringstream bytes;
  bytes << file.rdbuf();
  hbprep::InputImage image;
  image.what = argv[2];
  image.bytes = bytes.str();
  absl::StatusOr<hbprep::Prepared> prepared = hbprep::Prepare(*descriptor, {image}, {});
  if (!prepared.ok()) {
    std::cerr << prepared.status().message() << "\n";
    return 1;
  }
  for (const hbprep::Tensor& tensor : prepared->tensors) {
    std::cout << tensor.spec.name << " " << hbprep::ToString(tensor.spec.dtype);
    for (int64_t dim : tensor.spec.shape) std::cout << " " << dim;
    std::cout << " bytes=" << tensor.data.size() << "\n";
  }
  return 0;
}
