#pragma once
// Layer normalisation over the trailing dims given by `normalized_shape`:
//
//   y = (x - mean) / sqrt(var + eps) * weight + bias
//
// with mean and (biased) var taken over those trailing dims, separately for every leading index.
// weight and bias have shape normalized_shape and may be undefined (no scale / no shift).
//
//   auto y = ember::layer_norm(x, {512}, gamma, beta);   // x: [batch, seq, 512]
//
// A fused kernel computes the forward pass keeping only mean and 1/std per row, and a fused
// backward pass gives dx, dweight, dbias. When the backward pass is itself recorded
// (create_graph) the gradient is built from differentiable ops instead, so second derivatives
// work.
#include "ember/core/tensor.h"

namespace ember {

Tensor layer_norm(const Tensor& x, const Shape& normalized_shape, const Tensor& weight = {},
                  const Tensor& bias = {}, double eps = 1e-5);

}  // namespace ember
