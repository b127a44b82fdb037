// Reductions: kernels on ops/cpu/reduce.h and their gradients.
#include "ember/ops/reduce.h"

#include "ember/core/autograd.h"
#include "ember/ops/cpu/reduce.h"
#include "ember/ops/elementwise.h"
#include "ember/ops/shape.h"

namespace ember {

ReducedDims reduce_dims(std::string_view op, const Tensor& x, const Shape& dims, bool keepdim) {
  check_defined(op, x);
  ReducedDims r;
  r.mask.assign(static_cast<size_t>(x.dim()), dims.empty());
  for (int64_t d : dims) {
    const int64_t w = wrap_dim(op, d, x.dim());
    if (x.dim() == 0) continue;
    EMBER_CHECK(!r.mask[w] || dims.empty(), "{}: dim {} appears twice in {}", op, w,
                shape_str(dims));
    r.mask[w] = true;
  }
  for (int64_t d = 0; d < x.dim(); ++d) {
    if (r.mask[d]) {
      r.count *= x.size(d);
      if (keepdim) r.out_sizes.push_back(1);
    } else {
      r.out_sizes.push_back(x.size(d));
    }
  }
  return r;
}

Tensor expand_reduced(const Tensor& grad, const Shape& in_sizes, const std::vector<bool>& mask,
                      bool keepdim) {
  Tensor g = grad;
  if (!keepdim)
    for (size_t d = 0; d < mask.size(); ++d)
      if (mask[d]) g = unsqueeze(g, static_cast<int64_t>(d));
  return expand(g, in_sizes);
}

namespace {

template <typename T>
struct SumOp {
  using Acc = std::conditional_t<std::is_floating_point_v<T>, double, int64_t>;
  Acc init() const { return 0; }
  Acc step(Acc a, T v) const { return a + static_cast<Acc>(v); }
  T finish(Acc a, int64_t) const { return static_cast<T>(a); }
};

template <typename T>
struct MeanOp : SumOp<T> {
  T finish(typename SumOp<T>::Acc a, int64_t n) const {
    return static_cast<T>(static_cast<double>(a) / static_cast<double>(n));
  }
};

template <template <typename> class Op>
Tensor reduce_with(std::string_view op, const Tensor& x, const ReducedDims& r, DType out_dtype) {
  check_cpu(op, x);
  const Tensor in = x.dtype() == out_dtype ? x : x.detach().to(out_dtype);
  Tensor out = empty(r.out_sizes, TensorOptions(out_dtype, x.device()));
  visit_numeric(out_dtype, op, [&]<typename T>() {
    const auto plan = cpu::plan_reduction(in, r.mask);
    cpu::reduce_kernel<T, typename Op<T>::Acc>(plan, out.data_ptr<T>(), Op<T>{});
  });
  return out;
}

}  // namespace

Tensor sum(const Tensor& x, const Shape& dims, bool keepdim) {
  const ReducedDims r = reduce_dims("sum", x, dims, keepdim);
  const DType dt = is_floating(x.dtype()) ? x.dtype() : kInt64;  // bools and ints sum as int64
  Tensor out = reduce_with<SumOp>("sum", x, r, dt);
  if (auto node = make_node("sum", {x}, {out}))
    node->backward = [in = x.sizes(), mask = r.mask, keepdim](const TensorList& g) {
      return TensorList{expand_reduced(g[0], in, mask, keepdim)};
    };
  return out;
}

Tensor sum(const Tensor& x) { return sum(x, {}, false); }

Tensor mean(const Tensor& x, const Shape& dims, bool keepdim) {
  const ReducedDims r = reduce_dims("mean", x, dims, keepdim);
  EMBER_CHECK(is_floating(x.dtype()), "mean: expected a floating tensor, got {}; convert with .to(kFloat32)",
              x.describe());
  Tensor out = reduce_with<MeanOp>("mean", x, r, x.dtype());
  if (auto node = make_node("mean", {x}, {out}))
    node->backward = [in = x.sizes(), mask = r.mask, keepdim, n = r.count](const TensorList& g) {
      return TensorList{expand_reduced(g[0] / static_cast<double>(n), in, mask, keepdim)};
    };
  return out;
}

Tensor mean(const Tensor& x) { return mean(x, {}, false); }

}  // namespace ember
