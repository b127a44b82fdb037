#pragma once
// Work splitting across cores. Kernels given to parallel_for must compute each element
// independently of the chunking (RNG streams are counter-based, reductions split by output), so
// results never depend on how many threads run.
#include <algorithm>
#include <cstdint>

#include "ember/ops/threads.h"

namespace ember::cpu {

inline constexpr int64_t kParallelGrain = 32768;

// fn(begin, end) over [begin, end) in chunks of at least `grain`, across threads when worth it.
template <typename F>
void parallel_for(int64_t begin, int64_t end, int64_t grain, const F& fn) {
  const int64_t n = end - begin;
  if (n <= 0) return;
  const int threads = get_num_threads();
  if (n <= grain || threads <= 1) {
    fn(begin, end);
    return;
  }
  const int64_t chunks = std::min<int64_t>((n + grain - 1) / grain, threads * 4);
  const int64_t chunk = (n + chunks - 1) / chunks;
#pragma omp parallel for schedule(static) num_threads(threads)
  for (int64_t c = 0; c < chunks; ++c) {
    const int64_t b = begin + c * chunk;
    const int64_t e = std::min(end, b + chunk);
    if (b < e) fn(b, e);
  }
}

}  // namespace ember::cpu
