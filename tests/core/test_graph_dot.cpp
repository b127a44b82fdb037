#include "ember/core/graph_dot.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <unistd.h>

#include "ember/core/function.h"
#include "helpers.h"

using namespace ember;

namespace {
bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}
}  // namespace

TEST_CASE("to_dot: ops, leaves and edges of a small expression") {
  auto x = ones({2, 3}).requires_grad_();
  x.set_name("x");
  auto b = zeros({3}, kFloat64).requires_grad_();
  b.set_name("b\"ias");   // quotes in names are escaped
  auto c = ones({2, 3});  // a constant: not part of the graph
  auto y = (x.to(kFloat64) * c + b).tanh().sum();
  y.set_name("loss");
  const std::string dot = to_dot(y);
  INFO(dot);
  CHECK(dot.rfind("digraph autograd {\n", 0) == 0);
  CHECK(contains(dot, "r0 [label=\"loss\\n[] float64\""));
  CHECK(contains(dot, "r0 -> n0;"));
  CHECK(contains(dot, "n0 [label=\"sum\\n[] float64\""));
  CHECK(contains(dot, "n0 -> n1;"));
  CHECK(contains(dot, "n1 [label=\"tanh\\n[2,3] float64\""));
  CHECK(contains(dot, "n1 -> n2;"));
  CHECK(contains(dot, "n2 [label=\"add\\n[2,3] float64\""));
  CHECK(contains(dot, "n2 -> n3;"));  // the mul
  CHECK(contains(dot, "n2 -> n4;"));  // b's accumulator
  CHECK(contains(dot, "n4 [label=\"b\\\"ias\\n[3] float64\\nrequires_grad=true\""));
  CHECK(contains(dot, "n3 [label=\"mul\\n[2,3] float64\""));
  CHECK(contains(dot, "n3 -> n5;"));
  CHECK(contains(dot, "n5 [label=\"to\\n[2,3] float64\""));
  CHECK(contains(dot, "n5 -> n6;"));
  CHECK(contains(dot, "n6 [label=\"x\\n[2,3] float32\\nrequires_grad=true\""));
  CHECK_FALSE(contains(dot, "n7"));  // the constant has no node
  CHECK(dot.substr(dot.size() - 2) == "}\n");
}

TEST_CASE("to_dot: deterministic, shared nodes drawn once, several roots") {
  auto x = tensor({1.0, 2.0}).requires_grad_();
  auto h = x.exp();
  auto u = h * h;  // two edges from mul to the same exp node
  auto v = h.sin();
  const std::string dot = to_dot(TensorList{u, v});
  CHECK(dot == to_dot(TensorList{u, v}));
  CHECK(contains(dot, "r0 [label=\"output 0"));
  CHECK(contains(dot, "r1 [label=\"output 1"));
  CHECK(contains(dot, "r0 -> n0;"));
  CHECK(contains(dot, "r1 -> n1;"));
  // mul (n0) points twice at exp (n2); sin (n1) once; exp is described once.
  size_t mul_edges = 0;
  for (size_t p = dot.find("n0 -> n2;"); p != std::string::npos; p = dot.find("n0 -> n2;", p + 1))
    ++mul_edges;
  CHECK(mul_edges == 2);
  CHECK(contains(dot, "n1 -> n2;"));
  CHECK(dot.find("n2 [label=\"exp") == dot.rfind("n2 [label=\"exp"));
}

TEST_CASE("to_dot: leaves and constants as roots") {
  auto x = tensor({1.0}).requires_grad_().set_name("x");
  CHECK(contains(to_dot(x), "r0 [label=\"x\\n[1] float64\\nrequires_grad=true\""));
  CHECK(contains(to_dot(tensor({1.0})), "(no graph)"));
  CHECK_THROWS_CONTAINING(to_dot(Tensor()), "to_dot: root is an undefined tensor");
}

TEST_CASE("save_dot writes the file and leaves no temporary behind") {
  auto x = tensor({1.0, 2.0}).requires_grad_();
  auto y = (x * x).sum();
  const auto dir = std::filesystem::temp_directory_path() /
                   ("ember_dot_test_" + std::to_string(static_cast<long>(::getpid())));
  std::filesystem::create_directories(dir);
  const auto path = (dir / "graph.dot").string();
  save_dot(y, path);
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  CHECK(text.str() == to_dot(y));
  size_t files = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir)) ++files;
  CHECK(files == 1);
  CHECK_THROWS_CONTAINING(save_dot(y, (dir / "missing" / "graph.dot").string()),
                          "save_dot: cannot write");
  std::filesystem::remove_all(dir);
}

TEST_CASE("to_dot: a node with several outputs labels the arrows into it") {
  auto x = tensor({1.0, 2.0}).requires_grad_().set_name("x");
  auto forward = [](FunctionContext&, const TensorList& in) {
    return TensorList{in[0] * 2.0, in[0] * 3.0};
  };
  auto backward = [](FunctionContext&, const TensorList& g) {
    return TensorList{g[0] * 2.0 + g[1] * 3.0};
  };
  TensorList two = apply_function("Split", forward, backward, {x});
  const std::string dot = to_dot(two[1] + two[0]);
  INFO(dot);
  CHECK(contains(dot, "n1 [label=\"Split\\nout0: [2] float64\\nout1: [2] float64\""));
  CHECK(contains(dot, "n0 -> n1 [label=\"out1\"];"));
  CHECK(contains(dot, "n0 -> n1 [label=\"out0\"];"));
  CHECK(contains(dot, "n1 -> n2;"));
  CHECK(contains(dot, "n2 [label=\"x\\n[2] float64\\nrequires_grad=true\""));
}
