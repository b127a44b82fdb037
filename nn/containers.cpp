#include "ember/nn/containers.h"

namespace ember::nn {

Tensor Sequential::forward(const Tensor& x) const {
  Tensor y = x;
  for (const auto& step : steps_) y = step(y);
  return y;
}

const std::shared_ptr<Module>& ModuleList::operator[](size_t i) const {
  EMBER_CHECK(i < items_.size(), "ModuleList: index {} is out of range for {} modules", i,
              items_.size());
  return items_[i];
}

bool ModuleDict::contains(const std::string& key) const {
  return std::find(keys_.begin(), keys_.end(), key) != keys_.end();
}

}  // namespace ember::nn
