// fill_ on the GPU: the first kernel of the CUDA backend.
#include <cstdint>

#include "ember/ops/cuda/check.h"
#include "ember/ops/cuda/kernels.h"

namespace ember::cuda {

namespace {
template <typename T>
__global__ void fill_kernel(T* out, int64_t n, T value) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    out[i] = value;
}

template <typename T>
void launch_fill(void* out, int64_t n, double value) {
  if (n == 0) return;
  const int threads = 256;
  const int blocks = static_cast<int>(std::min<int64_t>((n + threads - 1) / threads, 65535));
  fill_kernel<T><<<blocks, threads>>>(static_cast<T*>(out), n, static_cast<T>(value));
  check_launch("fill_");
}
}  // namespace

void fill_contiguous(void* out, int64_t n, DType dtype, double value) {
  switch (dtype) {
    case DType::Bool:
      return launch_fill<bool>(out, n, value);
    case DType::Int64:
      return launch_fill<int64_t>(out, n, value);
    case DType::Float32:
      return launch_fill<float>(out, n, value);
    case DType::Float64:
      return launch_fill<double>(out, n, value);
  }
}

}  // namespace ember::cuda
