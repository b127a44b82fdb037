// Op micro-benchmarks, forward + backward, on the shapes of docs/benchmarks.md. Prints one line
// per op: `op <name> median_ms <t> min_ms <t> runs <n>`. tools/bench_ops.sh runs it next to
// tools/bench_ops_torch.py (PyTorch CPU, same shapes and threads) and prints the ratios.
//   ember-bench-ops [--threads N] [--runs N] [--warmup N] [--op NAME]
#include <algorithm>
#include <chrono>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include <ember/ember.h>

using namespace ember;

namespace {

struct Bench {
  std::string name;
  std::function<std::function<void()>()> setup;  // returns the timed step
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

std::vector<Bench> benches() {
  return {
      {"matmul_1024",
       [] {
         auto a = randn({1024, 1024}).requires_grad_(), b = randn({1024, 1024}).requires_grad_();
         return [=]() mutable {
           a.mutable_grad() = {};
           b.mutable_grad() = {};
           matmul(a, b).sum().backward();
         };
       }},
      {"softmax_64x8x32x32",
       [] {
         auto x = randn({64, 8, 32, 32}).requires_grad_();
         auto g = randn({64, 8, 32, 32});
         return [=]() mutable {
           x.mutable_grad() = {};
           softmax(x, -1).backward(g);
         };
       }},
      {"layer_norm_2048x512",
       [] {
         auto x = randn({2048, 512}).requires_grad_();
         auto w = ones({512}).requires_grad_(), b = zeros({512}).requires_grad_();
         auto g = randn({2048, 512});
         return [=]() mutable {
           x.mutable_grad() = {};
           w.mutable_grad() = {};
           b.mutable_grad() = {};
           layer_norm(x, {512}, w, b, 1e-5).backward(g);
         };
       }},
      {"gelu_2048x2048",
       [] {
         auto x = randn({2048, 2048}).requires_grad_();
         auto g = randn({2048, 2048});
         return [=]() mutable {
           x.mutable_grad() = {};
           gelu(x).backward(g);
         };
       }},
      {"cross_entropy_2048x6000",
       [] {
         auto x = randn({2048, 6000}).requires_grad_();
         auto t = randint(0, 6000, {2048});
         return [=]() mutable {
           x.mutable_grad() = {};
           cross_entropy(x, t).backward();
         };
       }},
  };
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 1, runs = 20, warmup = 3;
  std::string only;
  for (int i = 1; i < argc; ++i) {
    auto next = [&](const char* flag) {
      if (i + 1 >= argc) throw Error(fmt::format("{} needs a value", flag));
      return std::string(argv[++i]);
    };
    if (!std::strcmp(argv[i], "--threads"))
      threads = std::stoi(next("--threads"));
    else if (!std::strcmp(argv[i], "--runs"))
      runs = std::stoi(next("--runs"));
    else if (!std::strcmp(argv[i], "--warmup"))
      warmup = std::stoi(next("--warmup"));
    else if (!std::strcmp(argv[i], "--op"))
      only = next("--op");
    else {
      fmt::print(stderr, "usage: {} [--threads N] [--runs N] [--warmup N] [--op NAME]\n", argv[0]);
      return 2;
    }
  }
  set_num_threads(threads);
  manual_seed(0);
  for (const auto& bench : benches()) {
    if (!only.empty() && bench.name != only) continue;
    auto step = bench.setup();
    for (int i = 0; i < warmup; ++i) step();
    std::vector<double> ms;
    for (int i = 0; i < runs; ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      step();
      ms.push_back(
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    fmt::print("op {} median_ms {:.3f} min_ms {:.3f} runs {}\n", bench.name, median(ms),
               *std::min_element(ms.begin(), ms.end()), runs);
    std::fflush(stdout);
  }
}
