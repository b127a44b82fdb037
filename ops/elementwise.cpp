// Binary elementwise ops: forward kernels and gradients side by side.
#include "ember/ops/elementwise.h"

#include <cmath>

#include "ember/core/autograd.h"
#include "ember/ops/cpu/elementwise.h"
#include "ember/ops/factory.h"
#include "ember/ops/reduce.h"

namespace ember {

namespace {

// Both operands converted (differentiably) to their common dtype, and the broadcast shape.
struct Operands {
  Tensor a, b;
  Shape shape;
  DType dtype;
};

Operands prepare(std::string_view op, const Tensor& a, const Tensor& b,
                 std::optional<DType> compute = {}) {
  check_defined(op, a, "first operand");
  check_defined(op, b, "second operand");
  EMBER_CHECK(a.device() == b.device(), "{}: operands are on different devices ({} and {})", op,
              a.device(), b.device());
  check_cpu(op, a);
  const DType dt = compute.value_or(promote(a.dtype(), b.dtype()));
  return {a.dtype() == dt ? a : a.to(dt), b.dtype() == dt ? b : b.to(dt),
          broadcast_shapes(op, a.sizes(), b.sizes()), dt};
}

// Runs f(x, y) -> T over numeric operands.
template <typename F>
Tensor arithmetic(std::string_view op, const Operands& in, F f) {
  Tensor out = empty(in.shape, TensorOptions(in.dtype, in.a.device()));
  visit_numeric(in.dtype, op, [&]<typename T>() {
    cpu::binary_kernel<T, T, T>(out, in.a, in.b, [f](T x, T y) { return static_cast<T>(f(x, y)); });
  });
  return out;
}

// Runs f(x, y) -> bool over operands of any dtype.
template <typename F>
Tensor predicate(std::string_view op, const Tensor& a, const Tensor& b, F f) {
  const Operands in = prepare(op, a, b);
  Tensor out = empty(in.shape, TensorOptions(kBool, in.a.device()));
  visit_dtype(in.dtype, [&]<typename T>() {
    cpu::binary_kernel<bool, T, T>(out, in.a, in.b, [f](T x, T y) { return f(x, y); });
  });
  return out;
}

DType division_dtype(const Tensor& a, const Tensor& b) {
  const DType dt = promote(a.dtype(), b.dtype());
  return is_floating(dt) ? dt : kFloat32;  // true division, as in PyTorch
}

}  // namespace

Tensor wrap_scalar(Scalar value, const Tensor& like) {
  check_defined("scalar operand", like);
  DType dt = like.dtype();
  if (!is_floating(dt) && value != std::floor(value)) dt = kFloat32;
  if (dt == kBool && value != 0 && value != 1) dt = kInt64;
  return scalar_tensor(value, TensorOptions(dt, like.device()));
}

Tensor sum_to(const Tensor& grad, const Shape& shape) {
  if (grad.sizes() == shape) return grad;
  const int64_t lead = grad.dim() - static_cast<int64_t>(shape.size());
  EMBER_CHECK(lead >= 0, "sum_to: cannot reduce shape {} to {}", shape_str(grad.sizes()),
              shape_str(shape));
  Shape dims;
  for (int64_t i = 0; i < grad.dim(); ++i)
    if (i < lead || (shape[i - lead] == 1 && grad.size(i) != 1)) dims.push_back(i);
  Tensor reduced = dims.empty() ? grad : grad.sum(dims, /*keepdim=*/true);
  return reduced.reshape(shape);
}

Tensor add(const Tensor& a, const Tensor& b, Scalar alpha) {
  const Operands in = prepare("add", a, b);
  Tensor out = alpha == 1 ? arithmetic("add", in, [](auto x, auto y) { return x + y; })
                          : arithmetic("add", in, [alpha](auto x, auto y) {
                              return x + static_cast<decltype(y)>(alpha) * y;
                            });
  if (auto node = make_node("add", {in.a, in.b}, {out}))
    node->backward = [sa = in.a.sizes(), sb = in.b.sizes(), alpha](const TensorList& g) {
      return TensorList{sum_to(g[0], sa), sum_to(alpha == 1 ? g[0] : g[0] * alpha, sb)};
    };
  return out;
}

Tensor sub(const Tensor& a, const Tensor& b, Scalar alpha) {
  return add(a, b, -alpha);
}

Tensor mul(const Tensor& a, const Tensor& b) {
  const Operands in = prepare("mul", a, b);
  Tensor out = arithmetic("mul", in, [](auto x, auto y) { return x * y; });
  if (auto node = make_node("mul", {in.a, in.b}, {out})) {
    const bool ga = in.a.requires_grad(), gb = in.b.requires_grad();
    node->backward = [sa = SavedTensor(in.a), sb = SavedTensor(in.b), ga,
                      gb](const TensorList& g) -> TensorList {
      const Tensor a = sa.unpack(), b = sb.unpack();
      return {ga ? sum_to(g[0] * b, a.sizes()) : Tensor(),
              gb ? sum_to(g[0] * a, b.sizes()) : Tensor()};
    };
  }
  return out;
}

Tensor div(const Tensor& a, const Tensor& b) {
  const Operands in = prepare("div", a, b, division_dtype(a, b));
  Tensor out = arithmetic("div", in, [](auto x, auto y) { return x / y; });
  if (auto node = make_node("div", {in.a, in.b}, {out})) {
    const bool ga = in.a.requires_grad(), gb = in.b.requires_grad();
    node->backward = [sa = SavedTensor(in.a), sb = SavedTensor(in.b), ga,
                      gb](const TensorList& g) -> TensorList {
      const Tensor a = sa.unpack(), b = sb.unpack();
      return {ga ? sum_to(g[0] / b, a.sizes()) : Tensor(),
              gb ? sum_to(-g[0] * a / (b * b), b.sizes()) : Tensor()};
    };
  }
  return out;
}

Tensor pow(const Tensor& base, const Tensor& exponent) {
  const Operands in = prepare("pow", base, exponent);
  Tensor out = visit_floating(in.dtype, "pow", [&]<typename T>() {
    return arithmetic("pow", in, [](T x, T y) { return std::pow(x, y); });
  });
  if (auto node = make_node("pow", {in.a, in.b}, {out})) {
    const bool ga = in.a.requires_grad(), gb = in.b.requires_grad();
    node->backward = [sa = SavedTensor(in.a), sb = SavedTensor(in.b), so = SavedTensor(out), ga,
                      gb](const TensorList& g) -> TensorList {
      const Tensor a = sa.unpack(), b = sb.unpack();
      Tensor da, db;
      if (ga) da = sum_to(g[0] * b * pow(a, b - 1.0), a.sizes());
      if (gb) {
        // d a^b / db = a^b log a; taken as 0 where a == 0 (the limit for b > 0).
        const Tensor safe_log = where(eq(a, wrap_scalar(0, a)), zeros_like(a), log(a));
        db = sum_to(g[0] * so.unpack() * safe_log, b.sizes());
      }
      return {da, db};
    };
  }
  return out;
}

Tensor pow(const Tensor& base, Scalar exponent) {
  check_defined("pow", base);
  check_cpu("pow", base);
  Tensor out = empty(base.sizes(), TensorOptions(base.dtype(), base.device()));
  visit_floating(base.dtype(), "pow", [&]<typename T>() {
    const T e = static_cast<T>(exponent);
    if (exponent == 2)
      cpu::unary_kernel<T, T>(out, base, [](T x) { return x * x; });
    else
      cpu::unary_kernel<T, T>(out, base, [e](T x) { return std::pow(x, e); });
  });
  if (auto node = make_node("pow", {base}, {out}))
    node->backward = [sx = SavedTensor(base), exponent](const TensorList& g) -> TensorList {
      const Tensor x = sx.unpack();
      if (exponent == 0) return {zeros_like(x)};
      if (exponent == 1) return {g[0]};
      return {g[0] * (exponent * pow(x, exponent - 1))};
    };
  return out;
}

namespace {
// maximum/minimum: `pick_a(x, y)` says where the result comes from a; ties split the gradient.
template <typename Pick>
Tensor extremum(std::string_view op, const Tensor& a, const Tensor& b, Pick pick_a) {
  const Operands in = prepare(op, a, b);
  Tensor out = arithmetic(op, in, [pick_a](auto x, auto y) {
    if (x != x) return x;  // NaN propagates, as in PyTorch
    if (y != y) return y;
    return pick_a(x, y) ? x : y;
  });
  if (auto node = make_node(std::string(op), {in.a, in.b}, {out}))
    node->backward = [sa = SavedTensor(in.a), sb = SavedTensor(in.b),
                      op](const TensorList& g) -> TensorList {
      const Tensor a = sa.unpack(), b = sb.unpack();
      const Tensor a_wins = op == "maximum" ? gt(a, b) : lt(a, b);
      const Tensor tie = eq(a, b);
      const Tensor share_a = a_wins.to(g[0].dtype()) + tie.to(g[0].dtype()) * 0.5;
      const Tensor share_b = 1.0 - share_a;
      return {sum_to(g[0] * share_a, a.sizes()), sum_to(g[0] * share_b, b.sizes())};
    };
  return out;
}
}  // namespace

Tensor maximum(const Tensor& a, const Tensor& b) {
  return extremum("maximum", a, b, [](auto x, auto y) { return x > y; });
}
Tensor minimum(const Tensor& a, const Tensor& b) {
  return extremum("minimum", a, b, [](auto x, auto y) { return x < y; });
}

Tensor eq(const Tensor& a, const Tensor& b) {
  return predicate("eq", a, b, [](auto x, auto y) { return x == y; });
}
Tensor ne(const Tensor& a, const Tensor& b) {
  return predicate("ne", a, b, [](auto x, auto y) { return x != y; });
}
Tensor lt(const Tensor& a, const Tensor& b) {
  return predicate("lt", a, b, [](auto x, auto y) { return x < y; });
}
Tensor le(const Tensor& a, const Tensor& b) {
  return predicate("le", a, b, [](auto x, auto y) { return x <= y; });
}
Tensor gt(const Tensor& a, const Tensor& b) {
  return predicate("gt", a, b, [](auto x, auto y) { return x > y; });
}
Tensor ge(const Tensor& a, const Tensor& b) {
  return predicate("ge", a, b, [](auto x, auto y) { return x >= y; });
}
Tensor logical_and(const Tensor& a, const Tensor& b) {
  return predicate("logical_and", a, b, [](auto x, auto y) { return x != 0 && y != 0; });
}
Tensor logical_or(const Tensor& a, const Tensor& b) {
  return predicate("logical_or", a, b, [](auto x, auto y) { return x != 0 || y != 0; });
}
Tensor logical_not(const Tensor& x) {
  check_defined("logical_not", x);
  check_cpu("logical_not", x);
  Tensor out = empty(x.sizes(), TensorOptions(kBool, x.device()));
  visit_dtype(x.dtype(), [&]<typename T>() {
    cpu::unary_kernel<bool, T>(out, x, [](T v) { return v == T(0); });
  });
  return out;
}

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  check_defined("where", cond, "condition");
  EMBER_CHECK(cond.dtype() == kBool, "where: the condition must be a bool tensor, got {}",
              cond.describe());
  EMBER_CHECK(cond.device() == a.device(), "where: condition on {} but values on {}", cond.device(),
              a.device());
  const Operands in = prepare("where", a, b);
  const Shape shape = broadcast_shapes("where", cond.sizes(), in.shape);
  Tensor out = empty(shape, TensorOptions(in.dtype, in.a.device()));
  visit_dtype(in.dtype, [&]<typename T>() {
    cpu::ternary_kernel<T, bool, T, T>(out, cond, in.a, in.b,
                                       [](bool c, T x, T y) { return c ? x : y; });
  });
  if (auto node = make_node("where", {in.a, in.b}, {out}))
    node->backward = [sc = SavedTensor(cond), sa = in.a.sizes(),
                      sb = in.b.sizes()](const TensorList& g) {
      const Tensor cond = sc.unpack(), zero = wrap_scalar(0, g[0]);
      return TensorList{sum_to(where(cond, g[0], zero), sa), sum_to(where(cond, zero, g[0]), sb)};
    };
  return out;
}

