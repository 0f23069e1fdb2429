#include "hbprep/identity.h"

#include <openssl/evp.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "adapters/steps/step.h"
#include "hbprep/compiled_model.h"
#include "nlohmann/json.hpp"

namespace hbprep {
namespace {

nlohmann::json CanonicalStep(const RecipeStep& step) {
  nlohmann::json out = {{"step", ToString(step.kind)}, {"size", step.size}};
  StepTypeOf(step.kind).canonical(step, out);
  return out;
}

}  // namespace

std::string CanonicalForm(const Descriptor& descriptor) {
  nlohmann::json inputs = nlohmann::json::array();
  for (const InputDescriptor& input : descriptor.inputs) {
    nlohmann::json in = {
        {"name", input.name},
        {"type_train", ToString(input.type_train)},
        {"type_rt", ToString(input.type_rt)},
        {"shape", input.shape},
        {"source", ToString(input.source)},
        {"norm_type", ToString(input.norm_type)},
        {"mean", input.mean},
        {"scale", input.scale},
        {"std", input.std},
        {"separate", input.separate},
    };
    if (input.layout_train) in["layout_train"] = ToString(*input.layout_train);
    if (input.layout_rt) in["layout_rt"] = ToString(*input.layout_rt);
    if (input.type_rt == ImageType::kNv12) {
      in["range"] = ToString(input.range);
      in["nv12_recipe"] = ToString(input.nv12_recipe);
    }
    if (input.read != ReadMode::kOpencv) in["read"] = ToString(input.read);
    if (input.source == InputSource::kDdr && input.is_image()) in["ddr_signed"] = input.ddr_signed;
    nlohmann::json recipe = nlohmann::json::array();
    for (const RecipeStep& step : input.recipe) recipe.push_back(CanonicalStep(step));
    in["recipe"] = std::move(recipe);
    inputs.push_back(std::move(in));
  }
  nlohmann::json out = {{"format", "hbprep-descriptor-1"},
                        {"march", descriptor.chip ? descriptor.chip->march : ""},
                        {"input_batch", descriptor.input_batch},
                        {"inputs", std::move(inputs)}};
  // Fast decoding changes the data; exact (the default) leaves the form as it always was.
  if (descriptor.decode == DecodeMode::kFast) out["decode"] = "fast";
  // What a compiled model decided changes the data, so it is part of the identity; without
  // one the form (and every hash) is as before.
  if (descriptor.compiled) {
    nlohmann::json tensors = nlohmann::json::array();
    for (const CompiledTensor& tensor : descriptor.compiled->tensors) {
      nlohmann::json entry = {{"name", tensor.name},
                              {"dtype", ToString(tensor.dtype)},
                              {"strides", tensor.strides}};
      if (tensor.quantization) {
        entry["quantization"] = {{"scale", tensor.quantization->scale},
                                 {"zero_point", tensor.quantization->zero_point},
                                 {"axis", tensor.quantization->axis}};
      }
      tensors.push_back(std::move(entry));
    }
    out["compiled"] = std::move(tensors);
  }
  // Object keys are sorted; numbers print in shortest round-trip form. The text is UTF-8
  // (checked when parsing); replacing stray bytes only guards against a crash.
  return out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string DescriptorHash(const Descriptor& descriptor) {
  const std::string canonical = CanonicalForm(descriptor);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(canonical.data(), canonical.size(), digest, &length, EVP_sha256(), nullptr);
  std::string out = "sha256:";
  for (unsigned int i = 0; i < length; ++i) absl::StrAppendFormat(&out, "%02x", digest[i]);
  return out;
}

}  // namespace hbprep
