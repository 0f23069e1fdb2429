#include "server/memory_budget.h"

#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"

namespace hbprep {

MemoryBudget::Reservation& MemoryBudget::Reservation::operator=(Reservation&& other) noexcept {
  if (this != &other) {
    Reset();
    budget_ = std::exchange(other.budget_, nullptr);
    bytes_ = std::exchange(other.bytes_, 0);
  }
  return *this;
}

void MemoryBudget::Reservation::Reset() {
  if (budget_ != nullptr) budget_->Release(bytes_);
  budget_ = nullptr;
  bytes_ = 0;
}

absl::Status MemoryBudget::Reserve(int64_t bytes, const std::function<absl::Status()>& check_continue,
                                   Reservation* hold) {
  hold->Reset();
  if (bytes > total_) {
    return absl::ResourceExhaustedError(
        absl::StrCat("the request needs ", bytes, " bytes of memory, more than the server's whole "
                     "memory budget of ", total_, " bytes (--memory-budget)"));
  }
  bytes = std::max<int64_t>(bytes, 0);
  std::unique_lock<std::mutex> lock(mutex_);
  ++waiting_;
  while (reserved_ + bytes > total_) {
    // Woken when memory comes back; the timeout is for the deadline and cancellation.
    released_.wait_for(lock, std::chrono::milliseconds(20));
    if (reserved_ + bytes <= total_) break;
    if (check_continue) {
      lock.unlock();
      absl::Status go_on = check_continue();
      lock.lock();
      if (!go_on.ok()) {
        --waiting_;
        return go_on;
      }
    }
  }
  --waiting_;
  reserved_ += bytes;
  hold->budget_ = this;
  hold->bytes_ = bytes;
  return absl::OkStatus();
}

void MemoryBudget::Release(int64_t bytes) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    reserved_ -= bytes;
  }
  released_.notify_all();
}

int64_t MemoryBudget::reserved() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return reserved_;
}

int MemoryBudget::waiting() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return waiting_;
}

}  // namespace hbprep
