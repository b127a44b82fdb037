#pragma once
// Tensor: a cheap, reference-counted handle. Copying a Tensor copies the handle, not the data;
// views (transpose, slice, expand, ...) share storage and cost O(1).
//
//   auto x = ember::randn({2, 3}).requires_grad_();
//   auto y = (x * x).sum();
//   y.backward();
//   fmt::print("{}\n", x.grad());   // 2 * x
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "ember/core/dtype.h"
#include "ember/core/shape.h"
#include "ember/core/storage.h"

namespace ember {

class Node;
class TensorImpl;
class Tensor;
using TensorList = std::vector<Tensor>;
using Scalar = double;

// Options for factories: ember::zeros({2, 3}, ember::kFloat64), ember::ones({4}, {kInt64, kCPU}).
struct TensorOptions {
  DType dtype = kFloat32;
  Device device = kCPU;
  bool requires_grad = false;

  TensorOptions() = default;
  TensorOptions(DType dtype) : dtype(dtype) {}          // NOLINT
  TensorOptions(Device device) : device(device) {}      // NOLINT
  TensorOptions(DeviceType device) : device(device) {}  // NOLINT
  TensorOptions(DType dtype, Device device) : dtype(dtype), device(device) {}
};

class Tensor {
 public:
  Tensor() = default;  // undefined: defined() is false
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  // --- metadata -------------------------------------------------------------------------------
  bool defined() const { return impl_ != nullptr; }
  const Shape& sizes() const;
  const Shape& strides() const;
  int64_t size(int64_t dim) const;
  int64_t stride(int64_t dim) const;
  int64_t dim() const { return static_cast<int64_t>(sizes().size()); }
  int64_t numel() const;
  int64_t storage_offset() const;
  DType dtype() const;
  Device device() const;
  bool is_contiguous() const;
  bool is_floating_point() const { return is_floating(dtype()); }
  size_t element_size() const { return ember::element_size(dtype()); }
  const std::shared_ptr<Storage>& storage() const;
  TensorImpl* impl() const { return impl_.get(); }
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }
  bool is_same(const Tensor& other) const { return impl_ == other.impl_; }
  uint64_t version() const;

  // Typed pointer to the first element (checks the dtype and that the tensor is on the CPU).
  template <typename T>
  T* data_ptr() const;
  void* raw_data() const;  // untyped, any device

  // The single value of a one-element tensor.
  template <typename T>
  T item() const;
  double item() const { return item<double>(); }
  // A copy of the elements in row-major order.
  template <typename T>
  std::vector<T> to_vector() const;

  // --- autograd -------------------------------------------------------------------------------
  bool requires_grad() const;
  Tensor& requires_grad_(bool value = true);
  // The accumulated gradient of a leaf (undefined until backward reaches it).
  const Tensor& grad() const;
  Tensor& mutable_grad();
  void set_grad(const Tensor& grad);
  const std::shared_ptr<Node>& grad_fn() const;
  uint32_t output_nr() const;
  bool is_leaf() const { return !grad_fn(); }
  // Runs reverse-mode autodiff from this tensor. A one-element tensor may omit `gradient`.
  void backward(const Tensor& gradient = {}, bool retain_graph = false,
                bool create_graph = false) const;
  // A tensor sharing this one's data but cut from the graph.
  Tensor detach() const;
  Tensor& detach_();
  // Calls hook(grad) when the gradient for this tensor is computed; a defined return value
  // replaces the gradient.
  void register_hook(std::function<Tensor(const Tensor&)> hook) const;
  // Makes a non-leaf keep its .grad() after backward, like a leaf.
  void retain_grad() const;
  // A name shown in printouts and graph pictures.
  const std::string& name() const;
  Tensor& set_name(std::string name);

