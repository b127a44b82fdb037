// Gradients of copies, conversions and in-place ops recorded on non-leaf tensors.
#include "helpers.h"

using namespace ember;
using namespace ember::testing;

TEST_CASE("clone, contiguous and copy_ pass gradients through") {
  auto x = leaf({3, 4}, 11);
  auto y = leaf({4}, 12);
  CHECK_GRAD([](const TensorList& in) { return TensorList{in[0].clone() * 2.0}; }, x);
  CHECK_GRAD([](const TensorList& in) { return TensorList{in[0].t().contiguous()}; }, x);
  CHECK_GRAD(
      [](const TensorList& in) {
        Tensor buf = zeros({3, 4}, kFloat64) * 1.0;  // a non-leaf buffer
        buf.copy_(in[1]);                            // broadcast copy: gradient sums over rows
        return TensorList{buf * in[0]};
      },
      x, y);
  CHECK_GRADGRAD(
      [](const TensorList& in) { return TensorList{in[0].t().contiguous() * in[0].t()}; }, x);
}

TEST_CASE("in-place arithmetic on non-leaf tensors is recorded") {
  auto x = leaf({3, 4}, 13);
  auto y = leaf({3, 4}, 14);
  CHECK_GRAD(
      [](const TensorList& in) {
        Tensor h = in[0] * 1.0;
        h.add_(in[1], 0.5);
        h.masked_fill_(gt(in[1], wrap_scalar(0.5, in[1])), 0.0);
        return TensorList{h * h};
      },
      x, y);
  CHECK_GRAD(
      [](const TensorList& in) {
        Tensor h = in[0].exp();  // exp saves its output, but div_ needs only the divisor here
        Tensor k = h * 1.0;
        k.div_(in[1] * in[1] + 1.0);
        return TensorList{k};
      },
      x, y);
}

TEST_CASE("dtype conversion between floating types carries the gradient back") {
  auto x = tensor({1.0, 2.0, 3.0}).requires_grad_();
  auto y = (x.to(kFloat32) * tensor({1.0f, 10.0f, 100.0f})).sum();
  y.backward();
  CHECK(x.grad().dtype() == kFloat64);
  CHECK_CLOSE(x.grad(), tensor({1.0, 10.0, 100.0}));
}
