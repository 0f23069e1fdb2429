// hbprep._engine: the engine in-process from Python (pybind11 over model.h's core). Python
// objects are touched only with the GIL; the engine runs without it (reading files, copying
// strided arrays, preparing), so Python threads calling one model prepare on every core.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "hbprep/calibration_set.h"
#include "hbprep/compiled_model.h"
#include "hbprep/descriptor.h"
#include "hbprep/engine.h"
#include "hbprep/identity.h"
#include "hbprep/model.h"
#include "hbprep/output_folder.h"
#include "hbprep/plan.h"
#include "hbprep/plan_json.h"
#include "hbprep/repository.h"
#include "hbprep/status_macros.h"
#include "python/docs.h"
#include "python/errors.h"
#include "python/inputs.h"
#include "python/outputs.h"

namespace hbprep::python {
namespace py = pybind11;

// The module's contents (PYBIND11_MODULE below calls it).
void DefineModule(py::module_& m);

namespace {

// The engine options a call chooses: each combination is one compiled model.
struct CallOptions {
  Target target = Target::kBoard;
  std::optional<DecodeMode> decode;
  std::optional<Nv12Recipe> nv12_recipe;
  bool float_as_uint8 = false;
  bool convert_range = true;
  auto Key() const {
    return std::make_tuple(static_cast<int>(target), decode ? static_cast<int>(*decode) : -1,
                           nv12_recipe ? static_cast<int>(*nv12_recipe) : -1, float_as_uint8,
                           convert_range);
  }
  bool operator<(const CallOptions& other) const { return Key() < other.Key(); }
};

std::string OptionalText(const py::object& value, const char* name) {
  if (!py::isinstance<py::str>(value)) {
    ThrowInvalid(absl::StrCat(name, " must be a str or None, got a ",
                              std::string(py::str(py::type::handle_of(value).attr("__name__")))));
  }
  return value.cast<std::string>();
}

CallOptions ParseCallOptions(const std::string& target, const py::object& nv12_recipe,
                             const py::object& decode, const py::object& dtype,
                             bool convert_range) {
  CallOptions options;
  const std::optional<Target> parsed = ParseTarget(target);
  if (!parsed) {
    ThrowInvalid(absl::StrCat("target '", target, "' is not one of ", TargetNames()));
  }
  options.target = *parsed;
  if (!nv12_recipe.is_none()) {
    const std::string text = OptionalText(nv12_recipe, "nv12_recipe");
    options.nv12_recipe = ParseNv12Recipe(text);
    if (!options.nv12_recipe) {
      ThrowInvalid(
          absl::StrCat("nv12_recipe '", text, "' is not one of auto, calc, calc_f32, opencv"));
    }
  }
  if (!decode.is_none()) {
    const std::string text = OptionalText(decode, "decode");
    options.decode = ParseDecodeMode(text);
    if (!options.decode) {
      ThrowInvalid(absl::StrCat("decode '", text, "' is not one of exact, fast"));
    }
  }
  if (!dtype.is_none()) {
    // numpy's names, or a dtype: np.uint8, np.dtype("float32"), "uint8".
    const std::string text = py::str(py::dtype::from_args(dtype).attr("name"));
    if (text != "float32" && text != "uint8") {
      ThrowInvalid(absl::StrCat("dtype '", text, "' is not one of float32, uint8"));
    }
    options.float_as_uint8 = text == "uint8";
  }
  options.convert_range = convert_range;
  return options;
}

// The test suite's proof that calls run without the GIL (tests/python): while a gate is set,
// the engine's first check of a call waits, without the GIL, until another Python thread opens
// it. A thread that held the GIL through the engine would keep the opener out: the call then
// fails after `timeout_s` instead of hanging.
class TestGate {
 public:
  explicit TestGate(double timeout_s) : timeout_s_(timeout_s) {}
  // From the engine (no GIL): the first call waits to be opened.
  absl::Status Pass() {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!failure_.ok()) return failure_;
    if (passed_) return absl::OkStatus();
    waiting_ = true;
    changed_.notify_all();
    if (!changed_.wait_for(lock, std::chrono::duration<double>(timeout_s_),
                           [&] { return opened_; })) {
      return absl::DeadlineExceededError(absl::StrFormat(
          "the test gate was not opened within %.0f s while the engine waited (was the GIL "
          "held?)",
          timeout_s_));
    }
    passed_ = true;
    return absl::OkStatus();
  }
  // From Python (the GIL released while waiting): whether a call reached the gate in time.
  bool WaitUntilReached(double timeout_s) {
    py::gil_scoped_release release;
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, std::chrono::duration<double>(timeout_s),
                             [&] { return waiting_; });
  }
  void Open() {
    std::lock_guard<std::mutex> lock(mutex_);
    opened_ = true;
    changed_.notify_all();
  }
  bool reached() {
    std::lock_guard<std::mutex> lock(mutex_);
    return waiting_;
  }
  // Every check then fails with this status (how the tests reach each exception class).
  void Fail(int code, const std::string& message) {
    std::lock_guard<std::mutex> lock(mutex_);
    failure_ = absl::Status(static_cast<absl::StatusCode>(code), message);
  }

 private:
  const double timeout_s_;
  std::mutex mutex_;
  std::condition_variable changed_;
  bool waiting_ = false, opened_ = false, passed_ = false;
  absl::Status failure_;
};

std::mutex g_gate_mutex;
std::shared_ptr<TestGate> g_gate;

