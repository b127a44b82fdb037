#include "helpers.h"

#include "ember/ops/cpu/parallel.h"

using namespace ember;
using namespace ember::testing;
using ember::optim::StateDict;

namespace {

Tensor param(std::vector<double> values) {
  return tensor(values).requires_grad_();
}

void set_grad(Tensor& p, std::vector<double> values) {
  p.mutable_grad() = tensor(values, p.sizes());
}

// The Adam/AdamW update written with ordinary (unfused) ember ops: what the fused kernel must
// reproduce.
struct ReferenceAdam {
  double lr, beta1, beta2, eps, weight_decay;
  bool decoupled, amsgrad;
  Tensor m, v, vmax;
  int64_t step = 0;

  void update(Tensor& p, const Tensor& grad) {
    NoGradGuard no_grad;
    if (!m.defined()) {
      m = zeros_like(p);
      v = zeros_like(p);
      vmax = zeros_like(p);
    }
    ++step;
    Tensor g = grad;
    if (!decoupled && weight_decay != 0) g = g + p * weight_decay;
    if (decoupled) p.copy_(p * (1 - lr * weight_decay));
    m = m * beta1 + g * (1 - beta1);
    v = v * beta2 + g * g * (1 - beta2);
    if (amsgrad) vmax = maximum(vmax, v);
    const double bc1 = 1 - std::pow(beta1, static_cast<double>(step));
    const double bc2 = 1 - std::pow(beta2, static_cast<double>(step));
    const Tensor denom = sqrt(amsgrad ? vmax : v) / std::sqrt(bc2) + eps;
    p.copy_(p - m / denom * (lr / bc1));
  }
};

}  // namespace

TEST_CASE("Optimizer: hyperparameter validation names the optimizer and the value") {
  auto p = param({1.0, 2.0});
  CHECK_THROWS_CONTAINING(optim::SGD({p}, {}), "SGD: options.lr is required");
  CHECK_THROWS_CONTAINING(optim::SGD({p}, {.lr = -0.1}), "SGD: invalid learning rate -0.1");
  CHECK_THROWS_CONTAINING(optim::SGD({p}, {.lr = 0.1, .momentum = -1}), "invalid momentum -1");
  CHECK_THROWS_CONTAINING(optim::SGD({p}, {.lr = 0.1, .weight_decay = -1e-4}),
                          "invalid weight_decay");
  CHECK_THROWS_CONTAINING(optim::SGD({p}, {.lr = 0.1, .nesterov = true}),
                          "nesterov momentum requires momentum > 0 and dampening = 0");
  CHECK_THROWS_CONTAINING(
      optim::SGD({p}, {.lr = 0.1, .momentum = 0.9, .dampening = 0.1, .nesterov = true}),
      "dampening=0.1");
  CHECK_THROWS_CONTAINING(optim::Adam({p}, {.lr = -1}), "Adam: invalid learning rate -1");
  CHECK_THROWS_CONTAINING(optim::Adam({p}, {.betas = {1.0, 0.999}}),
                          "Adam: invalid beta1 1 (expected 0 <= beta1 < 1)");
  CHECK_THROWS_CONTAINING(optim::Adam({p}, {.betas = {0.9, -0.1}}), "invalid beta2 -0.1");
  CHECK_THROWS_CONTAINING(optim::Adam({p}, {.eps = -1e-8}), "invalid eps");
  CHECK_THROWS_CONTAINING(optim::AdamW({p}, {.weight_decay = -0.01}),
                          "AdamW: invalid weight_decay");
  CHECK_THROWS_CONTAINING(optim::Adam({p}, {.lr = std::nan("")}), "invalid learning rate nan");

  // Parameter lists.
  CHECK_THROWS_CONTAINING(optim::Adam(TensorList{}), "Adam: got an empty parameter list");
  CHECK_THROWS_CONTAINING(optim::Adam({p, p}), "appears more than once");
  CHECK_THROWS_CONTAINING(
      optim::Adam(std::vector<optim::ParamGroup>{{.params = {p}}, {.params = {p}}}),
      "parameter 0 of group 1");
  CHECK_THROWS_CONTAINING(optim::Adam({p * 2.0}), "is not a leaf tensor");
  CHECK_THROWS_CONTAINING(optim::Adam({tensor({1, 2})}), "only float32/float64");
  CHECK_THROWS_CONTAINING(optim::Adam({Tensor()}), "undefined tensor");
  CHECK_THROWS_CONTAINING(optim::Adam(std::vector<optim::ParamGroup>{{.params = {p}, .lr = -1.0}}),
                          "invalid lr of parameter group 0 -1");
  optim::Adam opt({p});
  CHECK_THROWS_CONTAINING(opt.add_param_group({.params = {param({1.0})}, .weight_decay = -2.0}),
                          "weight_decay of parameter group 1");
}

