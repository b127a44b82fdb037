// Replays tests/fixtures/optim_trajectories.txt (written by tools/gen_optim_fixtures.py with
// PyTorch 1.13): the same initial parameters and gradients must give the same parameters after
// every step, and the schedulers the same learning rate at every epoch. Each case is also cut
// in the middle, saved, loaded into fresh objects and continued: the resumed run must match the
// uninterrupted one exactly.
#include <fstream>
#include <sstream>

#include "helpers.h"

using namespace ember;
using namespace ember::testing;

namespace {

std::vector<std::string> split(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

double number(const std::string& word) {
  return std::stod(word);
}

std::vector<double> numbers(const std::vector<std::string>& words, size_t from) {
  std::vector<double> out;
  for (size_t i = from; i < words.size(); ++i) out.push_back(number(words[i]));
  return out;
}

struct Block {
  std::string kind, name, cls;
  std::vector<std::vector<std::string>> lines;  // everything between the header and "end"
  std::map<std::string, double> options;

  double option(const std::string& key, double fallback) const {
    auto it = options.find(key);
    return it == options.end() ? fallback : it->second;
  }
  double option(const std::string& key) const {
    auto it = options.find(key);
    REQUIRE_MESSAGE(it != options.end(), name, ": the fixture has no option ", key);
    return it->second;
  }
};

std::vector<Block> read_fixture() {
  std::ifstream file(std::string(EMBER_FIXTURES) + "/optim_trajectories.txt");
  REQUIRE_MESSAGE(file.good(),
                  "cannot open optim_trajectories.txt; run tools/gen_optim_fixtures.py");
  std::vector<Block> blocks;
  for (std::string line; std::getline(file, line);) {
    if (line.empty() || line[0] == '#') continue;
    auto words = split(line);
    if (words[0] == "optim" || words[0] == "sched") {
      blocks.push_back({words[0], words[1], words[2], {}, {}});
    } else if (words[0] == "end") {
      continue;
    } else if (words[0] == "option") {
      blocks.back().options[words[1]] = number(words[2]);
    } else {
      blocks.back().lines.push_back(std::move(words));
    }
  }
  return blocks;
}

// --- optimizers --------------------------------------------------------------------------------

struct OptimCase {
  const Block* block;
  std::vector<Tensor> initial;
  // grads[step][param], values[step][param]; step 0 is the first step.
  std::vector<std::vector<std::optional<std::vector<double>>>> grads;
  std::vector<std::vector<std::vector<double>>> values;
  std::vector<std::tuple<double, double, std::vector<size_t>>> groups;
};

OptimCase parse_optim(const Block& b) {
  OptimCase c{&b, {}, {}, {}, {}};
  for (const auto& w : b.lines) {
    if (w[0] == "group") {
      std::vector<size_t> idx;
      for (size_t i = 3; i < w.size(); ++i) idx.push_back(std::stoul(w[i]));
      c.groups.emplace_back(number(w[1]), number(w[2]), idx);
    } else if (w[0] == "param") {
      const size_t ndim = std::stoul(w[2]);
      Shape shape;
      for (size_t d = 0; d < ndim; ++d) shape.push_back(std::stol(w[3 + d]));
      c.initial.push_back(tensor(numbers(w, 3 + ndim), shape));
    } else if (w[0] == "grad" || w[0] == "value") {
      const size_t step = std::stoul(w[1]) - 1, i = std::stoul(w[2]);
      if (c.grads.size() <= step) c.grads.resize(step + 1);
      if (c.values.size() <= step) c.values.resize(step + 1);
      if (w[0] == "grad") {
        if (c.grads[step].size() <= i) c.grads[step].resize(i + 1);
        if (w[3] != "none") c.grads[step][i] = numbers(w, 3);
      } else {
        if (c.values[step].size() <= i) c.values[step].resize(i + 1);
        c.values[step][i] = numbers(w, 3);
      }
    }
  }
  return c;
}

std::unique_ptr<optim::Optimizer> make_optimizer(const OptimCase& c, const TensorList& params) {
  std::vector<optim::ParamGroup> groups;
  for (const auto& [lr, wd, idx] : c.groups) {
    optim::ParamGroup g{.lr = lr, .weight_decay = wd};  // NaN: the optimizer's default
    for (size_t i : idx) g.params.push_back(params[i]);
    groups.push_back(g);
  }
  const Block& b = *c.block;
  if (b.cls == "SGD")
    return std::make_unique<optim::SGD>(
        groups, optim::SGDOptions{.lr = b.option("lr"),
                                  .momentum = b.option("momentum", 0),
                                  .dampening = b.option("dampening", 0),
                                  .weight_decay = b.option("weight_decay", 0),
                                  .nesterov = b.option("nesterov", 0) != 0,
                                  .maximize = b.option("maximize", 0) != 0});
  if (b.cls == "Adam")
    return std::make_unique<optim::Adam>(
        groups, optim::AdamOptions{.lr = b.option("lr"),
                                   .betas = {b.option("beta1", 0.9), b.option("beta2", 0.999)},
                                   .eps = b.option("eps", 1e-8),
                                   .weight_decay = b.option("weight_decay", 0),
                                   .amsgrad = b.option("amsgrad", 0) != 0,
                                   .maximize = b.option("maximize", 0) != 0});
  REQUIRE(b.cls == "AdamW");
  return std::make_unique<optim::AdamW>(
      groups, optim::AdamWOptions{.lr = b.option("lr"),
                                  .betas = {b.option("beta1", 0.9), b.option("beta2", 0.999)},
                                  .eps = b.option("eps", 1e-8),
                                  .weight_decay = b.option("weight_decay", 1e-2),
                                  .amsgrad = b.option("amsgrad", 0) != 0,
                                  .maximize = b.option("maximize", 0) != 0});
}

TensorList fresh_params(const OptimCase& c) {
  TensorList params;
  for (const auto& p : c.initial) params.push_back(p.clone().requires_grad_());
  return params;
}

void feed_gradients(const OptimCase& c, size_t step, TensorList& params) {
  for (size_t i = 0; i < params.size(); ++i) {
    const auto& g = c.grads[step][i];
    params[i].mutable_grad() = g ? tensor(*g, params[i].sizes()) : Tensor();
  }
}

bool same_values(const TensorList& a, const TensorList& b) {
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i].to_vector<double>() != b[i].to_vector<double>()) return false;
  return true;
}

}  // namespace

