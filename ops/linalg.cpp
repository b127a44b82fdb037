// Matrix products: forward on ops/cpu/gemm.h, gradients written with matmul itself.
#include "ember/ops/linalg.h"

#include <cstring>

#include "ember/core/autograd.h"
#include "ember/ops/cpu/gemm.h"
#include "ember/ops/cpu/parallel.h"
#include "ember/ops/elementwise.h"
#include "ember/ops/reduce.h"
#include "ember/ops/shape.h"

namespace ember {

namespace {

void check_operands(std::string_view op, const Tensor& a, const Tensor& b) {
  check_defined(op, a, "first operand");
  check_defined(op, b, "second operand");
  EMBER_CHECK(a.dim() >= 1 && b.dim() >= 1,
              "{}: both operands need at least 1 dim, got shapes {} and {}", op,
              shape_str(a.sizes()), shape_str(b.sizes()));
  EMBER_CHECK(a.dtype() == b.dtype(),
              "{}: the operands have different dtypes ({} and {}); convert one with .to()", op,
              a.describe(), b.describe());
  EMBER_CHECK(a.dtype() != kBool, "{}: expected float32, float64 or int64 operands, got {}", op,
              a.describe());
  EMBER_CHECK(a.device() == b.device(), "{}: the operands are on different devices ({} and {})", op,
              a.describe(), b.describe());
  check_cpu(op, a);
}

// The batch shape of a product: the dims before the last two (one for a vector), broadcast.
Shape batch_shape(std::string_view op, const Tensor& a, const Tensor& b) {
  const Shape ba(a.sizes().begin(), a.sizes().end() - std::min<int64_t>(a.dim(), 2));
  const Shape bb(b.sizes().begin(), b.sizes().end() - std::min<int64_t>(b.dim(), 2));
  const size_t n = std::max(ba.size(), bb.size());
  Shape out(n);
  for (size_t i = 0; i < n; ++i) {
    const int64_t x = i + ba.size() >= n ? ba[i + ba.size() - n] : 1;
    const int64_t y = i + bb.size() >= n ? bb[i + bb.size() - n] : 1;
    EMBER_CHECK(x == y || x == 1 || y == 1,
                "{}: the batch dims {} and {} of shapes {} and {} cannot be broadcast", op,
                shape_str(ba), shape_str(bb), shape_str(a.sizes()), shape_str(b.sizes()));
    out[i] = x == 1 ? y : x;
  }
  return out;
}

void check_inner_dims(std::string_view op, const Tensor& a, const Tensor& b) {
  const int64_t ka = a.size(-1), kb = b.dim() == 1 ? b.size(0) : b.size(-2);
  EMBER_CHECK(ka == kb, "{}: shapes {} and {} cannot be multiplied ({} != {})", op,
              shape_str(a.sizes()), shape_str(b.sizes()), ka, kb);
}

// A [..., M, K] tensor whose leading dims merge with M into R rows of one strided matrix
// (each dim's stride spans the dims inside it): returns {R, row stride}.
std::optional<std::pair<int64_t, int64_t>> folded_rows(const Tensor& t) {
  int64_t rows = 1, row_stride = -1, expected = 0;
  for (int64_t d = t.dim() - 2; d >= 0; --d) {
    if (t.size(d) == 1) continue;
    if (row_stride < 0) {
      row_stride = t.stride(d);
    } else if (t.stride(d) != expected) {
      return std::nullopt;
    }
    expected = t.stride(d) * t.size(d);
    rows *= t.size(d);
  }
  if (row_stride < 0) row_stride = std::max<int64_t>(t.size(-1), 1);
  return std::make_pair(rows, row_stride);
}

// The BLAS layout of t's last two dims, copying t to contiguous when its strides allow none.
cpu::MatrixLayout matrix_layout(Tensor& t) {
  if (auto l = cpu::blas_layout(t.size(-2), t.size(-1), t.stride(-2), t.stride(-1))) return *l;
  t = t.contiguous();
  return {false, std::max<int64_t>(t.size(-1), 1)};
}

// Element offsets of each matrix of t ([..., rows, cols]) for every index of the broadcast
// batch shape `batch`, in row-major batch order.
std::vector<int64_t> batch_offsets(const Tensor& t, const Shape& batch) {
  const size_t nb = batch.size();
  const int64_t lead = static_cast<int64_t>(nb) - (t.dim() - 2);
  Shape strides(nb, 0);
  for (size_t i = 0; i < nb; ++i) {
    const int64_t j = static_cast<int64_t>(i) - lead;
    if (j >= 0 && t.size(j) != 1) strides[i] = t.stride(j);
  }
  std::vector<int64_t> offsets(static_cast<size_t>(numel_of(batch)));
  Shape index(nb, 0);
  int64_t offset = 0;
  for (auto& o : offsets) {
    o = offset;
    for (size_t i = nb; i-- > 0;) {
      offset += strides[i];
      if (++index[i] < batch[i]) break;
      offset -= strides[i] * batch[i];
      index[i] = 0;
    }
  }
  return offsets;
}

// a [..., M, K] @ b [..., K, N] -> batch + [M, N] on detached operands (no autograd).
Tensor product(Tensor a, Tensor b, const Shape& batch) {
  const int64_t m = a.size(-2), k = a.size(-1), n = b.size(-1);
  Shape out_shape = batch;
  out_shape.push_back(m);
  out_shape.push_back(n);
  Tensor out = empty(out_shape, TensorOptions(a.dtype(), a.device()));
  if (out.numel() == 0) return out;
  const cpu::MatrixLayout lb = matrix_layout(b);
  visit_numeric(a.dtype(), "matmul", [&]<typename T>() {
    T* c = out.data_ptr<T>();
    if (b.dim() == 2) {
      // A right operand without batch dims: all of a's rows in one GEMM.
      if (auto rows = folded_rows(a))
        if (auto la = cpu::blas_layout(rows->first, k, rows->second, a.stride(-1))) {
          cpu::gemm<T>(rows->first, n, k, a.data_ptr<T>(), *la, b.data_ptr<T>(), lb, T(0), c, n);
          return;
        }
    }
    const cpu::MatrixLayout la = matrix_layout(a);
    cpu::batched_gemm<T>(m, n, k, a.data_ptr<T>(), la, batch_offsets(a, batch), b.data_ptr<T>(), lb,
                         batch_offsets(b, batch), T(0), c, n, m * n);
  });
  return out;
}

// The differentiable product of operands with at least 2 dims each, already checked.
Tensor batched_matmul(const Tensor& a, const Tensor& b, const Shape& batch) {
  Tensor out = product(a.detach(), b.detach(), batch);
  if (auto node = make_node("matmul", {a, b}, {out})) {
    const bool ga = a.requires_grad(), gb = b.requires_grad();
    node->backward = [sa = gb ? SavedTensor(a) : SavedTensor(),
                      sb = ga ? SavedTensor(b) : SavedTensor(), a_sizes = a.sizes(),
                      b_sizes = b.sizes()](const TensorList& g) -> TensorList {
      Tensor da, db;
      if (sb.defined()) da = sum_to(matmul(g[0], sb.unpack().transpose(-1, -2)), a_sizes);
      if (sa.defined()) {
        const Tensor a = sa.unpack();
        if (b_sizes.size() == 2 && a_sizes.size() > 2) {
          // Summing over a's batch is one GEMM over all its rows.
          const int64_t k = a_sizes.back(), n = b_sizes.back();
          db = matmul(a.reshape({-1, k}).t(), g[0].reshape({-1, n}));
        } else {
          db = sum_to(matmul(a.transpose(-1, -2), g[0]), b_sizes);
        }
      }
      return {da, db};
    };
  }
  return out;
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) {
  check_operands("matmul", a, b);
  check_inner_dims("matmul", a, b);
  const Shape batch = batch_shape("matmul", a, b);
  if (a.dim() == 1 && b.dim() == 1)
    return batched_matmul(a.unsqueeze(0), b.unsqueeze(1), batch).reshape({});
  if (a.dim() == 1) return batched_matmul(a.unsqueeze(0), b, batch).squeeze(-2);
  if (b.dim() == 1) return batched_matmul(a, b.unsqueeze(1), batch).squeeze(-1);
  return batched_matmul(a, b, batch);
}

Tensor mm(const Tensor& a, const Tensor& b) {
  check_operands("mm", a, b);
  EMBER_CHECK(a.dim() == 2 && b.dim() == 2, "mm: expected two matrices, got shapes {} and {}",
              shape_str(a.sizes()), shape_str(b.sizes()));
  check_inner_dims("mm", a, b);
  return batched_matmul(a, b, {});
}

Tensor bmm(const Tensor& a, const Tensor& b) {
  check_operands("bmm", a, b);
  EMBER_CHECK(a.dim() == 3 && b.dim() == 3,
              "bmm: expected two 3-d tensors [batch, rows, cols], got shapes {} and {}",
              shape_str(a.sizes()), shape_str(b.sizes()));
  EMBER_CHECK(a.size(0) == b.size(0),
              "bmm: batch sizes differ ({} != {}) for shapes {} and {}; use matmul to broadcast",
              a.size(0), b.size(0), shape_str(a.sizes()), shape_str(b.sizes()));
  check_inner_dims("bmm", a, b);
  return batched_matmul(a, b, {a.size(0)});
}

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  check_defined("linear", x, "input");
  check_defined("linear", weight, "weight");
  EMBER_CHECK(weight.dim() == 2, "linear: weight must be [out_features, in_features], got shape {}",
              shape_str(weight.sizes()));
  EMBER_CHECK(x.dim() >= 1, "linear: the input must have at least 1 dim, got shape []");
  const int64_t in = weight.size(1), out_features = weight.size(0);
  EMBER_CHECK(x.size(-1) == in,
              "linear: input of shape {} has {} features but weight of shape {} expects {}",
              shape_str(x.sizes()), x.size(-1), shape_str(weight.sizes()), in);
  EMBER_CHECK(x.dtype() == weight.dtype() && x.dtype() != kBool,
              "linear: input and weight must have the same numeric dtype, got {} and {}",
              x.describe(), weight.describe());
  EMBER_CHECK(x.device() == weight.device(), "linear: input on {} but weight on {}", x.device(),
              weight.device());
  if (bias.defined()) {
    EMBER_CHECK(bias.dim() == 1 && bias.size(0) == out_features,
                "linear: bias of shape {} does not match the {} out_features of weight {}",
                shape_str(bias.sizes()), out_features, shape_str(weight.sizes()));
    EMBER_CHECK(bias.dtype() == x.dtype() && bias.device() == x.device(),
                "linear: bias is a {}, expected {} on {}", bias.describe(), x.dtype(), x.device());
  }
  check_cpu("linear", x);

