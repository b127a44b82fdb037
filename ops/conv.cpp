// Convolution: unfold/fold on ops/cpu/im2col.h, conv2d as im2col + GEMM, and their gradients.
#include "ember/ops/conv.h"

#include <cstring>
#include <memory>

#include "ember/core/autograd.h"
#include "ember/ops/cpu/gemm.h"
#include "ember/ops/cpu/im2col.h"
#include "ember/ops/cpu/parallel.h"
#include "ember/ops/factory.h"
#include "ember/ops/linalg.h"
#include "ember/ops/reduce.h"
#include "ember/ops/shape.h"

namespace ember {

namespace {

struct Window {
  Size2 kernel, dilation, padding, stride;
};

// Checks the window against an image of channels x height x width and works out the output
// positions.
cpu::ConvGeometry geometry(std::string_view op, const Window& win, int64_t channels, int64_t height,
                           int64_t width, const Shape& input_shape) {
  EMBER_CHECK(win.kernel.h > 0 && win.kernel.w > 0, "{}: kernel size must be positive, got {}x{}",
              op, win.kernel.h, win.kernel.w);
  EMBER_CHECK(win.stride.h > 0 && win.stride.w > 0, "{}: stride must be positive, got {}x{}", op,
              win.stride.h, win.stride.w);
  EMBER_CHECK(win.dilation.h > 0 && win.dilation.w > 0, "{}: dilation must be positive, got {}x{}",
              op, win.dilation.h, win.dilation.w);
  EMBER_CHECK(win.padding.h >= 0 && win.padding.w >= 0,
              "{}: padding must be non-negative, got {}x{}", op, win.padding.h, win.padding.w);
  cpu::ConvGeometry g;
  g.channels = channels;
  g.height = height;
  g.width = width;
  g.kernel_h = win.kernel.h;
  g.kernel_w = win.kernel.w;
  g.stride_h = win.stride.h;
  g.stride_w = win.stride.w;
  g.pad_h = win.padding.h;
  g.pad_w = win.padding.w;
  g.dilation_h = win.dilation.h;
  g.dilation_w = win.dilation.w;
  const int64_t span_h = win.dilation.h * (win.kernel.h - 1) + 1;
  const int64_t span_w = win.dilation.w * (win.kernel.w - 1) + 1;
  const int64_t padded_h = height + 2 * win.padding.h, padded_w = width + 2 * win.padding.w;
  EMBER_CHECK(span_h <= padded_h && span_w <= padded_w,
              "{}: the kernel {}x{} (spanning {}x{} with dilation) is larger than the padded input "
              "{}x{} (input shape {}, padding {}x{})",
              op, win.kernel.h, win.kernel.w, span_h, span_w, padded_h, padded_w,
              shape_str(input_shape), win.padding.h, win.padding.w);
  g.out_h = (padded_h - span_h) / win.stride.h + 1;
  g.out_w = (padded_w - span_w) / win.stride.w + 1;
  return g;
}

// Runs fn(lane) for lanes [0, count), each worth `work` elements, across threads.
template <typename F>
void for_each_lane(int64_t count, int64_t work, const F& fn) {
  cpu::parallel_for(0, count,
                    std::max<int64_t>(1, cpu::kParallelGrain / std::max<int64_t>(work, 1)),
                    [&](int64_t begin, int64_t end) {
                      for (int64_t lane = begin; lane < end; ++lane) fn(lane);
                    });
}

// Whether conv2d needs no im2col at all: the columns are the image itself.
bool is_pointwise(const cpu::ConvGeometry& g) {
  return g.kernel_h == 1 && g.kernel_w == 1 && g.stride_h == 1 && g.stride_w == 1 && g.pad_h == 0 &&
         g.pad_w == 0;
}

template <typename T>
std::unique_ptr<T[]> scratch(int64_t n) {
  return std::make_unique_for_overwrite<T[]>(static_cast<size_t>(std::max<int64_t>(n, 1)));
}

// Runs unit(u, scratch) for the (sample, group) units of a convolution. Small products run one
// unit per thread, each with its own scratch and OpenBLAS single-threaded; large ones run in
// order with only OpenBLAS threading inside. im2col/col2im then stay on the calling thread:
// an OpenMP region right before a threaded GEMM leaves spinning OpenMP workers competing with
// OpenBLAS's threads for the cores, which costs more than the copy gains.
template <typename T, typename Unit>
void for_each_unit(int64_t units, bool small, int64_t scratch_size, int64_t unit_work,
                   const Unit& unit) {
  if (units > 1 && small) {
    const int64_t grain =
        std::max<int64_t>(1, cpu::kParallelGrain / std::max<int64_t>(unit_work, 1));
    cpu::parallel_for(0, units, grain, [&](int64_t begin, int64_t end) {
      auto buffer = scratch<T>(scratch_size);
      for (int64_t u = begin; u < end; ++u) unit(u, buffer.get());
    });
  } else {
    auto buffer = scratch<T>(scratch_size);
    for (int64_t u = 0; u < units; ++u) unit(u, buffer.get());
  }
}

Tensor unfold_forward(const Tensor& input, const cpu::ConvGeometry& g) {
  const Tensor x = input.detach().contiguous();
  const int64_t n = x.size(0), c = g.channels;
  Tensor out = empty({n, c * g.kernel_size(), g.positions()}, TensorOptions(x.dtype(), x.device()));
  visit_floating(x.dtype(), "unfold", [&]<typename T>() {
    const T* src = x.data_ptr<T>();
    T* dst = out.data_ptr<T>();
    for_each_lane(n * c, g.kernel_size() * g.positions(), [&](int64_t lane) {
      const int64_t i = lane / c, ch = lane % c;
      cpu::im2col(src + i * g.image_size(), g, dst + i * g.columns_size(), ch, ch + 1);
    });
  });
  return out;
}

Tensor fold_forward(const Tensor& columns, const cpu::ConvGeometry& g) {
  const Tensor cols = columns.detach().contiguous();
  const int64_t n = cols.size(0), c = g.channels;
  Tensor out = zeros({n, c, g.height, g.width}, TensorOptions(cols.dtype(), cols.device()));
  visit_floating(cols.dtype(), "fold", [&]<typename T>() {
    const T* src = cols.data_ptr<T>();
    T* dst = out.data_ptr<T>();
    for_each_lane(n * c, g.kernel_size() * g.positions(), [&](int64_t lane) {
      const int64_t i = lane / c, ch = lane % c;
      cpu::col2im(src + i * g.columns_size(), g, dst + i * g.image_size(), ch, ch + 1);
    });
  });
  return out;
}

// Unbatched [C, H, W] inputs run as a batch of one.
template <typename F>
Tensor batched(const Tensor& x, int64_t batched_dims, F f) {
  if (x.dim() == batched_dims - 1) return f(x.unsqueeze(0)).squeeze(0);
  return f(x);
}

// --- conv2d -------------------------------------------------------------------------------------

struct ConvShape {
  cpu::ConvGeometry g;
  int64_t batch, groups, out_channels;
  int64_t group_channels() const { return g.channels / groups; }
  int64_t group_out() const { return out_channels / groups; }
  int64_t group_rows() const { return group_channels() * g.kernel_size(); }  // GEMM depth
  bool small() const { return cpu::gemm_is_small(group_out(), g.positions(), group_rows()); }
  int64_t unit_work() const { return group_out() * g.positions() * group_rows(); }
  Shape input_shape() const { return {batch, g.channels, g.height, g.width}; }
  Shape weight_shape() const { return {out_channels, group_channels(), g.kernel_h, g.kernel_w}; }
};

template <typename T>
void conv2d_forward_kernel(const ConvShape& s, const T* x, const T* w, const T* bias, T* out) {
  const cpu::ConvGeometry& g = s.g;
  const int64_t cg = s.group_channels(), og = s.group_out(), kg = s.group_rows();
  const int64_t l = g.positions(), plane = g.height * g.width;
  const bool pointwise = is_pointwise(g);
  for_each_unit<T>(s.batch * s.groups, s.small(), pointwise ? 0 : kg * l, s.unit_work(),
                   [&](int64_t unit, T* cols) {
                     const int64_t n = unit / s.groups, grp = unit % s.groups;
                     const T* image = x + n * g.image_size() + grp * cg * plane;
                     if (!pointwise) cpu::im2col(image, g, cols, 0, cg);
                     T* o = out + (n * s.out_channels + grp * og) * l;
                     if (bias)
                       for (int64_t r = 0; r < og; ++r)
                         std::fill(o + r * l, o + (r + 1) * l, bias[grp * og + r]);
                     cpu::gemm<T>(og, l, kg, w + grp * og * kg, {false, kg},
                                  pointwise ? image : cols, {false, l}, bias ? T(1) : T(0), o, l);
                   });
}

// d input = col2im(W^T dY), per (sample, group).
template <typename T>
void conv2d_input_grad_kernel(const ConvShape& s, const T* w, const T* gy, T* gx) {
  const cpu::ConvGeometry& g = s.g;
  const int64_t cg = s.group_channels(), og = s.group_out(), kg = s.group_rows();
  const int64_t l = g.positions(), plane = g.height * g.width;
  const bool pointwise = is_pointwise(g);
  for_each_unit<T>(s.batch * s.groups, s.small(), pointwise ? 0 : kg * l, s.unit_work(),
                   [&](int64_t unit, T* cols) {
                     const int64_t n = unit / s.groups, grp = unit % s.groups;
                     T* image = gx + n * g.image_size() + grp * cg * plane;
                     const T* dy = gy + (n * s.out_channels + grp * og) * l;
                     cpu::gemm<T>(kg, l, og, w + grp * og * kg, {true, kg}, dy, {false, l}, T(0),
                                  pointwise ? image : cols, l);
                     if (!pointwise) cpu::col2im(cols, g, image, 0, cg);
                   });
}

// d weight = sum over samples of dY_n cols_n^T, per group. Samples accumulate in order (BLAS
// beta = 1), so the result does not depend on the thread count.
template <typename T>
void conv2d_weight_grad_kernel(const ConvShape& s, const T* x, const T* gy, T* gw) {
  const cpu::ConvGeometry& g = s.g;
  const int64_t cg = s.group_channels(), og = s.group_out(), kg = s.group_rows();
  const int64_t l = g.positions(), plane = g.height * g.width;
  const bool pointwise = is_pointwise(g);
  for_each_unit<T>(s.groups, s.small(), pointwise ? 0 : kg * l, s.unit_work() * s.batch,
                   [&](int64_t grp, T* cols) {
                     for (int64_t n = 0; n < s.batch; ++n) {
                       const T* image = x + n * g.image_size() + grp * cg * plane;
                       if (!pointwise) cpu::im2col(image, g, cols, 0, cg);
                       const T* dy = gy + (n * s.out_channels + grp * og) * l;
                       cpu::gemm<T>(og, kg, l, dy, {false, l}, pointwise ? image : cols, {true, l},
                                    n == 0 ? T(0) : T(1), gw + grp * og * kg, kg);
                     }
                   });
}

// The gradients as differentiable ops (unfold, fold, matmul), for create_graph. `x` is defined
// when the weight needs a gradient, `w` when the input does.
TensorList conv2d_backward_composite(const ConvShape& s, const Window& win, const Tensor& x,
                                     const Tensor& w, const Tensor& gy, bool need_b) {
  const int64_t n = s.batch, kg = s.group_rows(), l = s.g.positions();
  const Tensor dy = gy.reshape({n, s.groups, s.group_out(), l});
  Tensor dx, dw, db;
  if (w.defined()) {
    const Tensor wt = w.reshape({s.groups, s.group_out(), kg}).transpose(-1, -2);
    dx = fold(matmul(wt, dy).reshape({n, s.g.channels * s.g.kernel_size(), l}),
              {s.g.height, s.g.width}, win.kernel, win.dilation, win.padding, win.stride);
  }
  if (x.defined()) {
    const Tensor cols =
        unfold(x, win.kernel, win.dilation, win.padding, win.stride).reshape({n, s.groups, kg, l});
    dw = matmul(dy, cols.transpose(-1, -2)).sum({0}).reshape(s.weight_shape());
  }
  if (need_b) db = gy.sum({0, 2, 3});
  return {dx, dw, db};
}

TensorList conv2d_backward_fused(const ConvShape& s, const Tensor& x, const Tensor& w,
                                 const Tensor& gy, bool need_b) {
  const Tensor dy = gy.detach().contiguous();
  const TensorOptions options(gy.dtype(), gy.device());
  Tensor dx, dw, db;
  visit_floating(gy.dtype(), "conv2d", [&]<typename T>() {
    if (w.defined()) {
      const Tensor wc = w.detach().contiguous();
      dx = is_pointwise(s.g) ? empty(s.input_shape(), options) : zeros(s.input_shape(), options);
      conv2d_input_grad_kernel<T>(s, wc.data_ptr<T>(), dy.data_ptr<T>(), dx.data_ptr<T>());
    }
    if (x.defined()) {
      const Tensor xc = x.detach().contiguous();
      dw = s.batch == 0 ? zeros(s.weight_shape(), options) : empty(s.weight_shape(), options);
      if (s.batch > 0)
        conv2d_weight_grad_kernel<T>(s, xc.data_ptr<T>(), dy.data_ptr<T>(), dw.data_ptr<T>());
    }
  });
  if (need_b) db = dy.sum({0, 2, 3});
  return {dx, dw, db};
}

Tensor conv2d_batched(const Tensor& input, const Tensor& weight, const Tensor& bias,
                      const Window& win, int64_t groups) {
  EMBER_CHECK(input.dim() == 4, "conv2d: expected input [N, C, H, W] or [C, H, W], got shape {}",
              shape_str(input.sizes()));
  EMBER_CHECK(weight.dim() == 4,
              "conv2d: expected weight [out_channels, in_channels / groups, kh, kw], got shape {}",
              shape_str(weight.sizes()));
  EMBER_CHECK(groups >= 1, "conv2d: groups must be at least 1, got {}", groups);
  const int64_t channels = input.size(1), out_channels = weight.size(0);
  EMBER_CHECK(channels % groups == 0,
              "conv2d: input channels ({}) must be divisible by groups ({})", channels, groups);
  EMBER_CHECK(out_channels % groups == 0,
              "conv2d: output channels ({}, weight of shape {}) must be divisible by groups ({})",
              out_channels, shape_str(weight.sizes()), groups);
  EMBER_CHECK(
      weight.size(1) * groups == channels,
      "conv2d: weight of shape {} expects {} input channels ({} per group x {} groups), but "
      "the input of shape {} has {}",
      shape_str(weight.sizes()), weight.size(1) * groups, weight.size(1), groups,
      shape_str(input.sizes()), channels);
  EMBER_CHECK(input.dtype() == weight.dtype(), "conv2d: input is {} but weight is {}",
              input.describe(), weight.describe());
  EMBER_CHECK(input.device() == weight.device(), "conv2d: input on {} but weight on {}",
              input.device(), weight.device());
  if (bias.defined()) {
    EMBER_CHECK(bias.dim() == 1 && bias.size(0) == out_channels,
                "conv2d: bias of shape {} does not match the {} output channels of weight {}",
                shape_str(bias.sizes()), out_channels, shape_str(weight.sizes()));
    EMBER_CHECK(bias.dtype() == input.dtype() && bias.device() == input.device(),
                "conv2d: bias is a {}, expected {} on {}", bias.describe(), input.dtype(),
                input.device());
  }
  check_cpu("conv2d", input);
  const Window w{{weight.size(2), weight.size(3)}, win.dilation, win.padding, win.stride};
  ConvShape s{geometry("conv2d", w, channels, input.size(2), input.size(3), input.sizes()),
              input.size(0), groups, out_channels};

  const Tensor x = input.detach().contiguous(), wc = weight.detach().contiguous();
  const Tensor bc = bias.defined() ? bias.detach().contiguous() : Tensor();
  Tensor out = empty({s.batch, out_channels, s.g.out_h, s.g.out_w},
                     TensorOptions(input.dtype(), input.device()));
  visit_floating(input.dtype(), "conv2d", [&]<typename T>() {
    conv2d_forward_kernel<T>(s, x.data_ptr<T>(), wc.data_ptr<T>(),
                             bc.defined() ? bc.data_ptr<T>() : nullptr, out.data_ptr<T>());
  });

  if (auto node = make_node("conv2d", {input, weight, bias}, {out})) {
    // Each operand is saved only when the other one needs its gradient.
    const bool need_b = bias.defined() && bias.requires_grad();
    node->backward = [s, w, sx = weight.requires_grad() ? SavedTensor(input) : SavedTensor(),
                      sw = input.requires_grad() ? SavedTensor(weight) : SavedTensor(),
                      need_b](const TensorList& g) -> TensorList {
      const Tensor x = sx.unpack(), wt = sw.unpack();
      if (GradMode::is_enabled()) return conv2d_backward_composite(s, w, x, wt, g[0], need_b);
      return conv2d_backward_fused(s, x, wt, g[0], need_b);
    };
  }
  return out;
}

}  // namespace

Tensor unfold(const Tensor& input, Size2 kernel_size, Size2 dilation, Size2 padding, Size2 stride) {
  check_defined("unfold", input);
  EMBER_CHECK(input.dim() == 3 || input.dim() == 4,
              "unfold: expected input [N, C, H, W] or [C, H, W], got shape {}",
              shape_str(input.sizes()));
  check_cpu("unfold", input);
  const Window win{kernel_size, dilation, padding, stride};
  return batched(input, 4, [&](const Tensor& x) {
    const cpu::ConvGeometry g =
        geometry("unfold", win, x.size(1), x.size(2), x.size(3), input.sizes());
    Tensor out = unfold_forward(x, g);
    if (auto node = make_node("unfold", {x}, {out}))
      node->backward = [win, g](const TensorList& grad) {
        return TensorList{
            fold(grad[0], {g.height, g.width}, win.kernel, win.dilation, win.padding, win.stride)};
      };
    return out;
  });
}

Tensor fold(const Tensor& columns, Size2 output_size, Size2 kernel_size, Size2 dilation,
            Size2 padding, Size2 stride) {
  check_defined("fold", columns);
  EMBER_CHECK(columns.dim() == 2 || columns.dim() == 3,
              "fold: expected columns [N, C * kh * kw, L] or [C * kh * kw, L], got shape {}",
              shape_str(columns.sizes()));
  check_cpu("fold", columns);
  EMBER_CHECK(output_size.h >= 0 && output_size.w >= 0, "fold: invalid output size {}x{}",
              output_size.h, output_size.w);
  const Window win{kernel_size, dilation, padding, stride};
  return batched(columns, 3, [&](const Tensor& cols) {
    const int64_t k = kernel_size.h * kernel_size.w;
    EMBER_CHECK(k > 0 && cols.size(1) % k == 0,
                "fold: dim 1 of columns of shape {} must be a multiple of the kernel size {}x{}",
                shape_str(columns.sizes()), kernel_size.h, kernel_size.w);
    const Shape image_shape{cols.size(0), cols.size(1) / k, output_size.h, output_size.w};
    const cpu::ConvGeometry g =
        geometry("fold", win, cols.size(1) / k, output_size.h, output_size.w, image_shape);
    EMBER_CHECK(cols.size(2) == g.positions(),
                "fold: columns of shape {} have {} blocks, but an output of {}x{} with this "
                "kernel, dilation, padding and stride has {} ({}x{})",
                shape_str(columns.sizes()), cols.size(2), output_size.h, output_size.w,
                g.positions(), g.out_h, g.out_w);
    Tensor out = fold_forward(cols, g);
    if (auto node = make_node("fold", {cols}, {out}))
      node->backward = [win](const TensorList& grad) {
        return TensorList{unfold(grad[0], win.kernel, win.dilation, win.padding, win.stride)};
      };
    return out;
  });
}

Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias, Size2 stride,
              Size2 padding, Size2 dilation, int64_t groups) {
  check_defined("conv2d", input, "input");
  check_defined("conv2d", weight, "weight");
  EMBER_CHECK(input.dim() == 3 || input.dim() == 4,
              "conv2d: expected input [N, C, H, W] or [C, H, W], got shape {}",
              shape_str(input.sizes()));
  const Window win{1, dilation, padding, stride};
  return batched(input, 4,
                 [&](const Tensor& x) { return conv2d_batched(x, weight, bias, win, groups); });
}

}  // namespace ember
