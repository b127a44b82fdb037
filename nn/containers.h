#pragma once
// Containers: Sequential (calls its modules in order), ModuleList and ModuleDict (hold modules
// so their parameters are registered; the owner decides how to call them).
#include <memory>
#include <string>
#include <vector>

#include "ember/nn/module.h"

namespace ember::nn {

class Sequential : public Module {
 public:
  Sequential() : Module("Sequential") {}
  // Any module with `Tensor forward(const Tensor&)`.
  template <typename M>
  Sequential& push_back(std::shared_ptr<M> module) {
    std::shared_ptr<M> m = register_module(std::to_string(steps_.size()), std::move(module));
    steps_.push_back([m](const Tensor& x) { return m->forward(x); });
    return *this;
  }
  Tensor forward(const Tensor& x) const;
  size_t size() const { return steps_.size(); }

 private:
  std::vector<std::function<Tensor(const Tensor&)>> steps_;
};

class ModuleList : public Module {
 public:
  ModuleList() : Module("ModuleList") {}
  template <typename M>
  std::shared_ptr<M> push_back(std::shared_ptr<M> module) {
    auto m = register_module(std::to_string(items_.size()), std::move(module));
    items_.push_back(m);
    return m;
  }
  size_t size() const { return items_.size(); }
  const std::shared_ptr<Module>& operator[](size_t i) const;
  // The i-th module as its concrete type; throws if it is not an M.
  template <typename M>
  std::shared_ptr<M> at(size_t i) const {
    auto typed = std::dynamic_pointer_cast<M>((*this)[i]);
    EMBER_CHECK(typed != nullptr, "ModuleList: item {} is a {}, not the requested type", i,
                (*this)[i]->type_name());
    return typed;
  }
  auto begin() const { return items_.begin(); }
  auto end() const { return items_.end(); }

 private:
  std::vector<std::shared_ptr<Module>> items_;
};

class ModuleDict : public Module {
 public:
  ModuleDict() : Module("ModuleDict") {}
  template <typename M>
  std::shared_ptr<M> insert(const std::string& key, std::shared_ptr<M> module) {
    auto m = register_module(key, std::move(module));
    keys_.push_back(key);
    return m;
  }
  bool contains(const std::string& key) const;
  std::shared_ptr<Module> operator[](const std::string& key) const { return child(key); }
  template <typename M>
  std::shared_ptr<M> at(const std::string& key) const {
    auto typed = std::dynamic_pointer_cast<M>(child(key));
    EMBER_CHECK(typed != nullptr, "ModuleDict: '{}' is a {}, not the requested type", key,
                child(key)->type_name());
    return typed;
  }
  const std::vector<std::string>& keys() const { return keys_; }

 private:
  std::vector<std::string> keys_;
};

}  // namespace ember::nn
