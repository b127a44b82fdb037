#include <filesystem>

#include "helpers.h"

#include "ember/core/safetensors.h"
#include "ember/optim/checkpoint.h"

using namespace ember;
using namespace ember::testing;

namespace {

struct TinyNet : nn::Module {
  std::shared_ptr<nn::Linear> fc1, fc2;
  std::shared_ptr<nn::Dropout> drop;
  TinyNet() : Module("TinyNet") {
    fc1 = register_module("fc1", std::make_shared<nn::Linear>(4, 8));
    drop = register_module("drop", std::make_shared<nn::Dropout>(0.2));
    fc2 = register_module("fc2", std::make_shared<nn::Linear>(8, 1));
  }
  Tensor forward(const Tensor& x) { return fc2->forward(drop->forward(relu(fc1->forward(x)))); }
};

struct Run {
  TinyNet net;
  optim::Adam opt{net.parameters(), {.lr = 0.01}};
  optim::StepLR sched{opt, 3, 0.5};
};

double train_step(Run& r, int64_t step) {
  Generator data(100 + static_cast<uint64_t>(step));  // the same batch for the same step
  const Tensor x = randn({16, 4}, {}, &data), y = randn({16, 1}, {}, &data);
  r.opt.zero_grad();
  Tensor loss = mse_loss(r.net.forward(x), y);
  loss.backward();
  r.opt.step();
  r.sched.step();
  return loss.item();
}

std::string temp_path(const char* name) {
  return (std::filesystem::temp_directory_path() /
          fmt::format("ember-test-{}-{}", name, ::getpid()))
      .string();
}

}  // namespace

TEST_CASE("checkpoint: a resumed run continues bit for bit") {
  manual_seed(42);
  Run straight;
  std::vector<double> expected;
  for (int64_t s = 0; s < 10; ++s) expected.push_back(train_step(straight, s));

  manual_seed(42);
  Run first;
  for (int64_t s = 0; s < 5; ++s) CHECK(train_step(first, s) == expected[s]);
  const std::string path = temp_path("resume");
  optim::save_checkpoint(path, {.model = first.net.state_dict(),
                                .optimizer = first.opt.state_dict(),
                                .scheduler = first.sched.state_dict(),
                                .rng = default_generator().get_state(),
                                .step = 5,
                                .epoch = 1,
                                .metadata = {{"config", "{\"d\": 8}"}}});

  manual_seed(7);  // a different initialisation and RNG position, all overwritten by the load
  Run resumed;
  const optim::Checkpoint ck = optim::load_checkpoint(path);
  resumed.net.load_state_dict(ck.model);
  resumed.opt.load_state_dict(ck.optimizer);
  resumed.sched.load_state_dict(ck.scheduler);
  default_generator().set_state(ck.rng);
  CHECK(ck.step == 5);
  CHECK(ck.epoch == 1);
  CHECK(ck.metadata.at("config") == "{\"d\": 8}");
  for (int64_t s = 5; s < 10; ++s) CHECK(train_step(resumed, s) == expected[s]);
  std::filesystem::remove(path);
}

TEST_CASE("checkpoint: a plain weights file is not mistaken for a checkpoint") {
  const std::string path = temp_path("plain");
  save_safetensors(path, {{"w", ones({2})}});
  CHECK_THROWS_CONTAINING(optim::load_checkpoint(path), "is not an ember training checkpoint");
  std::filesystem::remove(path);
}
