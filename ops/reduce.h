#pragma once
// Reductions over dims, with keepdim. An empty dim list means all dims.
#include <vector>

#include "ember/core/tensor.h"

namespace ember {

Tensor sum(const Tensor& x);
Tensor sum(const Tensor& x, const Shape& dims, bool keepdim = false);
Tensor mean(const Tensor& x);
Tensor mean(const Tensor& x, const Shape& dims, bool keepdim = false);

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
