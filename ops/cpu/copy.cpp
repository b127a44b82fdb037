#include <cstring>

#include "ember/ops/cpu/elementwise.h"

namespace ember::cpu {

void copy_kernel(const Tensor& dst, const Tensor& src) {
  if (dst.dtype() == src.dtype() && dst.is_contiguous() && src.is_contiguous() &&
      dst.sizes() == src.sizes()) {
    std::memcpy(dst.raw_data(), src.raw_data(), dst.numel() * dst.element_size());
    return;
  }
  visit_dtype(dst.dtype(), [&]<typename To>() {
    visit_dtype(src.dtype(), [&]<typename From>() {
      unary_kernel<To, From>(dst, src, [](From v) { return static_cast<To>(v); });
    });
  });
}

}  // namespace ember::cpu
