// `hbprep --server` against a hostile server: a proxy in front of the real one that rewrites
// its answers. Nothing the server sends may be written before it matches the plan.
#include "client/remote.h"

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "client/cli.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/server_builder.h"
#include "gtest/gtest.h"
#include "hbprep/npy.h"
#include "hbprep/v1/hbprep.grpc.pb.h"
#include "nlohmann/json.hpp"
#include "opencv2/core.hpp"
#include "opencv2/imgcodecs.hpp"
#include "server/server.h"
#include "spdlog/spdlog.h"
#include "tests/testing/cli.h"
#include "tests/testing/example_repository.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace hbprep {
namespace {

namespace fs = std::filesystem;
using ::hbprep::testing::Cli;
using ::hbprep::testing::CliResult;
using ::hbprep::testing::kModels;
using ::hbprep::testing::Read;
using ::hbprep::testing::TempDir;

// Forwards to the real service and lets a test rewrite the answers.
class Hostile final : public v1::InputAdapter::Service {
 public:
  explicit Hostile(const std::shared_ptr<grpc::Channel>& real)
      : real_(v1::InputAdapter::NewStub(real)) {}

  std::function<void(v1::DescribeModelResponse*)> on_describe;
  std::function<void(v1::PrepareResponse*)> on_prepare;

  grpc::Status DescribeModel(grpc::ServerContext*, const v1::DescribeModelRequest* request,
                             v1::DescribeModelResponse* response) override {
    grpc::ClientContext context;
    grpc::Status status = real_->DescribeModel(&context, *request, response);
    if (status.ok() && on_describe) on_describe(response);
    return status;
  }
  grpc::Status Prepare(grpc::ServerContext*, const v1::PrepareRequest* request,
                       v1::PrepareResponse* response) override {
    grpc::ClientContext context;
    grpc::Status status = real_->Prepare(&context, *request, response);
    if (status.ok() && on_prepare) on_prepare(response);
    return status;
  }

 private:
  std::unique_ptr<v1::InputAdapter::Stub> real_;
};

class HostileServer : public ::testing::Test {
 protected:
  void SetUp() override {
    spdlog::set_level(spdlog::level::warn);
    fs::copy(kModels, models_.path(),
             fs::copy_options::recursive | fs::copy_options::overwrite_existing);
    // A repository model whose input is named like an absolute path of the client's.
    models_.Write("absname.yaml",
                  "model_parameters: {march: nash-e}\n"
                  "input_parameters:\n"
                  "  input_name: '" +
                      work_.path() +
                      "/abs_x'\n"
                      "  input_type_train: featuremap\n  input_type_rt: featuremap\n"
                      "  input_layout_train: NCHW\n  input_shape: 1x4\n");
    ServerOptions options;
    options.listen = {};
    options.models_dir = models_.path();
    options.workers = 1;
    options.reload_poll = std::chrono::milliseconds(0);
    real_ = std::make_unique<Server>(options);
    ASSERT_TRUE(real_->Start().ok());
    hostile_ = std::make_unique<Hostile>(real_->grpc_server()->InProcessChannel({}));
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(hostile_.get());
    proxy_ = builder.BuildAndStart();
    ASSERT_NE(proxy_, nullptr);
    cv::Mat image(48, 64, CV_8UC3);
    cv::randu(image, 0, 256);
    image_ = work_.path() + "/scene.png";
    cv::imwrite(image_, image);
    out_ = work_.path() + "/out";
  }
  void TearDown() override {
    proxy_->Shutdown();
    real_->Stop();
  }

  CliResult Prepare(const std::string& model = "det_resizer") {
    return Cli({"prepare", "--server", absl::StrCat("127.0.0.1:", port_), "--model", model,
                "--format", "bin", "--out", out_, image_});
  }
  // Nothing but the image in the work folder: no output, no staging folder, no escaped file.
  std::set<std::string> WorkFiles() const {
    std::set<std::string> files;
    for (const auto& entry : fs::recursive_directory_iterator(work_.path())) {
      files.insert(fs::relative(entry.path(), work_.path()).string());
    }
    return files;
  }

