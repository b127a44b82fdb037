// PyTorch-like printing: tensor([[ 1.0000, -2.5000], [...]], dtype=float64, requires_grad=true).
// Large tensors are summarised with "..." (3 entries at each edge of each dim).
#include <cmath>

#include "ember/core/autograd.h"
#include "ember/core/tensor.h"

namespace ember {

namespace {

constexpr int64_t kSummariseAbove = 1000;
constexpr int64_t kEdgeItems = 3;

struct Printer {
  const Tensor& t;  // contiguous, CPU, float64 copy for floats / int64 for ints / bool
  bool summarise;
  bool floating;
  bool integral_floats = true;  // all finite values are whole numbers: print "1." like PyTorch
  int width = 0;
  std::string out;

  std::string element(int64_t flat) const {
    if (t.dtype() == kBool) return t.data_ptr<bool>()[flat] ? "true" : "false";
    if (!floating) return fmt::format("{}", t.data_ptr<int64_t>()[flat]);
    const double v = t.data_ptr<double>()[flat];
    if (std::isnan(v)) return "nan";
    if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
    if (integral_floats) return fmt::format("{:.0f}.", v);
    const double a = std::fabs(v);
    if (a != 0 && (a >= 1e8 || a < 1e-4)) return fmt::format("{:.4e}", v);
    return fmt::format("{:.4f}", v);
  }

  void measure(int64_t n) {
    if (floating)
      for (int64_t i = 0; i < n; ++i) {
        const double v = t.data_ptr<double>()[i];
        if (std::isfinite(v) && v != std::floor(v)) integral_floats = false;
      }
    for (int64_t i = 0; i < n; ++i) width = std::max<int>(width, static_cast<int>(element(i).size()));
  }

  void print(int64_t dim, int64_t offset, int indent) {
    if (t.dim() == 0) {
      out += element(0);
      return;
    }
    const int64_t n = t.size(dim), stride = t.stride(dim);
    out += '[';
    for (int64_t i = 0; i < n; ++i) {
      if (summarise && n > 2 * kEdgeItems && i == kEdgeItems) {
        out += dim + 1 == t.dim() ? "...," : fmt::format("...,\n{:{}}", "", indent + 1);
        if (dim + 1 == t.dim()) out += ' ';
        i = n - kEdgeItems - 1;
        continue;
      }
      if (dim + 1 == t.dim()) {
        out += fmt::format("{:>{}}", element(offset + i * stride), width);
      } else {
        print(dim + 1, offset + i * stride, indent + 1);
      }
      if (i + 1 < n) {
        out += ',';
        if (dim + 1 == t.dim())
          out += ' ';
        else
          out += fmt::format("{}{:{}}", std::string(static_cast<size_t>(t.dim() - dim - 1), '\n'),
                             "", indent + 1);
      }
    }
    out += ']';
  }
};

}  // namespace

std::string Tensor::str() const {
  if (!defined()) return "tensor(undefined)";
  NoGradGuard no_grad;
  const bool floating = is_floating(dtype());
  const Tensor host = contiguous().to(kCPU).to(floating ? kFloat64 : dtype() == kBool ? kBool : kInt64);
  Printer p{host, numel() > kSummariseAbove, floating, true, 0, {}};
  p.measure(host.numel());
  const std::string prefix = "tensor(";
  p.print(0, 0, static_cast<int>(prefix.size()));
  std::string s = prefix + p.out;
  if (numel() == 0) s = prefix + "[]";
  if (numel() == 0 && dim() != 1) s += fmt::format(", size={}", shape_str(sizes()));
  if (dtype() != kFloat32 && dtype() != kInt64 && dtype() != kBool) s += fmt::format(", dtype={}", dtype());
  if (!device().is_cpu()) s += fmt::format(", device={}", device());
  if (grad_fn()) s += fmt::format(", grad_fn=<{}>", grad_fn()->name());
  else if (requires_grad()) s += ", requires_grad=true";
  return s + ")";
}

}  // namespace ember
