// Tensor's method spellings (x.sum(), x.transpose(0, 1), ...) of the free functions in ops/.
// Ops defined elsewhere keep their method next to them.
#include "ember/core/tensor.h"
#include "ember/ops/convert.h"
#include "ember/ops/elementwise.h"
#include "ember/ops/reduce.h"
#include "ember/ops/shape.h"

namespace ember {

Tensor Tensor::view(const Shape& s) const {
  return ember::view(*this, s);
}
Tensor Tensor::reshape(const Shape& s) const {
  return ember::reshape(*this, s);
}
Tensor Tensor::transpose(int64_t a, int64_t b) const {
  return ember::transpose(*this, a, b);
}
Tensor Tensor::t() const {
  EMBER_CHECK(dim() <= 2, "t: expected a tensor with at most 2 dims, got shape {}",
              shape_str(sizes()));
  return dim() < 2 ? *this : ember::transpose(*this, 0, 1);
}
Tensor Tensor::permute(const Shape& dims) const {
  return ember::permute(*this, dims);
}
Tensor Tensor::narrow(int64_t d, int64_t start, int64_t length) const {
  return ember::narrow(*this, d, start, length);
}
Tensor Tensor::slice(int64_t d, int64_t start, int64_t end, int64_t step) const {
  return ember::slice(*this, d, start, end, step);
}
Tensor Tensor::select(int64_t d, int64_t index) const {
  return ember::select(*this, d, index);
}
Tensor Tensor::expand(const Shape& s) const {
  return ember::expand(*this, s);
}
Tensor Tensor::squeeze() const {
  return ember::squeeze(*this);
}
Tensor Tensor::squeeze(int64_t d) const {
  return ember::squeeze(*this, d);
}
Tensor Tensor::unsqueeze(int64_t d) const {
  return ember::unsqueeze(*this, d);
}
Tensor Tensor::flatten(int64_t s, int64_t e) const {
  return ember::flatten(*this, s, e);
}
Tensor Tensor::unflatten(int64_t d, const Shape& s) const {
  return ember::unflatten(*this, d, s);
}
Tensor Tensor::contiguous() const {
  return ember::contiguous(*this);
}

Tensor Tensor::to(DType t) const {
  return ember::to(*this, t);
}
Tensor Tensor::to(Device d) const {
  return ember::to(*this, d);
}
Tensor Tensor::clone() const {
  return ember::clone(*this);
}

Tensor Tensor::add(const Tensor& o, Scalar alpha) const {
  return ember::add(*this, o, alpha);
}
Tensor Tensor::sub(const Tensor& o, Scalar alpha) const {
  return ember::sub(*this, o, alpha);
}
Tensor Tensor::mul(const Tensor& o) const {
  return ember::mul(*this, o);
}
Tensor Tensor::div(const Tensor& o) const {
  return ember::div(*this, o);
}
Tensor Tensor::pow(const Tensor& e) const {
  return ember::pow(*this, e);
}
Tensor Tensor::pow(Scalar e) const {
  return ember::pow(*this, e);
}
Tensor Tensor::neg() const {
  return ember::neg(*this);
}
Tensor Tensor::exp() const {
  return ember::exp(*this);
}
Tensor Tensor::log() const {
  return ember::log(*this);
}
Tensor Tensor::sqrt() const {
  return ember::sqrt(*this);
}
Tensor Tensor::rsqrt() const {
  return ember::rsqrt(*this);
}
Tensor Tensor::abs() const {
  return ember::abs(*this);
}
Tensor Tensor::sin() const {
  return ember::sin(*this);
}
Tensor Tensor::cos() const {
  return ember::cos(*this);
}
Tensor Tensor::tanh() const {
  return ember::tanh(*this);
}
Tensor Tensor::sigmoid() const {
  return ember::sigmoid(*this);
}
Tensor Tensor::relu() const {
  return ember::relu(*this);
}
Tensor Tensor::clamp(std::optional<Scalar> lo, std::optional<Scalar> hi) const {
  return ember::clamp(*this, lo, hi);
}
Tensor Tensor::masked_fill(const Tensor& m, Scalar v) const {
  return ember::masked_fill(*this, m, v);
}
Tensor Tensor::eq(const Tensor& o) const {
  return ember::eq(*this, o);
}
Tensor Tensor::ne(const Tensor& o) const {
  return ember::ne(*this, o);
}
Tensor Tensor::lt(const Tensor& o) const {
  return ember::lt(*this, o);
}
Tensor Tensor::le(const Tensor& o) const {
  return ember::le(*this, o);
}
Tensor Tensor::gt(const Tensor& o) const {
  return ember::gt(*this, o);
}
Tensor Tensor::ge(const Tensor& o) const {
  return ember::ge(*this, o);
}
Tensor Tensor::logical_not() const {
  return ember::logical_not(*this);
}

Tensor Tensor::sum() const {
  return ember::sum(*this);
}
Tensor Tensor::sum(const Shape& d, bool keepdim) const {
  return ember::sum(*this, d, keepdim);
}
Tensor Tensor::mean() const {
  return ember::mean(*this);
}
Tensor Tensor::mean(const Shape& d, bool keepdim) const {
  return ember::mean(*this, d, keepdim);
}

Tensor& Tensor::add_(const Tensor& o, Scalar alpha) {
  return ember::add_(*this, o, alpha);
}
Tensor& Tensor::sub_(const Tensor& o, Scalar alpha) {
  return ember::sub_(*this, o, alpha);
}
Tensor& Tensor::mul_(const Tensor& o) {
  return ember::mul_(*this, o);
}
Tensor& Tensor::mul_(Scalar v) {
  return ember::mul_(*this, wrap_scalar(v, *this));
}
Tensor& Tensor::div_(const Tensor& o) {
  return ember::div_(*this, o);
}
Tensor& Tensor::zero_() {
  return ember::zero_(*this);
}
Tensor& Tensor::fill_(Scalar v) {
  return ember::fill_(*this, v);
}
Tensor& Tensor::copy_(const Tensor& s) {
  return ember::copy_(*this, s);
}
Tensor& Tensor::masked_fill_(const Tensor& m, Scalar v) {
  return ember::masked_fill_(*this, m, v);
}

}  // namespace ember
