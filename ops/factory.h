#pragma once
// Making tensors: constants, ranges and random draws. Random factories use the default
// generator (ember::manual_seed) unless given one, and give the same values at any thread count.
#include "ember/core/generator.h"
#include "ember/core/tensor.h"

namespace ember {

Tensor zeros(const Shape& sizes, TensorOptions options = {});
Tensor ones(const Shape& sizes, TensorOptions options = {});
Tensor full(const Shape& sizes, Scalar value, TensorOptions options = {});
Tensor empty_like(const Tensor& t);
Tensor zeros_like(const Tensor& t);
Tensor ones_like(const Tensor& t);
Tensor full_like(const Tensor& t, Scalar value);

// [start, end) in steps of `step`; int64 unless options say otherwise.
Tensor arange(Scalar end, TensorOptions options = kInt64);
Tensor arange(Scalar start, Scalar end, Scalar step = 1, TensorOptions options = kInt64);
// `steps` evenly spaced values from start to end inclusive.
Tensor linspace(Scalar start, Scalar end, int64_t steps, TensorOptions options = {});
Tensor eye(int64_t n, TensorOptions options = {});
Tensor eye(int64_t n, int64_t m, TensorOptions options = {});

// Uniform in [0, 1).
Tensor rand(const Shape& sizes, TensorOptions options = {}, Generator* gen = nullptr);
// Uniform in [low, high).
Tensor uniform(const Shape& sizes, Scalar low, Scalar high, TensorOptions options = {},
               Generator* gen = nullptr);
// Standard normal (Box-Muller), or mean/std.
Tensor randn(const Shape& sizes, TensorOptions options = {}, Generator* gen = nullptr);
Tensor normal(const Shape& sizes, Scalar mean, Scalar std, TensorOptions options = {},
              Generator* gen = nullptr);
// Integers uniform in [low, high); int64 by default.
Tensor randint(int64_t low, int64_t high, const Shape& sizes, TensorOptions options = kInt64,
               Generator* gen = nullptr);
// A random permutation of 0..n-1 (int64).
Tensor randperm(int64_t n, Generator* gen = nullptr);
Tensor rand_like(const Tensor& t, Generator* gen = nullptr);
Tensor randn_like(const Tensor& t, Generator* gen = nullptr);
// 1 with probability p, else 0, in t's dtype and shape.
Tensor bernoulli_like(const Tensor& t, double p, Generator* gen = nullptr);

}  // namespace ember
