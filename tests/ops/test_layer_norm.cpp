// layer_norm: values against the composite formula, gradients (first and second order), fused
// vs composite backward, thread-count independence, errors.
#include <cmath>

#include "helpers.h"

using namespace ember;
using namespace ember::testing;

namespace {

// The textbook formula in plain ops, over the last `k` dims.
Tensor reference_layer_norm(const Tensor& x, int64_t k, const Tensor& w, const Tensor& b,
                            double eps = 1e-5) {
  Shape dims;
  for (int64_t d = x.dim() - k; d < x.dim(); ++d) dims.push_back(d);
  const Tensor centered = x - x.mean(dims, true);
  const Tensor variance = (centered * centered).mean(dims, true);
  Tensor y = centered / sqrt(variance + eps);
  if (w.defined()) y = y * w;
  if (b.defined()) y = y + b;
  return y;
}

// Gradients of sum(g * layer_norm(...)) for x, w, b by backward (fused) or create_graph
// (composite).
TensorList ln_grads(const Tensor& x0, const Tensor& w0, const Tensor& b0, const Tensor& g,
                    bool create_graph) {
  Tensor x = x0.detach().clone().requires_grad_();
  Tensor w = w0.detach().clone().requires_grad_();
  Tensor b = b0.detach().clone().requires_grad_();
  const Shape shape = w.sizes();
  TensorList gs = grad({layer_norm(x, shape, w, b)}, {x, w, b}, {g}, {}, create_graph);
  for (auto& t : gs) t = t.detach();
  return gs;
}

}  // namespace

TEST_CASE("layer_norm: values") {
  // By hand: [1, 2, 3] has mean 2 and variance 2/3.
  const double s = 1 / std::sqrt(2.0 / 3 + 1e-5);
  CHECK_CLOSE(layer_norm(tensor({1.0, 2.0, 3.0}), {3}), tensor({-s, 0.0, s}));
  CHECK_CLOSE(
      layer_norm(tensor({1.0, 2.0, 3.0}), {3}, tensor({2.0, 2.0, 2.0}), tensor({1.0, 0.0, -1.0})),
      tensor({1 - 2 * s, 0.0, 2 * s - 1}));
  // A constant row normalises to 0 (eps keeps 1/std finite).
  CHECK_CLOSE(layer_norm(tensor({5.0, 5.0}), {2}), tensor({0.0, 0.0}));

  auto x = leaf({2, 3, 8}, 1, 3.0).detach() + 10.0;
  auto w = leaf({8}, 2).detach();
  auto b = leaf({8}, 3).detach();
  CHECK_CLOSE(layer_norm(x, {8}, w, b), reference_layer_norm(x, 1, w, b), 1e-10, 1e-12);
  CHECK_CLOSE(layer_norm(x, {8}), reference_layer_norm(x, 1, {}, {}), 1e-10, 1e-12);
  CHECK_CLOSE(layer_norm(x, {8}, w), reference_layer_norm(x, 1, w, {}), 1e-10, 1e-12);
  CHECK_CLOSE(layer_norm(x, {8}, {}, b, 0.1), reference_layer_norm(x, 1, {}, b, 0.1), 1e-10, 1e-12);
  auto w2 = leaf({3, 8}, 4).detach();
  CHECK_CLOSE(layer_norm(x, {3, 8}, w2, w2), reference_layer_norm(x, 2, w2, w2), 1e-10, 1e-12);
  CHECK_CLOSE(layer_norm(x.transpose(0, 1), {8}, w, b),
              reference_layer_norm(x.transpose(0, 1), 1, w, b), 1e-10, 1e-12);
  // float32 against the float64 reference.
  CHECK_CLOSE(layer_norm(x.to(kFloat32), {8}, w.to(kFloat32), b.to(kFloat32)).to(kFloat64),
              reference_layer_norm(x, 1, w, b), 1e-4, 1e-5);
}

