#pragma once
// Shape ops. All of these except contiguous() (when it must copy) and reshape() (when strides
// make a view impossible) return views: O(1), sharing the input's storage.
#include "ember/core/tensor.h"

namespace ember {

// Same data, new shape; one size may be -1 (inferred). Fails when the strides don't allow it.
Tensor view(const Tensor& x, const Shape& sizes);
// As view, copying only when the strides make a view impossible.
Tensor reshape(const Tensor& x, const Shape& sizes);
Tensor transpose(const Tensor& x, int64_t dim0, int64_t dim1);
Tensor permute(const Tensor& x, const Shape& dims);
// Elements [start, start+length) along dim.
Tensor narrow(const Tensor& x, int64_t dim, int64_t start, int64_t length);
// Python-style x[..., start:end:step, ...]; start/end are clamped like Python slices.
Tensor slice(const Tensor& x, int64_t dim, int64_t start, int64_t end, int64_t step = 1);
// Removes `dim`, taking entry `index` (negative counts from the end).
Tensor select(const Tensor& x, int64_t dim, int64_t index);
// Repeats size-1 dims (stride 0) to `sizes`; -1 keeps a size; new leading dims may be added.
Tensor expand(const Tensor& x, const Shape& sizes);
Tensor squeeze(const Tensor& x);
Tensor squeeze(const Tensor& x, int64_t dim);
Tensor unsqueeze(const Tensor& x, int64_t dim);
Tensor flatten(const Tensor& x, int64_t start_dim = 0, int64_t end_dim = -1);
Tensor unflatten(const Tensor& x, int64_t dim, const Shape& sizes);
Tensor contiguous(const Tensor& x);
// x[..., start:start+length, ...] along dim as a view that is not recorded in the graph: for
// kernels and backward internals that write through it. Does not check bounds.
Tensor narrow_view(const Tensor& x, int64_t dim, int64_t start, int64_t length);
// The gradient of slice: zeros of `sizes` with `grad` written into the sliced region.
Tensor slice_backward(const Tensor& grad, const Shape& sizes, int64_t dim, int64_t start,
                      int64_t end, int64_t step);

}  // namespace ember
