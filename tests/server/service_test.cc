// The service through an in-process channel: the real Server (store, pool, service) without
// sockets.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "gtest/gtest.h"
#include "hbprep/engine.h"
#include "hbprep/identity.h"
#include "hbprep/v1/hbprep.grpc.pb.h"
#include "opencv2/core.hpp"
#include "opencv2/imgcodecs.hpp"
#include "server/convert.h"
#include "server/model_store.h"
#include "server/server.h"
#include "server/worker_pool.h"
#include "spdlog/spdlog.h"
#include "tests/testing/descriptor_cases.h"
#include "tests/testing/example_repository.h"
#include "tests/testing/temp_dir.h"

namespace hbprep {
namespace {

namespace fs = std::filesystem;
using ::hbprep::testing::kModels;
using ::hbprep::testing::kScene;
using ::hbprep::testing::Read;
using ::hbprep::testing::TempDir;
using ::testing::ElementsAre;

class ServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    spdlog::set_level(spdlog::level::warn);  // the server logs each load at info
    fs::copy(kModels, models_.path(),
             fs::copy_options::recursive | fs::copy_options::overwrite_existing);
    ServerOptions options;
    options.listen = {};  // in-process channel only
    options.models_dir = models_.path();
    options.workers = 2;
    options.reload_poll = std::chrono::milliseconds(0);
    server_ = std::make_unique<Server>(options);
    ASSERT_TRUE(server_->Start().ok());
    stub_ = v1::InputAdapter::NewStub(server_->grpc_server()->InProcessChannel({}));
  }
  void TearDown() override { server_->Stop(); }

  grpc::Status Call(const v1::PrepareRequest& request, v1::PrepareResponse* response) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    return stub_->Prepare(&context, request, response);
  }

  static v1::PrepareRequest Request(const std::string& model, const std::string& image) {
    v1::PrepareRequest request;
    request.set_model_name(model);
    request.add_images()->set_encoded(image);
    return request;
  }

  TempDir models_;
  std::unique_ptr<Server> server_;
  std::unique_ptr<v1::InputAdapter::Stub> stub_;
};

TEST_F(ServiceTest, PrepareReturnsTheEnginesBytes) {
  v1::PrepareResponse response;
  ASSERT_TRUE(Call(Request("cls_pyramid", kScene), &response).ok());
  absl::StatusOr<Descriptor> descriptor =
      LoadDescriptorFile(kModels + "/cls_pyramid.yaml", nullptr);
  ASSERT_TRUE(descriptor.ok());
  absl::StatusOr<Prepared> local = Prepare(*descriptor, {InputImage{"scene", kScene, {}, {}}}, {});
  ASSERT_TRUE(local.ok());
  ASSERT_EQ(response.tensors_size(), 2);
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(response.tensors(i).name(), local->tensors[i].spec.name);
    EXPECT_EQ(response.tensors(i).data(),
              std::string(local->tensors[i].data.begin(), local->tensors[i].data.end()));
  }
  EXPECT_EQ(response.descriptor_hash(), DescriptorHash(*descriptor));
  EXPECT_EQ(response.tensors(1).role(), v1::ROLE_UV);
  EXPECT_GT(response.timing().decode_us(), 0);
  EXPECT_GE(response.timing().total_us(), response.timing().decode_us());
}

TEST_F(ServiceTest, StridedPackingIsTheBoardLayout) {
  v1::PrepareRequest request = Request("x5_ssd", kScene);
  request.mutable_options()->set_packing(v1::PACKING_STRIDED);
  v1::PrepareResponse response;
  ASSERT_TRUE(Call(request, &response).ok());
  EXPECT_EQ(response.tensors(0).packing(), v1::PACKING_STRIDED);
  EXPECT_EQ(response.tensors(0).data().size(), 136800u);  // 450 rows of 304 bytes
}

