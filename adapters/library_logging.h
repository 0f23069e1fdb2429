// What libraries print on their own: libpng's warnings and errors (through OpenCV's PNG
// decoder, on C stdio's stderr) and OpenCV's log would reach the terminal or the server log
// as bare lines, without the "hbprep:" prefix and unescaped.
#ifndef HBPREP_ADAPTERS_LIBRARY_LOGGING_H_
#define HBPREP_ADAPTERS_LIBRARY_LOGGING_H_

#include <functional>
#include <string>

namespace hbprep {

// Silences OpenCV's log (its failures come back to hbprep as exceptions and statuses) and
// routes what libraries write to C stdio's `stderr` through `sink`, one line at a time,
// escaped and cut like Echo() (2 KiB). Without a sink, each line goes to the process's
// stderr as "hbprep: LINE". File descriptor 2 and std::cerr are left alone (hbprep's own
// messages and terminal checks see them as before). Lines written before exit are all
// delivered (an atexit handler drains them). Call once, early in main.
void RouteLibraryLogging(std::function<void(const std::string& line)> sink = nullptr);

}  // namespace hbprep

#endif  // HBPREP_ADAPTERS_LIBRARY_LOGGING_H_
