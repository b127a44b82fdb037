#include "helpers.h"

using namespace ember;
using namespace ember::testing;

TEST_CASE("backward of a small graph gives the chain rule") {
  auto x = tensor({1.0, 2.0, 3.0}).requires_grad_();
  auto y = (x * x + x * 3.0).sum();  // dy/dx = 2x + 3
  y.backward();
  CHECK_CLOSE(x.grad(), tensor({5.0, 7.0, 9.0}));
}

TEST_CASE("gradients accumulate across backward calls") {
  auto x = tensor({1.0, -1.0}).requires_grad_();
  (x * 2.0).sum().backward();
  (x * 3.0).sum().backward();
  CHECK_CLOSE(x.grad(), tensor({5.0, 5.0}));
}

TEST_CASE("a tensor used twice receives both gradients") {
  auto x = tensor({2.0}).requires_grad_();
  auto y = x * x * x;  // 3x^2 = 12
  y.backward();
  CHECK(x.grad().item() == doctest::Approx(12.0));
}

TEST_CASE("backward twice without retain_graph is an error naming the op") {
  auto x = tensor({2.0}).requires_grad_();
  auto y = (x.exp()).sum();
  y.backward({}, /*retain_graph=*/true);
  y.backward();
  CHECK(x.grad().item() == doctest::Approx(2 * std::exp(2.0)));
  CHECK_THROWS_CONTAINING(y.backward(), "already freed");
}

TEST_CASE("in-place change of a saved tensor is caught with both op names") {
  auto x = tensor({1.0, 2.0}).requires_grad_();
  auto y = x * 2.0;
  auto z = y.exp();  // saves its output
  z.mul_(tensor({3.0, 3.0}));
  CHECK_THROWS_CONTAINING(z.sum().backward(), "mul_");
  auto w = x * 2.0;
  auto v = w.exp();
  v.add_(tensor({1.0, 1.0}));
  CHECK_THROWS_CONTAINING(v.sum().backward(), "backward of `exp`");
}

TEST_CASE("higher-order gradients through create_graph") {
  auto x = tensor({1.5}).requires_grad_();
  auto y = x * x * x;  // y' = 3x^2, y'' = 6x
  auto g = grad({y}, {x}, {}, {}, /*create_graph=*/true);
  CHECK(g[0].item() == doctest::Approx(3 * 1.5 * 1.5));
  auto gg = grad({g[0]}, {x});
  CHECK(gg[0].item() == doctest::Approx(6 * 1.5));
  CHECK_FALSE(x.grad().defined());  // grad() does not accumulate
}

TEST_CASE("NoGradGuard records nothing; detach cuts the graph") {
  auto x = tensor({1.0}).requires_grad_();
  {
    NoGradGuard guard;
    auto y = x * 2.0;
    CHECK_FALSE(y.requires_grad());
  }
  auto d = (x * 2.0).detach();
  CHECK_FALSE(d.requires_grad());
  CHECK(d.is_leaf());
}

TEST_CASE("hooks see and may replace gradients") {
  auto x = tensor({1.0, 2.0}).requires_grad_();
  auto y = x * 3.0;
  Tensor seen;
  y.register_hook([&](const Tensor& g) {
    seen = g;
    return g * 2.0;
  });
  y.sum().backward();
  CHECK_CLOSE(seen, tensor({1.0, 1.0}));
  CHECK_CLOSE(x.grad(), tensor({6.0, 6.0}));
}

TEST_CASE("retain_grad keeps a non-leaf gradient") {
  auto x = tensor({1.0, 2.0}).requires_grad_();
  auto y = x * 3.0;
  y.retain_grad();
  (y * y).sum().backward();
  CHECK_CLOSE(y.grad(), tensor({6.0, 12.0}));
}

TEST_CASE("grad with an unused input needs allow_unused") {
  auto x = tensor({1.0}).requires_grad_();
  auto z = tensor({1.0}).requires_grad_();
  auto y = x * 2.0;
  CHECK_THROWS_CONTAINING(grad({y}, {x, z}, {}, true), "allow_unused");
  auto g = grad({y}, {x, z}, {}, {}, false, /*allow_unused=*/true);
  CHECK_FALSE(g[1].defined());
}

TEST_CASE("backward of a non-scalar needs an explicit gradient") {
  auto x = tensor({1.0, 2.0}).requires_grad_();
  CHECK_THROWS_CONTAINING((x * 2.0).backward(), "one-element");
  (x * 2.0).backward(tensor({1.0, 10.0}));
  CHECK_CLOSE(x.grad(), tensor({2.0, 20.0}));
}

TEST_CASE("in-place op on a leaf that requires grad is refused") {
  auto x = tensor({1.0}).requires_grad_();
  CHECK_THROWS_CONTAINING(x.add_(tensor({1.0})), "leaf tensor that requires grad");
  NoGradGuard guard;
  x.add_(tensor({1.0}));
  CHECK(x.item() == 2.0);
}
