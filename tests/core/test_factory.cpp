// Factories and random numbers: values, dtypes, errors, and determinism across thread counts.
#include <algorithm>
#include <numeric>

#include "helpers.h"

using namespace ember;
using namespace ember::testing;

namespace {

// Restores the thread count a test changed.
struct ThreadCountGuard {
  int saved = get_num_threads();
  ~ThreadCountGuard() { set_num_threads(saved); }
};

double mean_of(const std::vector<double>& v) {
  return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}

double std_of(const std::vector<double>& v) {
  const double m = mean_of(v);
  double s = 0;
  for (double x : v) s += (x - m) * (x - m);
  return std::sqrt(s / static_cast<double>(v.size() - 1));
}

}  // namespace

TEST_CASE("constant factories: values, shapes and dtypes") {
  auto z = zeros({2, 3});
  CHECK(z.sizes() == Shape{2, 3});
  CHECK(z.dtype() == kFloat32);
  CHECK(z.is_contiguous());
  CHECK(z.to_vector<float>() == std::vector<float>(6, 0.f));
  CHECK(ones({4}, kInt64).to_vector<int64_t>() == std::vector<int64_t>{1, 1, 1, 1});
  CHECK(ones({2}, kBool).to_vector<bool>() == std::vector<bool>{true, true});
  CHECK(full({2, 2}, 2.5, kFloat64).to_vector<double>() == std::vector<double>(4, 2.5));
  CHECK(full({}, 7.0).dim() == 0);
  CHECK(full({}, 7.0).item() == 7.0);
  CHECK(zeros({0, 3}).numel() == 0);

  auto like = ones({3, 1}, kFloat64);
  CHECK(zeros_like(like).sizes() == Shape{3, 1});
  CHECK(zeros_like(like).dtype() == kFloat64);
  CHECK(full_like(like, -1).to_vector<double>() == std::vector<double>(3, -1.0));
  CHECK(empty_like(like).dtype() == kFloat64);

  auto w = zeros({2}, TensorOptions(kFloat32));
  CHECK_FALSE(w.requires_grad());
  TensorOptions grad_opts(kFloat64);
  grad_opts.requires_grad = true;
  CHECK(ones({2}, grad_opts).requires_grad());
}

TEST_CASE("arange, linspace and eye") {
  CHECK(arange(5).to_vector<int64_t>() == std::vector<int64_t>{0, 1, 2, 3, 4});
  CHECK(arange(5).dtype() == kInt64);
  CHECK(arange(2, 8, 3).to_vector<int64_t>() == std::vector<int64_t>{2, 5});
  CHECK(arange(3, 0, -1).to_vector<int64_t>() == std::vector<int64_t>{3, 2, 1});
  CHECK(arange(0, 1, 0.25, kFloat64).to_vector<double>() ==
        std::vector<double>{0, 0.25, 0.5, 0.75});
  CHECK(arange(0).numel() == 0);
  CHECK(arange(5, 5).numel() == 0);

  auto l = linspace(-1, 1, 5, kFloat64);
  CHECK(l.to_vector<double>() == std::vector<double>{-1, -0.5, 0, 0.5, 1});
  auto l3 = linspace(0, 0.3, 7);  // the last value is exactly `end`
  CHECK(l3.to_vector<float>().back() == 0.3f);
  CHECK(linspace(2, 3, 1).to_vector<float>() == std::vector<float>{2});
  CHECK(linspace(2, 3, 0).numel() == 0);

  CHECK(eye(2).to_vector<float>() == std::vector<float>{1, 0, 0, 1});
  auto rect = eye(2, 3, kInt64);
  CHECK(rect.sizes() == Shape{2, 3});
  CHECK(rect.to_vector<int64_t>() == std::vector<int64_t>{1, 0, 0, 0, 1, 0});
}

TEST_CASE("factories reject invalid arguments") {
  CHECK_THROWS_CONTAINING(zeros({2, -1}), "negative size in shape [2,-1]");
  CHECK_THROWS_CONTAINING(arange(0, 10, 0), "arange: step must be non-zero");
  CHECK_THROWS_CONTAINING(arange(0, 10, -1), "arange: step -1 does not lead from 0 to 10");
  CHECK_THROWS_CONTAINING(arange(0, INFINITY), "arange: start and end must be finite");
  CHECK_THROWS_CONTAINING(linspace(0, 1, -2), "linspace: steps must be non-negative, got -2");
  CHECK_THROWS_CONTAINING(eye(-1), "eye: sizes must be non-negative");
  CHECK_THROWS_CONTAINING(rand({2}, kInt64), "uniform: expected a floating dtype, got int64");
  CHECK_THROWS_CONTAINING(uniform({2}, 1, 0), "uniform: low 1 must not exceed high 0");
  CHECK_THROWS_CONTAINING(randn({2}, kBool), "normal: expected a floating dtype, got bool");
  CHECK_THROWS_CONTAINING(normal({2}, 0, -1), "normal: std must be non-negative");
  CHECK_THROWS_CONTAINING(randint(3, 3, {2}), "randint: low 3 must be below high 3");
  CHECK_THROWS_CONTAINING(randint(0, 2, {2}, kBool), "randint: bool is not a valid dtype");
  CHECK_THROWS_CONTAINING(randperm(-1), "randperm: n must be non-negative");
  CHECK_THROWS_CONTAINING(bernoulli_like(zeros({2}), 1.5), "bernoulli: p must be in [0, 1]");
}

