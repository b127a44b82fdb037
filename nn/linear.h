#pragma once
// y = x W^T + b over the last dim, W of shape [out_features, in_features] (PyTorch's layout, so
// weights load from PyTorch checkpoints unchanged).
#include "ember/nn/module.h"

namespace ember::nn {

class Linear : public Module {
 public:
  // Initialised as PyTorch does: W, b ~ U(-1/sqrt(in), 1/sqrt(in)).
  Linear(int64_t in_features, int64_t out_features, bool bias = true);
  Tensor forward(const Tensor& x) const;
  std::string extra_repr() const override;

  int64_t in_features, out_features;
  Tensor weight, bias;  // bias undefined when disabled
};

}  // namespace ember::nn