TEST_F(ServiceTest, ErrorsMapToTheirCodesWithTheEnginesMessages) {
  v1::PrepareResponse response;
  grpc::Status status = Call(Request("nope", kScene), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(status.error_message(),
            "model 'nope' is not in the repository (models: cls_batch8, cls_pyramid, "
            "det_resizer, fusion_multi, x5_ssd)");

  status = Call(Request("cls_pyramid", "not an image"), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(),
            "image 0: not a supported image format (JPEG, PNG, BMP, WebP, TIFF)");

  v1::PrepareRequest pinned = Request("cls_pyramid", kScene);
  pinned.set_descriptor_hash("sha256:0000");
  status = Call(pinned, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(),
              ::testing::MatchesRegex("model 'cls_pyramid' has descriptor hash sha256:[0-9a-f]{64} "
                                      "but the request is pinned to sha256:0000"));

  v1::PrepareRequest none;
  status = Call(none, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(),
            "the request names no model: set model_name or inline_descriptor (yaml or "
            "structured)");

  v1::PrepareRequest raw = Request("cls_pyramid", "");
  raw.mutable_images(0)->mutable_raw()->set_width(4);
  status = Call(raw, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "image 0: raw.format 0 is not a pixel format");

  // A target this server does not know (a newer client's) is refused, not read as the board.
  v1::PrepareRequest future = Request("cls_pyramid", kScene);
  future.set_target(static_cast<v1::Target>(9));
  status = Call(future, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(),
            "target 9 is not one of board, calibration, onnx, oe1_float_onnx, oe1_quantized_onnx "
            "(TARGET_BOARD = 1 ... TARGET_OE1_QUANTIZED_ONNX = 5)");
}

// Finding 13 of issue 15: a client's name is escaped and cut wherever it is echoed, so it
// cannot forge log lines nor turn NOT_FOUND into RESOURCE_EXHAUSTED by its size.
TEST_F(ServiceTest, EchoedNamesAreEscapedAndCut) {
  v1::PrepareResponse response;
  grpc::Status status = Call(Request("x\n2026-01-01 info forged\x1b[2J", kScene), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(status.error_message(),
            "model 'x\\n2026-01-01 info forged\\x1b[2J' is not in the repository (models: "
            "cls_batch8, cls_pyramid, det_resizer, fusion_multi, x5_ssd)");
  status = Call(Request(std::string(1 << 20, 'n'), kScene), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(status.error_message(),
            "model '" + std::string(64, 'n') +
                "...(1048576 bytes)' is not in the repository (models: cls_batch8, cls_pyramid, "
                "det_resizer, fusion_multi, x5_ssd)");
}

TEST_F(ServiceTest, AnExpiredDeadlineIsDeadlineExceeded) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() - std::chrono::seconds(1));
  v1::PrepareResponse response;
  EXPECT_EQ(stub_->Prepare(&context, Request("cls_pyramid", kScene), &response).error_code(),
            grpc::StatusCode::DEADLINE_EXCEEDED);
}

TEST_F(ServiceTest, StructuredDescriptorsMeanTheSameAsYaml) {
  v1::PrepareRequest request;
  request.add_images()->set_encoded(kScene);
  v1::ModelDescriptor* inline_descriptor = request.mutable_inline_descriptor();
  inline_descriptor->set_name("cls_pyramid");
  v1::StructuredDescriptor* s = inline_descriptor->mutable_structured();
  s->set_march("nash-e");
  v1::InputParameters* input = s->add_inputs();
  input->set_name("images");
  input->set_type_train("rgb");
  input->set_layout_train("NCHW");
  input->set_type_rt("nv12");
  for (int64_t dim : {1, 3, 224, 224}) input->add_shape(dim);
  for (double mean : {123.675, 116.28, 103.53}) input->add_mean(mean);
  for (double std : {58.395, 57.12, 57.375}) input->add_std(std);
  v1::RecipeStep* step = input->add_recipe();
  step->set_step("ShortSideResize");
  step->add_size(256);
  step = input->add_recipe();
  step->set_step("CenterCrop");
  step->add_size(224);
  v1::PrepareResponse structured, named;
  ASSERT_TRUE(Call(request, &structured).ok()) << ToYaml(*s);
  ASSERT_TRUE(Call(Request("cls_pyramid", kScene), &named).ok());
  EXPECT_EQ(structured.descriptor_hash(), named.descriptor_hash());
  EXPECT_EQ(structured.tensors(0).data(), named.tensors(0).data());
  EXPECT_EQ(structured.tensors(1).data(), named.tensors(1).data());
}

TEST_F(ServiceTest, StreamAnswersInOrderAndGoesOnAfterAnError) {
  grpc::ClientContext context;
  auto stream = stub_->PrepareStream(&context);
  const std::vector<std::pair<std::string, std::string>> requests = {
      {"a", kScene}, {"b", "broken"}, {"c", kScene}};
  // Write from a thread of its own while this one reads, as a streaming client does.
  std::thread writer([&] {
    for (const auto& [id, image] : requests) {
      v1::PrepareRequest request = Request("cls_pyramid", image);
      request.set_request_id(id);
      EXPECT_TRUE(stream->Write(request));
    }
    stream->WritesDone();
  });
  std::vector<std::string> ids, errors;
  v1::PrepareResponse response;
  while (stream->Read(&response)) {
    ids.push_back(response.request_id());
    errors.push_back(response.has_error() ? response.error().message() : "");
    if (!response.has_error()) {
      EXPECT_EQ(response.tensors_size(), 2);
    }
  }
  writer.join();
  EXPECT_TRUE(stream->Finish().ok());
  EXPECT_THAT(ids, ElementsAre("a", "b", "c"));
  EXPECT_THAT(errors, ElementsAre("",
                                  "image 0: not a supported image format (JPEG, PNG, BMP, "
                                  "WebP, TIFF)",
                                  ""));
}

TEST_F(ServiceTest, StreamStopsOnErrorWhenAsked) {
  grpc::ClientContext context;
  auto stream = stub_->PrepareStream(&context);
  v1::PrepareRequest good = Request("cls_pyramid", kScene), bad = Request("cls_pyramid", "x");
  bad.mutable_options()->set_stop_stream_on_error(true);
  ASSERT_TRUE(stream->Write(good));
  v1::PrepareResponse response;
  ASSERT_TRUE(stream->Read(&response));
  ASSERT_TRUE(stream->Write(bad));
  EXPECT_FALSE(stream->Read(&response));
  const grpc::Status status = stream->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(ServiceTest, DescribeGivesThePlanAndTheBindings) {
  grpc::ClientContext context;
  v1::DescribeModelRequest request;
  request.set_model_name("fusion_multi");
  v1::DescribeModelResponse response;
  ASSERT_TRUE(stub_->DescribeModel(&context, request, &response).ok());
  EXPECT_EQ(response.march(), "nash-e");
  EXPECT_EQ(response.norm_type(), "data_mean_and_scale; no_preprocess");
  ASSERT_EQ(response.bindings_size(), 2);
  EXPECT_EQ(response.bindings(0).input(), "image");
  EXPECT_TRUE(response.bindings(0).image());
  EXPECT_FALSE(response.bindings(1).image());
  // The repository keeps fusion_multi.model_info.txt beside the yaml: the compiled model
  // takes the prior as int16 quantised by 2^-11.
  EXPECT_EQ(response.hrt_input_stride(), "--input_stride=\"49152,384,3,1;8192,128,16,2\"");
  EXPECT_EQ(response.model_info(), models_.path() + "/fusion_multi.model_info.txt");
  ASSERT_EQ(response.tensors_size(), 2);
  EXPECT_EQ(response.tensors(1).dtype(), v1::DATA_TYPE_INT16);
  ASSERT_TRUE(response.tensors(1).has_quantization());
  EXPECT_THAT(response.tensors(1).quantization().scale(), ElementsAre(0.00048828125f));
  EXPECT_THAT(response.tensors(1).quantization().zero_point(), ElementsAre(0));
  EXPECT_EQ(response.tensors(1).quantization().axis(), -1);
  EXPECT_FALSE(response.tensors(0).has_quantization());
  EXPECT_EQ(response.decode(), v1::DECODE_MODE_EXACT);

  // An inline descriptor that decodes fast says so, and its describe JSON too.
  std::string yaml = Read(kModels + "/cls_pyramid.yaml");
  yaml.replace(yaml.find("hbprep:\n"), 8, "hbprep:\n  decode: fast\n");
  grpc::ClientContext fast_context;
  v1::DescribeModelRequest fast;
  fast.mutable_inline_descriptor()->set_yaml(yaml);
  v1::DescribeModelResponse fast_response;
  ASSERT_TRUE(stub_->DescribeModel(&fast_context, fast, &fast_response).ok());
  EXPECT_EQ(fast_response.decode(), v1::DECODE_MODE_FAST);
  EXPECT_NE(fast_response.plan_json().find("\"decode\": \"fast\""), std::string::npos);
}

TEST_F(ServiceTest, ReloadServesNewModelsAndReportsBrokenFiles) {
  fs::copy_file(kModels + "/x5_ssd.yaml", models_.path() + "/x5_copy.yaml");
  std::ofstream(models_.path() + "/broken.yaml") << "model_parameters: [unclosed\n";
  EXPECT_TRUE(server_->ReloadNow());
  grpc::ClientContext context;
  v1::ListModelsResponse response;
  ASSERT_TRUE(stub_->ListModels(&context, {}, &response).ok());
  std::vector<std::string> names;
  for (const auto& model : response.models()) names.push_back(model.name());
  EXPECT_THAT(names, ElementsAre("cls_batch8", "cls_pyramid", "det_resizer", "fusion_multi",
                                 "x5_copy", "x5_ssd"));
  ASSERT_EQ(response.errors_size(), 1);
  EXPECT_THAT(response.errors(0),
              ::testing::StartsWith(models_.path() + "/broken.yaml: not valid yaml"));
  EXPECT_EQ(server_->store().reloads(), 1);
}

TEST(ModelStore, ReloadsOnlyWhatChangedAndKeepsGoodVersionsOfBrokenFiles) {
  TempDir dir;
  fs::copy_file(kModels + "/cls_pyramid.yaml", dir.path() + "/m.yaml");
  int loads = 0;
  ModelStore store(dir.path(), [&](const Repository&, bool) { ++loads; });
  ASSERT_TRUE(store.Load().ok());
  EXPECT_FALSE(store.Reload(/*force=*/false));  // nothing changed
  EXPECT_TRUE(store.Reload(/*force=*/true));
  const std::string hash = DescriptorHash(store.snapshot()->models.at("m").descriptor);
  std::ofstream(dir.path() + "/m.yaml", std::ios::app) << "\n  broken: [\n";
  EXPECT_FALSE(store.Reload(/*force=*/false));  // seen changed once: it may be half-written
  EXPECT_TRUE(store.Reload(/*force=*/false));   // the same twice: loaded
  std::shared_ptr<const Repository> snapshot = store.snapshot();
  ASSERT_EQ(snapshot->models.count("m"), 1u);
  EXPECT_EQ(DescriptorHash(snapshot->models.at("m").descriptor), hash);
  ASSERT_EQ(snapshot->errors.size(), 1u);
  EXPECT_THAT(snapshot->errors[0],
              ::testing::EndsWith(dir.path() + "/m.yaml: the previous version of model 'm' keeps "
                                               "serving"));
  EXPECT_EQ(loads, 3);
  EXPECT_EQ(store.reloads(), 2);
}

TEST(ModelStore, AModelInfoChangeReloadsAndABrokenOneKeepsThePreviousVersion) {
  TempDir dir;
  fs::copy_file(kModels + "/fusion_multi.yaml", dir.path() + "/m.yaml");
  ModelStore store(dir.path(), nullptr);
  ASSERT_TRUE(store.Load().ok());
  const std::string plain = DescriptorHash(store.snapshot()->models.at("m").descriptor);
  EXPECT_FALSE(store.snapshot()->models.at("m").descriptor.compiled);
  // A model info appears beside the yaml: noticed without a forced reload.
  fs::copy_file(kModels + "/fusion_multi.model_info.txt", dir.path() + "/m.model_info.txt");
  EXPECT_FALSE(store.Reload(/*force=*/false));
  EXPECT_TRUE(store.Reload(/*force=*/false));
  const Descriptor& with_info = store.snapshot()->models.at("m").descriptor;
  ASSERT_TRUE(with_info.compiled);
  const std::string compiled = DescriptorHash(with_info);
  EXPECT_NE(compiled, plain);
  // A model info that disagrees with the yaml: the previous version keeps serving.
  std::ofstream(dir.path() + "/m.model_info.txt", std::ios::app)
      << "\ninput[2]:\nname: extra\nvalid shape: (1)\ntensor type: HB_DNN_TENSOR_TYPE_F32\n";
  EXPECT_FALSE(store.Reload(/*force=*/false));
  EXPECT_TRUE(store.Reload(/*force=*/false));
  std::shared_ptr<const Repository> snapshot = store.snapshot();
  ASSERT_EQ(snapshot->models.count("m"), 1u);
  EXPECT_EQ(DescriptorHash(snapshot->models.at("m").descriptor), compiled);
  ASSERT_EQ(snapshot->errors.size(), 1u);
  EXPECT_EQ(snapshot->errors[0],
            dir.path() + "/m.yaml: " + dir.path() + "/m.model_info.txt: input[2] 'extra' of the "
            "compiled model is not in the yaml's board plan (image, prior)\n" + dir.path() +
            "/m.yaml: the previous version of model 'm' keeps serving");
}

// Finding 12 of issue 15: a file rewritten in place is loaded only once it stopped
// changing, never half-written (a prefix of a yaml often parses, as a different model).
TEST(ModelStore, AFileBeingWrittenIsLoadedOnlyOnceItStoppedChanging) {
  TempDir dir;
  const std::string full = Read(kModels + "/cls_pyramid.yaml");
  const std::string edited = absl::StrReplaceAll(full, {{"58.395", "60.5"}});
  ASSERT_NE(edited, full);
  std::ofstream(dir.path() + "/m.yaml") << full;
  ModelStore store(dir.path(), nullptr);
  ASSERT_TRUE(store.Load().ok());
  const std::string before = DescriptorHash(store.snapshot()->models.at("m").descriptor);
  // The writer has written the first half, in place (the half parses: no std_value yet).
  const size_t half = edited.find("  std_value");
  ASSERT_NE(half, std::string::npos);
  std::ofstream(dir.path() + "/m.yaml", std::ios::trunc) << edited.substr(0, half);
  EXPECT_FALSE(store.Reload(/*force=*/false));
  {
    std::ofstream more(dir.path() + "/m.yaml", std::ios::app);
    more << edited.substr(half, 20);  // the next chunk, before the next check
  }
  EXPECT_FALSE(store.Reload(/*force=*/false));  // changed again: still being written
  EXPECT_EQ(DescriptorHash(store.snapshot()->models.at("m").descriptor), before);
  std::ofstream(dir.path() + "/m.yaml", std::ios::app) << edited.substr(half + 20);
  EXPECT_FALSE(store.Reload(/*force=*/false));
  EXPECT_EQ(DescriptorHash(store.snapshot()->models.at("m").descriptor), before);
  EXPECT_TRUE(store.Reload(/*force=*/false));  // unchanged since the last check: complete
  absl::StatusOr<Descriptor> want = ParseDescriptor(edited, "m", ParseOptions{}, nullptr);
  ASSERT_TRUE(want.ok());
  EXPECT_EQ(DescriptorHash(store.snapshot()->models.at("m").descriptor), DescriptorHash(*want));
  EXPECT_EQ(store.snapshot()->errors.size(), 0u);
  EXPECT_EQ(store.reloads(), 1);
}

TEST(WorkerPool, RefusesBeyondItsQueueAndRunsEverythingAccepted) {
  WorkerPool pool(/*threads=*/1, /*queue_capacity=*/1);
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<void> started;
  std::atomic<int> ran{0};
  ASSERT_TRUE(pool.TrySubmit([&] {
    started.set_value();
    released.wait();
    ++ran;
  }));
  started.get_future().wait();  // the worker is busy now
  EXPECT_EQ(pool.running(), 1);
  EXPECT_TRUE(pool.TrySubmit([&] { ++ran; }));   // waits in the queue
  EXPECT_FALSE(pool.TrySubmit([&] { ++ran; }));  // the queue is full
  EXPECT_EQ(pool.queued(), 1);
  release.set_value();
  pool.Shutdown();
  EXPECT_EQ(ran.load(), 2);
  EXPECT_FALSE(pool.TrySubmit([] {}));  // stopped
}

}  // namespace
}  // namespace hbprep

