#pragma once
// Copies and conversions: dtype, device, clone, and the in-place ops that write into a tensor.
#include "ember/core/tensor.h"

namespace ember {

Tensor to(const Tensor& x, DType dtype);    // differentiable between floating dtypes
Tensor to(const Tensor& x, Device device);  // differentiable
Tensor clone(const Tensor& x);              // a contiguous copy with its own storage

// In-place ops. They bump the storage's version counter, so a tensor saved for backward and
// changed afterwards is caught. On a tensor in the graph (a non-leaf) they are recorded like
// the out-of-place op; on a leaf that requires grad they are refused unless grad mode is off
// (wrap optimizer updates in NoGradGuard).
Tensor& copy_(Tensor& self, const Tensor& src);
Tensor& fill_(Tensor& self, Scalar value);
Tensor& zero_(Tensor& self);
Tensor& add_(Tensor& self, const Tensor& other, Scalar alpha = 1);
Tensor& sub_(Tensor& self, const Tensor& other, Scalar alpha = 1);
Tensor& mul_(Tensor& self, const Tensor& other);
Tensor& div_(Tensor& self, const Tensor& other);
Tensor& masked_fill_(Tensor& self, const Tensor& mask, Scalar value);

}  // namespace ember
