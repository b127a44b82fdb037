#pragma once
// Stochastic gradient descent with optional momentum (heavy-ball or Nesterov), dampening, L2
// weight decay and maximisation, in PyTorch's update order:
//   g = grad (negated when maximize) + weight_decay * p
//   buf = g on the first step, else momentum * buf + (1 - dampening) * g
//   g = nesterov ? g + momentum * buf : buf        (when momentum != 0)
//   p -= lr * g
//
//   optim::SGD opt(model.parameters(), {.lr = 0.1, .momentum = 0.9, .nesterov = true});
#include "ember/optim/optimizer.h"

namespace ember::optim {

struct SGDOptions {
  double lr = kDefault;  // required
  double momentum = 0;
  double dampening = 0;
  double weight_decay = 0;
  bool nesterov = false;
  bool maximize = false;
};

class SGD : public Optimizer {
 public:
  SGD(TensorList params, SGDOptions options);
  SGD(std::vector<ParamGroup> groups, SGDOptions options);

  void step() override;
  const SGDOptions& options() const { return options_; }

 protected:
  std::vector<std::string> state_buffer_names() const override;
  std::map<std::string, double> hyperparameters() const override;
  void set_hyperparameters(const std::map<std::string, double>& values) override;

 private:
  static SGDOptions validated(SGDOptions options);
  SGDOptions options_;
};

}  // namespace ember::optim
