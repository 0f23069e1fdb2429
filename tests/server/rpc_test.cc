// The server's common layer (server/rpc.h) on a fake CallContext, without gRPC: the token
// check, the deadline and cancellation, unary admission to the worker pool, and the engine run
// under the message limit and the memory budget.
#include "server/rpc.h"

#include <atomic>
#include <chrono>
#include <future>
#include <map>
#include <new>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "absl/types/span.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hbprep/descriptor.h"
#include "hbprep/engine.h"
#include "server/call_context.h"
#include "server/memory_budget.h"
#include "server/options.h"
#include "server/worker_pool.h"
#include "spdlog/spdlog.h"
#include "tests/testing/descriptor_cases.h"
#include "tests/testing/status_matchers.h"

// The common layer must build without gRPC: none of its headers may bring one in (every
// grpcpp header includes grpcpp/support/config.h, every grpc core header port_platform.h).
#if defined(GRPCPP_SUPPORT_CONFIG_H) || defined(GRPC_SUPPORT_PORT_PLATFORM_H)
#error "server/rpc.h or server/call_context.h includes a gRPC header"
#endif

namespace hbprep {
namespace {

using ::hbprep::testing::IsOk;
using ::hbprep::testing::StatusIs;
using ::testing::HasSubstr;
using SystemClock = std::chrono::system_clock;

// A call as a test sets it up: no deadline, not cancelled, no headers unless told.
class FakeCall final : public CallContext {
 public:
  SystemClock::time_point deadline() const override { return deadline_; }
  bool IsCancelled() const override { return cancelled_.load(); }
  absl::optional<absl::string_view> Header(absl::string_view name) const override {
    auto it = headers_.find(std::string(name));
    if (it == headers_.end()) return absl::nullopt;
    return absl::string_view(it->second);
  }

  void set_deadline(SystemClock::time_point deadline) { deadline_ = deadline; }
  void Cancel() { cancelled_.store(true); }
  void SetHeader(const std::string& name, const std::string& value) { headers_[name] = value; }

 private:
  SystemClock::time_point deadline_ = SystemClock::time_point::max();
  std::atomic<bool> cancelled_{false};
  std::map<std::string, std::string> headers_;
};

ServerOptions WithToken(const std::string& token) {
  ServerOptions options;
  options.auth_token = token;
  return options;
}

TEST(Authorize, NeedsNothingWhenTheServerHasNoToken) {
  EXPECT_THAT(Authorize(WithToken(""), FakeCall()), IsOk());
}

TEST(Authorize, RefusesACallWithoutTheHeader) {
  FakeCall call;
  call.SetHeader("x-other", "Bearer s3cret");
  EXPECT_THAT(Authorize(WithToken("s3cret"), call),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       "missing 'authorization: Bearer <token>' metadata"));
}

TEST(Authorize, RefusesAWrongToken) {
  // Wrong token, a prefix of the right one, the right one longer, no scheme, another case.
  for (const char* value : {"Bearer wrong!", "Bearer s3cre", "Bearer s3cret2", "s3cret",
                            "bearer s3cret", ""}) {
    FakeCall call;
    call.SetHeader("authorization", value);
    EXPECT_THAT(Authorize(WithToken("s3cret"), call),
                StatusIs(absl::StatusCode::kUnauthenticated, "wrong token"))
        << "authorization: '" << value << "'";
  }
}

TEST(Authorize, AcceptsTheRightToken) {
  FakeCall call;
  call.SetHeader("authorization", "Bearer s3cret");
  EXPECT_THAT(Authorize(WithToken("s3cret"), call), IsOk());
}

TEST(CheckContinue, GoesOnForALiveCallOrNone) {
  EXPECT_THAT(CheckContinue(nullptr), IsOk());
  FakeCall call;
  EXPECT_THAT(CheckContinue(&call), IsOk());
  call.set_deadline(SystemClock::now() + std::chrono::hours(1));
  EXPECT_THAT(CheckContinue(&call), IsOk());
}

TEST(CheckContinue, StopsOnceTheDeadlinePassed) {
  FakeCall call;
  call.set_deadline(SystemClock::now() - std::chrono::milliseconds(1));
  EXPECT_THAT(CheckContinue(&call),
              StatusIs(absl::StatusCode::kDeadlineExceeded,
                       "the request's deadline passed before its work was done"));
  // A client whose deadline passed also sees its call cancelled: the deadline is named.
  call.Cancel();
  EXPECT_THAT(CheckContinue(&call), StatusIs(absl::StatusCode::kDeadlineExceeded,
                                             HasSubstr("deadline passed")));
}

TEST(CheckContinue, StopsOnceTheClientCancelled) {
  FakeCall call;
  call.Cancel();
  EXPECT_THAT(CheckContinue(&call),
              StatusIs(absl::StatusCode::kCancelled, "the client cancelled the request"));
}

// What AdmitUnary reported, waited for from the test's thread.
struct Outcome {
  std::promise<absl::Status> finished;
  std::vector<absl::Status> recorded;  // written before `finished` is set
  std::atomic<int> finishes{0};
  std::atomic<bool> worked{false};
};

// AdmitUnary with `work`, recording and finishing into `outcome`.
template <typename Work>
void Admit(const ServerOptions& options, WorkerPool* pool, const CallContext* call,
           MemoryBudget::Reservation* hold, Outcome* outcome, Work work, bool authorize = true) {
  AdmitUnary(
      options, pool, "Test", call, hold, work,
      [outcome](const absl::Status& status) { outcome->recorded.push_back(status); },
      [outcome](const absl::Status& status) {
        ++outcome->finishes;
        outcome->finished.set_value(status);
      },
      authorize);
}

class AdmitUnaryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    level_ = spdlog::get_level();
    spdlog::set_level(spdlog::level::off);  // refusals log at info, faults at error
  }
  void TearDown() override { spdlog::set_level(level_); }

  absl::Status Wait() {
    std::future<absl::Status> done = outcome_.finished.get_future();
    EXPECT_EQ(done.wait_for(std::chrono::seconds(10)), std::future_status::ready);
    absl::Status status = done.get();
    EXPECT_EQ(outcome_.finishes.load(), 1) << "finish must be called exactly once";
    EXPECT_EQ(outcome_.recorded.size(), 1u) << "record must see the outcome once";
    if (!outcome_.recorded.empty()) {
      EXPECT_EQ(outcome_.recorded[0], status);
    }
    return status;
  }
  auto OkWork() {
    return [this] {
      outcome_.worked = true;
      return absl::OkStatus();
    };
  }

  spdlog::level::level_enum level_ = spdlog::level::info;
  FakeCall call_;
  MemoryBudget::Reservation hold_;
  Outcome outcome_;
  WorkerPool pool_{1, 1};  // last: joined before what its tasks use goes away
};

