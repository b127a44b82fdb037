#include "ember/ops/cpu/dropout.h"

#include <algorithm>
#include <cmath>

#include "ember/core/generator.h"
#include "ember/ops/cpu/parallel.h"

namespace ember::cpu {

namespace {

constexpr int64_t kLanes = 64;  // Philox counters evaluated together (256 elements)

// Philox4x32-10 for counters first .. first + kLanes - 1 at once: words[4 * lane + w] equals
// philox4x32(seed, first + lane)[w], i.e. the words in element order. The same rounds as
// core/generator.cpp, written over lane arrays so the compiler turns them into SIMD multiplies (a
// scalar Philox call per four elements would dominate the cost of dropout).
void philox_lanes(uint64_t seed, uint64_t first, uint32_t (&words)[4 * kLanes]) {
  constexpr uint32_t kMul0 = 0xD2511F53, kMul1 = 0xCD9E8D57;
  constexpr uint32_t kWeyl0 = 0x9E3779B9, kWeyl1 = 0xBB67AE85;
  uint32_t c0[kLanes], c1[kLanes], c2[kLanes], c3[kLanes];
  for (int64_t l = 0; l < kLanes; ++l) {
    const uint64_t counter = first + static_cast<uint64_t>(l);
    c0[l] = static_cast<uint32_t>(counter);
    c1[l] = static_cast<uint32_t>(counter >> 32);
    c2[l] = 0;
    c3[l] = 0;
  }
  uint32_t k0 = static_cast<uint32_t>(seed), k1 = static_cast<uint32_t>(seed >> 32);
  for (int round = 0; round < 10; ++round) {
#pragma omp simd
    for (int64_t l = 0; l < kLanes; ++l) {
      const uint64_t p0 = static_cast<uint64_t>(kMul0) * c0[l];
      const uint64_t p1 = static_cast<uint64_t>(kMul1) * c2[l];
      c0[l] = static_cast<uint32_t>(p1 >> 32) ^ c1[l] ^ k0;
      c1[l] = static_cast<uint32_t>(p1);
      c2[l] = static_cast<uint32_t>(p0 >> 32) ^ c3[l] ^ k1;
      c3[l] = static_cast<uint32_t>(p0);
    }
    k0 += kWeyl0;
    k1 += kWeyl1;
  }
  for (int64_t l = 0; l < kLanes; ++l) {
    words[4 * l] = c0[l];
    words[4 * l + 1] = c1[l];
    words[4 * l + 2] = c2[l];
    words[4 * l + 3] = c3[l];
  }
}

}  // namespace

template <typename T>
void dropout_kernel(const T* x, T* y, int64_t n, double p, uint64_t seed, uint64_t first) {
  if (p >= 1) {  // nothing is kept (the threshold below would not fit in 32 bits)
    std::fill(y, y + n, T(0));
    return;
  }
  const T scale = static_cast<T>(1.0 / (1.0 - p));
  // Keep when word * 2^-32 >= p, i.e. word >= ceil(p * 2^32).
  const auto threshold = static_cast<uint32_t>(std::ceil(p * 4294967296.0));
  const auto counters = static_cast<int64_t>(dropout_counters(n));
  const int64_t batches = (counters + kLanes - 1) / kLanes;
  parallel_for(0, batches, 16, [&](int64_t begin, int64_t end) {
    uint32_t words[4 * kLanes];
    for (int64_t b = begin; b < end; ++b) {
      philox_lanes(seed, first + static_cast<uint64_t>(b * kLanes), words);
      const int64_t base = b * kLanes * 4;
      const int64_t count = std::min<int64_t>(kLanes * 4, n - base);
      const T* in = x + base;
      T* out = y + base;
      for (int64_t j = 0; j < count; ++j) {
        const T kept = in[j] * scale;
        out[j] = words[j] >= threshold ? kept : T(0);
      }
    }
  });
}

template void dropout_kernel<float>(const float*, float*, int64_t, double, uint64_t, uint64_t);
template void dropout_kernel<double>(const double*, double*, int64_t, double, uint64_t, uint64_t);

}  // namespace ember::cpu
