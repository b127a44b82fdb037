#pragma once
// The position-wise feed-forward block of a Transformer layer:
//   FFN(x) = W2 dropout(act(W1 x + b1)) + b2, applied to every position independently.
#include "ember/nn/linear.h"

namespace ember::nn {

enum class Activation { ReLU, GELU };

class PositionwiseFeedForward : public Module {
 public:
  PositionwiseFeedForward(int64_t d_model, int64_t d_ff, double dropout = 0.1,
                          Activation activation = Activation::ReLU);
  Tensor forward(const Tensor& x) const;
  std::string extra_repr() const override;

  std::shared_ptr<Linear> fc1, fc2;
  double dropout;
  Activation activation;
};

}  // namespace ember::nn
