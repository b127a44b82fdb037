#include "ember/optim/clip_grad.h"

#include <cmath>
#include <limits>
#include <vector>

#include "ember/core/grad_mode.h"
#include "ember/ops/cpu/parallel.h"
#include "ember/optim/optimizer.h"

namespace ember::optim {
namespace {

// Norms are summed over fixed blocks, then the block sums in order: the same result at any
// thread count.
constexpr int64_t kBlock = 8192;

struct Partial {
  double value = 0;  // sum of |x|^p, or max |x| for the inf norm
  bool nan = false;
  bool inf = false;
};

template <typename T>
Partial reduce_block(const T* x, int64_t n, double p) {
  Partial out;
  double acc = 0;
  bool nan = false, inf = false;
  if (std::isinf(p)) {
    for (int64_t i = 0; i < n; ++i) {
      const double a = std::fabs(static_cast<double>(x[i]));
      nan |= a != a;
      acc = a > acc ? a : acc;
    }
  } else if (p == 2) {
    for (int64_t i = 0; i < n; ++i) {
      const double v = x[i];
      acc += v * v;
    }
  } else if (p == 1) {
    for (int64_t i = 0; i < n; ++i) acc += std::fabs(static_cast<double>(x[i]));
  } else {
    for (int64_t i = 0; i < n; ++i) acc += std::pow(std::fabs(static_cast<double>(x[i])), p);
  }
  for (int64_t i = 0; i < n; ++i) {
    const double v = x[i];
    nan |= v != v;
    inf |= std::isinf(v);
  }
  out.value = acc;
  out.nan = nan;
  out.inf = inf;
  return out;
}

// sum |g|^p (or max |g|) over one gradient, with whether it holds a NaN or an infinity.
Partial reduce_grad(const Tensor& grad, double p) {
  const Tensor g = grad.is_contiguous() ? grad : grad.contiguous();
  const int64_t n = g.numel();
  const int64_t blocks = (n + kBlock - 1) / kBlock;
  std::vector<Partial> partials(static_cast<size_t>(blocks));
  visit_floating(g.dtype(), "clip_grad_norm_", [&]<typename T>() {
    const T* data = g.data_ptr<T>();
    cpu::parallel_for(0, blocks, std::max<int64_t>(1, cpu::kParallelGrain / kBlock),
                      [&](int64_t begin, int64_t end) {
                        for (int64_t b = begin; b < end; ++b)
                          partials[b] =
                              reduce_block(data + b * kBlock, std::min(kBlock, n - b * kBlock), p);
                      });
  });
  Partial total;
  for (const Partial& part : partials) {
    total.value = std::isinf(p) ? std::max(total.value, part.value) : total.value + part.value;
    total.nan |= part.nan;
    total.inf |= part.inf;
  }
  return total;
}

// Applies fn(T&) to every element of p's gradient in place; a gradient that is not contiguous
// (possibly an expanded view, where one element stands for many) is replaced by a new one.
template <typename F>
void transform_grad(Tensor param, std::string_view op, const F& fn) {
  Tensor grad = param.grad();
  if (!grad.is_contiguous()) {
    grad = grad.contiguous();
    param.mutable_grad() = grad;
  }
  visit_floating(grad.dtype(), op, [&]<typename T>() {
    T* data = grad.data_ptr<T>();
    cpu::parallel_for(0, grad.numel(), cpu::kParallelGrain, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) data[i] = fn(data[i]);
    });
  });
  grad.storage()->bump_version("clip_grad");
}

void check_grad(std::string_view op, const Tensor& param, size_t index) {
  check_defined(op, param, fmt::format("parameter {}", index));
  const Tensor& grad = param.grad();
  check_cpu(op, grad);
  EMBER_CHECK(grad.is_floating_point(),
              "{}: the gradient of parameter {} is a {}; expected float32 or float64", op, index,
              grad.describe());
}

}  // namespace

double clip_grad_norm_(const TensorList& params, double max_norm, double norm_type,
                       bool error_if_nonfinite) {
  constexpr std::string_view op = "clip_grad_norm_";
  check_hyperparameter(max_norm >= 0, op, "max_norm", max_norm, "max_norm >= 0");
  check_hyperparameter(norm_type > 0, op, "norm_type", norm_type, "norm_type > 0 or INFINITY");
  NoGradGuard no_grad;

  const bool inf_norm = std::isinf(norm_type);
  double accumulated = 0;
  bool any_grad = false, any_nan = false;
  int64_t first_nonfinite = -1;
  for (size_t i = 0; i < params.size(); ++i) {
    if (params[i].defined() && !params[i].grad().defined()) continue;
    check_grad(op, params[i], i);
    const Partial part = reduce_grad(params[i].grad(), norm_type);
    any_grad = true;
    any_nan |= part.nan;
    if ((part.nan || part.inf) && first_nonfinite < 0) first_nonfinite = static_cast<int64_t>(i);
    accumulated = inf_norm ? std::max(accumulated, part.value) : accumulated + part.value;
  }
  if (!any_grad) return 0.0;

  double total;
  if (inf_norm)
    total = any_nan ? std::numeric_limits<double>::quiet_NaN() : accumulated;
  else if (norm_type == 1)
    total = accumulated;
  else if (norm_type == 2)
    total = std::sqrt(accumulated);
  else
    total = std::pow(accumulated, 1.0 / norm_type);

  if (!std::isfinite(total)) {
    if (error_if_nonfinite) {
      if (first_nonfinite >= 0)
        fail(
            "{}: the total norm of order {} of the gradients is {}: parameter {} ({}) is the "
            "first whose gradient holds a NaN or infinity. The gradients were left unscaled; "
            "pass error_if_nonfinite=false to get the norm back and skip the step instead",
            op, norm_type, total, first_nonfinite, params[first_nonfinite].describe());
      fail(
          "{}: the total norm of order {} of the gradients is {} (every gradient is finite: the "
          "norm overflowed float64). The gradients were left unscaled; pass "
          "error_if_nonfinite=false to get the norm back and skip the step instead",
          op, norm_type, total);
    }
    return total;
  }

  const double clip_coef = max_norm / (total + 1e-6);
  if (clip_coef < 1.0) {
    for (const Tensor& p : params) {
      if (!p.grad().defined()) continue;
      transform_grad(p, op, [clip_coef]<typename T>(T x) { return x * static_cast<T>(clip_coef); });
    }
  }
  return total;
}

void clip_grad_value_(const TensorList& params, double clip_value) {
  constexpr std::string_view op = "clip_grad_value_";
  check_hyperparameter(clip_value >= 0, op, "clip_value", clip_value, "clip_value >= 0");
  NoGradGuard no_grad;
  for (size_t i = 0; i < params.size(); ++i) {
    if (params[i].defined() && !params[i].grad().defined()) continue;
    check_grad(op, params[i], i);
  }
  for (const Tensor& p : params) {
    if (!p.grad().defined()) continue;
    transform_grad(p, op, [clip_value]<typename T>(T x) {
      const T hi = static_cast<T>(clip_value);
      return x < -hi ? -hi : (x > hi ? hi : x);
    });
  }
}

}  // namespace ember::optim