namespace hbprep {
namespace {

// Reflection answers list_services; the request is written in protobuf's wire format by
// hand (field 7, list_services = ""), since Debian ships no generated reflection client.
TEST_F(ServiceTest, ReflectionListsTheServices) {
  grpc::GenericStub generic(server_->grpc_server()->InProcessChannel({}));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::CompletionQueue queue;
  auto call = generic.PrepareCall(
      &context, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", &queue);
  void* tag = nullptr;
  bool ok = false;
  call->StartCall(reinterpret_cast<void*>(1));
  ASSERT_TRUE(queue.Next(&tag, &ok) && ok);
  const char request[] = {0x3a, 0x00};
  grpc::Slice slice(request, sizeof(request));
  grpc::ByteBuffer buffer(&slice, 1);
  call->Write(buffer, reinterpret_cast<void*>(2));
  ASSERT_TRUE(queue.Next(&tag, &ok) && ok);
  grpc::ByteBuffer reply;
  call->Read(&reply, reinterpret_cast<void*>(3));
  ASSERT_TRUE(queue.Next(&tag, &ok) && ok);
  std::vector<grpc::Slice> slices;
  ASSERT_TRUE(reply.Dump(&slices).ok());
  std::string bytes;
  for (const grpc::Slice& s : slices)
    bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  EXPECT_NE(bytes.find("hbprep.v1.InputAdapter"), std::string::npos);
  EXPECT_NE(bytes.find("grpc.health.v1.Health"), std::string::npos);
  context.TryCancel();
  grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(4));
  ASSERT_TRUE(queue.Next(&tag, &ok));
  queue.Shutdown();
  while (queue.Next(&tag, &ok)) {
  }
}

}  // namespace
}  // namespace hbprep

