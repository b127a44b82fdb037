// Losses: cross_entropy, nll_loss, mse_loss, binary_cross_entropy_with_logits. Values against
// hand-computed results and a composite reference written here, gradients, errors.
#include <cmath>

#include "helpers.h"

using namespace ember;
using namespace ember::testing;

namespace {

Tensor f64(std::vector<double> values, const Shape& sizes) {
  return tensor(values, sizes);
}
Tensor i64(std::vector<int64_t> values, const Shape& sizes) {
  return tensor(values, sizes);
}

// PyTorch's cross entropy, spelled out sample by sample with plain loops over the values.
double reference_cross_entropy(const Tensor& logits, const Tensor& target, int64_t ignore_index,
                               double eps, Reduction reduction,
                               std::vector<double>* per = nullptr) {
  const Tensor x = logits.dim() == 1 ? logits.unsqueeze(0) : logits;
  const int64_t N = x.size(0), C = x.size(1), inner = x.numel() / std::max<int64_t>(N * C, 1);
  const auto xv = x.contiguous().to_vector<double>();
  const auto tv = target.contiguous().to_vector<int64_t>();
  double total = 0;
  int64_t counted = 0;
  for (int64_t n = 0; n < N; ++n)
    for (int64_t i = 0; i < inner; ++i) {
      const int64_t t = tv[n * inner + i];
      double loss = 0;
      if (t != ignore_index) {
        double z = 0;
        for (int64_t c = 0; c < C; ++c) z += std::exp(xv[(n * C + c) * inner + i]);
        const auto logp = [&](int64_t c) { return xv[(n * C + c) * inner + i] - std::log(z); };
        double smooth = 0;
        for (int64_t c = 0; c < C; ++c) smooth -= logp(c);
        loss = -(1 - eps) * logp(t) + eps / C * smooth;
        ++counted;
      }
      if (per) per->push_back(loss);
      total += loss;
    }
  return reduction == Reduction::Mean ? total / counted : total;
}

TensorList ce_grads(const Tensor& logits, const Tensor& target, const CrossEntropyOptions& o,
                    const Tensor& g, bool create_graph) {
  Tensor x = logits.detach().clone().requires_grad_();
  Tensor out = cross_entropy(x, target, o);
  TensorList gs = grad({out}, {x}, {g.defined() ? g : ones_like(out)}, {}, create_graph);
  return {gs[0].detach()};
}

}  // namespace

TEST_CASE("cross_entropy: values by hand") {
  // log(e + e^2 + e^3) - 3
  const double lse = std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0));
  CHECK(cross_entropy(f64({1, 2, 3}, {1, 3}), i64({2}, {1})).item() == doctest::Approx(lse - 3));
  CHECK(cross_entropy(f64({1, 2, 3}, {3}), i64({0}, {}).reshape({})).item() ==
        doctest::Approx(lse - 1));
  // Two samples, the second ignored: the mean counts one sample.
  auto logits = f64({1, 2, 3, 0, 0, 0}, {2, 3});
  CHECK(cross_entropy(logits, i64({2, -100}, {2})).item() == doctest::Approx(lse - 3));
  CHECK(cross_entropy(logits, i64({2, 1}, {2}), {.reduction = Reduction::Sum}).item() ==
        doctest::Approx(lse - 3 + std::log(3.0)));
  CHECK_CLOSE(cross_entropy(logits, i64({2, 1}, {2}), {.reduction = Reduction::None}),
              f64({lse - 3, std::log(3.0)}, {2}));
  // Label smoothing 0.3 over 3 classes on uniform logits is still log 3.
  CHECK(cross_entropy(f64({0, 0, 0}, {1, 3}), i64({1}, {1}), {.label_smoothing = 0.3}).item() ==
        doctest::Approx(std::log(3.0)));
  // Every target ignored: mean is NaN (0 / 0), as in PyTorch; sum is 0.
  CHECK(std::isnan(cross_entropy(logits, i64({-100, -100}, {2})).item()));
  CHECK(cross_entropy(logits, i64({-100, -100}, {2}), {.reduction = Reduction::Sum}).item() == 0);
  // Large logits do not overflow.
  CHECK(cross_entropy(f64({1000, 0}, {1, 2}), i64({1}, {1})).item() == doctest::Approx(1000));
  CHECK(std::fabs(cross_entropy(tensor({1000.f, 0.f}).reshape({1, 2}), i64({0}, {1})).item()) <
        1e-6);
}