// Hooks of one call: the test gate's check when one is set.
CallHooks HooksForCall() {
  std::shared_ptr<TestGate> gate;
  {
    std::lock_guard<std::mutex> lock(g_gate_mutex);
    gate = g_gate;
  }
  CallHooks hooks;
  if (gate) hooks.check_continue = [gate] { return gate->Pass(); };
  return hooks;
}

// The buffers of one thread's calls (model.h: one Scratch per thread).
Scratch& ThreadScratch() {
  thread_local Scratch scratch;
  return scratch;
}

// hbprep.Result, made at import and kept for the process (never destroyed: it would outlive
// the interpreter).
py::object* g_result_type = nullptr;

py::object MakeResult(py::dict tensors, const std::vector<std::string>& warnings,
                      const std::vector<ImageGeometry>& geometry,
                      const std::vector<double>& pixel_stddev, const PrepareReport& times) {
  py::object result = (*g_result_type)(tensors);
  py::list notes;
  for (const std::string& warning : warnings) notes.append(ToPython(warning));
  py::list places;
  for (const ImageGeometry& g : geometry) {
    places.append(g.valid ? py::cast(g) : py::none());
  }
  result.attr("warnings") = notes;
  result.attr("geometry") = places;
  result.attr("pixel_stddev") = py::cast(pixel_stddev);
  py::dict timings;
  timings["decode_us"] = times.decode_us;
  timings["transform_us"] = times.transform_us;
  timings["pack_us"] = times.pack_us;
  result.attr("timings") = timings;
  return result;
}

std::optional<Roi> RoiOf(py::handle value, size_t index) {
  if (value.is_none()) return std::nullopt;
  std::vector<int64_t> v;
  try {
    v = value.cast<std::vector<int64_t>>();
  } catch (const py::cast_error&) {
  }
  if (v.size() != 4 || PyUnicode_Check(value.ptr())) {
    ThrowInvalid(absl::StrCat("rois[", index, "]: ", std::string(py::repr(value)),
                              " is not (left, top, right, bottom)"));
  }
  for (int64_t x : v) {
    if (x < INT32_MIN || x > INT32_MAX) {
      ThrowInvalid(absl::StrCat("rois[", index, "]: ", x, " is beyond int32"));
    }
  }
  return Roi{static_cast<int32_t>(v[0]), static_cast<int32_t>(v[1]), static_cast<int32_t>(v[2]),
             static_cast<int32_t>(v[3])};
}

// Files of a call: `images` as a list or tuple of files, or one file alone.
std::vector<py::object> AsFiles(const py::object& images) {
  std::vector<py::object> files;
  if (images.is_none()) return files;
  if (PyList_Check(images.ptr()) || PyTuple_Check(images.ptr())) {
    for (py::handle item : images) files.push_back(py::reinterpret_borrow<py::object>(item));
  } else {
    files.push_back(images);
  }
  return files;
}

class PyModel {
 public:
  static std::unique_ptr<PyModel> Create(const py::object& config, const py::object& yaml_text,
                                         const py::object& name, const py::object& model_info,
                                         const py::object& repository, int64_t max_side,
                                         int64_t max_pixels, int64_t max_request_bytes) {
    const int given = !config.is_none() + !yaml_text.is_none() + !repository.is_none();
    if (given != 1) {
      ThrowInvalid(
          "give exactly one of config (a yaml file), yaml_text (its text) or repository (a "
          "folder, with name)");
    }
    if (max_side <= 0 || max_pixels <= 0 || max_request_bytes < 0) {
      ThrowInvalid(absl::StrCat("max_side (", max_side, ") and max_pixels (", max_pixels,
                                ") must be positive, max_request_bytes (", max_request_bytes,
                                ") positive or 0 (no limit)"));
    }
    auto model = std::unique_ptr<PyModel>(new PyModel());
    model->limits_.max_width = model->limits_.max_height = max_side;
    model->limits_.max_pixels = max_pixels;
    model->limits_.max_request_bytes = max_request_bytes;
    auto path_of = [](const py::object& value) {
      py::object path = py::module_::import("os").attr("fsdecode")(value);
      return path.cast<std::string>();
    };
    const std::string info = model_info.is_none() ? "" : path_of(model_info);
    std::vector<std::string> warnings;
    absl::StatusOr<Descriptor> descriptor;
    if (!config.is_none()) {
      const std::string path = path_of(config);
      py::gil_scoped_release release;
      descriptor = LoadModel(path, info, &warnings);
    } else if (!yaml_text.is_none()) {
      const std::string text = yaml_text.cast<std::string>();
      const std::string model_name = name.is_none() ? "inline" : name.cast<std::string>();
      ParseOptions parse;
      parse.source = model_name;
      descriptor = ParseDescriptor(text, model_name, parse, &warnings);
      if (descriptor.ok() && !info.empty()) {
        const absl::Status attached = AttachModelInfoFile(info, &*descriptor, &warnings);
        if (!attached.ok()) descriptor = attached;
      }
    } else {
      if (name.is_none()) ThrowInvalid("repository needs name: the model's name (its file's stem)");
      if (!model_info.is_none()) {
        ThrowInvalid(
            "model_info goes with config or yaml_text (a repository keeps it beside the yaml as "
            "<model>.model_info.txt)");
      }
      const std::string dir = path_of(repository);
      const std::string wanted = name.cast<std::string>();
      absl::StatusOr<Repository> loaded;
      {
        py::gil_scoped_release release;
        loaded = LoadRepository(dir);
      }
      ThrowIfError(loaded.status());
      auto it = loaded->models.find(wanted);
      if (it == loaded->models.end()) {
        std::vector<std::string> names;
        for (const auto& [known, unused] : loaded->models) names.push_back(known);
        std::string message = absl::StrCat("model '", wanted, "' is not in repository '", dir,
                                           "' (models: ", absl::StrJoin(names, ", "), ")");
        for (const std::string& error : loaded->errors) absl::StrAppend(&message, "\n", error);
        throw StatusError{absl::NotFoundError(message)};
      }
      descriptor = std::move(it->second.descriptor);
      warnings = std::move(it->second.warnings);
      model->source_ = it->second.path;
    }
    ThrowIfError(descriptor.status());
    if (model->source_.empty()) {
      model->source_ = !config.is_none() ? path_of(config) : "yaml_text";
    }
    model->descriptor_ = *std::move(descriptor);
    model->warnings_ = std::move(warnings);
    return model;
  }

