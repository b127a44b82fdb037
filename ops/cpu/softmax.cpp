#include "ember/ops/cpu/softmax.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "ember/ops/cpu/parallel.h"
#include "ember/ops/cpu/vec_math.h"

namespace ember::cpu {

namespace {

// Columns handled together when the softmax dim is strided; their running maxima and sums live
// on the stack.
constexpr int64_t kBlock = 64;

template <typename T>
constexpr T kNegInf = -std::numeric_limits<T>::infinity();

// The shift subtracted before exp. An infinite maximum is replaced by 0: for an all -inf row
// exp(x - 0) is exactly 0 everywhere (instead of exp(-inf + inf) = NaN), and for a +inf entry
// the result is inf or NaN, as the maths says.
template <typename T>
T stable_shift(T max) {
  return std::isinf(max) ? T(0) : max;
}

template <typename T>
T row_max(const T* x, int64_t n) {
  T m = kNegInf<T>;
#pragma omp simd reduction(max : m)
  for (int64_t i = 0; i < n; ++i) m = x[i] > m ? x[i] : m;
  return m;
}

template <typename T>
T row_sum_exp(const T* x, int64_t n, T shift) {
  T sum = 0;
#pragma omp simd reduction(+ : sum)
  for (int64_t i = 0; i < n; ++i) sum += vexp(x[i] - shift);
  return sum;
}

// Runs fn(o, i0, i1) over every row o and block of columns [i0, i1), in parallel over both.
template <typename F>
void for_each_column_block(SoftmaxShape s, const F& fn) {
  const int64_t blocks = (s.inner + kBlock - 1) / kBlock;
  const int64_t work_per_task = std::max<int64_t>(1, s.size * std::min(s.inner, kBlock));
  parallel_for(0, s.outer * blocks, std::max<int64_t>(1, kParallelGrain / work_per_task),
               [&](int64_t begin, int64_t end) {
                 for (int64_t t = begin; t < end; ++t) {
                   const int64_t o = t / blocks, i0 = (t % blocks) * kBlock;
                   fn(o, i0, std::min(s.inner, i0 + kBlock));
                 }
               });
}

template <typename F>
void for_each_row(SoftmaxShape s, const F& fn) {
  parallel_for(0, s.outer, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(s.size, 1)),
               [&](int64_t begin, int64_t end) {
                 for (int64_t o = begin; o < end; ++o) fn(o);
               });
}

template <typename T>
void softmax_rows(const T* x, T* y, SoftmaxShape s, bool log) {
  const int64_t n = s.size;
  for_each_row(s, [&](int64_t o) {
    const T* in = x + o * n;
    T* out = y + o * n;
    const T shift = stable_shift(row_max(in, n));
    if (log) {
      const T sum = row_sum_exp(in, n, shift);
      const T lse = shift + std::log(sum);
      if (sum == 0) {  // all -inf
        std::fill(out, out + n, kNegInf<T>);
        return;
      }
      for (int64_t i = 0; i < n; ++i) out[i] = in[i] - lse;
      return;
    }
    T sum = 0;
#pragma omp simd reduction(+ : sum)
    for (int64_t i = 0; i < n; ++i) {
      const T e = vexp(in[i] - shift);
      out[i] = e;
      sum += e;
    }
    const T scale = sum == 0 ? T(0) : T(1) / sum;
    for (int64_t i = 0; i < n; ++i) out[i] *= scale;
  });
}

template <typename T>
void softmax_columns(const T* x, T* y, SoftmaxShape s, bool log) {
  for_each_column_block(s, [&](int64_t o, int64_t i0, int64_t i1) {
    const int64_t w = i1 - i0;
    const T* in = x + o * s.size * s.inner + i0;
    T* out = y + o * s.size * s.inner + i0;
    T shift[kBlock], sum[kBlock];
    std::fill(shift, shift + w, kNegInf<T>);
    std::fill(sum, sum + w, T(0));
    for (int64_t r = 0; r < s.size; ++r)
      for (int64_t j = 0; j < w; ++j)
        shift[j] = in[r * s.inner + j] > shift[j] ? in[r * s.inner + j] : shift[j];
    for (int64_t j = 0; j < w; ++j) shift[j] = stable_shift(shift[j]);
    for (int64_t r = 0; r < s.size; ++r)
      for (int64_t j = 0; j < w; ++j) {
        const T e = vexp(in[r * s.inner + j] - shift[j]);
        if (!log) out[r * s.inner + j] = e;
        sum[j] += e;
      }
    if (log) {
      T lse[kBlock];
      for (int64_t j = 0; j < w; ++j) lse[j] = shift[j] + std::log(sum[j]);
      for (int64_t r = 0; r < s.size; ++r)
        for (int64_t j = 0; j < w; ++j)
          out[r * s.inner + j] = sum[j] == 0 ? kNegInf<T> : in[r * s.inner + j] - lse[j];
      return;
    }
    for (int64_t j = 0; j < w; ++j) sum[j] = sum[j] == 0 ? T(0) : T(1) / sum[j];
    for (int64_t r = 0; r < s.size; ++r)
      for (int64_t j = 0; j < w; ++j) out[r * s.inner + j] *= sum[j];
  });
}

template <typename T>
void softmax_backward_rows(const T* dy, const T* y, T* dx, SoftmaxShape s, bool log) {
  const int64_t n = s.size;
  for_each_row(s, [&](int64_t o) {
    const T* g = dy + o * n;
    const T* out = y + o * n;
    T* d = dx + o * n;
    T acc = 0;
    if (log) {
#pragma omp simd reduction(+ : acc)
      for (int64_t i = 0; i < n; ++i) acc += g[i];
      for (int64_t i = 0; i < n; ++i) d[i] = g[i] - vexp(out[i]) * acc;
    } else {
#pragma omp simd reduction(+ : acc)
      for (int64_t i = 0; i < n; ++i) acc += g[i] * out[i];
      for (int64_t i = 0; i < n; ++i) d[i] = out[i] * (g[i] - acc);
    }
  });
}

template <typename T>
void softmax_backward_columns(const T* dy, const T* y, T* dx, SoftmaxShape s, bool log) {
  for_each_column_block(s, [&](int64_t o, int64_t i0, int64_t i1) {
    const int64_t w = i1 - i0, base = o * s.size * s.inner + i0;
    const T* g = dy + base;
    const T* out = y + base;
    T* d = dx + base;
    T acc[kBlock];
    std::fill(acc, acc + w, T(0));
    for (int64_t r = 0; r < s.size; ++r)
      for (int64_t j = 0; j < w; ++j)
        acc[j] += log ? g[r * s.inner + j] : g[r * s.inner + j] * out[r * s.inner + j];
    for (int64_t r = 0; r < s.size; ++r)
      for (int64_t j = 0; j < w; ++j) {
        const int64_t k = r * s.inner + j;
        d[k] = log ? g[k] - vexp(out[k]) * acc[j] : out[k] * (g[k] - acc[j]);
      }
  });
}

}  // namespace

