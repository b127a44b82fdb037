#pragma once
// Dropout (elementwise, inverted scaling) and DropPath (stochastic depth: drops a whole
// residual branch per sample, as timm does). Both are the identity in eval mode.
#include "ember/nn/module.h"

namespace ember::nn {

class Dropout : public Module {
 public:
  explicit Dropout(double p = 0.5);
  Tensor forward(const Tensor& x) const;
  std::string extra_repr() const override { return fmt::format("p={}", p); }
  double p;
};

class DropPath : public Module {
 public:
  explicit DropPath(double p = 0.0);
  // x: [batch, ...]; each sample's branch is kept with probability 1-p and scaled by 1/(1-p).
  Tensor forward(const Tensor& x) const;
  std::string extra_repr() const override { return fmt::format("p={}", p); }
  double p;
};

}  // namespace ember::nn
