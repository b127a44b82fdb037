#pragma once
// Turns CUDA status codes into ember::Error.
#include <cuda_runtime.h>

#include "ember/core/error.h"

namespace ember::cuda {

inline void check(cudaError_t status, const char* what) {
  if (status != cudaSuccess) fail("cuda: {} failed: {}", what, cudaGetErrorString(status));
}

// After a kernel launch: launch-configuration errors surface here, naming the op.
inline void check_launch(const char* op) {
  const cudaError_t status = cudaGetLastError();
  if (status != cudaSuccess)
    fail("{}: CUDA kernel launch failed: {}", op, cudaGetErrorString(status));
}

}  // namespace ember::cuda
