#include "ember/core/storage.h"

#include <cstdlib>
#include <new>

namespace ember {

namespace {
constexpr size_t kAlignment = 64;  // one cache line; lets the compiler use aligned vector loads
}

Storage::Storage(size_t nbytes, Device device) : nbytes_(nbytes), device_(device) {
  if (device.is_cuda()) {
    data_ = nbytes ? cuda_memory::allocate(nbytes, device.index) : nullptr;
    return;
  }
  const size_t rounded = (std::max<size_t>(nbytes, 1) + kAlignment - 1) / kAlignment * kAlignment;
  data_ = std::aligned_alloc(kAlignment, rounded);
  if (!data_)
    fail("out of memory: could not allocate {} bytes ({:.1f} MiB) on cpu", nbytes,
         nbytes / 1048576.0);
}

Storage::~Storage() {
  if (device_.is_cuda()) {
    if (data_) cuda_memory::deallocate(data_, device_.index);
  } else {
    std::free(data_);
  }
}

}  // namespace ember
