// Arithmetic for sizes that come from outside (headers, shapes, strides): products and sums
// saturate at INT64_MAX, beyond every limit, instead of overflowing, or say that they do not
// fit.
#ifndef HBPREP_ADAPTERS_SIZE_MATH_H_
#define HBPREP_ADAPTERS_SIZE_MATH_H_

#include <algorithm>
#include <cstdint>
#include <limits>

namespace hbprep {

// a * b; 0 when either is 0 or negative (a dynamic -1 has no size yet).
inline int64_t SizeMul(int64_t a, int64_t b) {
  if (a <= 0 || b <= 0) return 0;
  int64_t product = 0;
  return __builtin_mul_overflow(a, b, &product) ? std::numeric_limits<int64_t>::max() : product;
}

// a + b, negative operands taken as 0.
inline int64_t SizeAdd(int64_t a, int64_t b) {
  int64_t sum = 0;
  return __builtin_add_overflow(std::max<int64_t>(a, 0), std::max<int64_t>(b, 0), &sum)
             ? std::numeric_limits<int64_t>::max()
             : sum;
}

// a * b and a + b into `out`, false when the result does not fit (where exact sizes matter
// more than a bound: a layout's byte offsets).
inline bool CheckedMul(int64_t a, int64_t b, int64_t* out) {
  return !__builtin_mul_overflow(a, b, out);
}
inline bool CheckedAdd(int64_t a, int64_t b, int64_t* out) {
  return !__builtin_add_overflow(a, b, out);
}

}  // namespace hbprep

#endif  // HBPREP_ADAPTERS_SIZE_MATH_H_
