// prod, max/min/amax/argmax, var/std, norm, logsumexp: values against hand-computed results or
// composite formulas, gradients, and errors.
#include <cmath>
#include <limits>

#include "helpers.h"

using namespace ember;
using namespace ember::testing;

namespace {
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

Tensor f64(std::vector<double> values, const Shape& sizes) {
  return tensor(values, sizes);
}

// The gradient of fn(x).sum() with respect to x.
Tensor grad_of(const std::function<Tensor(const Tensor&)>& fn, const Tensor& value) {
  Tensor x = value.detach().clone().requires_grad_();
  fn(x).sum().backward();
  return x.grad();
}
}  // namespace

TEST_CASE("prod: values, dtypes and gradients") {
  auto x = f64({1, 2, 3, 4, 5, 6}, {2, 3});
  CHECK(prod(x).item() == 720);
  CHECK_CLOSE(prod(x, {1}), f64({6, 120}, {2}));
  CHECK_CLOSE(prod(x, {0}, true), f64({4, 10, 18}, {1, 3}));
  CHECK_CLOSE(x.prod({-1}), f64({6, 120}, {2}));
  auto i = tensor({2, -3, 4});
  CHECK(prod(i).dtype() == kInt64);
  CHECK(prod(i).item<int64_t>() == -24);
  CHECK(prod(zeros({0}, kFloat64)).item() == 1);  // empty product

  auto a = leaf({3, 4}, 1);
  CHECK_GRAD([](const TensorList& in) { return TensorList{prod(in[0])}; }, a);
  CHECK_GRAD([](const TensorList& in) { return TensorList{prod(in[0], {1})}; }, a);
  CHECK_GRAD([](const TensorList& in) { return TensorList{prod(in[0].t(), {0}, true)}; }, a);
  CHECK_GRAD([](const TensorList& in) { return TensorList{prod(in[0].slice(1, 0, 4, 2), {0})}; },
             a);
  auto b = leaf({2, 3, 2}, 2);
  CHECK_GRAD([](const TensorList& in) { return TensorList{prod(in[0], {0, 2})}; }, b);
  CHECK_GRADGRAD([](const TensorList& in) { return TensorList{prod(in[0], {1})}; }, a);
}

TEST_CASE("prod: gradient with zeros in the input") {
  // One zero: only the zero's slot gets the product of the others.
  CHECK_CLOSE(grad_of([](const Tensor& x) { return prod(x); }, f64({2, 0, 3}, {3})),
              f64({0, 6, 0}, {3}));
  // Two zeros: everything is 0.
  CHECK_CLOSE(grad_of([](const Tensor& x) { return prod(x); }, f64({2, 0, 0}, {3})),
              f64({0, 0, 0}, {3}));
  // Per row: row 0 has one zero, row 1 none (d/dx_i = product of the others).
  CHECK_CLOSE(
      grad_of([](const Tensor& x) { return prod(x, {1}); }, f64({1, 0, 2, 3, 4, 5}, {2, 3})),
      f64({0, 2, 0, 20, 15, 12}, {2, 3}));
  // Per column, keepdim.
  CHECK_CLOSE(
      grad_of([](const Tensor& x) { return prod(x, {0}, true); }, f64({0, 2, 0, 3, 0, 0}, {2, 3})),
      f64({3, 0, 0, 0, 2, 0}, {2, 3}));
}

