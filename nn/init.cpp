#include "ember/nn/init.h"

#include <cmath>

#include "ember/core/grad_mode.h"
#include "ember/ops/convert.h"
#include "ember/ops/elementwise.h"
#include "ember/ops/factory.h"

namespace ember::nn::init {

namespace {

// Writes `values` (same shape, any dtype) into t without recording a graph.
Tensor& assign(Tensor& t, const Tensor& values) {
  NoGradGuard no_grad;
  t.copy_(values);
  return t;
}

void check_floating(const char* op, const Tensor& t) {
  check_defined(op, t);
  EMBER_CHECK(t.is_floating_point(), "{}: expected a floating tensor, got {}", op, t.describe());
}

// Inverse of erf on (-1, 1): a closed-form first guess refined by Newton steps on std::erf.
double erfinv(double y) {
  const double a = 0.147, ln = std::log(1 - y * y), t = 2 / (M_PI * a) + ln / 2;
  double x = std::copysign(std::sqrt(std::sqrt(t * t - ln / a) - t), y);
  for (int i = 0; i < 3; ++i) x -= (std::erf(x) - y) / (2 / std::sqrt(M_PI) * std::exp(-x * x));
  return x;
}

}  // namespace

double gain(Nonlinearity nonlinearity, double negative_slope) {
  switch (nonlinearity) {
    case Nonlinearity::Linear:
    case Nonlinearity::Sigmoid:
      return 1.0;
    case Nonlinearity::Tanh:
      return 5.0 / 3.0;
    case Nonlinearity::ReLU:
      return std::sqrt(2.0);
    case Nonlinearity::LeakyReLU:
      return std::sqrt(2.0 / (1 + negative_slope * negative_slope));
  }
  return 1.0;
}

std::pair<int64_t, int64_t> fans(const Tensor& w) {
  EMBER_CHECK(w.dim() >= 2, "init: fan in/out need a tensor with at least 2 dims, got shape {}",
              shape_str(w.sizes()));
  int64_t receptive = 1;
  for (int64_t d = 2; d < w.dim(); ++d) receptive *= w.size(d);
  return {w.size(1) * receptive, w.size(0) * receptive};
}

Tensor& uniform_(Tensor& t, double low, double high, Generator* gen) {
  check_floating("uniform_", t);
  return assign(t, uniform(t.sizes(), low, high, TensorOptions(t.dtype(), t.device()), gen));
}

Tensor& normal_(Tensor& t, double mean, double std, Generator* gen) {
  check_floating("normal_", t);
  return assign(t, normal(t.sizes(), mean, std, TensorOptions(t.dtype(), t.device()), gen));
}

Tensor& trunc_normal_(Tensor& t, double mean, double std, double a, double b, Generator* gen) {
  check_floating("trunc_normal_", t);
  EMBER_CHECK(a < b && std > 0, "trunc_normal_: need a < b and std > 0 (a={}, b={}, std={})", a, b,
              std);
  auto cdf = [](double x) { return 0.5 * (1 + std::erf(x / std::sqrt(2.0))); };
  const double lo = cdf((a - mean) / std), hi = cdf((b - mean) / std);
  Tensor u = uniform(t.sizes(), 2 * lo - 1, 2 * hi - 1, kFloat64, gen);
  double* p = u.data_ptr<double>();
  for (int64_t i = 0; i < u.numel(); ++i)
    p[i] = std::clamp(mean + std * std::sqrt(2.0) * erfinv(std::clamp(p[i], -1 + 1e-12, 1 - 1e-12)),
                      a, b);
  return assign(t, u);
}

Tensor& constant_(Tensor& t, double value) {
  check_defined("constant_", t);
  NoGradGuard no_grad;
  return t.fill_(value);
}
Tensor& zeros_(Tensor& t) {
  return constant_(t, 0);
}
Tensor& ones_(Tensor& t) {
  return constant_(t, 1);
}

Tensor& xavier_uniform_(Tensor& t, double g, Generator* gen) {
  auto [in, out] = fans(t);
  const double bound = g * std::sqrt(6.0 / static_cast<double>(in + out));
  return uniform_(t, -bound, bound, gen);
}

Tensor& xavier_normal_(Tensor& t, double g, Generator* gen) {
  auto [in, out] = fans(t);
  return normal_(t, 0, g * std::sqrt(2.0 / static_cast<double>(in + out)), gen);
}

namespace {
double kaiming_std(const Tensor& t, double a, FanMode mode, Nonlinearity nl) {
  auto [in, out] = fans(t);
  const int64_t fan = mode == FanMode::FanIn ? in : out;
  EMBER_CHECK(fan > 0, "kaiming init: fan is zero for shape {}", shape_str(t.sizes()));
  return gain(nl, a) / std::sqrt(static_cast<double>(fan));
}
}  // namespace

Tensor& kaiming_uniform_(Tensor& t, double a, FanMode mode, Nonlinearity nl, Generator* gen) {
  const double bound = std::sqrt(3.0) * kaiming_std(t, a, mode, nl);
  return uniform_(t, -bound, bound, gen);
}

Tensor& kaiming_normal_(Tensor& t, double a, FanMode mode, Nonlinearity nl, Generator* gen) {
  return normal_(t, 0, kaiming_std(t, a, mode, nl), gen);
}

}  // namespace ember::nn::init
