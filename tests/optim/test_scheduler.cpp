#include "helpers.h"

using namespace ember;
using namespace ember::testing;
using namespace ember::optim;

namespace {

// An SGD optimizer over two one-element parameters in two groups (lr 0.1 and 0.01).
struct Fixture {
  Tensor a = zeros({1}, kFloat64).requires_grad_();
  Tensor b = zeros({1}, kFloat64).requires_grad_();
  SGD opt{std::vector<ParamGroup>{{.params = {a}, .lr = 0.1}, {.params = {b}, .lr = 0.01}},
          {.lr = 0.1}};
  double lr(size_t g = 0) const { return opt.param_groups()[g].lr; }
};

}  // namespace

TEST_CASE("LRScheduler: construction sets epoch 0 and initial_lr; base_lrs come from it") {
  Fixture f;
  StepLR step(f.opt, 2, 0.5);
  CHECK(step.last_epoch() == 0);
  CHECK(f.opt.param_groups()[0].initial_lr == 0.1);
  CHECK(step.get_last_lr() == std::vector<double>{0.1, 0.01});
  step.step();
  step.step();
  CHECK(f.lr() == 0.05);
  CHECK(f.lr(1) == 0.005);
  // A second scheduler keeps the groups' initial_lr as its base.
  ExponentialLR expo(f.opt, 0.9);
  CHECK(expo.base_lrs() == std::vector<double>{0.1, 0.01});
  CHECK(f.lr() == 0.05);  // ExponentialLR's epoch 0 keeps the current lr
  expo.step();
  CHECK(f.lr() == doctest::Approx(0.045).epsilon(1e-15));
}

TEST_CASE("NoamLR: warmup then inverse square root") {
  Fixture f;
  NoamLR noam(f.opt, 512, 4000, 2.0);
  const double scale = 2.0 / std::sqrt(512.0);
  CHECK(f.lr() == doctest::Approx(scale * 1.0 / std::pow(4000.0, 1.5)).epsilon(1e-14));
  CHECK(f.lr(1) == f.lr());  // absolute: the same for every group
  double previous = f.lr();
  for (int64_t step = 2; step <= 4000; ++step) {
    noam.step();
    CHECK(f.lr() > previous);
    previous = f.lr();
  }
  CHECK(f.lr() == doctest::Approx(scale / std::sqrt(4000.0)).epsilon(1e-14));  // the peak
  noam.step();
  CHECK(f.lr() < previous);
  CHECK(f.lr() == doctest::Approx(scale / std::sqrt(4001.0)).epsilon(1e-14));
}

TEST_CASE("LinearLR warmup composes with any scheduler through SequentialLR") {
  Fixture f;
  auto warmup = std::make_shared<LinearLR>(f.opt, 0.25, 1.0, 3);
  auto noam_like = std::make_shared<LambdaLR>(f.opt, [](int64_t e) { return 1.0 / (1.0 + e); });
  SequentialLR schedule(f.opt, {warmup, noam_like}, {3});
  std::vector<double> lrs;
  for (int i = 0; i < 6; ++i) {
    lrs.push_back(f.lr());
    schedule.step();
  }
  const std::vector<double> expected = {0.025, 0.05, 0.075, 0.1, 0.05, 0.1 / 3};
  for (size_t i = 0; i < lrs.size(); ++i)
    CHECK(lrs[i] == doctest::Approx(expected[i]).epsilon(1e-14));
  CHECK(schedule.get_last_lr() == std::vector<double>{f.lr(), f.lr(1)});
}

TEST_CASE("ReduceLROnPlateau by hand: patience, cooldown, min_lr, eps") {
  Fixture f;
  ReduceLROnPlateau plateau(
      f.opt, {.factor = 0.5, .patience = 1, .cooldown = 1, .min_lrs = {0.03, 0.0}, .eps = 0.01});
  CHECK(plateau.get_last_lr() == std::vector<double>{0.1, 0.01});
  plateau.step(1.0);  // best
  plateau.step(1.0);  // bad 1
  CHECK(f.lr() == 0.1);
  plateau.step(1.0);  // bad 2 > patience: reduce, cooldown 1
  CHECK(f.lr() == 0.05);
  CHECK(f.lr(1) == 0.01);  // 0.01 - 0.005 is not > eps: skipped
  CHECK(plateau.in_cooldown());
  plateau.step(1.0);  // cooldown: not counted
  plateau.step(1.0);  // bad 1
  CHECK(f.lr() == 0.05);
  plateau.step(1.0);  // bad 2: reduce to max(0.025, min_lr 0.03)
  CHECK(f.lr() == 0.03);
  plateau.step(0.5);  // improvement
  CHECK(plateau.best() == 0.5);
  CHECK(plateau.num_bad_epochs() == 0);
  CHECK(plateau.last_epoch() == 7);
}