TEST_CASE("optimizers match PyTorch 1.13 trajectories, and resume exactly") {
  int cases = 0;
  for (const Block& b : read_fixture()) {
    if (b.kind != "optim") continue;
    ++cases;
    CAPTURE(b.name);
    const OptimCase c = parse_optim(b);
    REQUIRE(c.grads.size() == 25);

    TensorList params = fresh_params(c);
    auto opt = make_optimizer(c, params);
    const size_t cut = c.grads.size() / 2;
    TensorList resumed_params;
    std::unique_ptr<optim::Optimizer> resumed;
    for (size_t step = 0; step < c.grads.size(); ++step) {
      CAPTURE(step + 1);
      feed_gradients(c, step, params);
      opt->step();
      for (size_t i = 0; i < params.size(); ++i)
        CHECK_CLOSE(params[i], tensor(c.values[step][i], params[i].sizes()), 1e-10, 1e-13);

      if (resumed) {
        feed_gradients(c, step, resumed_params);
        resumed->step();
        CHECK(same_values(resumed_params, params));
      }
      if (step + 1 == cut) {
        // A fresh optimizer over fresh parameters carrying the saved values.
        const auto saved = opt->state_dict();
        resumed_params = fresh_params(c);
        for (size_t i = 0; i < params.size(); ++i) {
          NoGradGuard g;
          resumed_params[i].copy_(params[i]);
        }
        resumed = make_optimizer(c, resumed_params);
        resumed->load_state_dict(saved);
        CHECK(resumed->state_dict().size() == saved.size());
      }
    }
  }
  CHECK(cases == 8);
}