TEST_CASE("layer_norm: gradients") {
  auto x = leaf({2, 3, 4}, 5);
  auto w = leaf({4}, 6);
  auto b = leaf({4}, 7);
  auto w2 = leaf({3, 4}, 8);
  CHECK_GRAD([](const TensorList& in) { return TensorList{layer_norm(in[0], {4}, in[1], in[2])}; },
             x, w, b);
  CHECK_GRAD([](const TensorList& in) { return TensorList{layer_norm(in[0], {4})}; }, x);
  CHECK_GRAD([](const TensorList& in) { return TensorList{layer_norm(in[0], {4}, in[1])}; }, x, w);
  CHECK_GRAD(
      [](const TensorList& in) {
        return TensorList{layer_norm(in[0], {3, 4}, in[1], in[1])};
      },
      x, w2);
  CHECK_GRAD(
      [](const TensorList& in) {
        return TensorList{layer_norm(in[0].transpose(0, 1), {4}, in[1], in[2])};
      },
      x, w, b);
  CHECK_GRAD(
      [](const TensorList& in) {
        return TensorList{layer_norm(in[0].transpose(1, 2), {3}, in[1].slice(0, 0, 3), {})};
      },
      x, w);
  CHECK_GRADGRAD(
      [](const TensorList& in) { return TensorList{layer_norm(in[0], {4}, in[1], in[2])}; }, x, w,
      b);
  CHECK_GRADGRAD([](const TensorList& in) { return TensorList{layer_norm(in[0], {3, 4})}; }, x);
}

TEST_CASE("layer_norm: fused backward matches the composite formula") {
  for (DType dt : {kFloat64, kFloat32}) {
    CAPTURE(dt);
    Generator gen(9);
    // 300 rows: more than one row chunk of the parameter-gradient kernel.
    auto x = randn({300, 40}, dt, &gen) * 2.0 + 1.0;
    auto w = randn({40}, dt, &gen);
    auto b = randn({40}, dt, &gen);
    auto g = randn({300, 40}, dt, &gen);
    const TensorList fused = ln_grads(x, w, b, g, false);
    const TensorList composite = ln_grads(x, w, b, g, true);
    const double rtol = dt == kFloat64 ? 1e-9 : 1e-3, atol = dt == kFloat64 ? 1e-10 : 1e-4;
    for (size_t i = 0; i < 3; ++i) {
      CAPTURE(i);
      CHECK_CLOSE(fused[i], composite[i], rtol, atol);
    }
    // dbias and dweight written out.
    const Tensor x_hat = reference_layer_norm(x, 1, {}, {});
    CHECK_CLOSE(fused[2], g.sum({0}), rtol, atol);
    CHECK_CLOSE(fused[1], (g * x_hat).sum({0}), rtol, atol);
  }
}

TEST_CASE("layer_norm: results do not depend on the thread count") {
  Generator gen(10);
  auto x = randn({600, 64}, kFloat32, &gen);
  auto w = randn({64}, kFloat32, &gen);
  auto b = randn({64}, kFloat32, &gen);
  auto g = randn({600, 64}, kFloat32, &gen);
  const int threads = get_num_threads();
  set_num_threads(1);
  const TensorList one = ln_grads(x, w, b, g, false);
  set_num_threads(std::max(2, threads));
  const TensorList many = ln_grads(x, w, b, g, false);
  set_num_threads(threads);
  for (size_t i = 0; i < 3; ++i) CHECK(one[i].to_vector<float>() == many[i].to_vector<float>());
}

TEST_CASE("layer_norm: errors") {
  auto x = ones({2, 3, 4});
  CHECK_THROWS_CONTAINING(
      layer_norm(x, {3}),
      "layer_norm: input of shape [2,3,4] does not end with normalized_shape [3]");
  CHECK_THROWS_CONTAINING(layer_norm(ones({4}), {2, 4}),
                          "does not end with normalized_shape [2,4]");
  CHECK_THROWS_CONTAINING(layer_norm(x, {}), "normalized_shape must name at least one dim");
  CHECK_THROWS_CONTAINING(layer_norm(x, {4}, ones({3})),
                          "layer_norm: weight has shape [3], expected normalized_shape [4]");
  CHECK_THROWS_CONTAINING(layer_norm(x, {4}, ones({4}), ones({4}, kFloat64)),
                          "layer_norm: bias is a float64 tensor");
  CHECK_THROWS_CONTAINING(layer_norm(ones({2, 4}, kInt64), {4}),
                          "layer_norm: expected a float32 or float64 input, got int64");
  CHECK_THROWS_CONTAINING(layer_norm(x, {4}, {}, {}, -1), "layer_norm: eps must be non-negative");
}