TEST_CASE("Optimizer: parameter groups with their own lr and weight decay") {
  auto a = param({1.0, 2.0});
  auto b = param({3.0});
  optim::SGD sgd(std::vector<optim::ParamGroup>{{.params = {a}, .lr = 0.1, .weight_decay = 0.5},
                                                {.params = {b}}},
                 {.lr = 0.2});
  REQUIRE(sgd.param_groups().size() == 2);
  CHECK(sgd.param_groups()[1].lr == 0.2);            // the default
  CHECK(sgd.param_groups()[1].weight_decay == 0.0);  // the default
  CHECK(std::isnan(sgd.param_groups()[1].initial_lr));
  set_grad(a, {1.0, 1.0});
  set_grad(b, {2.0});
  sgd.step();
  // a -= 0.1 (g + 0.5 a);  b -= 0.2 g
  CHECK_CLOSE(a, tensor({0.85, 1.8}), 1e-15, 0);
  CHECK_CLOSE(b, tensor({2.6}), 1e-15, 0);

  // A group added later takes the defaults it leaves unset.
  auto c = param({1.0});
  sgd.add_param_group({.params = {c}, .weight_decay = 1.0});
  CHECK(sgd.param_groups()[2].lr == 0.2);
  set_grad(c, {0.0});
  a.mutable_grad() = {};
  b.mutable_grad() = {};
  sgd.step();
  CHECK_CLOSE(c, tensor({0.8}), 1e-15, 0);    // decay only: 1 - 0.2 * 1
  CHECK_CLOSE(a, tensor({0.85, 1.8}), 0, 0);  // no gradient: untouched

  // AdamW's decoupled decay: with a zero gradient the update is exactly p *= 1 - lr * wd.
  auto decayed = param({2.0});
  auto kept = param({2.0});
  optim::AdamW adamw(std::vector<optim::ParamGroup>{{.params = {decayed}},
                                                    {.params = {kept}, .weight_decay = 0.0}},
                     {.lr = 0.1, .weight_decay = 0.5});
  set_grad(decayed, {0.0});
  set_grad(kept, {0.0});
  adamw.step();
  CHECK(decayed.item<double>() == 2.0 * (1 - 0.1 * 0.5));
  CHECK(kept.item<double>() == 2.0);
}

TEST_CASE("Adam: the first step moves each weight by about lr against the gradient's sign") {
  auto p = param({1.0, -1.0, 0.5});
  optim::Adam opt({p}, {.lr = 0.1});
  set_grad(p, {0.5, -3.0, 1e-3});
  opt.step();
  CHECK_CLOSE(p, tensor({0.9, -0.9, 0.4}), 1e-6, 1e-6);
  const auto* state = opt.state(p);
  REQUIRE(state != nullptr);
  CHECK(state->step == 1);
  CHECK(state->buffers.size() == 2);
  CHECK_CLOSE(state->buffers.at("exp_avg"), tensor({0.05, -0.3, 1e-4}), 1e-12, 0);
  CHECK_CLOSE(state->buffers.at("exp_avg_sq"), tensor({0.00025, 0.009, 1e-9}), 1e-12, 0);

  optim::Adam ams({param({1.0})}, {.amsgrad = true});
  ams.param_groups()[0].params[0].mutable_grad() = tensor({1.0});
  ams.step();
  CHECK(ams.state(ams.param_groups()[0].params[0])->buffers.count("max_exp_avg_sq") == 1);
}

