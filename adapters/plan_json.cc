#include "hbprep/plan_json.h"

#include "nlohmann/json.hpp"

namespace hbprep {

// ordered_json keeps the documented key order for human readers.
nlohmann::ordered_json PlanToJson(const Plan& plan) {
  nlohmann::ordered_json tensors = nlohmann::ordered_json::array();
  for (const TensorSpec& spec : plan.tensors) {
    nlohmann::ordered_json tensor = {
        {"name", spec.name}, {"input", spec.input}, {"adapter", ToString(spec.adapter)}};
    if (spec.item >= 0) tensor["item"] = spec.item;
    tensor["dtype"] = ToString(spec.dtype);
    tensor["shape"] = spec.shape;
    tensor["strides"] = spec.strides;
    if (spec.layout != TensorLayout::kNone) tensor["layout"] = ToString(spec.layout);
    if (spec.quantization) {
      tensor["quantization"] = {{"scale", spec.quantization->scale},
                                {"zero_point", spec.quantization->zero_point},
                                {"axis", spec.quantization->axis}};
    }
    tensors.push_back(std::move(tensor));
  }
  nlohmann::ordered_json out = {{"model", plan.model},
                                {"target", ToString(plan.target)},
                                {"march", plan.chip->march},
                                {"descriptor_hash", plan.descriptor_hash},
                                {"norm_type", NormTypeText(plan)}};
  if (!plan.model_info.empty()) out["model_info"] = plan.model_info;
  if (plan.decode == DecodeMode::kFast) out["decode"] = "fast";
  out["tensors"] = std::move(tensors);
  if (std::string stride = HrtInputStride(plan); !stride.empty()) {
    out["hrt_model_exec"] = std::move(stride);
  }
  out["warnings"] = plan.warnings;
  return out;
}

std::string DumpJson(const nlohmann::ordered_json& document) {
  return document.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

nlohmann::ordered_json GeometryToJson(const std::vector<ImageGeometry>& geometry) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const ImageGeometry& g : geometry) {
    if (!g.valid) {
      out.push_back(nullptr);
      continue;
    }
    nlohmann::ordered_json entry = {
        {"source", {g.source_width, g.source_height}},
        {"window", {g.window_x, g.window_y, g.window_width, g.window_height}},
        {"scale", {g.scale_x, g.scale_y}},
        {"pad", {g.pad_left, g.pad_top}},
        {"content", {g.content_width, g.content_height}},
        {"size", {g.width, g.height}}};
    if (g.roi) entry["roi"] = {g.roi->left, g.roi->top, g.roi->right, g.roi->bottom};
    out.push_back(std::move(entry));
  }
  return out;
}

}  // namespace hbprep
