#include <ember/ember.h>

int main() {
  using namespace ember;
  Tensor x = tensor(std::vector<double>{1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor w = tensor({0.1, -0.2, 0.3}).requires_grad_();  // a leaf: its gradient lands in .grad()
  Tensor loss = x.matmul(w).tanh().pow(2).mean();        // each op records a node of the graph
  loss.backward();                                       // reverse-mode autodiff
  fmt::print("loss = {}\ndloss/dw = {}\n", loss, w.grad());

  Tensor y = (w * w * w).sum();                                  // higher order: y = sum w^3
  Tensor dy = grad({y}, {w}, {}, {}, /*create_graph=*/true)[0];  // 3w^2, itself differentiable
  fmt::print("d2y/dw2 = {}\n", grad({dy.sum()}, {w})[0]);        // 6w
}
