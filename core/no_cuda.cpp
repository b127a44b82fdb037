// Built when EMBER_CUDA is off: the same API, and a clear error when a CUDA tensor is asked for.
#include "ember/core/device.h"
#include "ember/core/storage.h"

namespace ember {

bool cuda_compiled() {
  return false;
}
int cuda_device_count() {
  return 0;
}

namespace cuda_memory {
void* allocate(size_t, int) {
  fail(
      "ember was built without CUDA: cannot allocate a cuda tensor (rebuild with -DEMBER_CUDA=ON)");
}
void deallocate(void*, int) {}
void copy(void*, Device, const void*, Device, size_t) {
  fail("ember was built without CUDA: cannot copy to or from a cuda tensor");
}
}  // namespace cuda_memory

}  // namespace ember
