#pragma once
// Triangular masks over a batch of contiguous [rows, cols] matrices.
#include <algorithm>
#include <cstdint>

#include "ember/ops/cpu/parallel.h"

namespace ember::cpu {

// out = x where the column j satisfies j <= i + diagonal (lower) or j >= i + diagonal (upper)
// in row i, else zero.
template <typename T>
void triangle_kernel(const T* x, int64_t batch, int64_t rows, int64_t cols, int64_t diagonal,
                     bool lower, T* out) {
  parallel_for(0, batch * rows, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(cols, 1)),
               [&](int64_t begin, int64_t end) {
                 for (int64_t r = begin; r < end; ++r) {
                   const int64_t i = r % rows;
                   // Columns [0, split) are kept by tril and zeroed by triu.
                   const int64_t split =
                       std::clamp<int64_t>(i + diagonal + (lower ? 1 : 0), 0, cols);
                   const T* src = x + r * cols;
                   T* dst = out + r * cols;
                   if (lower) {
                     std::copy(src, src + split, dst);
                     std::fill(dst + split, dst + cols, T(0));
                   } else {
                     std::fill(dst, dst + split, T(0));
                     std::copy(src + split, src + cols, dst + split);
                   }
                 }
               });
}

}  // namespace ember::cpu
