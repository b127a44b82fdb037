#include "ember/ops/gradcheck.h"

#include <cmath>

#include "ember/core/autograd.h"
#include "ember/ops/elementwise.h"
#include "ember/ops/factory.h"
#include "ember/ops/reduce.h"

namespace ember {

namespace {

// L = sum_k <v_k, out_k>, with v drawn once per check.
Tensor project(const TensorList& outs, TensorList& directions, Generator& gen) {
  Tensor total;
  for (size_t k = 0; k < outs.size(); ++k) {
    if (!outs[k].defined() || !outs[k].is_floating_point()) continue;
    if (directions.size() <= k) directions.resize(k + 1);
    if (!directions[k].defined())
      directions[k] = randn(outs[k].sizes(), TensorOptions(outs[k].dtype()), &gen);
    Tensor term = sum(outs[k] * directions[k]);
    total = total.defined() ? total + term : term;
  }
  EMBER_CHECK(total.defined(), "gradcheck: the function returned no floating-point output");
  return total;
}

// The element at row-major position `flat` of a (possibly strided) CPU float64 tensor.
double& element(const Tensor& t, int64_t flat) {
  int64_t offset = 0;
  for (int64_t d = t.dim() - 1; d >= 0; --d) {
    offset += (flat % t.size(d)) * t.stride(d);
    flat /= t.size(d);
  }
  return t.data_ptr<double>()[offset];
}

}  // namespace

GradcheckResult gradcheck(const DifferentiableFn& fn, const TensorList& inputs,
                          GradcheckOptions options) {
  Generator gen(options.seed);
  TensorList directions;
  TensorList wrt;
  for (const auto& in : inputs)
    if (in.defined() && in.requires_grad()) {
      EMBER_CHECK(in.dtype() == kFloat64,
                  "gradcheck: inputs that require grad must be float64 for finite differences to "
                  "be meaningful, got {}",
                  in.describe());
      wrt.push_back(in);
    }
  EMBER_CHECK(!wrt.empty(), "gradcheck: no input requires grad");

  const Tensor loss = project(fn(inputs), directions, gen);
  // A loss that does not depend on the inputs through the graph (e.g. the gradient of a linear
  // function in gradgradcheck) has zero analytical gradient.
  const TensorList analytical = loss.requires_grad()
                                    ? grad({loss}, wrt, {}, false, false, /*allow_unused=*/true)
                                    : TensorList(wrt.size());

  for (size_t i = 0; i < wrt.size(); ++i) {
    const Tensor& x = wrt[i];
    for (int64_t j = 0; j < x.numel(); ++j) {
      double& v = element(x, j);
      const double saved = v;
      v = saved + options.eps;
      const double plus = project(fn(inputs), directions, gen).item<double>();
      v = saved - options.eps;
      const double minus = project(fn(inputs), directions, gen).item<double>();
      v = saved;
      const double numerical = (plus - minus) / (2 * options.eps);
      const double exact = analytical[i].defined() ? element(analytical[i].contiguous(), j) : 0.0;
      if (!(std::fabs(numerical - exact) <= options.atol + options.rtol * std::fabs(numerical)))
        return {false, fmt::format("gradcheck: input {} ({}), element {}: numerical {:.8g} vs "
                                   "analytical {:.8g}",
                                   i, x.describe(), j, numerical, exact)};
    }
  }
  return {};
}

GradcheckResult gradgradcheck(const DifferentiableFn& fn, const TensorList& inputs,
                              GradcheckOptions options) {
  Generator gen(options.seed + 1);
  TensorList directions;
  TensorList wrt;
  for (const auto& in : inputs)
    if (in.defined() && in.requires_grad()) wrt.push_back(in);
  const DifferentiableFn first_grad = [&](const TensorList& in) {
    const Tensor loss = project(fn(in), directions, gen);
    TensorList gs = grad({loss}, wrt, {}, true, /*create_graph=*/true, /*allow_unused=*/true);
    TensorList defined;
    for (auto& g : gs)
      if (g.defined()) defined.push_back(g);
    return defined;
  };
  return gradcheck(first_grad, inputs, options);
}

}  // namespace ember