TEST_CASE("max/min over all elements") {
  auto x = f64({3, -1, 7, 7, 2, -5}, {2, 3});
  CHECK(max(x).item() == 7);
  CHECK(min(x).item() == -5);
  CHECK(x.max().dim() == 0);
  CHECK(max(tensor({4, 9, -2})).item<int64_t>() == 9);
  CHECK(max(tensor({4, 9, -2})).dtype() == kInt64);
  CHECK(std::isnan(max(f64({1, kNaN, 3}, {3})).item()));
  CHECK(std::isnan(min(f64({kNaN, 1, 3}, {3})).item()));
  CHECK(max(f64({-kInf, -kInf}, {2})).item() == -kInf);
  // Ties share the gradient evenly.
  CHECK_CLOSE(grad_of([](const Tensor& t) { return max(t); }, x),
              f64({0, 0, .5, .5, 0, 0}, {2, 3}));
  CHECK_CLOSE(grad_of([](const Tensor& t) { return min(t); }, x), f64({0, 0, 0, 0, 0, 1}, {2, 3}));
  auto a = leaf({3, 4}, 3);
  CHECK_GRAD([](const TensorList& in) { return TensorList{max(in[0])}; }, a);
  CHECK_GRAD([](const TensorList& in) { return TensorList{min(in[0].t())}; }, a);
  CHECK_THROWS_CONTAINING(max(zeros({0, 3})), "max: cannot reduce over an empty dim");
  // Two tensors: elementwise, as maximum/minimum.
  CHECK_CLOSE(max(f64({1, 5}, {2}), f64({3, 2}, {2})), f64({3, 5}, {2}));
  CHECK_CLOSE(min(f64({1, 5}, {2}), f64({3, 2}, {2})), f64({1, 2}, {2}));
}

TEST_CASE("amax/amin over several dims") {
  auto x = f64({1, 5, 2, 8, 3, 4, 9, 0, 6, 7, 1, 2}, {2, 3, 2});
  CHECK_CLOSE(amax(x, {1, 2}), f64({8, 9}, {2}));
  CHECK_CLOSE(amin(x, {0, 2}, true), f64({0, 2, 1}, {1, 3, 1}));
  CHECK_CLOSE(x.amax({0}), f64({9, 5, 6, 8, 3, 4}, {3, 2}));
  auto a = leaf({2, 3, 4}, 4);
  CHECK_GRAD([](const TensorList& in) { return TensorList{amax(in[0], {0, 2})}; }, a);
  CHECK_GRAD(
      [](const TensorList& in) { return TensorList{amin(in[0].transpose(0, 2), {1}, true)}; }, a);
  // Ties along a dim split the gradient of that output.
  CHECK_CLOSE(
      grad_of([](const Tensor& t) { return amax(t, {1}); }, f64({2, 2, 1, 0, 3, 3}, {2, 3})),
      f64({.5, .5, 0, 0, .5, .5}, {2, 3}));
}

