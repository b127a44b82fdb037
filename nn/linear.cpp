#include "ember/nn/linear.h"

#include <cmath>

#include "ember/nn/init.h"
#include "ember/ops/linalg.h"

namespace ember::nn {

Linear::Linear(int64_t in, int64_t out, bool with_bias)
    : Module("Linear"), in_features(in), out_features(out) {
  EMBER_CHECK(in > 0 && out > 0, "Linear: sizes must be positive, got in={} out={}", in, out);
  const double bound = 1.0 / std::sqrt(static_cast<double>(in));
  Tensor w = empty({out, in});
  init::uniform_(w, -bound, bound);
  weight = register_parameter("weight", w);
  if (with_bias) {
    Tensor b = empty({out});
    init::uniform_(b, -bound, bound);
    bias = register_parameter("bias", b);
  }
}

Tensor Linear::forward(const Tensor& x) const {
  check_defined("Linear", x);
  EMBER_CHECK(x.dim() >= 1 && x.size(-1) == in_features,
              "Linear: expected input with last dim {} (in_features), got shape {}", in_features,
              shape_str(x.sizes()));
  return linear(x, weight, bias);
}

std::string Linear::extra_repr() const {
  return fmt::format("in_features={}, out_features={}, bias={}", in_features, out_features,
                     bias.defined());
}

}  // namespace ember::nn