TEST_CASE("Optimizer: fused updates match the unfused reference, at any thread count") {
  // Larger than the parallel grain, so the update is split across threads.
  const int64_t n = 3 * cpu::kParallelGrain + 17;
  for (DType dtype : {kFloat32, kFloat64}) {
    CAPTURE(dtype);
    const double tol = dtype == kFloat32 ? 2e-5 : 1e-12;
    for (bool decoupled : {false, true}) {
      for (bool amsgrad : {false, true}) {
        CAPTURE(decoupled);
        CAPTURE(amsgrad);
        Generator gen(7);
        const Tensor init = randn({n}, dtype, &gen);
        Tensor fused = init.clone().requires_grad_();
        Tensor single = init.clone().requires_grad_();
        Tensor reference = init.clone();
        ReferenceAdam ref{0.01, 0.9, 0.99, 1e-8, 0.1, decoupled, amsgrad, {}, {}, {}};
        std::unique_ptr<optim::Optimizer> a, b;
        if (decoupled) {
          a = std::make_unique<optim::AdamW>(
              TensorList{fused},
              optim::AdamWOptions{
                  .lr = 0.01, .betas = {0.9, 0.99}, .weight_decay = 0.1, .amsgrad = amsgrad});
          b = std::make_unique<optim::AdamW>(
              TensorList{single},
              optim::AdamWOptions{
                  .lr = 0.01, .betas = {0.9, 0.99}, .weight_decay = 0.1, .amsgrad = amsgrad});
        } else {
          const optim::AdamOptions o{
              .lr = 0.01, .betas = {0.9, 0.99}, .weight_decay = 0.1, .amsgrad = amsgrad};
          a = std::make_unique<optim::Adam>(TensorList{fused}, o);
          b = std::make_unique<optim::Adam>(TensorList{single}, o);
        }
        const int threads = get_num_threads();
        for (int step = 0; step < 3; ++step) {
          const Tensor grad = randn({n}, dtype, &gen) * (step == 0 ? 3.0 : 0.5);
          fused.mutable_grad() = grad.clone();
          single.mutable_grad() = grad.clone();
          a->step();
          set_num_threads(1);
          b->step();
          set_num_threads(threads);
          ref.update(reference, grad);
        }
        CHECK(fused.to_vector<double>() == single.to_vector<double>());
        CHECK_CLOSE(fused, reference, tol, tol);
      }
    }
  }
}

TEST_CASE("SGD: momentum, dampening and nesterov by hand") {
  auto p = param({1.0});
  optim::SGD opt({p}, {.lr = 0.1, .momentum = 0.9, .dampening = 0.5});
  set_grad(p, {1.0});
  opt.step();  // buf = g = 1 (no dampening on the first step); p = 1 - 0.1
  CHECK(p.item<double>() == 1.0 - 0.1);
  set_grad(p, {2.0});
  opt.step();  // buf = 0.9 + 0.5 * 2 = 1.9; p = 0.9 - 0.19
  CHECK(p.item<double>() == doctest::Approx(0.71).epsilon(1e-15));
  CHECK(opt.state(p)->buffers.at("momentum_buffer").item<double>() ==
        doctest::Approx(1.9).epsilon(1e-15));

  auto q = param({1.0});
  optim::SGD nesterov({q}, {.lr = 0.1, .momentum = 0.5, .nesterov = true, .maximize = true});
  set_grad(q, {-1.0});  // maximize: g = 1; buf = 1; d = g + 0.5 buf = 1.5
  nesterov.step();
  CHECK(q.item<double>() == doctest::Approx(0.85).epsilon(1e-15));

  // Plain SGD keeps no buffers.
  auto r = param({1.0});
  optim::SGD plain({r}, {.lr = 1.0});
  set_grad(r, {0.25});
  plain.step();
  CHECK(r.item<double>() == 0.75);
  CHECK(plain.state(r)->buffers.empty());
}

