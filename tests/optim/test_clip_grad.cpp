#include <limits>

#include "helpers.h"

#include "ember/ops/cpu/parallel.h"

using namespace ember;
using namespace ember::testing;

namespace {

Tensor with_grad(std::vector<double> values, std::vector<double> grad) {
  Tensor p = tensor(values).requires_grad_();
  p.mutable_grad() = tensor(grad);
  return p;
}

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

}  // namespace

TEST_CASE("clip_grad_norm_: total norm and scaling") {
  auto a = with_grad({0, 0}, {3, 4});
  auto b = with_grad({0}, {12});
  CHECK(optim::clip_grad_norm_({a, b}, 6.5) == 13.0);
  const double coef = 6.5 / (13.0 + 1e-6);
  CHECK_CLOSE(a.grad(), tensor({3 * coef, 4 * coef}), 1e-15, 0);
  CHECK_CLOSE(b.grad(), tensor({12 * coef}), 1e-15, 0);

  // Below max_norm: untouched.
  auto c = with_grad({0, 0}, {0.3, 0.4});
  CHECK(optim::clip_grad_norm_({c}, 1.0) == doctest::Approx(0.5).epsilon(1e-15));
  CHECK(c.grad().to_vector<double>() == std::vector<double>{0.3, 0.4});

  // Other orders.
  auto grads = [] { return TensorList{with_grad({0, 0}, {3, -4}), with_grad({0}, {-12})}; };
  CHECK(optim::clip_grad_norm_(grads(), 100, kInf) == 12.0);
  CHECK(optim::clip_grad_norm_(grads(), 100, 1) == 19.0);
  CHECK(optim::clip_grad_norm_(grads(), 100, 3) ==
        doctest::Approx(std::cbrt(27.0 + 64.0 + 1728.0)).epsilon(1e-14));
  auto inf_clipped = grads();
  optim::clip_grad_norm_(inf_clipped, 6.0, kInf);
  CHECK(inf_clipped[1].grad().item<double>() == doctest::Approx(-6.0).epsilon(1e-6));

  // Parameters without gradients are ignored; none at all gives 0.
  auto none = tensor({1.0}).requires_grad_();
  CHECK(optim::clip_grad_norm_({none}, 1.0) == 0.0);
  CHECK(optim::clip_grad_norm_({none, with_grad({0}, {2})}, 10.0) == 2.0);

  // float32 gradients are summed in float64.
  Tensor f = tensor({0.0f, 0.0f}).requires_grad_();
  f.mutable_grad() = tensor({3.0f, 4.0f});
  CHECK(optim::clip_grad_norm_({f}, 1.0) == 5.0);
  CHECK(f.grad().dtype() == kFloat32);
  CHECK(f.grad().to_vector<float>()[1] == doctest::Approx(0.8).epsilon(1e-6));
}

TEST_CASE("clip_grad_norm_: non-finite gradients are left alone, or reported") {
  auto make = [](double bad) {
    return TensorList{tensor({1.0}).requires_grad_(), with_grad({0, 0}, {1, 2}),
                      with_grad({0, 0}, {bad, 1}), with_grad({0}, {kNaN})};
  };
  for (double bad : {kNaN, kInf, -kInf}) {
    CAPTURE(bad);
    auto params = make(bad);
    const double norm = optim::clip_grad_norm_(params, 1.0);
    CHECK_FALSE(std::isfinite(norm));
    CHECK(params[1].grad().to_vector<double>() == std::vector<double>{1, 2});  // not scaled
    CHECK(params[2].grad().to_vector<double>()[1] == 1.0);
    CHECK_THROWS_CONTAINING(optim::clip_grad_norm_(make(bad), 1.0, 2.0, true),
                            "parameter 2 (float64 tensor of shape [2] on cpu) is the first whose "
                            "gradient holds a NaN or infinity");
  }
  // The inf norm sees a NaN even though NaN never wins a comparison.
  CHECK(std::isnan(optim::clip_grad_norm_(make(1.0), 1.0, kInf)));
  CHECK(std::isinf(optim::clip_grad_norm_({with_grad({0}, {-kInf})}, 1.0, kInf)));
  CHECK_THROWS_CONTAINING(optim::clip_grad_norm_(make(1.0), 1.0, 2.0, true),
                          "total norm of order 2 of the gradients is nan: parameter 3");
  // Finite gradients whose norm overflows float64.
  CHECK_THROWS_CONTAINING(
      optim::clip_grad_norm_({with_grad({0, 0}, {1e300, 1e300})}, 1.0, 2.0, true),
      "every gradient is finite: the norm overflowed");
}

TEST_CASE("clip_grad_norm_: errors, strided gradients, thread-count independence") {
  auto p = with_grad({0}, {1});
  CHECK_THROWS_CONTAINING(optim::clip_grad_norm_({p}, -1.0), "invalid max_norm -1");
  CHECK_THROWS_CONTAINING(optim::clip_grad_norm_({p}, 1.0, 0.0), "invalid norm_type 0");
  CHECK_THROWS_CONTAINING(optim::clip_grad_norm_({p}, 1.0, -kInf), "invalid norm_type -inf");
  CHECK_THROWS_CONTAINING(optim::clip_grad_value_({p}, -0.5), "invalid clip_value -0.5");

  // An expanded gradient (one element standing for four) is replaced, not scaled four times.
  Tensor source = tensor({2.0});
  Tensor q = zeros({4}, kFloat64).requires_grad_();
  q.mutable_grad() = source.expand({4});
  CHECK(optim::clip_grad_norm_({q}, 2.0) == 4.0);
  CHECK_CLOSE(q.grad(), full({4}, 2.0 * 2.0 / (4.0 + 1e-6), kFloat64), 1e-15, 0);
  CHECK(source.item<double>() == 2.0);

  const int64_t n = 5 * cpu::kParallelGrain + 3;
  Generator gen(11);
  const Tensor g = randn({n}, kFloat32, &gen);
  auto norm_with_threads = [&](int threads) {
    Tensor r = zeros({n}, kFloat32).requires_grad_();
    r.mutable_grad() = g.clone();
    const int saved = get_num_threads();
    set_num_threads(threads);
    const double norm = optim::clip_grad_norm_({r}, 1.0);
    set_num_threads(saved);
    return std::pair{norm, r.grad().to_vector<float>()};
  };
  const auto one = norm_with_threads(1), two = norm_with_threads(2);
  CHECK(one.first == two.first);
  CHECK(one.second == two.second);
  double sum = 0;
  for (float v : g.to_vector<float>()) sum += static_cast<double>(v) * v;
  CHECK(one.first == doctest::Approx(std::sqrt(sum)).epsilon(1e-12));
}

TEST_CASE("clip_grad_value_") {
  auto a = with_grad({0, 0, 0, 0}, {-3, 0.5, 2, kNaN});
  auto none = tensor({1.0}).requires_grad_();
  optim::clip_grad_value_({a, none}, 1.0);
  const auto g = a.grad().to_vector<double>();
  CHECK(g[0] == -1.0);
  CHECK(g[1] == 0.5);
  CHECK(g[2] == 1.0);
  CHECK(std::isnan(g[3]));
  CHECK_FALSE(none.grad().defined());
}
