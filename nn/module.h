#pragma once
// nn::Module: the base of every layer and model. A module owns named parameters (leaf tensors
// that require grad), buffers (tensors saved with the model but not trained, e.g. a fixed
// positional table) and submodules; the recursive accessors walk them in registration order.
//
//   struct Mlp : ember::nn::Module {
//     std::shared_ptr<nn::Linear> fc1, fc2;
//     Mlp() {
//       fc1 = register_module("fc1", std::make_shared<nn::Linear>(2, 16));
//       fc2 = register_module("fc2", std::make_shared<nn::Linear>(16, 2));
//     }
//     Tensor forward(const Tensor& x) { return fc2->forward(relu(fc1->forward(x))); }
//   };
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "ember/core/tensor.h"

namespace ember::nn {

// Name -> tensor, sorted by name: what state_dict() returns and checkpoints store.
using StateDict = std::map<std::string, Tensor>;

class Module {
 public:
  explicit Module(std::string type_name = "Module") : type_name_(std::move(type_name)) {}
  virtual ~Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  // --- registration (returns the registered handle, to keep as a member) -----------------------
  Tensor register_parameter(const std::string& name, Tensor value, bool requires_grad = true);
  Tensor register_buffer(const std::string& name, Tensor value);
  template <typename M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> module) {
    add_child(name, module);
    return module;
  }
  // Replaces a registered submodule (e.g. swapping a head for fine-tuning).
  void replace_module(const std::string& name, std::shared_ptr<Module> module);

  // --- access ----------------------------------------------------------------------------------
  std::vector<std::pair<std::string, Tensor>> named_parameters(bool recurse = true) const;
  TensorList parameters(bool recurse = true) const;
  std::vector<std::pair<std::string, Tensor>> named_buffers(bool recurse = true) const;
  TensorList buffers(bool recurse = true) const;
  // This module first (named ""), then every descendant with its dotted path.
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> named_modules() const;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> named_children() const;
  std::shared_ptr<Module> child(const std::string& name) const;
  int64_t num_parameters(bool trainable_only = false) const;

  // --- modes and housekeeping ------------------------------------------------------------------
  virtual void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }
  // Drops gradients (set_to_none) or zeroes them in place.
  void zero_grad(bool set_to_none = true);
  // Converts parameters and buffers in place (every handle to them sees the change).
  void to(DType dtype);
  void to(Device device);
  // Calls fn on this module and every descendant, parents first.
  void apply(const std::function<void(Module&)>& fn);

  // --- state -----------------------------------------------------------------------------------
  // Parameters and buffers by dotted name (detached handles sharing storage).
  StateDict state_dict() const;
  // Copies values in. With strict, missing and unexpected keys are errors; shape or dtype
  // mismatches always are. Every problem is listed by name in one message.
  void load_state_dict(const StateDict& state, bool strict = true);

  // --- printing --------------------------------------------------------------------------------
  const std::string& type_name() const { return type_name_; }
  // One line of settings shown after the type name, e.g. "in=512, out=2048, bias=true".
  virtual std::string extra_repr() const { return ""; }
  // The module tree with parameter counts.
  std::string str() const;

 protected:
  void add_child(const std::string& name, std::shared_ptr<Module> module);

 private:
  void collect_parameters(const std::string& prefix,
                          std::vector<std::pair<std::string, Tensor>>& out, bool recurse) const;
  void collect_buffers(const std::string& prefix, std::vector<std::pair<std::string, Tensor>>& out,
                       bool recurse) const;
  void print(std::string& out, const std::string& name, int indent) const;
  void check_new_name(const std::string& name) const;

  std::string type_name_;
  bool training_ = true;
  std::vector<std::pair<std::string, Tensor>> parameters_;
  std::vector<std::pair<std::string, Tensor>> buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
};

// Puts a module in eval mode for a scope (decoding, evaluation) and restores its mode after.
class EvalModeGuard {
 public:
  explicit EvalModeGuard(Module& module) : module_(module), was_training_(module.is_training()) {
    module_.eval();
  }
  ~EvalModeGuard() { module_.train(was_training_); }
  EvalModeGuard(const EvalModeGuard&) = delete;
  EvalModeGuard& operator=(const EvalModeGuard&) = delete;

 private:
  Module& module_;
  bool was_training_;
};

}  // namespace ember::nn

// fmt::print("{}", model) for any module type.
template <typename M>
struct fmt::formatter<M, char, std::enable_if_t<std::is_base_of_v<ember::nn::Module, M>>>
    : fmt::formatter<std::string> {
  auto format(const ember::nn::Module& m, format_context& ctx) const {
    return fmt::formatter<std::string>::format(m.str(), ctx);
  }
};