// --- schedulers --------------------------------------------------------------------------------

namespace {

// One interface over LRScheduler and ReduceLROnPlateau for the replay loop.
struct AnyScheduler {
  std::shared_ptr<optim::LRScheduler> scheduler;
  std::shared_ptr<optim::ReduceLROnPlateau> plateau;

  void step(double metric) { plateau ? plateau->step(metric) : scheduler->step(); }
  std::vector<double> last_lr() const {
    return plateau ? plateau->get_last_lr() : scheduler->get_last_lr();
  }
  optim::SchedulerState state_dict() const {
    return plateau ? plateau->state_dict() : scheduler->state_dict();
  }
  void load_state_dict(const optim::SchedulerState& s) {
    plateau ? plateau->load_state_dict(s) : scheduler->load_state_dict(s);
  }
};

AnyScheduler make_scheduler(const Block& b, optim::Optimizer& opt) {
  using namespace optim;
  auto o = [&](const char* key) { return b.option(key); };
  auto i = [&](const char* key) { return static_cast<int64_t>(b.option(key)); };
  if (b.cls == "StepLR") return {std::make_shared<StepLR>(opt, i("step_size"), o("gamma")), {}};
  if (b.cls == "MultiStepLR")
    return {std::make_shared<MultiStepLR>(opt, std::vector<int64_t>{5, 12, 12, 30}, o("gamma")),
            {}};
  if (b.cls == "ExponentialLR") return {std::make_shared<ExponentialLR>(opt, o("gamma")), {}};
  if (b.cls == "CosineAnnealingLR")
    return {std::make_shared<CosineAnnealingLR>(opt, i("T_max"), o("eta_min")), {}};
  if (b.cls == "LinearLR")
    return {std::make_shared<LinearLR>(opt, o("start_factor"), o("end_factor"), i("total_iters")),
            {}};
  if (b.cls == "LambdaLR")
    return {std::make_shared<LambdaLR>(
                opt, std::vector<LambdaLR::Lambda>{
                         [](int64_t e) { return std::pow(0.97, static_cast<double>(e)); },
                         [](int64_t e) { return 1.0 / (1.0 + 0.1 * static_cast<double>(e)); }}),
            {}};
  if (b.cls == "NoamLR")
    return {std::make_shared<NoamLR>(opt, i("d_model"), i("warmup_steps"), o("factor")), {}};
  if (b.name == "sequential_warmup_cosine") {
    auto warmup = std::make_shared<LinearLR>(opt, 0.01, 1.0, 5);
    auto cosine = std::make_shared<CosineAnnealingLR>(opt, 30, 1e-4);
    return {std::make_shared<SequentialLR>(
                opt, std::vector<std::shared_ptr<LRScheduler>>{warmup, cosine},
                std::vector<int64_t>{5}),
            {}};
  }
  if (b.name == "sequential_three") {
    auto warmup = std::make_shared<LinearLR>(opt, 0.2, 1.0, 4);
    auto expo = std::make_shared<ExponentialLR>(opt, 0.9);
    auto steps = std::make_shared<StepLR>(opt, 3, 0.5);
    return {std::make_shared<SequentialLR>(
                opt, std::vector<std::shared_ptr<LRScheduler>>{warmup, expo, steps},
                std::vector<int64_t>{4, 12}),
            {}};
  }
  if (b.cls == "OneCycleLR")
    return {std::make_shared<OneCycleLR>(
                opt, std::vector<double>{o("max_lr0"), o("max_lr1")}, i("total_steps"),
                OneCycleOptions{.pct_start = o("pct_start"),
                                .anneal_strategy = b.option("anneal_linear", 0) != 0
                                                       ? AnnealStrategy::Linear
                                                       : AnnealStrategy::Cos,
                                .div_factor = b.option("div_factor", 25),
                                .final_div_factor = b.option("final_div_factor", 1e4),
                                .three_phase = b.option("three_phase", 0) != 0}),
            {}};
  REQUIRE(b.cls == "ReduceLROnPlateau");
  return {{},
          std::make_shared<ReduceLROnPlateau>(
              opt, PlateauOptions{.mode = o("mode_max") != 0 ? PlateauMode::Max : PlateauMode::Min,
                                  .factor = o("factor"),
                                  .patience = i("patience"),
                                  .threshold = o("threshold"),
                                  .threshold_mode = o("threshold_abs") != 0 ? ThresholdMode::Abs
                                                                            : ThresholdMode::Rel,
                                  .cooldown = i("cooldown"),
                                  .min_lrs = {o("min_lr0"), o("min_lr1")},
                                  .eps = o("eps")})};
}

struct SchedulerRun {
  Tensor p0 = zeros({2}, kFloat64).requires_grad_();
  Tensor p1 = zeros({3}, kFloat64).requires_grad_();
  std::unique_ptr<optim::SGD> opt;
  AnyScheduler sched;
  SchedulerRun(const Block& b, const std::vector<double>& group_lrs) {
    opt = std::make_unique<optim::SGD>(
        std::vector<optim::ParamGroup>{{.params = {p0}, .lr = group_lrs[0]},
                                       {.params = {p1}, .lr = group_lrs[1]}},
        optim::SGDOptions{.lr = group_lrs[0]});
    sched = make_scheduler(b, *opt);
  }
  std::vector<double> group_lrs() const {
    return {opt->param_groups()[0].lr, opt->param_groups()[1].lr};
  }
};

bool close_lrs(const std::vector<double>& got, const std::vector<double>& want) {
  if (got.size() != want.size()) return false;
  for (size_t i = 0; i < got.size(); ++i)
    if (!(std::fabs(got[i] - want[i]) <= 1e-12 * std::fabs(want[i]) + 1e-300)) return false;
  return true;
}

}  // namespace

