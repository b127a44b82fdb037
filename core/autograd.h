#pragma once
// The autograd graph. Every differentiable op that sees an input requiring grad records a Node:
// the backward function, one Edge per input (to the node that produced that input), and the
// tensors it saved. backward() walks the nodes in reverse topological order.
//
// An op records itself like this (ops/unary.cpp, exp):
//
//   Tensor out = ...forward kernel...;
//   if (auto node = make_node("exp", {x}, {out}))
//     node->backward = [r = SavedTensor(out)](const TensorList& g) -> TensorList {
//       return {g[0] * r.unpack()};          // d exp(x)/dx = exp(x)
//     };
//
// Backward formulas are written with differentiable ops, so running them with grad mode on
// (create_graph=true) records a graph of the backward pass: higher-order gradients for free.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ember/core/grad_mode.h"
#include "ember/core/tensor.h"

namespace ember {

// The shape/dtype/device a gradient flowing along an edge must have.
struct TensorMeta {
  Shape sizes;
  DType dtype = kFloat32;
  Device device;
};

struct Edge {
  std::shared_ptr<Node> node;  // null: the input needs no gradient
  uint32_t input_nr = 0;       // which output of `node` the input was
};

class Node : public std::enable_shared_from_this<Node> {
 public:
  explicit Node(std::string name);
  virtual ~Node() = default;
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // Given d(loss)/d(output_i) for each output, returns d(loss)/d(input_j) for each input edge
  // (an undefined Tensor means "no gradient").
  virtual TensorList apply(const TensorList& grad_outputs) = 0;
  // Drops saved tensors once backward has used them (unless retain_graph).
  virtual void release() {}

  const std::string& name() const { return name_; }
  uint64_t sequence_nr() const { return sequence_nr_; }
  size_t num_outputs() const { return outputs.size(); }

  void add_pre_hook(uint32_t output_nr, std::function<Tensor(const Tensor&)> hook);
  // Runs the hooks of one output; returns the (possibly replaced) gradient.
  Tensor run_pre_hooks(uint32_t output_nr, Tensor grad) const;

  std::vector<Edge> next_edges;    // one per input
  std::vector<TensorMeta> inputs;  // what each input gradient must look like
  std::vector<TensorMeta> outputs;

 private:
  std::string name_;
  uint64_t sequence_nr_;  // creation order; later nodes run first in backward
  std::map<uint32_t, std::vector<std::function<Tensor(const Tensor&)>>> pre_hooks_;
};

// A node whose backward is a function object: what every built-in op and custom function uses.
class FunctionNode : public Node {
 public:
  using Backward = std::function<TensorList(const TensorList& grad_outputs)>;
  explicit FunctionNode(std::string name) : Node(std::move(name)) {}
  TensorList apply(const TensorList& grad_outputs) override;
  void release() override { backward = nullptr; }
  Backward backward;
};

// The sink of a leaf tensor: adds the incoming gradient into leaf.grad().
class AccumulateGrad : public Node {
 public:
  explicit AccumulateGrad(std::shared_ptr<TensorImpl> leaf);
  TensorList apply(const TensorList& grad_outputs) override;
  const std::shared_ptr<TensorImpl>& leaf() const { return leaf_; }
  // The hooks registered on the leaf with register_hook, applied in order.
  Tensor run_leaf_hooks(Tensor grad) const;

 private:
  std::shared_ptr<TensorImpl> leaf_;
};

// A tensor kept for backward. Remembers the version of its storage: if an in-place op changed
// the data afterwards, unpack() refuses, naming the op that did it, instead of returning a wrong
// gradient. It holds the producing node weakly so an op saving its own output makes no cycle.
class SavedTensor {
 public:
  SavedTensor() = default;
  explicit SavedTensor(const Tensor& t);
  Tensor unpack() const;
  bool defined() const { return data_.defined(); }

 private:
  Tensor data_;  // a leaf, or an alias of a non-leaf without its grad_fn
  std::weak_ptr<Node> grad_fn_;
  uint32_t output_nr_ = 0;
  bool requires_grad_ = false;
  uint64_t version_ = 0;
};

// Raised by SavedTensor::unpack; the engine adds the name of the node that saved the tensor.
class SavedTensorModified : public Error {
 public:
  using Error::Error;
};

// True when ops should record a graph for these inputs.
bool needs_grad(const TensorList& inputs);
bool needs_grad(const Tensor& input);

// Creates a FunctionNode for `outputs` computed from `inputs` and makes it their grad_fn, or
// returns null when grad mode is off or no input requires grad. The caller sets ->backward.
std::shared_ptr<FunctionNode> make_node(std::string name, const TensorList& inputs,
                                        const TensorList& outputs);

// The edge along which a gradient for `t` flows: its grad_fn, or its leaf accumulator.
Edge gradient_edge(const Tensor& t);

// Reverse-mode autodiff from `outputs`, seeded with `grad_outputs` (undefined entries mean
// ones for one-element outputs). Accumulates into the .grad() of leaves.
void backward(const TensorList& outputs, const TensorList& grad_outputs = {},
              bool retain_graph = false, bool create_graph = false);

// The gradients of `outputs` with respect to `inputs`, returned instead of accumulated into
// .grad(). With create_graph the results are themselves differentiable (higher-order grads).
TensorList grad(const TensorList& outputs, const TensorList& inputs,
                const TensorList& grad_outputs = {}, std::optional<bool> retain_graph = {},
                bool create_graph = false, bool allow_unused = false);

}  // namespace ember
