// Loss functions. Cross entropy and NLL run fused kernels (ops/cpu/cross_entropy.h) and keep a
// composite gradient for create_graph; MSE is composite; binary cross entropy with logits has a
// fused forward and a gradient in differentiable ops.
#include "ember/ops/loss.h"

#include <cmath>

#include "ember/core/autograd.h"
#include "ember/ops/cpu/cross_entropy.h"
#include "ember/ops/cpu/elementwise.h"
#include "ember/ops/elementwise.h"
#include "ember/ops/factory.h"
#include "ember/ops/reduce.h"
#include "ember/ops/shape.h"
#include "ember/ops/softmax.h"

namespace ember {

namespace {

struct ClassLayout {
  cpu::ClassShape shape;
  int64_t class_dim = 1;
};

// Checks input/target shapes and dtypes for the classification losses.
ClassLayout class_layout(std::string_view op, const Tensor& input, const Tensor& target) {
  check_defined(op, input, "input");
  check_defined(op, target, "target");
  check_cpu(op, input);
  check_cpu(op, target);
  EMBER_CHECK(input.is_floating_point(), "{}: expected a float32 or float64 input, got {}", op,
              input.describe());
  EMBER_CHECK(target.dtype() == kInt64, "{}: target must hold int64 class indices, got {}", op,
              target.describe());
  EMBER_CHECK(input.dim() >= 1,
              "{}: expected an input of shape [C], [N, C] or [N, C, d1, ...], got a 0-d tensor",
              op);
  ClassLayout layout;
  Shape expected;
  if (input.dim() == 1) {
    layout.class_dim = 0;
    layout.shape.classes = input.size(0);
  } else {
    layout.shape.batch = input.size(0);
    layout.shape.classes = input.size(1);
    expected.push_back(input.size(0));
    for (int64_t d = 2; d < input.dim(); ++d) {
      expected.push_back(input.size(d));
      layout.shape.inner *= input.size(d);
    }
  }
  EMBER_CHECK(target.sizes() == expected,
              "{}: target of shape {} does not match input of shape {} (expected a target of "
              "shape {}: the input's shape without the class dim {})",
              op, shape_str(target.sizes()), shape_str(input.sizes()), shape_str(expected),
              layout.class_dim);
  return layout;
}

std::string position_str(int64_t flat, const Shape& sizes) {
  Shape index(sizes.size());
  for (size_t d = sizes.size(); d-- > 0;) {
    index[d] = flat % sizes[d];
    flat /= sizes[d];
  }
  return shape_str(index);
}

// Every target must be a class index or ignore_index. Returns how many are not ignored.
int64_t check_targets(std::string_view op, const Tensor& target, int64_t classes,
                      int64_t ignore_index) {
  const int64_t* t = target.data_ptr<int64_t>();
  int64_t count = 0;
  for (int64_t k = 0; k < target.numel(); ++k) {
    const int64_t v = t[k];
    if (v == ignore_index) continue;
    EMBER_CHECK(v >= 0 && v < classes,
                "{}: target {} at position {} is out of range for {} classes (expected 0 <= "
                "target < {}, or ignore_index {})",
                op, v, position_str(k, target.sizes()), classes, classes, ignore_index);
    ++count;
  }
  return count;
}

// Adds per-sample losses in a fixed order (in double) for Mean and Sum.
Tensor reduce_losses(const Tensor& per_sample, Reduction reduction, int64_t count) {
  if (reduction == Reduction::None) return per_sample;
  Tensor out = empty({}, TensorOptions(per_sample.dtype(), per_sample.device()));
  visit_floating(per_sample.dtype(), "loss", [&]<typename T>() {
    const T* p = per_sample.data_ptr<T>();
    double total = 0;
    for (int64_t k = 0; k < per_sample.numel(); ++k) total += static_cast<double>(p[k]);
    // Mean over no counted sample is 0 / 0 = NaN, as in PyTorch.
    if (reduction == Reduction::Mean) total /= static_cast<double>(count);
    out.data_ptr<T>()[0] = static_cast<T>(total);
  });
  return out;
}

Tensor apply_reduction(const Tensor& losses, Reduction reduction) {
  switch (reduction) {
    case Reduction::None:
      return losses;
    case Reduction::Mean:
      return mean(losses);
    case Reduction::Sum:
      return sum(losses);
  }
  fail("loss: unknown reduction {}", static_cast<int>(reduction));
}

// d(reduced loss) / d(per-sample loss), shaped to broadcast against the input (class dim kept).
Tensor sample_scale(const Tensor& g, Reduction reduction, int64_t count, int64_t class_dim) {
  switch (reduction) {
    case Reduction::None:
      return unsqueeze(g, class_dim);
    case Reduction::Sum:
      return g;
    // With every sample ignored nothing gets a gradient (rather than inf * 0).
    case Reduction::Mean:
      return count > 0 ? g / static_cast<double>(count) : g * 0.0;
  }
  fail("loss: unknown reduction {}", static_cast<int>(reduction));
}

// 1 at (sample, its target class) for samples that are not ignored, else 0; shaped like the
// input (`ndim` dims, class dim included).
Tensor target_onehot(const Tensor& target, const ClassLayout& layout, int64_t ignore_index,
                     int64_t ndim, DType dtype) {
  Shape along(static_cast<size_t>(ndim), 1);
  along[layout.class_dim] = layout.shape.classes;
  const Tensor classes =
      arange(layout.shape.classes, TensorOptions(kInt64, target.device())).view(along);
  const Tensor t = unsqueeze(target, layout.class_dim);
  return logical_and(eq(classes, t), ne(t, wrap_scalar(static_cast<double>(ignore_index), t)))
      .to(dtype);
}

// 1 for samples that are not ignored, with the class dim kept for broadcasting.
Tensor counted(const Tensor& target, const ClassLayout& layout, int64_t ignore_index, DType dtype) {
  return unsqueeze(ne(target, wrap_scalar(static_cast<double>(ignore_index), target)),
                   layout.class_dim)
      .to(dtype);
}

// log(1 + e^v), stable for any v; an op of its own so the gradients of
// binary_cross_entropy_with_logits are exact at v = 0 and differentiable again.
Tensor stable_softplus(const Tensor& v) {
  Tensor out = empty(v.sizes(), TensorOptions(v.dtype(), v.device()));
  visit_floating(v.dtype(), "softplus", [&]<typename T>() {
    cpu::unary_kernel<T, T>(
        out, v, [](T a) { return (a > 0 ? a : T(0)) + std::log1p(std::exp(-std::fabs(a))); });
  });
  if (auto node = make_node("softplus", {v}, {out}))
    node->backward = [sv = SavedTensor(v)](const TensorList& g) {
      return TensorList{g[0] * sigmoid(sv.unpack())};
    };
  return out;
}

}  // namespace

Tensor cross_entropy(const Tensor& logits, const Tensor& target,
                     const CrossEntropyOptions& options) {
  const ClassLayout layout = class_layout("cross_entropy", logits, target);
  const double eps = options.label_smoothing;
  EMBER_CHECK(eps >= 0 && eps <= 1, "cross_entropy: label_smoothing must be in [0, 1], got {}",
              eps);
  const Tensor x = logits.detach().contiguous();
  const Tensor t = target.contiguous();
  const int64_t count =
      check_targets("cross_entropy", t, layout.shape.classes, options.ignore_index);
  Tensor per_sample = empty(target.sizes(), TensorOptions(logits.dtype(), logits.device()));
  Tensor lse = empty(target.sizes(), TensorOptions(logits.dtype(), logits.device()));
  visit_floating(logits.dtype(), "cross_entropy", [&]<typename T>() {
    cpu::cross_entropy_forward(x.data_ptr<T>(), t.data_ptr<int64_t>(), per_sample.data_ptr<T>(),
                               lse.data_ptr<T>(), layout.shape, options.ignore_index, eps);
  });
  Tensor out = reduce_losses(per_sample, options.reduction, count);

  if (auto node = make_node("cross_entropy", {logits}, {out}))
    node->backward = [sx = SavedTensor(logits), st = SavedTensor(target), lse, layout, options,
                      count](const TensorList& grads) -> TensorList {
      const Tensor x = sx.unpack(), target = st.unpack();
      const double eps = options.label_smoothing;
      const Tensor& g = grads[0];
      if (GradMode::is_enabled()) {
        const Tensor scale = sample_scale(g, options.reduction, count, layout.class_dim);
        const Tensor p = softmax(x, layout.class_dim);
        const Tensor valid = counted(target, layout, options.ignore_index, x.dtype());
        const Tensor onehot =
            target_onehot(target, layout, options.ignore_index, x.dim(), x.dtype());
        const double spread = eps / static_cast<double>(layout.shape.classes);
        return {scale * (valid * (p - spread) - onehot * (1 - eps))};
      }
      const Tensor xc = x.contiguous(), tc = target.contiguous(), gc = g.contiguous();
      Tensor dx = empty(x.sizes(), TensorOptions(x.dtype(), x.device()));
      visit_floating(x.dtype(), "cross_entropy backward", [&]<typename T>() {
        const bool per = options.reduction == Reduction::None;
        T scale = per ? T(0) : gc.data_ptr<T>()[0];
        if (options.reduction == Reduction::Mean) scale /= static_cast<T>(count);
        cpu::cross_entropy_backward(xc.data_ptr<T>(), tc.data_ptr<int64_t>(), lse.data_ptr<T>(),
                                    per ? gc.data_ptr<T>() : nullptr, scale, dx.data_ptr<T>(),
                                    layout.shape, options.ignore_index, eps);
      });
      return {dx};
    };
  return out;
}

Tensor nll_loss(const Tensor& log_probs, const Tensor& target, const NLLLossOptions& options) {
  const ClassLayout layout = class_layout("nll_loss", log_probs, target);
  const Tensor x = log_probs.detach().contiguous();
  const Tensor t = target.contiguous();
  const int64_t count = check_targets("nll_loss", t, layout.shape.classes, options.ignore_index);
  Tensor per_sample = empty(target.sizes(), TensorOptions(log_probs.dtype(), log_probs.device()));
  visit_floating(log_probs.dtype(), "nll_loss", [&]<typename T>() {
    cpu::nll_forward(x.data_ptr<T>(), t.data_ptr<int64_t>(), per_sample.data_ptr<T>(), layout.shape,
                     options.ignore_index);
  });
  Tensor out = reduce_losses(per_sample, options.reduction, count);
  if (auto node = make_node("nll_loss", {log_probs}, {out}))
    node->backward = [st = SavedTensor(target), ndim = log_probs.dim(), dtype = log_probs.dtype(),
                      layout, options, count](const TensorList& g) -> TensorList {
      // Linear in log_probs: -scale at each sample's target class, 0 elsewhere.
      const Tensor onehot = target_onehot(st.unpack(), layout, options.ignore_index, ndim, dtype);
      return {-(sample_scale(g[0], options.reduction, count, layout.class_dim) * onehot)};
    };
  return out;
}

Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
  check_defined("mse_loss", input, "input");
  check_defined("mse_loss", target, "target");
  EMBER_CHECK(input.is_floating_point() && target.is_floating_point(),
              "mse_loss: expected float32 or float64 tensors, got input {} and target {}",
              input.describe(), target.describe());
  EMBER_CHECK(input.sizes() == target.sizes(),
              "mse_loss: input of shape {} and target of shape {} differ; reshape one of them "
              "(e.g. [N] vs [N,1] would silently broadcast to [N,N])",
              shape_str(input.sizes()), shape_str(target.sizes()));
  const Tensor diff = input - target;
  return apply_reduction(diff * diff, reduction);
}