  const Descriptor& descriptor() const { return descriptor_; }
  const std::vector<std::string>& warnings() const { return warnings_; }
  const std::string& source() const { return source_; }
  const PrepareOptions& limits() const { return limits_; }

  // The compiled model for `options` (GIL held: the cache is the Python object's).
  Model Compiled(const CallOptions& options) {
    auto it = compiled_.find(options);
    if (it != compiled_.end()) return it->second;
    PrepareOptions prepare = limits_;
    prepare.target = options.target;
    prepare.decode = options.decode;
    prepare.nv12_recipe = options.nv12_recipe;
    prepare.float_as_uint8 = options.float_as_uint8;
    prepare.convert_range = options.convert_range;
    absl::StatusOr<Model> model = Model::Compile(descriptor_, prepare);
    ThrowIfError(model.status());
    return compiled_.emplace(options, *std::move(model)).first->second;
  }

  py::object Plan(const std::string& target, const py::object& nv12_recipe,
                  const py::object& decode, const py::object& dtype) {
    const Model model = Compiled(ParseCallOptions(target, nv12_recipe, decode, dtype, true));
    return ToPython(PlanDocument(model, model.plan().tensors));
  }

  py::list Bindings(const std::string& target) {
    const Model model =
        Compiled(ParseCallOptions(target, py::none(), py::none(), py::none(), true));
    py::list out;
    for (size_t i = 0; i < model.bindings().size(); ++i) {
      const InputDescriptor& input = descriptor_.inputs[model.bindings()[i]];
      py::dict slot;
      slot["input"] = input.name;
      slot["image"] = input.is_image();
      slot["resizer"] = model.TakesRoi(static_cast<int>(i));
      if (!input.is_image()) {
        // What the featuremap's file holds (a .npy's shape and dtype, or a bare .bin's).
        slot["shape"] = FeaturemapFileShape(descriptor_, input, model.options().target);
        slot["dtype"] =
            std::string(ToString(FeaturemapFileDType(descriptor_, input, model.options().target)));
      }
      out.append(slot);
    }
    return out;
  }

  // The request's files in binding order (`images`, with `features` placed by input name).
  void Fill(const Model& model, Request& request, const py::object& images, const py::object& rois,
            const py::object& features) {
    const std::vector<py::object> given = AsFiles(images);
    std::vector<py::object> roi_list;
    if (!rois.is_none()) {
      if (!PyList_Check(rois.ptr()) && !PyTuple_Check(rois.ptr())) {
        ThrowInvalid("rois must be a list with one (left, top, right, bottom) or None per image");
      }
      for (py::handle r : rois) roi_list.push_back(py::reinterpret_borrow<py::object>(r));
      if (roi_list.size() > given.size()) {
        ThrowInvalid(absl::StrCat(roi_list.size(), " rois for ", given.size(), " image(s)"));
      }
    }
    const std::vector<int>& bindings = model.bindings();
    auto slot_of = [&](size_t file) {
      return file < bindings.size() && !descriptor_.inputs[bindings[file]].is_image()
                 ? Slot::kFeature
                 : Slot::kImage;
    };
    auto roi_of = [&](size_t i) {
      return i < roi_list.size() ? RoiOf(roi_list[i], i) : std::nullopt;
    };
    if (features.is_none() || !PyDict_Check(features.ptr())) {
      // Featuremap files in `images`, at their inputs' places; `features` may list those
      // places (the gRPC client's convention), each of which must be one.
      if (!features.is_none()) {
        for (py::handle position : features) {
          const size_t p = position.cast<size_t>();
          if (p >= given.size() || slot_of(p) != Slot::kFeature) {
            ThrowInvalid(absl::StrCat(
                "features: position ", p,
                p < bindings.size()
                    ? absl::StrCat(" feeds image input '", descriptor_.inputs[bindings[p]].name,
                                   "', not a featuremap")
                    : absl::StrCat(" is beyond the ", given.size(), " file(s) given")));
          }
        }
      }
      for (size_t i = 0; i < given.size(); ++i) {
        request.Add(given[i], absl::StrCat("image ", i), slot_of(i), roi_of(i));
      }
      return;
    }
    // A dict {featuremap input: data, or a list of it per file of a batch split}.
    const py::dict by_name = py::reinterpret_borrow<py::dict>(features);
    std::vector<std::string> feature_inputs;
    for (const InputDescriptor& input : descriptor_.inputs) {
      if (!input.is_image()) feature_inputs.push_back(input.name);
    }
    for (auto [key, value] : by_name) {
      const std::string name = py::str(key);
      if (std::find(feature_inputs.begin(), feature_inputs.end(), name) == feature_inputs.end()) {
        ThrowInvalid(absl::StrCat(
            "features: '", name, "' is not a featuremap input of model '", descriptor_.name,
            "' (featuremap inputs: ",
            feature_inputs.empty() ? "none" : absl::StrJoin(feature_inputs, ", "), ")"));
      }
    }
    size_t next_image = 0;
    std::map<std::string, size_t> taken;
    for (size_t file = 0; file < bindings.size(); ++file) {
      const InputDescriptor& input = descriptor_.inputs[bindings[file]];
      if (input.is_image()) {
        if (next_image < given.size()) {
          request.Add(given[next_image], absl::StrCat("image ", next_image), Slot::kImage,
                      roi_of(next_image));
          ++next_image;
        }
        continue;
      }
      if (!by_name.contains(input.name)) {
        ThrowInvalid(absl::StrCat("features: no data for featuremap input '", input.name,
                                  "' of model '", descriptor_.name, "'"));
      }
      const py::object data = by_name[py::str(input.name)];
      const size_t k = taken[input.name]++;
      const int count = InputFileCount(descriptor_, input, model.options().target);
      if (count == 1) {
        request.Add(data, absl::StrCat("features['", input.name, "']"), Slot::kFeature,
                    std::nullopt);
        continue;
      }
      if (!PyList_Check(data.ptr()) && !PyTuple_Check(data.ptr())) {
        ThrowInvalid(absl::StrCat("features['", input.name, "']: input '", input.name, "' takes ",
                                  count, " files (a batch split): give a list"));
      }
      const py::sequence items = py::reinterpret_borrow<py::sequence>(data);
      if (items.size() != static_cast<size_t>(count)) {
        ThrowInvalid(absl::StrCat("features['", input.name, "']: ", items.size(),
                                  " item(s) for input '", input.name, "', which takes ", count));
      }
      request.Add(items[k], absl::StrCat("features['", input.name, "'][", k, "]"), Slot::kFeature,
                  std::nullopt);
    }
    // Images beyond the model's: added, so that the engine names the count.
    for (; next_image < given.size(); ++next_image) {
      request.Add(given[next_image], absl::StrCat("image ", next_image), Slot::kImage,
                  roi_of(next_image));
    }
  }

