#include "ember/core/tensor.h"

#include <cstring>

#include "ember/core/autograd.h"

namespace ember {

namespace {
TensorImpl& checked(const std::shared_ptr<TensorImpl>& impl) {
  EMBER_CHECK(impl != nullptr, "use of an undefined tensor (default-constructed ember::Tensor)");
  return *impl;
}
}  // namespace

const Shape& Tensor::sizes() const {
  return checked(impl_).sizes;
}
const Shape& Tensor::strides() const {
  return checked(impl_).strides;
}
int64_t Tensor::size(int64_t d) const {
  return sizes()[wrap_dim("size", d, dim())];
}
int64_t Tensor::stride(int64_t d) const {
  return strides()[wrap_dim("stride", d, dim())];
}
int64_t Tensor::numel() const {
  return numel_of(sizes());
}
int64_t Tensor::storage_offset() const {
  return checked(impl_).offset;
}
DType Tensor::dtype() const {
  return checked(impl_).dtype;
}
Device Tensor::device() const {
  return checked(impl_).storage->device();
}
const std::shared_ptr<Storage>& Tensor::storage() const {
  return checked(impl_).storage;
}
uint64_t Tensor::version() const {
  return storage()->version();
}

bool Tensor::is_contiguous() const {
  const auto& impl = checked(impl_);
  if (numel_of(impl.sizes) == 0) return true;  // no elements: any strides describe them
  int64_t expected = 1;
  for (size_t i = impl.sizes.size(); i-- > 0;) {
    if (impl.sizes[i] == 1) continue;
    if (impl.strides[i] != expected) return false;
    expected *= impl.sizes[i];
  }
  return true;
}

void* Tensor::raw_data() const {
  const auto& impl = checked(impl_);
  return static_cast<char*>(impl.storage->data()) + impl.offset * ember::element_size(impl.dtype);
}

template <typename T>
T* Tensor::data_ptr() const {
  EMBER_CHECK(dtype() == dtype_of<T>(), "data_ptr<{}>: the tensor is {}", dtype_of<T>(), dtype());
  EMBER_CHECK(device().is_cpu(), "data_ptr: the tensor is on {}; move it with .to(kCPU) first",
              device());
  return static_cast<T*>(raw_data());
}

template <typename T>
T Tensor::item() const {
  EMBER_CHECK(numel() == 1, "item: expected a tensor with one element, got shape {}",
              shape_str(sizes()));
  const Tensor host = device().is_cpu() ? *this : to(kCPU);
  return visit_dtype(dtype(), [&]<typename S>() { return static_cast<T>(*host.data_ptr<S>()); });
}

template <typename T>
std::vector<T> Tensor::to_vector() const {
  const Tensor host = contiguous().to(kCPU).to(dtype_of<T>());
  const T* p = host.data_ptr<T>();
  return std::vector<T>(p, p + host.numel());
}

#define EMBER_INSTANTIATE(T)               \
  template T* Tensor::data_ptr<T>() const; \
  template T Tensor::item<T>() const;      \
  template std::vector<T> Tensor::to_vector<T>() const;
EMBER_INSTANTIATE(bool)
EMBER_INSTANTIATE(int64_t)
EMBER_INSTANTIATE(float)
EMBER_INSTANTIATE(double)
#undef EMBER_INSTANTIATE
template int Tensor::item<int>() const;

bool Tensor::requires_grad() const {
  return checked(impl_).requires_grad;
}

Tensor& Tensor::requires_grad_(bool value) {
  auto& impl = checked(impl_);
  if (!value && impl.grad_fn)
    fail(
        "requires_grad_: cannot turn off requires_grad of a non-leaf tensor (produced by {}); "
        "use detach()",
        impl.grad_fn->name());
  EMBER_CHECK(!value || is_floating(impl.dtype),
              "requires_grad_: only floating-point tensors can require gradients, got {}",
              impl.dtype);
  impl.requires_grad = value;
  return *this;
}

const Tensor& Tensor::grad() const {
  return checked(impl_).grad;
}
Tensor& Tensor::mutable_grad() {
  return checked(impl_).grad;
}

void Tensor::set_grad(const Tensor& grad) {
  if (grad.defined())
    EMBER_CHECK(grad.sizes() == sizes() && grad.dtype() == dtype(),
                "set_grad: gradient {} does not match tensor {}", grad.describe(), describe());
  checked(impl_).grad = grad;
}

const std::shared_ptr<Node>& Tensor::grad_fn() const {
  return checked(impl_).grad_fn;
}
uint32_t Tensor::output_nr() const {
  return checked(impl_).output_nr;
}

Tensor Tensor::detach() const {
  const auto& impl = checked(impl_);
  auto out =
      std::make_shared<TensorImpl>(impl.storage, impl.sizes, impl.strides, impl.offset, impl.dtype);
  out->name = impl.name;
  return Tensor(std::move(out));
}

Tensor& Tensor::detach_() {
  auto& impl = checked(impl_);
  impl.grad_fn.reset();
  impl.output_nr = 0;
  impl.requires_grad = false;
  return *this;
}

void Tensor::register_hook(std::function<Tensor(const Tensor&)> hook) const {
  auto& impl = checked(impl_);
  EMBER_CHECK(impl.requires_grad,
              "register_hook: the tensor does not require grad, so no gradient will reach it");
  if (impl.grad_fn)
    impl.grad_fn->add_pre_hook(impl.output_nr, std::move(hook));
  else
    impl.leaf_hooks.push_back(std::move(hook));
}

void Tensor::retain_grad() const {
  auto& impl = checked(impl_);
  EMBER_CHECK(impl.requires_grad, "retain_grad: the tensor does not require grad");
  if (!impl.grad_fn || impl.retains_grad) return;
  impl.retains_grad = true;
  std::weak_ptr<TensorImpl> weak = impl_;
  impl.grad_fn->add_pre_hook(impl.output_nr, [weak](const Tensor& g) {
    if (auto self = weak.lock()) {
      const Tensor d = g.detach();
      self->grad = self->grad.defined() ? self->grad.add(d) : d.clone();
    }
    return Tensor();
  });
}

const std::string& Tensor::name() const {
  return checked(impl_).name;
}
Tensor& Tensor::set_name(std::string name) {
  checked(impl_).name = std::move(name);
  return *this;
}

std::string Tensor::describe() const {
  if (!defined()) return "undefined tensor";
  return fmt::format("{} tensor of shape {} on {}", dtype(), shape_str(sizes()), device());
}

Tensor empty(const Shape& sizes, TensorOptions options) {
  for (int64_t s : sizes) EMBER_CHECK(s >= 0, "empty: negative size in shape {}", shape_str(sizes));
  const size_t nbytes = static_cast<size_t>(numel_of(sizes)) * element_size(options.dtype);
  auto storage = std::make_shared<Storage>(nbytes, options.device);
  Tensor t(std::make_shared<TensorImpl>(std::move(storage), sizes, contiguous_strides(sizes), 0,
                                        options.dtype));
  if (options.requires_grad) t.requires_grad_();
  return t;
}

Tensor make_view(const Tensor& base, Shape sizes, Shape strides, int64_t offset) {
  auto impl = std::make_shared<TensorImpl>(base.storage(), std::move(sizes), std::move(strides),
                                           offset, base.dtype());
  impl->is_view = true;
  return Tensor(std::move(impl));
}

template <typename T>
Tensor tensor(const std::vector<T>& values, const Shape& sizes, TensorOptions options) {
  EMBER_CHECK(numel_of(sizes) == static_cast<int64_t>(values.size()),
              "tensor: {} values cannot fill shape {} ({} elements)", values.size(),
              shape_str(sizes), numel_of(sizes));
  Tensor host = empty(sizes, TensorOptions(dtype_of<T>()));
  if constexpr (std::is_same_v<T, bool>) {
    bool* p = host.data_ptr<bool>();
    for (size_t i = 0; i < values.size(); ++i) p[i] = values[i];
  } else if (!values.empty()) {  // memcpy from an empty vector's null data() is undefined
    std::memcpy(host.raw_data(), values.data(), values.size() * sizeof(T));
  }
  Tensor out = host.to(options.dtype).to(options.device);
  if (options.requires_grad) out.requires_grad_();
  return out;
}
template Tensor tensor(const std::vector<bool>&, const Shape&, TensorOptions);
template Tensor tensor(const std::vector<int64_t>&, const Shape&, TensorOptions);
template Tensor tensor(const std::vector<float>&, const Shape&, TensorOptions);
template Tensor tensor(const std::vector<double>&, const Shape&, TensorOptions);

Tensor tensor(std::initializer_list<int> values) {
  return tensor(std::vector<int64_t>(values.begin(), values.end()));
}

Tensor scalar_tensor(Scalar value, TensorOptions options) {
  Tensor host = empty({}, TensorOptions(options.dtype));
  visit_dtype(options.dtype, [&]<typename T>() { *host.data_ptr<T>() = static_cast<T>(value); });
  return options.device.is_cpu() ? host : host.to(options.device);
}

void check_defined(std::string_view op, const Tensor& t, std::string_view what) {
  EMBER_CHECK(t.defined(), "{}: {} is an undefined tensor", op, what);
}

void check_cpu(std::string_view op, const Tensor& t) {
  check_defined(op, t);
  if (!t.device().is_cpu()) {
    EMBER_CHECK(cuda_compiled(), "{}: ember was built without CUDA", op);
    fail("{}: not implemented on {} yet (got a {})", op, t.device(), t.describe());
  }
}

}  // namespace ember
