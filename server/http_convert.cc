#include "server/http_convert.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "adapters/echo.h"
#include "hbprep/status_macros.h"
#include "nlohmann/json.hpp"
#include "server/convert.h"

namespace hbprep::http {
namespace {

using nlohmann::json;

// INVALID_ARGUMENT unless `text` nests arrays and objects at most kMaxJsonDepth deep. A scan of
// the text, before nlohmann builds anything: a deeply nested body costs no memory and no
// recursion.
absl::Status CheckDepth(absl::string_view text) {
  int depth = 0;
  bool in_string = false, escaped = false;
  for (const char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxJsonDepth) {
        return absl::InvalidArgumentError(
            absl::StrCat("the JSON nests deeper than ", kMaxJsonDepth, " levels"));
      }
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<json> ParseJson(absl::string_view text) {
  HBPREP_RETURN_IF_ERROR(CheckDepth(text));
  try {
    return json::parse(text.begin(), text.end());
  } catch (const json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("the body is not valid JSON: ", e.what()));
  }
}

// `object[key]` when it is there; INVALID_ARGUMENT when it is there but not of kind `is`.
template <typename Is>
absl::StatusOr<const json*> Member(const json& object, const char* key, Is is,
                                   absl::string_view what, absl::string_view kind) {
  auto it = object.find(key);
  if (it == object.end()) return nullptr;
  if (!is(*it)) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": '", key, "' is not ", kind));
  }
  return &*it;
}

bool IsString(const json& value) { return value.is_string(); }
bool IsArray(const json& value) { return value.is_array(); }
bool IsObject(const json& value) { return value.is_object(); }

// A JSON parameters object as the protocol's parameter map; `skip` names the key the HTTP
// binding itself reads (binary_data_size, binary_data, binary_data_output), left out.
absl::Status ToParameters(const json& parameters, absl::string_view what, absl::string_view skip,
                          google::protobuf::Map<std::string, inference::InferParameter>* out) {
  for (const auto& [key, value] : parameters.items()) {
    if (key == skip) continue;
    inference::InferParameter& parameter = (*out)[key];
    if (value.is_boolean()) {
      parameter.set_bool_param(value.get<bool>());
    } else if (value.is_number_integer()) {
      parameter.set_int64_param(value.get<int64_t>());
    } else if (value.is_string()) {
      parameter.set_string_param(value.get<std::string>());
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          what, ": parameter '", Echo(key), "' is not a string, an integer or a boolean"));
    }
  }
  return absl::OkStatus();
}

json FromParameters(const google::protobuf::Map<std::string, inference::InferParameter>& map) {
  json out = json::object();
  for (const auto& [key, value] : map) {
    switch (value.parameter_choice_case()) {
      case inference::InferParameter::kBoolParam: out[key] = value.bool_param(); break;
      case inference::InferParameter::kInt64Param: out[key] = value.int64_param(); break;
      case inference::InferParameter::kStringParam: out[key] = value.string_param(); break;
      default: break;
    }
  }
  return out;
}

// One datatype's little-endian encoding (the hosts hbprep runs on, x86-64 and aarch64, are
// little-endian, so a value's bytes are its memory).
template <typename T>
absl::Status AppendNumber(const json& value, absl::string_view what, std::string* out) {
  T element;
  if constexpr (std::is_floating_point_v<T>) {
    if (!value.is_number()) {
      return absl::InvalidArgumentError(absl::StrCat(what, ": an element is not a number"));
    }
    element = static_cast<T>(value.get<double>());
  } else {
    // Integers only, within the type's range: 1.5 or 300 for UINT8 is a client mistake.
    bool fits = false;
    if (value.is_number_unsigned()) {
      const uint64_t v = value.get<uint64_t>();
      fits = v <= static_cast<uint64_t>(std::numeric_limits<T>::max());
      element = static_cast<T>(v);
    } else if (value.is_number_integer()) {
      const int64_t v = value.get<int64_t>();
      constexpr auto kMax = static_cast<uint64_t>(std::numeric_limits<T>::max());
      fits = v >= static_cast<int64_t>(std::numeric_limits<T>::min()) &&
             (v < 0 || static_cast<uint64_t>(v) <= kMax);
      element = static_cast<T>(v);
    }
    if (!fits) {
      return absl::InvalidArgumentError(absl::StrCat(
          what, ": element ", Echo(value.dump()), " is not an integer the datatype holds"));
    }
  }
  char bytes[sizeof(T)];
  std::memcpy(bytes, &element, sizeof(T));
  out->append(bytes, sizeof(T));
  return absl::OkStatus();
}