  py::object Prepare(const py::object& images, const std::string& target, const py::object& rois,
                     const py::object& nv12_recipe, const py::object& decode,
                     const py::object& features, const py::object& dtype, bool convert_range,
                     bool strided) {
    const Model model =
        Compiled(ParseCallOptions(target, nv12_recipe, decode, dtype, convert_range));
    Request request(limits_);
    Fill(model, request, images, rois, features);
    const CallHooks hooks = HooksForCall();
    absl::StatusOr<hbprep::Prepared> prepared;
    std::shared_ptr<OutputBuffers> buffers;
    std::vector<TensorSpec> specs;
    PrepareReport report;
    {
      py::gil_scoped_release release;
      prepared = Run(model, request, hooks, strided, &buffers, &specs, &report);
    }
    ThrowIfError(prepared.status());
    py::dict tensors;
    std::vector<std::string> warnings = warnings_;
    if (strided) {
      for (size_t t = 0; t < specs.size(); ++t)
        tensors[py::str(specs[t].name)] = FlatArray(buffers, t);
      warnings.insert(warnings.end(), report.warnings.begin(), report.warnings.end());
      return MakeResult(tensors, warnings, report.geometry, report.pixel_stddev, report);
    }
    for (Tensor& tensor : prepared->tensors) {
      const std::string name = tensor.spec.name;
      tensors[py::str(name)] = DenseArray(std::move(tensor));
    }
    warnings.insert(warnings.end(), prepared->warnings.begin(), prepared->warnings.end());
    report.decode_us = prepared->decode_us;
    report.transform_us = prepared->transform_us;
    report.pack_us = prepared->pack_us;
    return MakeResult(tensors, warnings, prepared->geometry, prepared->pixel_stddev, report);
  }

  py::list OutputSpecs(const py::object& images, const std::string& target, const py::object& rois,
                       const py::object& features, const py::object& dtype) {
    const std::vector<TensorSpec> specs = SpecsFor(images, target, rois, features, dtype);
    const Model model = Compiled(ParseCallOptions(target, py::none(), py::none(), dtype, true));
    const nlohmann::ordered_json document = PlanDocument(model, specs);
    py::list out;
    for (size_t t = 0; t < specs.size(); ++t) {
      py::dict tensor = ToPython(document["tensors"][t]);
      tensor["nbytes"] = LayoutBytes(specs[t]);
      out.append(tensor);
    }
    return out;
  }

  py::dict EmptyOutputs(const py::object& images, const std::string& target, const py::object& rois,
                        const py::object& features, const py::object& dtype) {
    py::dict out;
    for (const TensorSpec& spec : SpecsFor(images, target, rois, features, dtype)) {
      out[py::str(spec.name)] = EmptyOutput(spec);
    }
    return out;
  }

