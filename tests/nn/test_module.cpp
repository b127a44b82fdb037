#include "helpers.h"

#include "ember/nn/containers.h"
#include "ember/nn/init.h"
#include "ember/nn/module.h"

using namespace ember;
using namespace ember::testing;

namespace {

// y = x * scale + shift, with a buffer counting calls.
struct Affine : nn::Module {
  Tensor scale, shift, calls;
  explicit Affine(int64_t n) : Module("Affine") {
    scale = register_parameter("scale", ones({n}));
    shift = register_parameter("shift", zeros({n}));
    calls = register_buffer("calls", zeros({1}, kInt64));
  }
  Tensor forward(const Tensor& x) {
    {
      NoGradGuard g;
      calls.add_(ones({1}, kInt64));
    }
    return x * scale + shift;
  }
  std::string extra_repr() const override { return fmt::format("n={}", scale.numel()); }
};

struct Net : nn::Module {
  std::shared_ptr<Affine> first;
  std::shared_ptr<nn::Sequential> rest;
  Net() : Module("Net") {
    first = register_module("first", std::make_shared<Affine>(3));
    rest = register_module("rest", std::make_shared<nn::Sequential>());
    rest->push_back(std::make_shared<Affine>(3)).push_back(std::make_shared<Affine>(3));
  }
  Tensor forward(const Tensor& x) { return rest->forward(first->forward(x)); }
};

}  // namespace

TEST_CASE("Module: recursive names in registration order") {
  Net net;
  std::vector<std::string> names;
  for (auto& [n, _] : net.named_parameters()) names.push_back(n);
  CHECK(names == std::vector<std::string>{"first.scale", "first.shift", "rest.0.scale",
                                          "rest.0.shift", "rest.1.scale", "rest.1.shift"});
  CHECK(net.named_buffers().size() == 3);
  CHECK(net.named_modules().size() == 5);
  CHECK(net.num_parameters() == 18);
  CHECK(net.parameters()[0].requires_grad());
  CHECK_THROWS_CONTAINING(net.register_parameter("first", ones({1})), "already registered");
  CHECK_THROWS_CONTAINING(net.register_parameter("a.b", ones({1})), "invalid name");
}

TEST_CASE("Module: forward, backward, zero_grad and train/eval") {
  Net net;
  auto y = net.forward(tensor({1.0f, 2.0f, 3.0f})).sum();
  y.backward();
  CHECK_CLOSE(net.first->scale.grad(), tensor({1.0f, 2.0f, 3.0f}));
  net.zero_grad();
  CHECK_FALSE(net.first->scale.grad().defined());
  net.eval();
  CHECK_FALSE(net.rest->child("0")->is_training());
  net.train();
  CHECK(net.rest->child("1")->is_training());
}

TEST_CASE("Module: state_dict round trip and strict loading errors") {
  Net a, b;
  {
    NoGradGuard g;
    a.first->scale.fill_(2.0);
  }
  b.load_state_dict(a.state_dict());
  CHECK_CLOSE(b.first->scale, full({3}, 2.0));
  auto state = a.state_dict();
  state.erase("rest.1.shift");
  state["extra"] = zeros({1});
  state["first.scale"] = zeros({4});
  try {
    b.load_state_dict(state);
    FAIL("expected an error");
  } catch (const Error& e) {
    const std::string msg = e.what();
    CHECK(msg.find("missing keys: rest.1.shift") != std::string::npos);
    CHECK(msg.find("unexpected keys: extra") != std::string::npos);
    CHECK(msg.find("first.scale (expected float32 [3]") != std::string::npos);
  }
  state["first.scale"] = zeros({3});
  b.load_state_dict(state, /*strict=*/false);
  CHECK(b.first->scale.sum().item() == 0.0);
}

TEST_CASE("Module: to(dtype) converts every handle in place") {
  Net net;
  Tensor handle = net.first->scale;
  net.to(kFloat64);
  CHECK(handle.dtype() == kFloat64);
  CHECK(net.parameters()[0].dtype() == kFloat64);
  CHECK(net.first->calls.dtype() == kInt64);  // integer buffers keep their dtype
  CHECK(handle.requires_grad());
}

TEST_CASE("Module: printout shows the tree with parameter counts") {
  Net net;
  const std::string s = net.str();
  CHECK(s.find("Net()  # 18 params\n") == 0);
  CHECK(s.find("(first): Affine(n=3)  # 6 params") != std::string::npos);
  CHECK(s.find("(rest): Sequential()") != std::string::npos);
}

TEST_CASE("ModuleList and ModuleDict register their items") {
  nn::ModuleList list;
  list.push_back(std::make_shared<Affine>(2));
  list.push_back(std::make_shared<Affine>(4));
  CHECK(list.num_parameters() == 12);
  CHECK(list.at<Affine>(1)->scale.numel() == 4);
  CHECK_THROWS_CONTAINING(list[2], "out of range");
  nn::ModuleDict dict;
  dict.insert("enc", std::make_shared<Affine>(2));
  CHECK(dict.contains("enc"));
  CHECK(dict.named_parameters()[0].first == "enc.scale");
  CHECK_THROWS_CONTAINING(dict["dec"], "no submodule named 'dec'");
}

TEST_CASE("init: seeded and with the documented statistics") {
  Tensor w = empty({256, 128});
  Generator g1(3), g2(3);
  nn::init::xavier_uniform_(w, 1.0, &g1);
  const double bound = std::sqrt(6.0 / (256 + 128));
  CHECK(w.abs().max().item() <= bound);
  Tensor w2 = empty({256, 128});
  nn::init::xavier_uniform_(w2, 1.0, &g2);
  CHECK(allclose(w, w2, 0, 0));
  nn::init::kaiming_normal_(w, 0, nn::init::FanMode::FanIn, nn::init::Nonlinearity::ReLU, &g1);
  const double want_std = std::sqrt(2.0 / 128);
  CHECK(std::sqrt((w * w).mean().item()) == doctest::Approx(want_std).epsilon(0.05));
  Tensor t = empty({10000}, kFloat64);
  nn::init::trunc_normal_(t, 0.0, 1.0, -0.5, 1.0, &g1);
  CHECK(t.min().item() >= -0.5);
  CHECK(t.max().item() <= 1.0);
  CHECK(t.mean().item() == doctest::Approx(0.2).epsilon(0.1));  // mean of N(0,1) on [-0.5, 1]
  auto fans = nn::init::fans(empty({8, 4, 3, 3}));
  CHECK(fans.first == 36);
  CHECK(fans.second == 72);
}
