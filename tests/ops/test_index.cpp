#include "helpers.h"

using namespace ember;
using namespace ember::testing;

namespace {
Tensor longs(std::vector<int64_t> v, const Shape& shape) {
  return tensor(v, shape);
}
}  // namespace

TEST_CASE("index_select and index_add: values") {
  const auto x = arange(12, kFloat64).reshape({3, 4});
  CHECK_CLOSE(index_select(x, 0, tensor({2, 0, 2})),
              tensor(std::vector<double>{8, 9, 10, 11, 0, 1, 2, 3, 8, 9, 10, 11}, {3, 4}));
  CHECK_CLOSE(x.index_select(-1, tensor({3, 1})),
              tensor(std::vector<double>{3, 1, 7, 5, 11, 9}, {3, 2}));
  CHECK_CLOSE(index_select(x.t(), 1, tensor({1})), tensor(std::vector<double>{4, 5, 6, 7}, {4, 1}));
  CHECK(index_select(x, 0, zeros({0}, kInt64)).sizes() == Shape{0, 4});
  CHECK(index_select(tensor({true, false}), 0, tensor({1, 1})).to_vector<bool>() ==
        std::vector<bool>{false, false});

  // Repeated indices accumulate.
  const auto added = index_add(zeros({3, 2}, kFloat64), 0, tensor({1, 1, 0}),
                               tensor(std::vector<double>{1, 2, 3, 4, 5, 6}, {3, 2}));
  CHECK_CLOSE(added, tensor(std::vector<double>{5, 6, 4, 6, 0, 0}, {3, 2}));
  CHECK(index_add(tensor({1, 2, 3}), 0, tensor({2}), tensor({10})).to_vector<int64_t>() ==
        std::vector<int64_t>{1, 2, 13});
}

TEST_CASE("gather and scatter_add: values") {
  const auto x = tensor(std::vector<double>{1, 2, 3, 4, 5, 6}, {2, 3});
  // dim 1: out[i][j] = x[i][index[i][j]]
  CHECK_CLOSE(gather(x, 1, longs({2, 0, 1, 1}, {2, 2})),
              tensor(std::vector<double>{3, 1, 5, 5}, {2, 2}));
  // dim 0: out[i][j] = x[index[i][j]][j], index narrower than x
  CHECK_CLOSE(gather(x, 0, longs({1, 0, 0, 1}, {2, 2})),
              tensor(std::vector<double>{4, 2, 1, 5}, {2, 2}));
  CHECK_CLOSE(x.t().gather(1, longs({1, 0, 0}, {3, 1})),
              tensor(std::vector<double>{4, 2, 3}, {3, 1}));

  const auto src = tensor(std::vector<double>{1, 2, 3, 4, 5, 6}, {2, 3});
  // dim 1 with a repeated target: out[i][index[i][j]] += src[i][j]
  CHECK_CLOSE(scatter_add(zeros({2, 3}, kFloat64), 1, longs({0, 0, 2, 1, 1, 1}, {2, 3}), src),
              tensor(std::vector<double>{3, 0, 3, 0, 15, 0}, {2, 3}));
  // dim 0, index smaller than src: only src[:1, :2] is used
  CHECK_CLOSE(ones({3, 2}, kFloat64).scatter_add(0, longs({2, 2}, {1, 2}), src),
              tensor(std::vector<double>{1, 1, 1, 1, 2, 3}, {3, 2}));
}

