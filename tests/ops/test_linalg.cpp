#include "helpers.h"

using namespace ember;
using namespace ember::testing;

namespace {

// The textbook triple loop on [M, K] x [K, N], in float64.
Tensor naive_mm(const Tensor& a, const Tensor& b) {
  const int64_t m = a.size(0), k = a.size(1), n = b.size(1);
  const auto x = a.to_vector<double>(), y = b.to_vector<double>();
  std::vector<double> out(static_cast<size_t>(m * n), 0.0);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j)
      for (int64_t p = 0; p < k; ++p) out[i * n + j] += x[i * k + p] * y[p * n + j];
  return tensor(out, {m, n});
}

Tensor random(const Shape& shape, uint64_t seed) {
  return leaf(shape, seed).detach();
}

TensorList apply_matmul(const TensorList& in) {
  return {matmul(in[0], in[1])};
}

}  // namespace

TEST_CASE("matmul: 2-d values against a naive triple loop") {
  const auto a = random({5, 7}, 1), b = random({7, 3}, 2);
  CHECK_CLOSE(matmul(a, b), naive_mm(a, b));
  CHECK_CLOSE(mm(a, b), naive_mm(a, b));
  CHECK_CLOSE(a.matmul(b), naive_mm(a, b));
  // float32 goes through sgemm
  CHECK_CLOSE(matmul(a.to(kFloat32), b.to(kFloat32)), naive_mm(a, b).to(kFloat32), 1e-4, 1e-5);
  // Transposed views reach BLAS with trans flags; the values must not change.
  const auto at = random({7, 5}, 3), bt = random({3, 7}, 4);
  CHECK_CLOSE(matmul(at.t(), bt.t()), naive_mm(at.t().contiguous(), bt.t().contiguous()));
  // Strides no BLAS layout fits (every other row and column) are copied first.
  const auto big = random({10, 14}, 5);
  const auto strided = big.slice(0, 0, 10, 2).slice(1, 0, 14, 2);  // [5, 7]
  CHECK_CLOSE(matmul(strided, b), naive_mm(strided.contiguous(), b));
  // Rows broadcast with stride 0.
  const auto row = random({1, 7}, 6);
  CHECK_CLOSE(matmul(row.expand({4, 7}), b), naive_mm(row.expand({4, 7}).contiguous(), b));
}

TEST_CASE("matmul: vectors, batches and broadcasting") {
  const auto u = tensor({1.0, 2.0, 3.0}), v = tensor({4.0, -5.0, 6.0});
  const auto dot = matmul(u, v);
  CHECK(dot.dim() == 0);
  CHECK(dot.item() == 12.0);  // 4 - 10 + 18

  const auto m = tensor(std::vector<double>{1, 2, 3, 4, 5, 6}, {2, 3});
  CHECK_CLOSE(matmul(m, u), tensor({14.0, 32.0}));                          // [2,3] x [3] -> [2]
  CHECK_CLOSE(matmul(tensor({1.0, -1.0}), m), tensor({-3.0, -3.0, -3.0}));  // [2] x [2,3] -> [3]

  // [2, 1, 3, 4] x [3, 4, 5] -> [2, 3, 3, 5]: each batch entry is a plain product.
  const auto a = random({2, 1, 3, 4}, 7), b = random({3, 4, 5}, 8);
  const auto c = matmul(a, b);
  CHECK(c.sizes() == Shape{2, 3, 3, 5});
  for (int64_t i = 0; i < 2; ++i)
    for (int64_t h = 0; h < 3; ++h) CHECK_CLOSE(c[i][h], naive_mm(a[i][0], b[h]));

  // An n-d left operand against a matrix folds into one GEMM, contiguous or not.
  const auto x = random({2, 3, 4}, 9), w = random({4, 6}, 10);
  const auto y = matmul(x, w);
  CHECK(y.sizes() == Shape{2, 3, 6});
  for (int64_t i = 0; i < 2; ++i) CHECK_CLOSE(y[i], naive_mm(x[i], w));
  const auto xt = random({3, 2, 4}, 11).transpose(0, 1);  // [2, 3, 4], batch dims not foldable
  const auto yt = matmul(xt, w);
  for (int64_t i = 0; i < 2; ++i) CHECK_CLOSE(yt[i], naive_mm(xt[i].contiguous(), w));
  // Vector on the right of a batch; vector on the left of a batch.
  const auto bv = matmul(x, tensor({1.0, 0.0, 0.0, 2.0}));
  CHECK(bv.sizes() == Shape{2, 3});
  CHECK_CLOSE(bv, x.select(2, 0) + x.select(2, 3) * 2.0);
  CHECK(matmul(tensor({1.0, 1.0, 1.0}), x).sizes() == Shape{2, 4});
  CHECK_CLOSE(matmul(tensor({1.0, 1.0, 1.0}), x), x.sum({1}));

  // bmm: no broadcasting, same as matmul.
  const auto p = random({3, 2, 4}, 12), q = random({3, 4, 2}, 13);
  CHECK_CLOSE(bmm(p, q), matmul(p, q));
}