TEST_CASE("cross_entropy: against the reference over shapes and options") {
  Generator gen(1);
  auto x2 = randn({6, 5}, kFloat64, &gen) * 2.0;
  auto t2 = i64({0, 4, -100, 2, 1, 4}, {6});
  auto x3 = randn({2, 4, 3}, kFloat64, &gen);
  auto t3 = i64({3, 0, 1, 2, 1, 3}, {2, 3});
  auto x1 = randn({5}, kFloat64, &gen);
  auto t1 = i64({4}, {1}).reshape({});
  for (double eps : {0.0, 0.2}) {
    for (Reduction r : {Reduction::Mean, Reduction::Sum, Reduction::None}) {
      CAPTURE(eps);
      CAPTURE(static_cast<int>(r));
      const CrossEntropyOptions o{.ignore_index = -100, .label_smoothing = eps, .reduction = r};
      for (auto [x, t] : {std::pair{x2, t2}, std::pair{x3, t3}, std::pair{x1, t1}}) {
        std::vector<double> per;
        const double expected = reference_cross_entropy(x, t, -100, eps, r, &per);
        const Tensor got = cross_entropy(x, t, o);
        if (r == Reduction::None) {
          CHECK(got.sizes() == t.sizes());
          CHECK_CLOSE(got, tensor(per, t.sizes()), 1e-12, 1e-12);
        } else {
          CHECK(got.dim() == 0);
          CHECK(got.item() == doctest::Approx(expected).epsilon(1e-12));
        }
      }
      // ignore_index inside the class range, and float32 logits.
      const CrossEntropyOptions o2{.ignore_index = 4, .label_smoothing = eps, .reduction = r};
      const double expected = reference_cross_entropy(x2, t2.clamp(0, 4), 4, eps, Reduction::Sum);
      if (r == Reduction::Sum)
        CHECK(cross_entropy(x2.to(kFloat32), t2.clamp(0, 4), o2).item() ==
              doctest::Approx(expected).epsilon(1e-5));
    }
  }
  // Non-contiguous logits.
  auto xt = randn({5, 6}, kFloat64, &gen).t();
  CHECK(cross_entropy(xt, t2).item() ==
        doctest::Approx(reference_cross_entropy(xt, t2, -100, 0, Reduction::Mean)).epsilon(1e-12));
}

TEST_CASE("cross_entropy: gradients") {
  auto x2 = leaf({4, 5}, 2);
  auto t2 = i64({1, -100, 4, 0}, {4});
  auto x3 = leaf({2, 3, 4}, 3);
  auto t3 = i64({0, 2, 1, 1, -100, 2, 0, 0}, {2, 4});
  auto x1 = leaf({3}, 4);
  auto t1 = i64({2}, {1}).reshape({});
  auto x2t = leaf({5, 4}, 12);  // transposed inside the function: non-contiguous logits
  auto x3t = leaf({2, 4, 3}, 13);
  for (double eps : {0.0, 0.1}) {
    for (Reduction r : {Reduction::Mean, Reduction::Sum, Reduction::None}) {
      CAPTURE(eps);
      CAPTURE(static_cast<int>(r));
      const CrossEntropyOptions o{.label_smoothing = eps, .reduction = r};
      CHECK_GRAD([&](const TensorList& in) { return TensorList{cross_entropy(in[0], t2, o)}; }, x2);
      CHECK_GRAD([&](const TensorList& in) { return TensorList{cross_entropy(in[0], t3, o)}; }, x3);
      CHECK_GRAD([&](const TensorList& in) { return TensorList{cross_entropy(in[0], t1, o)}; }, x1);
      CHECK_GRAD([&](const TensorList& in) { return TensorList{cross_entropy(in[0].t(), t2, o)}; },
                 x2t);
      CHECK_GRAD(
          [&](const TensorList& in) {
            return TensorList{cross_entropy(in[0].transpose(1, 2), t3, o)};
          },
          x3t);
      CHECK_GRADGRAD([&](const TensorList& in) { return TensorList{cross_entropy(in[0], t2, o)}; },
                     x2);
      CHECK_GRADGRAD([&](const TensorList& in) { return TensorList{cross_entropy(in[0], t3, o)}; },
                     x3);
    }
  }
  // By hand: softmax - onehot, over the number of counted samples.
  auto g = ce_grads(f64({0, 0, 0, 5, 5, 5}, {2, 3}), i64({1, -100}, {2}), {}, {}, false)[0];
  CHECK_CLOSE(g, f64({1 / 3.0, -2 / 3.0, 1 / 3.0, 0, 0, 0}, {2, 3}));
}

