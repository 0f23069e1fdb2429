// The Open Inference Protocol service (inference.GRPCInferenceService) through an in-process
// channel of the real Server, held against hbprep.v1's Prepare on the same server.
#include <chrono>
#include <cmath>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "hbprep/engine.h"
#include "hbprep/npy.h"
#include "hbprep/v1/hbprep.grpc.pb.h"
#include "inference/grpc_predict_v2.grpc.pb.h"
#include "nlohmann/json.hpp"
#include "opencv2/core.hpp"
#include "opencv2/imgcodecs.hpp"
#include "server/oip_convert.h"
#include "server/server.h"
#include "spdlog/spdlog.h"
#include "tests/testing/example_repository.h"

namespace hbprep {
namespace {

using ::hbprep::testing::kModels;
using ::hbprep::testing::kScene;
using ::inference::ModelInferRequest;
using ::inference::ModelInferResponse;
using ::testing::ElementsAre;

// The protocol's binary form of a BYTES tensor, written here independently of the server.
std::string Serialize(const std::vector<std::string>& elements) {
  std::string out;
  for (const std::string& element : elements) {
    const uint32_t length = static_cast<uint32_t>(element.size());
    for (int shift = 0; shift < 32; shift += 8) out.push_back(static_cast<char>(length >> shift));
    out += element;
  }
  return out;
}

// An encoded photo-like image of its own per seed, so that batch items differ.
std::string Jpeg(int seed, int width = 400, int height = 300) {
  cv::Mat image(height, width, CV_8UC3);
  cv::RNG rng(seed);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      image.at<cv::Vec3b>(y, x) = cv::Vec3b(static_cast<uint8_t>((x + seed * 17) & 255),
                                            static_cast<uint8_t>((y * 2 + seed) & 255),
                                            static_cast<uint8_t>(rng.uniform(0, 256)));
    }
  }
  std::vector<uint8_t> bytes;
  cv::imencode(".jpg", image, bytes, {cv::IMWRITE_JPEG_QUALITY, 90});
  return std::string(bytes.begin(), bytes.end());
}

class OipTest : public ::testing::Test {
 protected:
  void SetUp() override { Start(""); }
  void TearDown() override { server_->Stop(); }

  void Start(const std::string& token) {
    spdlog::set_level(spdlog::level::warn);
    if (server_) server_->Stop();
    ServerOptions options;
    options.listen = {};  // in-process channel only
    options.models_dir = kModels;
    options.workers = 2;
    options.reload_poll = std::chrono::milliseconds(0);
    options.auth_token = token;
    server_ = std::make_unique<Server>(options);
    ASSERT_TRUE(server_->Start().ok());
    grpc::ChannelArguments arguments;
    arguments.SetMaxReceiveMessageSize(64 << 20);  // eight float32 224x224 images: 4.8 MB
    channel_ = server_->grpc_server()->InProcessChannel(arguments);
    oip_ = inference::GRPCInferenceService::NewStub(channel_);
    native_ = v1::InputAdapter::NewStub(channel_);
  }

  grpc::Status Infer(const ModelInferRequest& request, ModelInferResponse* response,
                     const std::string& token = "") {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
    return oip_->ModelInfer(&context, request, response);
  }

  grpc::Status Prepare(const v1::PrepareRequest& request, v1::PrepareResponse* response) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    return native_->Prepare(&context, request, response);
  }

  // An infer request of `model` with the images in IMAGE, in raw_input_contents.
  static ModelInferRequest Request(const std::string& model,
                                   const std::vector<std::string>& images) {
    ModelInferRequest request;
    request.set_model_name(model);
    auto* input = request.add_inputs();
    input->set_name("IMAGE");
    input->set_datatype("BYTES");
    input->add_shape(static_cast<int64_t>(images.size()));
    request.add_raw_input_contents(Serialize(images));
    return request;
  }

  std::unique_ptr<Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<inference::GRPCInferenceService::Stub> oip_;
  std::unique_ptr<v1::InputAdapter::Stub> native_;
};

TEST(OipConvert, SplitsLengthPrefixedElementsAndRefusesTruncatedOnes) {
  const std::string raw = Serialize({"ab", "", std::string(300, 'x')});
  absl::StatusOr<std::vector<absl::string_view>> elements = oip::SplitBytesElements(raw, "t", 3);
  ASSERT_TRUE(elements.ok());
  EXPECT_THAT(*elements, ElementsAre("ab", "", std::string(300, 'x')));
  EXPECT_TRUE(oip::SplitBytesElements("", "t", 3)->empty());
  EXPECT_EQ(oip::SplitBytesElements(raw.substr(0, raw.size() - 1), "t", 3).status().message(),
            "t: element 2 declares 300 bytes but 299 follow");
  EXPECT_EQ(oip::SplitBytesElements(raw.substr(0, 8), "t", 3).status().message(),
            "t: element 1 at byte 6 is cut off in its 4-byte length prefix (2 byte(s) left)");
  EXPECT_EQ(oip::SplitBytesElements(std::string("\xff\xff\xff\xff", 4), "t", 3).status().message(),
            "t: element 0 declares 4294967295 bytes but 0 follow");
  // No more elements are indexed than the caller expects.
  EXPECT_EQ(oip::SplitBytesElements(std::string(4000, '\0'), "t", 2).status().message(),
            "t: more than the 2 element(s) expected");
}

