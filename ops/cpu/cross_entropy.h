#pragma once
// Classification-loss kernels. Logits (or log-probabilities) are contiguous and seen as
// [batch, classes, inner] (inner > 1 for [N, C, d1, ...] inputs); targets are contiguous int64
// [batch, inner] and already validated (each is a class index or ignore_index).
#include <cstdint>

namespace ember::cpu {

struct ClassShape {
  int64_t batch = 1, classes = 1, inner = 1;
};

// Per-sample cross entropy with label smoothing eps, from a fused log-softmax:
//   loss = lse - (1 - eps) x[target] - eps / C * sum_c x[c],   lse = log(sum_c exp(x[c]))
// Ignored samples get loss 0. lse is kept for the backward pass.
template <typename T>
void cross_entropy_forward(const T* logits, const int64_t* target, T* loss, T* lse,
                           ClassShape shape, int64_t ignore_index, double smoothing);

// dlogits = scale * (exp(x - lse) - (1 - eps) [c == target] - eps / C), 0 for ignored samples;
// scale is grad[sample] when `grad` is given, else `grad_scale`.
template <typename T>
void cross_entropy_backward(const T* logits, const int64_t* target, const T* lse, const T* grad,
                            T grad_scale, T* dlogits, ClassShape shape, int64_t ignore_index,
                            double smoothing);

// loss = -log_probs[target] per sample (0 for ignored ones).
template <typename T>
void nll_forward(const T* log_probs, const int64_t* target, T* loss, ClassShape shape,
                 int64_t ignore_index);

}  // namespace ember::cpu
