#include "ember/ops/factory.h"

#include <cmath>
#include <numbers>

#include "ember/ops/cpu/parallel.h"

namespace ember {

namespace {

TensorOptions like(const Tensor& t) {
  return TensorOptions(t.dtype(), t.device());
}

// Random draws are made on the CPU and moved; element i uses Philox counter (first + i).
template <typename Draw>
Tensor draw(std::string_view op, const Shape& sizes, TensorOptions options, Generator* gen,
            Draw value_at) {
  Tensor host = empty(sizes, TensorOptions(options.dtype));
  const int64_t n = host.numel();
  auto [seed, first] = (gen ? *gen : default_generator()).reserve(static_cast<uint64_t>(n));
  visit_dtype(options.dtype, [&]<typename T>() {
    if constexpr (std::is_same_v<T, bool>) {
      fail("{}: bool is not a valid dtype for random values", op);
    } else {
      T* out = host.data_ptr<T>();
      cpu::parallel_for(0, n, 4096, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i)
          out[i] = static_cast<T>(value_at(philox4x32(seed, first + static_cast<uint64_t>(i))));
      });
    }
  });
  Tensor out = options.device.is_cpu() ? host : host.to(options.device);
  if (options.requires_grad) out.requires_grad_();
  return out;
}

}  // namespace

Tensor full(const Shape& sizes, Scalar value, TensorOptions options) {
  Tensor out = empty(sizes, TensorOptions(options.dtype, options.device));
  out.fill_(value);
  if (options.requires_grad) out.requires_grad_();
  return out;
}
Tensor zeros(const Shape& sizes, TensorOptions options) {
  return full(sizes, 0, options);
}
Tensor ones(const Shape& sizes, TensorOptions options) {
  return full(sizes, 1, options);
}
Tensor empty_like(const Tensor& t) {
  return empty(t.sizes(), like(t));
}
Tensor zeros_like(const Tensor& t) {
  return full(t.sizes(), 0, like(t));
}
Tensor ones_like(const Tensor& t) {
  return full(t.sizes(), 1, like(t));
}
Tensor full_like(const Tensor& t, Scalar value) {
  return full(t.sizes(), value, like(t));
}

Tensor arange(Scalar end, TensorOptions options) {
  return arange(0, end, 1, options);
}

Tensor arange(Scalar start, Scalar end, Scalar step, TensorOptions options) {
  EMBER_CHECK(step != 0, "arange: step must be non-zero");
  EMBER_CHECK(std::isfinite(start) && std::isfinite(end), "arange: start and end must be finite");
  const double count = std::ceil((end - start) / step);
  EMBER_CHECK(end == start || (step > 0) == (end > start),
              "arange: step {} does not lead from {} to {}", step, start, end);
  const int64_t n = std::max<int64_t>(0, static_cast<int64_t>(count));
  Tensor host = empty({n}, TensorOptions(options.dtype));
  visit_dtype(options.dtype, [&]<typename T>() {
    T* p = host.data_ptr<T>();
    for (int64_t i = 0; i < n; ++i) p[i] = static_cast<T>(start + static_cast<double>(i) * step);
  });
  return options.device.is_cpu() ? host : host.to(options.device);
}

Tensor linspace(Scalar start, Scalar end, int64_t steps, TensorOptions options) {
  EMBER_CHECK(steps >= 0, "linspace: steps must be non-negative, got {}", steps);
  Tensor host = empty({steps}, TensorOptions(options.dtype));
  const double delta = steps > 1 ? (end - start) / static_cast<double>(steps - 1) : 0.0;
  visit_dtype(options.dtype, [&]<typename T>() {
    T* p = host.data_ptr<T>();
    // Fill from both ends, as PyTorch does, so the last value is exactly `end`.
    for (int64_t i = 0; i < steps; ++i)
      p[i] = static_cast<T>(i < steps / 2 || steps == 1
                                ? start + delta * static_cast<double>(i)
                                : end - delta * static_cast<double>(steps - 1 - i));
  });
  return options.device.is_cpu() ? host : host.to(options.device);
}

