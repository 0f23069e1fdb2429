// The server's model repository: a snapshot of the folder's descriptors that requests read
// without locking for long, swapped whole on reload. A reload happens on request (SIGHUP)
// or when a watcher sees the folder's files change. A file that breaks keeps its previous
// good version serving, and the breakage is reported.
//
// Files being written are not loaded: a change is loaded once two checks in a row see the
// same names, sizes and modification times (with the watcher, one poll period apart), and a
// load is thrown away when the files changed while they were read. A file rewritten in place
// can still pause mid-write for longer than a poll, so deploy by writing a new file beside it
// and renaming it over the old one (rename is atomic; the kubelet's ConfigMap updates are).
//
// Thread-safety: every method may be called from any thread.
#ifndef HBPREP_SERVER_MODEL_STORE_H_
#define HBPREP_SERVER_MODEL_STORE_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "hbprep/repository.h"

namespace hbprep {

class ModelStore {
 public:
  // Called after every load or reload that changed something, with the new snapshot.
  using Listener = std::function<void(const Repository&, bool first_load)>;

  ModelStore(std::string dir, Listener listener);
  ~ModelStore();
  ModelStore(const ModelStore&) = delete;
  ModelStore& operator=(const ModelStore&) = delete;

  // Loads the folder. NOT_FOUND when it is not a readable folder; broken files are reported
  // in the snapshot's errors and skipped.
  absl::Status Load();
  // Reloads when the folder's files changed since the last load (names, sizes, modification
  // times) and the previous call saw them as they are now (they stopped changing), or always
  // with `force`; either way not when they change while being read (the next call retries).
  // True when a new snapshot was installed.
  bool Reload(bool force);
  // The current snapshot; never null after a successful Load().
  std::shared_ptr<const Repository> snapshot() const;
  // Reloads that installed a new snapshot, the first load excluded.
  int64_t reloads() const { return reloads_.load(); }

  // Checks for changes every `period` on a thread of its own, and reloads when
  // `*reload_requested` is set (then clears it). Stop with StopWatching() or destruction.
  void StartWatching(std::chrono::milliseconds period, std::atomic<bool>* reload_requested);
  void StopWatching();

 private:
  std::string Signature() const;

  const std::string dir_;
  const Listener listener_;
  mutable std::mutex mutex_;  // guards snapshot_ and signature_
  std::shared_ptr<const Repository> snapshot_;
  std::string signature_;
  std::string pending_;      // the changed signature the previous Reload() saw, waiting to settle
  std::mutex reload_mutex_;  // one reload at a time
  std::atomic<int64_t> reloads_{0};

  std::mutex watch_mutex_;
  std::condition_variable watch_wakeup_;
  bool watching_ = false;
  std::thread watcher_;
};

}  // namespace hbprep

#endif  // HBPREP_SERVER_MODEL_STORE_H_