template <typename T>
void AppendDecoded(absl::string_view raw, json* out) {
  for (size_t at = 0; at + sizeof(T) <= raw.size(); at += sizeof(T)) {
    T element;
    std::memcpy(&element, raw.data() + at, sizeof(T));
    out->push_back(element);
  }
}

// Calls `f(T{})` with the C++ type of a numeric datatype; false for BYTES and unknown names.
template <typename F>
bool WithNumericType(absl::string_view datatype, F f) {
  if (datatype == "UINT8") return f(uint8_t{}), true;
  if (datatype == "INT8") return f(int8_t{}), true;
  if (datatype == "UINT16") return f(uint16_t{}), true;
  if (datatype == "INT16") return f(int16_t{}), true;
  if (datatype == "UINT32") return f(uint32_t{}), true;
  if (datatype == "INT32") return f(int32_t{}), true;
  if (datatype == "UINT64") return f(uint64_t{}), true;
  if (datatype == "INT64") return f(int64_t{}), true;
  if (datatype == "FP32") return f(float{}), true;
  if (datatype == "FP64") return f(double{}), true;
  return false;
}

// The data list of one input (nested lists flattened, row-major) in the binary form the gRPC
// binding's raw_input_contents holds.
absl::Status EncodeData(const json& data, const std::string& datatype, absl::string_view what,
                        size_t limit, std::string* out) {
  if (data.is_array()) {
    for (const json& element : data) {
      HBPREP_RETURN_IF_ERROR(EncodeData(element, datatype, what, limit, out));
    }
    return absl::OkStatus();
  }
  if (out->size() >= limit) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": the data is more than the message limit of ", limit, " bytes"));
  }
  if (datatype == "BYTES") {
    if (!data.is_string()) {
      return absl::InvalidArgumentError(absl::StrCat(what, ": a BYTES element is not a string"));
    }
    const std::string& value = data.get_ref<const std::string&>();
    const uint32_t length = static_cast<uint32_t>(value.size());
    char prefix[4];
    std::memcpy(prefix, &length, 4);
    out->append(prefix, 4);
    out->append(value);
    return absl::OkStatus();
  }
  absl::Status status;
  const bool known = WithNumericType(datatype, [&](auto type) {
    status = AppendNumber<decltype(type)>(data, what, out);
  });
  if (!known) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": datatype '", Echo(datatype), "' is not one the protocol has"));
  }
  return status;
}

absl::Status ParseInput(const json& input, int index, InferRequest* parsed,
                        absl::string_view* binary, size_t limit) {
  std::string what = absl::StrCat("inputs[", index, "]");
  if (!input.is_object()) return absl::InvalidArgumentError(what + " is not an object");
  inference::ModelInferRequest::InferInputTensor* tensor = parsed->request.add_inputs();
  HBPREP_ASSIGN_OR_RETURN(const json* name, Member(input, "name", IsString, what, "a string"));
  HBPREP_ASSIGN_OR_RETURN(const json* datatype,
                          Member(input, "datatype", IsString, what, "a string"));
  HBPREP_ASSIGN_OR_RETURN(const json* shape, Member(input, "shape", IsArray, what, "a list"));
  if (name == nullptr || datatype == nullptr || shape == nullptr) {
    return absl::InvalidArgumentError(what + " needs 'name', 'datatype' and 'shape'");
  }
  tensor->set_name(name->get<std::string>());
  what = absl::StrCat("input '", Echo(tensor->name()), "'");
  tensor->set_datatype(datatype->get<std::string>());
  for (const json& dim : *shape) {
    if (!dim.is_number_integer()) {
      return absl::InvalidArgumentError(what + ": 'shape' holds a value that is not an integer");
    }
    tensor->add_shape(dim.get<int64_t>());
  }
  HBPREP_ASSIGN_OR_RETURN(const json* parameters,
                          Member(input, "parameters", IsObject, what, "an object"));
  const json* binary_size = nullptr;
  if (parameters != nullptr) {
    auto it = parameters->find("binary_data_size");
    if (it != parameters->end()) binary_size = &*it;
    HBPREP_RETURN_IF_ERROR(
        ToParameters(*parameters, what, "binary_data_size", tensor->mutable_parameters()));
  }
  std::string* raw = parsed->request.add_raw_input_contents();
  auto data = input.find("data");
  if (binary_size != nullptr) {
    if (data != input.end()) {
      return absl::InvalidArgumentError(what + " has both 'data' and binary_data_size");
    }
    if (!binary_size->is_number_unsigned()) {
      return absl::InvalidArgumentError(what + ": binary_data_size is not a non-negative integer");
    }
    const uint64_t size = binary_size->get<uint64_t>();
    if (size > binary->size()) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": binary_data_size is ", size, " but only ", binary->size(),
                       " bytes of binary data are left in the body"));
    }
    raw->assign(binary->data(), size);
    binary->remove_prefix(size);
    return absl::OkStatus();
  }
  if (data == input.end()) {
    return absl::InvalidArgumentError(what + " has neither 'data' nor binary_data_size");
  }
  return EncodeData(*data, tensor->datatype(), what, limit, raw);
}

}  // namespace