template <typename T>
void softmax_forward(const T* x, T* y, SoftmaxShape shape, bool log) {
  if (shape.inner == 1)
    softmax_rows(x, y, shape, log);
  else
    softmax_columns(x, y, shape, log);
}

template <typename T>
void softmax_backward(const T* dy, const T* y, T* dx, SoftmaxShape shape, bool log) {
  if (shape.inner == 1)
    softmax_backward_rows(dy, y, dx, shape, log);
  else
    softmax_backward_columns(dy, y, dx, shape, log);
}

template <typename T>
void logsumexp_forward(const T* x, T* out, SoftmaxShape s) {
  if (s.inner == 1) {
    for_each_row(s, [&](int64_t o) {
      const T* in = x + o * s.size;
      const T shift = stable_shift(row_max(in, s.size));
      out[o] = shift + std::log(row_sum_exp(in, s.size, shift));
    });
    return;
  }
  for_each_column_block(s, [&](int64_t o, int64_t i0, int64_t i1) {
    const int64_t w = i1 - i0;
    const T* in = x + o * s.size * s.inner + i0;
    T shift[kBlock], sum[kBlock];
    std::fill(shift, shift + w, kNegInf<T>);
    std::fill(sum, sum + w, T(0));
    for (int64_t r = 0; r < s.size; ++r)
      for (int64_t j = 0; j < w; ++j)
        shift[j] = in[r * s.inner + j] > shift[j] ? in[r * s.inner + j] : shift[j];
    for (int64_t j = 0; j < w; ++j) shift[j] = stable_shift(shift[j]);
    for (int64_t r = 0; r < s.size; ++r)
      for (int64_t j = 0; j < w; ++j) sum[j] += vexp(in[r * s.inner + j] - shift[j]);
    for (int64_t j = 0; j < w; ++j) out[o * s.inner + i0 + j] = shift[j] + std::log(sum[j]);
  });
}

#define EMBER_INSTANTIATE(T)                                                     \
  template void softmax_forward<T>(const T*, T*, SoftmaxShape, bool);            \
  template void softmax_backward<T>(const T*, const T*, T*, SoftmaxShape, bool); \
  template void logsumexp_forward<T>(const T*, T*, SoftmaxShape);
EMBER_INSTANTIATE(float)
EMBER_INSTANTIATE(double)
#undef EMBER_INSTANTIATE

}  // namespace ember::cpu
