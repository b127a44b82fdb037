#include "ember/ops/cpu/layer_norm.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "ember/ops/cpu/parallel.h"

namespace ember::cpu {

namespace {

constexpr int64_t kRowChunk = 64;  // rows whose parameter gradients are summed together

int64_t row_grain(int64_t cols) {
  return std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(cols, 1));
}

// dx for one row: rstd * (g w - mean(g w) - x_hat * mean(g w x_hat)).
template <typename T>
void input_gradient_row(const T* g, const T* in, const T* weight, T m, T r, T n, T* d,
                        int64_t cols) {
  T sum_g = 0, sum_gx = 0;
  if (weight) {
#pragma omp simd reduction(+ : sum_g, sum_gx)
    for (int64_t j = 0; j < cols; ++j) {
      const T gw = g[j] * weight[j];
      sum_g += gw;
      sum_gx += gw * (in[j] - m) * r;
    }
  } else {
#pragma omp simd reduction(+ : sum_g, sum_gx)
    for (int64_t j = 0; j < cols; ++j) {
      sum_g += g[j];
      sum_gx += g[j] * (in[j] - m) * r;
    }
  }
  const T mean_g = sum_g / n, mean_gx = sum_gx / n;
  if (weight) {
    for (int64_t j = 0; j < cols; ++j)
      d[j] = r * (g[j] * weight[j] - mean_g - (in[j] - m) * r * mean_gx);
  } else {
    for (int64_t j = 0; j < cols; ++j) d[j] = r * (g[j] - mean_g - (in[j] - m) * r * mean_gx);
  }
}

}  // namespace

template <typename T>
void layer_norm_forward(const T* x, const T* weight, const T* bias, T* y, T* mean, T* rstd,
                        int64_t rows, int64_t cols, double eps) {
  const T n = static_cast<T>(cols);
  parallel_for(0, rows, row_grain(cols), [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const T* in = x + i * cols;
      T* out = y + i * cols;
      T sum = 0;
#pragma omp simd reduction(+ : sum)
      for (int64_t j = 0; j < cols; ++j) sum += in[j];
      const T m = sum / n;
      T m2 = 0;  // two passes: no cancellation when the mean is large against the spread
#pragma omp simd reduction(+ : m2)
      for (int64_t j = 0; j < cols; ++j) m2 += (in[j] - m) * (in[j] - m);
      const T r = static_cast<T>(1.0 / std::sqrt(static_cast<double>(m2 / n) + eps));
      mean[i] = m;
      rstd[i] = r;
      if (weight && bias) {
        for (int64_t j = 0; j < cols; ++j) out[j] = (in[j] - m) * r * weight[j] + bias[j];
        continue;
      }
      for (int64_t j = 0; j < cols; ++j) out[j] = (in[j] - m) * r;
      if (weight)
        for (int64_t j = 0; j < cols; ++j) out[j] *= weight[j];
      if (bias)
        for (int64_t j = 0; j < cols; ++j) out[j] += bias[j];
    }
  });
}

template <typename T>
void layer_norm_backward(const T* dy, const T* x, const T* weight, const T* mean, const T* rstd,
                         T* dx, T* dweight, T* dbias, int64_t rows, int64_t cols) {
  const T n = static_cast<T>(cols);
  const int64_t chunks = std::max<int64_t>(1, (rows + kRowChunk - 1) / kRowChunk);
  const bool params = dweight || dbias;
  // Per-chunk partial sums of the parameter gradients, filled while each row is in cache.
  std::vector<T> part_w(params ? static_cast<size_t>(chunks * cols) : 0);
  std::vector<T> part_b(params ? static_cast<size_t>(chunks * cols) : 0);
  const int64_t grain =
      std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(kRowChunk * cols, 1));
  parallel_for(0, chunks, grain, [&](int64_t begin, int64_t end) {
    for (int64_t c = begin; c < end; ++c) {
      T* pw = params ? part_w.data() + c * cols : nullptr;
      T* pb = params ? part_b.data() + c * cols : nullptr;
      if (params) {
        std::fill(pw, pw + cols, T(0));
        std::fill(pb, pb + cols, T(0));
      }
      for (int64_t i = c * kRowChunk; i < std::min(rows, (c + 1) * kRowChunk); ++i) {
        const T* g = dy + i * cols;
        const T* in = x + i * cols;
        const T m = mean[i], r = rstd[i];
        if (dx) input_gradient_row(g, in, weight, m, r, n, dx + i * cols, cols);
        if (params)
          for (int64_t j = 0; j < cols; ++j) {
            pw[j] += g[j] * (in[j] - m) * r;
            pb[j] += g[j];
          }
      }
    }
  });
  if (!params) return;
  parallel_for(0, cols, std::max<int64_t>(1, kParallelGrain / chunks),
               [&](int64_t begin, int64_t end) {
                 for (int64_t j = begin; j < end; ++j) {
                   double w = 0, b = 0;
                   for (int64_t c = 0; c < chunks; ++c) {
                     w += static_cast<double>(part_w[c * cols + j]);
                     b += static_cast<double>(part_b[c * cols + j]);
                   }
                   if (dweight) dweight[j] = static_cast<T>(w);
                   if (dbias) dbias[j] = static_cast<T>(b);
                 }
               });
}

#define EMBER_INSTANTIATE(T)                                                                      \
  template void layer_norm_forward<T>(const T*, const T*, const T*, T*, T*, T*, int64_t, int64_t, \
                                      double);                                                    \
  template void layer_norm_backward<T>(const T*, const T*, const T*, const T*, const T*, T*, T*,  \
                                       T*, int64_t, int64_t);
EMBER_INSTANTIATE(float)
EMBER_INSTANTIATE(double)
#undef EMBER_INSTANTIATE

}  // namespace ember::cpu
