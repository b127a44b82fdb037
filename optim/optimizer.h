#pragma once
// Optimizer: the base of SGD, Adam and AdamW. Parameters live in groups; each group carries its
// own learning rate and weight decay (e.g. no decay on norms and biases), and every parameter
// that has been updated carries its own state (a step count and buffers such as exp_avg).
//
//   std::vector<optim::ParamGroup> groups = {
//       {.params = weights},
//       {.params = norms_and_biases, .weight_decay = 0.0}};  // lr: the optimizer's default
//   optim::AdamW opt(groups, {.lr = 3e-4, .weight_decay = 0.05});
//   for (...) {
//     opt.zero_grad();
//     loss.backward();
//     opt.step();
//   }
//   auto checkpoint = opt.state_dict();   // resume later with opt.load_state_dict(checkpoint)
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ember/core/tensor.h"
#include "ember/nn/module.h"

namespace ember::optim {

using nn::StateDict;

// A ParamGroup field left at kDefault takes the optimizer's default when the group is added.
inline constexpr double kDefault = std::numeric_limits<double>::quiet_NaN();

struct ParamGroup {
  TensorList params;
  double lr = kDefault;
  double weight_decay = kDefault;
  // The learning rate schedulers count from; set by the first scheduler attached (kDefault until
  // then), like PyTorch's group['initial_lr'].
  double initial_lr = kDefault;
};

// What an optimizer keeps for one parameter: the number of updates it has had and named buffers
// shaped like the parameter ("exp_avg", "exp_avg_sq", "momentum_buffer", ...).
struct ParamState {
  int64_t step = 0;
  std::map<std::string, Tensor> buffers;
};

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  // Updates every parameter that has a gradient; parameters without one are skipped.
  virtual void step() = 0;
  // Drops the gradients (set_to_none) or zeroes them in place.
  void zero_grad(bool set_to_none = true);

  // Adds parameters with their own settings (unset fields take the defaults). A parameter may
  // belong to one group only.
  void add_param_group(ParamGroup group);
  // Schedulers and users change group lr / weight_decay here; do not add or remove parameters
  // through it (use add_param_group), or checkpoints will not line up.
  std::vector<ParamGroup>& param_groups() { return groups_; }
  const std::vector<ParamGroup>& param_groups() const { return groups_; }

  // The state of one parameter, or nullptr before its first update.
  const ParamState* state(const Tensor& param) const;

  // Everything needed to resume bit-for-bit, as tensors (copies, not aliases):
  //   "options.<name>"              hyperparameters (0-d float64; booleans as 0/1)
  //   "group.<g>.lr", "group.<g>.weight_decay", "group.<g>.initial_lr"   (0-d float64)
  //   "group.<g>.num_params"        (0-d int64)
  //   "state.<g>.<i>.step"          (0-d int64), for parameter i of group g once updated
  //   "state.<g>.<i>.<buffer>"      e.g. "state.0.3.exp_avg"
  StateDict state_dict() const;
  // Restores a state_dict() taken from an optimizer of the same kind over the same parameter
  // layout. Everything is validated first (missing or unexpected keys, group and parameter
  // counts, shapes, dtypes); on error nothing changes and the message names the key.
  void load_state_dict(const StateDict& state);

  const std::string& name() const { return name_; }
  double default_lr() const { return default_lr_; }
  double default_weight_decay() const { return default_weight_decay_; }

 protected:
  Optimizer(std::string name, double default_lr, double default_weight_decay);
  // Subclass constructors call this once their options are validated.
  void init_groups(std::vector<ParamGroup> groups);

  // The buffers each updated parameter's state holds, given the current options.
  virtual std::vector<std::string> state_buffer_names() const = 0;
  // Hyperparameters saved as "options.<name>". set_hyperparameters validates every value before
  // changing anything, and throws naming the bad one.
  virtual std::map<std::string, double> hyperparameters() const = 0;
  virtual void set_hyperparameters(const std::map<std::string, double>& values) = 0;
  // Called by set_hyperparameters so that group defaults follow the restored options.
  void set_defaults(double lr, double weight_decay);

  // Runs `update` for every parameter that has a gradient, after checking both (CPU, same
  // float dtype and shape). `param` and `grad` are contiguous: a non-contiguous parameter is
  // updated through a contiguous copy that is written back, a non-contiguous gradient is read
  // through a contiguous copy. The parameter's version is bumped, like any in-place op.
  using UpdateFn = std::function<void(const ParamGroup& group, Tensor& param, const Tensor& grad,
                                      ParamState& state)>;
  void for_each_update(const UpdateFn& update);
  // A zero-filled contiguous buffer shaped like `param` (what a state buffer starts as).
  static Tensor new_buffer(const Tensor& param);

 private:
  std::string name_;
  double default_lr_;
  double default_weight_decay_;
  std::vector<ParamGroup> groups_;
  std::unordered_map<const TensorImpl*, ParamState> state_;
};

// Throws "<op>: invalid <what> <value> (expected <expected>)" unless ok; shared by the
// optimizers' and schedulers' hyperparameter checks.
void check_hyperparameter(bool ok, std::string_view op, std::string_view what, double value,
                          std::string_view expected);

}  // namespace ember::optim
