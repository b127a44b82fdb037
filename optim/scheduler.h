#pragma once
// Learning-rate schedulers with PyTorch 1.13's semantics. Constructing one sets every group's lr
// for epoch 0; each step() advances one epoch (or one iteration: the unit is whatever the loop
// calls it for) and writes the new lrs into the optimizer's groups.
//
//   optim::AdamW opt(model.parameters(), {.lr = 1e-3});
//   auto warmup = std::make_shared<optim::LinearLR>(opt, 0.01, 1.0, 500);
//   auto decay = std::make_shared<optim::CosineAnnealingLR>(opt, 9500, 1e-5);
//   optim::SequentialLR schedule(opt, {warmup, decay}, {500});
//   for (int64_t it = 0; it < 10000; ++it) {
//     ... opt.step();
//     schedule.step();
//   }
//
// Schedulers that multiply the current lr (StepLR, MultiStepLR, ExponentialLR, LinearLR,
// CosineAnnealingLR) use PyTorch's recursive ("chainable") form, so they compose with changes
// made to the lr from outside, exactly as PyTorch's do. Each scheduler starts from the groups'
// initial_lr, which the first scheduler attached to an optimizer sets to the group's lr.
//
// state_dict() / load_state_dict() save and restore a scheduler's counters and settings; restore
// the optimizer's state_dict too (it holds the groups' current lrs), and a resumed run continues
// exactly where the saved one was.
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "ember/optim/optimizer.h"

namespace ember::optim {

// A scheduler's state: named numbers (integers, flags and lists stored as doubles; a list "x" is
// "x.count", "x.0", "x.1", ...; a SequentialLR's children are prefixed "schedulers.<i>.").
using SchedulerState = std::map<std::string, double>;

// Walks a scheduler's state fields, either saving them into a SchedulerState or loading them
// from one (with checks naming the key). One visit_state() function thus serves both directions.
class StateVisitor {
 public:
  // Saving: writes into `out`.
  StateVisitor(SchedulerState& out, std::string op);
  // Loading: reads from `in`; finish() then reports keys that were not read.
  StateVisitor(const SchedulerState& in, std::string op);

  void field(std::string_view key, double& value);
  void field(std::string_view key, int64_t& value);
  void field(std::string_view key, bool& value);
  void list(std::string_view key, std::vector<double>& values);
  void list(std::string_view key, std::vector<int64_t>& values);
  // Keys visited until pop_prefix() get `prefix` in front.
  void push_prefix(const std::string& prefix);
  void pop_prefix();
  void finish() const;
  bool loading() const { return in_ != nullptr; }
  const std::string& op() const { return op_; }

 private:
  std::string full(std::string_view key) const;
  double read(const std::string& key);
  SchedulerState* out_ = nullptr;
  const SchedulerState* in_ = nullptr;
  std::string op_;
  std::vector<std::string> prefixes_;
  std::set<std::string> used_;
};

class LRScheduler {
 public:
  virtual ~LRScheduler() = default;
  LRScheduler(const LRScheduler&) = delete;
  LRScheduler& operator=(const LRScheduler&) = delete;

  // Advances one epoch and sets the groups' lrs.
  virtual void step();
  // The lrs set by the last step (or by construction), one per group.
  const std::vector<double>& get_last_lr() const { return last_lr_; }
  // The epoch the current lrs belong to: 0 after construction.
  int64_t last_epoch() const { return last_epoch_; }
  const std::vector<double>& base_lrs() const { return base_lrs_; }
  Optimizer& optimizer() const { return *optimizer_; }
  const std::string& name() const { return name_; }

  SchedulerState state_dict() const;
  // Restores a state_dict(); on error (missing or unexpected keys, a group count that does not
  // match the optimizer) nothing changes and the message names the key.
  void load_state_dict(const SchedulerState& state);

 protected:
  LRScheduler(std::string name, Optimizer& optimizer);
  // Subclass constructors end with this: sets each group's initial_lr if unset, takes them as
  // base_lrs, and performs the step to epoch 0.
  void start();
  // Resets the step counter and performs the step to epoch 0 (PyTorch's _initial_step).
  void initial_step();
  // Jumps to `epoch` using the closed form (PyTorch's step(epoch)); SequentialLR uses it.
  void step_to(int64_t epoch);