  TempDir models_, work_;
  std::unique_ptr<Server> real_;
  std::unique_ptr<Hostile> hostile_;
  std::unique_ptr<grpc::Server> proxy_;
  int port_ = 0;
  std::string image_, out_;
};

TEST_F(HostileServer, AnHonestAnswerIsWritten) {
  CliResult run = Prepare();
  ASSERT_EQ(run.status, kExitOk) << run.err;
  EXPECT_EQ(WorkFiles(),
            (std::set<std::string>{"scene.png", "out", "out/manifest.json", "out/data_y.npy",
                                   "out/data_y.bin", "out/data_uv.npy", "out/data_uv.bin",
                                   "out/data_roi.npy", "out/data_roi.txt"}));
  EXPECT_EQ(Read(out_ + "/data_roi.txt"), "0 0 63 47\n");
}

struct Rewrite {
  std::function<void(v1::PrepareResponse*)> prepare;
  std::string message;
};

TEST_F(HostileServer, AnswersThatDisagreeWithThePlanAreRefusedBeforeAnythingIsWritten) {
  const std::vector<Rewrite> rewrites = {
      {[](v1::PrepareResponse* r) { r->mutable_tensors(0)->set_name("../../x"); },
       "server sent tensor '../../x' where the plan has 'data_y'"},
      {[](v1::PrepareResponse* r) {
         r->mutable_tensors(0)->mutable_strides()->Set(0, 16);
         r->mutable_tensors(0)->mutable_strides()->Set(1, 64);
       },
       "server sent tensor 'data_y': strides 16,64,1,1 do not fit shape 1x48x64x1: image stride "
       "16 is below the image's 3072 bytes"},
      {[](v1::PrepareResponse* r) { r->mutable_tensors(2)->clear_data(); },
       "server sent tensor 'data_roi' with 0 data bytes, its shape 1x4 (int32) holds 16"},
      {[](v1::PrepareResponse* r) {
         std::string* data = r->mutable_tensors(0)->mutable_data();
         data->pop_back();
       },
       "server sent tensor 'data_y' with 3071 data bytes, its shape 1x48x64x1 (uint8) holds 3072"},
      {[](v1::PrepareResponse* r) { r->mutable_tensors(0)->set_dtype(v1::DATA_TYPE_INT32); },
       "server sent tensor 'data_y' with dtype int32, the plan has uint8"},
      {[](v1::PrepareResponse* r) {
         r->mutable_tensors(0)->set_dtype(static_cast<v1::DataType>(99));
       },
       "server sent tensor 'data_y' with unknown dtype 99"},
      {[](v1::PrepareResponse* r) { *r->add_tensors() = r->tensors(0); },
       "server sent 4 tensor(s), the plan of model 'det_resizer' has 3"},
      {[](v1::PrepareResponse* r) { r->mutable_tensors()->RemoveLast(); },
       "server sent 2 tensor(s), the plan of model 'det_resizer' has 3"},
      {[](v1::PrepareResponse* r) { r->mutable_tensors(2)->mutable_shape()->Set(1, 8); },
       "server sent tensor 'data_roi' with shape 1x8, the plan has 1x4"},
      {[](v1::PrepareResponse* r) { r->mutable_tensors(2)->mutable_strides()->Set(0, 32); },
       "server sent tensor 'data_roi' with strides [32,4], the plan has [16,4]"},
      {[](v1::PrepareResponse* r) { r->mutable_tensors(1)->mutable_shape()->Set(3, 1); },
       "server sent tensor 'data_uv' with shape 1x24x32x1, the plan has 1x-1x-1x2"},
      {[](v1::PrepareResponse* r) { r->mutable_tensors(1)->set_role(v1::ROLE_Y); },
       "server sent tensor 'data_uv' with role y, the plan has uv"},
      {[](v1::PrepareResponse* r) { r->mutable_tensors(0)->set_layout(v1::LAYOUT_NCHW); },
       "server sent tensor 'data_y' with layout NCHW, the plan has NHWC"},
      {[](v1::PrepareResponse* r) { r->mutable_tensors(0)->set_input("other"); },
       "server sent tensor 'data_y' with input other, the plan has data"},
      {[](v1::PrepareResponse* r) { r->mutable_tensors(0)->mutable_dense_shape()->Set(1, 24); },
       "server sent tensor 'data_y' with dense shape 1x24x64x1, the plan has 1x48x64x1"},
      {[](v1::PrepareResponse* r) {
         r->mutable_tensors(0)->mutable_strides()->Set(0, int64_t{1} << 31);
       },
       "server sent tensor 'data_y' whose board layout [2147483648,64,1,1] takes 2147483648 "
       "bytes, over 1073741824"},
  };
  for (const Rewrite& rewrite : rewrites) {
    hostile_->on_prepare = rewrite.prepare;
    CliResult run = Prepare();
    EXPECT_EQ(run.status, kExitFailed) << rewrite.message;
    EXPECT_EQ(run.err, "hbprep: " + rewrite.message + "\n");
    EXPECT_EQ(WorkFiles(), std::set<std::string>{"scene.png"}) << rewrite.message;
  }
}

TEST_F(HostileServer, PlansThatCannotBeWrittenAreRefused) {
  // Two tensors of one name: exit 2, as for a local descriptor.
  hostile_->on_describe = [](v1::DescribeModelResponse* r) {
    r->mutable_tensors(1)->set_name("data_y");
  };
  CliResult duplicate = Prepare();
  EXPECT_EQ(duplicate.status, kExitUsage);
  EXPECT_EQ(duplicate.err,
            "hbprep: model 'det_resizer': tensor 'data_y' of input 'data' and tensor 'data_y' of "
            "input 'data' have the same name; their files would collide\nrun 'hbprep help' for "
            "usage\n");
  hostile_->on_describe = [](v1::DescribeModelResponse* r) {
    r->mutable_tensors(0)->mutable_shape()->Set(1, 0);
  };
  CliResult shape = Prepare();
  EXPECT_EQ(shape.status, kExitUsage);
  EXPECT_EQ(shape.err, "hbprep: server sent tensor 'data_y' with shape [1,0,-1,1]\n");
  hostile_->on_describe = [](v1::DescribeModelResponse* r) {
    r->mutable_tensors(0)->mutable_strides()->RemoveLast();
  };
  CliResult strides = Prepare();
  EXPECT_EQ(strides.status, kExitUsage);
  EXPECT_EQ(strides.err,
            "hbprep: server sent tensor 'data_y' with strides [-1,-1,1] for shape [1,-1,-1,1]\n");
  EXPECT_EQ(WorkFiles(), std::set<std::string>{"scene.png"});
}

TEST_F(HostileServer, NamesThatArePathsStayInsideOut) {
  // The server names its tensors like paths, in the plan and the answer alike.
  hostile_->on_describe = [](v1::DescribeModelResponse* r) {
    r->mutable_tensors(0)->set_name("../../x");
  };
  hostile_->on_prepare = [](v1::PrepareResponse* r) { r->mutable_tensors(0)->set_name("../../x"); };
  out_ = work_.path() + "/a/out";  // ../../x.npy would be the work folder's x.npy
  CliResult run = Prepare();
  ASSERT_EQ(run.status, kExitOk) << run.err;
  EXPECT_TRUE(fs::exists(out_ + "/%2E.%2F..%2Fx.npy"));
  EXPECT_TRUE(fs::exists(out_ + "/%2E.%2F..%2Fx.bin"));
  EXPECT_FALSE(fs::exists(work_.path() + "/x.npy"));
  EXPECT_FALSE(fs::exists(work_.path() + "/x.bin"));
  // A repository model whose input is named like an absolute path on the client.
  hostile_->on_describe = nullptr;
  hostile_->on_prepare = nullptr;
  const std::vector<float> values = {1, 2, 3, 4};
  const std::string feature = work_.Write(
      "f.npy",
      EncodeNpy(DType::kFloat32, {1, 4}, {reinterpret_cast<const uint8_t*>(values.data()), 16}));
  CliResult abs = Cli({"prepare", "--server", absl::StrCat("127.0.0.1:", port_), "--model",
                       "absname", "--out", out_, feature});
  ASSERT_EQ(abs.status, kExitOk) << abs.err;
  EXPECT_FALSE(fs::exists(work_.path() + "/abs_x.npy"));
  const std::string file = absl::StrReplaceAll(work_.path(), {{"/", "%2F"}}) + "%2Fabs_x.npy";
  EXPECT_TRUE(fs::exists(out_ + "/" + file));
  const nlohmann::json manifest = nlohmann::json::parse(Read(out_ + "/manifest.json"));
  EXPECT_EQ(manifest["tensors"][0]["name"], work_.path() + "/abs_x");
  EXPECT_EQ(manifest["tensors"][0]["file"], file);
}

// The check itself, without a server: --dtype uint8 calibration data is uint8, dense.
TEST(CheckPreparedAgainstPlan, Uint8CalibrationDataIsWhatWasAsked) {
  Plan plan;
  plan.model = "m";
  TensorSpec& spec = plan.tensors.emplace_back();
  spec.name = "images";
  spec.input = "images";
  spec.adapter = AdapterKind::kFloatImage;
  spec.dtype = DType::kFloat32;
  spec.shape = {1, 3, 2, 2};
  spec.strides = DenseStrides(spec.shape, DType::kFloat32);
  spec.layout = TensorLayout::kNCHW;
  Prepared got;
  Tensor& tensor = got.tensors.emplace_back();
  tensor.spec = spec;
  tensor.spec.dtype = DType::kUint8;
  tensor.spec.strides = {12, 4, 2, 1};
  tensor.dense_shape = spec.shape;
  tensor.data.assign(12, 0);
  PrepareOptions options;
  EXPECT_THAT(CheckPreparedAgainstPlan(plan, options, got),
              ::hbprep::testing::StatusIs(
                  absl::StatusCode::kInvalidArgument,
                  "server sent tensor 'images' with dtype uint8, the plan has float32"));
  options.float_as_uint8 = true;
  EXPECT_THAT(CheckPreparedAgainstPlan(plan, options, got), ::hbprep::testing::IsOk());
}

}  // namespace
}  // namespace hbprep