  py::object PrepareInto(const py::object& outputs, const py::object& images,
                         const std::string& target, const py::object& rois,
                         const py::object& nv12_recipe, const py::object& decode,
                         const py::object& features, const py::object& dtype, bool convert_range) {
    const Model model =
        Compiled(ParseCallOptions(target, nv12_recipe, decode, dtype, convert_range));
    const std::vector<TensorSpec>& tensors = model.plan().tensors;
    std::vector<CallerOutput> callers;
    std::vector<std::string> names;
    for (const TensorSpec& spec : tensors) names.push_back(spec.name);
    if (PyDict_Check(outputs.ptr())) {
      const py::dict by_name = py::reinterpret_borrow<py::dict>(outputs);
      for (auto [key, value] : by_name) {
        const std::string name = py::str(key);
        if (std::find(names.begin(), names.end(), name) == names.end()) {
          ThrowInvalid(absl::StrCat("outputs: '", name, "' is not a tensor of model '",
                                    descriptor_.name, "' for target ", target,
                                    " (tensors: ", absl::StrJoin(names, ", "), ")"));
        }
      }
      for (size_t t = 0; t < tensors.size(); ++t) {
        if (!by_name.contains(names[t])) {
          ThrowInvalid(absl::StrCat("outputs: no array for tensor '", names[t], "' (output ", t,
                                    " of ", tensors.size(), ")"));
        }
        callers.push_back(ReadCallerOutput(by_name[py::str(names[t])], t, names[t]));
      }
    } else if (PyList_Check(outputs.ptr()) || PyTuple_Check(outputs.ptr())) {
      const py::sequence list = py::reinterpret_borrow<py::sequence>(outputs);
      if (list.size() != tensors.size()) {
        ThrowInvalid(absl::StrCat("outputs: ", list.size(), " array(s) for the plan's ",
                                  tensors.size(), " tensors (", absl::StrJoin(names, ", "), ")"));
      }
      for (size_t t = 0; t < tensors.size(); ++t) {
        callers.push_back(ReadCallerOutput(list[t], t, names[t]));
      }
    } else {
      ThrowInvalid("outputs must be a dict {tensor name: array} or a list in the plan's order");
    }
    Request request(limits_);
    Fill(model, request, images, rois, features);
    const CallHooks hooks = HooksForCall();
    PrepareReport report;
    absl::Status status;
    {
      py::gil_scoped_release release;
      status = [&]() -> absl::Status {
        HBPREP_RETURN_IF_ERROR(request.Materialize());
        HBPREP_ASSIGN_OR_RETURN(const std::vector<TensorSpec> specs,
                                model.OutputSpecs(request.views()));
        std::vector<OutputView> views(specs.size());
        for (size_t t = 0; t < specs.size(); ++t) {
          HBPREP_RETURN_IF_ERROR(CheckCallerOutput(t, specs[t], callers[t], &views[t]));
        }
        return hbprep::PrepareInto(model, request.views(), views, ThreadScratch(), &report, hooks);
      }();
    }
    ThrowIfError(status);
    py::dict written;
    for (size_t t = 0; t < tensors.size(); ++t) written[py::str(names[t])] = callers[t].object;
    std::vector<std::string> warnings = warnings_;
    warnings.insert(warnings.end(), report.warnings.begin(), report.warnings.end());
    return MakeResult(written, warnings, report.geometry, report.pixel_stddev, report);
  }

  py::object Calib(const py::object& sources, const py::object& out, const py::object& limit,
                   uint64_t seed, bool keep_blank, const py::object& dtype,
                   const py::object& decode) {
    const Model model = Compiled(ParseCallOptions("calibration", py::none(), decode, dtype, true));
    std::vector<std::string> args;
    auto fs_path = [](py::handle value) {
      return py::module_::import("os").attr("fsdecode")(value).cast<std::string>();
    };
    if (PyList_Check(sources.ptr()) || PyTuple_Check(sources.ptr())) {
      for (py::handle item : sources) args.push_back(fs_path(item));
    } else {
      args.push_back(fs_path(sources));
    }
    if (args.empty()) ThrowInvalid("calib needs images or folders");
    size_t wanted_limit = 0;
    if (!limit.is_none()) {
      const int64_t value = limit.cast<int64_t>();
      if (value <= 0) ThrowInvalid(absl::StrCat("limit ", value, " must be a positive integer"));
      wanted_limit = static_cast<size_t>(value);
    }
    const std::string out_dir = fs_path(out);
    const CallHooks hooks = HooksForCall();
    absl::StatusOr<nlohmann::ordered_json> manifest;
    {
      py::gil_scoped_release release;
      manifest = WriteCalibrationSet(model, args, out_dir, wanted_limit, seed, keep_blank, hooks);
    }
    ThrowIfError(manifest.status());
    return ToPython(*manifest);
  }

  std::string Repr() const {
    return absl::StrCat("hbprep.Model('", descriptor_.name, "', march='", descriptor_.chip->march,
                        "', inputs=[", absl::StrJoin(InputNames(), ", "), "], source='", source_,
                        "')");
  }

  std::vector<std::string> InputNames() const {
    std::vector<std::string> names;
    for (const InputDescriptor& input : descriptor_.inputs) names.push_back(input.name);
    return names;
  }

 private:
  PyModel() = default;

  // The plan document (plan_json.h) of `model` with these tensors (the plan's, or one
  // request's concrete ones), the descriptor's parse warnings as its warnings, as `hbprep
  // describe --json` prints it.
  nlohmann::ordered_json PlanDocument(const Model& model,
                                      const std::vector<TensorSpec>& tensors) const {
    hbprep::Plan plan = model.plan();
    plan.tensors = tensors;
    plan.warnings = warnings_;
    return PlanToJson(plan);
  }

  std::vector<TensorSpec> SpecsFor(const py::object& images, const std::string& target,
                                   const py::object& rois, const py::object& features,
                                   const py::object& dtype) {
    const Model model = Compiled(ParseCallOptions(target, py::none(), py::none(), dtype, true));
    if (images.is_none()) {
      for (const TensorSpec& spec : model.plan().tensors) {
        if (LayoutBytes(spec) < 0) {
          ThrowInvalid(absl::StrCat("tensor '", spec.name, "' of model '", descriptor_.name,
                                    "' follows its image's size (a resizer input): give the "
                                    "images"));
        }
      }
      return model.plan().tensors;
    }
    Request request(limits_);
    Fill(model, request, images, rois, features);
    absl::StatusOr<std::vector<TensorSpec>> specs;
    {
      py::gil_scoped_release release;
      const absl::Status read = request.Materialize();
      specs = read.ok() ? model.OutputSpecs(request.views()) : read;
    }
    ThrowIfError(specs.status());
    return *std::move(specs);
  }

