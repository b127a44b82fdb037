#include "helpers.h"

using namespace ember;
using namespace ember::testing;

TEST_CASE("cat and stack: values") {
  const auto a = tensor(std::vector<double>{1, 2, 3, 4}, {2, 2});
  const auto b = tensor(std::vector<double>{5, 6}, {1, 2});
  CHECK_CLOSE(cat({a, b}), tensor(std::vector<double>{1, 2, 3, 4, 5, 6}, {3, 2}));
  CHECK_CLOSE(cat({a, b.t()}, -1), tensor(std::vector<double>{1, 2, 5, 3, 4, 6}, {2, 3}));
  CHECK_CLOSE(cat({a.t(), a}, 1), tensor(std::vector<double>{1, 3, 1, 2, 2, 4, 3, 4}, {2, 4}));
  CHECK_CLOSE(cat({a}), a);
  CHECK(cat({a, zeros({0, 2}, kFloat64), b}).sizes() == Shape{3, 2});
  CHECK(cat({tensor({1, 2}), tensor({3})}).to_vector<int64_t>() == std::vector<int64_t>{1, 2, 3});

  const auto s = stack({a, a * 10.0}, 1);
  CHECK(s.sizes() == Shape{2, 2, 2});
  CHECK_CLOSE(s, tensor(std::vector<double>{1, 2, 10, 20, 3, 4, 30, 40}, {2, 2, 2}));
  CHECK(stack({a, a, a}).sizes() == Shape{3, 2, 2});
  CHECK(stack({a, a}, -1).sizes() == Shape{2, 2, 2});
  CHECK_CLOSE(stack({a, a}, -1).select(-1, 1), a);
}

TEST_CASE("cat and stack: gradients") {
  const auto a = leaf({2, 3}, 1), b = leaf({2, 1}, 2), c = leaf({2, 4}, 3);
  CHECK_GRAD([](const TensorList& in) { return TensorList{cat(in, 1)}; }, a, b, c);
  CHECK_GRAD([](const TensorList& in) { return TensorList{cat({in[0].t(), in[1].t()}, 0)}; }, a, b);
  CHECK_GRAD(
      [](const TensorList& in) {
        return TensorList{cat({in[0], in[0] * 2.0, in[1]}, 1)};
      },
      a, b);
  // an input that needs no gradient in the middle
  const auto fixed = leaf({2, 2}, 4).detach();
  CHECK_GRAD(
      [fixed](const TensorList& in) {
        return TensorList{cat({in[0], fixed, in[1]}, -1)};
      },
      a, b);
  CHECK_GRADGRAD(
      [](const TensorList& in) {
        return TensorList{cat({in[0] * in[0], in[1]}, 1)};
      },
      a, b);
  CHECK_GRAD([](const TensorList& in) { return TensorList{stack(in, 1)}; }, a, leaf({2, 3}, 5));
}

TEST_CASE("split and chunk: views, sizes and gradients") {
  const auto x = arange(10, kFloat64).reshape({2, 5});
  const auto parts = split(x, 2, 1);
  REQUIRE(parts.size() == 3);
  CHECK(parts[0].sizes() == Shape{2, 2});
  CHECK(parts[2].sizes() == Shape{2, 1});
  CHECK(parts[1].storage() == x.storage());  // views, not copies
  CHECK_CLOSE(parts[1], tensor(std::vector<double>{2, 3, 7, 8}, {2, 2}));
  const auto sized = split(x, {1, 4}, -1);
  CHECK_CLOSE(sized[1], tensor(std::vector<double>{1, 2, 3, 4, 6, 7, 8, 9}, {2, 4}));
  CHECK(x.split(5, 1).size() == 1);
  // torch.chunk sizes: ceil(size / chunks) each, possibly fewer pieces.
  CHECK(chunk(arange(5), 4).size() == 3);  // 2, 2, 1
  CHECK(chunk(arange(6), 3)[2].to_vector<int64_t>() == std::vector<int64_t>{4, 5});
  CHECK(x.chunk(2, 0)[1].sizes() == Shape{1, 5});

  const auto a = leaf({3, 6}, 7);
  // All pieces used, some twice or not at all: the unused ones get zero gradient.
  CHECK_GRAD(
      [](const TensorList& in) {
        const auto p = chunk(in[0], 3, 1);
        return TensorList{p[0] * p[2] + p[0]};
      },
      a);
  CHECK_GRAD(
      [](const TensorList& in) {
        const auto p = split(in[0].t(), {1, 3, 2}, 0);
        return TensorList({p[1], p[2].sum()});
      },
      a);
  CHECK_GRADGRAD(
      [](const TensorList& in) {
        const auto p = in[0].split(2, 0);
        return TensorList{p[0] * p[1]};
      },
      leaf({4, 2}, 8));
}

TEST_CASE("join: errors") {
  CHECK_THROWS_CONTAINING(cat({}), "cat: expected a non-empty list of tensors");
  CHECK_THROWS_CONTAINING(stack({}), "stack: expected a non-empty list");
  CHECK_THROWS_CONTAINING(cat({ones({2, 3}), ones({2, 4})}, 0),
                          "cat: tensor 1 has shape [2,4] but tensor 0 has shape [2,3]; sizes must "
                          "match except in the cat dim 0 (they differ in dim 1)");
  CHECK_THROWS_CONTAINING(cat({ones({2, 3}), ones({3})}), "tensor 1 has shape [3]");
  CHECK_THROWS_CONTAINING(cat({ones({2}), ones({2}, kFloat64)}),
                          "tensor 1 is float64 tensor of shape [2] on cpu but tensor 0 is float32");
  CHECK_THROWS_CONTAINING(cat({ones({2}), Tensor()}), "tensor 1");
  CHECK_THROWS_CONTAINING(cat({scalar_tensor(1)}), "0-d tensors cannot be concatenated");
  CHECK_THROWS_CONTAINING(cat({ones({2})}, 1), "cat");
  CHECK_THROWS_CONTAINING(stack({ones({2}), ones({3})}),
                          "stack: tensor 1 has shape [3] but tensor 0 has shape [2]");
  CHECK_THROWS_CONTAINING(split(ones({5}), {2, 2}), "split: sizes [2,2] add up to 4 but dim 0");
  CHECK_THROWS_CONTAINING(split(ones({5}), 0), "split_size must be positive");
  CHECK_THROWS_CONTAINING(chunk(ones({5}), 0), "chunk: the number of chunks must be positive");
}
