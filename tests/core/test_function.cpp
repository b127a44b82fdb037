#include "ember/core/function.h"

#include "helpers.h"

using namespace ember;
using namespace ember::testing;

namespace {

// y = x^3, with its derivative written by hand.
struct Cube : Function<Cube> {
  static TensorList forward(FunctionContext& ctx, const TensorList& in) {
    ctx.save_for_backward({in[0]});
    return {in[0] * in[0] * in[0]};
  }
  static TensorList backward(FunctionContext& ctx, const TensorList& grad_out) {
    const Tensor x = ctx.saved()[0];
    return {grad_out[0] * 3.0 * x * x};
  }
};

// The same forward with a deliberately wrong derivative (2x^2 instead of 3x^2).
struct WrongCube : Function<WrongCube> {
  static std::string name() { return "WrongCube"; }
  static TensorList forward(FunctionContext& ctx, const TensorList& in) {
    ctx.save_for_backward({in[0]});
    return {in[0] * in[0] * in[0]};
  }
  static TensorList backward(FunctionContext& ctx, const TensorList& grad_out) {
    const Tensor x = ctx.saved()[0];
    return {grad_out[0] * 2.0 * x * x};
  }
};

// a * x + b, with `a` a plain double passed through apply() and the context's value store.
struct Affine : Function<Affine> {
  static TensorList forward(FunctionContext& ctx, const TensorList& in, double a) {
    ctx.set("a", a);
    return {in[0] * a + in[1]};
  }
  static TensorList backward(FunctionContext& ctx, const TensorList& g) {
    const double a = ctx.get<double>("a");
    return {ctx.needs_input_grad(0) ? g[0] * a : Tensor(),
            ctx.needs_input_grad(1) ? g[0] : Tensor()};
  }
};

// Two outputs (sum and product of two tensors), saving an output of its own.
struct SumAndProduct : Function<SumAndProduct> {
  static std::string name() { return "SumAndProduct"; }
  static TensorList forward(FunctionContext& ctx, const TensorList& in) {
    Tensor s = in[0] + in[1], p = in[0] * in[1];
    ctx.save_for_backward({in[0], in[1]});
    return {s, p};
  }
  static TensorList backward(FunctionContext& ctx, const TensorList& g) {
    const TensorList saved = ctx.saved();
    return {g[0] + g[1] * saved[1], g[0] + g[1] * saved[0]};
  }
};

// exp, saving its own output (the case where saving must not create a reference cycle).
struct Exp : Function<Exp> {
  static std::string name() { return "MyExp"; }
  static TensorList forward(FunctionContext& ctx, const TensorList& in) {
    Tensor out = in[0].exp();
    ctx.save_for_backward({out});
    return {out};
  }
  static TensorList backward(FunctionContext& ctx, const TensorList& g) {
    return {g[0] * ctx.saved()[0]};
  }
};

// Returns a gradient of the wrong shape.
struct BadShape : Function<BadShape> {
  static std::string name() { return "BadShape"; }
  static TensorList forward(FunctionContext&, const TensorList& in) { return {in[0] * 2.0}; }
  static TensorList backward(FunctionContext&, const TensorList& g) { return {g[0].sum({0})}; }
};

// Returns too many gradients.
struct BadCount : Function<BadCount> {
  static std::string name() { return "BadCount"; }
  static TensorList forward(FunctionContext&, const TensorList& in) { return {in[0] * 2.0}; }
  static TensorList backward(FunctionContext&, const TensorList& g) { return {g[0], g[0]}; }
};

// The max of each row and, non-differentiable, its index.
struct RowMax : Function<RowMax> {
  static std::string name() { return "RowMax"; }
  static TensorList forward(FunctionContext& ctx, const TensorList& in) {
    const Tensor x = in[0].contiguous().to(kFloat64);
    const int64_t rows = x.size(0), cols = x.size(1);
    Tensor values = empty({rows}, kFloat64), where = empty({rows}, kFloat64);
    const double* p = x.data_ptr<double>();
    for (int64_t r = 0; r < rows; ++r) {
      int64_t best = 0;
      for (int64_t c = 1; c < cols; ++c)
        if (p[r * cols + c] > p[r * cols + best]) best = c;
      values.data_ptr<double>()[r] = p[r * cols + best];
      where.data_ptr<double>()[r] = static_cast<double>(best);
    }
    ctx.mark_non_differentiable({where});
    ctx.save_for_backward({where});
    ctx.set("cols", cols);
    return {values, where};
  }
  static TensorList backward(FunctionContext& ctx, const TensorList& g) {
    const Tensor where = ctx.saved()[0];
    const auto cols = ctx.get<int64_t>("cols");
    const Tensor hit =
        arange(0, static_cast<double>(cols), 1, kFloat64).unsqueeze(0).eq(where.unsqueeze(1));
    return {where_(hit, g[0].unsqueeze(1))};
  }
  static Tensor where_(const Tensor& hit, const Tensor& g) {
    return ember::where(hit, g.expand({hit.size(0), hit.size(1)}), zeros({1}, kFloat64));
  }
};

// Returns its input unchanged.
struct Identity : Function<Identity> {
  static TensorList forward(FunctionContext&, const TensorList& in) { return {in[0]}; }
  static TensorList backward(FunctionContext&, const TensorList& g) { return {g[0]}; }
};

TensorList cube(const TensorList& in) {
  return Cube::apply({in[0]});
}

}  // namespace

