// libFuzzer target: the server's request-to-engine conversion on arbitrary wire bytes (a
// PrepareRequest), including structured descriptors turned into yaml and parsed.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "adapters/descriptor.h"
#include "adapters/engine.h"
#include "hbprep/v1/hbprep.pb.h"
#include "server/convert.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  hbprep::v1::PrepareRequest request;
  if (!request.ParseFromArray(data, static_cast<int>(size))) return 0;
  std::vector<hbprep::InputImage> images;
  hbprep::PrepareOptions options;
  (void)hbprep::FromProto(request, &images, &options);
  if (request.inline_descriptor().has_structured()) {
    const std::string yaml = hbprep::ToYaml(request.inline_descriptor().structured());
    (void)hbprep::ParseDescriptor(yaml, "fuzz", {}, nullptr);
  }
  return 0;
}
