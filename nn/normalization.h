#pragma once
// LayerNorm over the trailing `normalized_shape` dims, with an optional elementwise affine
// (weight initialised to 1, bias to 0).
#include "ember/nn/module.h"

namespace ember::nn {

class LayerNorm : public Module {
 public:
  explicit LayerNorm(Shape normalized_shape, double eps = 1e-5, bool elementwise_affine = true);
  explicit LayerNorm(int64_t size, double eps = 1e-5, bool elementwise_affine = true)
      : LayerNorm(Shape{size}, eps, elementwise_affine) {}
  Tensor forward(const Tensor& x) const;
  std::string extra_repr() const override;

  Shape normalized_shape;
  double eps;
  Tensor weight, bias;  // undefined without elementwise_affine
};

}  // namespace ember::nn
