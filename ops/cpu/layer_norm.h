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

// Gradients, any of dx, dweight, dbias may be null (not wanted):
//   dx = rstd * (g - mean(g) - x_hat * mean(g * x_hat)),  g = dy * weight, means over the row
//   dweight = sum over rows of dy * x_hat,  dbias = sum over rows of dy
// One pass over the data: while a row is in cache, its dx is written and its share of dweight
// and dbias is added to the partial sums of its fixed-size chunk of rows. The chunks are then
// added in order, so the result does not depend on the number of threads.
template <typename T>
void layer_norm_backward(const T* dy, const T* x, const T* weight, const T* mean, const T* rstd,
                         T* dx, T* dweight, T* dbias, int64_t rows, int64_t cols);

}  // namespace ember::cpu
