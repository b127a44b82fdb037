#pragma once
// Loss functions with PyTorch's semantics.
//
//   auto loss = ember::cross_entropy(logits, targets);                       // mean over samples
//   auto loss = ember::cross_entropy(logits, targets, {.ignore_index = pad, .label_smoothing =
//   0.1});
#include "ember/core/tensor.h"

namespace ember {

// How per-element losses are combined: kept (None), averaged (Mean) or added (Sum).
enum class Reduction { None, Mean, Sum };

struct CrossEntropyOptions {
  int64_t ignore_index = -100;  // samples with this target add nothing and are not counted
  double label_smoothing = 0;   // in [0, 1]
  Reduction reduction = Reduction::Mean;
};

// Cross entropy from unnormalised logits and int64 class indices, with a fused log-softmax.
// Shapes: logits [N, C] with target [N]; [N, C, d1, ...] with [N, d1, ...]; or [C] with a 0-d
// target. Per sample, with p = log_softmax(logits) over C and eps the label smoothing:
//   loss = -(1 - eps) p[target] - eps / C * sum_c p[c]
// Mean divides the sum by the number of samples whose target is not ignore_index (NaN if there
// are none). Every other target must lie in [0, C).
// Gradient: softmax(logits) - (1 - eps) onehot(target) - eps / C, scaled, 0 for ignored samples.
Tensor cross_entropy(const Tensor& logits, const Tensor& target,
                     const CrossEntropyOptions& options = {});

struct NLLLossOptions {
  int64_t ignore_index = -100;
  Reduction reduction = Reduction::Mean;
};

// Negative log-likelihood of log-probabilities (e.g. from log_softmax): -log_probs[target] per
// sample, same shapes and target rules as cross_entropy.
Tensor nll_loss(const Tensor& log_probs, const Tensor& target, const NLLLossOptions& options = {});

// (input - target)^2, reduced. Both must have the same shape (no silent broadcasting of [N] against
// [N, 1]); differentiable in both.
Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::Mean);

// Binary cross entropy of sigmoid(logits) against targets in [0, 1], in the stable form
//   loss = (1 - y) x + (1 + (pos_weight - 1) y) softplus(-x)
// (which never evaluates log(0)). pos_weight (optional) weighs the positive term and broadcasts
// against the logits, e.g. one weight per class of the last dim. target has the logits' shape.
// Differentiable in logits, target and pos_weight.
Tensor binary_cross_entropy_with_logits(const Tensor& logits, const Tensor& target,
                                        Reduction reduction = Reduction::Mean,
                                        const Tensor& pos_weight = {});

}  // namespace ember
