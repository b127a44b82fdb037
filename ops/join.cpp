// cat / stack / split / chunk and their gradients.
#include "ember/ops/join.h"

#include "ember/core/autograd.h"
#include "ember/ops/cpu/elementwise.h"
#include "ember/ops/shape.h"

namespace ember {

namespace {

void check_list(std::string_view op, const TensorList& tensors) {
  EMBER_CHECK(!tensors.empty(), "{}: expected a non-empty list of tensors", op);
  for (size_t i = 0; i < tensors.size(); ++i)
    check_defined(op, tensors[i], fmt::format("tensor {}", i));
  const Tensor& first = tensors[0];
  for (size_t i = 1; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    EMBER_CHECK(t.dtype() == first.dtype(),
                "{}: tensor {} is {} but tensor 0 is {}; convert with .to() first", op, i,
                t.describe(), first.describe());
    EMBER_CHECK(t.device() == first.device(), "{}: tensor {} is on {} but tensor 0 is on {}", op, i,
                t.device(), first.device());
  }
}

// The pieces of x along dim with the given sizes, as views sharing one node whose backward
// cats the pieces' gradients.
TensorList split_pieces(const Tensor& x, int64_t dim, const Shape& sizes) {
  TensorList pieces;
  pieces.reserve(sizes.size());
  int64_t start = 0;
  for (int64_t size : sizes) {
    pieces.push_back(narrow_view(x, dim, start, size));
    start += size;
  }
  if (auto node = make_node("split", {x}, pieces))
    node->backward = [dim](const TensorList& g) { return TensorList{cat(g, dim)}; };
  return pieces;
}

}  // namespace

Tensor cat(const TensorList& tensors, int64_t dim) {
  check_list("cat", tensors);
  const Tensor& first = tensors[0];
  EMBER_CHECK(first.dim() > 0, "cat: 0-d tensors cannot be concatenated (tensor 0 has shape [])");
  const int64_t d = wrap_dim("cat", dim, first.dim());
  Shape shape = first.sizes();
  shape[d] = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    EMBER_CHECK(t.dim() == first.dim(), "cat: tensor {} has shape {} but tensor 0 has shape {}", i,
                shape_str(t.sizes()), shape_str(first.sizes()));
    for (int64_t k = 0; k < t.dim(); ++k)
      EMBER_CHECK(k == d || t.size(k) == first.size(k),
                  "cat: tensor {} has shape {} but tensor 0 has shape {}; sizes must match except "
                  "in the cat dim {} (they differ in dim {})",
                  i, shape_str(t.sizes()), shape_str(first.sizes()), d, k);
    shape[d] += t.size(d);
  }
  check_cpu("cat", first);

  Tensor out = empty(shape, TensorOptions(first.dtype(), first.device()));
  Shape offsets;
  int64_t offset = 0;
  for (const Tensor& t : tensors) {
    offsets.push_back(offset);
    if (t.numel() > 0) cpu::copy_kernel(narrow_view(out, d, offset, t.size(d)), t);
    offset += t.size(d);
  }
  if (auto node = make_node("cat", tensors, {out})) {
    std::vector<bool> needed;
    Shape sizes;
    for (const Tensor& t : tensors) {
      needed.push_back(t.requires_grad());
      sizes.push_back(t.size(d));
    }
    node->backward = [d, offsets, sizes, needed](const TensorList& g) {
      TensorList grads(sizes.size());
      for (size_t i = 0; i < sizes.size(); ++i)
        if (needed[i]) grads[i] = g[0].narrow(d, offsets[i], sizes[i]);
      return grads;
    };
  }
  return out;
}

Tensor stack(const TensorList& tensors, int64_t dim) {
  check_list("stack", tensors);
  const Tensor& first = tensors[0];
  for (size_t i = 1; i < tensors.size(); ++i)
    EMBER_CHECK(tensors[i].sizes() == first.sizes(),
                "stack: tensor {} has shape {} but tensor 0 has shape {}; stack needs equal shapes",
                i, shape_str(tensors[i].sizes()), shape_str(first.sizes()));
  const int64_t d = wrap_dim("stack", dim, first.dim() + 1);
  TensorList expanded;
  expanded.reserve(tensors.size());
  for (const Tensor& t : tensors) expanded.push_back(t.unsqueeze(d));
  return cat(expanded, d);
}

TensorList split(const Tensor& x, int64_t split_size, int64_t dim) {
  check_defined("split", x);
  EMBER_CHECK(x.dim() > 0, "split: cannot split a 0-d tensor");
  const int64_t d = wrap_dim("split", dim, x.dim());
  const int64_t n = x.size(d);
  EMBER_CHECK(split_size > 0 || (split_size == 0 && n == 0),
              "split: split_size must be positive, got {} (dim {} of shape {})", split_size, d,
              shape_str(x.sizes()));
  Shape sizes;
  for (int64_t start = 0; start < n; start += split_size)
    sizes.push_back(std::min(split_size, n - start));
  if (sizes.empty()) sizes.push_back(0);
  return split_pieces(x, d, sizes);
}

TensorList split(const Tensor& x, const Shape& sizes, int64_t dim) {
  check_defined("split", x);
  EMBER_CHECK(x.dim() > 0, "split: cannot split a 0-d tensor");
  const int64_t d = wrap_dim("split", dim, x.dim());
  int64_t total = 0;
  for (int64_t s : sizes) {
    EMBER_CHECK(s >= 0, "split: sizes must be non-negative, got {}", shape_str(sizes));
    total += s;
  }
  EMBER_CHECK(total == x.size(d), "split: sizes {} add up to {} but dim {} of shape {} has size {}",
              shape_str(sizes), total, d, shape_str(x.sizes()), x.size(d));
  return split_pieces(x, d, sizes);
}

TensorList chunk(const Tensor& x, int64_t chunks, int64_t dim) {
  check_defined("chunk", x);
  EMBER_CHECK(chunks > 0, "chunk: the number of chunks must be positive, got {}", chunks);
  EMBER_CHECK(x.dim() > 0, "chunk: cannot chunk a 0-d tensor");
  const int64_t n = x.size(wrap_dim("chunk", dim, x.dim()));
  return split(x, (n + chunks - 1) / chunks, dim);
}

TensorList Tensor::split(int64_t split_size, int64_t dim) const {
  return ember::split(*this, split_size, dim);
}
TensorList Tensor::chunk(int64_t chunks, int64_t dim) const {
  return ember::chunk(*this, chunks, dim);
}

}  // namespace ember