TEST_CASE("cross_entropy: fused backward matches the composite formula") {
  Generator gen(5);
  for (DType dt : {kFloat64, kFloat32}) {
    auto x2 = randn({7, 9}, dt, &gen);
    auto t2 = i64({1, -100, 8, 0, 3, 3, 2}, {7});
    auto x3 = randn({3, 4, 5}, dt, &gen);
    auto t3 = i64({0, 2, 1, 1, -100, 2, 0, 0, 3, 3, 1, 2, 0, 1, 3}, {3, 5});
    for (double eps : {0.0, 0.25}) {
      for (Reduction r : {Reduction::Mean, Reduction::Sum, Reduction::None}) {
        const CrossEntropyOptions o{.label_smoothing = eps, .reduction = r};
        for (auto [x, t] : {std::pair{x2, t2}, std::pair{x3, t3}}) {
          Tensor g = r == Reduction::None ? randn(t.sizes(), dt, &gen) : scalar_tensor(1.7, dt);
          CHECK_CLOSE(ce_grads(x, t, o, g, false)[0], ce_grads(x, t, o, g, true)[0], 1e-5, 1e-6);
        }
      }
    }
  }
}

TEST_CASE("cross_entropy: errors") {
  auto x = ones({3, 4});
  CHECK_THROWS_CONTAINING(cross_entropy(x, i64({0, 5, 1}, {3})),
                          "cross_entropy: target 5 at position [1] is out of range for 4 classes");
  CHECK_THROWS_CONTAINING(cross_entropy(ones({2, 4, 2}), i64({0, 1, 2, -1}, {2, 2})),
                          "target -1 at position [1,1] is out of range");
  CHECK_THROWS_CONTAINING(cross_entropy(x, ones({3})),
                          "cross_entropy: target must hold int64 class indices, got float32");
  CHECK_THROWS_CONTAINING(cross_entropy(x, i64({0, 1}, {2})),
                          "cross_entropy: target of shape [2] does not match input of shape [3,4] "
                          "(expected a target of shape [3]");
  CHECK_THROWS_CONTAINING(cross_entropy(ones({2, 4, 3}), i64({0, 1}, {2})),
                          "expected a target of shape [2,3]");
  CHECK_THROWS_CONTAINING(cross_entropy(scalar_tensor(1.0), i64({0}, {1})),
                          "cross_entropy: expected an input of shape [C], [N, C]");
  CHECK_THROWS_CONTAINING(cross_entropy(x, i64({0, 1, 2}, {3}), {.label_smoothing = 1.5}),
                          "label_smoothing must be in [0, 1], got 1.5");
  CHECK_THROWS_CONTAINING(cross_entropy(ones({3, 4}, kInt64), i64({0, 1, 2}, {3})),
                          "cross_entropy: expected a float32 or float64 input, got int64");
}

