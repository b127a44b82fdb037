// View ops: new sizes/strides/offset over the same storage, and their gradients.
#include "ember/ops/shape.h"

#include <numeric>

#include "ember/core/autograd.h"
#include "ember/ops/convert.h"
#include "ember/ops/elementwise.h"
#include "ember/ops/factory.h"

namespace ember {

namespace {

// Replaces a single -1 with the size that keeps numel.
Shape infer_size(std::string_view op, const Shape& sizes, int64_t numel, const Shape& from) {
  Shape out = sizes;
  int64_t known = 1;
  int infer = -1;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] == -1) {
      EMBER_CHECK(infer < 0, "{}: only one dimension can be -1, got {}", op, shape_str(sizes));
      infer = static_cast<int>(i);
    } else {
      EMBER_CHECK(out[i] >= 0, "{}: invalid size {} in {}", op, out[i], shape_str(sizes));
      known *= out[i];
    }
  }
  if (infer >= 0) {
    EMBER_CHECK(known != 0 && numel % known == 0,
                "{}: shape {} is invalid for an input of shape {} ({} elements)", op,
                shape_str(sizes), shape_str(from), numel);
    out[infer] = numel / known;
  }
  EMBER_CHECK(numel_of(out) == numel,
              "{}: shape {} is invalid for an input of shape {} ({} elements)", op,
              shape_str(sizes), shape_str(from), numel);
  return out;
}

// Strides for viewing (sizes, strides) as `shape` without copying, if possible: each run of
// input dims that is contiguous in memory may be split or merged freely.
std::optional<Shape> view_strides(const Shape& sizes, const Shape& strides, const Shape& shape) {
  Shape out(shape.size());
  if (sizes.empty() || numel_of(sizes) == 0) return contiguous_strides(shape);
  int64_t view_d = static_cast<int64_t>(shape.size()) - 1;
  int64_t chunk_base_stride = strides.back();
  int64_t tensor_numel = 1, view_numel = 1;
  for (int64_t d = static_cast<int64_t>(sizes.size()) - 1; d >= 0; --d) {
    tensor_numel *= sizes[d];
    if (d == 0 || (sizes[d - 1] != 1 && strides[d - 1] != tensor_numel * chunk_base_stride)) {
      while (view_d >= 0 && (view_numel < tensor_numel || shape[view_d] == 1)) {
        out[view_d] = view_numel * chunk_base_stride;
        view_numel *= shape[view_d];
        --view_d;
      }
      if (view_numel != tensor_numel) return std::nullopt;
      if (d > 0) {
        chunk_base_stride = strides[d - 1];
        tensor_numel = 1;
        view_numel = 1;
      }
    }
  }
  if (view_d != -1) return std::nullopt;
  return out;
}

void record_view(const char* op, const Tensor& x, const Tensor& out,
                 std::function<Tensor(const Tensor&)> grad_of) {
  if (auto node = make_node(op, {x}, {out}))
    node->backward = [grad_of = std::move(grad_of)](const TensorList& g) {
      return TensorList{grad_of(g[0])};
    };
}

}  // namespace

Tensor view(const Tensor& x, const Shape& sizes) {
  check_defined("view", x);
  const Shape shape = infer_size("view", sizes, x.numel(), x.sizes());
  auto strides = view_strides(x.sizes(), x.strides(), shape);
  EMBER_CHECK(strides.has_value(),
              "view: shape {} is not compatible with the input's sizes {} and strides {} (the data "
              "is not contiguous across the merged dims); use reshape(), which copies",
              shape_str(shape), shape_str(x.sizes()), shape_str(x.strides()));
  Tensor out = make_view(x, shape, *strides, x.storage_offset());
  record_view("view", x, out, [in = x.sizes()](const Tensor& g) { return reshape(g, in); });
  return out;
}

Tensor reshape(const Tensor& x, const Shape& sizes) {
  check_defined("reshape", x);
  const Shape shape = infer_size("reshape", sizes, x.numel(), x.sizes());
  if (view_strides(x.sizes(), x.strides(), shape)) return view(x, shape);
  return view(contiguous(x), shape);
}

Tensor transpose(const Tensor& x, int64_t dim0, int64_t dim1) {
  check_defined("transpose", x);
  const int64_t a = wrap_dim("transpose", dim0, x.dim()), b = wrap_dim("transpose", dim1, x.dim());
  if (x.dim() == 0) return x;
  Shape sizes = x.sizes(), strides = x.strides();
  std::swap(sizes[a], sizes[b]);
  std::swap(strides[a], strides[b]);
  Tensor out = make_view(x, sizes, strides, x.storage_offset());
  record_view("transpose", x, out, [a, b](const Tensor& g) { return transpose(g, a, b); });
  return out;
}

