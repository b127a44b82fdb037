// ember-demo: a small multi-layer perceptron learns to tell two interleaved spirals apart.
// Everything is raw ember: weights are leaf tensors that require grad, the forward pass is
// linear + tanh, the loss is softmax cross-entropy, and the update is a hand-written
// SGD-with-momentum step under NoGradGuard.
//
//   ember-demo [--steps N] [--hidden H] [--lr LR] [--points N] [--seed S] [--dot FILE]
//
// --dot FILE writes the autograd graph of the loss (Graphviz DOT; `dot -Tsvg FILE`).
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <numbers>
#include <string>
#include <string_view>
#include <vector>

#include <ember/ember.h>
#include <ember/ops/linalg.h>
#include <ember/ops/loss.h>
#include <ember/ops/reduce.h>

namespace {

using ember::Tensor;

struct Options {
  int steps = 1500;
  int hidden = 32;
  double lr = 0.1;
  double momentum = 0.9;
  int points = 200;  // per class
  uint64_t seed = 1;
  std::string dot_path;
};

[[noreturn]] void usage(const char* why, int status = 2) {
  fmt::print(status == 0 ? stdout : stderr,
             "ember-demo: {}\nusage: ember-demo [--steps N] [--hidden H] [--lr LR] "
             "[--points N] [--seed S] [--dot FILE]\n",
             why);
  std::exit(status);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (flag == "--help" || flag == "-h") usage("trains an MLP on two spirals", 0);
    if (i + 1 >= argc) usage("missing value after an option");
    const char* value = argv[++i];
    if (flag == "--dot") {
      o.dot_path = value;
      continue;
    }
    char* end = nullptr;
    if (flag == "--steps")
      o.steps = static_cast<int>(std::strtol(value, &end, 10));
    else if (flag == "--hidden")
      o.hidden = static_cast<int>(std::strtol(value, &end, 10));
    else if (flag == "--points")
      o.points = static_cast<int>(std::strtol(value, &end, 10));
    else if (flag == "--seed")
      o.seed = std::strtoull(value, &end, 10);
    else if (flag == "--lr")
      o.lr = std::strtod(value, &end);
    else
      usage("unknown option");
    if (end == value || *end != '\0') usage("option value is not a number");
  }
  if (o.steps < 1 || o.hidden < 1 || o.points < 2 || !(o.lr > 0)) usage("values must be positive");
  return o;
}

// Two spirals of `n` points each, 1.5 turns, with a little Gaussian noise.
// Returns inputs [2n, 2] (float32) and class labels [2n] (int64).
std::pair<Tensor, Tensor> two_spirals(int n, ember::Generator& gen) {
  const Tensor noise = ember::randn({2 * n, 2}, ember::kFloat32, &gen) * 0.04;
  const std::vector<float> jitter = noise.to_vector<float>();
  std::vector<float> xy(static_cast<size_t>(4 * n));
  std::vector<int64_t> label(static_cast<size_t>(2 * n));
  for (int c = 0; c < 2; ++c)
    for (int i = 0; i < n; ++i) {
      const double r = 0.1 + 0.9 * i / (n - 1);
      const double angle = 3 * std::numbers::pi * r + c * std::numbers::pi;
      const size_t k = static_cast<size_t>(c * n + i);
      xy[2 * k] = static_cast<float>(r * std::cos(angle)) + jitter[2 * k];
      xy[2 * k + 1] = static_cast<float>(r * std::sin(angle)) + jitter[2 * k + 1];
      label[k] = c;
    }
  return {ember::tensor(xy, {2 * n, 2}), ember::tensor(label)};
}

// A weight [out, in] scaled for tanh layers (variance 1/in), and a zero bias.
std::pair<Tensor, Tensor> layer(int in, int out, ember::Generator& gen) {
  Tensor w = (ember::randn({out, in}, ember::kFloat32, &gen) * (1.0 / std::sqrt(in))).detach();
  return {w.requires_grad_(), ember::zeros({out}).requires_grad_()};
}

int train(const Options& opt) {
  ember::Generator gen(opt.seed);
  const auto [x, labels] = two_spirals(opt.points, gen);

  auto [w1, b1] = layer(2, opt.hidden, gen);
  auto [w2, b2] = layer(opt.hidden, opt.hidden, gen);
  auto [w3, b3] = layer(opt.hidden, 2, gen);
  w1.set_name("w1"), b1.set_name("b1"), w2.set_name("w2"), b2.set_name("b2");
  w3.set_name("w3"), b3.set_name("b3");
  std::vector<Tensor> params = {w1, b1, w2, b2, w3, b3};
  std::vector<Tensor> velocity;
  for (const Tensor& p : params) velocity.push_back(ember::zeros_like(p));

  auto forward = [&](const Tensor& input) {
    const Tensor h1 = ember::linear(input, w1, b1).tanh();
    const Tensor h2 = ember::linear(h1, w2, b2).tanh();
    return ember::linear(h2, w3, b3);
  };
  auto accuracy = [&](const Tensor& logits) {
    ember::NoGradGuard no_grad;
    return logits.argmax(1).eq(labels).to(ember::kFloat32).mean().item();
  };

  fmt::print(
      "ember-demo: two spirals, {} points, MLP 2-{}-{}-2 (tanh), {} steps of SGD "
      "(lr {}, momentum {})\n",
      2 * opt.points, opt.hidden, opt.hidden, opt.steps, opt.lr, opt.momentum);
  const auto start = std::chrono::steady_clock::now();
  double final_loss = 0, final_accuracy = 0;
  for (int step = 1; step <= opt.steps; ++step) {
    const Tensor logits = forward(x);
    Tensor loss = ember::cross_entropy(logits, labels);
    if (step == 1 && !opt.dot_path.empty()) {
      loss.set_name("loss");
      ember::save_dot(loss, opt.dot_path);
      fmt::print("wrote the autograd graph of the loss to {}\n", opt.dot_path);
    }
    for (Tensor& p : params) p.set_grad(Tensor());
    loss.backward();
    {
      ember::NoGradGuard no_grad;
      for (size_t i = 0; i < params.size(); ++i) {
        velocity[i].mul_(opt.momentum).add_(params[i].grad());
        params[i].sub_(velocity[i], opt.lr);
      }
    }
    if (step == 1 || step % 100 == 0 || step == opt.steps) {
      final_loss = loss.item();
      final_accuracy = accuracy(logits);
      fmt::print("step {:5d}  loss {:.4f}  accuracy {:6.2f}%\n", step, final_loss,
                 100 * final_accuracy);
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  fmt::print("done in {:.2f} s: final loss {:.4f}, accuracy {:.2f}%\n", seconds, final_loss,
             100 * final_accuracy);
  return final_accuracy > 0.9 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const Options opt = parse(argc, argv);
  try {
    return train(opt);
  } catch (const ember::Error& e) {
    fmt::print(stderr, "ember-demo: {}\n", e.what());
    return 1;
  }
}