TEST_F(AdmitUnaryTest, RefusesACallWithoutTheTokenBeforeQueueingIt) {
  Admit(WithToken("s3cret"), &pool_, &call_, &hold_, &outcome_, OkWork());
  EXPECT_THAT(Wait(), StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("authorization")));
  EXPECT_FALSE(outcome_.worked.load());
}

TEST_F(AdmitUnaryTest, RunsACallThatNeedsNoTokenWithoutOne) {
  Admit(WithToken("s3cret"), &pool_, &call_, &hold_, &outcome_, OkWork(), /*authorize=*/false);
  EXPECT_THAT(Wait(), IsOk());
  EXPECT_TRUE(outcome_.worked.load());
}

TEST_F(AdmitUnaryTest, GivesTheWorkTheCallAndItsReservationOnAWorker) {
  call_.SetHeader("authorization", "Bearer s3cret");
  const std::thread::id test_thread = std::this_thread::get_id();
  std::atomic<bool> same_call{false}, same_hold{false}, on_worker{false};
  Admit(WithToken("s3cret"), &pool_, &call_, &hold_, &outcome_,
        [&](const CallContext& call, MemoryBudget::Reservation* hold) {
          same_call = &call == &call_;
          same_hold = hold == &hold_;
          on_worker = std::this_thread::get_id() != test_thread;
          return absl::NotFoundError("the work's own status");
        });
  EXPECT_THAT(Wait(), StatusIs(absl::StatusCode::kNotFound, "the work's own status"));
  EXPECT_TRUE(same_call.load());
  EXPECT_TRUE(same_hold.load());
  EXPECT_TRUE(on_worker.load());
}

TEST_F(AdmitUnaryTest, SkipsTheWorkOfACancelledCall) {
  call_.Cancel();
  Admit(ServerOptions(), &pool_, &call_, &hold_, &outcome_, OkWork());
  EXPECT_THAT(Wait(), StatusIs(absl::StatusCode::kCancelled, "the client cancelled the request"));
  EXPECT_FALSE(outcome_.worked.load());
}

TEST_F(AdmitUnaryTest, SkipsTheWorkOfACallPastItsDeadline) {
  call_.set_deadline(SystemClock::now() - std::chrono::seconds(1));
  Admit(ServerOptions(), &pool_, &call_, &hold_, &outcome_, OkWork());
  EXPECT_THAT(Wait(), StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr("deadline")));
  EXPECT_FALSE(outcome_.worked.load());
}

TEST_F(AdmitUnaryTest, RefusesAtOnceWhenThePoolIsFull) {
  WorkerPool pool(1, 0);  // one worker, no queue
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<void> started;
  ASSERT_TRUE(pool.TrySubmit([&started, released] {
    started.set_value();
    released.wait();
  }));
  started.get_future().wait();
  Admit(ServerOptions(), &pool, &call_, &hold_, &outcome_, OkWork());
  EXPECT_THAT(Wait(), StatusIs(absl::StatusCode::kResourceExhausted,
                               "server busy: 1 workers and 0 queued requests; retry later"));
  EXPECT_FALSE(outcome_.worked.load());
  release.set_value();
}

