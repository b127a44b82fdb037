#pragma once
// Adam and AdamW, with PyTorch 1.13's exact formulas. For step t (counted from 1):
//   g = grad (negated when maximize)            Adam: g += weight_decay * p   (L2 in the gradient)
//                                               AdamW: p *= 1 - lr * weight_decay  (decoupled)
//   m = beta1 m + (1 - beta1) g,   v = beta2 v + (1 - beta2) g^2,   amsgrad: v = vmax = max(vmax,
//   v) p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
// Each parameter is updated by one fused loop over its buffers (ops/cpu/optimizer.h).
//
//   optim::Adam opt(model.parameters(), {.lr = 1e-3, .betas = {0.9, 0.98}, .eps = 1e-9});
#include <utility>

#include "ember/optim/optimizer.h"

namespace ember::optim {

struct AdamOptions {
  double lr = 1e-3;
  std::pair<double, double> betas = {0.9, 0.999};
  double eps = 1e-8;
  double weight_decay = 0;
  bool amsgrad = false;
  bool maximize = false;
};

// AdamW's options: Adam's, with PyTorch's default decoupled weight decay of 0.01.
struct AdamWOptions {
  double lr = 1e-3;
  std::pair<double, double> betas = {0.9, 0.999};
  double eps = 1e-8;
  double weight_decay = 1e-2;
  bool amsgrad = false;
  bool maximize = false;
};

class Adam : public Optimizer {
 public:
  Adam(TensorList params, AdamOptions options = {});
  Adam(std::vector<ParamGroup> groups, AdamOptions options = {});

  void step() override;
  const AdamOptions& options() const { return options_; }

 protected:
  Adam(std::string name, std::vector<ParamGroup> groups, AdamOptions options, bool decoupled);
  std::vector<std::string> state_buffer_names() const override;
  std::map<std::string, double> hyperparameters() const override;
  void set_hyperparameters(const std::map<std::string, double>& values) override;

 private:
  AdamOptions options_;
  bool decoupled_weight_decay_;
};

class AdamW : public Adam {
 public:
  AdamW(TensorList params, AdamWOptions options = {});
  AdamW(std::vector<ParamGroup> groups, AdamWOptions options = {});
};

}  // namespace ember::optim
