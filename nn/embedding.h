#pragma once
// A lookup table of learned vectors: forward(ids) gathers rows of weight [num_embeddings, dim].
// The row of padding_idx gets no gradient (and starts at zero), as in PyTorch.
#include <optional>

#include "ember/nn/module.h"

namespace ember::nn {

class Embedding : public Module {
 public:
  // Initialised N(0, 1) like PyTorch; models often re-initialise (e.g. N(0, dim^-1/2)).
  Embedding(int64_t num_embeddings, int64_t embedding_dim,
            std::optional<int64_t> padding_idx = std::nullopt);
  // ids: int64 of any shape -> ids.shape + [embedding_dim].
  Tensor forward(const Tensor& ids) const;
  std::string extra_repr() const override;

  int64_t num_embeddings, embedding_dim;
  std::optional<int64_t> padding_idx;
  Tensor weight;
};

}  // namespace ember::nn
