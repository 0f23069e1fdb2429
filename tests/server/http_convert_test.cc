// The HTTP/REST binding's request parsing and response framing (server/http_convert.h), on
// bodies written here byte by byte: the JSON and binary tensor forms become the same
// ModelInferRequest, and every malformed or hostile body is INVALID_ARGUMENT naming its fault.
#include "server/http_convert.h"

#include <cstring>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hbprep::http {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr size_t kLimit = 1 << 20;

std::string Le32(uint32_t value) {
  std::string out(4, '\0');
  std::memcpy(out.data(), &value, 4);
  return out;
}

// A body in the binary form, and its header length as the header's text.
struct Binary {
  std::string body, header_length;
};
Binary BinaryBody(const std::string& json, const std::string& data) {
  return {json + data, std::to_string(json.size())};
}

absl::StatusOr<InferRequest> Parse(const std::string& body,
                                   absl::optional<std::string> header_length = absl::nullopt) {
  return ParseInferRequest(body,
                           header_length ? absl::optional<absl::string_view>(*header_length)
                                         : absl::nullopt,
                           "m", "", kLimit);
}

void ExpectInvalid(const absl::StatusOr<InferRequest>& parsed, const std::string& substring,
                   const std::string& name) {
  ASSERT_FALSE(parsed.ok()) << name;
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << name;
  EXPECT_THAT(std::string(parsed.status().message()), HasSubstr(substring)) << name;
}

TEST(HttpConvert, JsonDataBecomesRawContentsLittleEndian) {
  const absl::StatusOr<InferRequest> parsed = Parse(R"({"id": "r1",
    "parameters": {"target": "board", "n": 3, "b": true},
    "inputs": [{"name": "ROI", "datatype": "INT32", "shape": [1, 4], "data": [[2, -4], [101, 203]]},
               {"name": "prior", "datatype": "FP32", "shape": [2], "data": [0.5, -1]}],
    "outputs": [{"name": "data_y"}, {"name": "data_uv", "parameters": {"binary_data": true}}]})");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  const inference::ModelInferRequest& request = parsed->request;
  EXPECT_EQ(request.model_name(), "m");
  EXPECT_EQ(request.id(), "r1");
  EXPECT_EQ(request.parameters().at("target").string_param(), "board");
  EXPECT_EQ(request.parameters().at("n").int64_param(), 3);
  EXPECT_TRUE(request.parameters().at("b").bool_param());
  ASSERT_EQ(request.inputs_size(), 2);
  EXPECT_THAT(request.inputs(0).shape(), ElementsAre(1, 4));
  ASSERT_EQ(request.raw_input_contents_size(), 2);
  EXPECT_EQ(request.raw_input_contents(0),
            Le32(2) + Le32(static_cast<uint32_t>(-4)) + Le32(101) + Le32(203));
  // 0.5f = 0x3f000000, -1.0f = 0xbf800000.
  EXPECT_EQ(request.raw_input_contents(1), Le32(0x3f000000u) + Le32(0xbf800000u));
  ASSERT_EQ(request.outputs_size(), 2);
  EXPECT_EQ(request.outputs(1).name(), "data_uv");
  EXPECT_EQ(request.outputs(1).parameters().count("binary_data"), 0u);
  // Without the binary extension, outputs come back as JSON unless asked.
  EXPECT_THAT(parsed->binary_outputs, ElementsAre(false, true));
  EXPECT_FALSE(parsed->binary_default);
}

TEST(HttpConvert, BinaryInputsAreSlicedInInputOrder) {
  const std::string image = Le32(3) + "jpg";
  const Binary body = BinaryBody(
      R"({"inputs": [{"name": "IMAGE", "datatype": "BYTES", "shape": [1],
                      "parameters": {"binary_data_size": 7}},
                     {"name": "ROI", "datatype": "INT32", "shape": [1, 4], "data": [1, 2, 3, 4]},
                     {"name": "x", "datatype": "UINT8", "shape": [2],
                      "parameters": {"binary_data_size": 2}}]})",
      image + "\x01\x02");
  const absl::StatusOr<InferRequest> parsed = Parse(body.body, body.header_length);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->request.raw_input_contents(0), image);
  EXPECT_EQ(parsed->request.raw_input_contents(1), Le32(1) + Le32(2) + Le32(3) + Le32(4));
  EXPECT_EQ(parsed->request.raw_input_contents(2), "\x01\x02");
  EXPECT_EQ(parsed->request.inputs(0).parameters().count("binary_data_size"), 0u);
  // The binary extension was used: outputs come back raw unless asked otherwise.
  EXPECT_TRUE(parsed->binary_default);
}

