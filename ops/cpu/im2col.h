#pragma once
// im2col / col2im: the rearrangement that turns a 2-d convolution into one matrix product.
//
// For an image [C, H, W] and a kh x kw kernel, the columns matrix has one row per (channel,
// kernel row, kernel column), in that order, and one column per output position (oy, ox):
//
//   columns[(c * kh + i) * kw + j][oy * out_w + ox]
//       = image[c][oy * stride_h - pad_h + i * dilation_h][ox * stride_w - pad_w + j * dilation_w]
//
// (zero where that falls into the padding). col2im is its adjoint: it adds every column entry
// back onto the pixel it came from, so overlapping windows accumulate.
#include <cstdint>

namespace ember::cpu {

struct ConvGeometry {
  int64_t channels = 0, height = 0, width = 0;
  int64_t kernel_h = 1, kernel_w = 1;
  int64_t stride_h = 1, stride_w = 1;
  int64_t pad_h = 0, pad_w = 0;
  int64_t dilation_h = 1, dilation_w = 1;
  int64_t out_h = 0, out_w = 0;

  int64_t kernel_size() const { return kernel_h * kernel_w; }
  int64_t positions() const { return out_h * out_w; }  // columns of the matrix
  int64_t image_size() const { return channels * height * width; }
  int64_t columns_size() const { return channels * kernel_size() * positions(); }
};

// Writes the rows of channels [c_begin, c_end) of the columns matrix of a contiguous image.
// Serial: callers spread channels (or images) across threads.
template <typename T>
void im2col(const T* image, const ConvGeometry& g, T* columns, int64_t c_begin, int64_t c_end);

// Adds the rows of channels [c_begin, c_end) of `columns` onto a contiguous image. Different
// channels touch disjoint planes, so they may run on different threads.
template <typename T>
void col2im(const T* columns, const ConvGeometry& g, T* image, int64_t c_begin, int64_t c_end);

}  // namespace ember::cpu
