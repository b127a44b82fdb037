#pragma once
// Entry points of the CUDA kernels, callable from host code compiled without nvcc.
#include <cstdint>

#include "ember/core/dtype.h"

namespace ember::cuda {

void fill_contiguous(void* out, int64_t n, DType dtype, double value);

}  // namespace ember::cuda