Tensor permute(const Tensor& x, const Shape& dims) {
  check_defined("permute", x);
  EMBER_CHECK(static_cast<int64_t>(dims.size()) == x.dim(),
              "permute: got {} dims {} for a {}-d tensor", dims.size(), shape_str(dims), x.dim());
  Shape sizes(dims.size()), strides(dims.size()), inverse(dims.size(), -1);
  for (size_t i = 0; i < dims.size(); ++i) {
    const int64_t d = wrap_dim("permute", dims[i], x.dim());
    EMBER_CHECK(inverse[d] < 0, "permute: dim {} repeats in {}", d, shape_str(dims));
    inverse[d] = static_cast<int64_t>(i);
    sizes[i] = x.sizes()[d];
    strides[i] = x.strides()[d];
  }
  Tensor out = make_view(x, sizes, strides, x.storage_offset());
  record_view("permute", x, out, [inverse](const Tensor& g) { return permute(g, inverse); });
  return out;
}

Tensor slice(const Tensor& x, int64_t dim, int64_t start, int64_t end, int64_t step) {
  check_defined("slice", x);
  EMBER_CHECK(x.dim() > 0, "slice: cannot slice a 0-d tensor");
  const int64_t d = wrap_dim("slice", dim, x.dim());
  EMBER_CHECK(step > 0, "slice: step must be positive, got {}", step);
  const int64_t n = x.size(d);
  auto clampi = [n](int64_t i) { return std::clamp<int64_t>(i < 0 ? i + n : i, 0, n); };
  start = clampi(start);
  end = std::max(start, clampi(end));
  Shape sizes = x.sizes(), strides = x.strides();
  sizes[d] = (end - start + step - 1) / step;
  strides[d] *= step;
  Tensor out = make_view(x, sizes, strides, x.storage_offset() + start * x.stride(d));
  record_view("slice", x, out, [in = x.sizes(), d, start, end, step](const Tensor& g) {
    return slice_backward(g, in, d, start, end, step);
  });
  return out;
}

Tensor narrow(const Tensor& x, int64_t dim, int64_t start, int64_t length) {
  check_defined("narrow", x);
  const int64_t d = wrap_dim("narrow", dim, x.dim());
  const int64_t n = x.size(d);
  if (start < 0) start += n;
  EMBER_CHECK(start >= 0 && length >= 0 && start + length <= n,
              "narrow: range [{}, {}) is out of bounds for dim {} of size {} (input shape {})",
              start, start + length, d, n, shape_str(x.sizes()));
  return slice(x, d, start, start + length);
}

Tensor select(const Tensor& x, int64_t dim, int64_t index) {
  check_defined("select", x);
  EMBER_CHECK(x.dim() > 0, "select: cannot index into a 0-d tensor");
  const int64_t d = wrap_dim("select", dim, x.dim());
  const int64_t n = x.size(d);
  EMBER_CHECK(index >= -n && index < n, "select: index {} is out of bounds for dim {} of size {}",
              index, d, n);
  if (index < 0) index += n;
  Shape sizes = x.sizes(), strides = x.strides();
  sizes.erase(sizes.begin() + d);
  strides.erase(strides.begin() + d);
  Tensor out = make_view(x, sizes, strides, x.storage_offset() + index * x.stride(d));
  record_view("select", x, out, [in = x.sizes(), d, index](const Tensor& g) {
    return slice_backward(unsqueeze(g, d), in, d, index, index + 1, 1);
  });
  return out;
}

Tensor expand(const Tensor& x, const Shape& sizes) {
  check_defined("expand", x);
  const int64_t nd = static_cast<int64_t>(sizes.size());
  EMBER_CHECK(nd >= x.dim(), "expand: cannot expand shape {} to fewer dims {}",
              shape_str(x.sizes()), shape_str(sizes));
  Shape out_sizes(nd), out_strides(nd);
  for (int64_t i = nd - 1; i >= 0; --i) {
    const int64_t j = i - (nd - x.dim());
    const int64_t want = sizes[i];
    if (j < 0) {
      EMBER_CHECK(want >= 0, "expand: size -1 is not allowed for a new leading dim ({})",
                  shape_str(sizes));
      out_sizes[i] = want;
      out_strides[i] = 0;
      continue;
    }
    const int64_t have = x.size(j);
    if (want == -1 || want == have) {
      out_sizes[i] = have;
      out_strides[i] = x.stride(j);
    } else {
      EMBER_CHECK(have == 1,
                  "expand: the size of dim {} ({}) must match {} or be 1 (expanding {} to {})", j,
                  have, want, shape_str(x.sizes()), shape_str(sizes));
      out_sizes[i] = want;
      out_strides[i] = 0;
    }
  }
  if (out_sizes == x.sizes()) return x;
  Tensor out = make_view(x, out_sizes, out_strides, x.storage_offset());
  record_view("expand", x, out, [in = x.sizes()](const Tensor& g) { return sum_to(g, in); });
  return out;
}

