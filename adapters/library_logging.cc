#include "adapters/library_logging.h"

#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <utility>

#include "adapters/echo.h"
#include "opencv2/core/utils/logger.hpp"

namespace hbprep {
namespace {

struct Route {
  FILE* original = nullptr;
  FILE* pipe = nullptr;
  std::thread reader;
};
Route* route = nullptr;

// At exit: stderr back, the pipe closed, and every line written so far delivered.
void Drain() {
  if (route == nullptr || route->pipe == nullptr) return;
  stderr = route->original;
  fclose(route->pipe);
  route->pipe = nullptr;
  if (route->reader.joinable()) route->reader.join();
}

}  // namespace

void RouteLibraryLogging(std::function<void(const std::string& line)> sink) {
  cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT);
  if (route != nullptr) return;
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return;
  FILE* pipe = fdopen(fds[1], "w");
  if (pipe == nullptr) {
    close(fds[0]);
    close(fds[1]);
    return;
  }
  setvbuf(pipe, nullptr, _IOLBF, 0);
  if (!sink) {
    sink = [](const std::string& line) {
      const std::string text = "hbprep: " + line + "\n";
      (void)!write(STDERR_FILENO, text.data(), text.size());
    };
  }
  route = new Route;  // lives until exit
  route->original = stderr;
  route->pipe = pipe;
  // The reader takes no signals (they stay with the threads that wait for them): it is
  // created with every signal blocked, and the caller's mask comes back afterwards.
  sigset_t all, previous;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &previous);
  route->reader = std::thread([fd = fds[0], sink = std::move(sink)] {
    std::string pending;
    char buffer[4096];
    for (;;) {
      const ssize_t got = read(fd, buffer, sizeof(buffer));
      if (got <= 0) break;
      pending.append(buffer, static_cast<size_t>(got));
      for (size_t end; (end = pending.find('\n')) != std::string::npos;) {
        sink(EchoMessage(absl::string_view(pending).substr(0, end), 2048, false));
        pending.erase(0, end + 1);
      }
      if (pending.size() > 2048) {  // no newline coming: cut it
        sink(EchoMessage(pending, 2048, false));
        pending.clear();
      }
    }
    if (!pending.empty()) sink(EchoMessage(pending, 2048, false));
    close(fd);
  });
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  stderr = pipe;
  std::atexit(Drain);
}

}  // namespace hbprep
