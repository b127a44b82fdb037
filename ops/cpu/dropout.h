#pragma once
// The inverted-dropout mask: element i of a contiguous tensor is kept, and scaled by 1 / (1 - p),
// when the uniform draw for i is at least p; else it becomes 0. The draw for element i is word
// i % 4 of Philox(seed, first + i / 4): a pure function of (seed, first, i), so results do not
// depend on the thread count, and the backward pass can recompute the mask instead of storing it.
#include <cstdint>

namespace ember::cpu {

// Philox counters used by a draw over n elements (four 32-bit words per counter).
inline uint64_t dropout_counters(int64_t n) {
  return static_cast<uint64_t>(n + 3) / 4;
}

// y = x * mask / (1 - p); x and y contiguous with n elements (they may alias).
template <typename T>
void dropout_kernel(const T* x, T* y, int64_t n, double p, uint64_t seed, uint64_t first);

}  // namespace ember::cpu
