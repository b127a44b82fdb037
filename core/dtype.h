#pragma once
// Element types. float64 is what gradient checks run in; int64 holds indices and token ids;
// bool holds masks.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ember/core/error.h"

namespace ember {

enum class DType : uint8_t { Bool, Int64, Float32, Float64 };

inline constexpr DType kBool = DType::Bool;
inline constexpr DType kInt64 = DType::Int64;
inline constexpr DType kFloat32 = DType::Float32;
inline constexpr DType kFloat64 = DType::Float64;
inline constexpr DType kFloat = DType::Float32;
inline constexpr DType kDouble = DType::Float64;
inline constexpr DType kLong = DType::Int64;

constexpr size_t element_size(DType t) {
  switch (t) {
    case DType::Bool:
      return 1;
    case DType::Int64:
      return 8;
    case DType::Float32:
      return 4;
    case DType::Float64:
      return 8;
  }
  return 0;
}

constexpr std::string_view dtype_name(DType t) {
  switch (t) {
    case DType::Bool:
      return "bool";
    case DType::Int64:
      return "int64";
    case DType::Float32:
      return "float32";
    case DType::Float64:
      return "float64";
  }
  return "?";
}

constexpr bool is_floating(DType t) {
  return t == DType::Float32 || t == DType::Float64;
}

// The dtype a binary op computes in: bool < int64 < float32 < float64.
constexpr DType promote(DType a, DType b) {
  return a > b ? a : b;
}

template <typename T>
constexpr DType dtype_of();
template <>
constexpr DType dtype_of<bool>() {
  return DType::Bool;
}
template <>
constexpr DType dtype_of<int64_t>() {
  return DType::Int64;
}
template <>
constexpr DType dtype_of<float>() {
  return DType::Float32;
}
template <>
constexpr DType dtype_of<double>() {
  return DType::Float64;
}

// Calls fn.template operator()<T>() with T the C++ type of `t`:
//   visit_dtype(t, [&]<typename T>() { ... });
template <typename F>
decltype(auto) visit_dtype(DType t, F&& fn) {
  switch (t) {
    case DType::Bool:
      return fn.template operator()<bool>();
    case DType::Int64:
      return fn.template operator()<int64_t>();
    case DType::Float32:
      return fn.template operator()<float>();
    case DType::Float64:
      return fn.template operator()<double>();
  }
  fail("internal: unknown dtype {}", static_cast<int>(t));
}

// As visit_dtype, for kernels that only make sense on float32/float64.
template <typename F>
decltype(auto) visit_floating(DType t, std::string_view op, F&& fn) {
  switch (t) {
    case DType::Float32:
      return fn.template operator()<float>();
    case DType::Float64:
      return fn.template operator()<double>();
    default:
      fail("{}: expected a float32 or float64 tensor, got {}", op, dtype_name(t));
  }
}

// As visit_dtype, for arithmetic kernels (everything but bool).
template <typename F>
decltype(auto) visit_numeric(DType t, std::string_view op, F&& fn) {
  switch (t) {
    case DType::Int64:
      return fn.template operator()<int64_t>();
    case DType::Float32:
      return fn.template operator()<float>();
    case DType::Float64:
      return fn.template operator()<double>();
    default:
      fail("{}: expected a numeric tensor (int64, float32, float64), got {}", op, dtype_name(t));
  }
}

}  // namespace ember

template <>
struct fmt::formatter<ember::DType> : fmt::formatter<std::string_view> {
  auto format(ember::DType t, format_context& ctx) const {
    return fmt::formatter<std::string_view>::format(ember::dtype_name(t), ctx);
  }
};
