#pragma once
// Elementwise ops. Binary ops broadcast with NumPy rules and promote dtypes
// (bool < int64 < float32 < float64); a Scalar takes the tensor's dtype. Each op's gradient is
// next to its kernel in elementwise.cpp / unary.cpp.
#include <optional>

#include "ember/core/tensor.h"

namespace ember {

// Arithmetic. d(a+b)/da = 1; d(a*b)/da = b; d(a/b)/db = -a/b^2; gradients of broadcast inputs
// are summed back to the input's shape.
Tensor add(const Tensor& a, const Tensor& b, Scalar alpha = 1);  // a + alpha * b
Tensor sub(const Tensor& a, const Tensor& b, Scalar alpha = 1);  // a - alpha * b
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor pow(const Tensor& base, const Tensor& exponent);
Tensor pow(const Tensor& base, Scalar exponent);
Tensor maximum(const Tensor& a, const Tensor& b);  // gradient split evenly on ties
Tensor minimum(const Tensor& a, const Tensor& b);

// Unary math.
Tensor neg(const Tensor& x);
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor rsqrt(const Tensor& x);  // 1 / sqrt(x)
Tensor abs(const Tensor& x);    // gradient sign(x), 0 at 0
Tensor sign(const Tensor& x);   // -1, 0 or 1; no gradient
Tensor sin(const Tensor& x);
Tensor cos(const Tensor& x);
Tensor tanh(const Tensor& x);
Tensor sigmoid(const Tensor& x);
Tensor relu(const Tensor& x);
// GELU: x * Phi(x) with the exact erf form, or the tanh approximation (approximate=true).
Tensor gelu(const Tensor& x, bool approximate = false);
// Clamps into [min, max]; gradient 1 inside the range, 0 where clamped.
Tensor clamp(const Tensor& x, std::optional<Scalar> min, std::optional<Scalar> max);

// Comparisons and logic: bool results, no gradient.
Tensor eq(const Tensor& a, const Tensor& b);
Tensor ne(const Tensor& a, const Tensor& b);
Tensor lt(const Tensor& a, const Tensor& b);
Tensor le(const Tensor& a, const Tensor& b);
Tensor gt(const Tensor& a, const Tensor& b);
Tensor ge(const Tensor& a, const Tensor& b);
Tensor logical_and(const Tensor& a, const Tensor& b);
Tensor logical_or(const Tensor& a, const Tensor& b);
Tensor logical_not(const Tensor& x);

// cond ? a : b, broadcasting all three; `cond` must be bool.
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);
// x with `value` wherever the (broadcastable, bool) mask is true. -inf is a valid value.
Tensor masked_fill(const Tensor& x, const Tensor& mask, Scalar value);
// Throws naming `op` unless `mask` is a bool tensor on x's device that broadcasts to x's shape.
void check_fill_mask(std::string_view op, const Tensor& x, const Tensor& mask);

// Sums `grad` over broadcast dims so it has `shape`: the backward of broadcasting.
Tensor sum_to(const Tensor& grad, const Shape& shape);
// `value` as a 0-d tensor shaped for use with `like` (its dtype, or float32 if `like` is integral
// and `value` is not a whole number).
Tensor wrap_scalar(Scalar value, const Tensor& like);

// Operators, as in libtorch.
Tensor operator+(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a, const Tensor& b);
Tensor operator*(const Tensor& a, const Tensor& b);
Tensor operator/(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& x);
Tensor operator+(const Tensor& a, Scalar b);
Tensor operator-(const Tensor& a, Scalar b);
Tensor operator*(const Tensor& a, Scalar b);
Tensor operator/(const Tensor& a, Scalar b);
Tensor operator+(Scalar a, const Tensor& b);
Tensor operator-(Scalar a, const Tensor& b);
Tensor operator*(Scalar a, const Tensor& b);
Tensor operator/(Scalar a, const Tensor& b);
Tensor& operator+=(Tensor& a, const Tensor& b);
Tensor& operator-=(Tensor& a, const Tensor& b);
Tensor& operator*=(Tensor& a, const Tensor& b);
Tensor& operator/=(Tensor& a, const Tensor& b);

}  // namespace ember
