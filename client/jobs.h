// `--jobs N` for `hbprep prepare` and `hbprep calib`: requests run on N threads and their
// results are handed on in input order, so that what a run writes (files, manifests,
// messages) is what one job writes.
//
// Memory: a bounded window of requests is in flight (RunInOrder), and the requests running at
// once, with the results waiting their turn to be written, together reserve at most one
// request's limit (PrepareOptions::max_request_bytes) from a RequestBudget: --jobs does not
// raise the bound on what the engine holds; a request that does not fit waits.
#ifndef HBPREP_CLIENT_JOBS_H_
#define HBPREP_CLIENT_JOBS_H_

#include <algorithm>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "client/args.h"

namespace hbprep {

// The most --jobs takes: more threads than this would only cost memory.
inline constexpr int kMaxJobs = 1024;

// --jobs N: a positive integer up to kMaxJobs. Without the flag, one job per core in-process
// (std::thread::hardware_concurrency(), no more than the CPUs this process may run on, at
// least 1), and one with --server (the server's workers do the work and its queue is
// bounded; see README "CLI"). INVALID_ARGUMENT naming the flag and value.
absl::StatusOr<int> ParseJobs(const Args& args);

// Memory for requests running at once, handed out in request order: request i reserves only
// after every request before it has reserved or passed (Pass), so the oldest request still
// to be written never waits for memory held by later ones. A reservation is kept until its
// Hold is destroyed (the result written and dropped).
//
// Thread-safety: every method may be called from any thread.
class RequestBudget {
 public:
  // Bytes held by one request; given back when destroyed. Movable.
  class Hold {
   public:
    Hold() = default;
    Hold(Hold&& other) noexcept { *this = std::move(other); }
    Hold& operator=(Hold&& other) noexcept;
    ~Hold() { Reset(); }
    void Reset();
    int64_t bytes() const { return bytes_; }

   private:
    friend class RequestBudget;
    RequestBudget* budget_ = nullptr;
    int64_t bytes_ = 0;
  };

  // REQUIRES: total > 0.
  explicit RequestBudget(int64_t total) : total_(total) {}
  RequestBudget(const RequestBudget&) = delete;
  RequestBudget& operator=(const RequestBudget&) = delete;

  // Waits for request `index`'s turn and for `bytes` to fit beside what is held (more than
  // the whole budget: until nothing else is held), then reserves them into `*hold` and
  // passes the turn on. CANCELLED once `cancelled()` turns true while waiting (it is asked
  // every few milliseconds).
  absl::Status Reserve(size_t index, int64_t bytes, const std::function<bool()>& cancelled,
                       Hold* hold);
  // Request `index` reserves nothing (more): it finished, failed before reserving, or was
  // cancelled. Every request passes once, by Reserve() or Pass(); passing twice is harmless.
  void Pass(size_t index);

  int64_t held() const;

 private:
  void PassLocked(size_t index);
  void Release(int64_t bytes);

  const int64_t total_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  size_t turn_ = 0;          // the first request that has not passed
  std::set<size_t> passed_;  // requests after turn_ that have passed
  int64_t held_ = 0;
};

// Runs `work(i, cancelled)` for i in [0, count) and hands each result to `consume(i, result)`
// on the calling thread, in order. With jobs <= 1 (or one request) everything runs on the
// calling thread, one request after the other. Otherwise min(jobs, count) threads work at
// most 2 * jobs requests ahead of `consume`: a result waits only until its predecessors are
// consumed. A result for which `failed` is true ends the run after it: later requests are
// not needed (`cancelled()` turns true for them, so long work can stop) and are never
// consumed. `consume` returning false ends the run after that request. Returns once every
// thread has finished; results not consumed are destroyed.
template <typename Result>
void RunInOrder(size_t count, int jobs,
                const std::function<Result(size_t, const std::function<bool()>&)>& work,
                const std::function<bool(const Result&)>& failed,
                const std::function<bool(size_t, Result)>& consume) {
  auto one_by_one = [&] {
    const std::function<bool()> never = [] { return false; };
    for (size_t i = 0; i < count; ++i) {
      Result result = work(i, never);
      const bool stop = failed(result);
      if (!consume(i, std::move(result)) || stop) return;
    }
  };
  if (jobs <= 1 || count <= 1) return one_by_one();
  const size_t window = 2 * static_cast<size_t>(jobs);
  std::mutex mutex;
  std::condition_variable ready;  // a result arrived
  std::condition_variable room;   // the consumer moved on, or `end` came down
  size_t end = count;             // requests from `end` on are not needed
  size_t next = 0;                // the next request to start
  size_t consumed = 0;            // requests handed to `consume`
  std::map<size_t, Result> done;  // finished, not yet consumed
  auto cancelled_from = [&](size_t i) {
    return [&mutex, &end, i] {
      std::lock_guard<std::mutex> lock(mutex);
      return i >= end;
    };
  };
  auto worker = [&] {
    for (;;) {
      size_t i;
      {
        std::unique_lock<std::mutex> lock(mutex);
        room.wait(lock, [&] { return next >= end || next < consumed + window; });
        if (next >= end) return;
        i = next++;
      }
      Result result = work(i, cancelled_from(i));
      std::lock_guard<std::mutex> lock(mutex);
      if (failed(result) && i + 1 < end) {
        end = i + 1;
        room.notify_all();
      }
      done.emplace(i, std::move(result));
      ready.notify_all();
    }
  };
  std::vector<std::thread> threads;
  const size_t thread_count = std::min(static_cast<size_t>(jobs), count);
  threads.reserve(thread_count);
  for (size_t t = 0; t < thread_count; ++t) {
    try {
      threads.emplace_back(worker);
    } catch (const std::system_error&) {
      break;  // the system's thread limit: go on with the threads there are
    }
  }
  if (threads.empty()) return one_by_one();
  for (size_t i = 0;; ++i) {
    std::optional<Result> result;
    {
      std::unique_lock<std::mutex> lock(mutex);
      if (i >= end) break;
      ready.wait(lock, [&] { return done.count(i) > 0; });
      auto it = done.find(i);
      result.emplace(std::move(it->second));
      done.erase(it);
      consumed = i + 1;
      room.notify_all();
    }
    const bool stop = failed(*result);
    if (!consume(i, *std::move(result)) || stop) break;
  }
  {
    std::lock_guard<std::mutex> lock(mutex);
    end = std::min(end, consumed);  // nothing more is needed
    room.notify_all();
  }
  for (std::thread& thread : threads) thread.join();
}

}  // namespace hbprep

#endif  // HBPREP_CLIENT_JOBS_H_