  Shape out_shape = x.sizes();
  out_shape.back() = out_features;
  Tensor out = empty(out_shape, TensorOptions(x.dtype(), x.device()));
  const int64_t rows = numel_of(Shape(x.sizes().begin(), x.sizes().end() - 1));
  if (out.numel() > 0) {
    Tensor xs = x.detach(), w = weight.detach();
    std::optional<cpu::MatrixLayout> lx;
    if (auto folded = folded_rows(xs))
      lx = cpu::blas_layout(rows, in, folded->second, xs.stride(-1));
    if (!lx) {
      xs = xs.contiguous();
      lx = cpu::MatrixLayout{false, std::max<int64_t>(in, 1)};
    }
    // weight^T as the right operand: element (p, j) is weight[j, p].
    auto lw = cpu::blas_layout(in, out_features, w.stride(1), w.stride(0));
    if (!lw) {
      w = w.contiguous();
      lw = cpu::MatrixLayout{true, std::max<int64_t>(in, 1)};
    }
    visit_numeric(x.dtype(), "linear", [&]<typename T>() {
      T* c = out.data_ptr<T>();
      if (bias.defined()) {
        const Tensor bc = bias.detach().contiguous();
        const T* bp = bc.data_ptr<T>();
        // On this thread: OpenMP workers left spinning by a parallel fill would compete with
        // OpenBLAS's threads during the GEMM, which costs far more than the copy.
        for (int64_t r = 0; r < rows; ++r)
          std::memcpy(c + r * out_features, bp, out_features * sizeof(T));
      }
      cpu::gemm<T>(rows, out_features, in, xs.data_ptr<T>(), *lx, w.data_ptr<T>(), *lw,
                   bias.defined() ? T(1) : T(0), c, out_features);
    });
  }

  if (auto node = make_node("linear", {x, weight, bias}, {out})) {
    const bool gx = x.requires_grad(), gw = weight.requires_grad();
    const bool gb = bias.defined() && bias.requires_grad();
    node->backward = [sx = gw ? SavedTensor(x) : SavedTensor(),
                      sw = gx ? SavedTensor(weight) : SavedTensor(), gb, in,
                      out_features](const TensorList& g) -> TensorList {
      const Tensor g2 = g[0].reshape({-1, out_features});
      Tensor dx, dw, db;
      if (sw.defined()) dx = matmul(g[0], sw.unpack());
      if (sx.defined()) dw = matmul(g2.t(), sx.unpack().reshape({-1, in}));
      if (gb) db = g2.sum({0});
      return {dx, dw, db};
    };
  }
  return out;
}

Tensor Tensor::matmul(const Tensor& other) const {
  return ember::matmul(*this, other);
}

}  // namespace ember