TEST_CASE("nll_loss") {
  auto lp = f64({-1, -2, -3, -4, -5, -6}, {3, 2});
  CHECK(nll_loss(lp, i64({1, 0, 1}, {3})).item() == doctest::Approx((2 + 3 + 6) / 3.0));
  CHECK(nll_loss(lp, i64({1, -100, 1}, {3})).item() == doctest::Approx((2 + 6) / 2.0));
  CHECK(
      nll_loss(lp, i64({1, 0, 1}, {3}), {.ignore_index = 0, .reduction = Reduction::Sum}).item() ==
      8);
  CHECK_CLOSE(nll_loss(lp, i64({1, 0, 0}, {3}), {.reduction = Reduction::None}),
              f64({2, 3, 5}, {3}));
  CHECK(nll_loss(f64({-1, -2}, {2}), i64({1}, {1}).reshape({})).item() == 2);

  Tensor x = lp.detach().clone().requires_grad_();
  nll_loss(x, i64({1, -100, 0}, {3})).backward();
  CHECK_CLOSE(x.grad(), f64({0, -0.5, 0, 0, -0.5, 0}, {3, 2}));

  auto a = leaf({4, 3, 2}, 6);
  auto a_t = leaf({2, 3, 4}, 14);  // transposed inside the function
  auto t = i64({0, 2, 1, -100, 2, 2, 0, 1}, {4, 2});
  for (Reduction r : {Reduction::Mean, Reduction::Sum, Reduction::None}) {
    CHECK_GRAD(
        [&](const TensorList& in) { return TensorList{nll_loss(in[0], t, {.reduction = r})}; }, a);
    CHECK_GRAD(
        [&](const TensorList& in) {
          return TensorList{nll_loss(log_softmax(in[0].transpose(0, 2), 1), t, {.reduction = r})};
        },
        a_t);
    CHECK_GRADGRAD(
        [&](const TensorList& in) {
          return TensorList{nll_loss(log_softmax(in[0], 1), t, {.reduction = r})};
        },
        a);
  }
  CHECK_THROWS_CONTAINING(nll_loss(lp, i64({1, 2, 0}, {3})),
                          "nll_loss: target 2 at position [1] is out of range for 2 classes");
  CHECK_THROWS_CONTAINING(nll_loss(lp, f64({1, 1, 0}, {3})), "nll_loss: target must hold int64");
}

TEST_CASE("mse_loss") {
  auto a = f64({1, 2, 3, 4}, {2, 2});
  auto b = f64({1, 0, 5, 1}, {2, 2});
  CHECK(mse_loss(a, b).item() == doctest::Approx((0 + 4 + 4 + 9) / 4.0));
  CHECK(mse_loss(a, b, Reduction::Sum).item() == 17);
  CHECK_CLOSE(mse_loss(a, b, Reduction::None), f64({0, 4, 4, 9}, {2, 2}));
  auto x = leaf({3, 4}, 7), y = leaf({4, 3}, 8);
  for (Reduction r : {Reduction::Mean, Reduction::Sum, Reduction::None}) {
    CHECK_GRAD([r](const TensorList& in) { return TensorList{mse_loss(in[0], in[1].t(), r)}; }, x,
               y);
    CHECK_GRADGRAD([r](const TensorList& in) { return TensorList{mse_loss(in[0], in[1].t(), r)}; },
                   x, y);
  }
  CHECK_THROWS_CONTAINING(mse_loss(ones({4}), ones({4, 1})),
                          "mse_loss: input of shape [4] and target of shape [4,1] differ");
  CHECK_THROWS_CONTAINING(mse_loss(ones({4}), ones({4}, kInt64)),
                          "mse_loss: expected float32 or float64 tensors");
}

TEST_CASE("binary_cross_entropy_with_logits: values") {
  // -(y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))), by hand where it is finite.
  CHECK(binary_cross_entropy_with_logits(f64({0}, {1}), f64({1}, {1})).item() ==
        doctest::Approx(std::log(2.0)));
  const double s = 1 / (1 + std::exp(-2.0));
  CHECK(binary_cross_entropy_with_logits(f64({2}, {1}), f64({0.25}, {1})).item() ==
        doctest::Approx(-(0.25 * std::log(s) + 0.75 * std::log(1 - s))));
  // Stable where the naive form overflows or takes log(0).
  CHECK_CLOSE(binary_cross_entropy_with_logits(f64({100, -100, 800, -800}, {4}),
                                               f64({0, 1, 1, 0}, {4}), Reduction::None),
              f64({100, 100, 0, 0}, {4}));
  CHECK_CLOSE(
      binary_cross_entropy_with_logits(tensor({60.f, -60.f}), tensor({0.f, 1.f}), Reduction::None),
      tensor({60.f, 60.f}));

  Generator gen(9);
  auto x = randn({3, 4}, kFloat64, &gen) * 3.0;
  auto y = rand({3, 4}, kFloat64, &gen);
  auto pw = f64({0.5, 1, 2, 3}, {4});
  const Tensor sig = sigmoid(x);
  const Tensor naive = -(y * log(sig) + (1.0 - y) * log(1.0 - sig));
  const Tensor naive_pw = -(pw * y * log(sig) + (1.0 - y) * log(1.0 - sig));
  CHECK_CLOSE(binary_cross_entropy_with_logits(x, y, Reduction::None), naive, 1e-9, 1e-12);
  CHECK(binary_cross_entropy_with_logits(x, y).item() == doctest::Approx(naive.mean().item()));
  CHECK(binary_cross_entropy_with_logits(x, y, Reduction::Sum).item() ==
        doctest::Approx(naive.sum().item()));
  CHECK_CLOSE(binary_cross_entropy_with_logits(x, y, Reduction::None, pw), naive_pw, 1e-9, 1e-12);
  CHECK_CLOSE(binary_cross_entropy_with_logits(x.t(), y.t(), Reduction::None), naive.t(), 1e-9,
              1e-12);
}

