#pragma once
// The encoder-decoder Transformer of "Attention Is All You Need", written as user code against
// ember's public nn API.
//
//   embed(ids)   = Dropout(sqrt(D) E[ids] + PE[offset : offset + L])
//   encoder layer: x = LN(x + Drop(SelfAttn(x; src key padding)));  x = LN(x + Drop(FFN(x)))
//   decoder layer: x = LN(x + Drop(SelfAttn(x; causal + tgt key padding)))
//                  x = LN(x + Drop(CrossAttn(x, memory; src key padding)))
//                  x = LN(x + Drop(FFN(x)))
//   logits = x W_out^T + b   (W_out = E_tgt when tie_target_embedding)
// That is post-LN; with pre_ln each sub-layer reads LN(x) and adds to x unnormalised, and each
// stack ends with a LayerNorm. Masked attention scores are -inf; query rows are never masked (the
// loss ignores pad targets instead), and a row whose keys are all padding yields zeros.
//
//   models::Transformer model(models::TransformerConfig::preset("small", 6000, 8000));
//   Tensor logits = model.forward(src, tgt_in);  // [B,S], [B,T] int64 -> [B,T,tgt_vocab]
//
// Incremental decoding feeds one token per step and keeps every layer's keys/values:
//
//   Tensor memory = model.encode(src);
//   DecoderState state = model.start_decoding(memory, model.pad_mask(src));
//   Tensor logits = model.decode_step(bos /*[B,1]*/, state);  // [B,1,V]; state.offset == 1
//
// In eval mode decode_step's logits equal decode()'s at every position.
#include <memory>
#include <vector>

#include "ember/models/transformer/config.h"
#include "ember/nn/attention.h"
#include "ember/nn/containers.h"
#include "ember/nn/embedding.h"
#include "ember/nn/feedforward.h"
#include "ember/nn/module.h"
#include "ember/nn/normalization.h"
#include "ember/nn/positional.h"

namespace ember::models {

class EncoderLayer : public nn::Module {
 public:
  explicit EncoderLayer(const TransformerConfig& config);
  // x [B, S, D]; src_pad_mask [B, S] bool, true at padding.
  Tensor forward(const Tensor& x, const Tensor& src_pad_mask) const;

  std::shared_ptr<nn::MultiHeadAttention> self_attn;
  std::shared_ptr<nn::PositionwiseFeedForward> ffn;
  std::shared_ptr<nn::LayerNorm> norm1, norm2;
  double dropout_p;
  bool pre_ln;
};

class DecoderLayer : public nn::Module {
 public:
  explicit DecoderLayer(const TransformerConfig& config);
  // x [B, T, D] (the newest T positions when caching), memory [B, S, D], src_pad_mask [B, S],
  // tgt_pad_mask [B, past + T] (undefined: no target padding). self_cache grows by T positions;
  // a fixed cross_cache that already holds the memory's keys/values makes `memory` unused.
  // A non-null cross_weights receives the cross-attention weights [B, H, T, S]; without it they
  // are not kept.
  Tensor forward(const Tensor& x, const Tensor& memory, const Tensor& src_pad_mask,
                 const Tensor& tgt_pad_mask, nn::KVCache* self_cache = nullptr,
                 nn::KVCache* cross_cache = nullptr, Tensor* cross_weights = nullptr) const;

  std::shared_ptr<nn::MultiHeadAttention> self_attn, cross_attn;
  std::shared_ptr<nn::PositionwiseFeedForward> ffn;
  std::shared_ptr<nn::LayerNorm> norm1, norm2, norm3;
  double dropout_p;
  bool pre_ln;
};

// What incremental decoding carries from one step to the next. Row i of every tensor belongs to
// the same hypothesis, so beam search reorders them all together.
struct DecoderState {
  Tensor memory;                        // [B, S, D] the encoder output
  Tensor src_pad_mask;                  // [B, S] bool, true at source padding
  Tensor tgt_pad_mask;                  // [B, offset] bool, which fed tokens were <pad>
  std::vector<nn::KVCache> self_attn;   // per decoder layer: [B, H, offset, d_head]
  std::vector<nn::KVCache> cross_attn;  // per decoder layer, fixed: W_k M, W_v M [B, H, S, d_head]
  int64_t offset = 0;                   // tokens fed so far = position of the next one

