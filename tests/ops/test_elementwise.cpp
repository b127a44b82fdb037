#include "helpers.h"

using namespace ember;
using namespace ember::testing;

namespace {
using Unary = Tensor (*)(const Tensor&);

// Each unary op on a plain input, a transposed one and a strided slice.
void check_unary(Unary op, double lo = -2, double hi = 2) {
  Generator gen(7);
  auto x = uniform({3, 4}, lo, hi, kFloat64, &gen).requires_grad_();
  CHECK_GRAD([op](const TensorList& in) { return TensorList{op(in[0])}; }, x);
  CHECK_GRAD([op](const TensorList& in) { return TensorList{op(in[0].t())}; }, x);
  CHECK_GRAD([op](const TensorList& in) { return TensorList{op(in[0].slice(1, 0, 4, 2))}; }, x);
  CHECK_GRADGRAD([op](const TensorList& in) { return TensorList{op(in[0])}; }, x);
}
}  // namespace

TEST_CASE("unary ops: gradients") {
  SUBCASE("neg") {
    check_unary(neg);
  }
  SUBCASE("exp") {
    check_unary(exp);
  }
  SUBCASE("log") {
    check_unary(log, 0.5, 3);
  }
  SUBCASE("sqrt") {
    check_unary(sqrt, 0.5, 3);
  }
  SUBCASE("rsqrt") {
    check_unary(rsqrt, 0.5, 3);
  }
  SUBCASE("abs") {
    check_unary(abs, 0.1, 2);
  }
  SUBCASE("sin") {
    check_unary(sin);
  }
  SUBCASE("cos") {
    check_unary(cos);
  }
  SUBCASE("tanh") {
    check_unary(tanh);
  }
  SUBCASE("sigmoid") {
    check_unary(sigmoid);
  }
  SUBCASE("relu") {
    check_unary(relu, 0.1, 2);
  }
  SUBCASE("gelu") {
    check_unary([](const Tensor& x) { return gelu(x); });
  }
  SUBCASE("gelu tanh") {
    check_unary([](const Tensor& x) { return gelu(x, true); });
  }
  SUBCASE("clamp") {
    check_unary([](const Tensor& x) { return clamp(x, -0.5, 0.7); });
  }
  SUBCASE("pow scalar") {
    check_unary([](const Tensor& x) { return pow(x, 3.0); });
  }
}

TEST_CASE("binary ops: gradients with broadcasting and non-contiguous inputs") {
  auto a = leaf({2, 3, 4}, 1);
  auto b = leaf({3, 1}, 2);
  auto c = leaf({4, 3}, 3);
  auto pos = (leaf({3, 1}, 4).detach().abs() + 0.5).requires_grad_();
  using Binary = Tensor (*)(const Tensor&, const Tensor&);
  const std::pair<const char*, Binary> ops[] = {
      {"add", [](const Tensor& x, const Tensor& y) { return add(x, y); }},
      {"sub", [](const Tensor& x, const Tensor& y) { return sub(x, y, 2.0); }},
      {"mul", mul},
      {"div", div},
      {"maximum", maximum},
      {"minimum", minimum},
  };
  for (const auto& [name, op] : ops) {
    CAPTURE(std::string(name));
    CHECK_GRAD([op](const TensorList& in) { return TensorList{op(in[0], in[1])}; }, a, b);
    CHECK_GRAD([op](const TensorList& in) { return TensorList{op(in[0], in[1].t())}; }, a, c);
    CHECK_GRADGRAD([op](const TensorList& in) { return TensorList{op(in[0], in[1])}; }, a, pos);
  }
  CHECK_GRAD([](const TensorList& in) { return TensorList{pow(in[1], in[0])}; }, a, pos);
  CHECK_GRAD(
      [](const TensorList& in) {
        return TensorList{where(gt(in[0], wrap_scalar(0, in[0])), in[0], in[1])};
      },
      a, b);
  CHECK_GRAD(
      [](const TensorList& in) {
        return TensorList{masked_fill(in[0], gt(in[1], wrap_scalar(0, in[1])), -3.0)};
      },
      a, b);
}

