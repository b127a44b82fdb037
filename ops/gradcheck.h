#pragma once
// Numerical gradient checks, for tests of built-in ops and of users' own functions/modules.
//
//   auto x = ember::randn({3, 4}, ember::kFloat64).requires_grad_();
//   auto r = ember::gradcheck([](const TensorList& in) { return TensorList{in[0].tanh()}; }, {x});
//   if (!r.ok) fmt::print("{}\n", r.message);
//
// Checks a random projection of the Jacobian: with L = sum_k <v_k, out_k> for fixed random v,
// the analytical dL/dx from backward is compared with central differences of L, element by
// element. One backward and 2 * numel(inputs) forward calls.
#include <functional>
#include <string>

#include "ember/core/tensor.h"

namespace ember {

using DifferentiableFn = std::function<TensorList(const TensorList&)>;

struct GradcheckOptions {
  double eps = 1e-6;
  double atol = 1e-5;
  double rtol = 1e-3;
  uint64_t seed = 0;
};

struct GradcheckResult {
  bool ok = true;
  std::string message;  // what differed first, when !ok
};

// Inputs that require grad are perturbed; they should be float64.
GradcheckResult gradcheck(const DifferentiableFn& fn, const TensorList& inputs,
                          GradcheckOptions options = {});
// Checks second derivatives: gradcheck of the (create_graph) gradient of fn.
GradcheckResult gradgradcheck(const DifferentiableFn& fn, const TensorList& inputs,
                              GradcheckOptions options = {});

}  // namespace ember
