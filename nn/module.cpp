#include "ember/nn/module.h"

#include "ember/core/grad_mode.h"
#include "ember/ops/convert.h"

namespace ember::nn {

namespace {

// Points every handle of `t` at `value`'s data: what to(dtype)/to(device) need, since layers
// keep their own handles to the registered parameters.
void swap_data(const Tensor& t, const Tensor& value) {
  TensorImpl* impl = t.impl();
  impl->storage = value.storage();
  impl->sizes = value.sizes();
  impl->strides = value.strides();
  impl->offset = value.storage_offset();
  impl->dtype = value.dtype();
  impl->grad = {};
}

int64_t count(const std::vector<std::pair<std::string, Tensor>>& named) {
  int64_t n = 0;
  for (const auto& [_, t] : named) n += t.numel();
  return n;
}

}  // namespace

void Module::check_new_name(const std::string& name) const {
  EMBER_CHECK(!name.empty() && name.find('.') == std::string::npos,
              "{}: invalid name '{}' (must be non-empty and contain no '.')", type_name_, name);
  auto taken = [&](const auto& list) {
    for (const auto& [n, _] : list)
      if (n == name) return true;
    return false;
  };
  EMBER_CHECK(!taken(parameters_) && !taken(buffers_) && !taken(children_),
              "{}: the name '{}' is already registered", type_name_, name);
}

Tensor Module::register_parameter(const std::string& name, Tensor value, bool requires_grad) {
  check_new_name(name);
  check_defined("register_parameter", value, name);
  // A parameter is a leaf: cut any history the initialiser left.
  Tensor p = value.is_leaf() ? value : value.detach();
  if (requires_grad) p.requires_grad_();
  parameters_.emplace_back(name, p);
  return p;
}

Tensor Module::register_buffer(const std::string& name, Tensor value) {
  check_new_name(name);
  check_defined("register_buffer", value, name);
  Tensor b = value.detach();
  buffers_.emplace_back(name, b);
  return b;
}

void Module::add_child(const std::string& name, std::shared_ptr<Module> module) {
  check_new_name(name);
  EMBER_CHECK(module != nullptr, "{}: submodule '{}' is null", type_name_, name);
  children_.emplace_back(name, std::move(module));
}

void Module::replace_module(const std::string& name, std::shared_ptr<Module> module) {
  EMBER_CHECK(module != nullptr, "{}: replacement for '{}' is null", type_name_, name);
  for (auto& [n, m] : children_)
    if (n == name) {
      m = std::move(module);
      return;
    }
  fail("{}: no submodule named '{}' to replace", type_name_, name);
}

void Module::collect_parameters(const std::string& prefix,
                                std::vector<std::pair<std::string, Tensor>>& out,
                                bool recurse) const {
  for (const auto& [n, t] : parameters_) out.emplace_back(prefix + n, t);
  if (recurse)
    for (const auto& [n, m] : children_) m->collect_parameters(prefix + n + ".", out, true);
}

void Module::collect_buffers(const std::string& prefix,
                             std::vector<std::pair<std::string, Tensor>>& out, bool recurse) const {
  for (const auto& [n, t] : buffers_) out.emplace_back(prefix + n, t);
  if (recurse)
    for (const auto& [n, m] : children_) m->collect_buffers(prefix + n + ".", out, true);
}

std::vector<std::pair<std::string, Tensor>> Module::named_parameters(bool recurse) const {
  std::vector<std::pair<std::string, Tensor>> out;
  collect_parameters("", out, recurse);
  return out;
}

TensorList Module::parameters(bool recurse) const {
  TensorList out;
  for (auto& [_, t] : named_parameters(recurse)) out.push_back(t);
  return out;
}

std::vector<std::pair<std::string, Tensor>> Module::named_buffers(bool recurse) const {
  std::vector<std::pair<std::string, Tensor>> out;
  collect_buffers("", out, recurse);
  return out;
}

TensorList Module::buffers(bool recurse) const {
  TensorList out;
  for (auto& [_, t] : named_buffers(recurse)) out.push_back(t);
  return out;
}

std::vector<std::pair<std::string, std::shared_ptr<Module>>> Module::named_children() const {
  return children_;
}

std::shared_ptr<Module> Module::child(const std::string& name) const {
  for (const auto& [n, m] : children_)
    if (n == name) return m;
  fail("{}: no submodule named '{}'", type_name_, name);
}

std::vector<std::pair<std::string, std::shared_ptr<Module>>> Module::named_modules() const {
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> out;
  // The root has no owning shared_ptr of its own here; callers get it as a non-owning alias.
  out.emplace_back("",
                   std::shared_ptr<Module>(std::shared_ptr<Module>(), const_cast<Module*>(this)));
  std::function<void(const std::string&, const Module&)> walk = [&](const std::string& prefix,
                                                                    const Module& m) {
    for (const auto& [n, c] : m.children_) {
      out.emplace_back(prefix + n, c);
      walk(prefix + n + ".", *c);
    }
  };
  walk("", *this);
  return out;
}

int64_t Module::num_parameters(bool trainable_only) const {
  int64_t n = 0;
  for (const auto& [_, t] : named_parameters())
    if (!trainable_only || t.requires_grad()) n += t.numel();
  return n;
}

void Module::train(bool on) {
  training_ = on;
  for (auto& [_, m] : children_) m->train(on);
}

void Module::zero_grad(bool set_to_none) {
  NoGradGuard no_grad;
  for (auto& [_, p] : named_parameters()) {
    if (!p.grad().defined()) continue;
    if (set_to_none)
      p.mutable_grad() = {};
    else
      p.mutable_grad().zero_();
  }
}

void Module::to(DType dtype) {
  NoGradGuard no_grad;
  for (auto& [_, p] : named_parameters())
    if (p.is_floating_point()) swap_data(p, p.to(dtype));
  for (auto& [_, b] : named_buffers())
    if (b.is_floating_point()) swap_data(b, b.to(dtype));
}

void Module::to(Device device) {
  NoGradGuard no_grad;
  for (auto& [_, p] : named_parameters()) swap_data(p, p.to(device));
  for (auto& [_, b] : named_buffers()) swap_data(b, b.to(device));
}

void Module::apply(const std::function<void(Module&)>& fn) {
  fn(*this);
  for (auto& [_, m] : children_) m->apply(fn);
}

StateDict Module::state_dict() const {
  StateDict out;
  for (auto& [n, t] : named_parameters()) out[n] = t.detach();
  for (auto& [n, t] : named_buffers()) out[n] = t.detach();
  return out;
}

void Module::load_state_dict(const StateDict& state, bool strict) {
  std::vector<std::pair<std::string, Tensor>> own = named_parameters();
  for (auto& nb : named_buffers()) own.push_back(nb);
  std::vector<std::string> missing, unexpected, mismatched;
  for (const auto& [name, t] : own) {
    auto it = state.find(name);
    if (it == state.end()) {
      missing.push_back(name);
      continue;
    }
    const Tensor& v = it->second;
    if (!v.defined() || v.sizes() != t.sizes() || v.dtype() != t.dtype())
      mismatched.push_back(fmt::format("{} (expected {} {}, got {})", name, t.dtype(),
                                       shape_str(t.sizes()), v.describe()));
  }
  for (const auto& [name, _] : state) {
    bool known = false;
    for (const auto& [n, t] : own) known = known || n == name;
    if (!known) unexpected.push_back(name);
  }
  std::string problems;
  if (!mismatched.empty())
    problems += fmt::format("\n  shape/dtype mismatch: {}", fmt::join(mismatched, ", "));
  if (strict && !missing.empty())
    problems += fmt::format("\n  missing keys: {}", fmt::join(missing, ", "));
  if (strict && !unexpected.empty())
    problems += fmt::format("\n  unexpected keys: {}", fmt::join(unexpected, ", "));
  EMBER_CHECK(problems.empty(), "load_state_dict: {} cannot load this state:{}", type_name_,
              problems);
  NoGradGuard no_grad;
  for (auto& [name, t] : own) {
    auto it = state.find(name);
    if (it == state.end()) continue;
    Tensor dst = t;
    dst.copy_(it->second);
  }
}

void Module::print(std::string& out, const std::string& name, int indent) const {
  const std::string pad(static_cast<size_t>(indent), ' ');
  const int64_t own = count(parameters_);
  const int64_t total = num_parameters();
  out += pad;
  if (!name.empty()) out += "(" + name + "): ";
  out += type_name_;
  const std::string extra = extra_repr();
  if (children_.empty()) {
    out += "(" + extra + ")";
    if (total) out += fmt::format("  # {} params", total);
    out += "\n";
    return;
  }
  out += "(" + extra;
  out +=
      fmt::format(")  # {} params{}\n", total, own ? fmt::format(" ({} own)", own) : std::string());
  for (const auto& [n, m] : children_) m->print(out, n, indent + 2);
}

std::string Module::str() const {
  std::string out;
  print(out, "", 0);
  if (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

}  // namespace ember::nn