void check_fill_mask(std::string_view op, const Tensor& x, const Tensor& mask) {
  check_defined(op, x);
  check_defined(op, mask, "mask");
  EMBER_CHECK(mask.dtype() == kBool, "{}: the mask must be a bool tensor, got {}", op,
              mask.describe());
  EMBER_CHECK(broadcast_shapes(op, x.sizes(), mask.sizes()) == x.sizes(),
              "{}: mask of shape {} does not broadcast to the input's shape {}", op,
              shape_str(mask.sizes()), shape_str(x.sizes()));
  check_cpu(op, x);
  EMBER_CHECK(mask.device() == x.device(), "{}: mask on {} but input on {}", op, mask.device(),
              x.device());
}

Tensor masked_fill(const Tensor& x, const Tensor& mask, Scalar value) {
  check_fill_mask("masked_fill", x, mask);
  const Shape& shape = x.sizes();
  Tensor out = empty(shape, TensorOptions(x.dtype(), x.device()));
  visit_dtype(x.dtype(), [&]<typename T>() {
    const T v = static_cast<T>(value);
    cpu::binary_kernel<T, T, bool>(out, x, mask, [v](T a, bool m) { return m ? v : a; });
  });
  if (auto node = make_node("masked_fill", {x}, {out}))
    node->backward = [sm = SavedTensor(mask)](const TensorList& g) {
      return TensorList{masked_fill(g[0], sm.unpack(), 0)};
    };
  return out;
}

