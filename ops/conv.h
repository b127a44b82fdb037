#pragma once
// 2-d convolution as im2col + GEMM, and the unfold/fold pair it is built from.
//
//   auto images = ember::randn({8, 3, 32, 32});
//   auto weight = ember::randn({16, 3, 3, 3});
//   auto y = ember::conv2d(images, weight, bias, /*stride=*/1, /*padding=*/1);  // [8, 16, 32, 32]
//
// Output size per spatial dim: (in + 2 * padding - dilation * (kernel - 1) - 1) / stride + 1.
// Gradients: d input = fold(W^T dY), d weight = sum over the batch of dY unfold(x)^T,
// d bias = dY summed over batch and space. Inputs may also be unbatched ([C, H, W]).
#include "ember/core/tensor.h"

namespace ember {

// A (height, width) pair; one number means the same for both: conv2d(x, w, b, 2, {1, 0}).
struct Size2 {
  int64_t h = 0, w = 0;
  Size2(int64_t both) : h(both), w(both) {}  // NOLINT: implicit by design
  Size2(int64_t h, int64_t w) : h(h), w(w) {}
};

// Sliding blocks of input [N, C, H, W] as columns, as torch.nn.functional.unfold:
// [N, C * kh * kw, L] with L the number of block positions. Gradient: fold.
Tensor unfold(const Tensor& input, Size2 kernel_size, Size2 dilation = 1, Size2 padding = 0,
              Size2 stride = 1);
// The adjoint of unfold (torch.nn.functional.fold): sums columns [N, C * kh * kw, L] back into
// an image [N, C, output_size.h, output_size.w]; overlapping blocks add up. Gradient: unfold.
Tensor fold(const Tensor& columns, Size2 output_size, Size2 kernel_size, Size2 dilation = 1,
            Size2 padding = 0, Size2 stride = 1);

// input [N, C, H, W], weight [O, C / groups, kh, kw], bias [O] (optional) -> [N, O, Ho, Wo].
// With groups > 1, input channels and output channels are split into `groups` independent
// convolutions.
Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias = {}, Size2 stride = 1,
              Size2 padding = 0, Size2 dilation = 1, int64_t groups = 1);

}  // namespace ember
