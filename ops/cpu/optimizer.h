#pragma once
// Fused optimizer updates: one pass over a parameter's contiguous buffers, no temporaries. They
// know nothing about tensors or graphs; optim/ validates the buffers and calls them.
//
// Each follows PyTorch 1.13's single-tensor update order exactly, computing in the parameter's
// type T with the coefficients rounded to T first (as PyTorch does for float32 parameters).
#include <cstdint>

namespace ember::cpu {

struct SgdStep {
  double lr = 0;
  double momentum = 0;
  double dampening = 0;
  double weight_decay = 0;
  bool nesterov = false;
  bool maximize = false;
  // The first update copies the (decayed) gradient into the momentum buffer, undampened.
  bool first_step = false;
};

// g = ±grad + wd p; buf = momentum ? (first ? g : buf m + (1 - dampening) g) : -;
// d = nesterov ? g + m buf : buf (or g without momentum); p -= lr d.
// `momentum_buffer` may be null when momentum is 0.
template <typename T>
void sgd_step(T* param, const T* grad, T* momentum_buffer, int64_t n, const SgdStep& s);

struct AdamStep {
  double lr = 0;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0;
  bool decoupled_weight_decay = false;  // AdamW: p *= 1 - lr wd before the update
  bool amsgrad = false;
  bool maximize = false;
  int64_t step = 1;  // the step being taken, counted from 1
};

// g = ±grad (+ wd p unless decoupled); m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
// vmax = max(vmax, v) with amsgrad; p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps).
// `max_exp_avg_sq` may be null unless amsgrad.
template <typename T>
void adam_step(T* param, const T* grad, T* exp_avg, T* exp_avg_sq, T* max_exp_avg_sq, int64_t n,
               const AdamStep& s);

}  // namespace ember::cpu
