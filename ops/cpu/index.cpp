#include "ember/ops/cpu/index.h"

#include <algorithm>

#include "ember/ops/cpu/parallel.h"

namespace ember::cpu {

namespace {

// A "row" is one position of `shape` with `dim` left out; it covers shape[dim] elements along
// dim. Returns the element offset of row `row` under `strides`.
int64_t row_offset(int64_t row, const Shape& shape, int64_t dim, const Shape& strides) {
  int64_t offset = 0;
  for (int64_t k = static_cast<int64_t>(shape.size()) - 1; k >= 0; --k) {
    if (k == dim) continue;
    offset += (row % shape[k]) * strides[k];
    row /= shape[k];
  }
  return offset;
}

int64_t row_count(const Shape& shape, int64_t dim) {
  int64_t rows = 1;
  for (size_t k = 0; k < shape.size(); ++k)
    if (static_cast<int64_t>(k) != dim) rows *= shape[k];
  return rows;
}

int64_t grain_for(int64_t work_per_item) {
  return std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(work_per_item, 1));
}

}  // namespace

std::optional<BadIndex> find_out_of_range(const int64_t* index, int64_t count, int64_t size) {
  for (int64_t i = 0; i < count; ++i)
    if (index[i] < 0 || index[i] >= size) return BadIndex{i, index[i]};
  return std::nullopt;
}

template <typename T>
void index_select_kernel(const T* x, int64_t outer, int64_t n, int64_t inner, const int64_t* index,
                         int64_t count, T* out) {
  parallel_for(0, outer * count, grain_for(inner), [&](int64_t begin, int64_t end) {
    for (int64_t lane = begin; lane < end; ++lane) {
      const int64_t o = lane / count, j = lane % count;
      const T* from = x + (o * n + index[j]) * inner;
      std::copy(from, from + inner, out + lane * inner);
    }
  });
}

template <typename T>
void index_add_kernel(T* out, int64_t outer, int64_t n, int64_t inner, const int64_t* index,
                      int64_t count, const T* src, std::optional<int64_t> skip) {
  // Threads split the (outer, inner) columns; every column sees all j in order.
  parallel_for(0, outer * inner, grain_for(count), [&](int64_t begin, int64_t end) {
    for (int64_t o = begin / inner; o * inner < end; ++o) {
      const int64_t lo = std::max(begin, o * inner) - o * inner;
      const int64_t hi = std::min(end, (o + 1) * inner) - o * inner;
      for (int64_t j = 0; j < count; ++j) {
        if (skip && index[j] == *skip) continue;
        T* to = out + (o * n + index[j]) * inner;
        const T* from = src + (o * count + j) * inner;
        for (int64_t i = lo; i < hi; ++i) to[i] += from[i];
      }
    }
  });
}

template <typename T>
void gather_kernel(const Shape& shape, int64_t dim, const int64_t* index, const T* x,
                   const Shape& x_strides, T* out) {
  const Shape strides = contiguous_strides(shape);  // of index and out
  const int64_t len = shape[dim], step = strides[dim], x_step = x_strides[dim];
  parallel_for(0, row_count(shape, dim), grain_for(len), [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {
      const int64_t at = row_offset(row, shape, dim, strides);
      const T* from = x + row_offset(row, shape, dim, x_strides);
      for (int64_t j = 0; j < len; ++j) out[at + j * step] = from[index[at + j * step] * x_step];
    }
  });
}

template <typename T>
void scatter_add_kernel(const Shape& shape, int64_t dim, const int64_t* index, const T* src,
                        const Shape& src_strides, T* out, const Shape& out_strides) {
  // Rows write disjoint lines of out (their coordinates off `dim` differ), so they may run on
  // different threads; within a row the additions happen in order.
  const Shape strides = contiguous_strides(shape);
  const int64_t len = shape[dim], step = strides[dim];
  const int64_t src_step = src_strides[dim], out_step = out_strides[dim];
  parallel_for(0, row_count(shape, dim), grain_for(len), [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {
      const int64_t at = row_offset(row, shape, dim, strides);
      const T* from = src + row_offset(row, shape, dim, src_strides);
      T* to = out + row_offset(row, shape, dim, out_strides);
      for (int64_t j = 0; j < len; ++j) to[index[at + j * step] * out_step] += from[j * src_step];
    }
  });
}

#define EMBER_INSTANTIATE_READ(T)                                                           \
  template void index_select_kernel<T>(const T*, int64_t, int64_t, int64_t, const int64_t*, \
                                       int64_t, T*);                                        \
  template void gather_kernel<T>(const Shape&, int64_t, const int64_t*, const T*, const Shape&, T*);
#define EMBER_INSTANTIATE_ADD(T)                                                            \
  template void index_add_kernel<T>(T*, int64_t, int64_t, int64_t, const int64_t*, int64_t, \
                                    const T*, std::optional<int64_t>);                      \
  template void scatter_add_kernel<T>(const Shape&, int64_t, const int64_t*, const T*,      \
                                      const Shape&, T*, const Shape&);
EMBER_INSTANTIATE_READ(bool)
EMBER_INSTANTIATE_READ(int64_t)
EMBER_INSTANTIATE_READ(float)
EMBER_INSTANTIATE_READ(double)
EMBER_INSTANTIATE_ADD(int64_t)
EMBER_INSTANTIATE_ADD(float)
EMBER_INSTANTIATE_ADD(double)
#undef EMBER_INSTANTIATE_READ
#undef EMBER_INSTANTIATE_ADD

}  // namespace ember::cpu
