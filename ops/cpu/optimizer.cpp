#include "ember/ops/cpu/optimizer.h"

#include <cmath>
#include <type_traits>

#include "ember/ops/cpu/parallel.h"

namespace ember::cpu {
namespace {

// Calls fn(std::true_type) or fn(std::false_type), so that option checks become `if constexpr`
// and the inner loops stay branch-free and vectorisable.
template <typename F>
void with_flag(bool flag, F&& fn) {
  if (flag)
    fn(std::true_type{});
  else
    fn(std::false_type{});
}

}  // namespace

template <typename T>
void sgd_step(T* param, const T* grad, T* momentum_buffer, int64_t n, const SgdStep& s) {
  const T sign = s.maximize ? T(-1) : T(1);
  const T weight_decay = static_cast<T>(s.weight_decay);
  const T momentum = static_cast<T>(s.momentum);
  const T undamped = static_cast<T>(1.0 - s.dampening);
  const T neg_lr = static_cast<T>(-s.lr);
  with_flag(s.weight_decay != 0, [&](auto decay) {
    with_flag(s.momentum != 0, [&](auto use_momentum) {
      with_flag(s.nesterov, [&](auto nesterov) {
        with_flag(s.first_step, [&](auto first) {
          parallel_for(0, n, kParallelGrain, [&](int64_t begin, int64_t end) {
            for (int64_t i = begin; i < end; ++i) {
              T g = sign * grad[i];
              if constexpr (decltype(decay)::value) g = g + weight_decay * param[i];
              if constexpr (decltype(use_momentum)::value) {
                T buf;
                if constexpr (decltype(first)::value)
                  buf = g;
                else
                  buf = momentum_buffer[i] * momentum + undamped * g;
                momentum_buffer[i] = buf;
                if constexpr (decltype(nesterov)::value)
                  g = g + momentum * buf;
                else
                  g = buf;
              }
              param[i] = param[i] + neg_lr * g;
            }
          });
        });
      });
    });
  });
}

template <typename T>
void adam_step(T* param, const T* grad, T* exp_avg, T* exp_avg_sq, T* max_exp_avg_sq, int64_t n,
               const AdamStep& s) {
  // Scalars are worked out in double, as PyTorch does in Python, then rounded to T.
  const double t = static_cast<double>(s.step);
  const double bias_correction1 = 1.0 - std::pow(s.beta1, t);
  const double bias_correction2 = 1.0 - std::pow(s.beta2, t);
  const T neg_step_size = static_cast<T>(-(s.lr / bias_correction1));
  const T bias_correction2_sqrt = static_cast<T>(std::sqrt(bias_correction2));
  const T sign = s.maximize ? T(-1) : T(1);
  const T beta1 = static_cast<T>(s.beta1), one_minus_beta1 = static_cast<T>(1.0 - s.beta1);
  const T beta2 = static_cast<T>(s.beta2), one_minus_beta2 = static_cast<T>(1.0 - s.beta2);
  const T eps = static_cast<T>(s.eps);
  const T l2 = static_cast<T>(s.weight_decay);
  const T shrink = static_cast<T>(1.0 - s.lr * s.weight_decay);
  const bool decay = s.weight_decay != 0;
  with_flag(decay && !s.decoupled_weight_decay, [&](auto coupled) {
    with_flag(decay && s.decoupled_weight_decay, [&](auto decoupled) {
      with_flag(s.amsgrad, [&](auto amsgrad) {
        parallel_for(0, n, kParallelGrain, [&](int64_t begin, int64_t end) {
          for (int64_t i = begin; i < end; ++i) {
            T p = param[i];
            T g = sign * grad[i];
            if constexpr (decltype(coupled)::value) g = g + l2 * p;
            if constexpr (decltype(decoupled)::value) p = p * shrink;
            const T m = exp_avg[i] * beta1 + one_minus_beta1 * g;
            T v = exp_avg_sq[i] * beta2 + one_minus_beta2 * g * g;
            exp_avg[i] = m;
            exp_avg_sq[i] = v;
            if constexpr (decltype(amsgrad)::value) {
              // torch.maximum semantics: a NaN on either side wins.
              const T running = max_exp_avg_sq[i];
              v = (v > running || v != v) ? v : running;
              max_exp_avg_sq[i] = v;
            }
            const T denom = std::sqrt(v) / bias_correction2_sqrt + eps;
            param[i] = p + neg_step_size * m / denom;
          }
        });
      });
    });
  });
}

template void sgd_step<float>(float*, const float*, float*, int64_t, const SgdStep&);
template void sgd_step<double>(double*, const double*, double*, int64_t, const SgdStep&);
template void adam_step<float>(float*, const float*, float*, float*, float*, int64_t,
                               const AdamStep&);
template void adam_step<double>(double*, const double*, double*, double*, double*, int64_t,
                                const AdamStep&);

}  // namespace ember::cpu
