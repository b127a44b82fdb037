#pragma once
// Position information for sequence models.
//   SinusoidalPositionalEncoding: the fixed table of "Attention Is All You Need",
//     PE[pos, 2i] = sin(pos / 10000^(2i/D)),  PE[pos, 2i+1] = cos(pos / 10000^(2i/D)),
//     kept as a buffer (saved with the model, never trained).
//   LearnedPositionalEmbedding: a trained table [max_len, D] (ViT, GPT).
// Both add the rows [offset, offset + T) to x of shape [B, T, D]; `offset` is the number of
// tokens already decoded in incremental decoding.
#include "ember/nn/module.h"

namespace ember::nn {

class SinusoidalPositionalEncoding : public Module {
 public:
  SinusoidalPositionalEncoding(int64_t d_model, int64_t max_len = 512);
  Tensor forward(const Tensor& x, int64_t offset = 0) const;
  std::string extra_repr() const override;
  Tensor table;  // [max_len, d_model]
};

class LearnedPositionalEmbedding : public Module {
 public:
  // Initialised N(0, 0.02) truncated at 2 std, as ViT implementations do.
  LearnedPositionalEmbedding(int64_t max_len, int64_t d_model);
  Tensor forward(const Tensor& x, int64_t offset = 0) const;
  std::string extra_repr() const override;
  Tensor weight;  // [max_len, d_model]
};

}  // namespace ember::nn
