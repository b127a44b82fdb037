// Layer normalisation: fused forward/backward kernels (ops/cpu/layer_norm.h) and the composite
// gradient used when the backward pass is differentiated.
#include "ember/ops/layer_norm.h"

#include <cmath>

#include "ember/core/autograd.h"
#include "ember/ops/cpu/layer_norm.h"
#include "ember/ops/elementwise.h"
#include "ember/ops/reduce.h"

namespace ember {

namespace {

void check_affine(const Tensor& x, const Shape& normalized_shape, const Tensor& p,
                  std::string_view what) {
  if (!p.defined()) return;
  EMBER_CHECK(p.sizes() == normalized_shape,
              "layer_norm: {} has shape {}, expected normalized_shape {}", what,
              shape_str(p.sizes()), shape_str(normalized_shape));
  EMBER_CHECK(p.dtype() == x.dtype() && p.device() == x.device(),
              "layer_norm: {} is a {}, expected the input's dtype and device ({})", what,
              p.describe(), x.describe());
}

// Gradients in differentiable ops, recomputing the statistics from x so that the result is
// connected to x (and weight) for higher-order gradients.
TensorList composite_backward(const Tensor& g, const Tensor& x, const Tensor& weight,
                              const Shape& normalized_shape, double eps, bool has_bias) {
  Shape dims;
  for (int64_t d = x.dim() - static_cast<int64_t>(normalized_shape.size()); d < x.dim(); ++d)
    dims.push_back(d);
  const Tensor centered = x - mean(x, dims, /*keepdim=*/true);
  const Tensor rstd = rsqrt(mean(centered * centered, dims, /*keepdim=*/true) + eps);
  const Tensor x_hat = centered * rstd;
  const Tensor gw = weight.defined() ? g * weight : g;
  const Tensor dx = rstd * (gw - mean(gw, dims, /*keepdim=*/true) -
                            x_hat * mean(gw * x_hat, dims, /*keepdim=*/true));
  return {dx, weight.defined() ? sum_to(g * x_hat, normalized_shape) : Tensor(),
          has_bias ? sum_to(g, normalized_shape) : Tensor()};
}

}  // namespace

Tensor layer_norm(const Tensor& x, const Shape& normalized_shape, const Tensor& weight,
                  const Tensor& bias, double eps) {
  check_defined("layer_norm", x);
  check_cpu("layer_norm", x);
  EMBER_CHECK(x.is_floating_point(), "layer_norm: expected a float32 or float64 input, got {}",
              x.describe());
  const auto k = static_cast<int64_t>(normalized_shape.size());
  EMBER_CHECK(k >= 1, "layer_norm: normalized_shape must name at least one dim, got []");
  const Shape trailing = x.dim() >= k ? Shape(x.sizes().end() - k, x.sizes().end()) : Shape{};
  EMBER_CHECK(x.dim() >= k && trailing == normalized_shape,
              "layer_norm: input of shape {} does not end with normalized_shape {}",
              shape_str(x.sizes()), shape_str(normalized_shape));
  check_affine(x, normalized_shape, weight, "weight");
  check_affine(x, normalized_shape, bias, "bias");
  EMBER_CHECK(eps >= 0, "layer_norm: eps must be non-negative, got {}", eps);

  const int64_t cols = numel_of(normalized_shape);
  int64_t rows = 1;
  for (int64_t d = 0; d < x.dim() - k; ++d) rows *= x.size(d);
  const Tensor in = x.detach().contiguous();
  const Tensor w = weight.defined() ? weight.detach().contiguous() : Tensor();
  const Tensor b = bias.defined() ? bias.detach().contiguous() : Tensor();
  Tensor y = empty(x.sizes(), TensorOptions(x.dtype(), x.device()));
  Tensor mean_t = empty({rows}, TensorOptions(x.dtype(), x.device()));
  Tensor rstd_t = empty({rows}, TensorOptions(x.dtype(), x.device()));
  visit_floating(x.dtype(), "layer_norm", [&]<typename T>() {
    cpu::layer_norm_forward(in.data_ptr<T>(), w.defined() ? w.data_ptr<T>() : nullptr,
                            b.defined() ? b.data_ptr<T>() : nullptr, y.data_ptr<T>(),
                            mean_t.data_ptr<T>(), rstd_t.data_ptr<T>(), rows, cols, eps);
  });

  if (auto node = make_node("layer_norm", {x, weight, bias}, {y})) {
    const bool need_x = x.requires_grad(), need_w = weight.defined() && weight.requires_grad(),
               need_b = bias.defined() && bias.requires_grad();
    node->backward = [sx = SavedTensor(x), sw = SavedTensor(weight), mean_t, rstd_t,
                      normalized_shape, eps, has_bias = bias.defined(), need_x, need_w, need_b,
                      rows, cols](const TensorList& grads) -> TensorList {
      const Tensor x = sx.unpack();
      const Tensor weight = sw.defined() ? sw.unpack() : Tensor();
      if (GradMode::is_enabled())
        return composite_backward(grads[0], x, weight, normalized_shape, eps, has_bias);
      const Tensor g = grads[0].contiguous(), xc = x.contiguous();
      const Tensor w = weight.defined() ? weight.contiguous() : Tensor();
      Tensor dx, dw, db;
      const TensorOptions opts(x.dtype(), x.device());
      if (need_x) dx = empty(x.sizes(), opts);
      if (need_w) dw = empty(normalized_shape, opts);
      if (need_b) db = empty(normalized_shape, opts);
      visit_floating(x.dtype(), "layer_norm backward", [&]<typename T>() {
        cpu::layer_norm_backward(
            g.data_ptr<T>(), xc.data_ptr<T>(), w.defined() ? w.data_ptr<T>() : nullptr,
            mean_t.data_ptr<T>(), rstd_t.data_ptr<T>(), need_x ? dx.data_ptr<T>() : nullptr,
            need_w ? dw.data_ptr<T>() : nullptr, need_b ? db.data_ptr<T>() : nullptr, rows, cols);
      });
      return {dx, dw, db};
    };
  }
  return y;
}

}  // namespace ember
