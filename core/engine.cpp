// The backward pass. Read top to bottom:
//  1. find every node reachable from the outputs and count, for each, how many edges lead into
//     it (its dependencies): a node may run only once all its gradients have arrived;
//  2. seed the outputs' gradients;
//  3. repeatedly take a ready node (latest created first), call its backward, and add the
//     gradients it returns into the input buffers of the nodes its edges point to;
//  4. free each node's saved tensors as it finishes, unless retain_graph.
#include <queue>
#include <unordered_map>
#include <unordered_set>

#include "ember/core/autograd.h"
#include "ember/ops/elementwise.h"
#include "ember/ops/factory.h"

namespace ember {

namespace {

struct LaterFirst {
  bool operator()(const Node* a, const Node* b) const {
    return a->sequence_nr() < b->sequence_nr();
  }
};

// Gradient slots of one node: one per output, filled as edges deliver gradients.
using InputBuffer = TensorList;

void accumulate(InputBuffer& buffer, uint32_t slot, const Tensor& g) {
  if (!g.defined()) return;
  Tensor& dst = buffer[slot];
  dst = dst.defined() ? dst.add(g) : g;
}

void check_gradient(const Node& node, size_t i, const Tensor& g) {
  const TensorMeta& want = node.inputs[i];
  EMBER_CHECK(
      g.sizes() == want.sizes && g.dtype() == want.dtype && g.device() == want.device,
      "backward of `{}` returned a gradient for input {} that is a {}, but the input is a {} "
      "tensor of shape {} on {}",
      node.name(), i, g.describe(), want.dtype, shape_str(want.sizes), want.device);
}

// Breadth-first over the graph from `roots`: dependency counts, and (for grad()) whether a node
// leads to one of the requested inputs, so nodes that don't are never run.
struct GraphInfo {
  std::unordered_map<Node*, int> dependencies;
  std::unordered_set<Node*> needed;  // only filled when capturing
};

GraphInfo analyse(const std::vector<Node*>& roots, const std::unordered_set<Node*>* capture_nodes) {
  GraphInfo info;
  std::vector<Node*> order;  // discovery order
  std::unordered_set<Node*> seen(roots.begin(), roots.end());
  std::vector<Node*> stack(roots.begin(), roots.end());
  order.insert(order.end(), roots.begin(), roots.end());
  while (!stack.empty()) {
    Node* node = stack.back();
    stack.pop_back();
    for (const Edge& e : node->next_edges) {
      Node* next = e.node.get();
      if (!next) continue;
      ++info.dependencies[next];
      if (seen.insert(next).second) {
        stack.push_back(next);
        order.push_back(next);
      }
    }
  }
  if (capture_nodes) {
    // A node is needed if it is a capture point or feeds one. Fixed point over the discovery
    // order; iterate until nothing changes (graphs are DAGs, so this terminates quickly).
    bool changed = true;
    while (changed) {
      changed = false;
      for (auto it = order.rbegin(); it != order.rend(); ++it) {
        Node* node = *it;
        if (info.needed.count(node)) continue;
        bool need = capture_nodes->count(node) > 0;
        for (const Edge& e : node->next_edges)
          if (e.node && info.needed.count(e.node.get())) need = true;
        if (need) {
          info.needed.insert(node);
          changed = true;
        }
      }
    }
  }
  return info;
}

struct CapturePoint {
  size_t input_index;
  uint32_t slot;
};

// The engine proper. When `captures` is non-empty (grad()), gradients arriving at those
// (node, slot) points are returned instead of accumulated into leaves.
TensorList run_backward(const TensorList& outputs, const TensorList& grad_outputs,
                        bool retain_graph, bool create_graph, const TensorList& capture_inputs,
                        bool allow_unused) {
  EMBER_CHECK(grad_outputs.empty() || grad_outputs.size() == outputs.size(),
              "backward: got {} gradients for {} outputs", grad_outputs.size(), outputs.size());
  const bool capturing = !capture_inputs.empty();

  std::unordered_map<Node*, InputBuffer> buffers;
  std::vector<std::shared_ptr<Node>> keep_alive;  // roots may be held only by temporaries
  std::vector<Node*> roots;
  for (size_t i = 0; i < outputs.size(); ++i) {
    const Tensor& out = outputs[i];
    check_defined("backward", out, "output");
    EMBER_CHECK(
        out.requires_grad(),
        "backward: output {} ({}) does not require grad and has no grad_fn; did you compute "
        "it under NoGradGuard, or forget requires_grad_() on the parameters?",
        i, out.describe());
    Tensor seed = grad_outputs.empty() ? Tensor() : grad_outputs[i];
    if (!seed.defined()) {
      EMBER_CHECK(out.numel() == 1,
                  "backward: a gradient can be created implicitly only for one-element outputs; "
                  "output {} has shape {}, pass its gradient explicitly",
                  i, shape_str(out.sizes()));
      seed = ones_like(out);
    }
    EMBER_CHECK(seed.sizes() == out.sizes() && seed.dtype() == out.dtype(),
                "backward: the gradient for output {} is a {}, expected the output's {}", i,
                seed.describe(), out.describe());
    Edge edge = gradient_edge(out);
    auto& buf = buffers[edge.node.get()];
    buf.resize(edge.node->num_outputs());
    accumulate(buf, edge.input_nr, create_graph ? seed : seed.detach());
    if (std::find(roots.begin(), roots.end(), edge.node.get()) == roots.end())
      roots.push_back(edge.node.get());
    keep_alive.push_back(std::move(edge.node));
  }

  std::unordered_map<Node*, std::vector<CapturePoint>> capture_at;
  std::unordered_set<Node*> capture_nodes;
  std::vector<Edge> capture_edges;  // keeps the accumulators of leaf inputs alive
  for (size_t i = 0; i < capture_inputs.size(); ++i) {
    const Tensor& in = capture_inputs[i];
    check_defined("grad", in, "input");
    EMBER_CHECK(in.requires_grad(), "grad: input {} ({}) does not require grad", i, in.describe());
    Edge edge = gradient_edge(in);
    capture_at[edge.node.get()].push_back({i, edge.input_nr});
    capture_nodes.insert(edge.node.get());
    capture_edges.push_back(std::move(edge));
  }
  TensorList captured(capture_inputs.size());

  GraphInfo info = analyse(roots, capturing ? &capture_nodes : nullptr);
  std::priority_queue<Node*, std::vector<Node*>, LaterFirst> ready;
  for (Node* r : roots)
    if (info.dependencies[r] == 0) ready.push(r);

  AutoGradMode mode(create_graph);
  while (!ready.empty()) {
    Node* node = ready.top();
    ready.pop();
    InputBuffer grads = std::move(buffers[node]);
    buffers.erase(node);
    grads.resize(node->num_outputs());
    for (uint32_t slot = 0; slot < grads.size(); ++slot) {
      if (!grads[slot].defined()) continue;
      grads[slot] = node->run_pre_hooks(slot, grads[slot]);
    }

    const bool is_accumulator = dynamic_cast<AccumulateGrad*>(node) != nullptr;
    if (auto it = capture_at.find(node); it != capture_at.end()) {
      for (const CapturePoint& p : it->second) {
        Tensor g = grads[p.slot];
        if (is_accumulator && g.defined())
          g = static_cast<AccumulateGrad*>(node)->run_leaf_hooks(g);
        captured[p.input_index] = g;
      }
    }
    if (capturing) {
      // Run a node only if its backward leads on to a requested input.
      bool feeds_capture = false;
      for (const Edge& e : node->next_edges)
        if (e.node && info.needed.count(e.node.get())) feeds_capture = true;
      if (is_accumulator || !feeds_capture) continue;
    }

    // Outputs nobody used still need a gradient of the right shape: zeros.
    for (uint32_t slot = 0; slot < grads.size(); ++slot)
      if (!grads[slot].defined()) {
        const TensorMeta& m = node->outputs[slot];
        grads[slot] = zeros(m.sizes, TensorOptions(m.dtype, m.device));
      }

    TensorList input_grads;
    try {
      input_grads = node->apply(grads);
    } catch (const SavedTensorModified& e) {
      fail("backward of `{}`: {}", node->name(), e.what());
    }
    if (!retain_graph) node->release();

    EMBER_CHECK(input_grads.size() <= node->next_edges.size(),
                "backward of `{}` returned {} gradients for {} inputs", node->name(),
                input_grads.size(), node->next_edges.size());
    for (size_t i = 0; i < node->next_edges.size(); ++i) {
      const Edge& edge = node->next_edges[i];
      Node* next = edge.node.get();
      if (!next) continue;
      if (i < input_grads.size() && input_grads[i].defined()) {
        check_gradient(*node, i, input_grads[i]);
        auto& buf = buffers[next];
        buf.resize(next->num_outputs());
        accumulate(buf, edge.input_nr, input_grads[i]);
      }
      if (--info.dependencies[next] == 0) ready.push(next);
    }
  }

  if (capturing)
    for (size_t i = 0; i < captured.size(); ++i)
      EMBER_CHECK(captured[i].defined() || allow_unused,
                  "grad: input {} ({}) was not used to compute the outputs; pass "
                  "allow_unused=true to get an undefined gradient for it",
                  i, capture_inputs[i].describe());
  return captured;
}

}  // namespace

void backward(const TensorList& outputs, const TensorList& grad_outputs, bool retain_graph,
              bool create_graph) {
  run_backward(outputs, grad_outputs, retain_graph || create_graph, create_graph, {}, false);
}

TensorList grad(const TensorList& outputs, const TensorList& inputs, const TensorList& grad_outputs,
                std::optional<bool> retain_graph, bool create_graph, bool allow_unused) {
  EMBER_CHECK(!inputs.empty(), "grad: no inputs given");
  return run_backward(outputs, grad_outputs, retain_graph.value_or(create_graph), create_graph,
                      inputs, allow_unused);
}

void Tensor::backward(const Tensor& gradient, bool retain_graph, bool create_graph) const {
  ember::backward({*this}, {gradient}, retain_graph, create_graph);
}

}  // namespace ember
