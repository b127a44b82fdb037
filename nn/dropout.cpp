#include "ember/nn/dropout.h"

#include "ember/ops/dropout.h"
#include "ember/ops/elementwise.h"
#include "ember/ops/factory.h"

namespace ember::nn {

Dropout::Dropout(double p) : Module("Dropout"), p(p) {
  EMBER_CHECK(p >= 0 && p <= 1, "Dropout: p must be in [0, 1], got {}", p);
}

Tensor Dropout::forward(const Tensor& x) const {
  return dropout(x, p, is_training());
}

DropPath::DropPath(double p) : Module("DropPath"), p(p) {
  EMBER_CHECK(p >= 0 && p < 1, "DropPath: p must be in [0, 1), got {}", p);
}

Tensor DropPath::forward(const Tensor& x) const {
  if (!is_training() || p == 0) return x;
  EMBER_CHECK(x.dim() >= 1, "DropPath: expected a batched input, got shape {}",
              shape_str(x.sizes()));
  Shape mask_shape(static_cast<size_t>(x.dim()), 1);
  mask_shape[0] = x.size(0);
  const Tensor keep =
      bernoulli_like(empty(mask_shape, TensorOptions(x.dtype(), x.device())), 1 - p);
  return x * (keep / (1 - p));
}

}  // namespace ember::nn
