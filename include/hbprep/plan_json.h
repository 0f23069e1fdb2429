// The plan as the JSON document of docs (README "JSON documents"): what `hbprep describe
// --json` prints and what manifests extend.
#ifndef HBPREP_PLAN_JSON_H_
#define HBPREP_PLAN_JSON_H_

#include <string>
#include <vector>

#include "hbprep/model.h"
#include "hbprep/plan.h"
#include "nlohmann/json_fwd.hpp"

namespace hbprep {

// {"model", "target", "march", "descriptor_hash", "norm_type",
//  "tensors": [{"name", "input", "adapter", "item"?, "dtype", "shape", "strides", "layout"?}],
//  "hrt_model_exec"? (J6 board plans), "warnings"}
// `layout` is left out for tensors that are not images (the ROI); `item` for tensors
// that are not part of a batch split.
nlohmann::ordered_json PlanToJson(const Plan& plan);

// Per file of a request, where its tensor pixels came from (model.h's ImageGeometry):
// {"source": [w, h], "window": [x, y, w, h], "scale": [x, y], "pad": [left, top],
//  "content": [w, h], "size": [w, h], "roi"?: [left, top, right, bottom]}, null for
// featuremap files. A tensor pixel (x, y) shows source point
// window + ([x, y] - pad) / scale.
nlohmann::ordered_json GeometryToJson(const std::vector<ImageGeometry>& geometry);

// A document as text, indented by two, with any byte that is not UTF-8 (a file name, say)
// replaced rather than thrown over.
std::string DumpJson(const nlohmann::ordered_json& document);

}  // namespace hbprep

#endif  // HBPREP_PLAN_JSON_H_
