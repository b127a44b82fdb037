#pragma once
// Multi-head attention, batch-first, as in "Attention Is All You Need":
//   Attention(Q, K, V) = softmax(Q K^T / sqrt(d_head) + mask) V, per head, then an output
//   projection. Masked scores are -inf; a query row whose keys are all masked yields zeros.
//
//   nn::MultiHeadAttention mha({.embed_dim = 256, .num_heads = 8, .dropout = 0.1});
//   Tensor y = mha.forward(x, x, x, {.key_padding = pad /*[B,T] true=pad*/, .causal = true});
#include <optional>

#include "ember/nn/linear.h"
#include "ember/nn/module.h"

namespace ember::nn {

struct MultiHeadAttentionOptions {
  int64_t embed_dim = 0;
  int64_t num_heads = 1;
  double dropout = 0.0;  // on the attention weights
  bool bias = true;
  // One [3E, E] input projection (PyTorch's in_proj_weight) instead of q/k/v projections;
  // self-attention then runs a single GEMM for all three.
  bool packed_qkv = false;
  int64_t kdim = 0, vdim = 0;  // key/value input sizes for cross-attention; 0: embed_dim
};

struct AttentionMask {
  Tensor key_padding;   // [B, Tk] bool, true where the key is padding
  Tensor attn;          // [Tq, Tk] or broadcastable to [B, H, Tq, Tk]: bool (true = masked) or
                        // float (added to the scores)
  bool causal = false;  // query i may see keys j <= i (+ the cached past)
};

// Keys and values of earlier decoding steps, [B, H, T, d_head], so each new token costs one
// step. For cross-attention set `fixed`: the memory's keys/values are computed on the first
// call and reused.
struct KVCache {
  Tensor key, value;
  bool fixed = false;
  int64_t length() const { return key.defined() ? key.size(2) : 0; }
  // Keeps batch entries `index` (int64, [B']) in that order: beam search reordering.
  void reorder(const Tensor& index);
  void clear() { key = value = Tensor(); }
};

struct AttentionResult {
  Tensor output;   // [B, Tq, E]
  Tensor weights;  // [B, H, Tq, Tk], after softmax (before dropout)
};

class MultiHeadAttention : public Module {
 public:
  explicit MultiHeadAttention(MultiHeadAttentionOptions options);
  Tensor forward(const Tensor& query, const Tensor& key, const Tensor& value,
                 const AttentionMask& mask = {}, KVCache* cache = nullptr) const;
  // As forward, also returning the per-head attention weights (e.g. to plot them).
  AttentionResult forward_with_weights(const Tensor& query, const Tensor& key, const Tensor& value,
                                       const AttentionMask& mask = {},
                                       KVCache* cache = nullptr) const;
  std::string extra_repr() const override;

  MultiHeadAttentionOptions options;
  int64_t head_dim;
  std::shared_ptr<Linear> q_proj, k_proj, v_proj;  // separate projections
  Tensor in_proj_weight, in_proj_bias;             // packed projections
  std::shared_ptr<Linear> out_proj;

 private:
  AttentionResult run(const Tensor& query, const Tensor& key, const Tensor& value,
                      const AttentionMask& mask, KVCache* cache, bool need_weights) const;
  Tensor project(const Tensor& x, int which) const;  // 0: q, 1: k, 2: v; result [B, H, T, Dh]
};

}  // namespace ember::nn
