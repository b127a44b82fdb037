// PyTorch-like printing: tensor([[ 1.0000, -2.5000], [...]], dtype=float64, requires_grad=true).
// Large tensors are summarised with "..." (3 entries at each edge of each dim); rows wrap at 80
// columns. One number format is chosen for the whole tensor from the values that are shown,
// as PyTorch does: whole numbers print as "1.", a wide range or tiny/huge values switch every
// entry to scientific notation, otherwise 4 decimals.
#include <cmath>

#include "ember/core/autograd.h"
#include "ember/core/tensor.h"

namespace ember {

namespace {

constexpr int64_t kSummariseAbove = 1000;
constexpr int64_t kEdgeItems = 3;
constexpr int kLineWidth = 80;

enum class Format { Bool, Integer, WholeFloats, Fixed, Scientific };

struct Printer {
  Printer(const Tensor& t, bool summarise) : t(t), data(t.raw_data()), summarise(summarise) {}

  const Tensor& t;   // on the CPU; any strides, read in place
  const void* data;  // t's first element; offsets below are relative to it
  bool summarise;
  Format format = Format::Fixed;
  int width = 0;
  std::string out;

  double float_at(int64_t offset) const {
    return t.dtype() == kFloat64 ? static_cast<const double*>(data)[offset]
                                 : static_cast<const float*>(data)[offset];
  }

  std::string element(int64_t offset) const {
    switch (format) {
      case Format::Bool:
        return static_cast<const bool*>(data)[offset] ? "true" : "false";
      case Format::Integer:
        return fmt::format("{}", static_cast<const int64_t*>(data)[offset]);
      default:
        break;
    }
    const double v = float_at(offset);
    if (std::isnan(v)) return "nan";
    if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
    if (format == Format::WholeFloats) return fmt::format("{:.0f}.", v);
    if (format == Format::Scientific) return fmt::format("{:.4e}", v);
    return fmt::format("{:.4f}", v);
  }

  // The indices of a dim of size n that are printed.
  bool shown(int64_t i, int64_t n) const {
    return !summarise || n <= 2 * kEdgeItems || i < kEdgeItems || i >= n - kEdgeItems;
  }

  // Calls fn(offset) for every element that will be printed.
  template <typename F>
  void for_each_shown(int64_t dim, int64_t offset, const F& fn) const {
    if (dim == t.dim()) {
      fn(offset);
      return;
    }
    const int64_t n = t.size(dim);
    for (int64_t i = 0; i < n; ++i)
      if (shown(i, n)) for_each_shown(dim + 1, offset + i * t.stride(dim), fn);
  }

  void choose_format() {
    if (t.dtype() == kBool) {
      format = Format::Bool;
    } else if (!t.is_floating_point()) {
      format = Format::Integer;
    } else {
      bool whole = true;
      double lo = INFINITY, hi = 0;
      for_each_shown(0, 0, [&](int64_t off) {
        const double v = float_at(off);
        if (!std::isfinite(v)) return;
        if (v != std::floor(v)) whole = false;
        if (v != 0) {
          lo = std::min(lo, std::fabs(v));
          hi = std::max(hi, std::fabs(v));
        }
      });
      const bool any_nonzero = hi > 0;
      const bool wide = any_nonzero && (hi / lo > 1000 || hi > 1e8);
      // Unlike PyTorch, whole numbers keep "1999." over a wide range: they print exactly.
      if (whole)
        format = any_nonzero && hi > 1e8 ? Format::Scientific : Format::WholeFloats;
      else
        format = wide || (any_nonzero && lo < 1e-4) ? Format::Scientific : Format::Fixed;
    }
    for_each_shown(
        0, 0, [&](int64_t off) { width = std::max(width, static_cast<int>(element(off).size())); });
  }

  // Prints dim `dim` starting at `offset`; its '[' sits at column `indent`.
  void print(int64_t dim, int64_t offset, int indent) {
    if (t.dim() == 0) {
      out += element(offset);
      return;
    }
    const int64_t n = t.size(dim), stride = t.stride(dim);
    const bool last = dim + 1 == t.dim();
    out += '[';
    if (last) {
      std::vector<std::string> items;
      for (int64_t i = 0; i < n; ++i) {
        if (!shown(i, n)) {
          items.emplace_back("...");
          i = n - kEdgeItems - 1;
          continue;
        }
        items.push_back(fmt::format("{:>{}}", element(offset + i * stride), width));
      }
      const size_t per_line = static_cast<size_t>(std::max(1, (kLineWidth - indent) / (width + 2)));
      for (size_t i = 0; i < items.size(); ++i) {
        if (i > 0) out += i % per_line == 0 ? fmt::format(",\n{:{}}", "", indent + 1) : ", ";
        out += items[i];
      }
    } else {
      std::string separator = ",";
      separator.append(static_cast<size_t>(t.dim() - dim - 1), '\n');
      separator.append(static_cast<size_t>(indent + 1), ' ');
      for (int64_t i = 0; i < n; ++i) {
        if (i > 0) out += separator;
        if (!shown(i, n)) {
          out += "...";
          i = n - kEdgeItems - 1;
          continue;
        }
        print(dim + 1, offset + i * stride, indent + 1);
      }
    }
    out += ']';
  }
};

}  // namespace

std::string Tensor::str() const {
  if (!defined()) return "tensor(undefined)";
  NoGradGuard no_grad;
  const Tensor host = to(kCPU);
  const std::string prefix = "tensor(";
  std::string s;
  if (numel() == 0) {
    s = prefix + "[]";
    if (dim() != 1) s += fmt::format(", size={}", shape_str(sizes()));
  } else {
    Printer p(host, numel() > kSummariseAbove);
    p.choose_format();
    p.print(0, 0, static_cast<int>(prefix.size()));
    s = prefix + p.out;
  }
  if (dtype() != kFloat32 && dtype() != kInt64 && dtype() != kBool)
    s += fmt::format(", dtype={}", dtype());
  if (!device().is_cpu()) s += fmt::format(", device={}", device());
  if (grad_fn())
    s += fmt::format(", grad_fn=<{}>", grad_fn()->name());
  else if (requires_grad())
    s += ", requires_grad=true";
  return s + ")";
}

}  // namespace ember