TEST_CASE("max/min along a dim: values, indices and gradients") {
  auto x = f64({3, 9, 9, 1, -2, 0, 4, -2}, {2, 4});
  auto [v, i] = max(x, 1);
  CHECK_CLOSE(v, f64({9, 4}, {2}));
  CHECK(i.dtype() == kInt64);
  CHECK(i.to_vector<int64_t>() == std::vector<int64_t>{1, 2});  // first of the tied 9s
  auto [vmin, imin] = x.min(1, true);
  CHECK(vmin.sizes() == Shape{2, 1});
  CHECK_CLOSE(vmin, f64({1, -2}, {2, 1}));
  CHECK(imin.to_vector<int64_t>() == std::vector<int64_t>{3, 0});
  auto [v0, i0] = max(x, 0);
  CHECK_CLOSE(v0, f64({3, 9, 9, 1}, {4}));
  CHECK(i0.to_vector<int64_t>() == std::vector<int64_t>{0, 0, 0, 0});
  // NaN wins, at its first position.
  auto [vn, in] = max(f64({1, kNaN, 5, kNaN}, {4}), 0);
  CHECK(std::isnan(vn.item()));
  CHECK(in.item<int64_t>() == 1);
  // NaN along a strided dim (columns) and along rows.
  auto xn = f64({1, kNaN, kNaN, 2, 3, 0}, {3, 2});
  auto [vc, ic] = max(xn, 0);
  CHECK(std::isnan(vc.to_vector<double>()[0]));
  CHECK(std::isnan(vc.to_vector<double>()[1]));
  CHECK(ic.to_vector<int64_t>() == std::vector<int64_t>{1, 0});
  auto [vr, ir] = min(xn, 1);
  CHECK(ir.to_vector<int64_t>() == std::vector<int64_t>{1, 0, 1});
  CHECK(vr.to_vector<double>()[2] == 0);
  // 0-d input.
  auto [vs, is] = max(scalar_tensor(2.5, kFloat64), 0);
  CHECK(vs.item() == 2.5);
  CHECK(is.item<int64_t>() == 0);
  // Bool input.
  auto [vb, ib] = max(tensor({0, 0, 1, 1}).to(kBool), 0);
  CHECK(vb.item<bool>());
  CHECK(ib.item<int64_t>() == 2);

  // The gradient goes to the chosen position only (even on ties).
  CHECK_CLOSE(grad_of([](const Tensor& t) { return std::get<0>(max(t, 1)); }, x),
              f64({0, 1, 0, 0, 0, 0, 1, 0}, {2, 4}));
  CHECK_CLOSE(grad_of([](const Tensor& t) { return std::get<0>(min(t, 0, true)); }, x),
              f64({0, 0, 0, 0, 1, 1, 1, 1}, {2, 4}));
  auto a = leaf({3, 4, 2}, 5);
  for (int64_t dim : {0, 1, 2, -1}) {
    CAPTURE(dim);
    CHECK_GRAD([dim](const TensorList& in) { return TensorList{std::get<0>(max(in[0], dim))}; }, a);
    CHECK_GRAD(
        [dim](const TensorList& in) {
          return TensorList{std::get<0>(min(in[0].transpose(0, 2), dim, true))};
        },
        a);
  }
  CHECK_GRADGRAD(
      [](const TensorList& in) { return TensorList{std::get<0>(max(in[0], 1)) * in[0].sum({1})}; },
      a);

  CHECK_THROWS_CONTAINING(max(zeros({2, 0}), 1), "max: dim 1 of the input (shape [2,0]) is empty");
  CHECK_THROWS_CONTAINING(max(zeros({2, 3}), 2), "max: dim 2 is out of range");
  CHECK_THROWS_CONTAINING(max(Tensor(), 0), "undefined");
}

TEST_CASE("argmax/argmin") {
  auto x = f64({3, 9, 9, 1, -2, 0, 4, -2}, {2, 4});
  CHECK(argmax(x, 1).to_vector<int64_t>() == std::vector<int64_t>{1, 2});
  CHECK(argmin(x, 1).to_vector<int64_t>() == std::vector<int64_t>{3, 0});
  CHECK(x.argmax(0, true).sizes() == Shape{1, 4});
  CHECK(argmax(x).item<int64_t>() == 1);  // flattened
  CHECK(argmin(x).item<int64_t>() == 4);
  CHECK(x.argmax().dim() == 0);
  CHECK(argmax(x.t(), 1).to_vector<int64_t>() == std::vector<int64_t>{0, 0, 0, 0});
  CHECK_FALSE(argmax(leaf({3, 4}), 1).requires_grad());
  CHECK_THROWS_CONTAINING(argmax(zeros({0})), "argmax: the input (shape [0]) is empty");
}

