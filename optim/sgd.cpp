#include "ember/optim/sgd.h"

#include "ember/ops/cpu/optimizer.h"

namespace ember::optim {

SGDOptions SGD::validated(SGDOptions o) {
  EMBER_CHECK(!std::isnan(o.lr), "SGD: options.lr is required (e.g. {{.lr = 0.1}})");
  check_hyperparameter(o.lr >= 0, "SGD", "learning rate", o.lr, "lr >= 0");
  check_hyperparameter(o.momentum >= 0, "SGD", "momentum", o.momentum, "momentum >= 0");
  check_hyperparameter(o.dampening >= 0 && o.dampening <= 1, "SGD", "dampening", o.dampening,
                       "0 <= dampening <= 1");
  check_hyperparameter(o.weight_decay >= 0, "SGD", "weight_decay", o.weight_decay,
                       "weight_decay >= 0");
  EMBER_CHECK(!o.nesterov || (o.momentum > 0 && o.dampening == 0),
              "SGD: nesterov momentum requires momentum > 0 and dampening = 0 (got momentum={}, "
              "dampening={})",
              o.momentum, o.dampening);
  return o;
}

SGD::SGD(TensorList params, SGDOptions options)
    : SGD(std::vector<ParamGroup>{ParamGroup{.params = std::move(params)}}, options) {}

SGD::SGD(std::vector<ParamGroup> groups, SGDOptions options)
    : Optimizer("SGD", validated(options).lr, options.weight_decay), options_(options) {
  init_groups(std::move(groups));
}

std::vector<std::string> SGD::state_buffer_names() const {
  if (options_.momentum == 0) return {};
  return {"momentum_buffer"};
}

std::map<std::string, double> SGD::hyperparameters() const {
  return {{"lr", options_.lr},
          {"momentum", options_.momentum},
          {"dampening", options_.dampening},
          {"weight_decay", options_.weight_decay},
          {"nesterov", options_.nesterov ? 1.0 : 0.0},
          {"maximize", options_.maximize ? 1.0 : 0.0}};
}

void SGD::set_hyperparameters(const std::map<std::string, double>& v) {
  options_ = validated({.lr = v.at("lr"),
                        .momentum = v.at("momentum"),
                        .dampening = v.at("dampening"),
                        .weight_decay = v.at("weight_decay"),
                        .nesterov = v.at("nesterov") != 0,
                        .maximize = v.at("maximize") != 0});
  set_defaults(options_.lr, options_.weight_decay);
}

void SGD::step() {
  for_each_update(
      [&](const ParamGroup& group, Tensor& param, const Tensor& grad, ParamState& state) {
        // Like PyTorch, a fresh momentum buffer starts as a copy of the first (decayed) gradient.
        Tensor buffer;
        bool fresh = false;
        if (options_.momentum != 0) {
          auto& slot = state.buffers["momentum_buffer"];
          fresh = !slot.defined();
          if (fresh) slot = empty(param.sizes(), TensorOptions(param.dtype()));
          buffer = slot;
        }
        const cpu::SgdStep args{.lr = group.lr,
                                .momentum = options_.momentum,
                                .dampening = options_.dampening,
                                .weight_decay = group.weight_decay,
                                .nesterov = options_.nesterov,
                                .maximize = options_.maximize,
                                .first_step = fresh};
        visit_floating(param.dtype(), "SGD", [&]<typename T>() {
          cpu::sgd_step<T>(param.data_ptr<T>(), grad.data_ptr<T>(),
                           buffer.defined() ? buffer.data_ptr<T>() : nullptr, param.numel(), args);
        });
        ++state.step;
      });
}

}  // namespace ember::optim
