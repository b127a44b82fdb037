// softmax / log_softmax: values against the textbook formula, stability, masking (-inf rows),
// gradients, fused vs composite backward, the vectorised exp, and errors.
#include <cmath>
#include <limits>

#include <ember/ops/cpu/vec_math.h>

#include "helpers.h"

using namespace ember;
using namespace ember::testing;

namespace {
constexpr double kInf = std::numeric_limits<double>::infinity();

Tensor f64(std::vector<double> values, const Shape& sizes) {
  return tensor(values, sizes);
}
Tensor mask_of(std::vector<int64_t> values, const Shape& sizes) {
  return tensor(values, sizes).to(kBool);
}

Tensor naive_softmax(const Tensor& x, int64_t dim) {
  const Tensor e = exp(x);
  return e / e.sum({dim}, true);
}
Tensor naive_log_softmax(const Tensor& x, int64_t dim) {
  return x - log(exp(x).sum({dim}, true));
}

// d(sum(g * op(x)))/dx computed by backward, with or without create_graph (which switches the
// op's backward from the fused kernel to the composite formula).
Tensor backward_grad(const std::function<Tensor(const Tensor&)>& op, const Tensor& value,
                     const Tensor& g, bool create_graph) {
  Tensor x = value.detach().clone().requires_grad_();
  return grad({op(x)}, {x}, {g}, {}, create_graph)[0].detach();
}
}  // namespace

TEST_CASE("softmax: values along every dim") {
  auto x = leaf({2, 3, 4}, 1).detach();
  for (int64_t dim : {0, 1, 2, -1}) {
    CAPTURE(dim);
    const int64_t d = dim < 0 ? dim + 3 : dim;
    CHECK_CLOSE(softmax(x, dim), naive_softmax(x, d), 1e-12, 1e-14);
    CHECK_CLOSE(log_softmax(x, dim), naive_log_softmax(x, d), 1e-12, 1e-14);
    CHECK_CLOSE(softmax(x.transpose(0, 2), dim), naive_softmax(x.transpose(0, 2), d), 1e-12, 1e-14);
  }
  CHECK_CLOSE(x.softmax(1).sum({1}), ones({2, 4}, kFloat64));
  // By hand: softmax([0, ln 3]) = [1/4, 3/4].
  CHECK_CLOSE(softmax(tensor({0.0, std::log(3.0)}), 0), tensor({0.25, 0.75}));
  CHECK(softmax(scalar_tensor(5.0, kFloat64), 0).item() == 1);
}

TEST_CASE("softmax: large logits do not overflow") {
  const double e = std::exp(1.0);
  CHECK_CLOSE(softmax(tensor({1000.0, 1001.0}), 0), tensor({1 / (1 + e), e / (1 + e)}));
  CHECK_CLOSE(log_softmax(tensor({1000.0, 1001.0}), 0),
              tensor({-std::log(1 + e), 1 - std::log(1 + e)}));
  CHECK_CLOSE(softmax(tensor({-1000.f, -1001.f}), 0),
              tensor({static_cast<float>(e / (1 + e)), static_cast<float>(1 / (1 + e))}));
}

TEST_CASE("softmax: float32 matches a float64 reference") {
  Generator gen(3);
  auto x64 = uniform({5, 37}, -20, 20, kFloat64, &gen);
  auto x32 = x64.to(kFloat32);
  for (int64_t dim : {0, 1}) {
    CAPTURE(dim);
    CHECK_CLOSE(softmax(x32, dim).to(kFloat64), naive_softmax(x64, dim), 1e-5, 1e-7);
    CHECK_CLOSE(log_softmax(x32, dim).to(kFloat64), naive_log_softmax(x64, dim), 1e-5, 1e-5);
  }
}

TEST_CASE("softmax: masked entries and fully masked rows") {
  // Row 0 partly masked, row 1 fully masked (a padded query in attention).
  auto scores = f64({1, 2, 3, 4, 5, 6}, {2, 3});
  auto mask = mask_of({0, 1, 0, 1, 1, 1}, {2, 3});
  const double e2 = std::exp(2.0);
  auto expected = f64({1 / (1 + e2), 0, e2 / (1 + e2), 0, 0, 0}, {2, 3});
  CHECK_CLOSE(softmax(scores.masked_fill(mask, -INFINITY), 1), expected);
  CHECK_CLOSE(softmax(scores.masked_fill(mask, -INFINITY).t(), 0), expected.t());  // strided path
  auto logp = log_softmax(scores.masked_fill(mask, -INFINITY), 1).to_vector<double>();
  CHECK(logp[1] == -kInf);
  CHECK(logp[3] == -kInf);
  CHECK(logp[0] == doctest::Approx(-std::log(1 + e2)));

  // Gradients through masked_fill + softmax: finite, zero for masked entries and the masked row.
  for (bool create_graph : {false, true}) {
    CAPTURE(create_graph);
    Tensor x = scores.detach().clone().requires_grad_();
    Tensor p = softmax(x.masked_fill(mask, -INFINITY), 1);
    Tensor g = grad({(p * f64({1, 2, 3, 4, 5, 6}, {2, 3})).sum()}, {x}, {}, {}, create_graph)[0];
    const auto gv = g.to_vector<double>();
    for (double v : gv) CHECK(std::isfinite(v));
    CHECK(gv[1] == 0);
    CHECK(gv[3] == 0);
    CHECK(gv[4] == 0);
    CHECK(gv[5] == 0);
    // d/dx0 of p0 * 1 + p2 * 3 = p0 (1 - (p0 + 3 p2)).
    const double p0 = 1 / (1 + e2), p2 = e2 / (1 + e2);
    CHECK(gv[0] == doctest::Approx(p0 * (1 - (p0 + 3 * p2))));
  }
  // Strided (dim 0) fully masked columns.
  Tensor x = zeros({3, 2}, kFloat64).requires_grad_();
  Tensor col_mask = mask_of({0, 1, 0, 1, 0, 1}, {3, 2});
  Tensor p = softmax(x.masked_fill(col_mask, -INFINITY), 0);
  CHECK_CLOSE(p, f64({1 / 3.0, 0, 1 / 3.0, 0, 1 / 3.0, 0}, {3, 2}));
  (p * p).sum().backward();
  for (double v : x.grad().to_vector<double>()) CHECK(std::isfinite(v));
}

