#pragma once
// Gradient clipping, applied between backward() and the optimizer's step().
//
//   loss.backward();
//   double norm = optim::clip_grad_norm_(model.parameters(), 1.0);
//   if (std::isfinite(norm)) opt.step();   // skip the step on an overflowed / NaN gradient
#include "ember/core/tensor.h"

namespace ember::optim {

// Scales the gradients of `params` in place so that their total norm (the norm of all gradients
// concatenated, of order `norm_type`: any p > 0, or INFINITY for the largest magnitude) is at
// most `max_norm`: every gradient is multiplied by max_norm / (total + 1e-6) when that is below
// 1. Parameters without a gradient are ignored. Returns the total norm before clipping (0 when
// no parameter has a gradient).
//
// When the total norm is NaN or infinite the gradients are left untouched (scaling by it would
// turn every gradient into NaN or 0). With error_if_nonfinite the call then throws, naming the
// norm and the index in `params` of the first parameter whose gradient holds a NaN or infinity;
// otherwise it returns the non-finite norm so that the caller can skip the step (as mixed
// precision loss scalers do). Norms are accumulated in float64 whatever the gradient dtype, in
// an order that does not depend on the thread count.
double clip_grad_norm_(const TensorList& params, double max_norm, double norm_type = 2.0,
                       bool error_if_nonfinite = false);

// Clamps every gradient element of `params` into [-clip_value, clip_value] in place (NaN stays
// NaN). clip_value must be >= 0.
void clip_grad_value_(const TensorList& params, double clip_value);

}  // namespace ember::optim
