#pragma once
// Differentiable functions written by users, like torch.autograd.Function: a forward computed
// with any ops (gradients are not recorded inside it) and a backward written by hand.
//
//   struct Cube : ember::Function<Cube> {
//     static std::string name() { return "Cube"; }   // optional: shown in errors and graphs
//     static ember::TensorList forward(ember::FunctionContext& ctx, const ember::TensorList& in) {
//       ctx.save_for_backward({in[0]});
//       return {in[0] * in[0] * in[0]};
//     }
//     static ember::TensorList backward(ember::FunctionContext& ctx,
//                                       const ember::TensorList& grad_out) {
//       const ember::Tensor x = ctx.saved()[0];
//       return {grad_out[0] * 3.0 * x * x};           // d x^3 / dx = 3 x^2
//     }
//   };
//   auto y = Cube::apply({x})[0];
//
// Extra non-tensor arguments given to apply() are passed on to forward:
//   static TensorList forward(FunctionContext&, const TensorList&, double alpha);
//   Scale::apply({x}, 2.5);
//
// backward receives one gradient per output (zeros for outputs marked non-differentiable or
// not used) and returns one gradient per input; an undefined Tensor means "no gradient". When
// it is written with differentiable ops, create_graph=true gives higher-order gradients.
#include <any>
#include <functional>
#include <map>
#include <string>
#include <typeinfo>
#include <vector>

#include "ember/core/autograd.h"
#include "ember/core/tensor.h"

namespace ember {

// What forward passes on to backward.
class FunctionContext {
 public:
  // Keeps tensors (inputs or outputs) for backward. Modifying one in place afterwards makes
  // backward fail with a message naming the in-place op, instead of computing a wrong gradient.
  void save_for_backward(const TensorList& tensors);
  // The saved tensors, in the order they were saved.
  TensorList saved() const;

  // Whether input i requires a gradient: backward may skip work for the others.
  bool needs_input_grad(size_t i) const;
  size_t num_inputs() const { return needs_input_grad_.size(); }

  // Declares outputs (tensors forward is about to return) that have no gradient, e.g. indices.
  // Integer and bool outputs are non-differentiable anyway.
  void mark_non_differentiable(const TensorList& outputs);

  // Any other values for backward: ctx.set("alpha", 2.5); ctx.get<double>("alpha").
  template <typename T>
  void set(const std::string& key, T value) {
    data_[key] = std::move(value);
  }
  template <typename T>
  const T& get(const std::string& key) const;
  bool has(const std::string& key) const { return data_.count(key) > 0; }

  // Used by apply(); not needed by function authors.
  struct Internal;

 private:
  friend struct Internal;
  std::string function_name_;
  std::vector<bool> needs_input_grad_;
  TensorList pending_;  // saved during forward, before the node exists
  std::vector<SavedTensor> saved_;
  std::vector<const TensorImpl*> non_differentiable_;
  std::map<std::string, std::any> data_;
  bool in_backward_ = false;
};

// The type-erased form behind Function<F>::apply, also usable with lambdas:
//   auto square = [](FunctionContext& ctx, const TensorList& in) {
//     ctx.save_for_backward(in);
//     return TensorList{in[0] * in[0]};
//   };
//   auto square_grad = [](FunctionContext& ctx, const TensorList& g) {
//     return TensorList{g[0] * 2.0 * ctx.saved()[0]};
//   };
//   auto y = ember::apply_function("Square", square, square_grad, {x})[0];
using CustomForward = std::function<TensorList(FunctionContext&, const TensorList&)>;
using CustomBackward = std::function<TensorList(FunctionContext&, const TensorList&)>;
TensorList apply_function(std::string name, const CustomForward& forward, CustomBackward backward,
                          const TensorList& inputs);

// A readable C++ type name from typeid(T).name().
std::string demangle(const char* mangled);

// Base for user functions: derive as `struct F : Function<F>` and define static forward and
// backward (see the top of this file). The node is named by F::name() when F has one.
template <typename Derived>
struct Function {
  template <typename... Args>
  static TensorList apply(const TensorList& inputs, Args&&... args) {
    return apply_function(
        function_name(),
        [&](FunctionContext& ctx, const TensorList& in) {
          return Derived::forward(ctx, in, std::forward<Args>(args)...);
        },
        [](FunctionContext& ctx, const TensorList& grads) { return Derived::backward(ctx, grads); },
        inputs);
  }

  static std::string function_name() {
    if constexpr (requires { Derived::name(); })
      return std::string(Derived::name());
    else
      return demangle(typeid(Derived).name());
  }
};

template <typename T>
const T& FunctionContext::get(const std::string& key) const {
  auto it = data_.find(key);
  if (it == data_.end())
    fail("{}: no value named \"{}\" was stored in the context with ctx.set()", function_name_, key);
  const T* value = std::any_cast<T>(&it->second);
  if (!value)
    fail("{}: the context value \"{}\" was stored as a different type than the one asked for",
         function_name_, key);
  return *value;
}

}  // namespace ember
