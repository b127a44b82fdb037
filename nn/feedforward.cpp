#include "ember/nn/feedforward.h"

#include "ember/ops/dropout.h"
#include "ember/ops/elementwise.h"

namespace ember::nn {

PositionwiseFeedForward::PositionwiseFeedForward(int64_t d_model, int64_t d_ff, double p,
                                                 Activation act)
    : Module("PositionwiseFeedForward"), dropout(p), activation(act) {
  EMBER_CHECK(p >= 0 && p < 1, "PositionwiseFeedForward: dropout must be in [0, 1), got {}", p);
  fc1 = register_module("fc1", std::make_shared<Linear>(d_model, d_ff));
  fc2 = register_module("fc2", std::make_shared<Linear>(d_ff, d_model));
}

Tensor PositionwiseFeedForward::forward(const Tensor& x) const {
  Tensor h = fc1->forward(x);
  h = activation == Activation::ReLU ? relu(h) : gelu(h);
  return fc2->forward(ember::dropout(h, dropout, is_training()));
}

std::string PositionwiseFeedForward::extra_repr() const {
  return fmt::format("activation={}, dropout={}", activation == Activation::ReLU ? "relu" : "gelu",
                     dropout);
}

}  // namespace ember::nn