TEST_CASE("Optimizer: skips parameters without gradients; zero_grad") {
  auto a = param({1.0});
  auto b = param({1.0});
  optim::Adam opt({a, b});
  set_grad(a, {1.0});
  opt.step();
  CHECK(opt.state(a) != nullptr);
  CHECK(opt.state(b) == nullptr);
  CHECK(b.item<double>() == 1.0);

  opt.zero_grad(false);
  REQUIRE(a.grad().defined());
  CHECK(a.grad().item<double>() == 0.0);
  CHECK_FALSE(b.grad().defined());
  opt.zero_grad();
  CHECK_FALSE(a.grad().defined());
}

TEST_CASE("Optimizer: non-contiguous parameters and gradients") {
  Generator gen(3);
  const Tensor base = randn({3, 4}, kFloat64, &gen);
  Tensor strided = base.t();  // a leaf view with transposed strides
  strided.requires_grad_();
  Tensor dense = strided.contiguous().detach().requires_grad_();
  optim::Adam a({strided}, {.lr = 0.05, .amsgrad = true});
  optim::Adam b({dense}, {.lr = 0.05, .amsgrad = true});
  for (int step = 0; step < 3; ++step) {
    const Tensor g = randn({3, 4}, kFloat64, &gen);
    strided.mutable_grad() = g.t();  // non-contiguous gradient
    dense.mutable_grad() = g.t().contiguous();
    a.step();
    b.step();
  }
  CHECK(strided.contiguous().to_vector<double>() == dense.to_vector<double>());
  CHECK(base.t().contiguous().to_vector<double>() == dense.to_vector<double>());  // written back
}

TEST_CASE("Optimizer: a step bumps the version, so a stale graph cannot run backward") {
  auto p = param({1.0, 2.0});
  optim::SGD opt({p}, {.lr = 0.1});
  const uint64_t before = p.version();
  auto loss = (p * p).sum();
  set_grad(p, {1.0, 1.0});
  opt.step();
  CHECK(p.version() > before);
  CHECK_THROWS_CONTAINING(loss.backward(), "modified in place");
}

TEST_CASE("Optimizer: gradient checks at step time") {
  auto p = param({1.0, 2.0});
  optim::SGD opt({p}, {.lr = 0.1});
  p.mutable_grad() = tensor({1.0f, 2.0f});
  CHECK_THROWS_CONTAINING(opt.step(),
                          "SGD: the gradient of parameter 0 of group 0 is a float32 tensor");
  p.mutable_grad() = tensor({1.0, 2.0, 3.0});
  CHECK_THROWS_CONTAINING(opt.step(), "shape [3]");
}

