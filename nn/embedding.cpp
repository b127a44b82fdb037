#include "ember/nn/embedding.h"

#include "ember/core/grad_mode.h"
#include "ember/nn/init.h"
#include "ember/ops/factory.h"
#include "ember/ops/index.h"

namespace ember::nn {

Embedding::Embedding(int64_t num, int64_t dim, std::optional<int64_t> pad)
    : Module("Embedding"), num_embeddings(num), embedding_dim(dim), padding_idx(pad) {
  EMBER_CHECK(num > 0 && dim > 0, "Embedding: sizes must be positive (num={}, dim={})", num, dim);
  if (pad) {
    EMBER_CHECK(*pad >= -num && *pad < num,
                "Embedding: padding_idx {} is out of range for {} embeddings", *pad, num);
    if (*pad < 0) padding_idx = *pad + num;
  }
  Tensor w = empty({num, dim});
  init::normal_(w);
  if (padding_idx) {
    NoGradGuard no_grad;
    w.select(0, *padding_idx).zero_();
  }
  weight = register_parameter("weight", w);
}

Tensor Embedding::forward(const Tensor& ids) const {
  return embedding(weight, ids, padding_idx);
}

std::string Embedding::extra_repr() const {
  return fmt::format("{}, {}{}", num_embeddings, embedding_dim,
                     padding_idx ? fmt::format(", padding_idx={}", *padding_idx) : "");
}

}  // namespace ember::nn