  // --- views (share storage, O(1)) ------------------------------------------------------------
  Tensor view(const Shape& sizes) const;
  Tensor reshape(const Shape& sizes) const;
  Tensor transpose(int64_t dim0, int64_t dim1) const;
  Tensor t() const;  // transpose of a 2-d tensor
  Tensor permute(const Shape& dims) const;
  Tensor narrow(int64_t dim, int64_t start, int64_t length) const;
  Tensor slice(int64_t dim, int64_t start, int64_t end, int64_t step = 1) const;
  Tensor select(int64_t dim, int64_t index) const;
  Tensor operator[](int64_t index) const { return select(0, index); }
  Tensor expand(const Shape& sizes) const;
  Tensor expand_as(const Tensor& other) const { return expand(other.sizes()); }
  Tensor squeeze() const;
  Tensor squeeze(int64_t dim) const;
  Tensor unsqueeze(int64_t dim) const;
  Tensor flatten(int64_t start_dim = 0, int64_t end_dim = -1) const;
  Tensor unflatten(int64_t dim, const Shape& sizes) const;
  Tensor contiguous() const;

  // --- conversions ----------------------------------------------------------------------------
  Tensor to(DType dtype) const;
  Tensor to(Device device) const;
  Tensor to(DeviceType device) const { return to(Device(device)); }
  Tensor clone() const;

  // --- math (see ops/ for the free functions and their gradients) -------------------------------
  Tensor add(const Tensor& other, Scalar alpha = 1) const;
  Tensor sub(const Tensor& other, Scalar alpha = 1) const;
  Tensor mul(const Tensor& other) const;
  Tensor div(const Tensor& other) const;
  Tensor pow(const Tensor& exponent) const;
  Tensor pow(Scalar exponent) const;
  Tensor neg() const;
  Tensor exp() const;
  Tensor log() const;
  Tensor sqrt() const;
  Tensor rsqrt() const;
  Tensor abs() const;
  Tensor sin() const;
  Tensor cos() const;
  Tensor tanh() const;
  Tensor sigmoid() const;
  Tensor relu() const;
  Tensor clamp(std::optional<Scalar> min, std::optional<Scalar> max) const;
  Tensor matmul(const Tensor& other) const;
  Tensor masked_fill(const Tensor& mask, Scalar value) const;

  Tensor eq(const Tensor& other) const;
  Tensor ne(const Tensor& other) const;
  Tensor lt(const Tensor& other) const;
  Tensor le(const Tensor& other) const;
  Tensor gt(const Tensor& other) const;
  Tensor ge(const Tensor& other) const;
  Tensor logical_not() const;

  Tensor sum() const;
  Tensor sum(const Shape& dims, bool keepdim = false) const;
  Tensor mean() const;
  Tensor mean(const Shape& dims, bool keepdim = false) const;
  Tensor prod() const;
  Tensor prod(const Shape& dims, bool keepdim = false) const;
  Tensor max() const;
  Tensor min() const;
  std::tuple<Tensor, Tensor> max(int64_t dim, bool keepdim = false) const;  // values, indices
  std::tuple<Tensor, Tensor> min(int64_t dim, bool keepdim = false) const;
  Tensor amax(const Shape& dims, bool keepdim = false) const;
  Tensor amin(const Shape& dims, bool keepdim = false) const;
  Tensor argmax() const;
  Tensor argmax(int64_t dim, bool keepdim = false) const;
  Tensor argmin() const;
  Tensor argmin(int64_t dim, bool keepdim = false) const;
  Tensor var(const Shape& dims = {}, bool unbiased = true, bool keepdim = false) const;
  Tensor std(const Shape& dims = {}, bool unbiased = true, bool keepdim = false) const;
  Tensor norm(double p = 2, const Shape& dims = {}, bool keepdim = false) const;
  Tensor logsumexp(int64_t dim, bool keepdim = false) const;
  Tensor softmax(int64_t dim) const;
  Tensor log_softmax(int64_t dim) const;