TEST_CASE("softmax: gradients") {
  auto a = leaf({3, 4, 5}, 4);
  for (int64_t dim : {0, 1, 2}) {
    CAPTURE(dim);
    CHECK_GRAD([dim](const TensorList& in) { return TensorList{softmax(in[0], dim)}; }, a);
    CHECK_GRAD([dim](const TensorList& in) { return TensorList{log_softmax(in[0], dim)}; }, a);
    CHECK_GRAD(
        [dim](const TensorList& in) { return TensorList{softmax(in[0].transpose(0, 2), dim)}; }, a);
    CHECK_GRAD(
        [dim](const TensorList& in) {
          return TensorList{log_softmax(in[0].slice(2, 0, 5, 2), dim)};
        },
        a);
    CHECK_GRADGRAD([dim](const TensorList& in) { return TensorList{softmax(in[0], dim)}; }, a);
    CHECK_GRADGRAD([dim](const TensorList& in) { return TensorList{log_softmax(in[0], dim)}; }, a);
  }
}

TEST_CASE("softmax: fused backward matches the composite formula") {
  for (DType dt : {kFloat64, kFloat32}) {
    Generator gen(5);
    auto x = randn({4, 6, 70}, dt, &gen);
    auto g = randn({4, 6, 70}, dt, &gen);
    for (int64_t dim : {0, 1, 2}) {
      CAPTURE(dim);
      for (bool log : {false, true}) {
        CAPTURE(log);
        auto op = [dim, log](const Tensor& t) {
          return log ? log_softmax(t, dim) : softmax(t, dim);
        };
        const Tensor fused = backward_grad(op, x, g, false);
        const Tensor composite = backward_grad(op, x, g, true);
        CHECK_CLOSE(fused, composite, 1e-5, 1e-6);
        // And both against the formula written out here.
        const Tensor y = op(x);
        const Tensor expected =
            log ? g - exp(y) * g.sum({dim}, true) : y * (g - (g * y).sum({dim}, true));
        CHECK_CLOSE(fused, expected, 1e-5, 1e-6);
      }
    }
  }
}

TEST_CASE("softmax: results do not depend on the thread count") {
  Generator gen(6);
  auto x = randn({64, 600}, kFloat32, &gen);
  const int threads = get_num_threads();
  set_num_threads(1);
  const auto one = softmax(x, 1).to_vector<float>();
  const auto one_col = softmax(x, 0).to_vector<float>();
  set_num_threads(std::max(2, threads));
  CHECK(softmax(x, 1).to_vector<float>() == one);
  CHECK(softmax(x, 0).to_vector<float>() == one_col);
  set_num_threads(threads);
}

TEST_CASE("vectorised exp: accuracy and special values") {
  double worst = 0;
  for (double v = -87.0; v <= 88.0; v += 0.001) {
    const float x = static_cast<float>(v);
    const double exact = std::exp(static_cast<double>(x));
    worst = std::max(worst, std::fabs(cpu::exp_float(x) - exact) / exact);
  }
  CHECK(worst < 2.5e-7);  // about 2 ulp
  CHECK(cpu::exp_float(0.f) == 1.f);
  CHECK(cpu::exp_float(-INFINITY) == 0.f);
  CHECK(cpu::exp_float(-200.f) == 0.f);
  CHECK(cpu::exp_float(INFINITY) == INFINITY);
  CHECK(cpu::exp_float(100.f) == INFINITY);
  CHECK(std::isnan(cpu::exp_float(NAN)));
}

TEST_CASE("softmax: errors") {
  CHECK_THROWS_CONTAINING(softmax(tensor({1, 2}), 0),
                          "softmax: expected a float32 or float64 tensor, got int64");
  CHECK_THROWS_CONTAINING(log_softmax(ones({2, 3}), 2),
                          "log_softmax: dim 2 is out of range for a 2-d tensor");
  CHECK_THROWS_CONTAINING(softmax(Tensor(), 0), "softmax");
}
