// Index ops on ops/cpu/index.h and their gradients.
#include "ember/ops/index.h"

#include "ember/core/autograd.h"
#include "ember/ops/cpu/index.h"
#include "ember/ops/elementwise.h"
#include "ember/ops/factory.h"
#include "ember/ops/rearrange.h"
#include "ember/ops/shape.h"

namespace ember {

namespace {

// The index as a contiguous int64 tensor, every entry checked against [0, size).
Tensor checked_index(std::string_view op, const Tensor& index, int64_t size,
                     std::string_view what) {
  check_defined(op, index, "index");
  EMBER_CHECK(index.dtype() == kInt64, "{}: indices must be int64, got {}", op, index.describe());
  check_cpu(op, index);
  const Tensor idx = index.detach().contiguous();
  if (auto bad = cpu::find_out_of_range(idx.data_ptr<int64_t>(), idx.numel(), size)) {
    if (size == 0)
      fail("{}: index {} is out of range for {} of size 0 (no index is valid)", op, bad->value,
           what);
    fail(
        "{}: index {} (at position {} of the index) is out of range for {} of size {}; valid "
        "indices are 0..{}",
        op, bad->value, bad->position, what, size, size - 1);
  }
  return idx;
}

struct Blocks {
  int64_t outer = 1, inner = 1;
};
// x seen as [outer, x.size(dim), inner].
Blocks blocks_around(const Shape& sizes, int64_t dim) {
  Blocks b;
  for (int64_t k = 0; k < dim; ++k) b.outer *= sizes[k];
  for (size_t k = dim + 1; k < sizes.size(); ++k) b.inner *= sizes[k];
  return b;
}

void check_same_dtype(std::string_view op, const Tensor& x, const Tensor& src) {
  EMBER_CHECK(x.dtype() == src.dtype() && x.device() == src.device(),
              "{}: the source is {} but the input is {}; they need the same dtype and device", op,
              src.describe(), x.describe());
}

// Index dims for gather/scatter_add: one per dim of the data, sizes bounded by `limit` (all dims)
// and by `bound` off `dim`.
void check_index_shape(std::string_view op, const Tensor& index, const Tensor& bound, int64_t dim,
                       const Tensor* limit) {
  EMBER_CHECK(index.dim() == bound.dim(),
              "{}: the index of shape {} must have as many dims as the input of shape {}", op,
              shape_str(index.sizes()), shape_str(bound.sizes()));
  for (int64_t k = 0; k < index.dim(); ++k) {
    EMBER_CHECK(k == dim || index.size(k) <= bound.size(k),
                "{}: the index of shape {} is larger than the input of shape {} in dim {}", op,
                shape_str(index.sizes()), shape_str(bound.sizes()), k);
    if (limit)
      EMBER_CHECK(index.size(k) <= limit->size(k),
                  "{}: the index of shape {} is larger than the source of shape {} in dim {}", op,
                  shape_str(index.sizes()), shape_str(limit->sizes()), k);
  }
}

// Sum of g into rows of a zero [num_embeddings, dim] table, skipping padding_idx.
Tensor embedding_backward(const Tensor& grad, const Tensor& indices, int64_t num_embeddings,
                          std::optional<int64_t> padding_idx) {
  const int64_t dim = grad.size(-1);
  const Tensor flat = indices.reshape({-1});
  Tensor rows = grad.reshape({-1, dim});
  if (GradMode::is_enabled()) {  // create_graph: the differentiable reference path
    if (padding_idx)
      rows = masked_fill(rows, eq(flat, scalar_tensor(*padding_idx, kInt64)).unsqueeze(1), 0);
    return index_add(zeros({num_embeddings, dim}, TensorOptions(grad.dtype(), grad.device())), 0,
                     flat, rows);
  }
  Tensor out = zeros({num_embeddings, dim}, TensorOptions(grad.dtype(), grad.device()));
  const Tensor src = rows.contiguous();
  visit_floating(grad.dtype(), "embedding", [&]<typename T>() {
    cpu::index_add_kernel<T>(out.data_ptr<T>(), 1, num_embeddings, dim, flat.data_ptr<int64_t>(),
                             flat.numel(), src.data_ptr<T>(), padding_idx);
  });
  return out;
}

}  // namespace

Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index) {
  check_defined("index_select", x);
  EMBER_CHECK(x.dim() > 0, "index_select: cannot index a 0-d tensor");
  check_cpu("index_select", x);
  const int64_t d = wrap_dim("index_select", dim, x.dim());
  check_defined("index_select", index, "index");
  EMBER_CHECK(index.dim() <= 1, "index_select: the index must be 1-d, got shape {}",
              shape_str(index.sizes()));
  const Tensor idx = checked_index("index_select", index, x.size(d), fmt::format("dim {}", d));
  const Tensor xc = x.detach().contiguous();
  Shape shape = x.sizes();
  shape[d] = idx.numel();
  Tensor out = empty(shape, TensorOptions(x.dtype(), x.device()));
  const Blocks b = blocks_around(x.sizes(), d);
  visit_dtype(x.dtype(), [&]<typename T>() {
    cpu::index_select_kernel<T>(xc.data_ptr<T>(), b.outer, x.size(d), b.inner,
                                idx.data_ptr<int64_t>(), idx.numel(), out.data_ptr<T>());
  });
  if (auto node = make_node("index_select", {x}, {out}))
    node->backward = [sizes = x.sizes(), d,
                      si = SavedTensor(idx.reshape({-1}))](const TensorList& g) {
      return TensorList{index_add(zeros(sizes, TensorOptions(g[0].dtype(), g[0].device())), d,
                                  si.unpack(), g[0])};
    };
  return out;
}

