#include "ember/ops/cpu/cross_entropy.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "ember/ops/cpu/parallel.h"
#include "ember/ops/cpu/vec_math.h"

namespace ember::cpu {

namespace {

int64_t sample_grain(int64_t classes) {
  return std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(classes, 1));
}

// log(sum_c exp(x[c * stride])) with the maximum factored out; a row of -inf gives -inf.
template <typename T>
T logsumexp_strided(const T* x, int64_t n, int64_t stride) {
  T m = -std::numeric_limits<T>::infinity();
  T sum = 0;
  if (stride == 1) {
#pragma omp simd reduction(max : m)
    for (int64_t c = 0; c < n; ++c) m = x[c] > m ? x[c] : m;
    const T shift = std::isinf(m) ? T(0) : m;
#pragma omp simd reduction(+ : sum)
    for (int64_t c = 0; c < n; ++c) sum += vexp(x[c] - shift);
    return shift + std::log(sum);
  }
  for (int64_t c = 0; c < n; ++c) m = x[c * stride] > m ? x[c * stride] : m;
  const T shift = std::isinf(m) ? T(0) : m;
  for (int64_t c = 0; c < n; ++c) sum += vexp(x[c * stride] - shift);
  return shift + std::log(sum);
}

template <typename T>
T sum_strided(const T* x, int64_t n, int64_t stride) {
  T sum = 0;
  if (stride == 1) {
#pragma omp simd reduction(+ : sum)
    for (int64_t c = 0; c < n; ++c) sum += x[c];
    return sum;
  }
  for (int64_t c = 0; c < n; ++c) sum += x[c * stride];
  return sum;
}

// Runs fn(sample index s, pointer to its first logit, stride between classes) for every sample.
template <typename T, typename F>
void for_each_sample(T* base, ClassShape s, const F& fn) {
  parallel_for(0, s.batch * s.inner, sample_grain(s.classes), [&](int64_t begin, int64_t end) {
    for (int64_t k = begin; k < end; ++k) {
      const int64_t n = k / s.inner, i = k % s.inner;
      fn(k, base + n * s.classes * s.inner + i, s.inner);
    }
  });
}

}  // namespace

template <typename T>
void cross_entropy_forward(const T* logits, const int64_t* target, T* loss, T* lse,
                           ClassShape shape, int64_t ignore_index, double smoothing) {
  const T keep = static_cast<T>(1 - smoothing);
  const T spread = static_cast<T>(smoothing / static_cast<double>(shape.classes));
  for_each_sample(logits, shape, [&](int64_t k, const T* x, int64_t stride) {
    const int64_t t = target[k];
    if (t == ignore_index) {
      loss[k] = 0;
      lse[k] = 0;
      return;
    }
    const T l = logsumexp_strided(x, shape.classes, stride);
    T value = l - keep * x[t * stride];
    if (smoothing != 0) value -= spread * sum_strided(x, shape.classes, stride);
    loss[k] = value;
    lse[k] = l;
  });
}

template <typename T>
void cross_entropy_backward(const T* logits, const int64_t* target, const T* lse, const T* grad,
                            T grad_scale, T* dlogits, ClassShape shape, int64_t ignore_index,
                            double smoothing) {
  const T keep = static_cast<T>(1 - smoothing);
  const T spread = static_cast<T>(smoothing / static_cast<double>(shape.classes));
  for_each_sample(logits, shape, [&](int64_t k, const T* x, int64_t stride) {
    T* d = dlogits + (x - logits);
    const int64_t t = target[k];
    const int64_t C = shape.classes;
    if (t == ignore_index) {
      for (int64_t c = 0; c < C; ++c) d[c * stride] = 0;
      return;
    }
    const T scale = grad ? grad[k] : grad_scale;
    const T l = lse[k];
    if (stride == 1) {
      for (int64_t c = 0; c < C; ++c) d[c] = scale * (vexp(x[c] - l) - spread);
    } else {
      for (int64_t c = 0; c < C; ++c) d[c * stride] = scale * (vexp(x[c * stride] - l) - spread);
    }
    d[t * stride] -= scale * keep;
  });
}

template <typename T>
void nll_forward(const T* log_probs, const int64_t* target, T* loss, ClassShape shape,
                 int64_t ignore_index) {
  for_each_sample(log_probs, shape, [&](int64_t k, const T* x, int64_t stride) {
    const int64_t t = target[k];
    loss[k] = t == ignore_index ? T(0) : -x[t * stride];
  });
}

#define EMBER_INSTANTIATE(T)                                                                    \
  template void cross_entropy_forward<T>(const T*, const int64_t*, T*, T*, ClassShape, int64_t, \
                                         double);                                               \
  template void cross_entropy_backward<T>(const T*, const int64_t*, const T*, const T*, T, T*,  \
                                          ClassShape, int64_t, double);                         \
  template void nll_forward<T>(const T*, const int64_t*, T*, ClassShape, int64_t);
EMBER_INSTANTIATE(float)
EMBER_INSTANTIATE(double)
#undef EMBER_INSTANTIATE

}  // namespace ember::cpu
