// Unary elementwise ops: forward kernels and gradients side by side. Each gradient is written
// with differentiable ops, so it can itself be differentiated (create_graph).
#include <cmath>
#include <numbers>

#include "ember/core/autograd.h"
#include "ember/ops/cpu/elementwise.h"
#include "ember/ops/cpu/vec_math.h"
#include "ember/ops/elementwise.h"
#include "ember/ops/factory.h"

namespace ember {

namespace {

template <typename Visit, typename F>
Tensor map(std::string_view op, const Tensor& x, Visit visit, F f) {
  check_defined(op, x);
  check_cpu(op, x);
  Tensor out = empty(x.sizes(), TensorOptions(x.dtype(), x.device()));
  visit(x.dtype(), op, [&]<typename T>() {
    cpu::unary_kernel<T, T>(out, x, [f](T v) { return static_cast<T>(f(v)); });
  });
  return out;
}

template <typename F>
Tensor map_floating(std::string_view op, const Tensor& x, F f) {
  return map(
      op, x, [](DType t, std::string_view o, auto&& fn) { visit_floating(t, o, fn); }, f);
}

template <typename F>
Tensor map_numeric(std::string_view op, const Tensor& x, F f) {
  return map(
      op, x, [](DType t, std::string_view o, auto&& fn) { visit_numeric(t, o, fn); }, f);
}

constexpr double kSqrt2 = std::numbers::sqrt2;
constexpr double kInvSqrt2Pi = 0.3989422804014327;   // 1/sqrt(2 pi)
constexpr double kSqrt2OverPi = 0.7978845608028654;  // sqrt(2/pi)
constexpr double kGeluCoeff = 0.044715;

// d gelu(x)/dx for the erf form, Phi(x) + x phi(x), as an op of its own so that its derivative,
// phi(x) (2 - x^2), is available for second-order gradients.
Tensor gelu_erf_derivative(const Tensor& x) {
  Tensor out = map_floating("gelu_backward", x, [](auto v) {
    using T = decltype(v);
    const T cdf = T(0.5) * (T(1) + cpu::verf(v * T(1 / kSqrt2)));
    return cdf + v * T(kInvSqrt2Pi) * cpu::vexp(T(-0.5) * v * v);
  });
  if (auto node = make_node("gelu_backward", {x}, {out}))
    node->backward = [sx = SavedTensor(x)](const TensorList& g) -> TensorList {
      const Tensor x = sx.unpack();
      const Tensor pdf = exp(x * x * -0.5) * kInvSqrt2Pi;
      return {g[0] * pdf * (2.0 - x * x)};
    };
  return out;
}

}  // namespace

Tensor neg(const Tensor& x) {
  Tensor out = map_numeric("neg", x, [](auto v) { return -v; });
  if (auto node = make_node("neg", {x}, {out}))
    node->backward = [](const TensorList& g) { return TensorList{-g[0]}; };
  return out;
}

Tensor exp(const Tensor& x) {
  Tensor out = map_floating("exp", x, [](auto v) { return std::exp(v); });
  if (auto node = make_node("exp", {x}, {out}))
    node->backward = [r = SavedTensor(out)](const TensorList& g) {
      return TensorList{g[0] * r.unpack()};
    };
  return out;
}

Tensor log(const Tensor& x) {
  Tensor out = map_floating("log", x, [](auto v) { return std::log(v); });
  if (auto node = make_node("log", {x}, {out}))
    node->backward = [sx = SavedTensor(x)](const TensorList& g) {
      return TensorList{g[0] / sx.unpack()};
    };
  return out;
}

Tensor sqrt(const Tensor& x) {
  Tensor out = map_floating("sqrt", x, [](auto v) { return std::sqrt(v); });
  if (auto node = make_node("sqrt", {x}, {out}))
    node->backward = [r = SavedTensor(out)](const TensorList& g) {
      return TensorList{g[0] / (r.unpack() * 2.0)};
    };
  return out;
}

Tensor rsqrt(const Tensor& x) {
  Tensor out = map_floating("rsqrt", x, [](auto v) { return 1 / std::sqrt(v); });
  if (auto node = make_node("rsqrt", {x}, {out}))
    node->backward = [r = SavedTensor(out)](const TensorList& g) {
      const Tensor y = r.unpack();
      return TensorList{g[0] * (y * y * y) * -0.5};
    };
  return out;
}

Tensor sign(const Tensor& x) {
  return map_numeric("sign", x, [](auto v) { return (v > 0) - (v < 0); });
}

Tensor abs(const Tensor& x) {
  Tensor out = map_numeric("abs", x, [](auto v) { return v < 0 ? -v : v; });
  if (auto node = make_node("abs", {x}, {out}))
    node->backward = [sx = SavedTensor(x)](const TensorList& g) {
      return TensorList{g[0] * sign(sx.unpack())};
    };
  return out;
}

Tensor sin(const Tensor& x) {
  Tensor out = map_floating("sin", x, [](auto v) { return std::sin(v); });
  if (auto node = make_node("sin", {x}, {out}))
    node->backward = [sx = SavedTensor(x)](const TensorList& g) {
      return TensorList{g[0] * cos(sx.unpack())};
    };
  return out;
}

Tensor cos(const Tensor& x) {
  Tensor out = map_floating("cos", x, [](auto v) { return std::cos(v); });
  if (auto node = make_node("cos", {x}, {out}))
    node->backward = [sx = SavedTensor(x)](const TensorList& g) {
      return TensorList{-g[0] * sin(sx.unpack())};
    };
  return out;
}

Tensor tanh(const Tensor& x) {
  Tensor out = map_floating("tanh", x, [](auto v) { return std::tanh(v); });
  if (auto node = make_node("tanh", {x}, {out}))
    node->backward = [r = SavedTensor(out)](const TensorList& g) {
      const Tensor y = r.unpack();
      return TensorList{g[0] * (1.0 - y * y)};
    };
  return out;
}

Tensor sigmoid(const Tensor& x) {
  Tensor out = map_floating("sigmoid", x, [](auto v) {
    // Split by sign so exp never overflows.
    return v >= 0 ? 1 / (1 + std::exp(-v)) : std::exp(v) / (1 + std::exp(v));
  });
  if (auto node = make_node("sigmoid", {x}, {out}))
    node->backward = [r = SavedTensor(out)](const TensorList& g) {
      const Tensor y = r.unpack();
      return TensorList{g[0] * y * (1.0 - y)};
    };
  return out;
}

Tensor relu(const Tensor& x) {
  Tensor out = map_numeric("relu", x, [](auto v) { return v > 0 ? v : decltype(v)(0); });
  if (auto node = make_node("relu", {x}, {out}))
    node->backward = [r = SavedTensor(out)](const TensorList& g) {
      const Tensor y = r.unpack();
      return TensorList{where(gt(y, wrap_scalar(0, y)), g[0], wrap_scalar(0, g[0]))};
    };
  return out;
}

Tensor gelu(const Tensor& x, bool approximate) {
  Tensor out = approximate
                   ? map_floating("gelu", x,
                                  [](auto v) {
                                    const auto u = kSqrt2OverPi * (v + kGeluCoeff * v * v * v);
                                    return 0.5 * v * (1 + std::tanh(u));
                                  })
                   : map_floating("gelu", x, [](auto v) {
                       using T = decltype(v);
                       return T(0.5) * v * (T(1) + cpu::verf(v * T(1 / kSqrt2)));
                     });
  if (auto node = make_node("gelu", {x}, {out}))
    node->backward = [sx = SavedTensor(x), approximate](const TensorList& g) -> TensorList {
      const Tensor x = sx.unpack();
      if (!approximate) return {g[0] * gelu_erf_derivative(x)};
      // d/dx 0.5 x (1 + tanh u) = 0.5 (1 + t) + 0.5 x (1 - t^2) u',  u' = c (1 + 3k x^2)
      const Tensor t = tanh((x + x * x * x * kGeluCoeff) * kSqrt2OverPi);
      const Tensor du = (x * x * (3 * kGeluCoeff) + 1.0) * kSqrt2OverPi;
      return {g[0] * ((t + 1.0) * 0.5 + x * (1.0 - t * t) * du * 0.5)};
    };
  return out;
}

Tensor clamp(const Tensor& x, std::optional<Scalar> min, std::optional<Scalar> max) {
  EMBER_CHECK(!(min && max) || *min <= *max, "clamp: min {} is greater than max {}", *min, *max);
  const double lo = min.value_or(-INFINITY), hi = max.value_or(INFINITY);
  Tensor out = map_numeric("clamp", x, [lo, hi](auto v) {
    using T = decltype(v);
    if (v != v) return v;
    return static_cast<double>(v) < lo   ? static_cast<T>(lo)
           : static_cast<double>(v) > hi ? static_cast<T>(hi)
                                         : v;
  });
  if (auto node = make_node("clamp", {x}, {out}))
    node->backward = [sx = SavedTensor(x), lo, hi](const TensorList& g) {
      const Tensor x = sx.unpack();
      const Tensor inside = logical_and(ge(x, wrap_scalar(lo, x)), le(x, wrap_scalar(hi, x)));
      return TensorList{where(inside, g[0], wrap_scalar(0, g[0]))};
    };
  return out;
}

}  // namespace ember