TEST_CASE("Optimizer: state_dict round trip and load validation") {
  auto make_params = [] { return TensorList{param({1.0, 2.0, 3.0}), param({-1.0, 0.5})}; };
  auto a = make_params();
  optim::Adam opt(std::vector<optim::ParamGroup>{{.params = {a[0]}, .lr = 0.01},
                                                 {.params = {a[1]}, .weight_decay = 0.0}},
                  {.lr = 0.02, .betas = {0.8, 0.9}, .weight_decay = 0.1, .amsgrad = true});
  set_grad(a[0], {0.1, -0.2, 0.3});
  set_grad(a[1], {1.0, 2.0});
  opt.step();
  a[1].mutable_grad() = {};
  opt.step();  // a[0] at step 2, a[1] still at step 1
  const auto saved = opt.state_dict();
  CHECK(saved.at("state.0.0.step").item<int64_t>() == 2);
  CHECK(saved.at("state.1.0.step").item<int64_t>() == 1);
  CHECK(saved.at("group.0.lr").item<double>() == 0.01);
  CHECK(saved.at("group.1.lr").item<double>() == 0.02);
  CHECK(saved.at("options.beta1").item<double>() == 0.8);
  CHECK(saved.at("options.amsgrad").item<double>() == 1.0);
  CHECK(saved.count("state.1.0.max_exp_avg_sq") == 1);

  // The saved tensors are copies: stepping again does not change them.
  const auto exp_avg = saved.at("state.0.0.exp_avg").to_vector<double>();
  set_grad(a[0], {1.0, 1.0, 1.0});
  opt.step();
  CHECK(saved.at("state.0.0.exp_avg").to_vector<double>() == exp_avg);

  // A differently configured optimizer takes the saved options and groups.
  auto b = make_params();
  optim::Adam other(std::vector<optim::ParamGroup>{{.params = {b[0]}}, {.params = {b[1]}}});
  other.load_state_dict(saved);
  CHECK(other.options().betas.first == 0.8);
  CHECK(other.options().amsgrad);
  CHECK(other.param_groups()[0].lr == 0.01);
  CHECK(other.param_groups()[1].weight_decay == 0.0);
  CHECK(other.state(b[0])->step == 2);

  auto expect_error = [&](StateDict broken, const std::string& text) {
    auto c = make_params();
    optim::Adam target(std::vector<optim::ParamGroup>{{.params = {c[0]}}, {.params = {c[1]}}});
    const auto before = target.state_dict();
    CHECK_THROWS_CONTAINING(target.load_state_dict(broken), text.c_str());
    // Nothing changed.
    const auto after = target.state_dict();
    CHECK(after.size() == before.size());
    CHECK(target.options().betas.first == 0.9);
    CHECK(target.param_groups()[0].lr == 1e-3);
  };
  {
    auto s = saved;
    s.erase("state.0.0.exp_avg");
    expect_error(s, "Adam: load_state_dict: missing key 'state.0.0.exp_avg'");
  }
  {
    auto s = saved;
    s.erase("state.1.0.step");
    expect_error(s, "missing key 'state.1.0.step'");
  }
  {
    auto s = saved;
    s["state.0.0.exp_avg_sq"] = zeros({4}, kFloat64);
    expect_error(s,
                 "'state.0.0.exp_avg_sq' is a float64 tensor of shape [4] on cpu but "
                 "parameter 0 of group 0");
  }
  {
    auto s = saved;
    s["state.1.0.exp_avg"] = zeros({2}, kFloat32);
    expect_error(s, "'state.1.0.exp_avg' is a float32");
  }
  {
    auto s = saved;
    s["state.0.0.step"] = scalar_tensor(2.0, kFloat64);
    expect_error(s, "'state.0.0.step' should be a 0-d int64 tensor");
  }
  {
    auto s = saved;
    s["bogus"] = zeros({1});
    expect_error(s, "unexpected key 'bogus'");
  }
  {
    auto s = saved;
    s["state.0.0.momentum_buffer"] = zeros({3}, kFloat64);
    expect_error(s, "unexpected key 'state.0.0.momentum_buffer'");
  }
  {
    auto s = saved;
    s["options.beta1"] = scalar_tensor(1.5, kFloat64);
    expect_error(s, "invalid beta1 1.5");
  }
  {
    auto s = saved;
    s["options.amsgrad"] = scalar_tensor(0.0, kFloat64);  // max_exp_avg_sq no longer expected
    expect_error(s, "unexpected key 'state.0.0.max_exp_avg_sq'");
  }
  {
    auto s = saved;
    s.erase("group.1.lr");
    expect_error(s, "missing key 'group.1.lr'");
  }

  // Layout mismatches.
  {
    auto c = make_params();
    optim::Adam one_group({c[0], c[1]});
    CHECK_THROWS_CONTAINING(one_group.load_state_dict(saved),
                            "key 'group.1.initial_lr' is for parameter group 1 but the optimizer "
                            "has 1 group(s)");
  }
  {
    auto c = make_params();
    auto extra = param({0.0});
    optim::Adam bigger(
        std::vector<optim::ParamGroup>{{.params = {c[0], extra}}, {.params = {c[1]}}});
    CHECK_THROWS_CONTAINING(bigger.load_state_dict(saved),
                            "'group.0.num_params' is 1 but parameter group 0 of the optimizer has "
                            "2 parameter(s)");
  }
  {
    auto c = make_params();
    optim::SGD sgd(std::vector<optim::ParamGroup>{{.params = {c[0]}}, {.params = {c[1]}}},
                   {.lr = 0.1});
    CHECK_THROWS_CONTAINING(sgd.load_state_dict(saved),
                            "SGD: load_state_dict: missing key "
                            "'options.dampening'");
  }
}
