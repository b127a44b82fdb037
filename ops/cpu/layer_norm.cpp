#include "ember/ops/cpu/layer_norm.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "ember/ops/cpu/parallel.h"

namespace ember::cpu {

namespace {

constexpr int64_t kRowChunk = 128;     // rows summed together for the parameter gradients
constexpr int64_t kColumnBlock = 256;  // columns per task there

int64_t row_grain(int64_t cols) {
  return std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(cols, 1));
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
void layer_norm_backward_input(const T* dy, const T* x, const T* weight, const T* mean,
                               const T* rstd, T* dx, int64_t rows, int64_t cols) {
  const T n = static_cast<T>(cols);
  parallel_for(0, rows, row_grain(cols), [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const T* g = dy + i * cols;
      const T* in = x + i * cols;
      T* d = dx + i * cols;
      const T m = mean[i], r = rstd[i];
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
  });
}

template <typename T>
void layer_norm_backward_params(const T* dy, const T* x, const T* mean, const T* rstd, T* dweight,
                                T* dbias, int64_t rows, int64_t cols) {
  if (!dweight && !dbias) return;
  const int64_t chunks = std::max<int64_t>(1, (rows + kRowChunk - 1) / kRowChunk);
  const int64_t blocks = (cols + kColumnBlock - 1) / kColumnBlock;
  // Each (row chunk, column block) task sums its rows in T on the stack (contiguous, vectorised)
  // and stores one partial per chunk; then each column adds its chunks in order, in double.
  std::vector<double> part_w(static_cast<size_t>(chunks * cols));
  std::vector<double> part_b(static_cast<size_t>(chunks * cols));
  const int64_t task_work = std::min(rows, kRowChunk) * std::min(cols, kColumnBlock);
  parallel_for(0, chunks * blocks,
               std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(task_work, 1)),
               [&](int64_t begin, int64_t end) {
                 T acc_w[kColumnBlock], acc_b[kColumnBlock];
                 for (int64_t t = begin; t < end; ++t) {
                   const int64_t c = t / blocks, j0 = (t % blocks) * kColumnBlock;
                   const int64_t w = std::min(cols, j0 + kColumnBlock) - j0;
                   const int64_t i1 = std::min(rows, (c + 1) * kRowChunk);
                   std::fill(acc_w, acc_w + w, T(0));
                   std::fill(acc_b, acc_b + w, T(0));
                   for (int64_t i = c * kRowChunk; i < i1; ++i) {
                     const T* g = dy + i * cols + j0;
                     const T* in = x + i * cols + j0;
                     const T m = mean[i], r = rstd[i];
                     for (int64_t j = 0; j < w; ++j) {
                       acc_w[j] += g[j] * (in[j] - m) * r;
                       acc_b[j] += g[j];
                     }
                   }
                   for (int64_t j = 0; j < w; ++j) {
                     part_w[c * cols + j0 + j] = static_cast<double>(acc_w[j]);
                     part_b[c * cols + j0 + j] = static_cast<double>(acc_b[j]);
                   }
                 }
               });
  parallel_for(0, cols, std::max<int64_t>(1, kParallelGrain / chunks),
               [&](int64_t begin, int64_t end) {
                 for (int64_t j = begin; j < end; ++j) {
                   double w = 0, b = 0;
                   for (int64_t c = 0; c < chunks; ++c) {
                     if (dweight) w += part_w[c * cols + j];
                     if (dbias) b += part_b[c * cols + j];
                   }
                   if (dweight) dweight[j] = static_cast<T>(w);
                   if (dbias) dbias[j] = static_cast<T>(b);
                 }
               });
}

#define EMBER_INSTANTIATE(T)                                                                       \
  template void layer_norm_forward<T>(const T*, const T*, const T*, T*, T*, T*, int64_t, int64_t,  \
                                      double);                                                     \
  template void layer_norm_backward_input<T>(const T*, const T*, const T*, const T*, const T*, T*, \
                                             int64_t, int64_t);                                    \
  template void layer_norm_backward_params<T>(const T*, const T*, const T*, const T*, T*, T*,      \
                                              int64_t, int64_t);
EMBER_INSTANTIATE(float)
EMBER_INSTANTIATE(double)
#undef EMBER_INSTANTIATE

}  // namespace ember::cpu
