#pragma once
// Math the compiler can vectorise. std::exp is an opaque library call (glibc's SIMD variants are
// only used under -ffast-math), and softmax-like kernels spend most of their time in exp; these
// inline versions compile to SIMD inside plain loops.
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

namespace ember::cpu {

// e^x in float, within 2 ulp of the exact value. Results below FLT_MIN flush to 0 (so masked
// -inf entries of a softmax give exactly 0), and x above ln(2^127.5) ~ 88.38 gives +inf (the
// exact result overflows at 88.72 anyway). NaN stays NaN.
inline float exp_float(float x) {
  constexpr float kMinArg = -87.33654f;  // ln(FLT_MIN)
  constexpr float kMaxArg = 88.37626f;   // keeps round(x / ln 2) <= 127
  constexpr float kLog2e = 1.44269504088896341f;
  // ln 2 split in two so that n * kLn2Hi is exact for |n| <= 128 (Cody-Waite reduction).
  constexpr float kLn2Hi = 0.693359375f;
  constexpr float kLn2Lo = -2.12194440e-4f;
  constexpr float kRoundShift = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer
  // Clamp first (NaN compares false and becomes kMinArg) so the integer conversion is defined.
  float xc = x > kMinArg ? x : kMinArg;
  xc = xc < kMaxArg ? xc : kMaxArg;
  const float n = (xc * kLog2e + kRoundShift) - kRoundShift;
  const float r = (xc - n * kLn2Hi) - n * kLn2Lo;  // |r| <= ln2 / 2
  // Taylor series to degree 7: the remainder r^8 / 8! < 6e-9 is below half an ulp.
  float p = 1.0f / 5040;
  p = p * r + 1.0f / 720;
  p = p * r + 1.0f / 120;
  p = p * r + 1.0f / 24;
  p = p * r + 1.0f / 6;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  const auto biased = static_cast<uint32_t>(static_cast<int32_t>(n) + 127);
  float y = p * std::bit_cast<float>(biased << 23);
  y = x < kMinArg ? 0.0f : y;
  y = x > kMaxArg ? std::numeric_limits<float>::infinity() : y;
  return x != x ? x : y;
}

// e^x for the kernels' element type: the vectorisable float version, std::exp for double (the
// dtype gradient checks run in, where the last ulp matters).
inline float vexp(float x) {
  return exp_float(x);
}
inline double vexp(double x) {
  return std::exp(x);
}

// erf(x) in float, absolute error below 2e-7 (Abramowitz & Stegun 7.1.26 with the vectorisable
// exp above): enough for GELU in float32, where the result is used as 1 + erf.
inline float erf_float(float x) {
  const float a = std::fabs(x);
  const float t = 1.0f / (1.0f + 0.3275911f * a);
  float p = 1.061405429f;
  p = p * t - 1.453152027f;
  p = p * t + 1.421413741f;
  p = p * t - 0.284496736f;
  p = p * t + 0.254829592f;
  const float y = 1.0f - p * t * exp_float(-a * a);
  return x < 0 ? -y : y;
}

inline float verf(float x) {
  return erf_float(x);
}
inline double verf(double x) {
  return std::erf(x);
}

}  // namespace ember::cpu