TEST_CASE("custom function: values, graph node and gradient") {
  auto x = tensor({1.0, -2.0, 0.5}).requires_grad_();
  Tensor y = Cube::apply({x})[0];
  CHECK_CLOSE(y, tensor({1.0, -8.0, 0.125}));
  REQUIRE(y.grad_fn());
  CHECK(y.grad_fn()->name() == "Cube");  // the type's name when it has no name()
  y.sum().backward();
  CHECK_CLOSE(x.grad(), tensor({3.0, 12.0, 0.75}));
}

TEST_CASE("custom function: gradcheck passes for a correct backward") {
  CHECK_GRAD(cube, leaf({3, 4}, 1));
  CHECK_GRAD([](const TensorList& in) { return Cube::apply({in[0].t()}); }, leaf({3, 4}, 2));
  CHECK_GRAD(
      [](const TensorList& in) {
        return SumAndProduct::apply({in[0], in[1]});
      },
      leaf({2, 3}, 3), leaf({2, 3}, 4));
  CHECK_GRAD(
      [](const TensorList& in) {
        return Affine::apply({in[0], in[1]}, 2.5);
      },
      leaf({4}, 5), leaf({4}, 6));
  CHECK_GRAD([](const TensorList& in) { return Exp::apply({in[0]}); }, leaf({5}, 7));
}

TEST_CASE("custom function: gradcheck detects a wrong backward") {
  auto x = leaf({3}, 8);
  const auto result =
      gradcheck([](const TensorList& in) { return WrongCube::apply({in[0]}); }, {x});
  CHECK_FALSE(result.ok);
  CHECK(result.message.find("numerical") != std::string::npos);
}

TEST_CASE("custom function: higher-order gradients through a differentiable backward") {
  CHECK_GRADGRAD(cube, leaf({4}, 9));
  auto x = tensor({2.0}).requires_grad_();
  Tensor y = Cube::apply({x})[0];
  Tensor dy = grad({y}, {x}, {}, {}, /*create_graph=*/true)[0];
  CHECK(dy.item() == doctest::Approx(12.0));
  CHECK(grad({dy}, {x})[0].item() == doctest::Approx(12.0));  // 6x
}

TEST_CASE("custom function: a saved tensor modified in place is an error") {
  auto x = tensor({1.0, 2.0}).requires_grad_();
  Tensor h = x * 1.0;
  Tensor y = Cube::apply({h})[0];
  h.mul_(tensor({2.0, 2.0}));
  CHECK_THROWS_CONTAINING(y.sum().backward(), "backward of `Cube`");
  Tensor y2 = Exp::apply({x * 1.0})[0];
  y2.add_(tensor({1.0, 1.0}));
  CHECK_THROWS_CONTAINING(y2.sum().backward(), "add_");
}

TEST_CASE("custom function: multiple outputs, one of them unused") {
  auto a = tensor({1.0, 2.0}).requires_grad_();
  auto b = tensor({3.0, 4.0}).requires_grad_();
  TensorList out = SumAndProduct::apply({a, b});
  REQUIRE(out.size() == 2);
  CHECK(out[0].output_nr() == 0);
  CHECK(out[1].output_nr() == 1);
  CHECK(out[0].grad_fn() == out[1].grad_fn());
  out[1].sum().backward();  // the sum output gets a zero gradient
  CHECK_CLOSE(a.grad(), tensor({3.0, 4.0}));
  CHECK_CLOSE(b.grad(), tensor({1.0, 2.0}));
}

