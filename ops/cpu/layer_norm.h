#pragma once
// Layer normalisation kernels over contiguous [rows, cols] data, each row normalised on its own:
//   y = (x - mean) * rstd * weight + bias,   rstd = 1 / sqrt(var + eps)  (biased variance)
// The forward pass keeps only mean and rstd per row (as llm.c does); the backward pass rebuilds
// x_hat = (x - mean) * rstd from them. weight and bias may be null (no affine transform).
#include <cstdint>

namespace ember::cpu {

template <typename T>
void layer_norm_forward(const T* x, const T* weight, const T* bias, T* y, T* mean, T* rstd,
                        int64_t rows, int64_t cols, double eps);

// dx = rstd * (g - mean(g) - x_hat * mean(g * x_hat)),  g = dy * weight.
template <typename T>
void layer_norm_backward_input(const T* dy, const T* x, const T* weight, const T* mean,
                               const T* rstd, T* dx, int64_t rows, int64_t cols);

// dweight = sum over rows of dy * x_hat, dbias = sum over rows of dy (either may be null).
// The row sums are split into fixed-size chunks, never by thread, so the result does not depend
// on the number of threads.
template <typename T>
void layer_norm_backward_params(const T* dy, const T* x, const T* mean, const T* rstd, T* dweight,
                                T* dbias, int64_t rows, int64_t cols);

}  // namespace ember::cpu