  // One call's work, without the GIL: the dense tensors (Prepare), or, `strided`, the board
  // layouts in buffers of their own (PrepareInto), whose report goes to `report`.
  static absl::StatusOr<hbprep::Prepared> Run(const Model& model, Request& request,
                                              const CallHooks& hooks, bool strided,
                                              std::shared_ptr<OutputBuffers>* buffers,
                                              std::vector<TensorSpec>* specs,
                                              PrepareReport* report) {
    HBPREP_RETURN_IF_ERROR(request.Materialize());
    if (!strided) return hbprep::Prepare(model, request.views(), hooks);
    HBPREP_ASSIGN_OR_RETURN(*specs, model.OutputSpecs(request.views()));
    try {
      *buffers = std::make_shared<OutputBuffers>(*specs);
    } catch (const std::bad_alloc&) {
      return absl::ResourceExhaustedError("out of memory for the request's outputs");
    }
    HBPREP_RETURN_IF_ERROR(hbprep::PrepareInto(model, request.views(), (*buffers)->views(),
                                               ThreadScratch(), report, hooks));
    return hbprep::Prepared();
  }

  // `hbprep calib`'s work (client/calib.cc) on one thread, without the GIL.
  absl::StatusOr<nlohmann::ordered_json> WriteCalibrationSet(
      const Model& model, const std::vector<std::string>& args, const std::string& out_dir,
      size_t limit, uint64_t seed, bool keep_blank, const CallHooks& hooks) const {
    HBPREP_RETURN_IF_ERROR(CheckTensorNames(model.plan()));
    HBPREP_ASSIGN_OR_RETURN(const std::vector<std::string> files, ExpandSampleFiles(args));
    std::vector<std::string> inputs;
    for (int index : model.bindings()) inputs.push_back(descriptor_.inputs[index].name);
    const size_t per_sample = inputs.size();
    if (files.empty() || files.size() % per_sample != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("model '", descriptor_.name, "' takes ", per_sample,
                       " file(s) per calibration sample; got ", files.size()));
    }
    const auto order = CalibrationOrder(files.size() / per_sample, limit, seed);
    StagedOutput output(out_dir, "out");
    HBPREP_RETURN_IF_ERROR(output.Open());
    CalibrationSetWriter writer(output.dir(), inputs, keep_blank, order.second, "keep_blank=True");
    HBPREP_RETURN_IF_ERROR(writer.Open());
    for (size_t n : order.first) {
      const std::vector<std::string> sources(files.begin() + n * per_sample,
                                             files.begin() + (n + 1) * per_sample);
      std::vector<std::string> bytes(per_sample);
      std::vector<InputView> views;
      for (size_t i = 0; i < per_sample; ++i) {
        if (!ReadFile(sources[i], &bytes[i])) {
          return absl::NotFoundError(absl::StrCat(sources[i], ": cannot read file"));
        }
        views.push_back(InputView::Encoded(
            sources[i], absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(bytes[i].data()),
                                            bytes[i].size())));
      }
      HBPREP_ASSIGN_OR_RETURN(hbprep::Prepared prepared, hbprep::Prepare(model, views, hooks));
      // The descriptor's warnings first, as the CLI's in-process backend gives them.
      prepared.warnings.insert(prepared.warnings.begin(), warnings_.begin(), warnings_.end());
      HBPREP_ASSIGN_OR_RETURN(const bool more, writer.Add(sources, prepared));
      if (!more) break;
    }
    HBPREP_ASSIGN_OR_RETURN(nlohmann::ordered_json manifest, writer.Finish());
    HBPREP_RETURN_IF_ERROR(output.Commit());
    return manifest;
  }

  Descriptor descriptor_;
  std::vector<std::string> warnings_;
  PrepareOptions limits_;
  std::string source_;
  std::map<CallOptions, Model> compiled_;
};

py::object MakeResultType(py::module_& module) {
  py::dict body;
  body["__doc__"] = kResultDoc;
  body["__module__"] = "hbprep";
  body["__slots__"] = py::make_tuple("warnings", "geometry", "pixel_stddev", "timings");
  py::object type = py::reinterpret_borrow<py::object>(reinterpret_cast<PyObject*>(&PyType_Type));
  py::object result = type(
      "Result",
      py::make_tuple(py::reinterpret_borrow<py::object>(reinterpret_cast<PyObject*>(&PyDict_Type))),
      body);
  result.attr("__repr__") = py::cpp_function(
      [](py::object self) {
        std::vector<std::string> parts;
        for (auto [key, value] : py::reinterpret_borrow<py::dict>(self)) {
          std::string what = py::repr(value);
          if (py::isinstance<py::array>(value)) {
            const py::array a = py::reinterpret_borrow<py::array>(value);
            std::vector<int64_t> shape(a.shape(), a.shape() + a.ndim());
            what = absl::StrCat(std::string(py::str(a.dtype())), " (", absl::StrJoin(shape, ", "),
                                shape.size() == 1 ? ",)" : ")");
          }
          parts.push_back(absl::StrCat(std::string(py::repr(key)), ": ", what));
        }
        std::string warnings = "[]";
        if (py::hasattr(self, "warnings")) warnings = py::repr(self.attr("warnings"));
        return absl::StrCat("hbprep.Result({", absl::StrJoin(parts, ", "), "}, warnings=", warnings,
                            ")");
      },
      py::is_method(result));
  module.add_object("Result", result);
  return result;
}

}  // namespace

