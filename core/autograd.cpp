#include "ember/core/autograd.h"

#include "ember/ops/elementwise.h"

namespace ember {

namespace {
thread_local bool grad_enabled = true;
thread_local uint64_t next_sequence_nr = 0;

TensorMeta meta_of(const Tensor& t) {
  return {t.sizes(), t.dtype(), t.device()};
}
}  // namespace

bool GradMode::is_enabled() {
  return grad_enabled;
}
void GradMode::set_enabled(bool enabled) {
  grad_enabled = enabled;
}

Node::Node(std::string name) : name_(std::move(name)), sequence_nr_(next_sequence_nr++) {}

void Node::add_pre_hook(uint32_t output_nr, std::function<Tensor(const Tensor&)> hook) {
  pre_hooks_[output_nr].push_back(std::move(hook));
}

Tensor Node::run_pre_hooks(uint32_t output_nr, Tensor grad) const {
  auto it = pre_hooks_.find(output_nr);
  if (it == pre_hooks_.end()) return grad;
  for (const auto& hook : it->second) {
    Tensor replaced = hook(grad);
    if (replaced.defined()) grad = std::move(replaced);
  }
  return grad;
}

TensorList FunctionNode::apply(const TensorList& grad_outputs) {
  EMBER_CHECK(backward != nullptr,
              "backward: the graph through `{}` was already freed by an earlier backward(); pass "
              "retain_graph=true to the first call to run backward through it twice",
              name());
  return backward(grad_outputs);
}

AccumulateGrad::AccumulateGrad(std::shared_ptr<TensorImpl> leaf)
    : Node("AccumulateGrad"), leaf_(std::move(leaf)) {
  outputs.push_back({leaf_->sizes, leaf_->dtype, leaf_->storage->device()});
}

Tensor AccumulateGrad::run_leaf_hooks(Tensor grad) const {
  for (const auto& hook : leaf_->leaf_hooks) {
    Tensor replaced = hook(grad);
    if (replaced.defined()) grad = std::move(replaced);
  }
  return grad;
}

TensorList AccumulateGrad::apply(const TensorList& grad_outputs) {
  const Tensor g = run_leaf_hooks(grad_outputs.at(0));
  Tensor& acc = leaf_->grad;
  if (GradMode::is_enabled()) {  // create_graph: keep the gradient differentiable
    acc = acc.defined() ? acc.add(g) : g;
  } else if (!acc.defined()) {
    // The incoming gradient may alias other tensors (an expanded view, a saved buffer); the
    // optimizer will update .grad in place, so the leaf gets memory of its own.
    acc = g.detach().clone();
  } else {
    acc.add_(g);
  }
  return {};
}

SavedTensor::SavedTensor(const Tensor& t) {
  if (!t.defined()) return;
  version_ = t.version();
  requires_grad_ = t.requires_grad();
  if (t.grad_fn()) {
    data_ = t.detach();
    grad_fn_ = t.grad_fn();
    output_nr_ = t.output_nr();
  } else {
    data_ = t;
  }
}

Tensor SavedTensor::unpack() const {
  if (!data_.defined()) return {};
  if (data_.version() != version_)
    throw SavedTensorModified(fmt::format(
        "a tensor saved for backward ({}) was modified in place by `{}` afterwards (saved at "
        "version {}, now {}); clone() it before the in-place op, or use the out-of-place op",
        data_.describe(), data_.storage()->last_writer(), version_, data_.version()));
  auto node = grad_fn_.lock();
  if (!node) return data_;
  Tensor t = data_.detach();
  t.impl()->grad_fn = std::move(node);
  t.impl()->output_nr = output_nr_;
  t.impl()->requires_grad = requires_grad_;
  return t;
}

bool needs_grad(const Tensor& input) {
  return GradMode::is_enabled() && input.defined() && input.requires_grad();
}

bool needs_grad(const TensorList& inputs) {
  if (!GradMode::is_enabled()) return false;
  for (const auto& t : inputs)
    if (t.defined() && t.requires_grad()) return true;
  return false;
}

Edge gradient_edge(const Tensor& t) {
  TensorImpl* impl = t.impl();
  if (impl->grad_fn) return {impl->grad_fn, impl->output_nr};
  if (!impl->requires_grad) return {};
  auto acc = impl->grad_accumulator.lock();
  if (!acc) {
    acc = std::make_shared<AccumulateGrad>(t.impl_ptr());
    impl->grad_accumulator = acc;
  }
  return {acc, 0};
}

std::shared_ptr<FunctionNode> make_node(std::string name, const TensorList& inputs,
                                        const TensorList& outputs) {
  if (!needs_grad(inputs)) return nullptr;
  auto node = std::make_shared<FunctionNode>(std::move(name));
  node->next_edges.reserve(inputs.size());
  node->inputs.reserve(inputs.size());
  for (const auto& t : inputs) {
    if (t.defined()) {
      node->next_edges.push_back(gradient_edge(t));
      node->inputs.push_back(meta_of(t));
    } else {
      node->next_edges.push_back({});
      node->inputs.push_back({});
    }
  }
  for (uint32_t i = 0; i < outputs.size(); ++i) {
    TensorImpl* out = outputs[i].impl();
    out->requires_grad = true;
    out->grad_fn = node;
    out->output_nr = i;
    node->outputs.push_back(meta_of(outputs[i]));
  }
  return node;
}

}  // namespace ember