TEST_CASE("matmul: int64, empty and degenerate shapes") {
  const auto a = tensor(std::vector<int64_t>{1, 2, 3, 4}, {2, 2});
  const auto b = tensor(std::vector<int64_t>{5, 6, 7, 8}, {2, 2});
  const auto c = matmul(a, b);
  CHECK(c.dtype() == kInt64);
  CHECK(c.to_vector<int64_t>() == std::vector<int64_t>{19, 22, 43, 50});
  CHECK(matmul(a.t(), b).to_vector<int64_t>() == std::vector<int64_t>{26, 30, 38, 44});
  // K = 0: the empty sum is zero.
  const auto z = matmul(zeros({3, 0}, kFloat64), zeros({0, 2}, kFloat64));
  CHECK(z.sizes() == Shape{3, 2});
  CHECK_CLOSE(z, zeros({3, 2}, kFloat64));
  CHECK(matmul(zeros({0, 4}), zeros({4, 5})).sizes() == Shape{0, 5});
  CHECK(matmul(zeros({2, 0, 3, 4}), zeros({4, 5})).sizes() == Shape{2, 0, 3, 5});
}

TEST_CASE("matmul: results do not depend on the thread count") {
  const auto a = random({16, 8, 9}, 14), b = random({16, 9, 7}, 15);
  const int threads = get_num_threads();
  set_num_threads(1);
  const auto one = matmul(a, b).to_vector<double>();
  set_num_threads(std::max(threads, 2));
  const auto many = matmul(a, b).to_vector<double>();
  set_num_threads(threads);
  CHECK(one == many);
}

TEST_CASE("matmul: gradients") {
  const auto a = leaf({3, 4}, 1), b = leaf({4, 5}, 2);
  CHECK_GRAD(apply_matmul, a, b);
  CHECK_GRADGRAD(apply_matmul, a, b);
  // transposed and strided operands
  const auto at = leaf({4, 3}, 3), bt = leaf({5, 4}, 4);
  CHECK_GRAD([](const TensorList& in) { return TensorList{matmul(in[0].t(), in[1].t())}; }, at, bt);
  const auto wide = leaf({3, 8}, 5);
  CHECK_GRAD(
      [](const TensorList& in) { return TensorList{matmul(in[0].slice(1, 0, 8, 2), in[1])}; }, wide,
      b);
  // vectors
  const auto u = leaf({4}, 6), v = leaf({4}, 7);
  CHECK_GRAD(apply_matmul, u, v);
  CHECK_GRAD(apply_matmul, a, u);
  CHECK_GRAD(apply_matmul, u, b);
  CHECK_GRADGRAD(apply_matmul, u, b);
  // broadcast batch dims: gradients are summed back over them
  const auto x = leaf({2, 1, 3, 4}, 8), y = leaf({3, 4, 2}, 9);
  CHECK_GRAD(apply_matmul, x, y);
  CHECK_GRADGRAD(apply_matmul, x, y);
  // a batch against a matrix, both ways
  const auto batch = leaf({2, 3, 4}, 10);
  CHECK_GRAD(apply_matmul, batch, b);
  CHECK_GRAD([](const TensorList& in) { return TensorList{matmul(in[1], in[0].transpose(1, 2))}; },
             batch, a);
  CHECK_GRAD([](const TensorList& in) { return TensorList{matmul(in[0].transpose(0, 1), in[1])}; },
             leaf({3, 2, 4}, 11), b);
  CHECK_GRAD(apply_matmul, batch, u);
  CHECK_GRADGRAD(apply_matmul, batch, b);
  CHECK_GRAD([](const TensorList& in) { return TensorList{bmm(in[0], in[1])}; }, batch,
             leaf({2, 4, 3}, 12));
  // only one operand requiring grad
  CHECK_GRAD(apply_matmul, a, b.detach());
  CHECK_GRAD(apply_matmul, a.detach(), b);
}

