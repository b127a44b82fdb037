#include "ember/ops/cpu/im2col.h"

#include <algorithm>

namespace ember::cpu {

namespace {

// The output positions o in [0, count) whose input coordinate o * stride + offset lies in
// [0, size): a half-open range [lo, hi), so the inner loops need no bounds tests.
struct ValidRange {
  int64_t lo, hi;
};
ValidRange valid_range(int64_t offset, int64_t stride, int64_t size, int64_t count) {
  const int64_t lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
  const int64_t last = size - 1 - offset;  // o * stride <= last
  const int64_t hi = last < 0 ? 0 : last / stride + 1;
  const int64_t l = std::min(lo, count);
  return {l, std::clamp(hi, l, count)};
}

}  // namespace

template <typename T>
void im2col(const T* image, const ConvGeometry& g, T* columns, int64_t c_begin, int64_t c_end) {
  const int64_t out_w = g.out_w, plane = g.height * g.width;
  for (int64_t c = c_begin; c < c_end; ++c) {
    const T* src = image + c * plane;
    for (int64_t i = 0; i < g.kernel_h; ++i) {
      const int64_t y_offset = i * g.dilation_h - g.pad_h;
      const ValidRange ys = valid_range(y_offset, g.stride_h, g.height, g.out_h);
      for (int64_t j = 0; j < g.kernel_w; ++j) {
        const int64_t x_offset = j * g.dilation_w - g.pad_w;
        const ValidRange xs = valid_range(x_offset, g.stride_w, g.width, out_w);
        T* row = columns + ((c * g.kernel_h + i) * g.kernel_w + j) * g.positions();
        std::fill(row, row + ys.lo * out_w, T(0));
        for (int64_t oy = ys.lo; oy < ys.hi; ++oy) {
          T* dst = row + oy * out_w;
          // Index arithmetic, not pointers: the line may start left of the image (padding).
          const int64_t line = (oy * g.stride_h + y_offset) * g.width + x_offset;
          std::fill(dst, dst + xs.lo, T(0));
          if (g.stride_w == 1) {
            for (int64_t ox = xs.lo; ox < xs.hi; ++ox) dst[ox] = src[line + ox];
          } else {
            for (int64_t ox = xs.lo; ox < xs.hi; ++ox) dst[ox] = src[line + ox * g.stride_w];
          }
          std::fill(dst + xs.hi, dst + out_w, T(0));
        }
        std::fill(row + ys.hi * out_w, row + g.positions(), T(0));
      }
    }
  }
}

template <typename T>
void col2im(const T* columns, const ConvGeometry& g, T* image, int64_t c_begin, int64_t c_end) {
  const int64_t out_w = g.out_w, plane = g.height * g.width;
  for (int64_t c = c_begin; c < c_end; ++c) {
    T* dst = image + c * plane;
    for (int64_t i = 0; i < g.kernel_h; ++i) {
      const int64_t y_offset = i * g.dilation_h - g.pad_h;
      const ValidRange ys = valid_range(y_offset, g.stride_h, g.height, g.out_h);
      for (int64_t j = 0; j < g.kernel_w; ++j) {
        const int64_t x_offset = j * g.dilation_w - g.pad_w;
        const ValidRange xs = valid_range(x_offset, g.stride_w, g.width, out_w);
        const T* row = columns + ((c * g.kernel_h + i) * g.kernel_w + j) * g.positions();
        for (int64_t oy = ys.lo; oy < ys.hi; ++oy) {
          const T* src = row + oy * out_w;
          const int64_t line = (oy * g.stride_h + y_offset) * g.width + x_offset;
          if (g.stride_w == 1) {
            for (int64_t ox = xs.lo; ox < xs.hi; ++ox) dst[line + ox] += src[ox];
          } else {
            for (int64_t ox = xs.lo; ox < xs.hi; ++ox) dst[line + ox * g.stride_w] += src[ox];
          }
        }
      }
    }
  }
}

#define EMBER_INSTANTIATE(T)                                                    \
  template void im2col<T>(const T*, const ConvGeometry&, T*, int64_t, int64_t); \
  template void col2im<T>(const T*, const ConvGeometry&, T*, int64_t, int64_t);
EMBER_INSTANTIATE(float)
EMBER_INSTANTIATE(double)
#undef EMBER_INSTANTIATE

}  // namespace ember::cpu