TEST_CASE("var/std: values") {
  auto x = f64({1, 2, 3, 4}, {4});
  CHECK(var(x).item() == doctest::Approx(5.0 / 3));
  CHECK(var(x, {}, false).item() == doctest::Approx(1.25));
  CHECK(x.std().item() == doctest::Approx(std::sqrt(5.0 / 3)));
  CHECK(ember::std(x, {0}, false).item() == doctest::Approx(std::sqrt(1.25)));
  // Two passes: a large offset does not cancel the spread.
  CHECK(var(x + 1e9).item() == doctest::Approx(5.0 / 3).epsilon(1e-9));
  CHECK(var(tensor({1.f, 2.f, 3.f, 4.f}) + 1e4f).item() == doctest::Approx(5.0 / 3).epsilon(1e-6));
  // Against the composite formula over dims.
  auto a = leaf({3, 4, 5}, 6).detach();
  for (const Shape& dims : {Shape{0}, Shape{1, 2}, Shape{0, 2}, Shape{}}) {
    for (bool unbiased : {true, false}) {
      for (bool keepdim : {true, false}) {
        CAPTURE(shape_str(dims));
        int64_t n = 1;
        for (int64_t d : dims.empty() ? Shape{0, 1, 2} : dims) n *= a.size(d);
        const Tensor c = a - a.mean(dims, true);
        const Tensor expected =
            (c * c).sum(dims, keepdim) / static_cast<double>(n - (unbiased ? 1 : 0));
        CHECK_CLOSE(var(a, dims, unbiased, keepdim), expected);
        CHECK_CLOSE(ember::std(a, dims, unbiased, keepdim), sqrt(expected));
      }
    }
  }
  CHECK(std::isnan(var(f64({3}, {1})).item()));  // n - 1 = 0
  CHECK(var(f64({3}, {1}), {}, false).item() == 0);
}

TEST_CASE("var/std: gradients") {
  auto a = leaf({3, 4}, 7);
  for (bool unbiased : {true, false}) {
    CHECK_GRAD([unbiased](const TensorList& in) { return TensorList{var(in[0], {1}, unbiased)}; },
               a);
    CHECK_GRAD(
        [unbiased](const TensorList& in) {
          return TensorList{ember::std(in[0], {0}, unbiased, true)};
        },
        a);
    CHECK_GRAD(
        [unbiased](const TensorList& in) {
          return TensorList{ember::std(in[0].t(), {}, unbiased)};
        },
        a);
  }
  CHECK_GRADGRAD([](const TensorList& in) { return TensorList{var(in[0], {1})}; }, a);
  CHECK_GRADGRAD([](const TensorList& in) { return TensorList{ember::std(in[0], {0})}; }, a);
  // A constant slice has std 0: gradient 0 there, not NaN.
  auto g =
      grad_of([](const Tensor& t) { return ember::std(t, {1}); }, f64({2, 2, 2, 1, 2, 3}, {2, 3}));
  CHECK_CLOSE(g, f64({0, 0, 0, -0.5, 0, 0.5}, {2, 3}));
  CHECK_THROWS_CONTAINING(var(tensor({1, 2, 3})),
                          "var: expected a float32 or float64 tensor, got int64");
  CHECK_THROWS_CONTAINING(ember::std(zeros({2, 2}), {0, 0}), "std: dim 0 appears twice");
}

TEST_CASE("norm: values for each p") {
  auto x = f64({3, -4, 0, 1, -2, 2}, {2, 3});
  CHECK(norm(x).item() == doctest::Approx(std::sqrt(9 + 16 + 0 + 1 + 4 + 4)));
  CHECK_CLOSE(norm(x, 2, {1}), f64({5, 3}, {2}));
  CHECK_CLOSE(norm(x, 1, {1}, true), f64({7, 5}, {2, 1}));
  CHECK_CLOSE(norm(x, kInf, {0}), f64({3, 4, 2}, {3}));
  CHECK_CLOSE(norm(x, -kInf, {1}), f64({0, 1}, {2}));
  CHECK_CLOSE(norm(x, 0, {1}), f64({2, 3}, {2}));
  CHECK_CLOSE(norm(x, 3, {1}), f64({std::cbrt(27.0 + 64), std::cbrt(1.0 + 8 + 8)}, {2}));
  CHECK(x.norm(1).item() == 12);
  auto a = leaf({3, 4, 5}, 8).detach();
  CHECK_CLOSE(norm(a, 2.5, {0, 2}), pow(pow(abs(a), 2.5).sum({0, 2}), 1 / 2.5));
  CHECK_THROWS_CONTAINING(norm(tensor({1, 2})), "norm: expected a float32 or float64 tensor");
  CHECK_THROWS_CONTAINING(norm(a, kNaN), "norm: p must be a number");
}