TEST_CASE("schedulers match PyTorch 1.13 learning rates, and resume exactly") {
  int cases = 0;
  for (const Block& b : read_fixture()) {
    if (b.kind != "sched") continue;
    ++cases;
    CAPTURE(b.name);
    std::vector<double> group_lrs;
    std::map<int64_t, double> metrics;
    std::vector<std::vector<double>> expected;
    for (const auto& w : b.lines) {
      if (w[0] == "group_lrs") group_lrs = numbers(w, 1);
      if (w[0] == "metric") metrics[std::stol(w[1])] = number(w[2]);
      if (w[0] == "lrs") expected.push_back(numbers(w, 2));
    }
    REQUIRE(expected.size() >= 31);

    SchedulerRun run(b, group_lrs);
    std::unique_ptr<SchedulerRun> resumed;
    CHECK(close_lrs(run.group_lrs(), expected[0]));
    CHECK(close_lrs(run.sched.last_lr(), expected[0]));
    for (size_t epoch = 1; epoch < expected.size(); ++epoch) {
      CAPTURE(epoch);
      const double metric = metrics.count(epoch) ? metrics[epoch] : 0.0;
      run.sched.step(metric);
      CHECK_MESSAGE(close_lrs(run.group_lrs(), expected[epoch]), run.group_lrs()[0], " vs ",
                    expected[epoch][0]);
      CHECK(run.sched.last_lr() == run.group_lrs());
      if (resumed) {
        resumed->sched.step(metric);
        CHECK(resumed->group_lrs() == run.group_lrs());
        CHECK(resumed->sched.last_lr() == run.sched.last_lr());
      }
      if (epoch == 17) {
        // Construct fresh objects (which sets their own lrs), then load both states.
        resumed = std::make_unique<SchedulerRun>(b, group_lrs);
        resumed->opt->load_state_dict(run.opt->state_dict());
        resumed->sched.load_state_dict(run.sched.state_dict());
        CHECK(resumed->group_lrs() == run.group_lrs());
        CHECK(resumed->sched.state_dict() == run.sched.state_dict());
      }
    }
  }
  CHECK(cases == 14);
}
