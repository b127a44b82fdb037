// A small model written as a user would: an nn::Module subclass, AdamW with parameter groups
// (no weight decay on biases and LayerNorm), linear warmup then cosine decay, gradient clipping,
// and a training checkpoint saved half-way and resumed. The task: classify 2-D points drawn
// from three interleaved spiral arms.
//
//   train_classifier [checkpoint-path]
#include <cmath>
#include <numbers>

#include <ember/ember.h>

using namespace ember;

struct Classifier : nn::Module {
  std::shared_ptr<nn::Sequential> body;
  std::shared_ptr<nn::Linear> head;

  Classifier(int64_t hidden, int64_t classes) : Module("Classifier") {
    body = register_module("body", std::make_shared<nn::Sequential>());
    body->push_back(std::make_shared<nn::Linear>(2, hidden))
        .push_back(std::make_shared<nn::GELU>())
        .push_back(std::make_shared<nn::LayerNorm>(hidden))
        .push_back(std::make_shared<nn::Linear>(hidden, hidden))
        .push_back(std::make_shared<nn::GELU>())
        .push_back(std::make_shared<nn::Dropout>(0.05));
    head = register_module("head", std::make_shared<nn::Linear>(hidden, classes));
  }
  Tensor forward(const Tensor& x) { return head->forward(body->forward(x)); }
};

// Three spiral arms with a little noise: features [3n, 2] (float32), labels [3n] (int64).
std::pair<Tensor, Tensor> spirals(int64_t n, Generator& gen) {
  TensorList points, labels;
  const Tensor t = linspace(0.05, 1.0, n);
  for (int64_t c = 0; c < 3; ++c) {
    const Tensor angle = t * 4.0 + (2 * std::numbers::pi * c / 3) + randn({n}, {}, &gen) * 0.15;
    points.push_back(stack({t * cos(angle), t * sin(angle)}, 1));
    labels.push_back(full({n}, static_cast<double>(c), kInt64));
  }
  return {cat(points), cat(labels)};
}

double accuracy(Classifier& model, const Tensor& x, const Tensor& y) {
  NoGradGuard no_grad;
  model.eval();
  const Tensor predicted = argmax(model.forward(x), 1);
  model.train();
  return eq(predicted, y).to(kFloat64).mean().item();
}

int main(int argc, char** argv) {
  const std::string checkpoint = argc > 1 ? argv[1] : "train_classifier.safetensors";
  manual_seed(0);
  Generator data(1);
  const auto [x, y] = spirals(200, data);

  Classifier model(64, 3);
  std::vector<optim::ParamGroup> groups(2);
  for (const auto& [name, p] : model.named_parameters())
    (p.dim() >= 2 ? groups[0] : groups[1]).params.push_back(p);  // matrices decay, the rest not
  groups[1].weight_decay = 0;
  optim::AdamW opt(groups, {.lr = 0.01, .weight_decay = 0.01});
  const int64_t steps = 400, warmup = 40;
  optim::SequentialLR schedule(opt,
                               {std::make_shared<optim::LinearLR>(opt, 0.01, 1.0, warmup),
                                std::make_shared<optim::CosineAnnealingLR>(opt, steps - warmup)},
                               {warmup});

  auto train = [&](int64_t from, int64_t to) {
    for (int64_t step = from; step < to; ++step) {
      opt.zero_grad();
      const Tensor loss = cross_entropy(model.forward(x), y);
      loss.backward();
      optim::clip_grad_norm_(model.parameters(), 1.0);
      opt.step();
      schedule.step();
      if ((step + 1) % 100 == 0)
        fmt::print("step {:4d}  loss {:.4f}  lr {:.5f}  accuracy {:.1f}%\n", step + 1, loss.item(),
                   schedule.get_last_lr()[0], 100 * accuracy(model, x, y));
    }
  };

  train(0, steps / 2);
  optim::save_checkpoint(checkpoint, {.model = model.state_dict(),
                                      .optimizer = opt.state_dict(),
                                      .scheduler = schedule.state_dict(),
                                      .rng = default_generator().get_state(),
                                      .step = steps / 2});
  fmt::print("saved {} ({} parameters)\n", checkpoint, model.num_parameters());

  // Resume as a fresh process would: load everything back, then continue.
  const optim::Checkpoint ck = optim::load_checkpoint(checkpoint);
  model.load_state_dict(ck.model);
  opt.load_state_dict(ck.optimizer);
  schedule.load_state_dict(ck.scheduler);
  default_generator().set_state(ck.rng);
  train(ck.step, steps);

  const double acc = accuracy(model, x, y);
  fmt::print("{}\nfinal training accuracy {:.1f}%\n", model, 100 * acc);
  return acc > 0.9 ? 0 : 1;
}
