// A fixed set of worker threads with a bounded queue. When the queue is full, TrySubmit()
// says no at once, so callers can turn overload into RESOURCE_EXHAUSTED instead of letting
// work pile up.
//
// Thread-safety: every method may be called from any thread.
#ifndef HBPREP_SERVER_WORKER_POOL_H_
#define HBPREP_SERVER_WORKER_POOL_H_

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace hbprep {

class WorkerPool {
 public:
  // REQUIRES: threads >= 1, queue_capacity >= 0 (0: no waiting beyond the busy workers).
  WorkerPool(int threads, int queue_capacity);
  // Runs what was accepted, then joins.
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues `task`; false when `queue_capacity` tasks already wait or the pool stopped.
  bool TrySubmit(std::function<void()> task);
  // Stops accepting, runs every accepted task, joins the threads. Idempotent.
  void Shutdown();

  int threads() const { return thread_count_; }
  int queue_capacity() const { return capacity_; }
  // Tasks waiting for a worker / running now.
  int queued() const;
  int running() const;

 private:
  void Work();

  const int capacity_;
  const int thread_count_;
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> queue_;
  int running_ = 0;
  bool stopping_ = false;
  bool stopped_ = false;  // Shutdown() ran
  std::vector<std::thread> threads_;
};

}  // namespace hbprep

#endif  // HBPREP_SERVER_WORKER_POOL_H_