Tensor eye(int64_t n, TensorOptions options) {
  return eye(n, n, options);
}

Tensor eye(int64_t n, int64_t m, TensorOptions options) {
  EMBER_CHECK(n >= 0 && m >= 0, "eye: sizes must be non-negative, got {}x{}", n, m);
  Tensor host = zeros({n, m}, TensorOptions(options.dtype));
  visit_dtype(options.dtype, [&]<typename T>() {
    T* p = host.data_ptr<T>();
    for (int64_t i = 0; i < std::min(n, m); ++i) p[i * m + i] = T(1);
  });
  return options.device.is_cpu() ? host : host.to(options.device);
}

Tensor rand(const Shape& sizes, TensorOptions options, Generator* gen) {
  return uniform(sizes, 0, 1, options, gen);
}

Tensor uniform(const Shape& sizes, Scalar low, Scalar high, TensorOptions options, Generator* gen) {
  EMBER_CHECK(is_floating(options.dtype), "uniform: expected a floating dtype, got {}",
              options.dtype);
  EMBER_CHECK(low <= high, "uniform: low {} must not exceed high {}", low, high);
  const bool dbl = options.dtype == kFloat64;
  return draw("uniform", sizes, options, gen, [=](const std::array<uint32_t, 4>& r) {
    const double u = dbl ? uniform_double(r[0], r[1]) : uniform_float(r[0]);
    return low + (high - low) * u;
  });
}

Tensor randn(const Shape& sizes, TensorOptions options, Generator* gen) {
  return normal(sizes, 0, 1, options, gen);
}

Tensor normal(const Shape& sizes, Scalar mean, Scalar std, TensorOptions options, Generator* gen) {
  EMBER_CHECK(is_floating(options.dtype), "normal: expected a floating dtype, got {}",
              options.dtype);
  EMBER_CHECK(std >= 0, "normal: std must be non-negative, got {}", std);
  return draw("normal", sizes, options, gen, [=](const std::array<uint32_t, 4>& r) {
    const double u1 = 1.0 - uniform_double(r[0], r[1]);  // (0, 1]: log is finite
    const double u2 = uniform_double(r[2], r[3]);
    return mean + std * std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
  });
}

Tensor randint(int64_t low, int64_t high, const Shape& sizes, TensorOptions options,
               Generator* gen) {
  EMBER_CHECK(low < high, "randint: low {} must be below high {}", low, high);
  const uint64_t range = static_cast<uint64_t>(high - low);
  return draw("randint", sizes, options, gen, [=](const std::array<uint32_t, 4>& r) {
    const uint64_t bits = (static_cast<uint64_t>(r[0]) << 32) | r[1];
    return static_cast<double>(low + static_cast<int64_t>(bits % range));
  });
}

Tensor randperm(int64_t n, Generator* gen) {
  EMBER_CHECK(n >= 0, "randperm: n must be non-negative, got {}", n);
  Tensor out = arange(n);
  auto [seed, first] = (gen ? *gen : default_generator()).reserve(static_cast<uint64_t>(n));
  int64_t* p = out.data_ptr<int64_t>();
  for (int64_t i = n - 1; i > 0; --i) {  // Fisher-Yates
    const auto r = philox4x32(seed, first + static_cast<uint64_t>(i));
    const uint64_t bits = (static_cast<uint64_t>(r[0]) << 32) | r[1];
    std::swap(p[i], p[bits % static_cast<uint64_t>(i + 1)]);
  }
  return out;
}

Tensor rand_like(const Tensor& t, Generator* gen) {
  return rand(t.sizes(), like(t), gen);
}
Tensor randn_like(const Tensor& t, Generator* gen) {
  return randn(t.sizes(), like(t), gen);
}

Tensor bernoulli_like(const Tensor& t, double p, Generator* gen) {
  EMBER_CHECK(p >= 0 && p <= 1, "bernoulli: p must be in [0, 1], got {}", p);
  return draw("bernoulli", t.sizes(), like(t), gen, [=](const std::array<uint32_t, 4>& r) {
    return uniform_double(r[0], r[1]) < p ? 1.0 : 0.0;
  });
}

}  // namespace ember
