// Uses only the installed public API: prints d/dx sum(x * x + 3x) = 2x + 3.
#include <ember/ember.h>

int main() {
  auto x = ember::tensor({1.0, 2.0, 3.0}).requires_grad_();
  (x * x + x * 3.0).sum().backward();
  fmt::print("grad: {}\n", x.grad());
}