TEST_CASE("binary_cross_entropy_with_logits: gradients") {
  auto x = leaf({3, 4}, 10, 2.0);
  Generator gen(11);
  auto y = rand({3, 4}, kFloat64, &gen).requires_grad_();
  auto pw = (rand({4}, kFloat64, &gen) + 0.5).requires_grad_();
  for (Reduction r : {Reduction::Mean, Reduction::Sum, Reduction::None}) {
    CAPTURE(static_cast<int>(r));
    CHECK_GRAD(
        [r](const TensorList& in) {
          return TensorList{binary_cross_entropy_with_logits(in[0], in[1], r)};
        },
        x, y);
    CHECK_GRAD(
        [r](const TensorList& in) {
          return TensorList{binary_cross_entropy_with_logits(in[0], in[1], r, in[2])};
        },
        x, y, pw);
    CHECK_GRAD(
        [r](const TensorList& in) {
          return TensorList{
              binary_cross_entropy_with_logits(in[0].t(), in[1].t(), r, in[2].unsqueeze(1))};
        },
        x, y, pw);
    CHECK_GRADGRAD(
        [r](const TensorList& in) {
          return TensorList{binary_cross_entropy_with_logits(in[0], in[1], r, in[2])};
        },
        x, y, pw);
  }
  // Exactly at x = 0: d/dx = sigmoid(0) - y.
  Tensor z = zeros({2}, kFloat64).requires_grad_();
  binary_cross_entropy_with_logits(z, f64({1, 0.25}, {2}), Reduction::Sum).backward();
  CHECK_CLOSE(z.grad(), f64({-0.5, 0.25}, {2}));
  // Second derivative at 0 is sigmoid'(0) = 1/4.
  Tensor z2 = zeros({1}, kFloat64).requires_grad_();
  Tensor d = grad({binary_cross_entropy_with_logits(z2, f64({1}, {1}), Reduction::Sum)}, {z2}, {},
                  {}, true)[0];
  d.sum().backward();
  CHECK(z2.grad().item() == doctest::Approx(0.25));
}

TEST_CASE("binary_cross_entropy_with_logits: errors") {
  CHECK_THROWS_CONTAINING(
      binary_cross_entropy_with_logits(ones({3}), ones({3, 1})),
      "binary_cross_entropy_with_logits: target of shape [3,1] must have the logits' shape [3]");
  CHECK_THROWS_CONTAINING(binary_cross_entropy_with_logits(ones({3}), ones({3}, kFloat64)),
                          "target is a float64 tensor");
  CHECK_THROWS_CONTAINING(
      binary_cross_entropy_with_logits(ones({2, 3}), ones({2, 3}), Reduction::Mean, ones({2})),
      "pos_weight of shape [2] does not broadcast to the logits' shape [2,3]");
  CHECK_THROWS_CONTAINING(binary_cross_entropy_with_logits(ones({2, 3}), ones({2, 3}),
                                                           Reduction::Mean, ones({4, 2, 3})),
                          "does not broadcast");
  CHECK_THROWS_CONTAINING(binary_cross_entropy_with_logits(ones({3}, kInt64), ones({3}, kInt64)),
                          "expected float32 or float64 logits");
}
