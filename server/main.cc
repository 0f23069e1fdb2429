// hbprep-server: flags, logging and signals; everything else is in Server.
//
//   hbprep-server --models DIR [--listen ADDR]... [--workers N] [--queue N]
//                 [--max-message-bytes N] [--max-side N] [--max-pixels N]
//                 [--memory-budget BYTES[K|M|G]]
//                 [--reload-poll-ms N] [--grace-ms N] [--connection-idle-ms N]
//                 [--auth-token-file FILE]
//                 [--metrics-listen [HOST]:PORT] [--metrics-token-file FILE]
//                 [--http-listen HOST:PORT] [--http-timeout-ms N]
//                 [--drain-delay-ms N]
//                 [--tls-cert FILE --tls-key FILE [--tls-client-ca FILE]]
//                 [--log-level trace|debug|info|warn|error]
//
// SIGHUP reloads the repository; SIGTERM and SIGINT drain and exit 0; a second SIGTERM or
// SIGINT during the drain exits at once with 128 + the signal's number. When gRPC loses a
// listener (EMFILE on a TLS listener), the server drains and exits 1.

#include <sys/resource.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/strip.h"
#include "adapters/library_logging.h"
#include "server/server.h"
#include "spdlog/spdlog.h"

namespace {

constexpr char kUsage[] =
    "usage: hbprep-server --models DIR [--listen HOST:PORT | --listen unix:/PATH]...\n"
    "         [--workers N] [--queue N] [--max-message-bytes N] [--max-side N]\n"
    "         [--max-pixels N] [--memory-budget BYTES[K|M|G]] [--reload-poll-ms N]\n"
    "         [--grace-ms N] [--connection-idle-ms N] [--auth-token-file FILE]\n"
    "         [--metrics-listen [HOST]:PORT] [--metrics-token-file FILE] [--drain-delay-ms N]\n"
    "         [--http-listen HOST:PORT] [--http-timeout-ms N]\n"
    "         [--tls-cert FILE --tls-key FILE [--tls-client-ca FILE]]\n"
    "         [--log-level trace|debug|info|warn|error]\n";

int Usage(const std::string& message) {
  std::cerr << "hbprep-server: " << message << "\n" << kUsage;
  return 2;
}

template <typename T>
bool ParseNumber(const std::string& text, T* out) {
  return absl::SimpleAtoi(text, out) && *out >= 0;
}

// A byte count, optionally with a binary suffix: 1536M, 2G, 65536K, 1073741824.
bool ParseBytes(const std::string& text, int64_t* out) {
  if (text.empty()) return false;
  int shift = 0;
  std::string digits = text;
  switch (text.back()) {
    case 'K': shift = 10; break;
    case 'M': shift = 20; break;
    case 'G': shift = 30; break;
    default: break;
  }
  if (shift != 0) digits.pop_back();
  int64_t value = 0;
  if (!ParseNumber(digits, &value) || value <= 0 || value > (INT64_MAX >> shift)) return false;
  *out = value << shift;
  return true;
}

// The soft file limit raised to the hard one: every connection is a descriptor, and gRPC
// 1.51 stops accepting for good on EMFILE (CVE-2023-4785), so the more there are the better.
void RaiseFileLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  if (limit.rlim_cur < limit.rlim_max) {
    const rlim_t before = limit.rlim_cur;
    limit.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &limit) == 0) {
      spdlog::info("file limit raised from {} to {}", before, limit.rlim_cur);
      return;
    }
  }
  spdlog::info("file limit {}", limit.rlim_cur);
}

}  // namespace