TEST_CASE("norm: gradients") {
  auto a = leaf({3, 4}, 9);
  for (double p : {2.0, 1.0, 3.0, 1.5, 0.5, kInf, -kInf}) {
    CAPTURE(p);
    CHECK_GRAD([p](const TensorList& in) { return TensorList{norm(in[0], p)}; }, a);
    CHECK_GRAD([p](const TensorList& in) { return TensorList{norm(in[0].t(), p, {1}, true)}; }, a);
  }
  CHECK_GRADGRAD([](const TensorList& in) { return TensorList{norm(in[0], 2, {1})}; }, a);
  CHECK_GRADGRAD([](const TensorList& in) { return TensorList{norm(in[0], 3, {0})}; }, a);
  // x / norm, and 0 (not NaN) for an all-zero slice.
  CHECK_CLOSE(grad_of([](const Tensor& t) { return norm(t, 2, {1}); }, f64({3, 4, 0, 0}, {2, 2})),
              f64({0.6, 0.8, 0, 0}, {2, 2}));
  CHECK_CLOSE(grad_of([](const Tensor& t) { return norm(t, 3); }, zeros({3}, kFloat64)),
              zeros({3}, kFloat64));
  CHECK_CLOSE(grad_of([](const Tensor& t) { return norm(t, 1); }, f64({-2, 0, 5}, {3})),
              f64({-1, 0, 1}, {3}));
  // inf-norm: shared by the largest |x|.
  CHECK_CLOSE(grad_of([](const Tensor& t) { return norm(t, kInf); }, f64({-3, 1, 3}, {3})),
              f64({-.5, 0, .5}, {3}));
}

TEST_CASE("logsumexp") {
  auto x = f64({1, 2, 3, -1, 0, 1}, {2, 3});
  const Tensor reference = log(exp(x).sum({1}));
  CHECK_CLOSE(logsumexp(x, 1), reference);
  CHECK_CLOSE(x.logsumexp(-1, true), reference.unsqueeze(1));
  CHECK_CLOSE(logsumexp(x, 0), log(exp(x).sum({0})));
  // No overflow where exp would.
  CHECK(logsumexp(f64({1000, 1000}, {2}), 0).item() == doctest::Approx(1000 + std::log(2.0)));
  CHECK(logsumexp(tensor({-1000.f, -1000.f}), 0).item() == doctest::Approx(-1000 + std::log(2.0)));
  CHECK(logsumexp(f64({-kInf, -kInf}, {2}), 0).item() == -kInf);
  CHECK(logsumexp(f64({kInf, 1}, {2}), 0).item() == kInf);
  CHECK(std::isnan(logsumexp(f64({kNaN, 1}, {2}), 0).item()));

  auto a = leaf({3, 4, 5}, 10);
  for (int64_t dim : {0, 1, 2}) {
    CAPTURE(dim);
    CHECK_GRAD([dim](const TensorList& in) { return TensorList{logsumexp(in[0], dim)}; }, a);
    CHECK_GRAD(
        [dim](const TensorList& in) {
          return TensorList{logsumexp(in[0].transpose(0, 2), dim, true)};
        },
        a);
  }
  CHECK_GRADGRAD([](const TensorList& in) { return TensorList{logsumexp(in[0], 1)}; }, a);
  // The gradient is the softmax: exp(x - logsumexp); a fully -inf row passes 0, not NaN.
  auto g =
      grad_of([](const Tensor& t) { return logsumexp(t, 1); }, f64({0, 0, -kInf, -kInf}, {2, 2}));
  CHECK_CLOSE(g, f64({.5, .5, 0, 0}, {2, 2}));
  CHECK_THROWS_CONTAINING(logsumexp(tensor({1, 2}), 0), "logsumexp: expected a float32 or float64");
  CHECK_THROWS_CONTAINING(logsumexp(a, 3), "logsumexp: dim 3 is out of range");
}
