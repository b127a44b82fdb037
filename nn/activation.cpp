#include "ember/nn/activation.h"

#include "ember/ops/elementwise.h"
#include "ember/ops/softmax.h"

namespace ember::nn {

Tensor ReLU::forward(const Tensor& x) const {
  return relu(x);
}
Tensor GELU::forward(const Tensor& x) const {
  return gelu(x, approximate);
}
Tensor Tanh::forward(const Tensor& x) const {
  return tanh(x);
}
Tensor Sigmoid::forward(const Tensor& x) const {
  return sigmoid(x);
}
Tensor Softmax::forward(const Tensor& x) const {
  return softmax(x, dim);
}

}  // namespace ember::nn