TEST_F(AdmitUnaryTest, TurnsExceptionsIntoStatuses) {
  Admit(ServerOptions(), &pool_, &call_, &hold_, &outcome_,
        []() -> absl::Status { throw std::runtime_error("boom"); });
  EXPECT_THAT(Wait(), StatusIs(absl::StatusCode::kInternal, "unexpected failure: boom"));

  Outcome out_of_memory;
  Admit(ServerOptions(), &pool_, &call_, &hold_, &out_of_memory,
        []() -> absl::Status { throw std::bad_alloc(); });
  std::future<absl::Status> done = out_of_memory.finished.get_future();
  ASSERT_EQ(done.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_THAT(done.get(), StatusIs(absl::StatusCode::kResourceExhausted,
                                   "the server ran out of memory for this request"));
}

// PrepareForCall on the standard J6 pyramid input (224x224 NV12 on the board) from a raw BGR
// frame of that size.
class PrepareForCallTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<Descriptor> descriptor = ParseDescriptor(
        hbprep::testing::Yaml("nash-e", hbprep::testing::kRgbNv12), "m", ParseOptions(), nullptr);
    ASSERT_THAT(descriptor, IsOk());
    descriptor_ = *descriptor;
    RawImage raw;
    raw.format = RawFormat::kBgr;
    raw.width = raw.height = 224;
    raw.stride = 224 * 3;
    image_.what = "frame";
    image_.bytes.assign(224 * 224 * 3, '\x60');
    image_.raw = raw;
  }

  absl::StatusOr<Prepared> Run(const ServerOptions& server, MemoryBudget* budget,
                               const CallContext* call, MemoryBudget::Reservation* hold) {
    return PrepareForCall(server, budget, descriptor_, absl::MakeConstSpan(&image_, 1),
                          PrepareOptions(), {"from the descriptor"}, call, hold);
  }

  Descriptor descriptor_;
  InputImage image_;
  MemoryBudget budget_{int64_t{1} << 30};
  FakeCall call_;
  MemoryBudget::Reservation hold_;
};

TEST_F(PrepareForCallTest, ReservesTheRequestsMemoryAndPutsTheDescriptorsWarningsFirst) {
  absl::StatusOr<Prepared> prepared = Run(ServerOptions(), &budget_, &call_, &hold_);
  ASSERT_THAT(prepared, IsOk());
  ASSERT_FALSE(prepared->tensors.empty());
  ASSERT_FALSE(prepared->warnings.empty());
  EXPECT_EQ(prepared->warnings.front(), "from the descriptor");
  EXPECT_GT(hold_.bytes(), 0);
  EXPECT_EQ(budget_.reserved(), hold_.bytes());
}

TEST_F(PrepareForCallTest, StopsACancelledCall) {
  call_.Cancel();
  EXPECT_THAT(Run(ServerOptions(), &budget_, &call_, &hold_),
              StatusIs(absl::StatusCode::kCancelled, "the client cancelled the request"));
}

TEST_F(PrepareForCallTest, StopsACallPastItsDeadline) {
  call_.set_deadline(SystemClock::now() - std::chrono::milliseconds(1));
  EXPECT_THAT(Run(ServerOptions(), &budget_, &call_, &hold_),
              StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr("deadline passed")));
}

TEST_F(PrepareForCallTest, StopsWaitingForMemoryWhenTheDeadlinePasses) {
  // The request's peak, then a budget of exactly that, all of it held by another request.
  MemoryBudget::Reservation measured;
  ASSERT_THAT(Run(ServerOptions(), &budget_, nullptr, &measured), IsOk());
  MemoryBudget budget(measured.bytes());
  MemoryBudget::Reservation other;
  ASSERT_THAT(budget.Reserve(measured.bytes(), nullptr, &other), IsOk());

  call_.set_deadline(SystemClock::now() + std::chrono::milliseconds(50));
  EXPECT_THAT(Run(ServerOptions(), &budget, &call_, &hold_),
              StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr("deadline passed")));
  EXPECT_EQ(hold_.bytes(), 0);
  EXPECT_EQ(budget.waiting(), 0);
  EXPECT_EQ(budget.reserved(), measured.bytes());
}

TEST_F(PrepareForCallTest, RefusesAResponseOverTheMessageLimit) {
  ServerOptions server;
  server.max_message_bytes = 1000;  // a 224x224 NV12 tensor alone is 224 * 224 * 3 / 2 bytes
  EXPECT_THAT(Run(server, &budget_, &call_, &hold_),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       HasSubstr("over the message limit of 1000 bytes (--max-message-bytes)")));
  EXPECT_EQ(hold_.bytes(), 0);
  EXPECT_EQ(budget_.reserved(), 0);
}

}  // namespace
}  // namespace hbprep