Tensor index_add(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src) {
  check_defined("index_add", x);
  check_defined("index_add", src, "source");
  EMBER_CHECK(x.dim() > 0, "index_add: cannot index a 0-d tensor");
  check_cpu("index_add", x);
  check_same_dtype("index_add", x, src);
  const int64_t d = wrap_dim("index_add", dim, x.dim());
  check_defined("index_add", index, "index");
  EMBER_CHECK(index.dim() <= 1, "index_add: the index must be 1-d, got shape {}",
              shape_str(index.sizes()));
  Shape expected = x.sizes();
  expected[d] = index.numel();
  EMBER_CHECK(src.sizes() == expected,
              "index_add: the source has shape {} but expected {} (the input's shape {} with dim "
              "{} sized by the {} indices)",
              shape_str(src.sizes()), shape_str(expected), shape_str(x.sizes()), d, index.numel());
  const Tensor idx = checked_index("index_add", index, x.size(d), fmt::format("dim {}", d));
  Tensor out = x.detach().clone();
  const Tensor sc = src.detach().contiguous();
  const Blocks b = blocks_around(x.sizes(), d);
  visit_numeric(x.dtype(), "index_add", [&]<typename T>() {
    cpu::index_add_kernel<T>(out.data_ptr<T>(), b.outer, x.size(d), b.inner,
                             idx.data_ptr<int64_t>(), idx.numel(), sc.data_ptr<T>());
  });
  if (auto node = make_node("index_add", {x, src}, {out}))
    node->backward = [d, si = SavedTensor(idx.reshape({-1}))](const TensorList& g) {
      return TensorList{g[0], index_select(g[0], d, si.unpack())};
    };
  return out;
}

Tensor gather(const Tensor& x, int64_t dim, const Tensor& index) {
  check_defined("gather", x);
  check_defined("gather", index, "index");
  EMBER_CHECK(x.dim() > 0, "gather: cannot index a 0-d tensor");
  check_cpu("gather", x);
  const int64_t d = wrap_dim("gather", dim, x.dim());
  check_index_shape("gather", index, x, d, nullptr);
  const Tensor idx = checked_index("gather", index, x.size(d), fmt::format("dim {}", d));
  const Tensor xd = x.detach();
  Tensor out = empty(idx.sizes(), TensorOptions(x.dtype(), x.device()));
  if (out.numel() > 0)
    visit_dtype(x.dtype(), [&]<typename T>() {
      cpu::gather_kernel<T>(idx.sizes(), d, idx.data_ptr<int64_t>(),
                            static_cast<const T*>(xd.raw_data()), xd.strides(), out.data_ptr<T>());
    });
  if (auto node = make_node("gather", {x}, {out}))
    node->backward = [sizes = x.sizes(), d, si = SavedTensor(idx)](const TensorList& g) {
      return TensorList{scatter_add(zeros(sizes, TensorOptions(g[0].dtype(), g[0].device())), d,
                                    si.unpack(), g[0])};
    };
  return out;
}

