#include "ember/optim/scheduler.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

namespace ember::optim {

// --- StateVisitor ------------------------------------------------------------------------------

StateVisitor::StateVisitor(SchedulerState& out, std::string op) : out_(&out), op_(std::move(op)) {}
StateVisitor::StateVisitor(const SchedulerState& in, std::string op)
    : in_(&in), op_(std::move(op)) {}

std::string StateVisitor::full(std::string_view key) const {
  std::string out;
  for (const auto& p : prefixes_) out += p;
  out += key;
  return out;
}

double StateVisitor::read(const std::string& key) {
  auto it = in_->find(key);
  EMBER_CHECK(it != in_->end(), "{}: missing key '{}'", op_, key);
  used_.insert(key);
  return it->second;
}

void StateVisitor::field(std::string_view key, double& value) {
  const std::string k = full(key);
  if (in_)
    value = read(k);
  else
    (*out_)[k] = value;
}

void StateVisitor::field(std::string_view key, int64_t& value) {
  const std::string k = full(key);
  if (!in_) {
    (*out_)[k] = static_cast<double>(value);
    return;
  }
  const double v = read(k);
  EMBER_CHECK(std::isfinite(v) && v == std::trunc(v) && std::fabs(v) < 9007199254740992.0,
              "{}: '{}' is {}, expected an integer", op_, k, v);
  value = static_cast<int64_t>(v);
}

void StateVisitor::field(std::string_view key, bool& value) {
  const std::string k = full(key);
  if (!in_) {
    (*out_)[k] = value ? 1.0 : 0.0;
    return;
  }
  const double v = read(k);
  EMBER_CHECK(v == 0 || v == 1, "{}: '{}' is {}, expected 0 or 1", op_, k, v);
  value = v != 0;
}

namespace {
template <typename T>
void visit_list(StateVisitor& v, std::string_view key, std::vector<T>& values) {
  int64_t count = static_cast<int64_t>(values.size());
  v.field(fmt::format("{}.count", key), count);
  if (v.loading()) {
    EMBER_CHECK(count >= 0 && count <= (1 << 20), "{}: '{}.count' is {}, expected a list length",
                v.op(), key, count);
    values.assign(static_cast<size_t>(count), T{});
  }
  for (size_t i = 0; i < values.size(); ++i) v.field(fmt::format("{}.{}", key, i), values[i]);
}
}  // namespace

void StateVisitor::list(std::string_view key, std::vector<double>& values) {
  visit_list(*this, key, values);
}
void StateVisitor::list(std::string_view key, std::vector<int64_t>& values) {
  visit_list(*this, key, values);
}

void StateVisitor::push_prefix(const std::string& prefix) {
  prefixes_.push_back(prefix);
}
void StateVisitor::pop_prefix() {
  prefixes_.pop_back();
}

void StateVisitor::finish() const {
  if (!in_) return;
  for (const auto& [key, _] : *in_)
    EMBER_CHECK(used_.count(key), "{}: unexpected key '{}'", op_, key);
}

// --- LRScheduler -------------------------------------------------------------------------------

namespace {

void check_finite(std::string_view op, std::string_view what, double value) {
  check_hyperparameter(std::isfinite(value), op, what, value, "a finite number");
}

void check_same_count(std::string_view op, std::string_view key, size_t count, size_t groups) {
  EMBER_CHECK(count == groups, "{}: '{}' is {} but the optimizer has {} parameter group(s)", op,
              key, count, groups);
}

}  // namespace

LRScheduler::LRScheduler(std::string name, Optimizer& optimizer)
    : optimizer_(&optimizer), name_(std::move(name)) {}

void LRScheduler::start() {
  base_lrs_.clear();
  for (auto& group : optimizer_->param_groups()) {
    if (std::isnan(group.initial_lr)) group.initial_lr = group.lr;
    base_lrs_.push_back(group.initial_lr);
  }
  initial_step();
}

void LRScheduler::initial_step() {
  step_count_ = 0;
  step();
}

std::vector<double> LRScheduler::group_lrs() const {
  std::vector<double> lrs;
  for (const auto& group : optimizer_->param_groups()) lrs.push_back(group.lr);
  return lrs;
}

void LRScheduler::apply(const std::vector<double>& lrs) {
  auto& groups = optimizer_->param_groups();
  for (size_t g = 0; g < groups.size(); ++g) groups[g].lr = lrs[g];
  last_lr_ = lrs;
}

void LRScheduler::step() {
  EMBER_CHECK(base_lrs_.size() == num_groups(),
              "{}: the optimizer has {} parameter group(s) but the scheduler was built for {}",
              name_, num_groups(), base_lrs_.size());
  ++step_count_;
  ++last_epoch_;
  try {
    apply(get_lr());
  } catch (...) {
    --step_count_;
    --last_epoch_;
    throw;
  }
}

void LRScheduler::step_to(int64_t epoch) {
  const int64_t previous = last_epoch_;
  ++step_count_;
  last_epoch_ = epoch;
  try {
    apply(closed_form_lr());
  } catch (...) {
    --step_count_;
    last_epoch_ = previous;
    throw;
  }
}

void LRScheduler::visit_state(StateVisitor& v) {
  v.field("last_epoch", last_epoch_);
  v.field("step_count", step_count_);
  v.list("base_lrs", base_lrs_);
  v.list("last_lr", last_lr_);
}

void LRScheduler::check_loaded_state() const {
  const std::string op = name_ + ": load_state_dict";
  check_same_count(op, "base_lrs.count", base_lrs_.size(), num_groups());
  check_same_count(op, "last_lr.count", last_lr_.size(), num_groups());
}

SchedulerState LRScheduler::state_dict() const {
  SchedulerState out;
  StateVisitor v(out, name_ + ": state_dict");
  // Saving only reads the fields; visit_state is shared with loading, hence non-const.
  const_cast<LRScheduler*>(this)->visit_state(v);
  return out;
}

void LRScheduler::load_state_dict(const SchedulerState& state) {
  const SchedulerState backup = state_dict();
  try {
    StateVisitor v(state, name_ + ": load_state_dict");
    visit_state(v);
    v.finish();
    check_loaded_state();
  } catch (...) {
    StateVisitor restore(backup, name_ + ": load_state_dict");
    visit_state(restore);
    throw;
  }
}

// --- LambdaLR ----------------------------------------------------------------------------------

LambdaLR::LambdaLR(Optimizer& optimizer, Lambda lr_lambda)
    : LambdaLR(optimizer, std::vector<Lambda>(optimizer.param_groups().size(), lr_lambda)) {}

LambdaLR::LambdaLR(Optimizer& optimizer, std::vector<Lambda> lr_lambdas)
    : LRScheduler("LambdaLR", optimizer), lambdas_(std::move(lr_lambdas)) {
  EMBER_CHECK(lambdas_.size() == num_groups(),
              "LambdaLR: expected {} lr_lambdas (one per parameter group), got {}", num_groups(),
              lambdas_.size());
  for (size_t g = 0; g < lambdas_.size(); ++g)
    EMBER_CHECK(static_cast<bool>(lambdas_[g]), "LambdaLR: lr_lambda {} is empty", g);
  start();
}

std::vector<double> LambdaLR::get_lr() {
  EMBER_CHECK(lambdas_.size() == num_groups(),
              "LambdaLR: the optimizer has {} parameter group(s) but {} lr_lambdas", num_groups(),
              lambdas_.size());
  std::vector<double> lrs;
  for (size_t g = 0; g < base_lrs_.size(); ++g)
    lrs.push_back(base_lrs_[g] * lambdas_[g](last_epoch_));
  return lrs;
}

// --- StepLR ------------------------------------------------------------------------------------

StepLR::StepLR(Optimizer& optimizer, int64_t step_size, double gamma)
    : LRScheduler("StepLR", optimizer), step_size_(step_size), gamma_(gamma) {
  check_hyperparameter(step_size > 0, name_, "step_size", static_cast<double>(step_size),
                       "step_size > 0");
  check_finite(name_, "gamma", gamma);
  start();
}

std::vector<double> StepLR::get_lr() {
  auto lrs = group_lrs();
  if (last_epoch_ == 0 || last_epoch_ % step_size_ != 0) return lrs;
  for (double& lr : lrs) lr = lr * gamma_;
  return lrs;
}

std::vector<double> StepLR::closed_form_lr() {
  std::vector<double> lrs;
  const double k = std::floor(static_cast<double>(last_epoch_) / static_cast<double>(step_size_));
  for (double base : base_lrs_) lrs.push_back(base * std::pow(gamma_, k));
  return lrs;
}

void StepLR::visit_state(StateVisitor& v) {
  LRScheduler::visit_state(v);
  v.field("step_size", step_size_);
  v.field("gamma", gamma_);
  if (v.loading())
    check_hyperparameter(step_size_ > 0, v.op(), "step_size", static_cast<double>(step_size_),
                         "step_size > 0");
}

// --- MultiStepLR -------------------------------------------------------------------------------

MultiStepLR::MultiStepLR(Optimizer& optimizer, std::vector<int64_t> milestones, double gamma)
    : LRScheduler("MultiStepLR", optimizer), milestones_(std::move(milestones)), gamma_(gamma) {
  std::sort(milestones_.begin(), milestones_.end());
  check_finite(name_, "gamma", gamma);
  start();
}

std::vector<double> MultiStepLR::get_lr() {
  auto lrs = group_lrs();
  const auto hits = std::equal_range(milestones_.begin(), milestones_.end(), last_epoch_);
  const auto count = std::distance(hits.first, hits.second);
  if (count == 0) return lrs;
  for (double& lr : lrs) lr = lr * std::pow(gamma_, static_cast<double>(count));
  return lrs;
}

std::vector<double> MultiStepLR::closed_form_lr() {
  const auto passed = std::distance(
      milestones_.begin(), std::upper_bound(milestones_.begin(), milestones_.end(), last_epoch_));
  std::vector<double> lrs;
  for (double base : base_lrs_) lrs.push_back(base * std::pow(gamma_, static_cast<double>(passed)));
  return lrs;
}

void MultiStepLR::visit_state(StateVisitor& v) {
  LRScheduler::visit_state(v);
  v.list("milestones", milestones_);
  v.field("gamma", gamma_);
  if (v.loading())
    EMBER_CHECK(std::is_sorted(milestones_.begin(), milestones_.end()),
                "{}: 'milestones' must be sorted", v.op());
}

// --- ExponentialLR -----------------------------------------------------------------------------

ExponentialLR::ExponentialLR(Optimizer& optimizer, double gamma)
    : LRScheduler("ExponentialLR", optimizer), gamma_(gamma) {
  check_finite(name_, "gamma", gamma);
  start();
}

std::vector<double> ExponentialLR::get_lr() {
  auto lrs = group_lrs();
  if (last_epoch_ == 0) return lrs;
  for (double& lr : lrs) lr = lr * gamma_;
  return lrs;
}

std::vector<double> ExponentialLR::closed_form_lr() {
  std::vector<double> lrs;
  for (double base : base_lrs_)
    lrs.push_back(base * std::pow(gamma_, static_cast<double>(last_epoch_)));
  return lrs;
}

void ExponentialLR::visit_state(StateVisitor& v) {
  LRScheduler::visit_state(v);
  v.field("gamma", gamma_);
}

// --- CosineAnnealingLR -------------------------------------------------------------------------

CosineAnnealingLR::CosineAnnealingLR(Optimizer& optimizer, int64_t T_max, double eta_min)
    : LRScheduler("CosineAnnealingLR", optimizer), T_max_(T_max), eta_min_(eta_min) {
  check_hyperparameter(T_max > 0, name_, "T_max", static_cast<double>(T_max), "T_max > 0");
  check_finite(name_, "eta_min", eta_min);
  start();
}

std::vector<double> CosineAnnealingLR::get_lr() {
  // The same expressions, in the same order, as PyTorch 1.13's chainable form.
  constexpr double pi = std::numbers::pi;
  const double epoch = static_cast<double>(last_epoch_);
  const double T = static_cast<double>(T_max_);
  auto lrs = group_lrs();
  if (last_epoch_ == 0) return lrs;
  if (step_count_ == 1 && last_epoch_ > 0) {
    for (size_t g = 0; g < lrs.size(); ++g)
      lrs[g] = eta_min_ + (base_lrs_[g] - eta_min_) * (1 + std::cos(epoch * pi / T)) / 2;
    return lrs;
  }
  if ((last_epoch_ - 1 - T_max_) % (2 * T_max_) == 0) {
    for (size_t g = 0; g < lrs.size(); ++g)
      lrs[g] = lrs[g] + (base_lrs_[g] - eta_min_) * (1 - std::cos(pi / T)) / 2;
    return lrs;
  }
  for (double& lr : lrs)
    lr = (1 + std::cos(pi * epoch / T)) / (1 + std::cos(pi * (epoch - 1) / T)) * (lr - eta_min_) +
         eta_min_;
  return lrs;
}

std::vector<double> CosineAnnealingLR::closed_form_lr() {
  constexpr double pi = std::numbers::pi;
  std::vector<double> lrs;
  for (double base : base_lrs_)
    lrs.push_back(eta_min_ + (base - eta_min_) *
                                 (1 + std::cos(pi * static_cast<double>(last_epoch_) /
                                               static_cast<double>(T_max_))) /
                                 2);
  return lrs;
}

void CosineAnnealingLR::visit_state(StateVisitor& v) {
  LRScheduler::visit_state(v);
  v.field("T_max", T_max_);
  v.field("eta_min", eta_min_);
  if (v.loading())
    check_hyperparameter(T_max_ > 0, v.op(), "T_max", static_cast<double>(T_max_), "T_max > 0");
}

// --- LinearLR ----------------------------------------------------------------------------------

LinearLR::LinearLR(Optimizer& optimizer, double start_factor, double end_factor,
                   int64_t total_iters)
    : LRScheduler("LinearLR", optimizer),
      start_factor_(start_factor),
      end_factor_(end_factor),
      total_iters_(total_iters) {
  // start_factor 0 would make PyTorch's recursive form divide 0 by 0 at epoch 1.
  check_hyperparameter(start_factor > 0 && start_factor <= 1, name_, "start_factor", start_factor,
                       "0 < start_factor <= 1");
  check_hyperparameter(end_factor >= 0 && end_factor <= 1, name_, "end_factor", end_factor,
                       "0 <= end_factor <= 1");
  check_hyperparameter(total_iters > 0, name_, "total_iters", static_cast<double>(total_iters),
                       "total_iters > 0");
  start();
}

std::vector<double> LinearLR::get_lr() {
  auto lrs = group_lrs();
  if (last_epoch_ == 0) {
    for (double& lr : lrs) lr = lr * start_factor_;
    return lrs;
  }
  if (last_epoch_ > total_iters_) return lrs;
  const double change = end_factor_ - start_factor_;
  const double factor = 1. + change / (static_cast<double>(total_iters_) * start_factor_ +
                                       static_cast<double>(last_epoch_ - 1) * change);
  for (double& lr : lrs) lr = lr * factor;
  return lrs;
}

std::vector<double> LinearLR::closed_form_lr() {
  const double done = static_cast<double>(std::min(total_iters_, last_epoch_));
  std::vector<double> lrs;
  for (double base : base_lrs_)
    lrs.push_back(base * (start_factor_ + (end_factor_ - start_factor_) * done /
                                              static_cast<double>(total_iters_)));
  return lrs;
}

void LinearLR::visit_state(StateVisitor& v) {
  LRScheduler::visit_state(v);
  v.field("start_factor", start_factor_);
  v.field("end_factor", end_factor_);
  v.field("total_iters", total_iters_);
  if (v.loading())
    check_hyperparameter(total_iters_ > 0, v.op(), "total_iters", static_cast<double>(total_iters_),
                         "total_iters > 0");
}

// --- SequentialLR ------------------------------------------------------------------------------

SequentialLR::SequentialLR(Optimizer& optimizer,
                           std::vector<std::shared_ptr<LRScheduler>> schedulers,
                           std::vector<int64_t> milestones)
    : LRScheduler("SequentialLR", optimizer),
      schedulers_(std::move(schedulers)),
      milestones_(std::move(milestones)) {
  EMBER_CHECK(!schedulers_.empty(), "SequentialLR: expected at least one scheduler");
  for (size_t i = 0; i < schedulers_.size(); ++i) {
    EMBER_CHECK(schedulers_[i] != nullptr, "SequentialLR: scheduler {} is null", i);
    EMBER_CHECK(schedulers_[i]->optimizer_ == optimizer_,
                "SequentialLR: scheduler {} ({}) is attached to a different optimizer", i,
                schedulers_[i]->name());
  }
  EMBER_CHECK(milestones_.size() + 1 == schedulers_.size(),
              "SequentialLR: expected {} milestone(s), one fewer than the {} schedulers, got {}",
              schedulers_.size() - 1, schedulers_.size(), milestones_.size());
  for (size_t i = 0; i < milestones_.size(); ++i)
    EMBER_CHECK(milestones_[i] > (i == 0 ? 0 : milestones_[i - 1]),
                "SequentialLR: milestones must be positive and increasing, got {}", milestones_);

  // As PyTorch: reset the lrs, undo the step each child took when it was built, and start the
  // first child again from epoch 0.
  last_epoch_ = 0;
  for (auto& group : optimizer_->param_groups()) {
    EMBER_CHECK(!std::isnan(group.initial_lr),
                "SequentialLR: a parameter group has no initial_lr (construct the schedulers it "
                "runs first)");
    group.lr = group.initial_lr;
    base_lrs_.push_back(group.initial_lr);
  }
  for (auto& s : schedulers_) s->last_epoch_ -= 1;
  schedulers_[0]->initial_step();
  last_lr_ = schedulers_[0]->get_last_lr();
}

void SequentialLR::step() {
  ++step_count_;
  ++last_epoch_;
  const size_t idx = static_cast<size_t>(std::distance(
      milestones_.begin(), std::upper_bound(milestones_.begin(), milestones_.end(), last_epoch_)));
  auto& scheduler = *schedulers_[idx];
  try {
    if (idx > 0 && milestones_[idx - 1] == last_epoch_)
      scheduler.step_to(0);
    else
      scheduler.step();
  } catch (...) {
    --step_count_;
    --last_epoch_;
    throw;
  }
  last_lr_ = scheduler.get_last_lr();
}

void SequentialLR::visit_state(StateVisitor& v) {
  LRScheduler::visit_state(v);
  v.list("milestones", milestones_);
  for (size_t i = 0; i < schedulers_.size(); ++i) {
    v.push_prefix(fmt::format("schedulers.{}.", i));
    schedulers_[i]->visit_state(v);
    v.pop_prefix();
  }
}

void SequentialLR::check_loaded_state() const {
  LRScheduler::check_loaded_state();
  EMBER_CHECK(milestones_.size() + 1 == schedulers_.size() &&
                  std::is_sorted(milestones_.begin(), milestones_.end()),
              "SequentialLR: load_state_dict: 'milestones' should be {} increasing values, got {}",
              schedulers_.size() - 1, milestones_);
  for (const auto& s : schedulers_) s->check_loaded_state();
}

// --- NoamLR ------------------------------------------------------------------------------------

NoamLR::NoamLR(Optimizer& optimizer, int64_t d_model, int64_t warmup_steps, double factor)
    : LRScheduler("NoamLR", optimizer),
      d_model_(d_model),
      warmup_steps_(warmup_steps),
      factor_(factor) {
  check_hyperparameter(d_model > 0, name_, "d_model", static_cast<double>(d_model), "d_model > 0");
  check_hyperparameter(warmup_steps > 0, name_, "warmup_steps", static_cast<double>(warmup_steps),
                       "warmup_steps > 0");
  check_hyperparameter(factor > 0 && std::isfinite(factor), name_, "factor", factor, "factor > 0");
  start();
}

std::vector<double> NoamLR::get_lr() {
  const double step = static_cast<double>(last_epoch_ + 1);
  const double lr =
      factor_ * std::pow(static_cast<double>(d_model_), -0.5) *
      std::min(std::pow(step, -0.5), step * std::pow(static_cast<double>(warmup_steps_), -1.5));
  return std::vector<double>(num_groups(), lr);
}

void NoamLR::visit_state(StateVisitor& v) {
  LRScheduler::visit_state(v);
  v.field("d_model", d_model_);
  v.field("warmup_steps", warmup_steps_);
  v.field("factor", factor_);
  if (v.loading())
    EMBER_CHECK(d_model_ > 0 && warmup_steps_ > 0,
                "{}: 'd_model' ({}) and 'warmup_steps' ({}) must be positive", v.op(), d_model_,
                warmup_steps_);
}

// --- OneCycleLR --------------------------------------------------------------------------------

OneCycleLR::OneCycleLR(Optimizer& optimizer, double max_lr, int64_t total_steps,
                       OneCycleOptions options)
    : OneCycleLR(optimizer, std::vector<double>(optimizer.param_groups().size(), max_lr),
                 total_steps, options) {}

OneCycleLR::OneCycleLR(Optimizer& optimizer, std::vector<double> max_lrs, int64_t total_steps,
                       OneCycleOptions options)
    : LRScheduler("OneCycleLR", optimizer),
      max_lrs_(std::move(max_lrs)),
      total_steps_(total_steps),
      options_(options) {
  EMBER_CHECK(max_lrs_.size() == num_groups(),
              "OneCycleLR: expected {} max_lr values (one per parameter group), got {}",
              num_groups(), max_lrs_.size());
  check_hyperparameter(total_steps > 0, name_, "total_steps", static_cast<double>(total_steps),
                       "total_steps > 0");
  check_hyperparameter(options.pct_start >= 0 && options.pct_start <= 1, name_, "pct_start",
                       options.pct_start, "0 <= pct_start <= 1");
  check_hyperparameter(options.div_factor > 0, name_, "div_factor", options.div_factor,
                       "div_factor > 0");
  check_hyperparameter(options.final_div_factor > 0, name_, "final_div_factor",
                       options.final_div_factor, "final_div_factor > 0");
  auto& groups = optimizer_->param_groups();
  for (size_t g = 0; g < groups.size(); ++g) {
    check_hyperparameter(max_lrs_[g] >= 0, name_, "max_lr", max_lrs_[g], "max_lr >= 0");
    groups[g].initial_lr = max_lrs_[g] / options.div_factor;
    min_lrs_.push_back(groups[g].initial_lr / options.final_div_factor);
  }
  start();
}

double OneCycleLR::anneal(double start, double end, double pct) const {
  if (options_.anneal_strategy == AnnealStrategy::Linear) return (end - start) * pct + start;
  const double cos_out = std::cos(std::numbers::pi * pct) + 1;
  return end + (start - end) / 2.0 * cos_out;
}

std::vector<double> OneCycleLR::get_lr() {
  EMBER_CHECK(last_epoch_ <= total_steps_,
              "OneCycleLR: tried to step {} times, but the schedule has total_steps={}",
              last_epoch_ + 1, total_steps_);
  const double total = static_cast<double>(total_steps_);
  const double pct_start = options_.pct_start;
  const double step_num = static_cast<double>(last_epoch_);
  std::vector<double> lrs;
  for (size_t g = 0; g < base_lrs_.size(); ++g) {
    const double initial = base_lrs_[g], peak = max_lrs_[g], floor = min_lrs_[g];
    struct Phase {
      double end_step, start_lr, end_lr;
    };
    std::vector<Phase> phases;
    if (options_.three_phase)
      phases = {{pct_start * total - 1, initial, peak},
                {2 * pct_start * total - 2, peak, initial},
                {total - 1, initial, floor}};
    else
      phases = {{pct_start * total - 1, initial, peak}, {total - 1, peak, floor}};
    double start_step = 0, lr = 0;
    for (size_t i = 0; i < phases.size(); ++i) {
      const Phase& phase = phases[i];
      if (step_num <= phase.end_step || i + 1 == phases.size()) {
        const double pct = (step_num - start_step) / (phase.end_step - start_step);
        lr = anneal(phase.start_lr, phase.end_lr, pct);
        break;
      }
      start_step = phase.end_step;
    }
    lrs.push_back(lr);
  }
  return lrs;
}

void OneCycleLR::visit_state(StateVisitor& v) {
  LRScheduler::visit_state(v);
  v.list("max_lrs", max_lrs_);
  v.list("min_lrs", min_lrs_);
  v.field("total_steps", total_steps_);
  v.field("pct_start", options_.pct_start);
  v.field("div_factor", options_.div_factor);
  v.field("final_div_factor", options_.final_div_factor);
  v.field("three_phase", options_.three_phase);
  bool linear = options_.anneal_strategy == AnnealStrategy::Linear;
  v.field("anneal_linear", linear);
  options_.anneal_strategy = linear ? AnnealStrategy::Linear : AnnealStrategy::Cos;
}

void OneCycleLR::check_loaded_state() const {
  LRScheduler::check_loaded_state();
  const std::string op = name_ + ": load_state_dict";
  check_same_count(op, "max_lrs.count", max_lrs_.size(), num_groups());
  check_same_count(op, "min_lrs.count", min_lrs_.size(), num_groups());
  check_hyperparameter(total_steps_ > 0, op, "total_steps", static_cast<double>(total_steps_),
                       "total_steps > 0");
}

// --- ReduceLROnPlateau -------------------------------------------------------------------------

PlateauOptions ReduceLROnPlateau::validated(PlateauOptions o, size_t num_groups) {
  constexpr std::string_view op = "ReduceLROnPlateau";
  check_hyperparameter(o.factor >= 0 && o.factor < 1, op, "factor", o.factor, "0 <= factor < 1");
  check_hyperparameter(o.patience >= 0, op, "patience", static_cast<double>(o.patience),
                       "patience >= 0");
  check_hyperparameter(o.threshold >= 0, op, "threshold", o.threshold, "threshold >= 0");
  check_hyperparameter(o.cooldown >= 0, op, "cooldown", static_cast<double>(o.cooldown),
                       "cooldown >= 0");
  check_hyperparameter(o.eps >= 0, op, "eps", o.eps, "eps >= 0");
  if (o.min_lrs.size() == 1) o.min_lrs.assign(num_groups, o.min_lrs[0]);
  EMBER_CHECK(o.min_lrs.size() == num_groups,
              "ReduceLROnPlateau: expected 1 or {} min_lrs (one per parameter group), got {}",
              num_groups, o.min_lrs.size());
  for (double m : o.min_lrs) check_hyperparameter(m >= 0, op, "min_lr", m, "min_lr >= 0");
  return o;
}

ReduceLROnPlateau::ReduceLROnPlateau(Optimizer& optimizer, PlateauOptions options)
    : optimizer_(&optimizer),
      options_(validated(std::move(options), optimizer.param_groups().size())) {
  best_ = options_.mode == PlateauMode::Min ? std::numeric_limits<double>::infinity()
                                            : -std::numeric_limits<double>::infinity();
  for (const auto& group : optimizer_->param_groups()) last_lr_.push_back(group.lr);
}

bool ReduceLROnPlateau::is_better(double a, double best) const {
  const double t = options_.threshold;
  if (options_.mode == PlateauMode::Min)
    return options_.threshold_mode == ThresholdMode::Rel ? a < best * (1. - t) : a < best - t;
  return options_.threshold_mode == ThresholdMode::Rel ? a > best * (t + 1.) : a > best + t;
}

void ReduceLROnPlateau::step(double metric) {
  auto& groups = optimizer_->param_groups();
  EMBER_CHECK(options_.min_lrs.size() == groups.size(),
              "ReduceLROnPlateau: the optimizer has {} parameter group(s) but the scheduler was "
              "built for {}",
              groups.size(), options_.min_lrs.size());
  ++last_epoch_;
  if (is_better(metric, best_)) {
    best_ = metric;
    num_bad_epochs_ = 0;
  } else {
    ++num_bad_epochs_;
  }
  if (cooldown_counter_ > 0) {
    --cooldown_counter_;
    num_bad_epochs_ = 0;  // bad epochs during the cooldown do not count
  }
  if (num_bad_epochs_ > options_.patience) {
    for (size_t g = 0; g < groups.size(); ++g) {
      const double old_lr = groups[g].lr;
      const double new_lr = std::max(old_lr * options_.factor, options_.min_lrs[g]);
      if (old_lr - new_lr > options_.eps) groups[g].lr = new_lr;
    }
    cooldown_counter_ = options_.cooldown;
    num_bad_epochs_ = 0;
  }
  last_lr_.clear();
  for (const auto& group : groups) last_lr_.push_back(group.lr);
}

void ReduceLROnPlateau::visit_state(StateVisitor& v) {
  v.field("last_epoch", last_epoch_);
  v.field("best", best_);
  v.field("num_bad_epochs", num_bad_epochs_);
  v.field("cooldown_counter", cooldown_counter_);
  v.list("last_lr", last_lr_);
  bool max_mode = options_.mode == PlateauMode::Max;
  v.field("mode_max", max_mode);
  options_.mode = max_mode ? PlateauMode::Max : PlateauMode::Min;
  bool abs_threshold = options_.threshold_mode == ThresholdMode::Abs;
  v.field("threshold_abs", abs_threshold);
  options_.threshold_mode = abs_threshold ? ThresholdMode::Abs : ThresholdMode::Rel;
  v.field("factor", options_.factor);
  v.field("patience", options_.patience);
  v.field("threshold", options_.threshold);
  v.field("cooldown", options_.cooldown);
  v.list("min_lrs", options_.min_lrs);
  v.field("eps", options_.eps);
}

SchedulerState ReduceLROnPlateau::state_dict() const {
  SchedulerState out;
  StateVisitor v(out, "ReduceLROnPlateau: state_dict");
  const_cast<ReduceLROnPlateau*>(this)->visit_state(v);
  return out;
}

void ReduceLROnPlateau::load_state_dict(const SchedulerState& state) {
  const std::string op = "ReduceLROnPlateau: load_state_dict";
  const SchedulerState backup = state_dict();
  try {
    StateVisitor v(state, op);
    visit_state(v);
    v.finish();
    const size_t groups = optimizer_->param_groups().size();
    EMBER_CHECK(options_.min_lrs.size() == groups,
                "{}: 'min_lrs.count' is {} but the optimizer has {} parameter group(s)", op,
                options_.min_lrs.size(), groups);
    check_same_count(op, "last_lr.count", last_lr_.size(), groups);
    options_ = validated(options_, groups);
  } catch (...) {
    StateVisitor restore(backup, op);
    visit_state(restore);
    throw;
  }
}

}  // namespace ember::optim