TEST_CASE("custom function: non-differentiable outputs and context values") {
  auto x = tensor(std::vector<double>{1, 5, 2, 7, 3, 4}, {2, 3}).requires_grad_();
  TensorList out = RowMax::apply({x});
  CHECK_CLOSE(out[0], tensor({5.0, 7.0}));
  CHECK_CLOSE(out[1], tensor({1.0, 0.0}));
  CHECK(out[0].requires_grad());
  CHECK_FALSE(out[1].requires_grad());
  out[0].sum().backward();
  CHECK_CLOSE(x.grad(), tensor(std::vector<double>{0, 1, 0, 1, 0, 0}, {2, 3}));
}

TEST_CASE("custom function: needs_input_grad and inputs without gradient") {
  auto x = tensor({1.0, 2.0}).requires_grad_();
  auto c = tensor({10.0, 20.0});
  Tensor y = Affine::apply({x, c}, 3.0)[0];
  y.sum().backward();
  CHECK_CLOSE(x.grad(), tensor({3.0, 3.0}));
  CHECK_FALSE(c.grad().defined());
}

TEST_CASE("custom function: no graph without inputs requiring grad, or under NoGradGuard") {
  auto c = tensor({1.0, 2.0});
  CHECK_FALSE(Cube::apply({c})[0].requires_grad());
  auto x = tensor({1.0}).requires_grad_();
  NoGradGuard guard;
  CHECK_FALSE(Cube::apply({x})[0].requires_grad());
}

TEST_CASE("custom function: returning an input leaves the input untouched") {
  auto x = tensor({1.0, 2.0}).requires_grad_();
  Tensor y = Identity::apply({x})[0];
  CHECK(x.is_leaf());
  CHECK_FALSE(y.is_same(x));
  REQUIRE(y.grad_fn());
  (y * 3.0).sum().backward();
  CHECK_CLOSE(x.grad(), tensor({3.0, 3.0}));
}

TEST_CASE("custom function: bad gradients give clear errors") {
  auto x = tensor(std::vector<double>{1, 2, 3, 4}, {2, 2}).requires_grad_();
  CHECK_THROWS_CONTAINING(BadShape::apply({x})[0].sum().backward(),
                          "backward of `BadShape` returned a gradient for input 0 that is a "
                          "float64 tensor of shape [2]");
  CHECK_THROWS_CONTAINING(BadCount::apply({x})[0].sum().backward(),
                          "BadCount: backward returned 2 gradients for 1 inputs");
}

TEST_CASE("custom function: context misuse errors") {
  auto x = tensor({1.0}).requires_grad_();
  auto bad_key = [](FunctionContext& ctx, const TensorList& in) {
    ctx.set("n", 1);
    CHECK_THROWS_CONTAINING(ctx.get<double>("n"), "different type");
    CHECK_THROWS_CONTAINING(ctx.get<double>("missing"), "no value named \"missing\"");
    CHECK_THROWS_CONTAINING(ctx.needs_input_grad(3), "has 1 inputs");
    return TensorList{in[0] * 1.0};
  };
  auto pass = [](FunctionContext&, const TensorList& g) { return g; };
  Tensor y = apply_function("Lambda", bad_key, pass, {x})[0];
  CHECK(y.grad_fn()->name() == "Lambda");
  auto no_output = [](FunctionContext&, const TensorList&) { return TensorList{Tensor()}; };
  CHECK_THROWS_CONTAINING(apply_function("Empty", no_output, pass, {x}),
                          "Empty: forward returned an undefined tensor as output 0");
}

TEST_CASE("custom function: the graph is freed after backward") {
  auto x = tensor({1.0, 2.0}).requires_grad_();
  std::weak_ptr<Node> node;
  {
    Tensor y = Exp::apply({x})[0];
    node = y.grad_fn();
    y.sum().backward();
  }
  CHECK(node.expired());  // no cycle through the saved output
  {
    Tensor y = Exp::apply({x})[0];
    node = y.grad_fn();
  }
  CHECK(node.expired());  // nor when backward never ran
}
