#pragma once
// Softmax-family kernels. The input is contiguous and seen as [outer, size, inner]; the softmax
// runs along `size` (stride `inner`). inner == 1, softmax over the last dim, is the common case
// and runs over contiguous rows; otherwise blocks of columns are processed together so the inner
// loops stay contiguous.
//
// Every kernel subtracts the row maximum before exponentiating. A row whose entries are all
// -inf (a fully masked attention row) has no finite maximum: softmax gives zeros there and
// logsumexp gives -inf, never NaN.
#include <cstdint>

namespace ember::cpu {

struct SoftmaxShape {
  int64_t outer = 1, size = 1, inner = 1;
};

// y = softmax(x), or log_softmax(x) when `log` (a fully -inf row gives -inf).
template <typename T>
void softmax_forward(const T* x, T* y, SoftmaxShape shape, bool log);

// dx from the output y and its gradient dy:
//   softmax:     dx = y * (dy - sum(dy * y))
//   log_softmax: dx = dy - exp(y) * sum(dy)
template <typename T>
void softmax_backward(const T* dy, const T* y, T* dx, SoftmaxShape shape, bool log);

// out[o, i] = log(sum_r exp(x[o, r, i])).
template <typename T>
void logsumexp_forward(const T* x, T* out, SoftmaxShape shape);

}  // namespace ember::cpu
