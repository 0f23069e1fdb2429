// Heap allocations counted in this process while enabled: the benchmark's measure of what a
// call allocates. glibc 2.36 has no malloc hooks, so alloc_counter.cc interposes malloc and
// its family (the executable's definitions win over libc's for every library, OpenCV's
// included) and replaces operator new, each counting once and calling glibc's own functions.
#ifndef HBPREP_TESTS_BENCH_ALLOC_COUNTER_H_
#define HBPREP_TESTS_BENCH_ALLOC_COUNTER_H_

#include <cstdint>

namespace hbprep::bench {

struct Allocations {
  int64_t calls = 0;
  int64_t bytes = 0;
};

// Starts counting (from zero) on every thread; StopCounting returns what was counted:
// -1 each in sanitizer builds, whose runtime owns malloc.
void StartCounting();
Allocations StopCounting();

}  // namespace hbprep::bench

#endif  // HBPREP_TESTS_BENCH_ALLOC_COUNTER_H_