TEST(HttpConvert, BinaryDataOutputFalseAsksForJson) {
  const Binary body = BinaryBody(
      R"({"parameters": {"binary_data_output": false},
          "inputs": [{"name": "IMAGE", "datatype": "BYTES", "shape": [1],
                      "parameters": {"binary_data_size": 4}}]})",
      Le32(0));
  const absl::StatusOr<InferRequest> parsed = Parse(body.body, body.header_length);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_FALSE(parsed->binary_default);
  EXPECT_EQ(parsed->request.parameters().count("binary_data_output"), 0u);
}

TEST(HttpConvert, RejectsMalformedAndHostileBodies) {
  const std::string input =
      R"({"inputs": [{"name": "IMAGE", "datatype": "BYTES", "shape": [1],
                      "parameters": {"binary_data_size": 8}}]})";
  ExpectInvalid(Parse("{\"inputs\": ["), "not valid JSON", "truncated JSON");
  ExpectInvalid(Parse("[1]"), "not a JSON object", "not an object");
  ExpectInvalid(Parse(std::string(17, '[') + std::string(17, ']')), "nests deeper than 16",
                "17 levels");
  // Brackets inside strings do not count as nesting.
  ExpectInvalid(Parse(R"({"id": ")" + std::string(100, '[') + R"("})"), "no 'inputs'",
                "brackets in a string");
  ExpectInvalid(Parse(input + std::string(8, 'x'), std::string("x12")), "not a byte count",
                "header length not a number");
  ExpectInvalid(Parse(input, std::to_string(input.size() + 1)), "but the body has",
                "header length beyond the body");
  ExpectInvalid(Parse(input + "1234", std::to_string(input.size())),
                "binary_data_size is 8 but only 4 bytes", "binary data shorter than declared");
  ExpectInvalid(Parse(input + std::string(9, 'x'), std::to_string(input.size())),
                "1 bytes of binary data beyond", "binary data longer than declared");
  const std::string huge = R"({"inputs": [{"name": "I", "datatype": "BYTES", "shape": [1],
                               "parameters": {"binary_data_size": 18446744073709551615}}]})";
  ExpectInvalid(Parse(huge, std::to_string(huge.size())),
                "binary_data_size is 18446744073709551615 but only 0 bytes", "huge binary size");
  ExpectInvalid(Parse(R"({"inputs": [{"name": "I", "datatype": "BYTES", "shape": [1],
                                      "parameters": {"binary_data_size": -1}}]})",
                      std::string("0")),
                "not valid JSON", "header length 0");
  ExpectInvalid(Parse(R"({"inputs": [{"name": "R", "datatype": "INT32", "shape": [1],
                                      "data": [1.5]}]})"),
                "not an integer the datatype holds", "fraction for INT32");
  ExpectInvalid(Parse(R"({"inputs": [{"name": "R", "datatype": "UINT8", "shape": [1],
                                      "data": [256]}]})"),
                "not an integer the datatype holds", "256 for UINT8");
  ExpectInvalid(Parse(R"({"inputs": [{"name": "R", "datatype": "FP32", "shape": [1],
                                      "data": ["a"]}]})"),
                "not a number", "string for FP32");
  ExpectInvalid(Parse(R"({"inputs": [{"name": "R", "datatype": "COMPLEX", "shape": [1],
                                      "data": [1]}]})"),
                "datatype 'COMPLEX'", "unknown datatype");
  ExpectInvalid(Parse(R"({"inputs": [{"name": "R", "datatype": "INT32", "shape": [1]}]})"),
                "neither 'data' nor binary_data_size", "no data");
  ExpectInvalid(Parse(R"({"inputs": [{"name": "R", "datatype": "INT32", "shape": [1.5],
                                      "data": [1]}]})"),
                "'shape' holds a value that is not an integer", "fractional shape");
  ExpectInvalid(Parse(R"({"inputs": [{"datatype": "INT32", "shape": [1], "data": [1]}]})"),
                "needs 'name'", "no name");
  ExpectInvalid(Parse(R"({"inputs": [], "outputs": [{"name": "o",
                                      "parameters": {"binary_data": "yes"}}]})"),
                "'binary_data' is not a boolean", "binary_data not a boolean");
  ExpectInvalid(Parse(R"({"inputs": [], "parameters": {"p": [1]}})"),
                "parameter 'p' is not a string", "list parameter");
}

