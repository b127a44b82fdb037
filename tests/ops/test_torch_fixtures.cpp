// Compares ember with PyTorch on fixed inputs: forward values and gradients.
// The expected values come from tests/fixtures/torch_ops.txt, written by
// tools/gen_fixtures.py with Debian's python3-torch; regenerate with
//   /usr/bin/python3 tools/gen_fixtures.py
#include <fstream>
#include <map>
#include <sstream>

#include "helpers.h"

using namespace ember;
using namespace ember::testing;

namespace {

struct Case {
  std::string name;
  std::map<std::string, Tensor> inputs, grads;
  std::vector<std::string> input_order;
  Tensor upstream, output;
};

Tensor parse_tensor(std::istringstream& in, const std::string& dtype) {
  int64_t ndim = 0;
  in >> ndim;
  Shape sizes(static_cast<size_t>(ndim));
  for (auto& s : sizes) in >> s;
  const int64_t n = numel_of(sizes);
  if (dtype == "int64") {
    std::vector<int64_t> v(static_cast<size_t>(n));
    for (auto& x : v) in >> x;
    return tensor(v, sizes);
  }
  std::vector<double> v(static_cast<size_t>(n));
  for (auto& x : v) in >> x;
  REQUIRE_MESSAGE(dtype == "float64", "unexpected fixture dtype ", dtype);
  return tensor(v, sizes);
}

std::vector<Case> load_cases() {
  std::ifstream file(std::string(EMBER_FIXTURES) + "/torch_ops.txt");
  REQUIRE_MESSAGE(file.good(), "missing fixture file; run /usr/bin/python3 tools/gen_fixtures.py");
  std::vector<Case> cases;
  std::string line;
  while (std::getline(file, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream in(line);
    std::string role, name, dtype;
    in >> role;
    if (role == "case") {
      cases.emplace_back();
      in >> cases.back().name;
      continue;
    }
    if (role == "end") continue;
    in >> name >> dtype;
    Tensor t = parse_tensor(in, dtype);
    REQUIRE_FALSE(in.fail());
    Case& c = cases.back();
    if (role == "in") {
      if (t.is_floating_point()) t.requires_grad_();
      c.inputs[name] = t;
      c.input_order.push_back(name);
    } else if (role == "up") {
      c.upstream = t;
    } else if (role == "out") {
      c.output = t;
    } else if (role == "grad") {
      c.grads[name] = t;
    }
  }
  return cases;
}

using Inputs = std::map<std::string, Tensor>;
using Op = std::function<Tensor(Inputs&)>;

const std::map<std::string, Op>& ops() {
  static const std::map<std::string, Op> table = {
      {"add_broadcast", [](Inputs& t) { return t["a"] + t["b"]; }},
      {"sub_alpha", [](Inputs& t) { return sub(t["a"], t["b"], 2.0); }},
      {"mul_broadcast", [](Inputs& t) { return t["a"] * t["b"]; }},
      {"div_broadcast", [](Inputs& t) { return t["a"] / t["b"]; }},
      {"pow_tensor", [](Inputs& t) { return pow(t["a"], t["b"]); }},
      {"pow_scalar", [](Inputs& t) { return pow(t["x"], 3.0); }},
      {"maximum", [](Inputs& t) { return maximum(t["a"], t["b"]); }},
      {"exp", [](Inputs& t) { return exp(t["x"]); }},
      {"log", [](Inputs& t) { return log(t["x"]); }},
      {"sqrt", [](Inputs& t) { return sqrt(t["x"]); }},
      {"rsqrt", [](Inputs& t) { return rsqrt(t["x"]); }},
      {"sin", [](Inputs& t) { return sin(t["x"]); }},
      {"cos", [](Inputs& t) { return cos(t["x"]); }},
      {"tanh", [](Inputs& t) { return tanh(t["x"]); }},
      {"sigmoid", [](Inputs& t) { return sigmoid(t["x"]); }},
      {"relu", [](Inputs& t) { return relu(t["x"]); }},
      {"gelu_erf", [](Inputs& t) { return gelu(t["x"]); }},
      {"gelu_tanh", [](Inputs& t) { return gelu(t["x"], /*approximate=*/true); }},
      {"clamp", [](Inputs& t) { return clamp(t["x"], -0.5, 0.8); }},
      {"abs", [](Inputs& t) { return abs(t["x"]); }},
      {"sum_dims",
       [](Inputs& t) {
         return t["x"].sum({0, 2});
       }},
      {"mean_keepdim", [](Inputs& t) { return t["x"].mean({1}, true); }},
      {"var_unbiased", [](Inputs& t) { return ember::var(t["x"], {1}); }},
      {"std_biased", [](Inputs& t) { return ember::std(t["x"], {0}, /*unbiased=*/false); }},
      {"norm2", [](Inputs& t) { return norm(t["x"], 2, {1}); }},
      {"prod", [](Inputs& t) { return prod(t["x"], {1}); }},
      {"max_dim", [](Inputs& t) { return std::get<0>(ember::max(t["x"], 1)); }},
      {"logsumexp", [](Inputs& t) { return logsumexp(t["x"], 1); }},
      {"softmax_last", [](Inputs& t) { return softmax(t["x"], -1); }},
      {"softmax_dim1", [](Inputs& t) { return softmax(t["x"], 1); }},
      {"log_softmax_last", [](Inputs& t) { return log_softmax(t["x"], -1); }},
      {"layer_norm", [](Inputs& t) { return layer_norm(t["x"], {8}, t["w"], t["b"], 1e-5); }},
      {"matmul_2d", [](Inputs& t) { return matmul(t["a"], t["b"]); }},
      {"matmul_batched_broadcast", [](Inputs& t) { return matmul(t["a"], t["b"]); }},
      {"matmul_vec", [](Inputs& t) { return matmul(t["a"], t["b"]); }},
      {"cross_entropy", [](Inputs& t) { return cross_entropy(t["logits"], t["target"]); }},
      {"cross_entropy_smooth",
       [](Inputs& t) { return cross_entropy(t["logits"], t["target"], {.label_smoothing = 0.1}); }},
      {"cross_entropy_sum",
       [](Inputs& t) {
         return cross_entropy(t["logits"], t["target"], {.reduction = Reduction::Sum});
       }},
      {"mse", [](Inputs& t) { return mse_loss(t["a"], t["b"]); }},
      {"bce_logits", [](Inputs& t) { return binary_cross_entropy_with_logits(t["x"], t["y"]); }},
      {"conv2d",
       [](Inputs& t) {
         return conv2d(t["x"], t["w"], t["b"], {2, 1}, {1, 1}, {1, 2});
       }},
      {"unfold",
       [](Inputs& t) {
         return unfold(t["x"], {2, 3}, 1, 1, {2, 1});
       }},
      {"embedding", [](Inputs& t) { return embedding(t["w"], t["idx"]); }},
      {"gather", [](Inputs& t) { return gather(t["x"], 1, t["idx"]); }},
      {"cat",
       [](Inputs& t) {
         return cat({t["a"], t["b"]}, 1);
       }},
      {"stack",
       [](Inputs& t) {
         return stack({t["a"], t["b"]}, 1);
       }},
      {"roll",
       [](Inputs& t) {
         return roll(t["x"], {1, -2}, {0, 1});
       }},
      {"pad",
       [](Inputs& t) {
         return pad(t["x"], {1, 2, 0, 1}, 0.5);
       }},
      {"tril", [](Inputs& t) { return tril(t["x"], -1); }},
  };
  return table;
}

}  // namespace

TEST_CASE("ember matches PyTorch on the fixture cases (values and gradients)") {
  const auto cases = load_cases();
  REQUIRE(cases.size() > 40);
  int checked = 0;
  for (const Case& c : cases) {
    CAPTURE(c.name);
    auto it = ops().find(c.name);
    REQUIRE_MESSAGE(it != ops().end(), "no ember computation for fixture case ", c.name);
    Inputs inputs = c.inputs;
    const Tensor out = it->second(inputs);
    CHECK_CLOSE(out, c.output, 1e-9, 1e-10);
    (out * c.upstream).sum().backward();
    for (const auto& [name, expected] : c.grads) {
      CAPTURE(name);
      REQUIRE(inputs[name].grad().defined());
      CHECK_CLOSE(inputs[name].grad(), expected, 1e-8, 1e-10);
    }
    ++checked;
  }
  CHECK(checked == static_cast<int>(cases.size()));
}
