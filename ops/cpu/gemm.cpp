#include "ember/ops/cpu/gemm.h"

#include <cblas.h>

#include <algorithm>
#include <limits>

#include "ember/core/error.h"
#include "ember/ops/cpu/parallel.h"

namespace ember::cpu {

namespace {

// OpenBLAS's own cut-off (interface/gemm.c): products of at most 65536 * 4 multiply-adds run on
// the calling thread.
constexpr double kSingleThreadedGemm = 65536.0 * 4;
// Batched products smaller than this many multiply-adds per task are grouped per thread.
constexpr int64_t kBatchGrain = 1 << 16;

blasint blas_int(int64_t v) {
  EMBER_CHECK(v <= std::numeric_limits<blasint>::max(),
              "gemm: dimension {} is too large for this BLAS (at most {})", v,
              std::numeric_limits<blasint>::max());
  return static_cast<blasint>(v);
}

CBLAS_TRANSPOSE trans(MatrixLayout l) {
  return l.transposed ? CblasTrans : CblasNoTrans;
}

// Element (i, j) of a matrix read through `l`.
template <typename T>
T element(const T* p, MatrixLayout l, int64_t i, int64_t j) {
  return l.transposed ? p[j * l.ld + i] : p[i * l.ld + j];
}

}  // namespace

std::optional<MatrixLayout> blas_layout(int64_t rows, int64_t cols, int64_t row_stride,
                                        int64_t col_stride) {
  // Strides of size-1 dims are never followed, so any value serves.
  if (rows <= 1) row_stride = std::max<int64_t>(cols, 1);
  if (cols <= 1) col_stride = 1;
  if (col_stride == 1 && row_stride >= std::max<int64_t>(cols, 1))
    return MatrixLayout{false, row_stride};
  if (rows > 1 && cols <= 1) col_stride = std::max<int64_t>(rows, 1);
  if (rows <= 1) row_stride = 1;
  if (row_stride == 1 && col_stride >= std::max<int64_t>(rows, 1))
    return MatrixLayout{true, col_stride};
  return std::nullopt;
}

bool gemm_is_small(int64_t m, int64_t n, int64_t k) {
  return static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k) <=
         kSingleThreadedGemm;
}

template <typename T>
void gemm(int64_t m, int64_t n, int64_t k, const T* a, MatrixLayout la, const T* b, MatrixLayout lb,
          T beta, T* c, int64_t ldc) {
  if (m == 0 || n == 0) return;
  if (k == 0) {  // BLAS may not touch C at all here; the empty sum is zero
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) c[i * ldc + j] = beta == T(0) ? T(0) : beta * c[i * ldc + j];
    return;
  }
  if constexpr (std::is_same_v<T, float>) {
    cblas_sgemm(CblasRowMajor, trans(la), trans(lb), blas_int(m), blas_int(n), blas_int(k), 1.0f, a,
                blas_int(la.ld), b, blas_int(lb.ld), beta, c, blas_int(ldc));
  } else if constexpr (std::is_same_v<T, double>) {
    cblas_dgemm(CblasRowMajor, trans(la), trans(lb), blas_int(m), blas_int(n), blas_int(k), 1.0, a,
                blas_int(la.ld), b, blas_int(lb.ld), beta, c, blas_int(ldc));
  } else {
    // Integer products (rare: index arithmetic) get the plain i-p-j loop, contiguous in j.
    for (int64_t i = 0; i < m; ++i) {
      T* row = c + i * ldc;
      for (int64_t j = 0; j < n; ++j) row[j] = beta == T(0) ? T(0) : beta * row[j];
      for (int64_t p = 0; p < k; ++p) {
        const T aip = element(a, la, i, p);
        if (lb.transposed) {
          for (int64_t j = 0; j < n; ++j) row[j] += aip * b[j * lb.ld + p];
        } else {
          const T* brow = b + p * lb.ld;
          for (int64_t j = 0; j < n; ++j) row[j] += aip * brow[j];
        }
      }
    }
  }
}

template <typename T>
void batched_gemm(int64_t m, int64_t n, int64_t k, const T* a, MatrixLayout la,
                  const std::vector<int64_t>& a_offsets, const T* b, MatrixLayout lb,
                  const std::vector<int64_t>& b_offsets, T beta, T* c, int64_t ldc,
                  int64_t c_stride) {
  const auto count = static_cast<int64_t>(a_offsets.size());
  EMBER_CHECK(b_offsets.size() == a_offsets.size(),
              "internal: batched_gemm got {} left and {} right operands", a_offsets.size(),
              b_offsets.size());
  auto run = [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i)
      gemm<T>(m, n, k, a + a_offsets[i], la, b + b_offsets[i], lb, beta, c + i * c_stride, ldc);
  };
  if (count > 1 && (gemm_is_small(m, n, k) || !std::is_floating_point_v<T>)) {
    const int64_t work = std::max<int64_t>(m * n * std::max<int64_t>(k, 1), 1);
    parallel_for(0, count, std::max<int64_t>(1, kBatchGrain / work), run);
  } else {
    run(0, count);  // OpenBLAS threads inside each product
  }
}

#define EMBER_INSTANTIATE(T)                                                                       \
  template void gemm<T>(int64_t, int64_t, int64_t, const T*, MatrixLayout, const T*, MatrixLayout, \
                        T, T*, int64_t);                                                           \
  template void batched_gemm<T>(int64_t, int64_t, int64_t, const T*, MatrixLayout,                 \
                                const std::vector<int64_t>&, const T*, MatrixLayout,               \
                                const std::vector<int64_t>&, T, T*, int64_t, int64_t);
EMBER_INSTANTIATE(float)
EMBER_INSTANTIATE(double)
EMBER_INSTANTIATE(int64_t)
#undef EMBER_INSTANTIATE

}  // namespace ember::cpu