TEST(HttpConvert, DataBeyondTheLimitIsRefusedWhileEncoding) {
  // 300000 FP32 elements are 1.2 MB encoded, beyond the 1 MiB limit, though the JSON is 600 kB.
  std::string data = "0";
  for (int i = 1; i < 300000; ++i) data += ",0";
  ExpectInvalid(Parse(R"({"inputs": [{"name": "F", "datatype": "FP32", "shape": [300000],
                                      "data": [)" + data + "]}]}"),
                "more than the message limit", "FP32 data beyond the limit");
}

TEST(HttpConvert, ResponseHasJsonHeaderThenRawOutputsInOrder) {
  InferRequest parsed;
  parsed.binary_outputs = {true, false};
  inference::ModelInferResponse response;
  response.set_model_name("m");
  response.set_model_version("1");
  response.set_id("r1");
  (*response.mutable_parameters())["target"].set_string_param("board");
  auto* y = response.add_outputs();
  y->set_name("y");
  y->set_datatype("UINT8");
  y->add_shape(3);
  response.add_raw_output_contents("\x01\x02\xff");
  auto* f = response.add_outputs();
  f->set_name("f");
  f->set_datatype("FP32");
  f->add_shape(1);
  response.add_raw_output_contents(Le32(0x3f000000u));
  const absl::StatusOr<Body> body = RenderInferResponse(parsed, response);
  ASSERT_TRUE(body.ok()) << body.status();
  const std::string header =
      R"({"id":"r1","model_name":"m","model_version":"1","outputs":[{"datatype":"UINT8",)"
      R"("name":"y","parameters":{"binary_data_size":3},"shape":[3]},{"data":[0.5],)"
      R"("datatype":"FP32","name":"f","shape":[1]}],"parameters":{"target":"board"}})";
  ASSERT_TRUE(body->header_length.has_value());
  EXPECT_EQ(*body->header_length, header.size());
  EXPECT_EQ(body->bytes, header + "\x01\x02\xff");

  parsed.binary_outputs = {false, false};
  const absl::StatusOr<Body> json = RenderInferResponse(parsed, response);
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_FALSE(json->header_length.has_value());
  EXPECT_THAT(json->bytes, HasSubstr(R"("data":[1,2,255])"));
}

TEST(HttpConvert, StatusCodesFollowTheProtocol) {
  EXPECT_EQ(HttpStatusOf(absl::InvalidArgumentError("x")), 400);
  EXPECT_EQ(HttpStatusOf(absl::FailedPreconditionError("x")), 400);
  EXPECT_EQ(HttpStatusOf(absl::UnauthenticatedError("x")), 401);
  EXPECT_EQ(HttpStatusOf(absl::NotFoundError("x")), 404);
  EXPECT_EQ(HttpStatusOf(absl::ResourceExhaustedError("x")), 429);
  EXPECT_EQ(HttpStatusOf(absl::UnavailableError("x")), 503);
  EXPECT_EQ(HttpStatusOf(absl::InternalError("x")), 500);
  EXPECT_EQ(ErrorBody(absl::NotFoundError("model 'q' not found")),
            R"({"error":"model 'q' not found"})");
}

}  // namespace
}  // namespace hbprep::http
