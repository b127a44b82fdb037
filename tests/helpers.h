#pragma once
// Shared by the test suites: value comparison and gradient checks with readable failures.
#include <doctest/doctest.h>

#include <ember/ember.h>

namespace ember::testing {

// |a - b| <= atol + rtol |b| everywhere, same shape; NaNs must match.
inline bool allclose(const Tensor& a, const Tensor& b, double rtol = 1e-5, double atol = 1e-6) {
  if (a.sizes() != b.sizes()) return false;
  const auto x = a.to_vector<double>(), y = b.to_vector<double>();
  for (size_t i = 0; i < x.size(); ++i) {
    if (std::isnan(x[i]) || std::isnan(y[i])) {
      if (std::isnan(x[i]) != std::isnan(y[i])) return false;
      continue;
    }
    if (x[i] == y[i]) continue;  // equal infinities
    if (!(std::fabs(x[i] - y[i]) <= atol + rtol * std::fabs(y[i]))) return false;
  }
  return true;
}

// A float64 leaf with values from a fixed seed, requiring grad.
inline Tensor leaf(const Shape& sizes, uint64_t seed = 1, double scale = 1.0) {
  Generator gen(seed);
  return (randn(sizes, kFloat64, &gen) * scale).detach().requires_grad_();
}

}  // namespace ember::testing

#define CHECK_CLOSE(a, b, ...)                                                                    \
  CHECK_MESSAGE(::ember::testing::allclose((a), (b), ##__VA_ARGS__), "\n  got:      ", (a).str(), \
                "\n  expected: ", (b).str())

#define CHECK_GRAD(fn, ...)                                               \
  do {                                                                    \
    auto _r = ::ember::gradcheck((fn), ::ember::TensorList{__VA_ARGS__}); \
    CHECK_MESSAGE(_r.ok, _r.message);                                     \
  } while (0)

#define CHECK_GRADGRAD(fn, ...)                                               \
  do {                                                                        \
    auto _r = ::ember::gradgradcheck((fn), ::ember::TensorList{__VA_ARGS__}); \
    CHECK_MESSAGE(_r.ok, _r.message);                                         \
  } while (0)

#define CHECK_THROWS_CONTAINING(expr, text) \
  CHECK_THROWS_WITH_AS(expr, doctest::Contains(text), ::ember::Error)
