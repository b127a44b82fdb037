// Reductions: kernels on ops/cpu/reduce.h and their gradients.
#include "ember/ops/reduce.h"

#include <cmath>
#include <limits>

#include "ember/core/autograd.h"
#include "ember/ops/cpu/arg_reduce.h"
#include "ember/ops/cpu/moments.h"
#include "ember/ops/cpu/reduce.h"
#include "ember/ops/cpu/softmax.h"
#include "ember/ops/elementwise.h"
#include "ember/ops/factory.h"
#include "ember/ops/shape.h"
#include "ember/ops/softmax.h"

namespace ember {

ReducedDims reduce_dims(std::string_view op, const Tensor& x, const Shape& dims, bool keepdim) {
  check_defined(op, x);
  ReducedDims r;
  r.mask.assign(static_cast<size_t>(x.dim()), dims.empty());
  for (int64_t d : dims) {
    const int64_t w = wrap_dim(op, d, x.dim());
    if (x.dim() == 0) continue;
    EMBER_CHECK(!r.mask[w] || dims.empty(), "{}: dim {} appears twice in {}", op, w,
                shape_str(dims));
    r.mask[w] = true;
  }
  for (int64_t d = 0; d < x.dim(); ++d) {
    if (r.mask[d]) {
      r.count *= x.size(d);
      if (keepdim) r.out_sizes.push_back(1);
    } else {
      r.out_sizes.push_back(x.size(d));
    }
  }
  return r;
}

Tensor expand_reduced(const Tensor& grad, const Shape& in_sizes, const std::vector<bool>& mask,
                      bool keepdim) {
  Tensor g = grad;
  if (!keepdim)
    for (size_t d = 0; d < mask.size(); ++d)
      if (mask[d]) g = unsqueeze(g, static_cast<int64_t>(d));
  return expand(g, in_sizes);
}

namespace {

template <typename T>
struct SumOp {
  using Acc = std::conditional_t<std::is_floating_point_v<T>, double, int64_t>;
  Acc init() const { return 0; }
  Acc step(Acc a, T v) const { return a + static_cast<Acc>(v); }
  T finish(Acc a, int64_t) const { return static_cast<T>(a); }
};

template <typename T>
struct MeanOp : SumOp<T> {
  T finish(typename SumOp<T>::Acc a, int64_t n) const {
    return static_cast<T>(static_cast<double>(a) / static_cast<double>(n));
  }
};

template <template <typename> class Op>
Tensor reduce_with(std::string_view op, const Tensor& x, const ReducedDims& r, DType out_dtype) {
  check_cpu(op, x);
  const Tensor in = x.dtype() == out_dtype ? x : x.detach().to(out_dtype);
  Tensor out = empty(r.out_sizes, TensorOptions(out_dtype, x.device()));
  visit_numeric(out_dtype, op, [&]<typename T>() {
    const auto plan = cpu::plan_reduction(in, r.mask);
    cpu::reduce_kernel<T, typename Op<T>::Acc>(plan, out.data_ptr<T>(), Op<T>{});
  });
  return out;
}

}  // namespace

Tensor sum(const Tensor& x, const Shape& dims, bool keepdim) {
  const ReducedDims r = reduce_dims("sum", x, dims, keepdim);
  const DType dt = is_floating(x.dtype()) ? x.dtype() : kInt64;  // bools and ints sum as int64
  Tensor out = reduce_with<SumOp>("sum", x, r, dt);
  if (auto node = make_node("sum", {x}, {out}))
    node->backward = [in = x.sizes(), mask = r.mask, keepdim](const TensorList& g) {
      return TensorList{expand_reduced(g[0], in, mask, keepdim)};
    };
  return out;
}

Tensor sum(const Tensor& x) {
  return sum(x, {}, false);
}

Tensor mean(const Tensor& x, const Shape& dims, bool keepdim) {
  const ReducedDims r = reduce_dims("mean", x, dims, keepdim);
  EMBER_CHECK(is_floating(x.dtype()),
              "mean: expected a floating tensor, got {}; convert with .to(kFloat32)", x.describe());
  Tensor out = reduce_with<MeanOp>("mean", x, r, x.dtype());
  if (auto node = make_node("mean", {x}, {out}))
    node->backward = [in = x.sizes(), mask = r.mask, keepdim, n = r.count](const TensorList& g) {
      return TensorList{expand_reduced(g[0] / static_cast<double>(n), in, mask, keepdim)};
    };
  return out;
}

Tensor mean(const Tensor& x) {
  return mean(x, {}, false);
}

// --- prod, max/min, var/std, norm, logsumexp ---------------------------------------------------

namespace {

// The reduced dims as a list, for the keepdim reductions inside gradient formulas.
Shape reduced_list(const std::vector<bool>& mask) {
  Shape dims;
  for (size_t d = 0; d < mask.size(); ++d)
    if (mask[d]) dims.push_back(static_cast<int64_t>(d));
  return dims;
}

void check_floating(std::string_view op, const Tensor& x) {
  EMBER_CHECK(x.is_floating_point(), "{}: expected a float32 or float64 tensor, got {}", op,
              x.describe());
}

// Max/min have no identity: reducing an empty dim into a non-empty output is an error.
void check_not_empty(std::string_view op, const Tensor& x, const ReducedDims& r) {
  EMBER_CHECK(r.count > 0 || numel_of(r.out_sizes) == 0,
              "{}: cannot reduce over an empty dim of a tensor of shape {} (the result is "
              "undefined); check the shape or pass dims that are not empty",
              op, shape_str(x.sizes()));
}

template <typename T>
struct ProdOp {
  // Integers multiply as unsigned: wrap-around (as in PyTorch) instead of undefined behaviour.
  using Acc = std::conditional_t<std::is_floating_point_v<T>, double, uint64_t>;
  Acc init() const { return 1; }
  Acc step(Acc a, T v) const { return a * static_cast<Acc>(v); }
  T finish(Acc a, int64_t) const { return static_cast<T>(a); }
};

template <typename T, bool kMax>
struct ExtremeOp {
  using Acc = T;
  T init() const {
    if constexpr (std::is_floating_point_v<T>)
      return kMax ? -std::numeric_limits<T>::infinity() : std::numeric_limits<T>::infinity();
    else
      return kMax ? std::numeric_limits<T>::lowest() : std::numeric_limits<T>::max();
  }
  T step(T a, T v) const {
    if constexpr (std::is_floating_point_v<T>)
      if (a != a || v != v) return a != a ? a : v;  // NaN propagates
    return kMax ? (v > a ? v : a) : (v < a ? v : a);
  }
  T finish(T a, int64_t) const { return a; }
};

// Norm accumulators (in double): the p = 2, 1, inf, -inf, 0 cases and the general one.
template <typename T>
struct Norm2Op {
  double init() const { return 0; }
  double step(double a, T v) const { return a + static_cast<double>(v) * static_cast<double>(v); }
  T finish(double a, int64_t) const { return static_cast<T>(std::sqrt(a)); }
};
template <typename T>
struct Norm1Op {
  double init() const { return 0; }
  double step(double a, T v) const { return a + std::fabs(static_cast<double>(v)); }
  T finish(double a, int64_t) const { return static_cast<T>(a); }
};
template <typename T, bool kMax>
struct NormInfOp {
  double init() const { return kMax ? 0.0 : std::numeric_limits<double>::infinity(); }
  double step(double a, T v) const {
    const double m = std::fabs(static_cast<double>(v));
    if (a != a || m != m) return a != a ? a : m;
    return kMax ? (m > a ? m : a) : (m < a ? m : a);
  }
  T finish(double a, int64_t) const { return static_cast<T>(a); }
};
template <typename T>
struct Norm0Op {
  double init() const { return 0; }
  double step(double a, T v) const { return a + (v != T(0) ? 1.0 : 0.0); }
  T finish(double a, int64_t) const { return static_cast<T>(a); }
};
template <typename T>
struct NormPOp {
  double p;
  double init() const { return 0; }
  double step(double a, T v) const { return a + std::pow(std::fabs(static_cast<double>(v)), p); }
  T finish(double a, int64_t) const { return static_cast<T>(std::pow(a, 1.0 / p)); }
};

template <bool kMax>
Tensor extreme(std::string_view op, const Tensor& x, const Shape& dims, bool keepdim) {
  const ReducedDims r = reduce_dims(op, x, dims, keepdim);
  check_cpu(op, x);
  check_not_empty(op, x, r);
  Tensor out = empty(r.out_sizes, TensorOptions(x.dtype(), x.device()));
  visit_dtype(x.dtype(), [&]<typename T>() {
    cpu::reduce_kernel<T, T>(cpu::plan_reduction(x, r.mask), out.data_ptr<T>(),
                             ExtremeOp<T, kMax>{});
  });
  if (auto node = make_node(std::string(op), {x}, {out}))
    node->backward = [sx = SavedTensor(x), so = SavedTensor(out), mask = r.mask,
                      keepdim](const TensorList& g) {
      const Tensor x = sx.unpack();
      const Tensor y = expand_reduced(so.unpack(), x.sizes(), mask, keepdim);
      const Tensor hit = eq(x, y).to(g[0].dtype());
      const Tensor ties = sum(hit, reduced_list(mask), /*keepdim=*/true);
      return TensorList{expand_reduced(g[0], x.sizes(), mask, keepdim) * hit / ties};
    };
  return out;
}

template <bool kMax>
std::tuple<Tensor, Tensor> extreme_along(std::string_view op, const Tensor& x, int64_t dim,
                                         bool keepdim, bool differentiable) {
  check_defined(op, x);
  check_cpu(op, x);
  const int64_t d = wrap_dim(op, dim, x.dim());
  const ReducedDims r = reduce_dims(op, x, {d}, keepdim);
  EMBER_CHECK(x.dim() == 0 || x.size(d) > 0,
              "{}: dim {} of the input (shape {}) is empty, so it has no {}", op, d,
              shape_str(x.sizes()), kMax ? "maximum" : "minimum");
  Tensor values = empty(r.out_sizes, TensorOptions(x.dtype(), x.device()));
  Tensor indices = empty(r.out_sizes, TensorOptions(kInt64, x.device()));
  visit_dtype(x.dtype(), [&]<typename T>() {
    cpu::arg_reduce_kernel<T, kMax>(cpu::plan_reduction(x, r.mask), values.data_ptr<T>(),
                                    indices.data_ptr<int64_t>());
  });
  if (!differentiable) return {values, indices};
  if (auto node = make_node(std::string(op), {x}, {values}))
    node->backward = [si = SavedTensor(indices), sizes = x.sizes(), d,
                      keepdim](const TensorList& g) -> TensorList {
      if (sizes.empty()) return {g[0]};
      // A one-hot mask of the chosen positions, built by comparing with a range along `dim`.
      const Tensor gk = keepdim ? g[0] : unsqueeze(g[0], d);
      const Tensor ik = keepdim ? si.unpack() : unsqueeze(si.unpack(), d);
      Shape along(sizes.size(), 1);
      along[d] = sizes[d];
      const Tensor positions = arange(sizes[d], TensorOptions(kInt64, g[0].device())).view(along);
      return {gk * eq(positions, ik).to(g[0].dtype())};
    };
  return {values, indices};
}

template <bool kMax>
Tensor arg_flat(std::string_view op, const Tensor& x) {
  check_defined(op, x);
  EMBER_CHECK(x.numel() > 0, "{}: the input (shape {}) is empty, so it has no {}", op,
              shape_str(x.sizes()), kMax ? "maximum" : "minimum");
  return std::get<1>(extreme_along<kMax>(op, x.detach().reshape({-1}), 0, false, false))
      .reshape({});
}

Tensor moment(std::string_view op, const Tensor& x, const Shape& dims, bool unbiased, bool keepdim,
              bool take_sqrt) {
  const ReducedDims r = reduce_dims(op, x, dims, keepdim);
  check_cpu(op, x);
  check_floating(op, x);
  const double divisor = static_cast<double>(r.count) - (unbiased ? 1.0 : 0.0);
  Tensor out = empty(r.out_sizes, TensorOptions(x.dtype(), x.device()));
  visit_floating(x.dtype(), op, [&]<typename T>() {
    cpu::variance_kernel(cpu::plan_reduction(x, r.mask), out.data_ptr<T>(), divisor, take_sqrt);
  });
  if (auto node = make_node(std::string(op), {x}, {out}))
    node->backward = [sx = SavedTensor(x), so = SavedTensor(out), mask = r.mask, keepdim, divisor,
                      take_sqrt](const TensorList& g) -> TensorList {
      const Tensor x = sx.unpack();
      const Tensor centered = x - mean(x, reduced_list(mask), /*keepdim=*/true);
      const Tensor gx = expand_reduced(g[0], x.sizes(), mask, keepdim);
      if (!take_sqrt) return {gx * centered * (2.0 / divisor)};
      // d std = d var / (2 std); 0 where std is 0 (a constant slice) rather than 0 / 0.
      const Tensor s = expand_reduced(so.unpack(), x.sizes(), mask, keepdim);
      const Tensor flat = eq(s, wrap_scalar(0, s));
      const Tensor s_safe = where(flat, wrap_scalar(1, s), s);
      return {where(flat, wrap_scalar(0, gx), gx * centered / (s_safe * divisor))};
    };
  return out;
}

// d norm / dx for the p-norm `n` (expanded to x's shape) of x over `dims`.
Tensor norm_backward(const Tensor& g, const Tensor& x, const Tensor& n, double p,
                     const Shape& dims) {
  if (p == 0) return zeros_like(x);
  if (p == 1) return g * sign(x);
  if (std::isinf(p)) {  // sign(x), shared among the elements that attain the norm
    const Tensor hit = eq(abs(x), n).to(g.dtype());
    return g * sign(x) * hit / sum(hit, dims, /*keepdim=*/true);
  }
  // Where the norm is 0 the gradient is taken as 0 (PyTorch's choice) instead of 0 / 0.
  const Tensor zero_norm = eq(n, wrap_scalar(0, n));
  const Tensor n_safe = where(zero_norm, wrap_scalar(1, n), n);
  const Tensor zero = wrap_scalar(0, g);
  if (p == 2) return where(zero_norm, zero, g * x / n_safe);
  // sign(x) |x|^(p-1) / n^(p-1); for p < 1, |x|^(p-1) is infinite at x = 0: taken as 0 there.
  Tensor term;
  if (p < 1) {
    const Tensor x_zero = eq(x, wrap_scalar(0, x));
    term = where(x_zero, zero, sign(x) * pow(where(x_zero, wrap_scalar(1, x), abs(x)), p - 1));
  } else {
    term = sign(x) * pow(abs(x), p - 1);
  }
  return where(zero_norm, zero, g * term / pow(n_safe, p - 1));
}

}  // namespace

Tensor prod(const Tensor& x, const Shape& dims, bool keepdim) {
  const ReducedDims r = reduce_dims("prod", x, dims, keepdim);
  const DType dt = is_floating(x.dtype()) ? x.dtype() : kInt64;
  Tensor out = reduce_with<ProdOp>("prod", x, r, dt);
  if (auto node = make_node("prod", {x}, {out}))
    node->backward = [sx = SavedTensor(x), mask = r.mask, keepdim](const TensorList& g) {
      // d prod / dx_i = product of the others. Computed without dividing by x_i, so that zeros
      // are exact: with no zero it is prod(x) / x_i, with one zero only the zero's slot is
      // non-zero (the product of the non-zero elements), with two or more it is 0 everywhere.
      const Tensor x = sx.unpack();
      const Shape dims = reduced_list(mask);
      const Tensor is_zero = eq(x, wrap_scalar(0, x));
      const Tensor x_safe = where(is_zero, wrap_scalar(1, x), x);
      const Tensor nonzero_prod = prod(x_safe, dims, /*keepdim=*/true);
      const Tensor zero_count = sum(is_zero, dims, /*keepdim=*/true);
      const Tensor zero = wrap_scalar(0, x);
      const Tensor at_zero = where(eq(zero_count, wrap_scalar(1, zero_count)), nonzero_prod, zero);
      const Tensor elsewhere =
          where(eq(zero_count, wrap_scalar(0, zero_count)), nonzero_prod / x_safe, zero);
      const Tensor gx = expand_reduced(g[0], x.sizes(), mask, keepdim);
      return TensorList{gx * where(is_zero, at_zero, elsewhere)};
    };
  return out;
}

Tensor prod(const Tensor& x) {
  return prod(x, {}, false);
}

Tensor max(const Tensor& x) {
  return extreme<true>("max", x, {}, false);
}
Tensor min(const Tensor& x) {
  return extreme<false>("min", x, {}, false);
}
Tensor amax(const Tensor& x, const Shape& dims, bool keepdim) {
  return extreme<true>("amax", x, dims, keepdim);
}
Tensor amin(const Tensor& x, const Shape& dims, bool keepdim) {
  return extreme<false>("amin", x, dims, keepdim);
}

std::tuple<Tensor, Tensor> max(const Tensor& x, int64_t dim, bool keepdim) {
  return extreme_along<true>("max", x, dim, keepdim, true);
}
std::tuple<Tensor, Tensor> min(const Tensor& x, int64_t dim, bool keepdim) {
  return extreme_along<false>("min", x, dim, keepdim, true);
}

Tensor max(const Tensor& a, const Tensor& b) {
  return maximum(a, b);
}
Tensor min(const Tensor& a, const Tensor& b) {
  return minimum(a, b);
}

Tensor argmax(const Tensor& x) {
  return arg_flat<true>("argmax", x);
}
Tensor argmin(const Tensor& x) {
  return arg_flat<false>("argmin", x);
}
Tensor argmax(const Tensor& x, int64_t dim, bool keepdim) {
  return std::get<1>(extreme_along<true>("argmax", x, dim, keepdim, false));
}
Tensor argmin(const Tensor& x, int64_t dim, bool keepdim) {
  return std::get<1>(extreme_along<false>("argmin", x, dim, keepdim, false));
}

Tensor var(const Tensor& x, const Shape& dims, bool unbiased, bool keepdim) {
  return moment("var", x, dims, unbiased, keepdim, false);
}
Tensor std(const Tensor& x, const Shape& dims, bool unbiased, bool keepdim) {
  return moment("std", x, dims, unbiased, keepdim, true);
}

Tensor norm(const Tensor& x, double p, const Shape& dims, bool keepdim) {
  const ReducedDims r = reduce_dims("norm", x, dims, keepdim);
  check_cpu("norm", x);
  check_floating("norm", x);
  EMBER_CHECK(!std::isnan(p), "norm: p must be a number, got NaN");
  Tensor out = empty(r.out_sizes, TensorOptions(x.dtype(), x.device()));
  visit_floating(x.dtype(), "norm", [&]<typename T>() {
    const cpu::ReductionPlan plan = cpu::plan_reduction(x, r.mask);
    T* o = out.data_ptr<T>();
    if (p == 2)
      cpu::reduce_kernel<T, double>(plan, o, Norm2Op<T>{});
    else if (p == 1)
      cpu::reduce_kernel<T, double>(plan, o, Norm1Op<T>{});
    else if (p == 0)
      cpu::reduce_kernel<T, double>(plan, o, Norm0Op<T>{});
    else if (std::isinf(p) && p > 0)
      cpu::reduce_kernel<T, double>(plan, o, NormInfOp<T, true>{});
    else if (std::isinf(p))
      cpu::reduce_kernel<T, double>(plan, o, NormInfOp<T, false>{});
    else
      cpu::reduce_kernel<T, double>(plan, o, NormPOp<T>{p});
  });
  if (auto node = make_node("norm", {x}, {out}))
    node->backward = [sx = SavedTensor(x), so = SavedTensor(out), mask = r.mask, keepdim,
                      p](const TensorList& g) {
      const Tensor x = sx.unpack();
      return TensorList{norm_backward(expand_reduced(g[0], x.sizes(), mask, keepdim), x,
                                      expand_reduced(so.unpack(), x.sizes(), mask, keepdim), p,
                                      reduced_list(mask))};
    };
  return out;
}

Tensor logsumexp(const Tensor& x, int64_t dim, bool keepdim) {
  check_defined("logsumexp", x);
  check_cpu("logsumexp", x);
  check_floating("logsumexp", x);
  const int64_t d = wrap_dim("logsumexp", dim, x.dim());
  const ReducedDims r = reduce_dims("logsumexp", x, {d}, keepdim);
  cpu::SoftmaxShape shape;
  for (int64_t k = 0; k < x.dim(); ++k)
    (k < d ? shape.outer : k == d ? shape.size : shape.inner) *= x.size(k);
  const Tensor in = x.detach().contiguous();
  Tensor out = empty(r.out_sizes, TensorOptions(x.dtype(), x.device()));
  visit_floating(x.dtype(), "logsumexp", [&]<typename T>() {
    cpu::logsumexp_forward(in.data_ptr<T>(), out.data_ptr<T>(), shape);
  });
  if (auto node = make_node("logsumexp", {x}, {out}))
    node->backward = [sx = SavedTensor(x), d, keepdim](const TensorList& g) {
      const Tensor x = sx.unpack();
      const Tensor gk = keepdim || x.dim() == 0 ? g[0] : unsqueeze(g[0], d);
      return TensorList{gk * softmax(x, d)};  // softmax is safe for all -inf slices
    };
  return out;
}

Tensor Tensor::prod() const {
  return ember::prod(*this);
}
Tensor Tensor::prod(const Shape& d, bool keepdim) const {
  return ember::prod(*this, d, keepdim);
}
Tensor Tensor::max() const {
  return ember::max(*this);
}
Tensor Tensor::min() const {
  return ember::min(*this);
}
std::tuple<Tensor, Tensor> Tensor::max(int64_t d, bool keepdim) const {
  return ember::max(*this, d, keepdim);
}
std::tuple<Tensor, Tensor> Tensor::min(int64_t d, bool keepdim) const {
  return ember::min(*this, d, keepdim);
}
Tensor Tensor::amax(const Shape& d, bool keepdim) const {
  return ember::amax(*this, d, keepdim);
}
Tensor Tensor::amin(const Shape& d, bool keepdim) const {
  return ember::amin(*this, d, keepdim);
}
Tensor Tensor::argmax() const {
  return ember::argmax(*this);
}
Tensor Tensor::argmax(int64_t d, bool keepdim) const {
  return ember::argmax(*this, d, keepdim);
}
Tensor Tensor::argmin() const {
  return ember::argmin(*this);
}
Tensor Tensor::argmin(int64_t d, bool keepdim) const {
  return ember::argmin(*this, d, keepdim);
}
Tensor Tensor::var(const Shape& d, bool unbiased, bool keepdim) const {
  return ember::var(*this, d, unbiased, keepdim);
}
Tensor Tensor::std(const Shape& d, bool unbiased, bool keepdim) const {
  return ember::std(*this, d, unbiased, keepdim);
}
Tensor Tensor::norm(double p, const Shape& d, bool keepdim) const {
  return ember::norm(*this, p, d, keepdim);
}
Tensor Tensor::logsumexp(int64_t d, bool keepdim) const {
  return ember::logsumexp(*this, d, keepdim);
}

}  // namespace ember