TEST_CASE("schedulers: hyperparameter validation") {
  Fixture f;
  CHECK_THROWS_CONTAINING(StepLR(f.opt, 0), "StepLR: invalid step_size 0");
  CHECK_THROWS_CONTAINING(ExponentialLR(f.opt, std::nan("")), "invalid gamma nan");
  CHECK_THROWS_CONTAINING(CosineAnnealingLR(f.opt, 0), "invalid T_max 0");
  CHECK_THROWS_CONTAINING(LinearLR(f.opt, 0.0),
                          "invalid start_factor 0 (expected 0 < start_factor <= 1)");
  CHECK_THROWS_CONTAINING(LinearLR(f.opt, 0.5, 1.5), "invalid end_factor 1.5");
  CHECK_THROWS_CONTAINING(LinearLR(f.opt, 0.5, 1.0, 0), "invalid total_iters 0");
  CHECK_THROWS_CONTAINING(NoamLR(f.opt, 0, 10), "invalid d_model 0");
  CHECK_THROWS_CONTAINING(NoamLR(f.opt, 512, 0), "invalid warmup_steps 0");
  CHECK_THROWS_CONTAINING(
      LambdaLR(f.opt, std::vector<LambdaLR::Lambda>{[](int64_t) { return 1.0; }}),
      "LambdaLR: expected 2 lr_lambdas");
  CHECK_THROWS_CONTAINING(OneCycleLR(f.opt, std::vector<double>{0.1}, 10),
                          "OneCycleLR: expected 2 max_lr values");
  CHECK_THROWS_CONTAINING(OneCycleLR(f.opt, 0.1, 0), "invalid total_steps 0");
  CHECK_THROWS_CONTAINING(OneCycleLR(f.opt, 0.1, 10, {.pct_start = 1.5}), "invalid pct_start 1.5");
  CHECK_THROWS_CONTAINING(ReduceLROnPlateau(f.opt, {.factor = 1.0}), "invalid factor 1");
  CHECK_THROWS_CONTAINING(ReduceLROnPlateau(f.opt, {.patience = -1}), "invalid patience -1");
  CHECK_THROWS_CONTAINING(ReduceLROnPlateau(f.opt, {.min_lrs = {0.1, 0.2, 0.3}}),
                          "expected 1 or 2 min_lrs");

  auto first = std::make_shared<LinearLR>(f.opt, 0.5, 1.0, 2);
  auto second = std::make_shared<ExponentialLR>(f.opt, 0.9);
  CHECK_THROWS_CONTAINING(SequentialLR(f.opt, {first, second}, {}), "expected 1 milestone(s)");
  CHECK_THROWS_CONTAINING(SequentialLR(f.opt, {first, second, second}, {3, 3}),
                          "milestones must be positive and increasing");
  Fixture g;
  CHECK_THROWS_CONTAINING(SequentialLR(g.opt, {first, second}, {2}),
                          "scheduler 0 (LinearLR) is attached to a different optimizer");

  // A group added after the scheduler was built.
  StepLR step(f.opt, 1);
  f.opt.add_param_group({.params = {zeros({1}, kFloat64).requires_grad_()}});
  CHECK_THROWS_CONTAINING(
      step.step(), "the optimizer has 3 parameter group(s) but the scheduler was built for 2");
}

TEST_CASE("OneCycleLR: stepping past total_steps fails and changes nothing") {
  Fixture f;
  OneCycleLR cycle(f.opt, 1.0, 4);
  CHECK(f.opt.param_groups()[0].initial_lr == 1.0 / 25);
  CHECK(f.lr() == doctest::Approx(0.04).epsilon(1e-15));
  for (int i = 0; i < 3; ++i) cycle.step();
  CHECK(f.lr() == doctest::Approx(0.04 / 1e4).epsilon(1e-12));  // min_lr at step total_steps - 1
  cycle.step();  // PyTorch allows one more step (the cosine turns back up)
  const double lr = f.lr();
  CHECK_THROWS_CONTAINING(cycle.step(),
                          "OneCycleLR: tried to step 6 times, but the schedule has total_steps=4");
  CHECK(cycle.last_epoch() == 4);
  CHECK(f.lr() == lr);
}

TEST_CASE("scheduler state_dict: load validation") {
  Fixture f;
  auto warmup = std::make_shared<LinearLR>(f.opt, 0.5, 1.0, 4);
  auto cosine = std::make_shared<CosineAnnealingLR>(f.opt, 10, 0.001);
  SequentialLR schedule(f.opt, {warmup, cosine}, {4});
  for (int i = 0; i < 6; ++i) schedule.step();
  const SchedulerState saved = schedule.state_dict();
  CHECK(saved.at("last_epoch") == 6);
  CHECK(saved.at("schedulers.1.T_max") == 10);
  CHECK(saved.at("milestones.count") == 1);

  auto expect_error = [&](SchedulerState broken, const std::string& text) {
    const SchedulerState before = schedule.state_dict();
    CHECK_THROWS_CONTAINING(schedule.load_state_dict(broken), text.c_str());
    CHECK(schedule.state_dict() == before);
  };
  {
    auto s = saved;
    s.erase("schedulers.1.eta_min");
    expect_error(s, "SequentialLR: load_state_dict: missing key 'schedulers.1.eta_min'");
  }
  {
    auto s = saved;
    s["schedulers.0.surprise"] = 1;
    expect_error(s, "unexpected key 'schedulers.0.surprise'");
  }
  {
    auto s = saved;
    s["schedulers.1.T_max"] = 2.5;
    expect_error(s, "'schedulers.1.T_max' is 2.5, expected an integer");
  }
  {
    auto s = saved;
    s["schedulers.1.T_max"] = 0;
    expect_error(s, "invalid T_max 0");
  }
  {
    auto s = saved;
    s["base_lrs.count"] = 1;
    s.erase("base_lrs.1");
    expect_error(s, "'base_lrs.count' is 1 but the optimizer has 2 parameter group(s)");
  }

  Fixture g;
  ReduceLROnPlateau plateau(g.opt);
  auto state = plateau.state_dict();
  CHECK(state.at("best") == std::numeric_limits<double>::infinity());
  state["factor"] = 2.0;
  CHECK_THROWS_CONTAINING(plateau.load_state_dict(state), "invalid factor 2");
  state.erase("factor");
  CHECK_THROWS_CONTAINING(plateau.load_state_dict(state), "missing key 'factor'");
  CHECK(plateau.state_dict().at("factor") == 0.1);
}
