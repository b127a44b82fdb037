#pragma once
// Softmax and log-softmax along one dim: fused, numerically stable kernels (the row maximum is
// subtracted before exponentiating).
//
//   softmax(x)_i     = exp(x_i - m) / sum_j exp(x_j - m),   m = max_j x_j
//   log_softmax(x)_i = x_i - m - log(sum_j exp(x_j - m))
//
// Masking (attention): set masked logits to -inf, e.g. x.masked_fill(mask, -INFINITY), then take
// the softmax. Masked entries get probability exactly 0; a row with every entry masked gives all
// zeros (not NaN) and passes a zero gradient back. (log_softmax of such a row is -inf.)
//
//   auto p = ember::softmax(scores.masked_fill(causal_mask, -INFINITY), -1);
//
// Gradients, with y the output and g its gradient:
//   softmax:     dx = y * (g - sum(g * y))
//   log_softmax: dx = g - exp(y) * sum(g)
// computed by a fused kernel, or by those formulas in differentiable ops when the backward pass
// itself is recorded (create_graph), which gives higher-order gradients.
#include "ember/core/tensor.h"

namespace ember {

Tensor softmax(const Tensor& x, int64_t dim);
Tensor log_softmax(const Tensor& x, int64_t dim);

}  // namespace ember
