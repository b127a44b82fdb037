// Conversions and in-place writes.
#include "ember/ops/convert.h"

#include "ember/core/autograd.h"
#include "ember/ops/cpu/elementwise.h"
#include "ember/ops/elementwise.h"
#ifdef EMBER_WITH_CUDA
#include "ember/ops/cuda/kernels.h"
#endif

namespace ember {

namespace {

// Copies data between any devices/dtypes/strides; no autograd.
void raw_copy(const Tensor& dst, const Tensor& src) {
  if (dst.device().is_cpu() && src.device().is_cpu()) {
    cpu::copy_kernel(dst, src);
    return;
  }
  // Across devices: move contiguous bytes, converting dtype on the host side.
  EMBER_CHECK(dst.sizes() == src.sizes(), "copy_: cross-device copies need equal shapes ({} vs {})",
              shape_str(dst.sizes()), shape_str(src.sizes()));
  const Tensor s = src.device().is_cpu() ? src.contiguous().to(dst.dtype()) : src.contiguous();
  EMBER_CHECK(dst.is_contiguous(), "copy_: a cross-device copy needs a contiguous destination");
  EMBER_CHECK(s.dtype() == dst.dtype(), "copy_: cross-device copies need equal dtypes ({} vs {})",
              s.dtype(), dst.dtype());
  cuda_memory::copy(dst.raw_data(), dst.device(), s.raw_data(), s.device(),
                    static_cast<size_t>(dst.numel()) * dst.element_size());
}

void check_writable(std::string_view op, const Tensor& self) {
  check_defined(op, self);
  if (!GradMode::is_enabled()) return;
  EMBER_CHECK(!(self.is_leaf() && self.requires_grad()),
              "{}: a leaf tensor that requires grad ({}) cannot be modified in place while grad "
              "mode is on; use NoGradGuard (as optimizers do) or the out-of-place op",
              op, self.describe());
}

// Writes `result`, computed by the differentiable out-of-place op, into `self`, and makes
// self's history that of result.
Tensor& commit(const char* op, Tensor& self, const Tensor& result) {
  EMBER_CHECK(!(self.impl()->is_view && result.requires_grad()),
              "{}: in-place ops on a view are not recorded by autograd when gradients flow "
              "through them; use the out-of-place op",
              op);
  raw_copy(self, result.detach());
  self.storage()->bump_version(op);
  if (result.requires_grad()) {
    self.impl()->grad_fn = result.grad_fn();
    self.impl()->output_nr = result.output_nr();
    self.impl()->requires_grad = true;
  }
  return self;
}

void check_result_fits(std::string_view op, const Tensor& self, const Tensor& other) {
  check_defined(op, other, "other");
  EMBER_CHECK(promote(self.dtype(), other.dtype()) == self.dtype(),
              "{}: the result type {} cannot be written into the {} tensor", op,
              promote(self.dtype(), other.dtype()), self.dtype());
  EMBER_CHECK(broadcast_shapes(op, self.sizes(), other.sizes()) == self.sizes(),
              "{}: the other operand of shape {} does not broadcast to the tensor's shape {}", op,
              shape_str(other.sizes()), shape_str(self.sizes()));
}

// In-place arithmetic without autograd: one pass, no temporary.
template <typename F>
Tensor& direct(const char* op, Tensor& self, const Tensor& other, F f) {
  check_cpu(op, self);
  const Tensor o = other.dtype() == self.dtype() ? other : other.to(self.dtype());
  visit_numeric(self.dtype(), op, [&]<typename T>() {
    cpu::binary_kernel<T, T, T>(self, self, o, [f](T x, T y) { return static_cast<T>(f(x, y)); });
  });
  self.storage()->bump_version(op);
  return self;
}

}  // namespace

Tensor to(const Tensor& x, DType dtype) {
  check_defined("to", x);
  if (x.dtype() == dtype) return x;
  Tensor out = empty(x.sizes(), TensorOptions(dtype, x.device()));
  if (x.device().is_cpu()) {
    cpu::copy_kernel(out, x);
  } else {
    check_cpu("to(dtype)", x);
  }
  if (is_floating(dtype))
    if (auto node = make_node("to", {x}, {out}))
      node->backward = [from = x.dtype()](const TensorList& g) {
        return TensorList{to(g[0], from)};
      };
  return out;
}

Tensor to(const Tensor& x, Device device) {
  check_defined("to", x);
  if (x.device() == device) return x;
  Tensor out = empty(x.sizes(), TensorOptions(x.dtype(), device));
  raw_copy(out, x);
  if (auto node = make_node("to", {x}, {out}))
    node->backward = [from = x.device()](const TensorList& g) {
      return TensorList{to(g[0], from)};
    };
  return out;
}

Tensor clone(const Tensor& x) {
  check_defined("clone", x);
  Tensor out = empty(x.sizes(), TensorOptions(x.dtype(), x.device()));
  raw_copy(out, x);
  if (auto node = make_node("clone", {x}, {out}))
    node->backward = [](const TensorList& g) { return TensorList{g[0]}; };
  return out;
}

Tensor& copy_(Tensor& self, const Tensor& src) {
  check_writable("copy_", self);
  check_defined("copy_", src, "source");
  EMBER_CHECK(broadcast_shapes("copy_", self.sizes(), src.sizes()) == self.sizes(),
              "copy_: source of shape {} does not broadcast to the destination's shape {}",
              shape_str(src.sizes()), shape_str(self.sizes()));
  if (!needs_grad(src) && !(GradMode::is_enabled() && self.requires_grad())) {
    raw_copy(self, src);
    self.storage()->bump_version("copy_");
    return self;
  }
  // self's old value is overwritten, so gradients flow only to src.
  Tensor result = empty(self.sizes(), TensorOptions(self.dtype(), self.device()));
  raw_copy(result, src);
  if (auto node = make_node("copy_", {src}, {result}))
    node->backward = [shape = src.sizes(), dtype = src.dtype()](const TensorList& g) {
      return TensorList{to(sum_to(g[0], shape), dtype)};
    };
  return commit("copy_", self, result);
}

Tensor& fill_(Tensor& self, Scalar value) {
  check_writable("fill_", self);
#ifdef EMBER_WITH_CUDA
  if (self.device().is_cuda() && self.is_contiguous()) {
    cuda::fill_contiguous(self.raw_data(), self.numel(), self.dtype(), value);
  } else
#endif
  {
    check_cpu("fill_", self);
    visit_dtype(self.dtype(),
                [&]<typename T>() { cpu::fill_kernel<T>(self, static_cast<T>(value)); });
  }
  self.storage()->bump_version("fill_");
  if (GradMode::is_enabled() && self.requires_grad()) {
    // The old value no longer matters: the tensor becomes a constant.
    self.impl()->grad_fn.reset();
    self.impl()->requires_grad = false;
  }
  return self;
}

Tensor& zero_(Tensor& self) {
  return fill_(self, 0);
}

Tensor& add_(Tensor& self, const Tensor& other, Scalar alpha) {
  check_writable("add_", self);
  check_result_fits("add_", self, other);
  if (needs_grad({self, other})) return commit("add_", self, add(self, other, alpha));
  if (alpha == 1) return direct("add_", self, other, [](auto x, auto y) { return x + y; });
  return direct("add_", self, other, [alpha](auto x, auto y) { return x + alpha * y; });
}

Tensor& sub_(Tensor& self, const Tensor& other, Scalar alpha) {
  return add_(self, other, -alpha);
}

Tensor& mul_(Tensor& self, const Tensor& other) {
  check_writable("mul_", self);
  check_result_fits("mul_", self, other);
  // mul and div save their operands; a clone keeps self's old value intact for backward.
  if (needs_grad({self, other})) return commit("mul_", self, mul(clone(self), other));
  return direct("mul_", self, other, [](auto x, auto y) { return x * y; });
}

Tensor& div_(Tensor& self, const Tensor& other) {
  check_writable("div_", self);
  check_result_fits("div_", self, other);
  EMBER_CHECK(is_floating(self.dtype()), "div_: true division cannot be written into a {} tensor",
              self.dtype());
  if (needs_grad({self, other})) return commit("div_", self, div(clone(self), other));
  return direct("div_", self, other, [](auto x, auto y) { return x / y; });
}

Tensor& masked_fill_(Tensor& self, const Tensor& mask, Scalar value) {
  check_writable("masked_fill_", self);
  if (needs_grad(self)) return commit("masked_fill_", self, masked_fill(self, mask, value));
  check_fill_mask("masked_fill_", self, mask);
  // In place, one pass: no temporary the size of self.
  visit_dtype(self.dtype(), [&]<typename T>() {
    const T v = static_cast<T>(value);
    cpu::binary_kernel<T, T, bool>(self, self, mask, [v](T a, bool m) { return m ? v : a; });
  });
  self.storage()->bump_version("masked_fill_");
  return self;
}

}  // namespace ember