void DefineModule(py::module_& m) {
  m.doc() = kModuleDoc;
  AddErrors(m);
  g_result_type = new py::object(MakeResultType(m));

  py::class_<PyFrame>(m, "Frame", kFrameDoc)
      .def(py::init([](py::args planes, const py::object& format, const std::string& range) {
             PyFrame frame;
             frame.planes = py::tuple(planes);
             if (frame.planes.size() == 0) ThrowInvalid("Frame needs its pixels or planes");
             if (!format.is_none()) {
               const std::string name = OptionalText(format, "format");
               frame.format = ParseFormat(name);
               if (!frame.format) {
                 ThrowInvalid(
                     absl::StrCat("format '", name, "' is not one of bgr, rgb, gray, nv12, i420"));
               }
             }
             const std::optional<ColorRange> parsed = ParseRange(range);
             if (!parsed)
               ThrowInvalid(absl::StrCat("range '", range, "' is not one of video, full"));
             frame.range = *parsed;
             return frame;
           }),
           py::arg("format") = py::none(), py::arg("range") = "video")
      .def_property_readonly("planes", [](const PyFrame& f) { return f.planes; })
      .def_property_readonly("format",
                             [](const PyFrame& f) -> py::object {
                               if (!f.format) return py::none();
                               return py::str(FormatName(*f.format));
                             })
      .def_property_readonly("range", [](const PyFrame& f) { return RangeName(f.range); })
      .def("__repr__", [](const PyFrame& f) {
        std::vector<std::string> planes;
        for (py::handle p : f.planes) {
          if (py::isinstance<py::array>(p)) {
            const py::array a = py::reinterpret_borrow<py::array>(p);
            planes.push_back(absl::StrCat(
                "(", absl::StrJoin(std::vector<int64_t>(a.shape(), a.shape() + a.ndim()), ", "),
                ")"));
          } else {
            planes.push_back(py::repr(p));
          }
        }
        return absl::StrCat("hbprep.Frame(", absl::StrJoin(planes, ", "), ", format=",
                            f.format ? absl::StrCat("'", FormatName(*f.format), "'") : "None",
                            ", range='", RangeName(f.range), "')");
      });

  py::class_<ImageGeometry>(m, "Geometry", kGeometryDoc)
      .def_property_readonly(
          "source",
          [](const ImageGeometry& g) { return py::make_tuple(g.source_width, g.source_height); })
      .def_property_readonly("window",
                             [](const ImageGeometry& g) {
                               return py::make_tuple(g.window_x, g.window_y, g.window_width,
                                                     g.window_height);
                             })
      .def_property_readonly(
          "scale", [](const ImageGeometry& g) { return py::make_tuple(g.scale_x, g.scale_y); })
      .def_property_readonly(
          "pad", [](const ImageGeometry& g) { return py::make_tuple(g.pad_left, g.pad_top); })
      .def_property_readonly(
          "content",
          [](const ImageGeometry& g) { return py::make_tuple(g.content_width, g.content_height); })
      .def_property_readonly(
          "size", [](const ImageGeometry& g) { return py::make_tuple(g.width, g.height); })
      .def_property_readonly("roi",
                             [](const ImageGeometry& g) -> py::object {
                               if (!g.roi) return py::none();
                               return py::make_tuple(g.roi->left, g.roi->top, g.roi->right,
                                                     g.roi->bottom);
                             })
      .def(
          "to_source",
          [](const ImageGeometry& g, double x, double y) {
            return py::make_tuple(g.window_x + (x - g.pad_left) / g.scale_x,
                                  g.window_y + (y - g.pad_top) / g.scale_y);
          },
          py::arg("x"), py::arg("y"), kToSourceDoc)
      .def(
          "as_dict", [](const ImageGeometry& g) { return ToPython(GeometryToJson({g})[0]); },
          kAsDictDoc)
      .def("__repr__", [](const ImageGeometry& g) {
        return absl::StrFormat(
            "hbprep.Geometry(source=(%d, %d), window=(%g, %g, %g, %g), scale=(%g, %g), "
            "pad=(%d, %d), content=(%d, %d), size=(%d, %d)%s)",
            g.source_width, g.source_height, g.window_x, g.window_y, g.window_width,
            g.window_height, g.scale_x, g.scale_y, g.pad_left, g.pad_top, g.content_width,
            g.content_height, g.width, g.height,
            g.roi ? absl::StrFormat(", roi=(%d, %d, %d, %d)", g.roi->left, g.roi->top, g.roi->right,
                                    g.roi->bottom)
                  : "");
      });

  py::class_<PyModel>(m, "Model", kModelDoc)
      .def(py::init(&PyModel::Create), py::arg("config") = py::none(), py::kw_only(),
           py::arg("yaml_text") = py::none(), py::arg("name") = py::none(),
           py::arg("model_info") = py::none(), py::arg("repository") = py::none(),
           py::arg("max_side") = PrepareOptions().max_width,
           py::arg("max_pixels") = PrepareOptions().max_pixels,
           py::arg("max_request_bytes") = PrepareOptions().max_request_bytes, kModelInitDoc)
      .def_property_readonly(
          "name", [](const PyModel& self) { return self.descriptor().name; }, "The model's name.")
      .def_property_readonly(
          "march", [](const PyModel& self) { return std::string(self.descriptor().chip->march); },
          "model_parameters.march, e.g. 'nash-e'.")
      .def_property_readonly(
          "descriptor_hash", [](const PyModel& self) { return DescriptorHash(self.descriptor()); },
          "sha256 of everything that decides the prepared data ('sha256:<hex>'), as the server's "
          "ListModels and every manifest give it.")
      .def_property_readonly("inputs", &PyModel::InputNames,
                             "The descriptor's input names, in input_name order.")
      .def_property_readonly(
          "warnings", [](const PyModel& self) { return self.warnings(); },
          "What the descriptor's parse (and its model info) tolerated.")
      .def_property_readonly("source", &PyModel::source, "Where the descriptor came from.")
      .def("plan", &PyModel::Plan, py::arg("target") = "board", py::kw_only(),
           py::arg("nv12_recipe") = py::none(), py::arg("decode") = py::none(),
           py::arg("dtype") = py::none(), kPlanDoc)
      .def("bindings", &PyModel::Bindings, py::arg("target") = "board", kBindingsDoc)
      .def("output_specs", &PyModel::OutputSpecs, py::arg("images") = py::none(),
           py::arg("target") = "board", py::kw_only(), py::arg("rois") = py::none(),
           py::arg("features") = py::none(), py::arg("dtype") = py::none(), kOutputSpecsDoc)
      .def("empty_outputs", &PyModel::EmptyOutputs, py::arg("images") = py::none(),
           py::arg("target") = "board", py::kw_only(), py::arg("rois") = py::none(),
           py::arg("features") = py::none(), py::arg("dtype") = py::none(), kEmptyOutputsDoc)
      .def("prepare", &PyModel::Prepare, py::arg("images"), py::arg("target") = "board",
           py::arg("rois") = py::none(), py::arg("nv12_recipe") = py::none(),
           py::arg("decode") = py::none(), py::arg("features") = py::none(), py::kw_only(),
           py::arg("dtype") = py::none(), py::arg("convert_range") = true,
           py::arg("strided") = false, kPrepareDoc)
      .def("prepare_into", &PyModel::PrepareInto, py::arg("outputs"), py::arg("images"),
           py::arg("target") = "board", py::arg("rois") = py::none(),
           py::arg("nv12_recipe") = py::none(), py::arg("decode") = py::none(),
           py::arg("features") = py::none(), py::kw_only(), py::arg("dtype") = py::none(),
           py::arg("convert_range") = true, kPrepareIntoDoc)
      .def("calib", &PyModel::Calib, py::arg("sources"), py::kw_only(), py::arg("out"),
           py::arg("limit") = py::none(), py::arg("seed") = 0, py::arg("keep_blank") = false,
           py::arg("dtype") = py::none(), py::arg("decode") = py::none(), kCalibDoc)
      .def("__repr__", &PyModel::Repr);

  m.attr("TARGETS") =
      py::make_tuple("board", "calibration", "onnx", "oe1_float_onnx", "oe1_quantized_onnx");
  for (const auto& [name, version] : LibraryVersions()) {
    if (name == "hbprep") m.attr("__version__") = version;
  }
  m.def(
      "library_versions",
      [] {
        py::dict out;
        for (const auto& [name, version] : LibraryVersions()) out[py::str(name)] = version;
        return out;
      },
      "hbprep's and the imaging libraries' versions, as manifests record them.");

  // tests/bench/python_api_bench.py's C++ contender: hbprep_bench's (Prepare() of the
  // descriptor on an InputImage, which compiles the model in the call), timed in C++ without
  // the GIL, so that the module's overhead is measured in the same process, round by round.
  m.def(
      "_time_engine_prepare",
      [](PyModel& model, const py::bytes& data, const std::string& target) {
        PrepareOptions options = model.limits();
        options.target = ParseCallOptions(target, py::none(), py::none(), py::none(), true).target;
        std::vector<InputImage> images(1);
        images[0].what = "image 0";
        images[0].bytes = std::string(data);
        double wall = 0, cpu = 0;
        absl::Status status;
        {
          py::gil_scoped_release release;
          timespec cpu0{}, cpu1{};
          clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu0);
          const auto start = std::chrono::steady_clock::now();
          status = hbprep::Prepare(model.descriptor(), images, options).status();
          wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
          clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu1);
          cpu = (cpu1.tv_sec - cpu0.tv_sec) + (cpu1.tv_nsec - cpu0.tv_nsec) * 1e-9;
        }
        ThrowIfError(status);
        return py::make_tuple(wall, cpu);
      },
      py::arg("model"), py::arg("data"), py::arg("target") = "board",
      "For hbprep's benchmark: (wall s, thread CPU s) of the C++ Prepare() on these bytes.");

  py::class_<TestGate, std::shared_ptr<TestGate>>(m, "_TestGate",
                                                  "For hbprep's tests: see tests/python.")
      .def(py::init<double>(), py::arg("timeout_s"))
      .def("wait_until_reached", &TestGate::WaitUntilReached, py::arg("timeout_s"))
      .def("open", &TestGate::Open)
      .def("fail", &TestGate::Fail, py::arg("code"), py::arg("message"))
      .def_property_readonly("reached", &TestGate::reached);
  m.def(
      "_set_test_gate",
      [](std::shared_ptr<TestGate> gate) {
        std::lock_guard<std::mutex> lock(g_gate_mutex);
        g_gate = std::move(gate);
      },
      py::arg("gate").none(true), "For hbprep's tests: see tests/python.");
}

}  // namespace hbprep::python

PYBIND11_MODULE(_engine, m) { hbprep::python::DefineModule(m); }