  // The lrs for last_epoch(), in recursive form (may read the groups' current lrs).
  virtual std::vector<double> get_lr() = 0;
  // The lrs for last_epoch() from base_lrs alone; defaults to get_lr().
  virtual std::vector<double> closed_form_lr() { return get_lr(); }
  // Saves or loads every field that defines the scheduler; overrides call the base first.
  virtual void visit_state(StateVisitor& v);
  // Throws naming the key when the loaded state does not fit the optimizer.
  virtual void check_loaded_state() const;

  std::vector<double> group_lrs() const;
  size_t num_groups() const { return optimizer_->param_groups().size(); }
  void apply(const std::vector<double>& lrs);

  Optimizer* optimizer_;
  std::string name_;
  std::vector<double> base_lrs_;
  std::vector<double> last_lr_;
  int64_t last_epoch_ = -1;
  int64_t step_count_ = 0;

  friend class SequentialLR;
};

// lr = base_lr * lr_lambda(epoch): one function for every group, or one per group. The functions
// are not part of the state_dict.
class LambdaLR : public LRScheduler {
 public:
  using Lambda = std::function<double(int64_t epoch)>;
  LambdaLR(Optimizer& optimizer, Lambda lr_lambda);
  LambdaLR(Optimizer& optimizer, std::vector<Lambda> lr_lambdas);

 protected:
  std::vector<double> get_lr() override;

 private:
  std::vector<Lambda> lambdas_;
};

// lr *= gamma every step_size epochs.
class StepLR : public LRScheduler {
 public:
  StepLR(Optimizer& optimizer, int64_t step_size, double gamma = 0.1);

 protected:
  std::vector<double> get_lr() override;
  std::vector<double> closed_form_lr() override;
  void visit_state(StateVisitor& v) override;

 private:
  int64_t step_size_;
  double gamma_;
};

// lr *= gamma at each milestone epoch (a milestone listed twice applies gamma twice).
class MultiStepLR : public LRScheduler {
 public:
  MultiStepLR(Optimizer& optimizer, std::vector<int64_t> milestones, double gamma = 0.1);

 protected:
  std::vector<double> get_lr() override;
  std::vector<double> closed_form_lr() override;
  void visit_state(StateVisitor& v) override;

 private:
  std::vector<int64_t> milestones_;  // sorted
  double gamma_;
};

// lr *= gamma every epoch.
class ExponentialLR : public LRScheduler {
 public:
  ExponentialLR(Optimizer& optimizer, double gamma);

 protected:
  std::vector<double> get_lr() override;
  std::vector<double> closed_form_lr() override;
  void visit_state(StateVisitor& v) override;

 private:
  double gamma_;
};

// lr = eta_min + (base_lr - eta_min) (1 + cos(pi epoch / T_max)) / 2, in PyTorch's recursive
// form (past T_max it climbs back up, as PyTorch's does).
class CosineAnnealingLR : public LRScheduler {
 public:
  CosineAnnealingLR(Optimizer& optimizer, int64_t T_max, double eta_min = 0);

 protected:
  std::vector<double> get_lr() override;
  std::vector<double> closed_form_lr() override;
  void visit_state(StateVisitor& v) override;

 private:
  int64_t T_max_;
  double eta_min_;
};

// lr = base_lr * factor, the factor going linearly from start_factor (epoch 0) to end_factor
// (epoch total_iters) and staying there: linear warmup with start_factor < end_factor = 1.
class LinearLR : public LRScheduler {
 public:
  LinearLR(Optimizer& optimizer, double start_factor = 1.0 / 3, double end_factor = 1.0,
           int64_t total_iters = 5);

 protected:
  std::vector<double> get_lr() override;
  std::vector<double> closed_form_lr() override;
  void visit_state(StateVisitor& v) override;

 private:
  double start_factor_;
  double end_factor_;
  int64_t total_iters_;
};

// Runs schedulers one after another: schedulers[i] drives epochs [milestones[i-1],
// milestones[i]), restarting from its own epoch 0 at the milestone. All must be attached to
// `optimizer`; construct them first (in order), then this.
class SequentialLR : public LRScheduler {
 public:
  SequentialLR(Optimizer& optimizer, std::vector<std::shared_ptr<LRScheduler>> schedulers,
               std::vector<int64_t> milestones);
  void step() override;
  const std::vector<std::shared_ptr<LRScheduler>>& schedulers() const { return schedulers_; }

 protected:
  std::vector<double> get_lr() override { return last_lr_; }
  void visit_state(StateVisitor& v) override;
  void check_loaded_state() const override;