TEST_CASE("index ops: gradients") {
  const auto x = leaf({4, 3}, 1);
  CHECK_GRAD(
      [](const TensorList& in) {
        return TensorList{index_select(in[0], 0, tensor({3, 0, 3, 1}))};
      },
      x);
  CHECK_GRAD(
      [](const TensorList& in) {
        return TensorList{index_select(in[0].t(), 1, tensor({2, 2}))};
      },
      x);
  CHECK_GRADGRAD(
      [](const TensorList& in) {
        return TensorList{index_select(in[0] * in[0], 1, tensor({2, 0, 2}))};
      },
      x);
  CHECK_GRAD(
      [](const TensorList& in) {
        return TensorList{index_add(in[0], 0, tensor({1, 1}), in[1])};
      },
      x, leaf({2, 3}, 2));
  CHECK_GRADGRAD(
      [](const TensorList& in) {
        return TensorList{index_add(in[0], 1, tensor({0, 0}), in[1] * in[1])};
      },
      x, leaf({4, 2}, 3));

  const auto idx = longs({2, 0, 1, 1, 0, 0}, {3, 2});
  CHECK_GRAD([idx](const TensorList& in) { return TensorList{gather(in[0], 1, idx)}; }, x);
  CHECK_GRAD([idx](const TensorList& in) { return TensorList{gather(in[0].t(), 0, idx.t())}; }, x);
  CHECK_GRADGRAD([idx](const TensorList& in) { return TensorList{gather(in[0] * in[0], 1, idx)}; },
                 x);
  // scatter_add: x gets g, src gets gather(g); src larger than the index gets zeros beyond it.
  CHECK_GRAD([idx](const TensorList& in) { return TensorList{scatter_add(in[0], 1, idx, in[1])}; },
             x, leaf({3, 2}, 4));
  CHECK_GRAD([idx](const TensorList& in) { return TensorList{scatter_add(in[0], 1, idx, in[1])}; },
             x, leaf({3, 4}, 5));
  CHECK_GRADGRAD(
      [idx](const TensorList& in) { return TensorList{scatter_add(in[0], 0, idx, in[1] * in[1])}; },
      x, leaf({3, 2}, 6));
}

TEST_CASE("embedding: lookup, padding_idx and the fused backward") {
  const auto table = arange(12, kFloat64).reshape({4, 3});
  const auto tokens = longs({3, 0, 3, 1}, {2, 2});
  const auto e = embedding(table, tokens);
  CHECK(e.sizes() == Shape{2, 2, 3});
  CHECK_CLOSE(e.reshape({4, 3}),
              tensor(std::vector<double>{9, 10, 11, 0, 1, 2, 9, 10, 11, 3, 4, 5}, {4, 3}));

  // Row 3 appears twice and sums; padding row 0 gets nothing; row 2 is unused.
  const auto w = leaf({4, 3}, 1);
  const auto g = leaf({2, 2, 3}, 2).detach();
  for (bool create_graph : {false, true}) {
    CAPTURE(create_graph);
    const auto out = embedding(w, tokens, 0);
    const auto dw = grad({out}, {w}, {g}, true, create_graph)[0].detach();
    const auto rows = g.reshape({4, 3});
    CHECK_CLOSE(dw[0], zeros({3}, kFloat64));
    CHECK_CLOSE(dw[1], rows[3]);
    CHECK_CLOSE(dw[2], zeros({3}, kFloat64));
    CHECK_CLOSE(dw[3], rows[0] + rows[2]);
  }
  // padding_idx counts from the end like an index
  const auto padded_last = grad({embedding(w, tokens, -1)}, {w}, {g})[0];
  CHECK_CLOSE(padded_last[3], zeros({3}, kFloat64));
  CHECK_CLOSE(padded_last[0], g.reshape({4, 3})[1]);
  // Without padding the gradient is the true derivative; with it, its own derivative is still
  // consistent (second order).
  CHECK_GRAD([tokens](const TensorList& in) { return TensorList{embedding(in[0], tokens)}; }, w);
  CHECK_GRADGRAD(
      [tokens](const TensorList& in) { return TensorList{embedding(in[0] * in[0], tokens, 3)}; },
      w);
}

TEST_CASE("index_add: results do not depend on the thread count") {
  Generator gen(3);
  const auto index = randint(0, 5, {4000}, kInt64, &gen);
  const auto src = randn({4000, 16}, kFloat32, &gen);
  const int threads = get_num_threads();
  set_num_threads(1);
  const auto one = index_add(zeros({5, 16}), 0, index, src).to_vector<float>();
  set_num_threads(std::max(threads, 2));
  const auto many = index_add(zeros({5, 16}), 0, index, src).to_vector<float>();
  set_num_threads(threads);
  CHECK(one == many);
}