TEST(OipConvert, RefusesModelsWhoseFeaturemapTakesAReservedName) {
  absl::StatusOr<Descriptor> model = ParseDescriptor(
      "model_parameters: {march: nash-e}\ninput_parameters:\n  input_name: 'cam; ROI'\n"
      "  input_type_train: 'bgr; featuremap'\n  input_layout_train: 'NCHW; NCHW'\n"
      "  input_type_rt: 'bgr; featuremap'\n  input_shape: '1x3x16x16; 1x4x2x2'\n",
      "odd", {}, nullptr);
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ(oip::CheckServable(*model).message(),
            "model 'odd': featuremap input 'ROI' has a name the Open Inference Protocol mapping "
            "reserves (IMAGE, ROI); rename it to serve the model here");
  ModelInferRequest request;
  EXPECT_EQ(oip::FromInferRequest(request, *model).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(OipTest, HealthAndMetadata) {
  grpc::ClientContext live_context, ready_context, server_context;
  inference::ServerLiveResponse live;
  ASSERT_TRUE(oip_->ServerLive(&live_context, {}, &live).ok());
  EXPECT_TRUE(live.live());
  inference::ServerReadyResponse ready;
  ASSERT_TRUE(oip_->ServerReady(&ready_context, {}, &ready).ok());
  EXPECT_TRUE(ready.ready());
  inference::ServerMetadataResponse server;
  ASSERT_TRUE(oip_->ServerMetadata(&server_context, {}, &server).ok());
  EXPECT_EQ(server.name(), "hbprep");
  EXPECT_EQ(server.version(), LibraryVersions().front().second);
  EXPECT_THAT(server.extensions(), ElementsAre("parameters"));

  auto model_ready = [&](const std::string& name, const std::string& version) {
    grpc::ClientContext context;
    inference::ModelReadyRequest request;
    request.set_name(name);
    request.set_version(version);
    inference::ModelReadyResponse response;
    EXPECT_TRUE(oip_->ModelReady(&context, request, &response).ok());
    return response.ready();
  };
  EXPECT_TRUE(model_ready("cls_pyramid", ""));
  EXPECT_TRUE(model_ready("cls_pyramid", "1"));
  EXPECT_FALSE(model_ready("cls_pyramid", "2"));
  EXPECT_FALSE(model_ready("nope", ""));

  // grpc.health.v1 knows the service by its name.
  auto health = grpc::health::v1::Health::NewStub(channel_);
  grpc::ClientContext health_context;
  grpc::health::v1::HealthCheckRequest health_request;
  health_request.set_service("inference.GRPCInferenceService");
  grpc::health::v1::HealthCheckResponse status;
  ASSERT_TRUE(health->Check(&health_context, health_request, &status).ok());
  EXPECT_EQ(status.status(), grpc::health::v1::HealthCheckResponse::SERVING);
}

std::string MetadataText(const inference::ModelMetadataResponse& m) {
  std::string out = m.name() + " v" + m.versions(0) + " " + m.platform() + "\n";
  auto list = [&](const char* what, const auto& tensors) {
    for (const auto& t : tensors) {
      out += std::string(what) + " " + t.name() + " " + t.datatype() + " [";
      for (int i = 0; i < t.shape_size(); ++i) out += (i ? "," : "") + std::to_string(t.shape(i));
      out += "]\n";
    }
  };
  list("in", m.inputs());
  list("out", m.outputs());
  return out;
}

TEST_F(OipTest, ModelMetadataListsTheInputsAndTheBoardTensors) {
  auto metadata = [&](const std::string& name, const std::string& version,
                      inference::ModelMetadataResponse* response) {
    grpc::ClientContext context;
    inference::ModelMetadataRequest request;
    request.set_name(name);
    request.set_version(version);
    return oip_->ModelMetadata(&context, request, response);
  };
  inference::ModelMetadataResponse response;
  ASSERT_TRUE(metadata("det_resizer", "", &response).ok());
  EXPECT_EQ(MetadataText(response),
            "det_resizer v1 hbprep\n"
            "in IMAGE BYTES [-1]\n"
            "in ROI INT32 [-1,4]\n"
            "out data_y UINT8 [1,-1,-1,1]\n"
            "out data_uv UINT8 [1,-1,-1,2]\n"
            "out data_roi INT32 [1,4]\n");
  response.Clear();
  ASSERT_TRUE(metadata("fusion_multi", "1", &response).ok());
  EXPECT_EQ(MetadataText(response),
            "fusion_multi v1 hbprep\n"
            "in IMAGE BYTES [-1]\n"
            "in prior FP32 [1,64,8,8]\n"
            "out image INT8 [1,128,128,3]\n"
            "out prior INT16 [1,64,8,8]\n");
  response.Clear();
  ASSERT_TRUE(metadata("x5_ssd", "", &response).ok());
  EXPECT_EQ(MetadataText(response),  // OE 1.x packed NV12: Y rows then UV rows
            "x5_ssd v1 hbprep\nin IMAGE BYTES [-1]\nout data UINT8 [1,450,300]\n");

  response.Clear();
  grpc::Status status = metadata("nope", "", &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(status.error_message(),
            "model 'nope' is not in the repository (models: cls_batch8, cls_pyramid, "
            "det_resizer, fusion_multi, x5_ssd)");
  status = metadata("cls_pyramid", "2", &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(status.error_message(), "model 'cls_pyramid' has no version '2' (versions: 1)");
}

// Every example model, every target, both encodings of the inputs: the outputs are the
// native API's dense tensors, byte for byte, with the same names, shapes and types.
TEST_F(OipTest, EveryModelAndTargetMatchesTheNativeApi) {
  const std::map<v1::DataType, std::string> kTypes = {
      {v1::DATA_TYPE_UINT8, "UINT8"}, {v1::DATA_TYPE_INT8, "INT8"},
      {v1::DATA_TYPE_INT16, "INT16"}, {v1::DATA_TYPE_INT32, "INT32"},
      {v1::DATA_TYPE_FLOAT32, "FP32"}};
  const std::shared_ptr<const Repository> repository = server_->store().snapshot();
  int compared = 0;
  for (const auto& [name, model] : repository->models) {
    const Descriptor& descriptor = model.descriptor;
    for (const char* target : {"board", "calibration", "onnx"}) {
      for (bool raw : {true, false}) {
        SCOPED_TRACE(name + " " + target + (raw ? " raw" : " contents"));
        const Target engine_target = *ParseTarget(target);
        v1::PrepareRequest native;
        native.set_model_name(name);
        native.set_target(engine_target == Target::kBoard         ? v1::TARGET_BOARD
                          : engine_target == Target::kCalibration ? v1::TARGET_CALIBRATION
                                                                  : v1::TARGET_ONNX);
        ModelInferRequest request;
        request.set_model_name(name);
        request.set_id(name + target);
        (*request.mutable_parameters())["target"].set_string_param(target);
        std::vector<std::string> images;
        std::vector<int32_t> rois;
        std::map<int, std::vector<float>> features;
        int item = 0;
        for (int index : ImageBindings(descriptor, engine_target)) {
          const InputDescriptor& input = descriptor.inputs[index];
          v1::Image* image = native.add_images();
          if (input.is_image()) {
            images.push_back(Jpeg(item++));
            image->set_encoded(images.back());
            if (input.source == InputSource::kResizer && engine_target == Target::kBoard) {
              const int32_t roi[4] = {10, 20, 309, 219};
              rois.insert(rois.end(), roi, roi + 4);
              image->mutable_roi()->set_left(10);
              image->mutable_roi()->set_top(20);
              image->mutable_roi()->set_right(309);
              image->mutable_roi()->set_bottom(219);
            }
          } else {
            const std::vector<int64_t> shape =
                FeaturemapFileShape(descriptor, input, engine_target);
            int64_t count = 1;
            for (int64_t dim : shape) count *= dim;
            std::vector<float>& all = features[index];
            std::vector<float> values(count);
            for (int64_t i = 0; i < count; ++i) {
              values[i] = static_cast<float>(std::sin(0.37 * (i + all.size())) * 3.0);
            }
            all.insert(all.end(), values.begin(), values.end());
            image->set_feature(EncodeNpy(
                DType::kFloat32, shape,
                absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(values.data()),
                                    values.size() * sizeof(float))));
          }
        }
        auto add = [&](const std::string& input, const std::string& datatype,
                       std::vector<int64_t> shape) {
          auto* tensor = request.add_inputs();
          tensor->set_name(input);
          tensor->set_datatype(datatype);
          for (int64_t dim : shape) tensor->add_shape(dim);
          return tensor;
        };
        if (!images.empty()) {
          auto* tensor = add("IMAGE", "BYTES", {static_cast<int64_t>(images.size())});
          if (raw) {
            request.add_raw_input_contents(Serialize(images));
          } else {
            for (const std::string& image : images) tensor->mutable_contents()->add_bytes_contents(image);
          }
        }
        if (!rois.empty()) {
          auto* tensor = add("ROI", "INT32", {static_cast<int64_t>(rois.size() / 4), 4});
          if (raw) {
            request.add_raw_input_contents(std::string(reinterpret_cast<const char*>(rois.data()),
                                                       rois.size() * 4));
          } else {
            for (int32_t v : rois) tensor->mutable_contents()->add_int_contents(v);
          }
        }
        for (const auto& [index, values] : features) {
          std::vector<int64_t> shape =
              FeaturemapFileShape(descriptor, descriptor.inputs[index], engine_target);
          // The whole input: the files' shape with their items along the first dimension.
          int64_t per_row = 1;
          for (size_t d = 1; d < shape.size(); ++d) per_row *= shape[d];
          shape[0] = static_cast<int64_t>(values.size()) / per_row;
          auto* tensor = add(descriptor.inputs[index].name, "FP32", shape);
          if (raw) {
            request.add_raw_input_contents(std::string(
                reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float)));
          } else {
            for (float v : values) tensor->mutable_contents()->add_fp32_contents(v);
          }
        }

        v1::PrepareResponse expected;
        const grpc::Status native_status = Prepare(native, &expected);
        ASSERT_TRUE(native_status.ok()) << native_status.error_message();
        ModelInferResponse response;
        const grpc::Status status = Infer(request, &response);
        ASSERT_TRUE(status.ok()) << status.error_message();
        EXPECT_EQ(response.model_name(), name);
        EXPECT_EQ(response.model_version(), "1");
        EXPECT_EQ(response.id(), name + target);
        EXPECT_EQ(response.parameters().at("target").string_param(), target);
        EXPECT_EQ(response.parameters().at("descriptor_hash").string_param(),
                  expected.descriptor_hash());
        // The geometry parameter: the manifests' array, one entry per image of the request.
        const nlohmann::json geometry =
            nlohmann::json::parse(response.parameters().at("geometry").string_param());
        ASSERT_EQ(static_cast<int>(geometry.size()), expected.geometry_size());
        for (int g = 0; g < expected.geometry_size(); ++g) {
          if (!expected.geometry(g).valid()) {
            EXPECT_TRUE(geometry[g].is_null());
            continue;
          }
          EXPECT_EQ(geometry[g]["window"][0].get<double>(), expected.geometry(g).window_x());
          EXPECT_EQ(geometry[g]["scale"][1].get<double>(), expected.geometry(g).scale_y());
          EXPECT_EQ(geometry[g]["size"][0].get<int>(), expected.geometry(g).width());
        }
        ASSERT_EQ(response.outputs_size(), expected.tensors_size());
        ASSERT_EQ(response.raw_output_contents_size(), expected.tensors_size());
        for (int i = 0; i < expected.tensors_size(); ++i) {
          const v1::Tensor& want = expected.tensors(i);
          EXPECT_EQ(response.outputs(i).name(), want.name());
          EXPECT_EQ(response.outputs(i).datatype(), kTypes.at(want.dtype()));
          EXPECT_THAT(response.outputs(i).shape(), ::testing::ElementsAreArray(want.dense_shape()));
          EXPECT_TRUE(response.raw_output_contents(i) == want.data()) << want.name();
          ++compared;
        }
      }
    }
  }
  EXPECT_GE(compared, 60);
}

// A bad request gets the native API's code and message; an image is named as the protocol
// knows it (IMAGE[i]) where the native API says "image i".
TEST_F(OipTest, ErrorsHaveTheNativeCodesAndMessages) {
  struct Case {
    std::string what;
    ModelInferRequest request;
    grpc::StatusCode code;
    std::string message;
  };
  std::vector<Case> cases;
  auto add = [&](const std::string& what, ModelInferRequest request, grpc::StatusCode code,
                 const std::string& message) {
    cases.push_back({what, std::move(request), code, message});
  };
  const grpc::StatusCode kInvalid = grpc::StatusCode::INVALID_ARGUMENT;

  add("unknown model", Request("nope", {kScene}), grpc::StatusCode::NOT_FOUND,
      "model 'nope' is not in the repository (models: cls_batch8, cls_pyramid, det_resizer, "
      "fusion_multi, x5_ssd)");
  ModelInferRequest r = Request("cls_pyramid", {kScene});
  r.set_model_version("3");
  add("version", r, grpc::StatusCode::NOT_FOUND,
      "model 'cls_pyramid' has no version '3' (versions: 1)");
  add("undecodable", Request("cls_pyramid", {"not an image"}), kInvalid,
      "IMAGE[0]: not a supported image format (JPEG, PNG, BMP, WebP, TIFF)");
  add("count", Request("cls_pyramid", {kScene, kScene}), kInvalid,
      "input 'IMAGE' has 2 element(s) but model 'cls_pyramid' takes 1 image(s) per request for "
      "target board");
  add("no images", Request("cls_batch8", {}), kInvalid,
      "input 'IMAGE' has 0 element(s) but model 'cls_batch8' takes 8 image(s) per request for "
      "target board");
  r = Request("cls_pyramid", {kScene});
  r.mutable_inputs(0)->set_datatype("UINT8");
  add("datatype", r, kInvalid, "input 'IMAGE': datatype 'UINT8' is not BYTES");
  r = Request("cls_pyramid", {kScene, kScene});
  r.mutable_inputs(0)->set_shape(0, 1);
  add("shape count", r, kInvalid,
      "input 'IMAGE' raw data: more than the 1 element(s) expected");
  r = Request("cls_batch8", {kScene, kScene});
  r.mutable_inputs(0)->set_shape(0, 8);
  add("shape holds more", r, kInvalid,
      "input 'IMAGE': shape [8] holds 8 element(s) but raw_input_contents holds 2");
  r = Request("cls_pyramid", {kScene});
  r.mutable_inputs(0)->set_shape(0, -1);
  add("negative shape", r, kInvalid, "input 'IMAGE': shape [-1] is not a concrete tensor shape");
  r = Request("cls_batch8", {});
  r.mutable_inputs(0)->set_shape(0, int64_t{1} << 30);
  r.set_raw_input_contents(0, std::string(1 << 20, '\0'));  // 262,144 empty elements
  add("hostile count", r, kInvalid,
      "input 'IMAGE' has 1073741824 element(s) but model 'cls_batch8' takes 8 image(s) per "
      "request for target board");
  r = Request("cls_pyramid", {kScene});
  r.mutable_inputs(0)->add_shape(int64_t{1} << 40);
  r.mutable_inputs(0)->add_shape(int64_t{1} << 40);
  add("huge shape", r, kInvalid,
      "input 'IMAGE': shape [1, 1099511627776, 1099511627776] is not a concrete tensor shape");
  r = Request("cls_pyramid", {kScene});
  r.set_raw_input_contents(0, r.raw_input_contents(0).substr(0, 100));
  add("truncated", r, kInvalid,
      "input 'IMAGE' raw data: element 0 declares " + std::to_string(kScene.size()) +
          " bytes but 96 follow");
  r = Request("cls_pyramid", {kScene});
  r.add_raw_input_contents("x");
  add("raw count", r, kInvalid,
      "raw_input_contents has 2 entries for 1 input(s); it needs one per input");
  r = Request("cls_pyramid", {kScene});
  r.mutable_inputs(0)->mutable_contents()->add_bytes_contents(kScene);
  add("raw and contents", r, kInvalid,
      "input 'IMAGE' has contents while the request uses raw_input_contents");
  r = Request("cls_pyramid", {kScene});
  r.mutable_inputs(0)->set_name("INPUT0");
  add("unknown input", r, kInvalid,
      "input 'INPUT0' is not an input of model 'cls_pyramid' (inputs: IMAGE)");
  r = Request("cls_pyramid", {kScene});
  *r.add_inputs() = r.inputs(0);
  r.add_raw_input_contents(r.raw_input_contents(0));
  add("repeated input", r, kInvalid, "input 'IMAGE' is given more than once");
  r = Request("cls_pyramid", {kScene});
  (*r.mutable_parameters())["target"].set_string_param("bord");
  add("target", r, kInvalid,
      "parameter 'target' is 'bord', not one of board, calibration, onnx, oe1_float_onnx, "
      "oe1_quantized_onnx");
  r = Request("cls_pyramid", {kScene});
  (*r.mutable_parameters())["target"].set_int64_param(1);
  add("target type", r, kInvalid, "parameter 'target' must be a string_param, got int64_param");
  r = Request("cls_pyramid", {kScene});
  (*r.mutable_parameters())["nv12_recipe"].set_string_param("fast");
  add("recipe", r, kInvalid,
      "parameter 'nv12_recipe' is 'fast', not one of auto, calc, calc_f32, opencv");
  r = Request("cls_pyramid", {kScene});
  (*r.mutable_parameters())["descriptor_hash"].set_string_param("sha256:0000");
  add("pinned", r, grpc::StatusCode::FAILED_PRECONDITION, "");  // message checked below
  r = Request("cls_pyramid", {kScene});
  r.add_outputs()->set_name("images");
  add("unknown output", r, kInvalid,
      "output 'images' is not an output of model 'cls_pyramid' for target board (outputs: "
      "images_y, images_uv)");
  r = Request("cls_pyramid", {kScene});
  r.add_outputs()->set_name("images_y");
  r.add_outputs()->set_name("images_y");
  add("repeated output", r, kInvalid, "output 'images_y' is requested more than once");
  r = Request("cls_pyramid", {kScene});
  auto* classify = r.add_outputs();
  classify->set_name("images_y");
  (*classify->mutable_parameters())["classification"].set_int64_param(3);
  add("classification", r, kInvalid,
      "output 'images_y': parameter 'classification' is not supported (hbprep returns tensors, "
      "not classes)");

  // ROI: shape, and the engine's ROI rules with the native message.
  auto roi_request = [&](std::vector<int64_t> shape, std::vector<int32_t> values) {
    ModelInferRequest request = Request("det_resizer", {kScene});
    auto* roi = request.add_inputs();
    roi->set_name("ROI");
    roi->set_datatype("INT32");
    for (int64_t dim : shape) roi->add_shape(dim);
    request.add_raw_input_contents(
        std::string(reinterpret_cast<const char*>(values.data()), values.size() * 4));
    return request;
  };
  add("roi shape", roi_request({4}, {0, 0, 9, 9}), kInvalid,
      "input 'ROI': shape [4] is not [1, 4] (one left, top, right, bottom row per image of a "
      "resizer input)");
  r = roi_request({1, 4}, {0, 0, 9, 9});
  (*r.mutable_parameters())["target"].set_string_param("calibration");
  add("roi calibration", r, kInvalid,
      "input 'ROI': model 'det_resizer' has no resizer input for target calibration (ROIs "
      "belong to the board target's resizer inputs)");
  add("roi bytes", roi_request({1, 4}, {0, 0, 9}), kInvalid,
      "input 'ROI': shape [1, 4] needs 16 bytes of INT32 data, raw_input_contents holds 12");
  add("roi outside", roi_request({1, 4}, {0, 0, 640, 479}), kInvalid, "");  // native below
  r = roi_request({1, 4}, {0, 0, 99, 99});
  r.mutable_model_name()->assign("cls_pyramid");
  add("roi elsewhere", r, kInvalid,
      "input 'ROI' is not an input of model 'cls_pyramid' (inputs: IMAGE)");

  // Featuremap input.
  ModelInferRequest fusion = Request("fusion_multi", {kScene});
  add("missing featuremap", fusion, kInvalid,
      "model 'fusion_multi' needs input 'prior' (FP32 [1, 64, 8, 8]) for target board");
  auto* prior = fusion.add_inputs();
  prior->set_name("prior");
  prior->set_datatype("FP32");
  for (int64_t dim : {1, 64, 8, 4}) prior->add_shape(dim);
  fusion.add_raw_input_contents(std::string(64 * 8 * 4 * 4, '\0'));
  add("featuremap shape", fusion, kInvalid,
      "input 'prior': shape [1, 64, 8, 4] is not [1, 64, 8, 8] (target board)");
  fusion.mutable_inputs(1)->set_shape(3, 8);
  add("featuremap bytes", fusion, kInvalid,
      "input 'prior': shape [1, 64, 8, 8] needs 16384 bytes of FP32 data, raw_input_contents "
      "holds 8192");
  fusion.clear_raw_input_contents();
  fusion.mutable_inputs(0)->mutable_contents()->add_bytes_contents(kScene);
  fusion.mutable_inputs(1)->mutable_contents()->add_fp32_contents(1.0f);
  add("featuremap values", fusion, kInvalid,
      "input 'prior': shape [1, 64, 8, 8] needs 4096 value(s) in contents.fp32_contents, got 1");
  fusion.mutable_inputs(1)->set_datatype("FP16");
  add("featuremap datatype", fusion, kInvalid, "input 'prior': datatype 'FP16' is not FP32");

  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    ModelInferResponse response;
    const grpc::Status status = Infer(c.request, &response);
    EXPECT_EQ(status.error_code(), c.code);
    if (!c.message.empty()) {
      EXPECT_EQ(status.error_message(), c.message);
    }
  }

  // Where the engine decides, the native message, with the image named IMAGE[0].
  auto native_message = [&](v1::PrepareRequest request) {
    v1::PrepareResponse response;
    const grpc::Status status = Prepare(request, &response);
    std::string message = status.error_message();
    const std::string from = "image 0";
    if (message.compare(0, from.size(), from) == 0) message.replace(0, from.size(), "IMAGE[0]");
    return std::make_pair(status.error_code(), message);
  };
  v1::PrepareRequest pinned;
  pinned.set_model_name("cls_pyramid");
  pinned.add_images()->set_encoded(kScene);
  pinned.set_descriptor_hash("sha256:0000");
  v1::PrepareRequest outside;
  outside.set_model_name("det_resizer");
  v1::Image* image = outside.add_images();
  image->set_encoded(kScene);
  image->mutable_roi()->set_right(640);
  image->mutable_roi()->set_bottom(479);
  for (const auto& [what, native] :
       {std::make_pair(std::string("pinned"), pinned), std::make_pair(std::string("roi outside"), outside)}) {
    SCOPED_TRACE(what);
    const auto want = native_message(native);
    ASSERT_NE(want.first, grpc::StatusCode::OK);
    for (const Case& c : cases) {
      if (c.what != what) continue;
      ModelInferResponse response;
      const grpc::Status status = Infer(c.request, &response);
      EXPECT_EQ(status.error_code(), want.first);
      EXPECT_EQ(status.error_message(), want.second);
      EXPECT_THAT(status.error_message(), ::testing::HasSubstr(what == "pinned" ? "pinned to sha256:0000" : "IMAGE[0]: ROI 0,0,640,479"));
    }
  }
}

TEST_F(OipTest, RequestedOutputsUnknownParametersAndTheRecipe) {
  ModelInferRequest request = Request("cls_pyramid", {kScene});
  request.add_outputs()->set_name("images_uv");
  (*request.mutable_parameters())["priority"].set_int64_param(1);
  ModelInferResponse response;
  ASSERT_TRUE(Infer(request, &response).ok());
  ASSERT_EQ(response.outputs_size(), 1);
  EXPECT_EQ(response.outputs(0).name(), "images_uv");
  EXPECT_EQ(response.parameters().at("warnings").string_param(),
            "parameter 'priority' is not one hbprep reads (target, nv12_recipe, decode, "
            "descriptor_hash); ignored");

  // nv12_recipe as the native option: "opencv" gives the native opencv bytes, "auto" the
  // descriptor's own recipe.
  for (const auto& [name, recipe] : {std::make_pair("opencv", v1::NV12_RECIPE_OPENCV),
                                     std::make_pair("calc", v1::NV12_RECIPE_CALC),
                                     std::make_pair("auto", v1::NV12_RECIPE_AUTO)}) {
    SCOPED_TRACE(name);
    ModelInferRequest oip = Request("cls_pyramid", {kScene});
    (*oip.mutable_parameters())["nv12_recipe"].set_string_param(name);
    v1::PrepareRequest native;
    native.set_model_name("cls_pyramid");
    native.add_images()->set_encoded(kScene);
    native.mutable_options()->set_nv12_recipe(recipe);
    v1::PrepareResponse want;
    ASSERT_TRUE(Prepare(native, &want).ok());
    ModelInferResponse got;
    ASSERT_TRUE(Infer(oip, &got).ok());
    EXPECT_TRUE(got.raw_output_contents(1) == want.tensors(1).data());
  }
  // decode: the native option's bytes, and not exact mode's.
  {
    ModelInferRequest oip = Request("cls_pyramid", {kScene});
    (*oip.mutable_parameters())["decode"].set_string_param("fast");
    v1::PrepareRequest native;
    native.set_model_name("cls_pyramid");
    native.add_images()->set_encoded(kScene);
    native.mutable_options()->set_decode(v1::DECODE_MODE_FAST);
    v1::PrepareResponse want, exact;
    ASSERT_TRUE(Prepare(native, &want).ok());
    native.mutable_options()->set_decode(v1::DECODE_MODE_EXACT);
    ASSERT_TRUE(Prepare(native, &exact).ok());
    ModelInferResponse got;
    ASSERT_TRUE(Infer(oip, &got).ok());
    EXPECT_TRUE(got.raw_output_contents(0) == want.tensors(0).data());
    EXPECT_FALSE(got.raw_output_contents(0) == exact.tensors(0).data());
    (*oip.mutable_parameters())["decode"].set_string_param("slow");
    EXPECT_EQ(Infer(oip, &got).error_message(),
              "parameter 'decode' is 'slow', not one of exact, fast");
  }
  // The two recipes differ on this image, so the comparison above means something.
  ModelInferRequest opencv = Request("cls_pyramid", {kScene});
  (*opencv.mutable_parameters())["nv12_recipe"].set_string_param("opencv");
  ModelInferRequest calc = Request("cls_pyramid", {kScene});
  (*calc.mutable_parameters())["nv12_recipe"].set_string_param("calc");
  ModelInferResponse a, b;
  ASSERT_TRUE(Infer(opencv, &a).ok());
  ASSERT_TRUE(Infer(calc, &b).ok());
  EXPECT_FALSE(a.raw_output_contents(0) == b.raw_output_contents(0));
}

TEST_F(OipTest, StreamAnswersInOrderAndGoesOnAfterAnError) {
  grpc::ClientContext context;
  auto stream = oip_->ModelStreamInfer(&context);
  const std::vector<std::pair<std::string, std::string>> requests = {
      {"a", kScene}, {"b", "broken"}, {"c", kScene}};
  std::thread writer([&] {
    for (const auto& [id, image] : requests) {
      ModelInferRequest request = Request("cls_pyramid", {image});
      request.set_id(id);
      EXPECT_TRUE(stream->Write(request));
    }
    stream->WritesDone();
  });
  std::vector<std::string> ids, errors, codes;
  inference::ModelStreamInferResponse answer;
  ModelInferResponse unary;
  ASSERT_TRUE(Infer(Request("cls_pyramid", {kScene}), &unary).ok());
  while (stream->Read(&answer)) {
    ids.push_back(answer.infer_response().id());
    errors.push_back(answer.error_message());
    auto code = answer.infer_response().parameters().find("error_code");
    codes.push_back(code == answer.infer_response().parameters().end() ? ""
                                                                        : code->second.string_param());
    if (answer.error_message().empty()) {
      EXPECT_TRUE(answer.infer_response().raw_output_contents(0) == unary.raw_output_contents(0));
    }
  }
  writer.join();
  EXPECT_TRUE(stream->Finish().ok());
  EXPECT_THAT(ids, ElementsAre("a", "b", "c"));
  EXPECT_THAT(errors, ElementsAre("",
                                  "IMAGE[0]: not a supported image format (JPEG, PNG, BMP, WebP, "
                                  "TIFF)",
                                  ""));
  EXPECT_THAT(codes, ElementsAre("", "INVALID_ARGUMENT", ""));
}

TEST_F(OipTest, CallsAreCounted) {
  ModelInferResponse response;
  ASSERT_TRUE(Infer(Request("cls_pyramid", {kScene}), &response).ok());
  ASSERT_FALSE(Infer(Request("no such model", {kScene}), &response).ok());
  grpc::ClientContext context;
  inference::ServerLiveResponse live;
  ASSERT_TRUE(oip_->ServerLive(&context, {}, &live).ok());
  const std::string text = server_->RenderMetrics();
  for (const char* line :
       {"hbprep_requests_total{method=\"ModelInfer\",model=\"cls_pyramid\",target=\"board\","
        "code=\"OK\"} 1\n",
        // A name that is not a model never becomes a label.
        "hbprep_requests_total{method=\"ModelInfer\",model=\"unknown\",target=\"board\","
        "code=\"NOT_FOUND\"} 1\n",
        "hbprep_requests_total{method=\"ServerLive\",model=\"\",target=\"\",code=\"OK\"} 1\n"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line << text;
  }
}

TEST_F(OipTest, EveryCallButLiveAndReadyNeedsTheToken) {
  Start("s3cret");
  {
    grpc::ClientContext context;
    inference::ServerLiveResponse live;
    EXPECT_TRUE(oip_->ServerLive(&context, {}, &live).ok());
  }
  {
    grpc::ClientContext context;
    inference::ServerReadyResponse ready;
    EXPECT_TRUE(oip_->ServerReady(&context, {}, &ready).ok());
    EXPECT_TRUE(ready.ready());
  }
  auto check = [](const grpc::Status& status) {
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
    EXPECT_EQ(status.error_message(), "missing 'authorization: Bearer <token>' metadata");
  };
  {
    grpc::ClientContext context;
    inference::ModelReadyResponse response;
    check(oip_->ModelReady(&context, {}, &response));
  }
  {
    grpc::ClientContext context;
    inference::ServerMetadataResponse response;
    check(oip_->ServerMetadata(&context, {}, &response));
  }
  {
    grpc::ClientContext context;
    inference::ModelMetadataResponse response;
    check(oip_->ModelMetadata(&context, {}, &response));
  }
  ModelInferResponse response;
  check(Infer(Request("cls_pyramid", {kScene}), &response));
  EXPECT_EQ(Infer(Request("cls_pyramid", {kScene}), &response, "s3cre").error_message(),
            "wrong token");
  EXPECT_TRUE(Infer(Request("cls_pyramid", {kScene}), &response, "s3cret").ok());
  {
    grpc::ClientContext context;
    auto stream = oip_->ModelStreamInfer(&context);
    stream->Write(Request("cls_pyramid", {kScene}));
    stream->WritesDone();
    inference::ModelStreamInferResponse answer;
    EXPECT_FALSE(stream->Read(&answer));
    check(stream->Finish());
  }
}

}  // namespace
}  // namespace hbprep
