#include "ember/nn/positional.h"

#include <cmath>

#include "ember/nn/init.h"
#include "ember/ops/elementwise.h"
#include "ember/ops/factory.h"
#include "ember/ops/shape.h"

namespace ember::nn {

namespace {
Tensor add_rows(const char* op, const Tensor& x, const Tensor& table, int64_t offset) {
  check_defined(op, x);
  EMBER_CHECK(x.dim() == 3 && x.size(2) == table.size(1),
              "{}: expected input [batch, length, {}], got shape {}", op, table.size(1),
              shape_str(x.sizes()));
  EMBER_CHECK(offset >= 0 && offset + x.size(1) <= table.size(0),
              "{}: positions [{}, {}) exceed the table's max_len {}", op, offset,
              offset + x.size(1), table.size(0));
  return x + narrow(table, 0, offset, x.size(1)).to(x.dtype());
}
}  // namespace

SinusoidalPositionalEncoding::SinusoidalPositionalEncoding(int64_t d_model, int64_t max_len)
    : Module("SinusoidalPositionalEncoding") {
  EMBER_CHECK(d_model > 0 && max_len > 0,
              "SinusoidalPositionalEncoding: sizes must be positive (d_model={}, max_len={})",
              d_model, max_len);
  Tensor pe = zeros({max_len, d_model});
  float* p = pe.data_ptr<float>();
  for (int64_t pos = 0; pos < max_len; ++pos)
    for (int64_t i = 0; i < d_model; i += 2) {
      // Computed in double, like PyTorch's float64 reference tables, then rounded once.
      const double angle = static_cast<double>(pos) /
                           std::pow(10000.0, static_cast<double>(i) / static_cast<double>(d_model));
      p[pos * d_model + i] = static_cast<float>(std::sin(angle));
      if (i + 1 < d_model) p[pos * d_model + i + 1] = static_cast<float>(std::cos(angle));
    }
  table = register_buffer("table", pe);
}

Tensor SinusoidalPositionalEncoding::forward(const Tensor& x, int64_t offset) const {
  return add_rows("SinusoidalPositionalEncoding", x, table, offset);
}

std::string SinusoidalPositionalEncoding::extra_repr() const {
  return fmt::format("d_model={}, max_len={}", table.size(1), table.size(0));
}

LearnedPositionalEmbedding::LearnedPositionalEmbedding(int64_t max_len, int64_t d_model)
    : Module("LearnedPositionalEmbedding") {
  Tensor w = empty({max_len, d_model});
  init::trunc_normal_(w, 0.0, 0.02, -0.04, 0.04);
  weight = register_parameter("weight", w);
}

Tensor LearnedPositionalEmbedding::forward(const Tensor& x, int64_t offset) const {
  return add_rows("LearnedPositionalEmbedding", x, weight, offset);
}

std::string LearnedPositionalEmbedding::extra_repr() const {
  return fmt::format("max_len={}, d_model={}", weight.size(0), weight.size(1));
}

}  // namespace ember::nn
