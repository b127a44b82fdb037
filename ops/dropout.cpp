// Dropout: the mask kernel is in ops/cpu/dropout.h.
#include "ember/ops/dropout.h"

#include "ember/core/autograd.h"
#include "ember/ops/cpu/dropout.h"

namespace ember {

namespace {

// Where in the random stream a dropout mask comes from; enough to rebuild it.
struct MaskDraw {
  double p;
  uint64_t seed, first;
};

// x times the mask (scaled). Being a diagonal linear map, its gradient is itself applied to g.
Tensor apply_mask(const Tensor& x, const MaskDraw& draw) {
  const Tensor in = x.detach().contiguous();
  Tensor out = empty(x.sizes(), TensorOptions(x.dtype(), x.device()));
  visit_floating(x.dtype(), "dropout", [&]<typename T>() {
    cpu::dropout_kernel(in.data_ptr<T>(), out.data_ptr<T>(), x.numel(), draw.p, draw.seed,
                        draw.first);
  });
  if (auto node = make_node("dropout", {x}, {out}))
    node->backward = [draw](const TensorList& g) { return TensorList{apply_mask(g[0], draw)}; };
  return out;
}

}  // namespace

Tensor dropout(const Tensor& x, double p, bool training, Generator* gen) {
  check_defined("dropout", x);
  check_cpu("dropout", x);
  EMBER_CHECK(p >= 0 && p <= 1, "dropout: probability p must be in [0, 1], got {}", p);
  if (!training || p == 0) return x;
  EMBER_CHECK(x.is_floating_point(), "dropout: expected a float32 or float64 tensor, got {}",
              x.describe());
  const auto [seed, first] =
      (gen ? *gen : default_generator()).reserve(cpu::dropout_counters(x.numel()));
  return apply_mask(x, {p, seed, first});
}

}  // namespace ember
