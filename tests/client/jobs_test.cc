// The ordered runner and the request budget behind `--jobs N` (client/jobs.h).
#include "client/jobs.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hbprep {
namespace {

using ::testing::ElementsAre;

// The runner: order, the window, failures, stopping early.
TEST(RunInOrder, ConsumesEveryResultInOrderWhateverOrderTheyFinishIn) {
  for (int jobs : {1, 2, 3, 7}) {
    std::vector<size_t> seen;
    std::atomic<int> running{0}, most{0};
    RunInOrder<size_t>(
        40, jobs,
        [&](size_t i, const std::function<bool()>&) {
          const int now = ++running;
          int previous = most.load();
          while (now > previous && !most.compare_exchange_weak(previous, now)) {
          }
          // Later requests finish first now and then.
          if (i % 5 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));
          --running;
          return i * 10;
        },
        [](const size_t&) { return false; },
        [&](size_t i, size_t result) {
          EXPECT_EQ(result, i * 10);
          seen.push_back(i);
          return true;
        });
    ASSERT_EQ(seen.size(), 40u) << jobs;
    for (size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i], i);
    EXPECT_LE(most.load(), jobs);
  }
}

TEST(RunInOrder, WorksAtMostTwiceTheJobsAheadOfTheConsumer) {
  std::atomic<size_t> started{0};
  std::vector<size_t> ahead;
  RunInOrder<int>(
      30, 3,
      [&](size_t, const std::function<bool()>&) {
        ++started;
        return 0;
      },
      [](const int&) { return false; },
      [&](size_t i, int) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));  // a slow writer
        ahead.push_back(started.load() - i);
        return true;
      });
  // When request i is consumed, at most 2 x 3 requests after it have started.
  for (size_t a : ahead) EXPECT_LE(a, 7u);
}

TEST(RunInOrder, AFailureEndsTheRunAfterItAndCancelsLaterWork) {
  std::mutex mutex;
  std::condition_variable started_cv;
  bool five_started = false;
  std::atomic<bool> later_saw_cancel{false};
  std::vector<size_t> seen;
  RunInOrder<bool>(
      20, 3,
      [&](size_t i, const std::function<bool()>& cancelled) {
        if (i == 4) {  // fails once request 5 runs beside it
          std::unique_lock<std::mutex> lock(mutex);
          started_cv.wait_for(lock, std::chrono::seconds(30), [&] { return five_started; });
          return false;
        }
        if (i == 5) {  // then sees itself cancelled
          {
            std::lock_guard<std::mutex> lock(mutex);
            five_started = true;
            started_cv.notify_all();
          }
          for (int k = 0; k < 30000 && !cancelled(); ++k) {
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
          }
          later_saw_cancel = cancelled();
        }
        return true;
      },
      [](const bool& ok) { return !ok; },
      [&](size_t i, bool) {
        seen.push_back(i);
        return true;
      });
  EXPECT_THAT(seen, ElementsAre(0, 1, 2, 3, 4));
  EXPECT_TRUE(later_saw_cancel.load());
}

TEST(RunInOrder, TheConsumerCanStopEarly) {
  for (int jobs : {1, 4}) {
    std::vector<size_t> seen;
    RunInOrder<int>(
        100, jobs, [](size_t, const std::function<bool()>&) { return 0; },
        [](const int&) { return false; },
        [&](size_t i, int) {
          seen.push_back(i);
          return i < 6;
        });
    EXPECT_THAT(seen, ElementsAre(0, 1, 2, 3, 4, 5, 6)) << jobs;
  }
}

// The budget: turns in request order, memory given back by the holds.
TEST(RequestBudget, ReservesInRequestOrderAndWithinTheTotal) {
  RequestBudget budget(100);
  RequestBudget::Hold a, b, c;
  const std::function<bool()> never = [] { return false; };
  std::atomic<bool> c_reserved{false};
  // Request 2 waits for request 1's turn even though its bytes would fit.
  std::thread third([&] {
    EXPECT_TRUE(budget.Reserve(2, 30, never, &c).ok());
    c_reserved = true;
  });
  ASSERT_TRUE(budget.Reserve(0, 60, never, &a).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_FALSE(c_reserved.load());
  budget.Pass(1);  // request 1 needs nothing (it failed before reserving)
  third.join();
  EXPECT_EQ(budget.held(), 90);
  // Request 3 needs more than is free: it waits until a hold is given back.
  std::thread fourth([&] { EXPECT_TRUE(budget.Reserve(3, 50, never, &b).ok()); });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(budget.held(), 90);
  a.Reset();
  fourth.join();
  EXPECT_EQ(budget.held(), 80);
  c.Reset();
  b.Reset();
  EXPECT_EQ(budget.held(), 0);
}

TEST(RequestBudget, MoreThanTheWholeBudgetRunsAlone) {
  RequestBudget budget(100);
  RequestBudget::Hold a, b;
  const std::function<bool()> never = [] { return false; };
  ASSERT_TRUE(budget.Reserve(0, 10, never, &a).ok());
  std::thread big([&] { EXPECT_TRUE(budget.Reserve(1, 500, never, &b).ok()); });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(budget.held(), 10);
  a.Reset();
  big.join();
  EXPECT_EQ(budget.held(), 500);
}

TEST(RequestBudget, AWaitingRequestStopsWhenCancelled) {
  RequestBudget budget(100);
  RequestBudget::Hold a, b;
  const std::function<bool()> never = [] { return false; };
  ASSERT_TRUE(budget.Reserve(0, 100, never, &a).ok());
  std::atomic<bool> cancel{false};
  absl::Status waited;
  std::thread waiting(
      [&] { waited = budget.Reserve(1, 10, [&] { return cancel.load(); }, &b); });
  cancel = true;
  waiting.join();
  EXPECT_TRUE(absl::IsCancelled(waited)) << waited;
  EXPECT_EQ(budget.held(), 100);
  // Its turn passed: the next request goes on.
  a.Reset();
  RequestBudget::Hold c;
  EXPECT_TRUE(budget.Reserve(2, 100, never, &c).ok());
}

}  // namespace
}  // namespace hbprep