Tensor squeeze(const Tensor& x) {
  check_defined("squeeze", x);
  Shape sizes;
  for (int64_t s : x.sizes())
    if (s != 1) sizes.push_back(s);
  return sizes == x.sizes() ? x : view(x, sizes);
}

Tensor squeeze(const Tensor& x, int64_t dim) {
  check_defined("squeeze", x);
  if (x.dim() == 0) return x;
  const int64_t d = wrap_dim("squeeze", dim, x.dim());
  if (x.size(d) != 1) return x;
  Shape sizes = x.sizes(), strides = x.strides();
  sizes.erase(sizes.begin() + d);
  strides.erase(strides.begin() + d);
  Tensor out = make_view(x, sizes, strides, x.storage_offset());
  record_view("squeeze", x, out, [d](const Tensor& g) { return unsqueeze(g, d); });
  return out;
}

Tensor unsqueeze(const Tensor& x, int64_t dim) {
  check_defined("unsqueeze", x);
  const int64_t d = wrap_dim("unsqueeze", dim, x.dim() + 1);
  Shape sizes = x.sizes(), strides = x.strides();
  const int64_t stride = d < x.dim() ? x.stride(d) * x.size(d) : 1;
  sizes.insert(sizes.begin() + d, 1);
  strides.insert(strides.begin() + d, stride);
  Tensor out = make_view(x, sizes, strides, x.storage_offset());
  record_view("unsqueeze", x, out, [d](const Tensor& g) { return squeeze(g, d); });
  return out;
}

Tensor flatten(const Tensor& x, int64_t start_dim, int64_t end_dim) {
  check_defined("flatten", x);
  if (x.dim() == 0) return reshape(x, {1});
  const int64_t s = wrap_dim("flatten", start_dim, x.dim());
  const int64_t e = wrap_dim("flatten", end_dim, x.dim());
  EMBER_CHECK(s <= e, "flatten: start_dim {} comes after end_dim {}", s, e);
  Shape sizes(x.sizes().begin(), x.sizes().begin() + s);
  int64_t merged = 1;
  for (int64_t i = s; i <= e; ++i) merged *= x.size(i);
  sizes.push_back(merged);
  sizes.insert(sizes.end(), x.sizes().begin() + e + 1, x.sizes().end());
  return reshape(x, sizes);
}

Tensor unflatten(const Tensor& x, int64_t dim, const Shape& sizes) {
  check_defined("unflatten", x);
  const int64_t d = wrap_dim("unflatten", dim, x.dim());
  const Shape inner = infer_size("unflatten", sizes, x.size(d), {x.size(d)});
  Shape shape(x.sizes().begin(), x.sizes().begin() + d);
  shape.insert(shape.end(), inner.begin(), inner.end());
  shape.insert(shape.end(), x.sizes().begin() + d + 1, x.sizes().end());
  return view(x, shape);
}

Tensor narrow_view(const Tensor& x, int64_t dim, int64_t start, int64_t length) {
  Shape sizes = x.sizes();
  sizes[dim] = length;
  return make_view(x, sizes, x.strides(), x.storage_offset() + start * x.stride(dim));
}

Tensor contiguous(const Tensor& x) {
  check_defined("contiguous", x);
  if (x.is_contiguous()) return x;
  return clone(x);
}

Tensor slice_backward(const Tensor& grad, const Shape& sizes, int64_t dim, int64_t start,
                      int64_t end, int64_t step) {
  Tensor out = zeros(sizes, TensorOptions(grad.dtype(), grad.device()));
  {
    NoGradGuard no_grad;
    slice(out, dim, start, end, step).copy_(grad);
  }
  if (auto node = make_node("slice_backward", {grad}, {out}))
    node->backward = [dim, start, end, step](const TensorList& g) {
      return TensorList{slice(g[0], dim, start, end, step)};
    };
  return out;
}

}  // namespace ember
