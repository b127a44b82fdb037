// The CUDA slot: the same API with or without CUDA, and clear errors where no GPU can serve.
#include "helpers.h"

using namespace ember;

TEST_CASE("CUDA tensors: a clear error when CUDA is not compiled in or no GPU is present") {
  if (cuda_is_available()) {
    MESSAGE("a GPU is present: the device tests run elsewhere");
    return;
  }
  if (!cuda_compiled()) {
    CHECK_THROWS_CONTAINING(zeros({2, 3}, kCUDA), "ember was built without CUDA");
    CHECK_THROWS_CONTAINING(ones({2}).to(kCUDA), "built without CUDA");
  } else {
    CHECK_THROWS_CONTAINING(zeros({2, 3}, kCUDA), "device cuda:0 is not available");
  }
  CHECK(cuda_device_count() == 0);
  CHECK(Device(kCUDA, 1).str() == "cuda:1");
}

TEST_CASE("ops refuse CUDA tensors they have no kernel for, naming the op") {
  if (!cuda_is_available()) return;  // needs a real CUDA tensor
  const Tensor x = ones({4}, kCUDA);
  CHECK_THROWS_CONTAINING(exp(x), "exp: not implemented on cuda:0");
  CHECK(x.to(kCPU).sum().item() == 4.0);
}