TEST_CASE("binary ops: values, dtype promotion and errors") {
  auto i = tensor({1, 2, 3});
  CHECK(i.dtype() == kInt64);
  auto f = i + tensor({0.5f, 0.5f, 0.5f});
  CHECK(f.dtype() == kFloat32);
  CHECK_CLOSE(f, tensor({1.5f, 2.5f, 3.5f}));
  CHECK((i / tensor({2, 2, 2})).dtype() == kFloat32);  // true division
  CHECK((i * 2.0).dtype() == kInt64);
  CHECK((i * 2.5).dtype() == kFloat32);
  CHECK_THROWS_CONTAINING(add(ones({2, 3}), ones({4})),
                          "add: shapes [2,3] and [4] cannot be broadcast");
  CHECK_THROWS_CONTAINING(add(Tensor(), ones({4})), "undefined");
  CHECK_THROWS_CONTAINING(exp(i), "exp: expected a float32 or float64 tensor, got int64");
}

TEST_CASE("comparisons give bool tensors") {
  auto a = tensor({1.0f, 2.0f, 3.0f});
  auto b = tensor({3.0f, 2.0f, 1.0f});
  CHECK(eq(a, b).to_vector<bool>() == std::vector<bool>{false, true, false});
  CHECK(lt(a, b).to_vector<bool>() == std::vector<bool>{true, false, false});
  CHECK(ge(a, b).to_vector<bool>() == std::vector<bool>{false, true, true});
  CHECK(logical_not(eq(a, b)).to_vector<bool>() == std::vector<bool>{true, false, true});
  CHECK(lt(a, b).dtype() == kBool);
}

TEST_CASE("views share storage and their gradients route back") {
  auto x = leaf({2, 3, 4});
  CHECK(x.transpose(0, 2).storage() == x.storage());
  CHECK(x.slice(2, 1, 3).storage() == x.storage());
  CHECK_FALSE(x.transpose(0, 1).is_contiguous());
  CHECK_GRAD(
      [](const TensorList& in) {
        return TensorList{in[0].permute({2, 0, 1}).reshape({4, 6})};
      },
      x);
  CHECK_GRAD([](const TensorList& in) { return TensorList{in[0].select(1, -1) * 2.0}; }, x);
  CHECK_GRAD([](const TensorList& in) { return TensorList{in[0].narrow(2, 1, 2).flatten()}; }, x);
  CHECK_GRAD(
      [](const TensorList& in) {
        return TensorList{in[0].unsqueeze(1).expand({2, 5, 3, 4})};
      },
      x);
  CHECK_GRAD([](const TensorList& in) { return TensorList{in[0].slice(0, 0, 2, 2).squeeze(0)}; },
             x);
  CHECK_GRADGRAD(
      [](const TensorList& in) {
        return TensorList{in[0].slice(2, 1, 4, 2) * in[0].slice(2, 0, 2)};
      },
      x);
  CHECK_THROWS_CONTAINING(x.transpose(0, 1).view({6, 4}), "use reshape()");
  CHECK_THROWS_CONTAINING(x.view({5, -1}),
                          "view: shape [5,-1] is invalid for an input of shape [2,3,4]");
  CHECK_THROWS_CONTAINING(x.select(1, 3), "out of bounds");
  CHECK_THROWS_CONTAINING(x.permute({0, 0, 1}), "repeats");
  CHECK_THROWS_CONTAINING(x.expand({3, 3, 4}), "must match");
}

TEST_CASE("reductions sum and mean") {
  auto x = tensor(std::vector<double>{1, 2, 3, 4, 5, 6}, {2, 3});
  CHECK_CLOSE(x.sum({1}), tensor({6.0, 15.0}));
  CHECK_CLOSE(x.sum({0}, true), tensor(std::vector<double>{5, 7, 9}, {1, 3}));
  CHECK(x.sum().item() == 21.0);
  CHECK(x.mean().item() == 3.5);
  auto y = leaf({3, 4, 5});
  CHECK_GRAD([](const TensorList& in) { return TensorList{in[0].sum({0, 2})}; }, y);
  CHECK_GRAD([](const TensorList& in) { return TensorList{in[0].transpose(0, 2).mean({1}, true)}; },
             y);
  CHECK_GRADGRAD([](const TensorList& in) { return TensorList{(in[0] * in[0]).sum({1})}; }, y);
}

TEST_CASE("gelu in float32 (vectorised erf) agrees with float64 std::erf") {
  const Tensor x64 = linspace(-9, 9, 20001, kFloat64).requires_grad_();
  const Tensor x32 = x64.detach().to(kFloat32).requires_grad_();
  gelu(x64).sum().backward();
  gelu(x32).sum().backward();
  CHECK_CLOSE(gelu(x32).to(kFloat64), gelu(x64).detach(), 1e-6, 1e-6);
  CHECK_CLOSE(x32.grad().to(kFloat64), x64.grad(), 1e-6, 1e-6);
}
