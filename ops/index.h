#pragma once
// Indexing with int64 index tensors. Every index is checked before any memory is touched; a bad
// one is reported with the op, its value and the valid range.
//
//   auto table = ember::randn({1000, 64}).requires_grad_();
//   auto tokens = ember::tensor({5, 17, 5});
//   auto vectors = ember::embedding(table, tokens);   // [3, 64]; row 5's gradient sums twice
//
// The gradients are written with each other: gather <-> scatter_add and
// index_select <-> index_add are adjoint pairs, so second-order gradients work.
#include <optional>

#include "ember/core/tensor.h"

namespace ember {

// x with dim `dim` replaced by the entries at `index` (int64, 1-d): out.size(dim) = index.numel().
Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index);
// A copy of x with src's slices added at `index` along dim: out[.., index[j], ..] += src[.., j,
// ..]. src has x's shape except src.size(dim) == index.numel(). Repeated indices accumulate.
Tensor index_add(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src);

// out[i][j][k] = x[i][index[i][j][k]][k] (dim 1; likewise for any dim). index has x's number of
// dims and sizes no larger than x's off `dim`; the result has index's shape.
Tensor gather(const Tensor& x, int64_t dim, const Tensor& index);
// A copy of x with out[i][index[i][j][k]][k] += src[i][j][k] (dim 1), out-of-place.
// index has as many dims as x and src, with sizes <= src's, and <= x's off `dim`.
Tensor scatter_add(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src);

// Rows of weight [num_embeddings, dim] at `indices` (int64, any shape) -> indices.shape + [dim].
// Rows equal to padding_idx (negative counts from the end) get no gradient.
Tensor embedding(const Tensor& weight, const Tensor& indices,
                 std::optional<int64_t> padding_idx = std::nullopt);

// indices (int64, any shape) -> int64 indices.shape + [num_classes] with a 1 at each index.
// num_classes < 0 means max(indices) + 1. No gradient.
Tensor one_hot(const Tensor& indices, int64_t num_classes = -1);

}  // namespace ember
