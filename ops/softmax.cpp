// Softmax and log-softmax: fused forward and backward kernels (ops/cpu/softmax.h), and the
// composite backward used when the backward pass is itself differentiated.
#include "ember/ops/softmax.h"

#include "ember/core/autograd.h"
#include "ember/ops/cpu/softmax.h"
#include "ember/ops/elementwise.h"
#include "ember/ops/reduce.h"

namespace ember {

namespace {

// x seen as [outer, size, inner] around `dim`.
cpu::SoftmaxShape shape_around(const Tensor& x, int64_t dim) {
  cpu::SoftmaxShape s;
  for (int64_t d = 0; d < x.dim(); ++d) {
    if (d < dim)
      s.outer *= x.size(d);
    else if (d == dim)
      s.size = x.size(d);
    else
      s.inner *= x.size(d);
  }
  return s;
}

Tensor fused_forward(std::string_view op, const Tensor& x, int64_t dim, bool log) {
  const Tensor in = x.detach().contiguous();
  Tensor out = empty(x.sizes(), TensorOptions(x.dtype(), x.device()));
  visit_floating(x.dtype(), op, [&]<typename T>() {
    cpu::softmax_forward(in.data_ptr<T>(), out.data_ptr<T>(), shape_around(x, dim), log);
  });
  return out;
}

Tensor fused_backward(const Tensor& grad, const Tensor& y, int64_t dim, bool log) {
  const Tensor g = grad.contiguous();
  Tensor dx = empty(y.sizes(), TensorOptions(y.dtype(), y.device()));
  visit_floating(y.dtype(), "softmax backward", [&]<typename T>() {
    cpu::softmax_backward(g.data_ptr<T>(), y.data_ptr<T>(), dx.data_ptr<T>(), shape_around(y, dim),
                          log);
  });
  return dx;
}

// The same gradient in differentiable ops. y is the op's (saved) output, so with create_graph
// the result is connected to x through y's own softmax node.
Tensor composite_backward(const Tensor& g, const Tensor& y, int64_t dim, bool log) {
  if (log) return g - exp(y) * sum(g, {dim}, /*keepdim=*/true);
  return y * (g - sum(g * y, {dim}, /*keepdim=*/true));
}

Tensor softmax_op(std::string_view op, const Tensor& x, int64_t dim, bool log) {
  check_defined(op, x);
  check_cpu(op, x);
  EMBER_CHECK(x.is_floating_point(), "{}: expected a float32 or float64 tensor, got {}", op,
              x.describe());
  const int64_t d = wrap_dim(op, dim, x.dim());
  Tensor out = fused_forward(op, x, d, log);
  if (auto node = make_node(std::string(op), {x}, {out}))
    node->backward = [sy = SavedTensor(out), d, log](const TensorList& g) -> TensorList {
      const Tensor y = sy.unpack();
      if (GradMode::is_enabled()) return {composite_backward(g[0], y, d, log)};
      return {fused_backward(g[0], y, d, log)};
    };
  return out;
}

}  // namespace

Tensor softmax(const Tensor& x, int64_t dim) {
  return softmax_op("softmax", x, dim, false);
}
Tensor log_softmax(const Tensor& x, int64_t dim) {
  return softmax_op("log_softmax", x, dim, true);
}

Tensor Tensor::softmax(int64_t dim) const {
  return ember::softmax(*this, dim);
}
Tensor Tensor::log_softmax(int64_t dim) const {
  return ember::log_softmax(*this, dim);
}

}  // namespace ember