  int64_t batch_size() const { return src_pad_mask.defined() ? src_pad_mask.size(0) : 0; }
  // Keeps rows `index` (int64 [B'], any order, repeats allowed): beam expansion, beam reordering,
  // dropping finished sentences. With same_source the caller promises that row index[i] has the
  // same source sentence as row i (true when reordering within each sentence's beams), so the
  // source-side tensors (memory, src mask, cross-attention caches) are left as they are.
  void reorder(const Tensor& index, bool same_source = false);
};

// decode() with what each decoder layer's cross-attention looked at.
struct DecoderOutput {
  Tensor logits;                      // [B, T, tgt_vocab]
  std::vector<Tensor> cross_weights;  // per decoder layer: [B, H, T, S], rows sum to 1 over the
                                      // non-pad source positions, 0 at padding
};

class Transformer : public nn::Module {
 public:
  explicit Transformer(TransformerConfig config);

  const TransformerConfig& config() const { return config_; }
  // ids == pad_id: the key padding mask of a [B, L] batch of ids.
  Tensor pad_mask(const Tensor& ids) const;

  // src [B, S] int64 -> memory [B, S, D].
  Tensor encode(const Tensor& src) const;
  // Teacher forcing: tgt_in [B, T] int64 (starting with <bos>) -> logits [B, T, tgt_vocab].
  Tensor decode(const Tensor& tgt_in, const Tensor& memory, const Tensor& src_pad_mask) const;
  // decode() that also returns every decoder layer's cross-attention weights (for inspection;
  // decode() does not keep them).
  DecoderOutput decode_with_attention(const Tensor& tgt_in, const Tensor& memory,
                                      const Tensor& src_pad_mask) const;
  // encode then decode.
  Tensor forward(const Tensor& src, const Tensor& tgt_in) const;

  // A state holding the memory, its mask and each layer's cross-attention keys/values (computed
  // here, once); no target token has been fed yet.
  DecoderState start_decoding(const Tensor& memory, const Tensor& src_pad_mask) const;
  // Feeds the next tokens [B, n] (usually n = 1) at positions [offset, offset + n) and returns
  // their logits [B, n, tgt_vocab]; each costs one step, the prefix is not recomputed.
  Tensor decode_step(const Tensor& tokens, DecoderState& state) const;

  // The output projection [tgt_vocab, D]: the target embedding when tied.
  const Tensor& output_weight() const;
  const Tensor& output_bias() const;

  std::shared_ptr<nn::Embedding> src_embed;  // the same module as tgt_embed when shared
  std::shared_ptr<nn::Embedding> tgt_embed;
  std::shared_ptr<nn::SinusoidalPositionalEncoding> positions;
  std::shared_ptr<nn::ModuleList> encoder, decoder;           // EncoderLayer, DecoderLayer
  std::shared_ptr<nn::LayerNorm> encoder_norm, decoder_norm;  // pre-LN only
  std::shared_ptr<nn::Linear> output;  // untied only; tied models register `output_bias`

 private:
  Tensor embed(const nn::Embedding& table, const Tensor& ids, int64_t offset) const;
  // cross_weights, when given, receives each layer's cross-attention weights.
  Tensor run_decoder(const Tensor& tokens, const Tensor& memory, const Tensor& src_pad_mask,
                     const Tensor& tgt_pad_mask, int64_t offset, DecoderState* state,
                     std::vector<Tensor>* cross_weights = nullptr) const;
  void check_decode_inputs(const char* op, const Tensor& tgt_in, const Tensor& memory,
                           const Tensor& src_pad_mask) const;

  TransformerConfig config_;
  Tensor tied_output_bias_;
  std::vector<std::shared_ptr<EncoderLayer>> encoder_layers_;
  std::vector<std::shared_ptr<DecoderLayer>> decoder_layers_;
};

}  // namespace ember::models