TEST_CASE("matmul: errors") {
  CHECK_THROWS_CONTAINING(matmul(ones({32, 64}), ones({32, 64})),
                          "matmul: shapes [32,64] and [32,64] cannot be multiplied (64 != 32)");
  CHECK_THROWS_CONTAINING(matmul(ones({3}), ones({4})), "cannot be multiplied (3 != 4)");
  CHECK_THROWS_CONTAINING(matmul(ones({2, 3}), ones({3}, kFloat64)), "different dtypes");
  CHECK_THROWS_CONTAINING(matmul(scalar_tensor(1), ones({3})), "at least 1 dim");
  CHECK_THROWS_CONTAINING(
      matmul(ones({2, 2, 3}), ones({3, 3, 4})),
      "batch dims [2] and [3] of shapes [2,2,3] and [3,3,4] cannot be broadcast");
  CHECK_THROWS_CONTAINING(matmul(ones({2, 2}, kBool), ones({2, 2}, kBool)), "got bool");
  CHECK_THROWS_CONTAINING(mm(ones({2, 2, 2}), ones({2, 2})), "mm: expected two matrices");
  CHECK_THROWS_CONTAINING(bmm(ones({2, 2, 3}), ones({3, 3, 2})), "bmm: batch sizes differ");
  CHECK_THROWS_CONTAINING(matmul(Tensor(), ones({2})), "undefined");
}

TEST_CASE("linear: values, gradients and errors") {
  const auto x = random({2, 3, 4}, 20), w = random({5, 4}, 21), b = random({5}, 22);
  const auto y = linear(x, w, b);
  CHECK(y.sizes() == Shape{2, 3, 5});
  for (int64_t i = 0; i < 2; ++i) CHECK_CLOSE(y[i], naive_mm(x[i], w.t().contiguous()) + b);
  CHECK_CLOSE(linear(x, w), matmul(x, w.t()));
  CHECK_CLOSE(linear(x[0][0], w, b), matmul(w, x[0][0]) + b);  // a single vector
  // a weight stored transposed and an input that cannot fold without a copy
  const auto wt = random({4, 5}, 23);
  const auto xt = random({3, 2, 4}, 24).transpose(0, 1);
  CHECK_CLOSE(linear(xt, wt.t(), b), matmul(xt, wt) + b);
  CHECK_CLOSE(linear(x.to(kFloat32), w.to(kFloat32), b.to(kFloat32)), y.to(kFloat32), 1e-4, 1e-5);

  const auto lx = leaf({2, 3, 4}, 25), lw = leaf({5, 4}, 26), lb = leaf({5}, 27);
  auto with_bias = [](const TensorList& in) { return TensorList{linear(in[0], in[1], in[2])}; };
  CHECK_GRAD(with_bias, lx, lw, lb);
  CHECK_GRADGRAD(with_bias, lx, lw, lb);
  CHECK_GRAD(
      [](const TensorList& in) { return TensorList{linear(in[0].transpose(0, 1), in[1].t())}; },
      leaf({3, 2, 4}, 28), leaf({4, 5}, 29));
  CHECK_GRAD(with_bias, leaf({4}, 30), lw, lb);

  CHECK_THROWS_CONTAINING(
      linear(ones({2, 3}), ones({5, 4})),
      "linear: input of shape [2,3] has 3 features but weight of shape [5,4] expects 4");
  CHECK_THROWS_CONTAINING(linear(ones({2, 4}), ones({5, 4}), ones({4})),
                          "bias of shape [4] does not match the 5 out_features");
  CHECK_THROWS_CONTAINING(linear(ones({2, 4}), ones({4})),
                          "weight must be [out_features, in_features]");
  CHECK_THROWS_CONTAINING(linear(ones({2, 4}), ones({5, 4}, kFloat64)), "same numeric dtype");
}
