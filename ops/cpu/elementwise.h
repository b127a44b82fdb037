#pragma once
// Elementwise kernels over StridedLoop: a contiguous typed fast path the compiler vectorises, a
// broadcast-scalar path, and a general strided path. `f` is applied per element.
#include <algorithm>

#include "ember/ops/cpu/loops.h"

namespace ember::cpu {

template <typename Out, typename In, typename F>
void unary_kernel(const Tensor& out, const Tensor& in, F f) {
  StridedLoop<2> loop(out.sizes(), {&out, &in});
  loop.run([&](std::array<char*, 2> p, std::array<int64_t, 2> s, int64_t n) {
    Out* o = reinterpret_cast<Out*>(p[0]);
    const In* a = reinterpret_cast<const In*>(p[1]);
    if (s[0] == sizeof(Out) && s[1] == sizeof(In)) {
      for (int64_t i = 0; i < n; ++i) o[i] = f(a[i]);
    } else {
      for (int64_t i = 0; i < n; ++i)
        *reinterpret_cast<Out*>(p[0] + i * s[0]) = f(*reinterpret_cast<const In*>(p[1] + i * s[1]));
    }
  });
}

// Writes `value` everywhere without reading the old contents (which may be uninitialised).
template <typename T>
void fill_kernel(const Tensor& out, T value) {
  StridedLoop<1> loop(out.sizes(), {&out});
  loop.run([value](std::array<char*, 1> p, std::array<int64_t, 1> s, int64_t n) {
    if (s[0] == sizeof(T)) {
      std::fill_n(reinterpret_cast<T*>(p[0]), n, value);
    } else {
      for (int64_t i = 0; i < n; ++i) *reinterpret_cast<T*>(p[0] + i * s[0]) = value;
    }
  });
}

template <typename Out, typename A, typename B, typename F>
void binary_kernel(const Tensor& out, const Tensor& a, const Tensor& b, F f) {
  StridedLoop<3> loop(out.sizes(), {&out, &a, &b});
  loop.run([&](std::array<char*, 3> p, std::array<int64_t, 3> s, int64_t n) {
    Out* o = reinterpret_cast<Out*>(p[0]);
    const A* x = reinterpret_cast<const A*>(p[1]);
    const B* y = reinterpret_cast<const B*>(p[2]);
    if (s[0] == sizeof(Out) && s[1] == sizeof(A) && s[2] == sizeof(B)) {
      for (int64_t i = 0; i < n; ++i) o[i] = f(x[i], y[i]);
    } else if (s[0] == sizeof(Out) && s[1] == sizeof(A) && s[2] == 0) {
      const B yv = *y;
      for (int64_t i = 0; i < n; ++i) o[i] = f(x[i], yv);
    } else if (s[0] == sizeof(Out) && s[1] == 0 && s[2] == sizeof(B)) {
      const A xv = *x;
      for (int64_t i = 0; i < n; ++i) o[i] = f(xv, y[i]);
    } else {
      for (int64_t i = 0; i < n; ++i)
        *reinterpret_cast<Out*>(p[0] + i * s[0]) = f(*reinterpret_cast<const A*>(p[1] + i * s[1]),
                                                     *reinterpret_cast<const B*>(p[2] + i * s[2]));
    }
  });
}

template <typename Out, typename A, typename B, typename C, typename F>
void ternary_kernel(const Tensor& out, const Tensor& a, const Tensor& b, const Tensor& c, F f) {
  StridedLoop<4> loop(out.sizes(), {&out, &a, &b, &c});
  loop.run([&](std::array<char*, 4> p, std::array<int64_t, 4> s, int64_t n) {
    for (int64_t i = 0; i < n; ++i)
      *reinterpret_cast<Out*>(p[0] + i * s[0]) = f(*reinterpret_cast<const A*>(p[1] + i * s[1]),
                                                   *reinterpret_cast<const B*>(p[2] + i * s[2]),
                                                   *reinterpret_cast<const C*>(p[3] + i * s[3]));
  });
}

// Copies `src` (any strides, broadcast to dst's shape, any dtype) into `dst`.
void copy_kernel(const Tensor& dst, const Tensor& src);

}  // namespace ember::cpu
