// Graphviz DOT for the autograd graph: a breadth-first walk from the roots along next_edges.
#include "ember/core/graph_dot.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <unordered_map>

#include "ember/core/autograd.h"

namespace ember {

namespace {

// Text for inside a double-quoted DOT label; "\n" there is DOT's own line break.
std::string escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string meta_str(const Shape& sizes, DType dtype, Device device) {
  std::string s = fmt::format("{} {}", shape_str(sizes), dtype);
  if (!device.is_cpu()) s += fmt::format(" {}", device);
  return s;
}

std::string leaf_label(const TensorImpl& leaf) {
  return fmt::format("{}\\n{}\\nrequires_grad=true", escape(leaf.name.empty() ? "leaf" : leaf.name),
                     meta_str(leaf.sizes, leaf.dtype, leaf.storage->device()));
}

std::string op_label(const Node& node) {
  std::string label = escape(node.name());
  for (size_t i = 0; i < node.outputs.size(); ++i) {
    const TensorMeta& m = node.outputs[i];
    label += node.outputs.size() == 1 ? "\\n" : fmt::format("\\nout{}: ", i);
    label += meta_str(m.sizes, m.dtype, m.device);
  }
  return label;
}

class DotWriter {
 public:
  std::string write(const TensorList& roots) {
    out_ =
        "digraph autograd {\n"
        "  node [fontname=\"Helvetica\", fontsize=11];\n"
        "  edge [fontname=\"Helvetica\", fontsize=9];\n";
    for (size_t r = 0; r < roots.size(); ++r) add_root(roots[r], r, roots.size());
    while (!queue_.empty()) {
      const Node* node = queue_.front();
      queue_.pop_front();
      describe(*node);
    }
    out_ += "}\n";
    return out_;
  }

 private:
  void add_root(const Tensor& root, size_t index, size_t count) {
    check_defined("to_dot", root, "root");
    std::string name = root.name();
    if (name.empty()) name = count == 1 ? "output" : fmt::format("output {}", index);
    std::string label =
        fmt::format("{}\\n{}", escape(name), meta_str(root.sizes(), root.dtype(), root.device()));
    if (root.is_leaf()) label += root.requires_grad() ? "\\nrequires_grad=true" : "\\n(no graph)";
    out_ += fmt::format("  r{} [label=\"{}\", shape=oval, style=filled, fillcolor=lightyellow];\n",
                        index, label);
    if (const auto& fn = root.grad_fn())
      out_ += fmt::format("  r{} -> {}{};\n", index, id_of(fn.get()),
                          port_label(*fn, root.output_nr()));
  }

  // "n3", numbering nodes as the walk first meets them and queueing new ones.
  std::string id_of(const Node* node) {
    auto [it, inserted] = ids_.emplace(node, ids_.size());
    if (inserted) queue_.push_back(node);
    return fmt::format("n{}", it->second);
  }

  static std::string port_label(const Node& target, uint32_t output_nr) {
    return target.num_outputs() > 1 ? fmt::format(" [label=\"out{}\"]", output_nr) : "";
  }

  void describe(const Node& node) {
    const std::string id = fmt::format("n{}", ids_.at(&node));
    if (const auto* acc = dynamic_cast<const AccumulateGrad*>(&node)) {
      out_ += fmt::format("  {} [label=\"{}\", shape=box, style=filled, fillcolor=palegreen];\n",
                          id, leaf_label(*acc->leaf()));
      return;
    }
    out_ += fmt::format(
        "  {} [label=\"{}\", shape=box, style=\"rounded,filled\", fillcolor=lightblue];\n", id,
        op_label(node));
    for (const Edge& e : node.next_edges)
      if (e.node)
        out_ += fmt::format("  {} -> {}{};\n", id, id_of(e.node.get()),
                            port_label(*e.node, e.input_nr));
  }

  std::string out_;
  std::unordered_map<const Node*, size_t> ids_;
  std::deque<const Node*> queue_;
};

}  // namespace

std::string to_dot(const TensorList& roots) {
  return DotWriter().write(roots);
}
std::string to_dot(const Tensor& root) {
  return to_dot(TensorList{root});
}

void save_dot(const TensorList& roots, const std::string& path) {
  const std::string text = to_dot(roots);
  const std::string temp = fmt::format("{}.tmp{}", path, static_cast<long>(::getpid()));
  {
    std::ofstream file(temp, std::ios::binary | std::ios::trunc);
    EMBER_CHECK(file.is_open(), "save_dot: cannot write {}: {}", temp, std::strerror(errno));
    file << text;
    file.close();
    if (!file) {
      std::error_code ignored;
      std::filesystem::remove(temp, ignored);
      fail("save_dot: writing {} failed", temp);
    }
  }
  std::error_code ec;
  std::filesystem::rename(temp, path, ec);
  if (ec) {
    std::error_code ignored;
    std::filesystem::remove(temp, ignored);
    fail("save_dot: cannot move {} to {}: {}", temp, path, ec.message());
  }
}

void save_dot(const Tensor& root, const std::string& path) {
  save_dot(TensorList{root}, path);
}

}  // namespace ember
