#include "ember/optim/adam.h"

#include "ember/ops/cpu/optimizer.h"

namespace ember::optim {
namespace {

AdamOptions validated(const std::string& op, const AdamOptions& o) {
  check_hyperparameter(o.lr >= 0, op, "learning rate", o.lr, "lr >= 0");
  check_hyperparameter(o.betas.first >= 0 && o.betas.first < 1, op, "beta1", o.betas.first,
                       "0 <= beta1 < 1");
  check_hyperparameter(o.betas.second >= 0 && o.betas.second < 1, op, "beta2", o.betas.second,
                       "0 <= beta2 < 1");
  check_hyperparameter(o.eps >= 0, op, "eps", o.eps, "eps >= 0");
  check_hyperparameter(o.weight_decay >= 0, op, "weight_decay", o.weight_decay,
                       "weight_decay >= 0");
  return o;
}

AdamOptions as_adam(const AdamWOptions& o) {
  return {.lr = o.lr,
          .betas = o.betas,
          .eps = o.eps,
          .weight_decay = o.weight_decay,
          .amsgrad = o.amsgrad,
          .maximize = o.maximize};
}

}  // namespace

Adam::Adam(TensorList params, AdamOptions options)
    : Adam(std::vector<ParamGroup>{ParamGroup{.params = std::move(params)}}, options) {}

Adam::Adam(std::vector<ParamGroup> groups, AdamOptions options)
    : Adam("Adam", std::move(groups), options, false) {}

Adam::Adam(std::string name, std::vector<ParamGroup> groups, AdamOptions options, bool decoupled)
    : Optimizer(name, validated(name, options).lr, options.weight_decay),
      options_(options),
      decoupled_weight_decay_(decoupled) {
  init_groups(std::move(groups));
}

AdamW::AdamW(TensorList params, AdamWOptions options)
    : AdamW(std::vector<ParamGroup>{ParamGroup{.params = std::move(params)}}, options) {}

AdamW::AdamW(std::vector<ParamGroup> groups, AdamWOptions options)
    : Adam("AdamW", std::move(groups), as_adam(options), true) {}

std::vector<std::string> Adam::state_buffer_names() const {
  if (options_.amsgrad) return {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"};
  return {"exp_avg", "exp_avg_sq"};
}

std::map<std::string, double> Adam::hyperparameters() const {
  return {{"lr", options_.lr},
          {"beta1", options_.betas.first},
          {"beta2", options_.betas.second},
          {"eps", options_.eps},
          {"weight_decay", options_.weight_decay},
          {"amsgrad", options_.amsgrad ? 1.0 : 0.0},
          {"maximize", options_.maximize ? 1.0 : 0.0}};
}

void Adam::set_hyperparameters(const std::map<std::string, double>& v) {
  options_ = validated(name(), {.lr = v.at("lr"),
                                .betas = {v.at("beta1"), v.at("beta2")},
                                .eps = v.at("eps"),
                                .weight_decay = v.at("weight_decay"),
                                .amsgrad = v.at("amsgrad") != 0,
                                .maximize = v.at("maximize") != 0});
  set_defaults(options_.lr, options_.weight_decay);
}

void Adam::step() {
  for_each_update([&](const ParamGroup& group, Tensor& param, const Tensor& grad,
                      ParamState& state) {
    auto buffer = [&](const char* name) -> Tensor {
      auto& slot = state.buffers[name];
      if (!slot.defined()) slot = new_buffer(param);
      return slot;
    };
    const Tensor exp_avg = buffer("exp_avg");
    const Tensor exp_avg_sq = buffer("exp_avg_sq");
    const Tensor max_exp_avg_sq = options_.amsgrad ? buffer("max_exp_avg_sq") : Tensor();
    const cpu::AdamStep args{.lr = group.lr,
                             .beta1 = options_.betas.first,
                             .beta2 = options_.betas.second,
                             .eps = options_.eps,
                             .weight_decay = group.weight_decay,
                             .decoupled_weight_decay = decoupled_weight_decay_,
                             .amsgrad = options_.amsgrad,
                             .maximize = options_.maximize,
                             .step = state.step + 1};
    visit_floating(param.dtype(), name(), [&]<typename T>() {
      cpu::adam_step<T>(
          param.data_ptr<T>(), grad.data_ptr<T>(), exp_avg.data_ptr<T>(), exp_avg_sq.data_ptr<T>(),
          options_.amsgrad ? max_exp_avg_sq.data_ptr<T>() : nullptr, param.numel(), args);
    });
    ++state.step;
  });
}

}  // namespace ember::optim
