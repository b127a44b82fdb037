#pragma once
// Reductions over dims, with keepdim. An empty dim list means all dims.
#include <tuple>
#include <vector>

#include "ember/core/tensor.h"

namespace ember {

Tensor sum(const Tensor& x);
Tensor sum(const Tensor& x, const Shape& dims, bool keepdim = false);
Tensor mean(const Tensor& x);
Tensor mean(const Tensor& x, const Shape& dims, bool keepdim = false);

// Product (int64 for integer and bool inputs). The gradient is right with zeros in the input:
// with one zero in a slice only that element gets a gradient (the product of the others); with
// two or more, the whole slice gets 0.
Tensor prod(const Tensor& x);
Tensor prod(const Tensor& x, const Shape& dims, bool keepdim = false);

// Largest / smallest element, as a 0-d tensor. NaN propagates. The gradient is split evenly among
// the elements equal to the result.
Tensor max(const Tensor& x);
Tensor min(const Tensor& x);
// The same over `dims` (all dims when empty).
Tensor amax(const Tensor& x, const Shape& dims, bool keepdim = false);
Tensor amin(const Tensor& x, const Shape& dims, bool keepdim = false);
// Values and int64 positions of the max / min along `dim`, like libtorch:
//   auto [values, indices] = ember::max(logits, -1);
// On ties the first position wins; a NaN wins over any number. The gradient of `values` flows
// to the chosen positions only. The reduced dim must not be empty.
std::tuple<Tensor, Tensor> max(const Tensor& x, int64_t dim, bool keepdim = false);
std::tuple<Tensor, Tensor> min(const Tensor& x, int64_t dim, bool keepdim = false);
// Elementwise max / min of two tensors: libtorch's spelling of maximum / minimum.
Tensor max(const Tensor& a, const Tensor& b);
Tensor min(const Tensor& a, const Tensor& b);
// Positions only (no gradient); without a dim, the position in the flattened tensor.
Tensor argmax(const Tensor& x);
Tensor argmax(const Tensor& x, int64_t dim, bool keepdim = false);
Tensor argmin(const Tensor& x);
Tensor argmin(const Tensor& x, int64_t dim, bool keepdim = false);

// Variance and standard deviation over `dims` (all dims when empty), dividing by n - 1 when
// `unbiased`, else by n. d var / dx = 2 (x - mean) / divisor; the gradient of std is taken as 0
// where std is 0 (where it is not differentiable) instead of NaN. Spell it ember::std (or x.std())
// where `using namespace ember` is in effect, as with torch::std.
Tensor var(const Tensor& x, const Shape& dims = {}, bool unbiased = true, bool keepdim = false);
Tensor std(const Tensor& x, const Shape& dims = {}, bool unbiased = true, bool keepdim = false);

// Vector p-norm over `dims` (all dims when empty): (sum |x|^p)^(1/p); p = INFINITY gives
// max |x|, -INFINITY min |x|, 0 the count of non-zeros. Gradient for p = 2: x / norm (0 where
// the norm is 0); p = 1: sign(x); p = inf: sign(x), split evenly among the largest |x|.
Tensor norm(const Tensor& x, double p = 2, const Shape& dims = {}, bool keepdim = false);

// log(sum(exp(x))) along `dim`, without overflow (the maximum is factored out). All -inf gives
// -inf. Gradient: softmax(x) along `dim`.
Tensor logsumexp(const Tensor& x, int64_t dim, bool keepdim = false);

// Helpers for writing reductions (used by their gradients too).
struct ReducedDims {
  std::vector<bool> mask;  // mask[d]: dim d is reduced
  Shape out_sizes;         // with or without the kept size-1 dims
  int64_t count = 1;       // elements reduced into each output
};
ReducedDims reduce_dims(std::string_view op, const Tensor& x, const Shape& dims, bool keepdim);
// Broadcasts a reduction's gradient back over the input: unsqueezes the dims that keepdim=false
// removed, then expands.
Tensor expand_reduced(const Tensor& grad, const Shape& in_sizes, const std::vector<bool>& mask,
                      bool keepdim);

}  // namespace ember