absl::StatusOr<InferRequest> ParseInferRequest(absl::string_view body,
                                               absl::optional<absl::string_view> header_length,
                                               const std::string& model,
                                               const std::string& version, size_t limit) {
  absl::string_view header = body, binary;
  const bool binary_form = header_length.has_value();
  if (binary_form) {
    uint64_t length = 0;
    if (!absl::SimpleAtoi(*header_length, &length)) {
      return absl::InvalidArgumentError(absl::StrCat(
          kHeaderLengthHeader, " is '", Echo(*header_length), "', not a byte count"));
    }
    if (length > body.size()) {
      return absl::InvalidArgumentError(absl::StrCat(kHeaderLengthHeader, " is ", length,
                                                     " but the body has ", body.size(),
                                                     " bytes"));
    }
    header = body.substr(0, length);
    binary = body.substr(length);
  }
  HBPREP_ASSIGN_OR_RETURN(const json root, ParseJson(header));
  if (!root.is_object()) return absl::InvalidArgumentError("the request is not a JSON object");
  InferRequest parsed;
  inference::ModelInferRequest& request = parsed.request;
  request.set_model_name(model);
  request.set_model_version(version);
  HBPREP_ASSIGN_OR_RETURN(const json* id, Member(root, "id", IsString, "the request", "a string"));
  if (id != nullptr) request.set_id(id->get<std::string>());
  parsed.binary_default = binary_form;
  HBPREP_ASSIGN_OR_RETURN(const json* parameters,
                          Member(root, "parameters", IsObject, "the request", "an object"));
  if (parameters != nullptr) {
    auto it = parameters->find("binary_data_output");
    if (it != parameters->end()) {
      if (!it->is_boolean()) {
        return absl::InvalidArgumentError("parameter 'binary_data_output' is not a boolean");
      }
      parsed.binary_default = it->get<bool>();
    }
    HBPREP_RETURN_IF_ERROR(ToParameters(*parameters, "the request", "binary_data_output",
                                        request.mutable_parameters()));
  }
  HBPREP_ASSIGN_OR_RETURN(const json* inputs,
                          Member(root, "inputs", IsArray, "the request", "a list"));
  if (inputs == nullptr) return absl::InvalidArgumentError("the request has no 'inputs'");
  int index = 0;
  for (const json& input : *inputs) {
    HBPREP_RETURN_IF_ERROR(ParseInput(input, index++, &parsed, &binary, limit));
  }
  if (!binary.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the body has ", binary.size(),
                     " bytes of binary data beyond what the inputs' binary_data_size take"));
  }
  HBPREP_ASSIGN_OR_RETURN(const json* outputs,
                          Member(root, "outputs", IsArray, "the request", "a list"));
  if (outputs != nullptr) {
    index = 0;
    for (const json& output : *outputs) {
      const std::string what = absl::StrCat("outputs[", index++, "]");
      if (!output.is_object()) return absl::InvalidArgumentError(what + " is not an object");
      HBPREP_ASSIGN_OR_RETURN(const json* name,
                              Member(output, "name", IsString, what, "a string"));
      if (name == nullptr) return absl::InvalidArgumentError(what + " has no 'name'");
      auto* requested = request.add_outputs();
      requested->set_name(name->get<std::string>());
      bool binary_output = parsed.binary_default;
      HBPREP_ASSIGN_OR_RETURN(const json* output_parameters,
                              Member(output, "parameters", IsObject, what, "an object"));
      if (output_parameters != nullptr) {
        auto it = output_parameters->find("binary_data");
        if (it != output_parameters->end()) {
          if (!it->is_boolean()) {
            return absl::InvalidArgumentError(what + ": parameter 'binary_data' is not a boolean");
          }
          binary_output = it->get<bool>();
        }
        HBPREP_RETURN_IF_ERROR(ToParameters(*output_parameters, what, "binary_data",
                                            requested->mutable_parameters()));
      }
      parsed.binary_outputs.push_back(binary_output);
    }
  }
  return parsed;
}

