#include "helpers.h"

using namespace ember;
using namespace ember::testing;

namespace {
std::vector<int64_t> ints(const Tensor& t) {
  return t.to_vector<int64_t>();
}
}  // namespace

TEST_CASE("roll: values") {
  const auto v = arange(5);
  CHECK(ints(roll(v, {2}, {0})) == std::vector<int64_t>{3, 4, 0, 1, 2});
  CHECK(ints(roll(v, {-1}, {0})) == std::vector<int64_t>{1, 2, 3, 4, 0});
  CHECK(ints(roll(v, {7}, {0})) == std::vector<int64_t>{3, 4, 0, 1, 2});    // 7 = 5 + 2
  CHECK(ints(roll(v, {-11}, {0})) == std::vector<int64_t>{1, 2, 3, 4, 0});  // -11 = -10 - 1
  CHECK(ints(roll(v, {5}, {0})) == ints(v));

  const auto m = arange(12).reshape({3, 4});
  // Several dims at once equal successive single-dim rolls.
  CHECK(ints(roll(m, {1, -1}, {0, 1})) == ints(roll(roll(m, {1}, {0}), {-1}, {1})));
  CHECK(ints(roll(m, {1, -1}, {0, 1})) ==
        std::vector<int64_t>{9, 10, 11, 8, 1, 2, 3, 0, 5, 6, 7, 4});
  CHECK(ints(roll(m, {1, 1}, {1, 1})) == ints(roll(m, {2}, {-1})));  // a dim named twice
  // No dims: roll the flattened tensor, keep the shape.
  CHECK(ints(roll(m, {1})) == std::vector<int64_t>{11, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
  CHECK(roll(m, {1}).sizes() == m.sizes());
  CHECK(ints(m.t().roll({1}, {0})) == ints(roll(m.t().contiguous(), {1}, {0})));
  CHECK(roll(zeros({0, 3}), {2}, {0}).sizes() == Shape{0, 3});
}

TEST_CASE("pad: values") {
  const auto x = tensor(std::vector<double>{1, 2, 3, 4}, {2, 2});
  // last dim by (1, 0), the one before by (0, 1), filled with 9
  CHECK_CLOSE(pad(x, {1, 0, 0, 1}, 9),
              tensor(std::vector<double>{9, 1, 2, 9, 3, 4, 9, 9, 9}, {3, 3}));
  CHECK_CLOSE(pad(x, {1, 1}), tensor(std::vector<double>{0, 1, 2, 0, 0, 3, 4, 0}, {2, 4}));
  // Negative pads crop; mixed with positive ones.
  CHECK_CLOSE(pad(x, {-1, 0}), tensor(std::vector<double>{2, 4}, {2, 1}));
  CHECK_CLOSE(pad(x, {-1, 1, 0, -1}), tensor(std::vector<double>{2, 0}, {1, 2}));
  CHECK_CLOSE(pad(x, {-2, 1}), zeros({2, 1}, kFloat64));
  CHECK_CLOSE(pad(x.t(), {0, 1}), tensor(std::vector<double>{1, 3, 0, 2, 4, 0}, {2, 3}));
  CHECK(pad(x, {}).sizes() == Shape{2, 2});
  CHECK(pad(ones({1, 2, 3}), {1, 1, 1, 1, 1, 1}).sizes() == Shape{3, 4, 5});
  CHECK(pad(tensor({true}), {1, 0}).to_vector<bool>() == std::vector<bool>{false, true});
  CHECK(ints(pad(tensor({5}), {0, 2}, -1)) == std::vector<int64_t>{5, -1, -1});
}

TEST_CASE("tril and triu: values") {
  const auto m = arange(1, 13).reshape({3, 4});
  CHECK(ints(tril(m)) == std::vector<int64_t>{1, 0, 0, 0, 5, 6, 0, 0, 9, 10, 11, 0});
  CHECK(ints(tril(m, 1)) == std::vector<int64_t>{1, 2, 0, 0, 5, 6, 7, 0, 9, 10, 11, 12});
  CHECK(ints(tril(m, -1)) == std::vector<int64_t>{0, 0, 0, 0, 5, 0, 0, 0, 9, 10, 0, 0});
  CHECK(ints(triu(m)) == std::vector<int64_t>{1, 2, 3, 4, 0, 6, 7, 8, 0, 0, 11, 12});
  CHECK(ints(triu(m, 2)) == std::vector<int64_t>{0, 0, 3, 4, 0, 0, 0, 8, 0, 0, 0, 0});
  CHECK(ints(m.triu(-1)) == std::vector<int64_t>{1, 2, 3, 4, 5, 6, 7, 8, 0, 10, 11, 12});
  CHECK(ints(tril(m, 100)) == ints(m));
  CHECK(ints(tril(m, std::numeric_limits<int64_t>::min())) == std::vector<int64_t>(12, 0));
  // batched, transposed, and on bool masks
  const auto b = stack({m, m * 10});
  CHECK(ints(tril(b)[1]) == ints(tril(m) * 10));
  CHECK(ints(m.t().tril()) == ints(tril(m.t().contiguous())));
  CHECK(tril(ones({2, 2}, kBool)).to_vector<bool>() == std::vector<bool>{true, false, true, true});
}

TEST_CASE("rearrange ops: gradients") {
  const auto x = leaf({3, 4}, 1);
  CHECK_GRAD([](const TensorList& in) { return TensorList{roll(in[0], {1, -5}, {0, 1})}; }, x);
  CHECK_GRAD([](const TensorList& in) { return TensorList{roll(in[0].t(), {2})}; }, x);
  CHECK_GRADGRAD([](const TensorList& in) { return TensorList{roll(in[0] * in[0], {-1}, {1})}; },
                 x);
  CHECK_GRAD([](const TensorList& in) { return TensorList{pad(in[0], {1, 2, 0, 1}, 3)}; }, x);
  CHECK_GRAD([](const TensorList& in) { return TensorList{pad(in[0].t(), {-1, 1, 1, -2})}; }, x);
  CHECK_GRADGRAD([](const TensorList& in) { return TensorList{pad(in[0] * in[0], {-1, 2})}; }, x);
  CHECK_GRAD([](const TensorList& in) { return TensorList{tril(in[0], 1)}; }, leaf({2, 3, 3}, 2));
  CHECK_GRAD([](const TensorList& in) { return TensorList{triu(in[0].t(), -1)}; }, x);
  CHECK_GRADGRAD([](const TensorList& in) { return TensorList{triu(in[0] * in[0])}; }, x);
}

TEST_CASE("rearrange ops: errors") {
  const auto x = ones({2, 3});
  CHECK_THROWS_CONTAINING(roll(x, {1, 2}, {0}), "roll: got 2 shifts [1,2] for 1 dims [0]");
  CHECK_THROWS_CONTAINING(roll(x, {1, 2}), "without dims, expected a single shift");
  CHECK_THROWS_CONTAINING(roll(x, {1}, {2}), "roll");
  CHECK_THROWS_CONTAINING(pad(x, {1}), "pad: expected pairs of pad sizes");
  CHECK_THROWS_CONTAINING(pad(x, {1, 1, 1, 1, 1, 1}),
                          "at most one pair per dim (4 for shape [2,3])");
  CHECK_THROWS_CONTAINING(pad(x, {-2, -2}), "would make dim 1 of shape [2,3] negative (-1)");
  CHECK_THROWS_CONTAINING(tril(ones({3})),
                          "tril: expected a tensor with at least 2 dims, got shape [3]");
  CHECK_THROWS_CONTAINING(triu(Tensor()), "undefined");
}
