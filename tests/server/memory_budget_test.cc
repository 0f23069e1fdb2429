#include "server/memory_budget.h"

#include <atomic>
#include <chrono>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace hbprep {
namespace {

using ::hbprep::testing::IsOk;
using ::hbprep::testing::StatusIs;

void WaitFor(const std::function<bool()>& condition) {
  for (int i = 0; i < 5000 && !condition(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

TEST(MemoryBudget, RefusesMoreThanTheWholeBudgetAtOnce) {
  MemoryBudget budget(100);
  MemoryBudget::Reservation hold;
  EXPECT_THAT(budget.Reserve(101, nullptr, &hold),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       "the request needs 101 bytes of memory, more than the server's whole "
                       "memory budget of 100 bytes (--memory-budget)"));
  EXPECT_EQ(budget.reserved(), 0);
  EXPECT_THAT(budget.Reserve(100, nullptr, &hold), IsOk());
  EXPECT_EQ(budget.reserved(), 100);
  hold.Reset();
  EXPECT_EQ(budget.reserved(), 0);
}

TEST(MemoryBudget, WaitsUntilMemoryComesBack) {
  MemoryBudget budget(100);
  auto first = std::make_unique<MemoryBudget::Reservation>();
  ASSERT_THAT(budget.Reserve(60, nullptr, first.get()), IsOk());
  std::atomic<bool> got{false};
  MemoryBudget::Reservation second;
  std::thread waiter([&] {
    EXPECT_THAT(budget.Reserve(50, nullptr, &second), IsOk());
    got = true;
  });
  WaitFor([&] { return budget.waiting() == 1; });
  EXPECT_EQ(budget.waiting(), 1);
  EXPECT_FALSE(got.load());
  EXPECT_EQ(budget.reserved(), 60);
  first.reset();  // gives the 60 bytes back
  waiter.join();
  EXPECT_TRUE(got.load());
  EXPECT_EQ(budget.reserved(), 50);
  EXPECT_EQ(budget.waiting(), 0);
}

TEST(MemoryBudget, AWaitingRequestStopsAtItsDeadline) {
  MemoryBudget budget(100);
  MemoryBudget::Reservation held, waiting;
  ASSERT_THAT(budget.Reserve(80, nullptr, &held), IsOk());
  int asked = 0;
  EXPECT_THAT(budget.Reserve(30,
                             [&asked] {
                               return ++asked == 3 ? absl::DeadlineExceededError("deadline")
                                                   : absl::OkStatus();
                             },
                             &waiting),
              StatusIs(absl::StatusCode::kDeadlineExceeded, "deadline"));
  EXPECT_EQ(asked, 3);
  EXPECT_EQ(waiting.bytes(), 0);
  EXPECT_EQ(budget.reserved(), 80);
  EXPECT_EQ(budget.waiting(), 0);
}

TEST(MemoryBudget, AReservationGivesItsBytesBackOnceWhereverItMoves) {
  MemoryBudget budget(100);
  MemoryBudget::Reservation a;
  ASSERT_THAT(budget.Reserve(40, nullptr, &a), IsOk());
  MemoryBudget::Reservation b(std::move(a));
  EXPECT_EQ(a.bytes(), 0);
  EXPECT_EQ(b.bytes(), 40);
  EXPECT_EQ(budget.reserved(), 40);
  MemoryBudget::Reservation c;
  ASSERT_THAT(budget.Reserve(10, nullptr, &c), IsOk());
  c = std::move(b);  // c's 10 bytes go back, b's 40 move in
  EXPECT_EQ(budget.reserved(), 40);
  // Reserving into a holder gives back what it held first.
  ASSERT_THAT(budget.Reserve(70, nullptr, &c), IsOk());
  EXPECT_EQ(budget.reserved(), 70);
}

}  // namespace
}  // namespace hbprep