Tensor operator+(const Tensor& a, const Tensor& b) {
  return add(a, b);
}
Tensor operator-(const Tensor& a, const Tensor& b) {
  return sub(a, b);
}
Tensor operator*(const Tensor& a, const Tensor& b) {
  return mul(a, b);
}
Tensor operator/(const Tensor& a, const Tensor& b) {
  return div(a, b);
}
Tensor operator-(const Tensor& x) {
  return neg(x);
}
Tensor operator+(const Tensor& a, Scalar b) {
  return add(a, wrap_scalar(b, a));
}
Tensor operator-(const Tensor& a, Scalar b) {
  return sub(a, wrap_scalar(b, a));
}
Tensor operator*(const Tensor& a, Scalar b) {
  return mul(a, wrap_scalar(b, a));
}
Tensor operator/(const Tensor& a, Scalar b) {
  return div(a, wrap_scalar(b, a));
}
Tensor operator+(Scalar a, const Tensor& b) {
  return add(wrap_scalar(a, b), b);
}
Tensor operator-(Scalar a, const Tensor& b) {
  return sub(wrap_scalar(a, b), b);
}
Tensor operator*(Scalar a, const Tensor& b) {
  return mul(wrap_scalar(a, b), b);
}
Tensor operator/(Scalar a, const Tensor& b) {
  return div(wrap_scalar(a, b), b);
}
Tensor& operator+=(Tensor& a, const Tensor& b) {
  return a.add_(b);
}
Tensor& operator-=(Tensor& a, const Tensor& b) {
  return a.sub_(b);
}
Tensor& operator*=(Tensor& a, const Tensor& b) {
  return a.mul_(b);
}
Tensor& operator/=(Tensor& a, const Tensor& b) {
  return a.div_(b);
}

}  // namespace ember
