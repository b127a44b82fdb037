#pragma once
// Activations as modules, for Sequential. Each forward is the functional op of the same name.
#include "ember/nn/module.h"

namespace ember::nn {

class ReLU : public Module {
 public:
  ReLU() : Module("ReLU") {}
  Tensor forward(const Tensor& x) const;
};

class GELU : public Module {
 public:
  explicit GELU(bool approximate_tanh = false) : Module("GELU"), approximate(approximate_tanh) {}
  Tensor forward(const Tensor& x) const;
  std::string extra_repr() const override { return approximate ? "approximate=tanh" : ""; }
  bool approximate;
};

class Tanh : public Module {
 public:
  Tanh() : Module("Tanh") {}
  Tensor forward(const Tensor& x) const;
};

class Sigmoid : public Module {
 public:
  Sigmoid() : Module("Sigmoid") {}
  Tensor forward(const Tensor& x) const;
};

class Softmax : public Module {
 public:
  explicit Softmax(int64_t dim = -1) : Module("Softmax"), dim(dim) {}
  Tensor forward(const Tensor& x) const;
  std::string extra_repr() const override { return fmt::format("dim={}", dim); }
  int64_t dim;
};

}  // namespace ember::nn
