// One server-wide budget of memory for requests. Each request reserves its computed peak
// (the engine's RequestCost::peak_bytes) before any of its pixels is decoded and keeps the
// reservation until its response has been sent; a request that does not fit waits until
// others give memory back, or its deadline passes, or the client cancels. A request larger
// than the whole budget is refused at once. Not per worker: --workers follows the host's
// cores, not a container's CPU quota, so a per-worker share would be wrong on big nodes.
//
// Thread-safety: every method may be called from any thread.
#ifndef HBPREP_SERVER_MEMORY_BUDGET_H_
#define HBPREP_SERVER_MEMORY_BUDGET_H_

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>

#include "absl/status/status.h"

namespace hbprep {

class MemoryBudget {
 public:
  // Bytes held by one request; given back when destroyed or reset. Movable.
  class Reservation {
   public:
    Reservation() = default;
    Reservation(Reservation&& other) noexcept { *this = std::move(other); }
    Reservation& operator=(Reservation&& other) noexcept;
    ~Reservation() { Reset(); }
    void Reset();
    int64_t bytes() const { return bytes_; }

   private:
    friend class MemoryBudget;
    MemoryBudget* budget_ = nullptr;
    int64_t bytes_ = 0;
  };

  // REQUIRES: total > 0.
  explicit MemoryBudget(int64_t total) : total_(total) {}
  MemoryBudget(const MemoryBudget&) = delete;
  MemoryBudget& operator=(const MemoryBudget&) = delete;

  // Reserves `bytes` into `*hold` (which gives back what it held first), waiting while the
  // budget is short. RESOURCE_EXHAUSTED at once for more than the whole budget; while
  // waiting, `check_continue` (may be empty) is asked every few milliseconds and its
  // non-OK status (DEADLINE_EXCEEDED, CANCELLED) is returned.
  absl::Status Reserve(int64_t bytes, const std::function<absl::Status()>& check_continue,
                       Reservation* hold);

  int64_t total() const { return total_; }
  int64_t reserved() const;
  // Requests waiting for memory now.
  int waiting() const;

 private:
  void Release(int64_t bytes);

  const int64_t total_;
  mutable std::mutex mutex_;
  std::condition_variable released_;
  int64_t reserved_ = 0;
  int waiting_ = 0;
};

}  // namespace hbprep

#endif  // HBPREP_SERVER_MEMORY_BUDGET_H_
