#pragma once
// Draws the autograd graph behind tensors as Graphviz DOT, for learning how backward works.
//
//   auto x = ember::randn({4, 3});
//   auto w = ember::randn({3, 2}).requires_grad_().set_name("w");
//   auto loss = x.matmul(w).tanh().sum();
//   ember::save_dot(loss, "graph.dot");   // then: dot -Tsvg graph.dot -o graph.svg
//
// The picture: the root tensor(s) at the top; one box per op (the node's name, with the shape
// and dtype of each output it produced); one box per leaf tensor that gradients accumulate into
// (its name, shape, dtype, requires_grad). Arrows point the way backward walks: from a result to
// the node that made it, and from each node to the nodes of its inputs. When a node has several
// outputs, the arrow into it is labelled with the output number. The text is deterministic:
// nodes are numbered in the order a breadth-first walk from the roots meets them.
#include <string>

#include "ember/core/tensor.h"

namespace ember {

std::string to_dot(const Tensor& root);
std::string to_dot(const TensorList& roots);

// Writes to_dot(roots) to `path` atomically: a temporary file next to it, then a rename, so a
// reader never sees half a graph.
void save_dot(const Tensor& root, const std::string& path);
void save_dot(const TensorList& roots, const std::string& path);

}  // namespace ember