int main(int argc, char** argv) {
  hbprep::ServerOptions options;
  bool listen_given = false;
  std::string log_level = "info";
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    std::string value;
    if (flag == "--help" || flag == "-h") {
      std::cout << kUsage;
      return 0;
    }
    if (size_t eq = flag.find('='); eq != std::string::npos) {
      value = flag.substr(eq + 1);
      flag.resize(eq);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      return Usage(flag + " needs a value");
    }
    bool ok = true;
    if (flag == "--models") {
      options.models_dir = value;
    } else if (flag == "--listen") {
      if (!listen_given) options.listen.clear();
      listen_given = true;
      options.listen.push_back(value);
    } else if (flag == "--workers") {
      ok = ParseNumber(value, &options.workers);
    } else if (flag == "--queue") {
      ok = ParseNumber(value, &options.queue_capacity);
    } else if (flag == "--max-message-bytes") {
      ok = ParseNumber(value, &options.max_message_bytes) && options.max_message_bytes > 0 &&
           options.max_message_bytes <= INT32_MAX;
    } else if (flag == "--max-side") {
      ok = ParseNumber(value, &options.max_side) && options.max_side > 0;
    } else if (flag == "--memory-budget") {
      ok = ParseBytes(value, &options.memory_budget_bytes);
    } else if (flag == "--max-pixels") {
      ok = ParseNumber(value, &options.max_pixels) && options.max_pixels > 0;
    } else if (flag == "--reload-poll-ms") {
      int64_t ms = 0;
      ok = ParseNumber(value, &ms);
      options.reload_poll = std::chrono::milliseconds(ms);
    } else if (flag == "--drain-delay-ms") {
      int64_t ms = 0;
      ok = ParseNumber(value, &ms);
      options.drain_delay = std::chrono::milliseconds(ms);
    } else if (flag == "--connection-idle-ms") {
      int64_t ms = 0;
      ok = ParseNumber(value, &ms) && ms > 0;
      options.connection_idle = std::chrono::milliseconds(ms);
    } else if (flag == "--grace-ms") {
      int64_t ms = 0;
      ok = ParseNumber(value, &ms);
      options.grace = std::chrono::milliseconds(ms);
    } else if (flag == "--http-listen") {
      options.http_listen = value;
    } else if (flag == "--http-timeout-ms") {
      int64_t ms = 0;
      ok = ParseNumber(value, &ms) && ms > 0;
      options.http_timeout = std::chrono::milliseconds(ms);
    } else if (flag == "--metrics-listen") {
      options.metrics_listen = value;
    } else if (flag == "--metrics-token-file") {
      std::ifstream file(value);
      std::stringstream text;
      text << file.rdbuf();
      options.metrics_token = std::string(absl::StripAsciiWhitespace(text.str()));
      if (!file || options.metrics_token.empty()) {
        return Usage("--metrics-token-file '" + value + "' cannot be read or is empty");
      }
    } else if (flag == "--auth-token-file") {
      std::ifstream file(value);
      std::stringstream text;
      text << file.rdbuf();
      options.auth_token = std::string(absl::StripAsciiWhitespace(text.str()));
      if (!file || options.auth_token.empty()) {
        return Usage("--auth-token-file '" + value + "' cannot be read or is empty");
      }
    } else if (flag == "--tls-cert") {
      options.tls_cert_file = value;
    } else if (flag == "--tls-key") {
      options.tls_key_file = value;
    } else if (flag == "--tls-client-ca") {
      options.tls_client_ca_file = value;
    } else if (flag == "--log-level") {
      log_level = value;
      ok = spdlog::level::from_str(value) != spdlog::level::off || value == "off";
    } else {
      return Usage("unknown flag " + flag);
    }
    if (!ok) return Usage(flag + " '" + value + "' is not valid");
  }
  if (options.models_dir.empty()) return Usage("--models DIR is required");
  spdlog::set_level(spdlog::level::from_str(log_level));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %l %v");
  hbprep::RouteLibraryLogging([](const std::string& line) { spdlog::warn("library: {}", line); });

  // Signals are taken synchronously by this thread; every other thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  RaiseFileLimit();

  hbprep::Server server(options);
  if (absl::Status started = server.Start(); !started.ok()) {
    spdlog::error("cannot start: {}", started.ToString());
    return 1;
  }
  for (;;) {
    const timespec second{1, 0};
    const int signal = sigtimedwait(&signals, nullptr, &second);
    if (signal < 0 && hbprep::Server::ListenerLost()) {
      // The last resort: what the process can no longer serve, a restart will.
      spdlog::error("a listener stopped accepting connections (gRPC after EMFILE): health "
                    "NOT_SERVING, exiting 1 for the supervisor to restart the server");
      server.Stop();
      return 1;
    }
    if (signal < 0) continue;
    if (signal == SIGHUP) {
      spdlog::info("SIGHUP: reloading the repository");
      server.ReloadNow();
      continue;
    }
    spdlog::info("{}: shutting down", signal == SIGTERM ? "SIGTERM" : "SIGINT");
    break;
  }
  // A second SIGTERM or SIGINT while draining: the operator wants it gone now.
  std::thread([&signals] {
    for (;;) {
      int again = 0;
      if (sigwait(&signals, &again) != 0 || again == SIGHUP) continue;
      spdlog::warn("second {}: exiting now without draining",
                   again == SIGTERM ? "SIGTERM" : "SIGINT");
      spdlog::default_logger()->flush();
      _exit(128 + again);
    }
  }).detach();
  server.Stop();
  return 0;
}
