#include "tests/bench/alloc_counter.h"

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <malloc.h>

#include <new>

// glibc's implementations, which its malloc/free symbols alias.
extern "C" {
void* __libc_malloc(size_t size);
void* __libc_calloc(size_t count, size_t size);
void* __libc_realloc(void* p, size_t size);
void* __libc_memalign(size_t alignment, size_t size);
void __libc_free(void* p);
}

#ifdef HBPREP_COUNT_ALLOCATIONS

namespace hbprep::bench {
namespace {

std::atomic<bool> counting{false};
std::atomic<int64_t> calls{0}, bytes{0};

inline void Count(size_t size) {
  if (!counting.load(std::memory_order_relaxed)) return;
  calls.fetch_add(1, std::memory_order_relaxed);
  bytes.fetch_add(static_cast<int64_t>(size), std::memory_order_relaxed);
}

void* New(size_t size) {
  Count(size);
  if (void* p = __libc_malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}

void* NewAligned(size_t size, std::align_val_t alignment) {
  Count(size);
  if (void* p = __libc_memalign(static_cast<size_t>(alignment), size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}

}  // namespace

void StartCounting() {
  calls = 0;
  bytes = 0;
  counting = true;
}

Allocations StopCounting() {
  counting = false;
  return {calls.load(), bytes.load()};
}

}  // namespace hbprep::bench

using hbprep::bench::Count;

extern "C" {
void* malloc(size_t size) {
  Count(size);
  return __libc_malloc(size);
}
void* calloc(size_t count, size_t size) {
  Count(count * size);
  return __libc_calloc(count, size);
}
void* realloc(void* p, size_t size) {
  Count(size);
  return __libc_realloc(p, size);
}
void free(void* p) { __libc_free(p); }
void* memalign(size_t alignment, size_t size) {
  Count(size);
  return __libc_memalign(alignment, size);
}
void* aligned_alloc(size_t alignment, size_t size) {
  Count(size);
  return __libc_memalign(alignment, size);
}
int posix_memalign(void** out, size_t alignment, size_t size) {
  Count(size);
  void* p = __libc_memalign(alignment, size);
  if (p == nullptr) return ENOMEM;
  *out = p;
  return 0;
}
}

void* operator new(size_t size) { return hbprep::bench::New(size); }
void* operator new[](size_t size) { return hbprep::bench::New(size); }
void* operator new(size_t size, const std::nothrow_t&) noexcept {
  try {
    return hbprep::bench::New(size);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](size_t size, const std::nothrow_t&) noexcept {
  try {
    return hbprep::bench::New(size);
  } catch (...) {
    return nullptr;
  }
}
void* operator new(size_t size, std::align_val_t a) { return hbprep::bench::NewAligned(size, a); }
void* operator new[](size_t size, std::align_val_t a) {
  return hbprep::bench::NewAligned(size, a);
}
void operator delete(void* p) noexcept { __libc_free(p); }
void operator delete[](void* p) noexcept { __libc_free(p); }
void operator delete(void* p, size_t) noexcept { __libc_free(p); }
void operator delete[](void* p, size_t) noexcept { __libc_free(p); }
void operator delete(void* p, std::align_val_t) noexcept { __libc_free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { __libc_free(p); }
void operator delete(void* p, size_t, std::align_val_t) noexcept { __libc_free(p); }
void operator delete[](void* p, size_t, std::align_val_t) noexcept { __libc_free(p); }

#else  // sanitizer builds: their runtime owns malloc, nothing is counted

namespace hbprep::bench {
void StartCounting() {}
Allocations StopCounting() { return {-1, -1}; }
}  // namespace hbprep::bench

#endif