namespace hbprep {
namespace {

TEST(Metrics, RendersPrometheusText) {
  Metrics metrics;
  metrics.SetModels(5);
  metrics.Record("Prepare", "cls", "board", "OK", 100, 2000, {20, 3000, 400, 5, 4000});
  metrics.Record("Prepare", "cls", "board", "OK", 100, 2000, {-1, -1, -1, -1, 30000000});
  metrics.Record("Prepare", "unknown", "board", "NOT_FOUND", 50, 0, {-1, -1, -1, -1, -1});
  metrics.RecordReload(6);
  Metrics::Gauges gauges;
  gauges.queued = 2;
  gauges.running = 1;
  gauges.memory_budget = 1610612736;
  gauges.memory_reserved = 4096;
  gauges.memory_waiting = 3;
  const std::string text = metrics.Render(gauges);
  for (const char* line :
       {"hbprep_requests_total{method=\"Prepare\",model=\"cls\",target=\"board\",code=\"OK\"} 2\n",
        "hbprep_requests_total{method=\"Prepare\",model=\"unknown\",target=\"board\","
        "code=\"NOT_FOUND\"} 1\n",
        "hbprep_stage_seconds_bucket{stage=\"decode\",le=\"0.0025\"} 0\n",
        "hbprep_stage_seconds_bucket{stage=\"decode\",le=\"0.005\"} 1\n",
        "hbprep_stage_seconds_bucket{stage=\"total\",le=\"10\"} 1\n",
        "hbprep_stage_seconds_bucket{stage=\"total\",le=\"+Inf\"} 2\n",
        "hbprep_stage_seconds_sum{stage=\"total\"} 30.004000\n",
        "hbprep_stage_seconds_count{stage=\"queue\"} 1\n", "hbprep_queue_depth 2\n",
        "hbprep_in_flight 1\n", "hbprep_memory_budget_bytes 1610612736\n",
        "hbprep_memory_reserved_bytes 4096\n", "hbprep_memory_waiting 3\n",
        "hbprep_received_bytes_total 250\n",
        "hbprep_sent_bytes_total 4000\n", "hbprep_repository_reloads_total 1\n",
        "hbprep_models 6\n"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line;
  }
}

TEST_F(ServiceTest, RequestsAreCounted) {
  v1::PrepareResponse response;
  ASSERT_TRUE(Call(Request("cls_pyramid", kScene), &response).ok());
  ASSERT_FALSE(Call(Request("nope", kScene), &response).ok());
  const std::string text = server_->RenderMetrics();
  EXPECT_NE(text.find("hbprep_requests_total{method=\"Prepare\",model=\"cls_pyramid\","
                      "target=\"board\",code=\"OK\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("hbprep_requests_total{method=\"Prepare\",model=\"unknown\","
                      "target=\"board\",code=\"NOT_FOUND\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("hbprep_models 5\n"), std::string::npos);
}

}  // namespace
}  // namespace hbprep

namespace hbprep {
namespace {

// Every descriptor error the parser reports comes back through the server, sent inline, as
// INVALID_ARGUMENT with the same lines (named after the inline descriptor, not a file).
TEST_F(ServiceTest, EveryDescriptorErrorIsInvalidArgumentWithItsMessage) {
  for (const ::hbprep::testing::ErrorCase& c : ::hbprep::testing::DescriptorErrorCases()) {
    // proto3 strings are UTF-8 by contract: such a yaml cannot even be sent.
    if (std::string(c.name).rfind("NotUtf8", 0) == 0) continue;
    v1::PrepareRequest request;
    request.mutable_inline_descriptor()->set_yaml(c.yaml);
    request.mutable_inline_descriptor()->set_name("m");
    request.add_images()->set_encoded(kScene);
    v1::PrepareResponse response;
    const grpc::Status status = Call(request, &response);
    std::string expected;
    for (const std::string& line : c.errors) {
      if (!expected.empty()) expected += "\n";
      expected += "inline descriptor 'm': " + line.substr(std::string("m.yaml: ").size());
    }
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.name;
    EXPECT_EQ(status.error_message(), expected) << c.name;
  }
}

// An inline descriptor carries its model info too: the same quantised tensor as the
// repository's model, and a disagreement is INVALID_ARGUMENT naming the input.
TEST_F(ServiceTest, InlineModelInfoQuantisesLikeTheRepositorysModel) {
  const std::string yaml = ::hbprep::testing::Read(kModels + "/fusion_multi.yaml");
  const std::string info = ::hbprep::testing::Read(kModels + "/fusion_multi.model_info.txt");
  const std::string prior = ::hbprep::testing::Read(HBPREP_SOURCE_DIR "/tests/client/prior.npy");
  auto request_for = [&](bool inline_model) {
    v1::PrepareRequest request;
    if (inline_model) {
      request.mutable_inline_descriptor()->set_yaml(yaml);
      request.mutable_inline_descriptor()->set_model_info(info);
      request.mutable_inline_descriptor()->set_name("fusion_multi");
    } else {
      request.set_model_name("fusion_multi");
    }
    request.add_images()->set_encoded(kScene);
    request.add_images()->set_feature(prior);
    return request;
  };
  v1::PrepareResponse by_name, inlined;
  ASSERT_TRUE(Call(request_for(false), &by_name).ok());
  ASSERT_TRUE(Call(request_for(true), &inlined).ok());
  ASSERT_EQ(inlined.tensors_size(), 2);
  EXPECT_EQ(inlined.tensors(1).dtype(), v1::DATA_TYPE_INT16);
  EXPECT_EQ(inlined.tensors(1).data().size(), 64u * 8 * 8 * 2);
  EXPECT_EQ(inlined.tensors(1).data(), by_name.tensors(1).data());
  EXPECT_EQ(inlined.descriptor_hash(), by_name.descriptor_hash());

  v1::PrepareRequest broken = request_for(true);
  broken.mutable_inline_descriptor()->set_model_info(
      absl::StrReplaceAll(info, {{"name: prior", "name: prior_q"}}));
  v1::PrepareResponse response;
  const grpc::Status status = Call(broken, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(),
            "model info of 'fusion_multi': the compiled model has no input 'prior', which the "
            "yaml's featuremap input 'prior' needs (compiled inputs: image, prior_q)\n"
            "model info of 'fusion_multi': input[1] 'prior_q' of the compiled model is not in "
            "the yaml's board plan (image, prior)");
}

}  // namespace
}  // namespace hbprep

namespace hbprep {
namespace {

class AuthServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    spdlog::set_level(spdlog::level::warn);
    ServerOptions options;
    options.listen = {};
    options.models_dir = kModels;
    options.workers = 1;
    options.queue_capacity = 4;
    options.reload_poll = std::chrono::milliseconds(0);
    options.auth_token = "s3cret";
    server_ = std::make_unique<Server>(options);
    ASSERT_TRUE(server_->Start().ok());
    channel_ = server_->grpc_server()->InProcessChannel({});
    stub_ = v1::InputAdapter::NewStub(channel_);
  }
  void TearDown() override { server_->Stop(); }

  std::unique_ptr<Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::InputAdapter::Stub> stub_;
};

TEST_F(AuthServiceTest, EveryRpcButHealthNeedsTheToken) {
  v1::PrepareRequest request;
  request.set_model_name("cls_pyramid");
  request.add_images()->set_encoded(kScene);
  v1::PrepareResponse response;
  {
    grpc::ClientContext context;
    const grpc::Status status = stub_->Prepare(&context, request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
    EXPECT_EQ(status.error_message(), "missing 'authorization: Bearer <token>' metadata");
  }
  {
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer s3cre");
    EXPECT_EQ(stub_->Prepare(&context, request, &response).error_message(), "wrong token");
  }
  {
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer s3cret");
    EXPECT_TRUE(stub_->Prepare(&context, request, &response).ok());
  }
  {  // streams too
    grpc::ClientContext context;
    auto stream = stub_->PrepareStream(&context);
    stream->Write(request);
    stream->WritesDone();
    EXPECT_FALSE(stream->Read(&response));
    EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::UNAUTHENTICATED);
  }
  {  // listing and describing
    grpc::ClientContext context;
    v1::ListModelsResponse models;
    EXPECT_EQ(stub_->ListModels(&context, {}, &models).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
  }
  {  // health answers without a token
    auto health = grpc::health::v1::Health::NewStub(channel_);
    grpc::ClientContext context;
    grpc::health::v1::HealthCheckResponse status;
    ASSERT_TRUE(health->Check(&context, {}, &status).ok());
    EXPECT_EQ(status.status(), grpc::health::v1::HealthCheckResponse::SERVING);
  }
}

// A request whose deadline passes while it waits for the (busy) worker is dropped without
// doing its work: the server's metrics count one decode, for the request that ran.
TEST_F(AuthServiceTest, RequestsWhoseDeadlinePassedInTheQueueAreDroppedUnworked) {
  cv::Mat noise(1080, 1920, CV_8UC3);
  cv::randu(noise, 0, 256);
  std::vector<uint8_t> jpeg;
  cv::imencode(".jpg", noise, jpeg, {cv::IMWRITE_JPEG_QUALITY, 95});
  v1::PrepareRequest slow;
  slow.set_model_name("cls_batch8");
  for (int i = 0; i < 8; ++i) slow.add_images()->set_encoded(std::string(jpeg.begin(), jpeg.end()));
  v1::PrepareRequest quick;
  quick.set_model_name("cls_pyramid");
  quick.add_images()->set_encoded(kScene);

  auto busy = std::async(std::launch::async, [&] {
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer s3cret");
    v1::PrepareResponse response;
    return stub_->Prepare(&context, slow, &response);
  });
  // Wait until the slow request occupies the only worker.
  for (int i = 0;
       i < 500 && server_->RenderMetrics().find("hbprep_in_flight 1") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer s3cret");
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(20));
  v1::PrepareResponse response;
  EXPECT_EQ(stub_->Prepare(&context, quick, &response).error_code(),
            grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_TRUE(busy.get().ok());
  // Let the dropped request's worker turn pass, then read what the server recorded.
  std::string metrics;
  for (int i = 0; i < 500; ++i) {
    metrics = server_->RenderMetrics();
    if (metrics.find("code=\"DEADLINE_EXCEEDED\"} 1") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  // Dropped before its model was even looked up: model "unknown".
  EXPECT_NE(metrics.find("model=\"unknown\",target=\"board\",code=\"DEADLINE_EXCEEDED\"} 1"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("hbprep_stage_seconds_count{stage=\"decode\"} 1\n"), std::string::npos)
      << metrics;
}

}  // namespace
}  // namespace hbprep
