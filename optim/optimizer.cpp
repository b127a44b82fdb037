#include "ember/optim/optimizer.h"

#include <algorithm>
#include <charconv>
#include <unordered_set>

#include "ember/core/grad_mode.h"
#include "ember/ops/convert.h"
#include "ember/ops/factory.h"

namespace ember::optim {

void check_hyperparameter(bool ok, std::string_view op, std::string_view what, double value,
                          std::string_view expected) {
  EMBER_CHECK(ok, "{}: invalid {} {} (expected {})", op, what, value, expected);
}

Optimizer::Optimizer(std::string name, double default_lr, double default_weight_decay)
    : name_(std::move(name)),
      default_lr_(default_lr),
      default_weight_decay_(default_weight_decay) {}

void Optimizer::set_defaults(double lr, double weight_decay) {
  default_lr_ = lr;
  default_weight_decay_ = weight_decay;
}

void Optimizer::init_groups(std::vector<ParamGroup> groups) {
  size_t count = 0;
  for (const auto& g : groups) count += g.params.size();
  EMBER_CHECK(count > 0, "{}: got an empty parameter list", name_);
  for (auto& g : groups) add_param_group(std::move(g));
}

void Optimizer::add_param_group(ParamGroup group) {
  if (std::isnan(group.lr)) group.lr = default_lr_;
  if (std::isnan(group.weight_decay)) group.weight_decay = default_weight_decay_;
  const size_t g = groups_.size();
  check_hyperparameter(group.lr >= 0, name_, fmt::format("lr of parameter group {}", g), group.lr,
                       ">= 0");
  check_hyperparameter(group.weight_decay >= 0, name_,
                       fmt::format("weight_decay of parameter group {}", g), group.weight_decay,
                       ">= 0");
  std::unordered_set<const TensorImpl*> seen;
  for (const auto& existing : groups_)
    for (const auto& p : existing.params) seen.insert(p.impl());
  for (size_t i = 0; i < group.params.size(); ++i) {
    const Tensor& p = group.params[i];
    EMBER_CHECK(p.defined(), "{}: parameter {} of group {} is an undefined tensor", name_, i, g);
    EMBER_CHECK(p.is_floating_point(),
                "{}: parameter {} of group {} is a {}; only float32/float64 tensors can be "
                "optimized",
                name_, i, g, p.describe());
    EMBER_CHECK(p.is_leaf(), "{}: parameter {} of group {} ({}) is not a leaf tensor", name_, i, g,
                p.describe());
    EMBER_CHECK(seen.insert(p.impl()).second,
                "{}: parameter {} of group {} ({}) appears more than once in the optimizer's "
                "parameter groups",
                name_, i, g, p.describe());
  }
  groups_.push_back(std::move(group));
}

void Optimizer::zero_grad(bool set_to_none) {
  NoGradGuard no_grad;
  for (auto& group : groups_) {
    for (auto& p : group.params) {
      if (!p.grad().defined()) continue;
      if (set_to_none) {
        p.mutable_grad() = {};
      } else {
        // A gradient built with create_graph is cut from its graph before being zeroed.
        Tensor g = p.grad().detach();
        g.zero_();
        p.mutable_grad() = g;
      }
    }
  }
}

const ParamState* Optimizer::state(const Tensor& param) const {
  auto it = state_.find(param.impl());
  return it == state_.end() || it->second.step == 0 ? nullptr : &it->second;
}

Tensor Optimizer::new_buffer(const Tensor& param) {
  return zeros(param.sizes(), TensorOptions(param.dtype(), param.device()));
}

void Optimizer::for_each_update(const UpdateFn& update) {
  NoGradGuard no_grad;
  for (size_t g = 0; g < groups_.size(); ++g) {
    ParamGroup& group = groups_[g];
    for (size_t i = 0; i < group.params.size(); ++i) {
      Tensor& param = group.params[i];
      const Tensor& grad = param.grad();
      if (!grad.defined()) continue;
      check_cpu(name_, param);
      check_cpu(name_, grad);
      EMBER_CHECK(grad.dtype() == param.dtype() && grad.sizes() == param.sizes(),
                  "{}: the gradient of parameter {} of group {} is a {} but the parameter is a {}",
                  name_, i, g, grad.describe(), param.describe());
      ParamState& st = state_[param.impl()];
      for (const auto& [buffer_name, buffer] : st.buffers)
        EMBER_CHECK(buffer.dtype() == param.dtype() && buffer.sizes() == param.sizes(),
                    "{}: state '{}' of parameter {} of group {} is a {} but the parameter is a {} "
                    "(was the parameter converted after the optimizer took a step?)",
                    name_, buffer_name, i, g, buffer.describe(), param.describe());
      const Tensor dense_grad = grad.is_contiguous() ? grad : grad.contiguous();
      if (param.is_contiguous()) {
        update(group, param, dense_grad, st);
        param.storage()->bump_version("optimizer.step");
      } else {
        Tensor work = param.clone();
        update(group, work, dense_grad, st);
        param.copy_(work);
      }
    }
  }
}

// --- state_dict --------------------------------------------------------------------------------

namespace {

Tensor scalar64(double value) {
  return scalar_tensor(value, kFloat64);
}

std::string group_key(size_t g, std::string_view field) {
  return fmt::format("group.{}.{}", g, field);
}
std::string state_key(size_t g, size_t i, std::string_view field) {
  return fmt::format("state.{}.{}.{}", g, i, field);
}

bool parse_index(std::string_view text, size_t& out) {
  if (text.empty() || (text.size() > 1 && text[0] == '0')) return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

std::vector<std::string_view> split_dots(std::string_view key, size_t max_parts) {
  std::vector<std::string_view> parts;
  while (parts.size() + 1 < max_parts) {
    const size_t dot = key.find('.');
    if (dot == std::string_view::npos) break;
    parts.push_back(key.substr(0, dot));
    key.remove_prefix(dot + 1);
  }
  parts.push_back(key);
  return parts;
}

// Reads and checks the entries of a state dict, naming the key in every error.
struct Reader {
  const StateDict& dict;
  std::string op;

  const Tensor& get(const std::string& key) const {
    auto it = dict.find(key);
    EMBER_CHECK(it != dict.end(), "{}: load_state_dict: missing key '{}'", op, key);
    EMBER_CHECK(it->second.defined(), "{}: load_state_dict: '{}' is an undefined tensor", op, key);
    return it->second;
  }
  const Tensor& scalar(const std::string& key, DType dtype) const {
    const Tensor& t = get(key);
    EMBER_CHECK(t.dim() == 0 && t.dtype() == dtype,
                "{}: load_state_dict: '{}' should be a 0-d {} tensor, got a {}", op, key, dtype,
                t.describe());
    return t;
  }
  double real(const std::string& key) const {
    return scalar(key, kFloat64).to(kCPU).item<double>();
  }
  int64_t integer(const std::string& key) const {
    return scalar(key, kInt64).to(kCPU).item<int64_t>();
  }
};

}  // namespace

StateDict Optimizer::state_dict() const {
  NoGradGuard no_grad;
  StateDict out;
  for (const auto& [key, value] : hyperparameters()) out["options." + key] = scalar64(value);
  for (size_t g = 0; g < groups_.size(); ++g) {
    const ParamGroup& group = groups_[g];
    out[group_key(g, "lr")] = scalar64(group.lr);
    out[group_key(g, "weight_decay")] = scalar64(group.weight_decay);
    out[group_key(g, "initial_lr")] = scalar64(group.initial_lr);
    out[group_key(g, "num_params")] =
        scalar_tensor(static_cast<double>(group.params.size()), kInt64);
    for (size_t i = 0; i < group.params.size(); ++i) {
      const ParamState* st = state(group.params[i]);
      if (!st) continue;
      out[state_key(g, i, "step")] = scalar_tensor(static_cast<double>(st->step), kInt64);
      for (const auto& [name, buffer] : st->buffers)
        out[state_key(g, i, name)] = buffer.detach().clone();
    }
  }
  return out;
}

void Optimizer::load_state_dict(const StateDict& dict) {
  const Reader read{dict, name_};
  const std::string op = name_ + ": load_state_dict";

  // Options first: they decide which state buffers are expected.
  const auto old_options = hyperparameters();
  std::map<std::string, double> new_options;
  for (const auto& [key, _] : old_options) new_options[key] = read.real("options." + key);
  set_hyperparameters(new_options);

  try {
    // Sort every key into its place; anything else is unexpected.
    struct Loaded {
      int64_t step = -1;
      std::map<std::string, Tensor> buffers;
    };
    std::map<std::pair<size_t, size_t>, Loaded> loaded;
    for (const auto& [key, value] : dict) {
      const auto parts = split_dots(key, 4);
      size_t g = 0, i = 0;
      if (parts[0] == "options" && parts.size() == 2 && old_options.count(std::string(parts[1])))
        continue;
      if (parts[0] == "group" && parts.size() == 3 && parse_index(parts[1], g)) {
        EMBER_CHECK(g < groups_.size(),
                    "{}: key '{}' is for parameter group {} but the optimizer has {} group(s)", op,
                    key, g, groups_.size());
        if (parts[2] == "lr" || parts[2] == "weight_decay" || parts[2] == "initial_lr" ||
            parts[2] == "num_params")
          continue;
      }
      if (parts[0] == "state" && parts.size() == 4 && parse_index(parts[1], g) &&
          parse_index(parts[2], i)) {
        EMBER_CHECK(g < groups_.size(),
                    "{}: key '{}' is for parameter group {} but the optimizer has {} group(s)", op,
                    key, g, groups_.size());
        EMBER_CHECK(i < groups_[g].params.size(),
                    "{}: key '{}' is for parameter {} of group {}, which has {} parameter(s)", op,
                    key, i, g, groups_[g].params.size());
        Loaded& entry = loaded[{g, i}];
        if (parts[3] == "step") {
          entry.step = read.integer(key);
          EMBER_CHECK(entry.step >= 1, "{}: '{}' is {}, expected a step count >= 1", op, key,
                      entry.step);
        } else {
          entry.buffers[std::string(parts[3])] = value;
        }
        continue;
      }
      fail("{}: unexpected key '{}'", op, key);
    }

    struct GroupValues {
      double lr, weight_decay, initial_lr;
    };
    std::vector<GroupValues> group_values;
    for (size_t g = 0; g < groups_.size(); ++g) {
      const int64_t count = read.integer(group_key(g, "num_params"));
      EMBER_CHECK(count == static_cast<int64_t>(groups_[g].params.size()),
                  "{}: '{}' is {} but parameter group {} of the optimizer has {} parameter(s)", op,
                  group_key(g, "num_params"), count, g, groups_[g].params.size());
      const GroupValues values{read.real(group_key(g, "lr")),
                               read.real(group_key(g, "weight_decay")),
                               read.real(group_key(g, "initial_lr"))};
      check_hyperparameter(values.lr >= 0, op, group_key(g, "lr"), values.lr, ">= 0");
      check_hyperparameter(values.weight_decay >= 0, op, group_key(g, "weight_decay"),
                           values.weight_decay, ">= 0");
      group_values.push_back(values);
    }

    const auto required = state_buffer_names();
    for (const auto& [where, entry] : loaded) {
      const auto [g, i] = where;
      const Tensor& param = groups_[g].params[i];
      EMBER_CHECK(entry.step >= 1, "{}: missing key '{}'", op, state_key(g, i, "step"));
      for (const auto& name : required)
        EMBER_CHECK(entry.buffers.count(name), "{}: missing key '{}'", op, state_key(g, i, name));
      for (const auto& [name, buffer] : entry.buffers) {
        const std::string key = state_key(g, i, name);
        EMBER_CHECK(std::find(required.begin(), required.end(), name) != required.end(),
                    "{}: unexpected key '{}'", op, key);
        EMBER_CHECK(buffer.defined(), "{}: '{}' is an undefined tensor", op, key);
        EMBER_CHECK(buffer.sizes() == param.sizes() && buffer.dtype() == param.dtype(),
                    "{}: '{}' is a {} but parameter {} of group {} is a {}", op, key,
                    buffer.describe(), i, g, param.describe());
      }
    }

    // Everything checked: apply.
    NoGradGuard no_grad;
    for (size_t g = 0; g < groups_.size(); ++g) {
      groups_[g].lr = group_values[g].lr;
      groups_[g].weight_decay = group_values[g].weight_decay;
      groups_[g].initial_lr = group_values[g].initial_lr;
    }
    state_.clear();
    for (const auto& [where, entry] : loaded) {
      const Tensor& param = groups_[where.first].params[where.second];
      ParamState& st = state_[param.impl()];
      st.step = entry.step;
      for (const auto& [name, buffer] : entry.buffers)
        st.buffers[name] = buffer.detach().to(param.device()).clone();
    }
  } catch (...) {
    set_hyperparameters(old_options);
    throw;
  }
}

}  // namespace ember::optim
