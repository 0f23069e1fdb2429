#include "server/model_store.h"

#include <algorithm>
#include <filesystem>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace hbprep {

namespace fs = std::filesystem;

ModelStore::ModelStore(std::string dir, Listener listener)
    : dir_(std::move(dir)), listener_(std::move(listener)) {}

ModelStore::~ModelStore() { StopWatching(); }

std::string ModelStore::Signature() const {
  std::vector<std::string> entries;
  std::error_code error;
  for (fs::directory_iterator it(dir_, error), end; !error && it != end; it.increment(error)) {
    const std::string ext = it->path().extension().string();
    const bool model_info = absl::EndsWith(it->path().filename().string(), ".model_info.txt");
    if (ext != ".yaml" && ext != ".yml" && !model_info) continue;
    std::error_code ignored;
    const auto size = it->file_size(ignored);
    const auto time = it->last_write_time(ignored).time_since_epoch().count();
    entries.push_back(absl::StrCat(it->path().filename().string(), ":", size, ":", time));
  }
  if (error) return absl::StrCat("error:", error.message());
  std::sort(entries.begin(), entries.end());
  std::string signature;
  for (const std::string& entry : entries) absl::StrAppend(&signature, entry, "\n");
  return signature;
}

absl::Status ModelStore::Load() {
  absl::StatusOr<Repository> repository = LoadRepository(dir_);
  if (!repository.ok()) return repository.status();
  auto snapshot = std::make_shared<const Repository>(*std::move(repository));
  {
    std::lock_guard<std::mutex> lock(mutex_);
    snapshot_ = snapshot;
    signature_ = Signature();
  }
  if (listener_) listener_(*snapshot, /*first_load=*/true);
  return absl::OkStatus();
}

bool ModelStore::Reload(bool force) {
  std::lock_guard<std::mutex> reload_lock(reload_mutex_);
  const std::string signature = Signature();
  std::shared_ptr<const Repository> previous;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!force && signature == signature_) {
      pending_.clear();
      return false;
    }
    if (!force && signature != pending_) {  // still changing, or changed just now: wait
      pending_ = signature;
      return false;
    }
    previous = snapshot_;
  }
  absl::StatusOr<Repository> loaded = LoadRepository(dir_);
  if (const std::string after = Signature(); after != signature) {
    // Written to while being read: what was read may be half of a file. The next call
    // sees whether the files settled.
    std::lock_guard<std::mutex> lock(mutex_);
    pending_ = after;
    return false;
  }
  Repository next;
  if (!loaded.ok()) {
    // The folder itself went away: keep serving what we have, and say so.
    next = previous ? *previous : Repository{};
    next.errors = {std::string(loaded.status().message())};
  } else {
    next = *std::move(loaded);
    // A file that no longer parses keeps its previous good version.
    if (previous) {
      for (const auto& [name, model] : previous->models) {
        if (next.models.count(name) || !fs::exists(model.path)) continue;
        for (std::string& error : next.errors) {
          if (error.rfind(model.path + ":", 0) == 0) {
            next.models.emplace(name, model);
            absl::StrAppend(&error, "\n", model.path, ": the previous version of model '", name,
                            "' keeps serving");
            break;
          }
        }
      }
    }
  }
  auto snapshot = std::make_shared<const Repository>(std::move(next));
  {
    std::lock_guard<std::mutex> lock(mutex_);
    snapshot_ = snapshot;
    signature_ = signature;
    pending_.clear();
  }
  ++reloads_;
  if (listener_) listener_(*snapshot, /*first_load=*/false);
  return true;
}

std::shared_ptr<const Repository> ModelStore::snapshot() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return snapshot_;
}

void ModelStore::StartWatching(std::chrono::milliseconds period,
                               std::atomic<bool>* reload_requested) {
  std::lock_guard<std::mutex> lock(watch_mutex_);
  if (watching_) return;
  watching_ = true;
  watcher_ = std::thread([this, period, reload_requested] {
    std::unique_lock<std::mutex> watch_lock(watch_mutex_);
    while (watching_) {
      watch_wakeup_.wait_for(watch_lock, period);
      if (!watching_) break;
      const bool forced = reload_requested != nullptr && reload_requested->exchange(false);
      watch_lock.unlock();
      Reload(forced);
      watch_lock.lock();
    }
  });
}

void ModelStore::StopWatching() {
  {
    std::lock_guard<std::mutex> lock(watch_mutex_);
    if (!watching_) return;
    watching_ = false;
  }
  watch_wakeup_.notify_all();
  if (watcher_.joinable()) watcher_.join();
}

}  // namespace hbprep
