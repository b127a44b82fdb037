#pragma once
// Kernels that read or write through int64 indices. They trust the indices: callers validate
// every index (find_out_of_range) before calling them.
//
// index_select / index_add work on contiguous tensors seen as [outer, n, inner], with the
// indexed dim in the middle. gather / scatter_add follow the shape of the index tensor along any
// dim and accept strided data operands.
#include <cstdint>
#include <optional>

#include "ember/core/shape.h"

namespace ember::cpu {

struct BadIndex {
  int64_t position;  // in the (contiguous) index buffer
  int64_t value;
};
// The first index outside [0, size), if any.
std::optional<BadIndex> find_out_of_range(const int64_t* index, int64_t count, int64_t size);

// out[o, j, :] = x[o, index[j], :] for x [outer, n, inner], out [outer, count, inner].
template <typename T>
void index_select_kernel(const T* x, int64_t outer, int64_t n, int64_t inner, const int64_t* index,
                         int64_t count, T* out);

// out[o, index[j], :] += src[o, j, :] for out [outer, n, inner], src [outer, count, inner];
// entries whose index equals `skip` are left out. Each output element accumulates in order of
// j on one thread, so repeated indices give the same sums at any thread count.
template <typename T>
void index_add_kernel(T* out, int64_t outer, int64_t n, int64_t inner, const int64_t* index,
                      int64_t count, const T* src, std::optional<int64_t> skip = {});

// out[p] = x[p with p[dim] replaced by index[p]] for every position p of `shape` (the index's
// shape); index and out are contiguous, x has `x_strides`.
template <typename T>
void gather_kernel(const Shape& shape, int64_t dim, const int64_t* index, const T* x,
                   const Shape& x_strides, T* out);

// out[p with p[dim] replaced by index[p]] += src[p] for every position p of `shape`; index is
// contiguous, out has `out_strides`, src has `src_strides`.
template <typename T>
void scatter_add_kernel(const Shape& shape, int64_t dim, const int64_t* index, const T* src,
                        const Shape& src_strides, T* out, const Shape& out_strides);

}  // namespace ember::cpu
