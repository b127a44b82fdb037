// dropout: reproducible masks, inverted scaling, gradients, thread-count independence, errors.
#include <cmath>

#include "helpers.h"

using namespace ember;
using namespace ember::testing;

TEST_CASE("dropout: same seed, same mask; values are 0 or x / (1 - p)") {
  auto x = leaf({40, 50}, 1).detach() + 3.0;  // no zeros, so the mask can be read off
  Generator g1(42), g2(42), g3(43);
  const Tensor a = dropout(x, 0.3, true, &g1);
  const Tensor b = dropout(x, 0.3, true, &g2);
  const Tensor c = dropout(x, 0.3, true, &g3);
  CHECK(a.to_vector<double>() == b.to_vector<double>());
  CHECK(a.to_vector<double>() != c.to_vector<double>());
  // The generator moves on: a second draw from g1 differs from the first.
  CHECK(dropout(x, 0.3, true, &g1).to_vector<double>() != a.to_vector<double>());
  const auto xv = x.to_vector<double>(), av = a.to_vector<double>();
  int64_t dropped = 0;
  for (size_t i = 0; i < xv.size(); ++i) {
    if (av[i] == 0) {
      ++dropped;
    } else {
      CHECK(av[i] == doctest::Approx(xv[i] / 0.7));
    }
  }
  CHECK(dropped > 0);
  // The default generator is used without one, and manual_seed makes it reproducible.
  manual_seed(7);
  const auto d1 = dropout(x, 0.5, true).to_vector<double>();
  manual_seed(7);
  CHECK(dropout(x, 0.5, true).to_vector<double>() == d1);
}

TEST_CASE("dropout: element i follows word i % 4 of Philox(seed, offset + i / 4)") {
  const uint64_t seed = 1234, offset = (uint64_t{1} << 32) - 37;  // the counter crosses 2^32
  Generator gen;
  gen.set_state({seed, offset});
  const int64_t n = 1001;  // not a multiple of any batch size
  const double p = 0.37;
  const auto y = dropout(ones({n}, kFloat64), p, true, &gen).to_vector<double>();
  int64_t mismatches = 0;
  for (int64_t i = 0; i < n; ++i) {
    const auto words = philox4x32(seed, offset + static_cast<uint64_t>(i / 4));
    const double u = static_cast<double>(words[i % 4]) / 4294967296.0;
    const double expected = u >= p ? 1 / (1 - p) : 0.0;
    if (std::fabs(y[i] - expected) > 1e-12) ++mismatches;
  }
  CHECK(mismatches == 0);
  CHECK(gen.get_state().second == offset + (n + 3) / 4);  // the stream moved past the draw
}

TEST_CASE("dropout: expected value is preserved") {
  Generator gen(3);
  const Tensor y = dropout(ones({200000}), 0.3, true, &gen);
  CHECK(y.mean().item() == doctest::Approx(1.0).epsilon(0.01));
  const double kept = gt(y, wrap_scalar(0, y)).to(kFloat64).mean().item();  // fraction kept
  CHECK(kept == doctest::Approx(0.7).epsilon(0.01));
}

TEST_CASE("dropout: p = 0, evaluation mode and p = 1") {
  auto x = leaf({3, 4}, 2);
  CHECK(dropout(x, 0.0, true).is_same(x));
  CHECK(dropout(x, 0.7, false).is_same(x));
  Tensor y = dropout(x, 1.0, true);
  CHECK_CLOSE(y, zeros({3, 4}, kFloat64));
  y.sum().backward();
  CHECK_CLOSE(x.grad(), zeros({3, 4}, kFloat64));
}

TEST_CASE("dropout: gradient is g * mask / (1 - p)") {
  auto x = leaf({5, 6}, 4);
  Generator gen(11);
  Tensor y = dropout(x, 0.4, true, &gen);
  auto g = leaf({5, 6}, 5).detach();
  y.backward(g);
  // mask / (1 - p) = y / x elementwise.
  CHECK_CLOSE(x.grad(), g * y.detach() / x.detach());
  // Fixed seed inside the function: every evaluation draws the same mask.
  CHECK_GRAD(
      [](const TensorList& in) {
        Generator local(21);
        return TensorList{dropout(in[0], 0.25, true, &local)};
      },
      x);
  CHECK_GRAD(
      [](const TensorList& in) {
        Generator local(22);
        return TensorList{dropout(in[0].t(), 0.5, true, &local) * in[0].t()};
      },
      x);
  CHECK_GRADGRAD(
      [](const TensorList& in) {
        Generator local(23);
        return TensorList{dropout(in[0] * in[0], 0.5, true, &local)};
      },
      x);
}

TEST_CASE("dropout: the mask follows element order, not memory layout or threads") {
  auto x = leaf({64, 300}, 6).detach();
  Generator g1(9), g2(9);
  // A transposed view gets the mask of its contiguous copy.
  CHECK(dropout(x.t(), 0.5, true, &g1).to_vector<double>() ==
        dropout(x.t().contiguous(), 0.5, true, &g2).to_vector<double>());
  const int threads = get_num_threads();
  set_num_threads(1);
  Generator g3(10);
  const auto one = dropout(x, 0.2, true, &g3).to_vector<double>();
  set_num_threads(std::max(2, threads));
  Generator g4(10);
  CHECK(dropout(x, 0.2, true, &g4).to_vector<double>() == one);
  set_num_threads(threads);
}

TEST_CASE("dropout: errors") {
  CHECK_THROWS_CONTAINING(dropout(ones({3}), 1.5, true),
                          "dropout: probability p must be in [0, 1], got 1.5");
  CHECK_THROWS_CONTAINING(dropout(ones({3}), -0.1, false),
                          "dropout: probability p must be in [0, 1]");
  CHECK_THROWS_CONTAINING(dropout(ones({3}, kInt64), 0.5, true),
                          "dropout: expected a float32 or float64 tensor, got int64");
  CHECK_THROWS_CONTAINING(dropout(Tensor(), 0.5, true), "dropout");
}
