#include "ember/core/shape.h"

#include "ember/core/error.h"

namespace ember {

int64_t numel_of(const Shape& sizes) {
  int64_t n = 1;
  for (int64_t s : sizes) n *= s;
  return n;
}

Shape contiguous_strides(const Shape& sizes) {
  Shape strides(sizes.size());
  int64_t stride = 1;
  for (size_t i = sizes.size(); i-- > 0;) {
    strides[i] = stride;
    stride *= std::max<int64_t>(sizes[i], 1);
  }
  return strides;
}

std::string shape_str(const Shape& sizes) {
  return fmt::format("[{}]", fmt::join(sizes, ","));
}

Shape broadcast_shapes(std::string_view op, const Shape& a, const Shape& b) {
  const size_t n = std::max(a.size(), b.size());
  Shape out(n);
  for (size_t i = 0; i < n; ++i) {
    const int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    const int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    EMBER_CHECK(da == db || da == 1 || db == 1,
                "{}: shapes {} and {} cannot be broadcast (dim {}: {} vs {})", op, shape_str(a),
                shape_str(b), i, da, db);
    out[i] = da == 1 ? db : da;
  }
  return out;
}

int64_t wrap_dim(std::string_view op, int64_t dim, int64_t ndim) {
  const int64_t n = std::max<int64_t>(ndim, 1);  // a 0-d tensor accepts dim 0 and -1
  EMBER_CHECK(dim >= -n && dim < n,
              "{}: dim {} is out of range for a {}-d tensor (expected [{}, {}])", op, dim, ndim, -n,
              n - 1);
  return dim < 0 ? dim + n : dim;
}

}  // namespace ember
