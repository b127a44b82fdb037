// roll, pad, tril/triu: block copies and masks, and their gradients.
#include "ember/ops/rearrange.h"

#include <algorithm>

#include "ember/core/autograd.h"
#include "ember/ops/cpu/elementwise.h"
#include "ember/ops/cpu/triangle.h"
#include "ember/ops/factory.h"
#include "ember/ops/shape.h"

namespace ember {

namespace {

Shape negated(Shape v) {
  for (auto& e : v) e = -e;
  return v;
}

Tensor triangle(std::string_view op, const Tensor& x, int64_t diagonal, bool lower) {
  check_defined(op, x);
  EMBER_CHECK(x.dim() >= 2, "{}: expected a tensor with at least 2 dims, got shape {}", op,
              shape_str(x.sizes()));
  check_cpu(op, x);
  const int64_t rows = x.size(-2), cols = x.size(-1);
  // Past either corner every diagonal selects the same elements; clamping keeps i + diagonal
  // from overflowing.
  const int64_t clamped = std::clamp<int64_t>(diagonal, -rows - 1, cols + 1);
  const Tensor xc = x.detach().contiguous();
  Tensor out = empty(x.sizes(), TensorOptions(x.dtype(), x.device()));
  if (out.numel() > 0)
    visit_dtype(x.dtype(), [&]<typename T>() {
      cpu::triangle_kernel<T>(xc.data_ptr<T>(), x.numel() / (rows * cols), rows, cols, clamped,
                              lower, out.data_ptr<T>());
    });
  if (auto node = make_node(std::string(op), {x}, {out}))
    node->backward = [diagonal, lower](const TensorList& g) {
      return TensorList{lower ? tril(g[0], diagonal) : triu(g[0], diagonal)};
    };
  return out;
}

}  // namespace

Tensor roll(const Tensor& x, const Shape& shifts, const Shape& dims) {
  check_defined("roll", x);
  if (dims.empty()) {
    EMBER_CHECK(shifts.size() == 1,
                "roll: without dims, expected a single shift for the flattened tensor, got {}",
                shape_str(shifts));
    return roll(x.reshape({-1}), shifts, {0}).reshape(x.sizes());
  }
  EMBER_CHECK(shifts.size() == dims.size(), "roll: got {} shifts {} for {} dims {}", shifts.size(),
              shape_str(shifts), dims.size(), shape_str(dims));
  check_cpu("roll", x);
  // Net shift per dim in [0, size); a dim named twice rolls by the sum.
  Shape shift(static_cast<size_t>(x.dim()), 0);
  for (size_t i = 0; i < dims.size(); ++i) {
    const int64_t d = wrap_dim("roll", dims[i], x.dim());
    const int64_t n = x.size(d);
    if (n > 0) shift[d] = ((shift[d] + shifts[i] % n) % n + n) % n;
  }
  Shape rolled;
  for (int64_t d = 0; d < x.dim(); ++d)
    if (shift[d] != 0) rolled.push_back(d);

  const Tensor src = x.detach();
  Tensor out = empty(x.sizes(), TensorOptions(x.dtype(), x.device()));
  // Each rolled dim splits into two blocks, [0, n - s) -> [s, n) and [n - s, n) -> [0, s):
  // 2^k block copies for k rolled dims, each a plain strided copy.
  const size_t blocks = size_t{1} << rolled.size();
  for (size_t mask = 0; mask < blocks && out.numel() > 0; ++mask) {
    Tensor from = src, to = out;
    for (size_t i = 0; i < rolled.size(); ++i) {
      const int64_t d = rolled[i], n = x.size(d), s = shift[d];
      const bool wrapped = (mask >> i) & 1;
      from = narrow_view(from, d, wrapped ? n - s : 0, wrapped ? s : n - s);
      to = narrow_view(to, d, wrapped ? 0 : s, wrapped ? s : n - s);
    }
    cpu::copy_kernel(to, from);
  }
  if (auto node = make_node("roll", {x}, {out}))
    node->backward = [shifts, dims](const TensorList& g) {
      return TensorList{roll(g[0], negated(shifts), dims)};
    };
  return out;
}

Tensor pad(const Tensor& x, const Shape& pads, Scalar value) {
  check_defined("pad", x);
  EMBER_CHECK(
      pads.size() % 2 == 0 && static_cast<int64_t>(pads.size()) <= 2 * x.dim(),
      "pad: expected pairs of pad sizes, at most one pair per dim ({} for shape {}), got {}",
      2 * x.dim(), shape_str(x.sizes()), shape_str(pads));
  check_cpu("pad", x);
  Shape shape = x.sizes();
  const auto paired = static_cast<int64_t>(pads.size() / 2);
  for (int64_t i = 0; i < paired; ++i) {
    const int64_t d = x.dim() - 1 - i;
    shape[d] += pads[2 * i] + pads[2 * i + 1];
    EMBER_CHECK(shape[d] >= 0, "pad: pads {} would make dim {} of shape {} negative ({})",
                shape_str(pads), d, shape_str(x.sizes()), shape[d]);
  }
  Tensor out = full(shape, value, TensorOptions(x.dtype(), x.device()));
  // The part of x that survives cropping, and where it lands.
  Tensor from = x.detach(), to = out;
  bool empty_region = false;
  for (int64_t i = 0; i < paired; ++i) {
    const int64_t d = x.dim() - 1 - i, before = pads[2 * i], after = pads[2 * i + 1];
    const int64_t skip = std::max<int64_t>(-before, 0);
    const int64_t length = x.size(d) - skip - std::max<int64_t>(-after, 0);
    if (length <= 0) {
      empty_region = true;
      break;
    }
    from = narrow_view(from, d, skip, length);
    to = narrow_view(to, d, std::max<int64_t>(before, 0), length);
  }
  if (!empty_region && from.numel() > 0) cpu::copy_kernel(to, from);
  if (auto node = make_node("pad", {x}, {out}))
    node->backward = [pads](const TensorList& g) { return TensorList{pad(g[0], negated(pads))}; };
  return out;
}

Tensor tril(const Tensor& x, int64_t diagonal) {
  return triangle("tril", x, diagonal, true);
}
Tensor triu(const Tensor& x, int64_t diagonal) {
  return triangle("triu", x, diagonal, false);
}

Tensor Tensor::roll(const Shape& shifts, const Shape& dims) const {
  return ember::roll(*this, shifts, dims);
}
Tensor Tensor::tril(int64_t diagonal) const {
  return ember::tril(*this, diagonal);
}
Tensor Tensor::triu(int64_t diagonal) const {
  return ember::triu(*this, diagonal);
}

}  // namespace ember