  Tensor index_select(int64_t dim, const Tensor& index) const;
  Tensor gather(int64_t dim, const Tensor& index) const;
  Tensor scatter_add(int64_t dim, const Tensor& index, const Tensor& src) const;
  std::vector<Tensor> split(int64_t split_size, int64_t dim = 0) const;
  std::vector<Tensor> chunk(int64_t chunks, int64_t dim = 0) const;
  Tensor roll(const Shape& shifts, const Shape& dims = {}) const;
  Tensor tril(int64_t diagonal = 0) const;
  Tensor triu(int64_t diagonal = 0) const;

  // --- in-place (bump the version counter) ----------------------------------------------------
  Tensor& add_(const Tensor& other, Scalar alpha = 1);
  Tensor& sub_(const Tensor& other, Scalar alpha = 1);
  Tensor& mul_(const Tensor& other);
  Tensor& mul_(Scalar value);
  Tensor& div_(const Tensor& other);
  Tensor& zero_();
  Tensor& fill_(Scalar value);
  Tensor& copy_(const Tensor& src);
  Tensor& masked_fill_(const Tensor& mask, Scalar value);

  // A short description for messages: "float32 tensor of shape [2,3] on cpu".
  std::string describe() const;
  // PyTorch-like printout.
  std::string str() const;

 private:
  std::shared_ptr<TensorImpl> impl_;
};

// The data behind a Tensor handle. Plain data; ops and the autograd engine manage the fields.
class TensorImpl {
 public:
  TensorImpl(std::shared_ptr<Storage> storage, Shape sizes, Shape strides, int64_t offset,
             DType dtype)
      : storage(std::move(storage)),
        sizes(std::move(sizes)),
        strides(std::move(strides)),
        offset(offset),
        dtype(dtype) {}

  std::shared_ptr<Storage> storage;
  Shape sizes;
  Shape strides;
  int64_t offset = 0;  // in elements
  DType dtype;

  bool requires_grad = false;
  Tensor grad;
  std::shared_ptr<Node> grad_fn;
  uint32_t output_nr = 0;
  std::weak_ptr<Node> grad_accumulator;  // leaves only; owned by the graph
  std::vector<std::function<Tensor(const Tensor&)>> leaf_hooks;
  bool retains_grad = false;
  bool is_view = false;
  std::string name;
};

// --- creating tensors -------------------------------------------------------------------------
// An uninitialised tensor: the first thing every kernel makes.
Tensor empty(const Shape& sizes, TensorOptions options = {});
// A view over existing storage.
Tensor make_view(const Tensor& base, Shape sizes, Shape strides, int64_t offset);
// From host data, copied: ember::tensor({1.f, 2.f, 3.f}) or ember::tensor(vec, {2, 3}).
template <typename T>
Tensor tensor(const std::vector<T>& values, const Shape& sizes, TensorOptions options);
template <typename T>
Tensor tensor(const std::vector<T>& values, const Shape& sizes) {
  return tensor(values, sizes, TensorOptions(dtype_of<T>()));
}
template <typename T>
Tensor tensor(const std::vector<T>& values) {
  return tensor(values, Shape{static_cast<int64_t>(values.size())});
}
template <typename T>
Tensor tensor(std::initializer_list<T> values) {
  return tensor(std::vector<T>(values));
}
Tensor tensor(std::initializer_list<int> values);  // ints become int64
Tensor scalar_tensor(Scalar value, TensorOptions options = {});

// Throws naming `op` unless `t` is defined and on the CPU (used until an op has a CUDA kernel).
void check_cpu(std::string_view op, const Tensor& t);
void check_defined(std::string_view op, const Tensor& t, std::string_view what = "input");

}  // namespace ember

template <>
struct fmt::formatter<ember::Tensor> : fmt::formatter<std::string> {
  auto format(const ember::Tensor& t, format_context& ctx) const {
    return fmt::formatter<std::string>::format(t.str(), ctx);
  }
};
