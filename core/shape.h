#pragma once
// Sizes and strides (in elements, not bytes) and the arithmetic every op shares on them.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ember {

using Shape = std::vector<int64_t>;

int64_t numel_of(const Shape& sizes);
Shape contiguous_strides(const Shape& sizes);
// "[2,3,4]" — the form every error message uses.
std::string shape_str(const Shape& sizes);
// NumPy broadcasting; throws naming `op` when the shapes do not broadcast.
Shape broadcast_shapes(std::string_view op, const Shape& a, const Shape& b);
// Maps a possibly negative dim into [0, ndim); throws naming `op` when out of range.
int64_t wrap_dim(std::string_view op, int64_t dim, int64_t ndim);

}  // namespace ember