TEST_CASE("random factories: ranges and dtypes") {
  Generator gen(3);
  auto u = rand({1000}, kFloat64, &gen).to_vector<double>();
  CHECK(*std::min_element(u.begin(), u.end()) >= 0.0);
  CHECK(*std::max_element(u.begin(), u.end()) < 1.0);
  CHECK(mean_of(u) == doctest::Approx(0.5).epsilon(0.05));

  auto v = uniform({1000}, -3, -1, kFloat32, &gen).to_vector<double>();
  CHECK(*std::min_element(v.begin(), v.end()) >= -3.0);
  CHECK(*std::max_element(v.begin(), v.end()) < -1.0);

  auto r = randint(-2, 3, {2000}, kInt64, &gen);
  CHECK(r.dtype() == kInt64);
  auto rv = r.to_vector<int64_t>();
  for (int64_t k = -2; k < 3; ++k) CHECK(std::count(rv.begin(), rv.end(), k) > 300);
  CHECK(std::count_if(rv.begin(), rv.end(), [](int64_t k) { return k < -2 || k >= 3; }) == 0);
  CHECK(randint(0, 10, {3}, kFloat32, &gen).dtype() == kFloat32);

  auto p = randperm(50, &gen).to_vector<int64_t>();
  auto sorted = p;
  std::sort(sorted.begin(), sorted.end());
  std::vector<int64_t> expected(50);
  std::iota(expected.begin(), expected.end(), 0);
  CHECK(sorted == expected);
  CHECK(p != expected);
  CHECK(randperm(0, &gen).numel() == 0);

  auto b = bernoulli_like(zeros({4000}, kFloat64), 0.25, &gen).to_vector<double>();
  CHECK(mean_of(b) == doctest::Approx(0.25).epsilon(0.15));
  CHECK(std::all_of(b.begin(), b.end(), [](double x) { return x == 0 || x == 1; }));
}

TEST_CASE("randn: mean 0 and standard deviation 1; normal: shifted and scaled") {
  Generator gen(11);
  for (DType dt : {kFloat32, kFloat64}) {
    CAPTURE(dt);
    auto x = randn({100000}, dt, &gen).to_vector<double>();
    CHECK(std::fabs(mean_of(x)) < 0.02);
    CHECK(std_of(x) == doctest::Approx(1.0).epsilon(0.02));
    CHECK(std::all_of(x.begin(), x.end(), [](double v) { return std::isfinite(v); }));
  }
  auto y = normal({50000}, 3, 0.5, kFloat64, &gen).to_vector<double>();
  CHECK(mean_of(y) == doctest::Approx(3.0).epsilon(0.01));
  CHECK(std_of(y) == doctest::Approx(0.5).epsilon(0.03));
}

TEST_CASE("random values: same seed, same values; the stream advances") {
  Generator a(42), b(42), c(43);
  auto xa = randn({64}, kFloat64, &a), xb = randn({64}, kFloat64, &b);
  CHECK(xa.to_vector<double>() == xb.to_vector<double>());
  CHECK(randn({64}, kFloat64, &c).to_vector<double>() != xa.to_vector<double>());
  CHECK(randn({64}, kFloat64, &a).to_vector<double>() != xa.to_vector<double>());  // advanced

  // Saving and restoring the state replays the stream.
  const auto state = a.get_state();
  auto first = rand({10}, kFloat32, &a).to_vector<float>();
  a.set_state(state);
  CHECK(rand({10}, kFloat32, &a).to_vector<float>() == first);
  a.manual_seed(42);
  CHECK(randn({64}, kFloat64, &a).to_vector<double>() == xa.to_vector<double>());

  // The default generator, through manual_seed.
  manual_seed(7);
  auto d1 = randn({16}).to_vector<float>();
  auto p1 = randperm(16).to_vector<int64_t>();
  manual_seed(7);
  CHECK(randn({16}).to_vector<float>() == d1);
  CHECK(randperm(16).to_vector<int64_t>() == p1);
}

TEST_CASE("random values do not depend on the thread count") {
  ThreadCountGuard restore;
  const Shape big{40000};  // above the parallel grain, so the draw is split across threads
  auto draw_all = [&](int threads) {
    set_num_threads(threads);
    CHECK(get_num_threads() == threads);
    Generator gen(2024);
    std::vector<std::vector<double>> out;
    out.push_back(randn(big, kFloat32, &gen).to_vector<double>());
    out.push_back(randn(big, kFloat64, &gen).to_vector<double>());
    out.push_back(rand(big, kFloat64, &gen).to_vector<double>());
    out.push_back(randint(0, 1000, big, kInt64, &gen).to_vector<double>());
    out.push_back(bernoulli_like(zeros(big), 0.5, &gen).to_vector<double>());
    out.push_back(randperm(40000, &gen).to_vector<double>());
    return out;
  };
  const auto one = draw_all(1);
  const auto two = draw_all(2);
  const auto four = draw_all(4);
  REQUIRE(one.size() == two.size());
  for (size_t i = 0; i < one.size(); ++i) {
    CAPTURE(i);
    CHECK(one[i] == two[i]);
    CHECK(one[i] == four[i]);
  }
  CHECK_THROWS_CONTAINING(set_num_threads(0), "set_num_threads: expected at least 1 thread");
}
