#pragma once
// A block of memory on one device, shared by a tensor and all its views. The version counter lives
// here because an in-place write through any view changes what every other view sees.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "ember/core/device.h"

namespace ember {

class Storage {
 public:
  Storage(size_t nbytes, Device device);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() { return data_; }
  const void* data() const { return data_; }
  size_t nbytes() const { return nbytes_; }
  Device device() const { return device_; }

  // Bumped by every in-place op; saved tensors compare against it in backward.
  uint64_t version() const { return version_; }
  std::string_view last_writer() const { return last_writer_; }
  void bump_version(std::string_view op) {
    ++version_;
    last_writer_ = op;
  }

 private:
  void* data_ = nullptr;
  size_t nbytes_ = 0;
  Device device_;
  uint64_t version_ = 0;
  std::string_view last_writer_;  // op names are string literals
};

// Device memory hooks; the CUDA backend provides them when compiled in.
namespace cuda_memory {
void* allocate(size_t nbytes, int device);
void deallocate(void* ptr, int device);
void copy(void* dst, Device dst_device, const void* src, Device src_device, size_t nbytes);
}  // namespace cuda_memory

}  // namespace ember