Tensor scatter_add(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src) {
  check_defined("scatter_add", x);
  check_defined("scatter_add", index, "index");
  check_defined("scatter_add", src, "source");
  EMBER_CHECK(x.dim() > 0, "scatter_add: cannot index a 0-d tensor");
  check_cpu("scatter_add", x);
  check_same_dtype("scatter_add", x, src);
  const int64_t d = wrap_dim("scatter_add", dim, x.dim());
  EMBER_CHECK(src.dim() == x.dim(),
              "scatter_add: the source of shape {} must have as many dims as the input of shape {}",
              shape_str(src.sizes()), shape_str(x.sizes()));
  check_index_shape("scatter_add", index, x, d, &src);
  const Tensor idx = checked_index("scatter_add", index, x.size(d), fmt::format("dim {}", d));
  Tensor out = x.detach().clone();
  const Tensor sd = src.detach();
  if (idx.numel() > 0)
    visit_numeric(x.dtype(), "scatter_add", [&]<typename T>() {
      cpu::scatter_add_kernel<T>(idx.sizes(), d, idx.data_ptr<int64_t>(),
                                 static_cast<const T*>(sd.raw_data()), sd.strides(),
                                 out.data_ptr<T>(), out.strides());
    });
  if (auto node = make_node("scatter_add", {x, src}, {out}))
    node->backward = [d, si = SavedTensor(idx), src_sizes = src.sizes()](const TensorList& g) {
      Tensor dsrc = gather(g[0], d, si.unpack());
      if (dsrc.sizes() != src_sizes) {
        // src entries outside the index's extent were never read: zero gradient there.
        Shape pads;
        for (size_t k = src_sizes.size(); k-- > 0;) {
          pads.push_back(0);
          pads.push_back(src_sizes[k] - dsrc.size(static_cast<int64_t>(k)));
        }
        dsrc = pad(dsrc, pads);
      }
      return TensorList{g[0], dsrc};
    };
  return out;
}

Tensor embedding(const Tensor& weight, const Tensor& indices, std::optional<int64_t> padding_idx) {
  check_defined("embedding", weight, "weight");
  check_defined("embedding", indices, "indices");
  EMBER_CHECK(weight.dim() == 2, "embedding: weight must be [num_embeddings, dim], got shape {}",
              shape_str(weight.sizes()));
  check_cpu("embedding", weight);
  const int64_t rows = weight.size(0), dim = weight.size(1);
  if (padding_idx) {
    EMBER_CHECK(*padding_idx >= -rows && *padding_idx < rows,
                "embedding: padding_idx {} is out of range for {} embeddings", *padding_idx, rows);
    if (*padding_idx < 0) *padding_idx += rows;
  }
  const Tensor idx = checked_index("embedding", indices, rows, "an embedding table");
  const Tensor w = weight.detach().contiguous();
  Shape shape = indices.sizes();
  shape.push_back(dim);
  Tensor out = empty(shape, TensorOptions(weight.dtype(), weight.device()));
  visit_dtype(weight.dtype(), [&]<typename T>() {
    cpu::index_select_kernel<T>(w.data_ptr<T>(), 1, rows, dim, idx.data_ptr<int64_t>(), idx.numel(),
                                out.data_ptr<T>());
  });
  if (auto node = make_node("embedding", {weight}, {out}))
    node->backward = [si = SavedTensor(idx), rows, padding_idx](const TensorList& g) {
      return TensorList{embedding_backward(g[0], si.unpack(), rows, padding_idx)};
    };
  return out;
}

Tensor one_hot(const Tensor& indices, int64_t num_classes) {
  check_defined("one_hot", indices, "indices");
  EMBER_CHECK(indices.dtype() == kInt64, "one_hot: indices must be int64, got {}",
              indices.describe());
  check_cpu("one_hot", indices);
  const Tensor idx = indices.detach().contiguous();
  const int64_t* p = idx.data_ptr<int64_t>();
  const int64_t n = idx.numel();
  if (num_classes < 0) {
    EMBER_CHECK(n > 0, "one_hot: cannot infer num_classes from an empty tensor; pass it");
    num_classes = std::max<int64_t>(*std::max_element(p, p + n) + 1, 0);
  }
  const Tensor checked = checked_index("one_hot", idx, num_classes, "the classes");
  Shape shape = indices.sizes();
  shape.push_back(num_classes);
  Tensor out = zeros(shape, TensorOptions(kInt64, indices.device()));
  int64_t* o = out.data_ptr<int64_t>();
  for (int64_t i = 0; i < n; ++i) o[i * num_classes + p[i]] = 1;
  return out;
}

Tensor Tensor::index_select(int64_t dim, const Tensor& index) const {
  return ember::index_select(*this, dim, index);
}
Tensor Tensor::gather(int64_t dim, const Tensor& index) const {
  return ember::gather(*this, dim, index);
}
Tensor Tensor::scatter_add(int64_t dim, const Tensor& index, const Tensor& src) const {
  return ember::scatter_add(*this, dim, index, src);
}

}  // namespace ember
