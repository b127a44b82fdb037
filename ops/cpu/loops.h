#pragma once
// The one strided, broadcasting loop every elementwise kernel runs on.
//
// N operands of a common shape, each with its own strides (0 along broadcast dims). Dims are
// reordered innermost-first and merged wherever all operands are contiguous across them, so a
// contiguous tensor becomes a single flat loop. Kernels receive a pointer per operand, the inner
// strides in bytes and a count, and write their own contiguous fast paths (see elementwise.h).
// Above a size threshold the index space is split across OpenMP threads.
#include <array>
#include <cstdint>
#include <vector>

#include "ember/core/tensor.h"
#include "ember/ops/cpu/parallel.h"

namespace ember::cpu {

template <size_t N>
class StridedLoop {
 public:
  // `operands[0]` is usually the output; each operand is viewed with `shape` (already
  // broadcast: a tensor with fewer dims or size-1 dims gets stride 0 there).
  StridedLoop(const Shape& shape, const std::array<const Tensor*, N>& operands) {
    const size_t ndim = shape.size();
    for (size_t k = 0; k < N; ++k) {
      base_[k] = static_cast<char*>(operands[k]->raw_data());
      elem_[k] = static_cast<int64_t>(operands[k]->element_size());
    }
    // Innermost-first dims with byte strides.
    for (size_t i = ndim; i-- > 0;) {
      if (shape[i] == 1) continue;
      Dim d;
      d.size = shape[i];
      for (size_t k = 0; k < N; ++k)
        d.stride[k] = broadcast_stride(*operands[k], ndim, i) * elem_[k];
      if (!dims_.empty()) {
        Dim& last = dims_.back();  // merge with the faster dim when every operand allows it
        bool mergeable = true;
        for (size_t k = 0; k < N; ++k)
          if (d.stride[k] != last.stride[k] * last.size) mergeable = false;
        if (mergeable) {
          last.size *= d.size;
          continue;
        }
      }
      dims_.push_back(d);
    }
    numel_ = numel_of(shape);
    if (dims_.empty()) dims_.push_back(Dim{1, {}});
  }

  int64_t numel() const { return numel_; }

  // Calls fn(ptrs, inner_strides_in_bytes, count) over contiguous runs of the inner dim,
  // in parallel above `grain` elements.
  template <typename F>
  void run(F&& fn, int64_t grain = kParallelGrain) const {
    if (numel_ == 0) return;
    parallel_for(0, numel_, grain, [&](int64_t begin, int64_t end) { run_range(begin, end, fn); });
  }

 private:
  struct Dim {
    int64_t size = 1;
    std::array<int64_t, N> stride{};
  };

  static int64_t broadcast_stride(const Tensor& t, size_t ndim, size_t i) {
    const size_t offset = ndim - static_cast<size_t>(t.dim());
    if (i < offset) return 0;
    return t.sizes()[i - offset] == 1 ? 0 : t.strides()[i - offset];
  }

  template <typename F>
  void run_range(int64_t begin, int64_t end, F& fn) const {
    const size_t nd = dims_.size();
    std::vector<int64_t> index(nd, 0);
    std::array<char*, N> ptr = base_;
    int64_t rest = begin;
    for (size_t d = 0; d < nd; ++d) {
      index[d] = rest % dims_[d].size;
      rest /= dims_[d].size;
      for (size_t k = 0; k < N; ++k) ptr[k] += index[d] * dims_[d].stride[k];
    }
    std::array<int64_t, N> inner;
    for (size_t k = 0; k < N; ++k) inner[k] = dims_[0].stride[k];
    int64_t pos = begin;
    while (pos < end) {
      const int64_t count = std::min(dims_[0].size - index[0], end - pos);
      fn(ptr, inner, count);
      pos += count;
      // advance: finish the inner run, then carry into outer dims
      for (size_t k = 0; k < N; ++k) ptr[k] += count * inner[k];
      index[0] += count;
      for (size_t d = 0; d + 1 < nd && index[d] == dims_[d].size; ++d) {
        for (size_t k = 0; k < N; ++k)
          ptr[k] += dims_[d + 1].stride[k] - dims_[d].size * dims_[d].stride[k];
        index[d] = 0;
        ++index[d + 1];
      }
    }
  }

  std::vector<Dim> dims_;
  std::array<char*, N> base_{};
  std::array<int64_t, N> elem_{};
  int64_t numel_ = 0;
};

}  // namespace ember::cpu