TEST_CASE("one_hot") {
  const auto oh = one_hot(longs({2, 0, 1, 2}, {2, 2}));
  CHECK(oh.dtype() == kInt64);
  CHECK(oh.sizes() == Shape{2, 2, 3});
  CHECK(oh.to_vector<int64_t>() == std::vector<int64_t>{0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 1});
  CHECK(one_hot(tensor({1}), 4).to_vector<int64_t>() == std::vector<int64_t>{0, 1, 0, 0});
  CHECK_THROWS_CONTAINING(one_hot(tensor({1, 4}), 4),
                          "one_hot: index 4 (at position 1 of the index) is out of range for the "
                          "classes of size 4; valid indices are 0..3");
  CHECK_THROWS_CONTAINING(one_hot(zeros({0}, kInt64)), "cannot infer num_classes");
  CHECK_THROWS_CONTAINING(one_hot(tensor({1.0f})), "one_hot: indices must be int64, got float32");
}

TEST_CASE("index ops: every index is checked") {
  const auto x = ones({3, 4});
  CHECK_THROWS_CONTAINING(index_select(x, 0, tensor({0, 3})),
                          "index_select: index 3 (at position 1 of the index) is out of range for "
                          "dim 0 of size 3; valid indices are 0..2");
  CHECK_THROWS_CONTAINING(index_select(x, 1, tensor({-1})), "index -1");
  CHECK_THROWS_CONTAINING(index_select(x, 0, tensor({0.0f})), "indices must be int64");
  CHECK_THROWS_CONTAINING(index_select(x, 0, longs({0, 0}, {1, 2})), "the index must be 1-d");
  CHECK_THROWS_CONTAINING(index_select(x, 2, tensor({0})), "index_select");
  CHECK_THROWS_CONTAINING(index_select(zeros({0, 2}), 0, tensor({0})),
                          "of size 0 (no index is valid)");
  CHECK_THROWS_CONTAINING(index_add(x, 0, tensor({5}), ones({1, 4})), "index_add: index 5");
  CHECK_THROWS_CONTAINING(index_add(x, 0, tensor({1}), ones({2, 4})),
                          "index_add: the source has shape [2,4] but expected [1,4]");
  CHECK_THROWS_CONTAINING(
      gather(x, 1, longs({0, 4}, {1, 2})),
      "gather: index 4 (at position 1 of the index) is out of range for dim 1 of size 4");
  CHECK_THROWS_CONTAINING(gather(x, 1, longs({0, 1}, {2})), "must have as many dims as the input");
  CHECK_THROWS_CONTAINING(gather(x, 1, longs({0, 0, 0, 0, 0, 0, 0, 0}, {4, 2})),
                          "index of shape [4,2] is larger than the input of shape [3,4] in dim 0");
  CHECK_THROWS_CONTAINING(scatter_add(x, 0, longs({3}, {1, 1}), ones({1, 1})),
                          "scatter_add: index 3");
  CHECK_THROWS_CONTAINING(scatter_add(x, 0, longs({0, 0}, {1, 2}), ones({1, 1})),
                          "larger than the source of shape [1,1] in dim 1");
  CHECK_THROWS_CONTAINING(scatter_add(x, 0, longs({0}, {1, 1}), ones({1, 1}, kFloat64)),
                          "they need the same dtype");
  CHECK_THROWS_CONTAINING(embedding(ones({4, 2}), tensor({1, 4})),
                          "embedding: index 4 (at position 1 of the index) is out of range for an "
                          "embedding table of size 4; valid indices are 0..3");
  CHECK_THROWS_CONTAINING(embedding(ones({4, 2}), tensor({1}), 4), "padding_idx 4 is out of range");
  CHECK_THROWS_CONTAINING(embedding(ones({4}), tensor({1})),
                          "weight must be [num_embeddings, dim]");
}