absl::StatusOr<Body> RenderInferResponse(const InferRequest& parsed,
                                         const inference::ModelInferResponse& response) {
  json root = {{"model_name", response.model_name()},
               {"model_version", response.model_version()}};
  if (!response.id().empty()) root["id"] = response.id();
  root["parameters"] = FromParameters(response.parameters());
  json outputs = json::array();
  std::string binary;
  bool any_binary = false;
  for (int i = 0; i < response.outputs_size(); ++i) {
    const auto& tensor = response.outputs(i);
    if (i >= response.raw_output_contents_size()) {
      return absl::InternalError(absl::StrCat("output '", tensor.name(), "' has no contents"));
    }
    const std::string& raw = response.raw_output_contents(i);
    json output = {{"name", tensor.name()}, {"datatype", tensor.datatype()}};
    output["shape"] = json(std::vector<int64_t>(tensor.shape().begin(), tensor.shape().end()));
    const bool as_binary = static_cast<size_t>(i) < parsed.binary_outputs.size()
                               ? parsed.binary_outputs[i]
                               : parsed.binary_default;
    if (as_binary) {
      any_binary = true;
      output["parameters"] = {{"binary_data_size", raw.size()}};
      binary += raw;
    } else {
      json data = json::array();
      if (!WithNumericType(tensor.datatype(),
                           [&](auto type) { AppendDecoded<decltype(type)>(raw, &data); })) {
        return absl::InternalError(absl::StrCat("output '", tensor.name(), "' has datatype ",
                                                tensor.datatype(), ", which JSON cannot carry"));
      }
      output["data"] = std::move(data);
    }
    outputs.push_back(std::move(output));
  }
  root["outputs"] = std::move(outputs);
  Body body;
  body.bytes = root.dump(-1, ' ', false, json::error_handler_t::replace);
  if (any_binary) {
    body.header_length = body.bytes.size();
    body.bytes += binary;
  }
  return body;
}

std::string RenderServerMetadata(const inference::ServerMetadataResponse& response) {
  return json{{"name", response.name()},
              {"version", response.version()},
              {"extensions", std::vector<std::string>(response.extensions().begin(),
                                                      response.extensions().end())}}
      .dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string RenderModelMetadata(const inference::ModelMetadataResponse& response) {
  auto tensors = [](const auto& list) {
    json out = json::array();
    for (const auto& tensor : list) {
      const std::vector<int64_t> shape(tensor.shape().begin(), tensor.shape().end());
      out.push_back({{"name", tensor.name()}, {"datatype", tensor.datatype()}, {"shape", shape}});
    }
    return out;
  };
  return json{{"name", response.name()},
              {"versions", std::vector<std::string>(response.versions().begin(),
                                                    response.versions().end())},
              {"platform", response.platform()},
              {"inputs", tensors(response.inputs())},
              {"outputs", tensors(response.outputs())}}
      .dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string RenderModelReady(const std::string& name, bool ready) {
  return json{{"name", name}, {"ready", ready}}.dump(-1, ' ', false,
                                                     json::error_handler_t::replace);
}

int HttpStatusOf(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk: return 200;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kOutOfRange:
    case absl::StatusCode::kUnimplemented: return 400;
    case absl::StatusCode::kUnauthenticated: return 401;
    case absl::StatusCode::kPermissionDenied: return 403;
    case absl::StatusCode::kNotFound: return 404;
    case absl::StatusCode::kAlreadyExists: return 409;
    case absl::StatusCode::kResourceExhausted: return 429;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kCancelled: return 503;
    case absl::StatusCode::kDeadlineExceeded: return 504;
    default: return 500;
  }
}

std::string ErrorBody(const absl::Status& status) {
  return json{{"error", StatusText(status)}}.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace hbprep::http
