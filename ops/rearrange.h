#pragma once
// Moving elements around: roll, constant padding and triangular masks.
//
//   auto shifted = ember::roll(x, {-3, -3}, {1, 2});     // Swin's cyclic shift of [B, H, W, C]
//   auto padded = ember::pad(images, {1, 1, 2, 2});      // W by 1 each side, H by 2 each side
//   auto causal = ember::tril(ember::ones({T, T}));      // lower triangle including the diagonal
//
// Gradients: roll -> roll by the opposite shifts; pad -> pad by the negated pads (a crop, or
// zeros where the forward cropped); tril/triu -> the same mask applied to the gradient.
#include "ember/core/tensor.h"

namespace ember {

// Shifts elements by shifts[i] along dims[i] (several at once), wrapping around; negative shifts
// go the other way and shifts larger than the size wrap. With no dims, x is rolled as a flat
// vector (one shift) and keeps its shape.
Tensor roll(const Tensor& x, const Shape& shifts, const Shape& dims = {});

// Constant padding in PyTorch's order: pads = (left, right) of the last dim, then (top, bottom)
// of the one before, and so on, covering up to every dim. Negative pads crop.
Tensor pad(const Tensor& x, const Shape& pads, Scalar value = 0);

// Keeps the elements on and below (tril) or on and above (triu) the `diagonal`-th diagonal of
// the last two dims and zeroes the rest; diagonal > 0 is above the main one, < 0 below.
Tensor tril(const Tensor& x, int64_t diagonal = 0);
Tensor triu(const Tensor& x, int64_t diagonal = 0);

}  // namespace ember
