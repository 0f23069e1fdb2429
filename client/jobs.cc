#include "client/jobs.h"

#include <sched.h>

#include <chrono>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace hbprep {

absl::StatusOr<int> ParseJobs(const Args& args) {
  const std::optional<std::string> text = args.Get("jobs");
  if (!text) {
    if (args.Has("server")) return 1;
    int cores = static_cast<int>(std::thread::hardware_concurrency());
    cpu_set_t allowed;
    if (sched_getaffinity(0, sizeof(allowed), &allowed) == 0 && CPU_COUNT(&allowed) > 0) {
      cores = cores > 0 ? std::min(cores, CPU_COUNT(&allowed)) : CPU_COUNT(&allowed);
    }
    return std::clamp(cores, 1, kMaxJobs);
  }
  int jobs = 0;
  if (!absl::SimpleAtoi(*text, &jobs) || jobs <= 0 || jobs > kMaxJobs) {
    return absl::InvalidArgumentError(
        absl::StrCat("--jobs '", *text, "' must be a positive integer (at most ", kMaxJobs, ")"));
  }
  return jobs;
}

RequestBudget::Hold& RequestBudget::Hold::operator=(Hold&& other) noexcept {
  if (this != &other) {
    Reset();
    budget_ = other.budget_;
    bytes_ = other.bytes_;
    other.budget_ = nullptr;
    other.bytes_ = 0;
  }
  return *this;
}

void RequestBudget::Hold::Reset() {
  if (budget_ != nullptr) budget_->Release(bytes_);
  budget_ = nullptr;
  bytes_ = 0;
}

absl::Status RequestBudget::Reserve(size_t index, int64_t bytes,
                                    const std::function<bool()>& cancelled, Hold* hold) {
  hold->Reset();
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    if (turn_ == index && (held_ == 0 || bytes <= total_ - held_)) break;
    if (cancelled && cancelled()) {
      PassLocked(index);
      return absl::CancelledError("cancelled while waiting for memory");
    }
    changed_.wait_for(lock, std::chrono::milliseconds(5));
  }
  held_ += bytes;
  hold->budget_ = this;
  hold->bytes_ = bytes;
  PassLocked(index);
  return absl::OkStatus();
}

void RequestBudget::Pass(size_t index) {
  std::lock_guard<std::mutex> lock(mutex_);
  PassLocked(index);
}

void RequestBudget::PassLocked(size_t index) {
  if (index < turn_) return;
  passed_.insert(index);
  while (!passed_.empty() && *passed_.begin() == turn_) {
    passed_.erase(passed_.begin());
    ++turn_;
  }
  changed_.notify_all();
}

int64_t RequestBudget::held() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return held_;
}

void RequestBudget::Release(int64_t bytes) {
  std::lock_guard<std::mutex> lock(mutex_);
  held_ -= bytes;
  changed_.notify_all();
}

}  // namespace hbprep