 private:
  std::vector<std::shared_ptr<LRScheduler>> schedulers_;
  std::vector<int64_t> milestones_;
};

// The inverse-square-root schedule of "Attention Is All You Need" (Vaswani et al. 2017):
//   lr = factor * d_model^-0.5 * min(step^-0.5, step * warmup_steps^-1.5),  step = epoch + 1,
// linear warmup for warmup_steps steps, then decay as 1/sqrt(step). The lr is absolute: the
// optimizer's own lr is ignored (it is what Noam's "rate" replaces).
class NoamLR : public LRScheduler {
 public:
  NoamLR(Optimizer& optimizer, int64_t d_model, int64_t warmup_steps, double factor = 1.0);

 protected:
  std::vector<double> get_lr() override;
  void visit_state(StateVisitor& v) override;

 private:
  int64_t d_model_;
  int64_t warmup_steps_;
  double factor_;
};

enum class AnnealStrategy { Cos, Linear };

struct OneCycleOptions {
  double pct_start = 0.3;  // fraction of the steps spent increasing the lr
  AnnealStrategy anneal_strategy = AnnealStrategy::Cos;
  double div_factor = 25;         // initial_lr = max_lr / div_factor
  double final_div_factor = 1e4;  // min_lr = initial_lr / final_div_factor
  bool three_phase = false;       // warm up, come back down to initial_lr, then anneal to min_lr
};

// The 1cycle policy (Smith & Topin 2017): from max_lr / div_factor up to max_lr over pct_start
// of total_steps, then down to min_lr. Meant to be stepped once per batch; stepping past
// total_steps is an error. Only the lr is cycled (PyTorch's cycle_momentum=false). Sets the
// groups' initial_lr.
class OneCycleLR : public LRScheduler {
 public:
  OneCycleLR(Optimizer& optimizer, double max_lr, int64_t total_steps,
             OneCycleOptions options = {});
  // One max_lr per group.
  OneCycleLR(Optimizer& optimizer, std::vector<double> max_lrs, int64_t total_steps,
             OneCycleOptions options = {});

 protected:
  std::vector<double> get_lr() override;
  void visit_state(StateVisitor& v) override;
  void check_loaded_state() const override;

 private:
  double anneal(double start, double end, double pct) const;
  std::vector<double> max_lrs_;
  std::vector<double> min_lrs_;
  int64_t total_steps_;
  OneCycleOptions options_;
};

enum class PlateauMode { Min, Max };
enum class ThresholdMode { Rel, Abs };

struct PlateauOptions {
  PlateauMode mode = PlateauMode::Min;  // Min: the metric should go down (a loss)
  double factor = 0.1;                  // new lr = lr * factor
  int64_t patience = 10;                // epochs without improvement tolerated
  double threshold = 1e-4;              // what counts as an improvement, see ThresholdMode
  ThresholdMode threshold_mode = ThresholdMode::Rel;  // Rel: best * (1 -/+ threshold)
  int64_t cooldown = 0;                               // epochs to wait after a reduction
  std::vector<double> min_lrs = {0.0};                // one for every group, or one per group
  double eps = 1e-8;                                  // reductions smaller than this are skipped
};

// Reduces the lrs by `factor` once a metric has not improved for `patience` epochs. Not an
// LRScheduler: it is stepped with the metric, step(val_loss), and does not set the lrs when
// constructed.
class ReduceLROnPlateau {
 public:
  explicit ReduceLROnPlateau(Optimizer& optimizer, PlateauOptions options = {});
  void step(double metric);

  const std::vector<double>& get_last_lr() const { return last_lr_; }
  int64_t last_epoch() const { return last_epoch_; }
  double best() const { return best_; }
  int64_t num_bad_epochs() const { return num_bad_epochs_; }
  bool in_cooldown() const { return cooldown_counter_ > 0; }
  Optimizer& optimizer() const { return *optimizer_; }

  SchedulerState state_dict() const;
  void load_state_dict(const SchedulerState& state);

 private:
  bool is_better(double a, double best) const;
  void visit_state(StateVisitor& v);
  static PlateauOptions validated(PlateauOptions options, size_t num_groups);

  Optimizer* optimizer_;
  PlateauOptions options_;
  std::vector<double> last_lr_;
  int64_t last_epoch_ = 0;
  double best_;
  int64_t num_bad_epochs_ = 0;
  int64_t cooldown_counter_ = 0;
};

}  // namespace ember::optim
