#pragma once
// Joining tensors and cutting them apart.
//
//   auto qkv = ember::linear(x, w_qkv);              // [B, T, 3 * D]
//   auto parts = ember::chunk(qkv, 3, -1);           // three [B, T, D] views, no copies
//   auto back = ember::cat(parts, -1);               // [B, T, 3 * D] again
//
// cat's gradient hands each input its slice of the output gradient; split/chunk return views
// whose gradient is the cat of the pieces' gradients (zeros for pieces that got none).
#include "ember/core/tensor.h"

namespace ember {

// Joins tensors of the same dtype, device and shape except along `dim`.
Tensor cat(const TensorList& tensors, int64_t dim = 0);
// Joins tensors of one shape along a new dim: stack of k [2, 3] tensors at dim 1 is [2, k, 3].
Tensor stack(const TensorList& tensors, int64_t dim = 0);

// Views of consecutive pieces of `split_size` along dim (the last may be smaller).
TensorList split(const Tensor& x, int64_t split_size, int64_t dim = 0);
// Views of consecutive pieces with the given sizes, which must add up to x.size(dim).
TensorList split(const Tensor& x, const Shape& sizes, int64_t dim = 0);
// `chunks` pieces of ceil(size / chunks) along dim, as torch.chunk: may return fewer pieces
// when the size does not divide evenly (chunk of size 5 into 4 gives 2, 2, 1).
TensorList chunk(const Tensor& x, int64_t chunks, int64_t dim = 0);

}  // namespace ember