Tensor binary_cross_entropy_with_logits(const Tensor& logits, const Tensor& target,
                                        Reduction reduction, const Tensor& pos_weight) {
  constexpr std::string_view op = "binary_cross_entropy_with_logits";
  check_defined(op, logits, "logits");
  check_defined(op, target, "target");
  check_cpu(op, logits);
  EMBER_CHECK(logits.is_floating_point(), "{}: expected float32 or float64 logits, got {}", op,
              logits.describe());
  EMBER_CHECK(target.dtype() == logits.dtype() && target.device() == logits.device(),
              "{}: target is a {}, expected the logits' dtype and device ({})", op,
              target.describe(), logits.describe());
  EMBER_CHECK(target.sizes() == logits.sizes(),
              "{}: target of shape {} must have the logits' shape {}", op,
              shape_str(target.sizes()), shape_str(logits.sizes()));
  if (pos_weight.defined()) {
    EMBER_CHECK(pos_weight.dtype() == logits.dtype() && pos_weight.device() == logits.device(),
                "{}: pos_weight is a {}, expected the logits' dtype and device ({})", op,
                pos_weight.describe(), logits.describe());
    bool broadcasts = pos_weight.dim() <= logits.dim();
    for (int64_t d = 1; broadcasts && d <= pos_weight.dim(); ++d) {
      const int64_t w = pos_weight.size(-d), x = logits.size(-d);
      broadcasts = w == 1 || w == x;
    }
    EMBER_CHECK(broadcasts, "{}: pos_weight of shape {} does not broadcast to the logits' shape {}",
                op, shape_str(pos_weight.sizes()), shape_str(logits.sizes()));
  }

  Tensor losses = empty(logits.sizes(), TensorOptions(logits.dtype(), logits.device()));
  visit_floating(logits.dtype(), op, [&]<typename T>() {
    // softplus(-x) = log(1 + e^-x) = max(-x, 0) + log1p(e^-|x|): no overflow, no log(0).
    const auto softplus_neg = [](T x) {
      return (x < 0 ? -x : T(0)) + std::log1p(std::exp(-std::fabs(x)));
    };
    if (pos_weight.defined())
      cpu::ternary_kernel<T, T, T, T>(losses, logits, target, pos_weight, [=](T x, T y, T w) {
        return (1 - y) * x + (1 + (w - 1) * y) * softplus_neg(x);
      });
    else
      cpu::binary_kernel<T, T, T>(losses, logits, target,
                                  [=](T x, T y) { return (1 - y) * x + softplus_neg(x); });
  });

  if (auto node = make_node(std::string(op), {logits, target, pos_weight}, {losses}))
    node->backward = [sx = SavedTensor(logits), sy = SavedTensor(target),
                      sw = SavedTensor(pos_weight), need_y = target.requires_grad(),
                      need_w = pos_weight.defined() &&
                               pos_weight.requires_grad()](const TensorList& grads) -> TensorList {
      const Tensor& g = grads[0];
      const Tensor x = sx.unpack(), y = sy.unpack();
      const Tensor w = sw.defined() ? sw.unpack() : Tensor();
      // With lw = 1 + (w - 1) y:  dx = (1 - y) - lw sigmoid(-x) = (1 - y) + lw (sigmoid(x) - 1)
      //   dy = (w - 1) softplus(-x) - x,   dw = y softplus(-x)
      Tensor dx, dy, dw;
      if (w.defined())
        dx = g * ((1.0 - y) + ((w - 1.0) * y + 1.0) * (sigmoid(x) - 1.0));
      else
        dx = g * (sigmoid(x) - y);
      if (need_y || need_w) {
        const Tensor sp = stable_softplus(-x);
        if (need_y) dy = w.defined() ? g * ((w - 1.0) * sp - x) : -(g * x);
        if (need_w) dw = sum_to(g * y * sp, w.sizes());
      }
      return {dx, dy, dw};
    };
  return apply_reduction(losses, reduction);
}

}  // namespace ember
