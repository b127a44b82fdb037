#pragma once
// Reductions that pick an element (max, min) and report where it was: for every output, the
// winning value and its position along the reduced block of a ReductionPlan. On ties the first
// position wins; a NaN beats any number (the first NaN wins), as in PyTorch.
#include <cstdint>
#include <type_traits>

#include "ember/ops/cpu/reduce.h"

namespace ember::cpu {

// Whether v replaces the current best.
template <typename T, bool kMax>
inline bool beats(T v, T best) {
  if constexpr (std::is_floating_point_v<T>)
    if (v != v) return best == best;
  return kMax ? v > best : v < best;
}

// Position of the winner in a contiguous row of n >= 1 elements. Floats take two passes: a
// vectorised search for the extreme value (and any NaN), then the first position holding it.
template <typename T, bool kMax>
int64_t row_winner(const T* row, int64_t n) {
  if constexpr (std::is_floating_point_v<T>) {
    T m = row[0];
    int nan = 0;
    if constexpr (kMax) {
#pragma omp simd reduction(max : m) reduction(| : nan)
      for (int64_t r = 0; r < n; ++r) {
        m = row[r] > m ? row[r] : m;
        nan |= row[r] != row[r];
      }
    } else {
#pragma omp simd reduction(min : m) reduction(| : nan)
      for (int64_t r = 0; r < n; ++r) {
        m = row[r] < m ? row[r] : m;
        nan |= row[r] != row[r];
      }
    }
    for (int64_t r = 0; r < n; ++r)
      if (nan ? row[r] != row[r] : row[r] == m) return r;
    return 0;
  } else {
    int64_t best = 0;
    for (int64_t r = 1; r < n; ++r)
      if (beats<T, kMax>(row[r], row[best])) best = r;
    return best;
  }
}

// The plan's reduced size must be at least 1.
template <typename T, bool kMax>
void arg_reduce_kernel(const ReductionPlan& plan, T* values, int64_t* indices) {
  const T* in = plan.input.template data_ptr<T>();
  const int64_t R = plan.size, I = plan.inner;
  const int64_t grain = std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(R * I, 1));
  if (I == 1) {
    parallel_for(0, plan.outer, grain, [&](int64_t begin, int64_t end) {
      for (int64_t o = begin; o < end; ++o) {
        const int64_t r = row_winner<T, kMax>(in + o * R, R);
        values[o] = in[o * R + r];
        indices[o] = r;
      }
    });
    return;
  }
  parallel_for(0, plan.outer, grain, [&](int64_t begin, int64_t end) {
    for (int64_t o = begin; o < end; ++o) {
      const T* block = in + o * R * I;
      T* best = values + o * I;
      int64_t* where = indices + o * I;
      for (int64_t i = 0; i < I; ++i) {
        best[i] = block[i];
        where[i] = 0;
      }
      for (int64_t r = 1; r < R; ++r) {
        const T* row = block + r * I;
        for (int64_t i = 0; i < I; ++i)
          if (beats<T, kMax>(row[i], best[i])) {
            best[i] = row[i];
            where[i] = r;
          }
      }
    }
  });
}

}  // namespace ember::cpu
