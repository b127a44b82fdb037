#pragma once
// Variance over the reduced block of a ReductionPlan, in two passes (mean, then squared
// deviations) with double accumulators: accurate even when the mean is large against the spread.
#include <cmath>
#include <cstdint>
#include <vector>

#include "ember/ops/cpu/reduce.h"

namespace ember::cpu {

// out = sum((x - mean)^2) / divisor, or its square root when `take_sqrt`. A divisor of 0 gives
// NaN or inf, as IEEE division does.
template <typename T>
void variance_kernel(const ReductionPlan& plan, T* out, double divisor, bool take_sqrt) {
  const T* in = plan.input.template data_ptr<T>();
  const int64_t R = plan.size, I = plan.inner;
  const auto finish = [&](double m2) {
    // No elements: NaN, as for the mean of nothing.
    const double v = R == 0 ? std::nan("") : m2 / divisor;
    return static_cast<T>(take_sqrt ? std::sqrt(v) : v);
  };
  const int64_t grain = std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(R * I, 1));
  if (I == 1) {
    parallel_for(0, plan.outer, grain, [&](int64_t begin, int64_t end) {
      for (int64_t o = begin; o < end; ++o) {
        const T* row = in + o * R;
        double sum = 0, m2 = 0;
#pragma omp simd reduction(+ : sum)
        for (int64_t r = 0; r < R; ++r) sum += static_cast<double>(row[r]);
        const double mean = sum / static_cast<double>(R);
#pragma omp simd reduction(+ : m2)
        for (int64_t r = 0; r < R; ++r) {
          const double d = static_cast<double>(row[r]) - mean;
          m2 += d * d;
        }
        out[o] = finish(m2);
      }
    });
    return;
  }
  parallel_for(0, plan.outer, grain, [&](int64_t begin, int64_t end) {
    std::vector<double> mean(static_cast<size_t>(I)), m2(static_cast<size_t>(I));
    for (int64_t o = begin; o < end; ++o) {
      const T* block = in + o * R * I;
      std::fill(mean.begin(), mean.end(), 0.0);
      std::fill(m2.begin(), m2.end(), 0.0);
      for (int64_t r = 0; r < R; ++r)
        for (int64_t i = 0; i < I; ++i) mean[i] += static_cast<double>(block[r * I + i]);
      for (int64_t i = 0; i < I; ++i) mean[i] /= static_cast<double>(R);
      for (int64_t r = 0; r < R; ++r)
        for (int64_t i = 0; i < I; ++i) {
          const double d = static_cast<double>(block[r * I + i]) - mean[i];
          m2[i] += d * d;
        }
      for (int64_t i = 0; i < I; ++i) out[o * I + i] = finish(m2[i]);
    }
  });
}

}  // namespace ember::cpu
