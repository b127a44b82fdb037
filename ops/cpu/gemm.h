#pragma once
// Matrix products on OpenBLAS (float32/float64) and a plain loop for int64.
//
// An operand is passed as BLAS reads it: row-major with a leading dimension, possibly
// transposed. A transposed view of a contiguous matrix therefore reaches BLAS as the original
// buffer plus a trans flag, never as a copy; blas_layout() says whether a strided matrix can be
// read that way at all.
#include <cstdint>
#include <optional>
#include <vector>

namespace ember::cpu {

// How BLAS reads a rows x cols matrix: stored row-major with leading dimension `ld`, or, when
// `transposed`, stored as its cols x rows transpose.
struct MatrixLayout {
  bool transposed = false;
  int64_t ld = 1;
};

// The layout of a matrix whose element (i, j) sits at data[i * row_stride + j * col_stride], or
// nullopt when no BLAS layout fits (e.g. both strides > 1, or broadcast rows) and the matrix must
// be copied first.
std::optional<MatrixLayout> blas_layout(int64_t rows, int64_t cols, int64_t row_stride,
                                        int64_t col_stride);

// C = A B + beta C, with C row-major (m x n, leading dimension ldc), A m x k, B k x n.
// beta == 0 ignores C's previous contents (NaNs included).
template <typename T>
void gemm(int64_t m, int64_t n, int64_t k, const T* a, MatrixLayout la, const T* b, MatrixLayout lb,
          T beta, T* c, int64_t ldc);

// Whether OpenBLAS would run this product on a single thread (it does below ~64^3
// multiply-adds). Independent products that small are best spread across threads by the
// caller; larger ones are left to OpenBLAS's own threads, so that the two never nest.
bool gemm_is_small(int64_t m, int64_t n, int64_t k);

// Independent products of one shape: C_i = A_i B_i + beta C_i for i < a_offsets.size(), where
// A_i = a + a_offsets[i], B_i = b + b_offsets[i], C_i = c + i * c_stride (offsets in elements).
template <typename T>
void batched_gemm(int64_t m, int64_t n, int64_t k, const T* a, MatrixLayout la,
                  const std::vector<int64_t>& a_offsets, const T* b, MatrixLayout lb,
                  const std::vector<int64_t>& b_offsets, T beta, T* c, int64_t ldc,
                  int64_t c_stride);

}  // namespace ember::cpu
