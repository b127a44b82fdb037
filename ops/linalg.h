#pragma once
// Matrix products, backed by OpenBLAS on the CPU.
//
//   auto q = ember::randn({8, 4, 16, 32});        // [batch, heads, tokens, head_dim]
//   auto k = ember::randn({8, 4, 16, 32});
//   auto scores = ember::matmul(q, k.transpose(-2, -1));   // [8, 4, 16, 16], no copy of k
//
// Gradients: for C = A B, dA = dC B^T and dB = A^T dC, each summed over the batch dims that
// were broadcast. They are written with matmul itself, so higher-order gradients work.
#include "ember/core/tensor.h"

namespace ember {

// PyTorch's matmul:
//   1-d x 1-d: dot product (0-d result);
//   2-d x 2-d: matrix product;
//   1-d x n-d: the vector is taken as a [1, K] row and the added dim removed from the result;
//   n-d x 1-d: the vector is taken as a [K, 1] column and the added dim removed;
//   n-d x n-d: batched, the batch dims (all but the last two) broadcast:
//              [B, 1, M, K] x [H, K, N] -> [B, H, M, N].
// Both operands must have the same dtype (float32, float64 or int64) and device.
Tensor matmul(const Tensor& a, const Tensor& b);
// [M, K] x [K, N] -> [M, N] only.
Tensor mm(const Tensor& a, const Tensor& b);
// [B, M, K] x [B, K, N] -> [B, M, N] only (no broadcasting).
Tensor bmm(const Tensor& a, const Tensor& b);

// x @ weight^T + bias, as torch.nn.functional.linear: x [..., in], weight [out, in], bias [out]
// (optional: pass an undefined Tensor) -> [..., out]. One GEMM over all leading dims, with the
// bias written into the output before it accumulates.
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = {});

}  // namespace ember
