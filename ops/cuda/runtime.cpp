// CUDA runtime glue: device queries, device memory and host/device copies. Every CUDA call's
// status is checked and turned into an ember::Error naming what was being done.
#include <cuda_runtime.h>

#include "ember/core/device.h"
#include "ember/core/storage.h"
#include "ember/ops/cuda/check.h"

namespace ember {

bool cuda_compiled() {
  return true;
}

int cuda_device_count() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    cudaGetLastError();  // no driver or no device: report zero, clear the sticky error
    return 0;
  }
  return n;
}

namespace cuda_memory {

void* allocate(size_t nbytes, int device) {
  EMBER_CHECK(device >= 0 && device < cuda_device_count(),
              "cuda: device cuda:{} is not available ({} CUDA devices visible)", device,
              cuda_device_count());
  cuda::check(cudaSetDevice(device), "cudaSetDevice");
  void* ptr = nullptr;
  const cudaError_t status = cudaMalloc(&ptr, nbytes);
  if (status != cudaSuccess) {
    cudaGetLastError();
    size_t free_bytes = 0, total_bytes = 0;
    cudaMemGetInfo(&free_bytes, &total_bytes);
    fail(
        "cuda: out of memory allocating {} bytes ({:.1f} MiB) on cuda:{}: {} ({:.1f} MiB free of "
        "{:.1f} MiB)",
        nbytes, nbytes / 1048576.0, device, cudaGetErrorString(status), free_bytes / 1048576.0,
        total_bytes / 1048576.0);
  }
  return ptr;
}

void deallocate(void* ptr, int device) {
  cudaSetDevice(device);
  cudaFree(ptr);  // errors here cannot be reported from a destructor; they resurface later
}

void copy(void* dst, Device dst_device, const void* src, Device src_device, size_t nbytes) {
  if (nbytes == 0) return;
  const cudaMemcpyKind kind =
      dst_device.is_cuda()
          ? (src_device.is_cuda() ? cudaMemcpyDeviceToDevice : cudaMemcpyHostToDevice)
          : cudaMemcpyDeviceToHost;
  cuda::check(cudaMemcpy(dst, src, nbytes, kind), "cudaMemcpy");
}

}  // namespace cuda_memory
}  // namespace ember
