#include "ember/models/transformer/model.h"

#include <cmath>
#include <utility>

#include "ember/core/grad_mode.h"
#include "ember/nn/init.h"
#include "ember/ops/dropout.h"
#include "ember/ops/elementwise.h"
#include "ember/ops/factory.h"
#include "ember/ops/index.h"
#include "ember/ops/join.h"
#include "ember/ops/linalg.h"

namespace ember::models {

namespace {

nn::MultiHeadAttentionOptions attention_options(const TransformerConfig& c) {
  return {.embed_dim = c.d_model, .num_heads = c.heads, .dropout = c.attention_dropout};
}

std::shared_ptr<nn::PositionwiseFeedForward> make_ffn(const TransformerConfig& c) {
  auto ffn = std::make_shared<nn::PositionwiseFeedForward>(c.d_model, c.d_ff, c.dropout);
  for (auto* fc : {&ffn->fc1, &ffn->fc2}) {
    nn::init::xavier_uniform_((*fc)->weight);
    nn::init::zeros_((*fc)->bias);
  }
  return ffn;
}

nn::AttentionMask key_padding_mask(const Tensor& key_padding, bool causal = false) {
  nn::AttentionMask mask;
  mask.key_padding = key_padding;
  mask.causal = causal;
  return mask;
}

void check_ids(const char* op, const Tensor& ids, const char* what) {
  check_defined(op, ids, what);
  EMBER_CHECK(ids.dtype() == kInt64 && ids.dim() == 2 && ids.size(1) > 0,
              "{}: {} must be int64 [batch, length >= 1], got {}", op, what, ids.describe());
}

void check_mask(const char* op, const Tensor& mask, const Tensor& memory) {
  check_defined(op, memory, "memory");
  check_defined(op, mask, "src_pad_mask");
  EMBER_CHECK(memory.dim() == 3 && mask.dtype() == kBool && mask.dim() == 2 &&
                  mask.size(0) == memory.size(0) && mask.size(1) == memory.size(1),
              "{}: expected memory [B, S, D] and a bool src_pad_mask [B, S], got {} and {}", op,
              memory.describe(), mask.describe());
}

}  // namespace

// --- layers -------------------------------------------------------------------------------------

EncoderLayer::EncoderLayer(const TransformerConfig& c)
    : Module("EncoderLayer"), dropout_p(c.dropout), pre_ln(c.pre_ln) {
  self_attn =
      register_module("self_attn", std::make_shared<nn::MultiHeadAttention>(attention_options(c)));
  ffn = register_module("ffn", make_ffn(c));
  norm1 = register_module("norm1", std::make_shared<nn::LayerNorm>(c.d_model));
  norm2 = register_module("norm2", std::make_shared<nn::LayerNorm>(c.d_model));
}

Tensor EncoderLayer::forward(const Tensor& x, const Tensor& src_pad_mask) const {
  const nn::AttentionMask mask = key_padding_mask(src_pad_mask);
  const bool train = is_training();
  if (pre_ln) {
    const Tensor h = norm1->forward(x);
    const Tensor y = x + dropout(self_attn->forward(h, h, h, mask), dropout_p, train);
    return y + dropout(ffn->forward(norm2->forward(y)), dropout_p, train);
  }
  const Tensor y = norm1->forward(x + dropout(self_attn->forward(x, x, x, mask), dropout_p, train));
  return norm2->forward(y + dropout(ffn->forward(y), dropout_p, train));
}

DecoderLayer::DecoderLayer(const TransformerConfig& c)
    : Module("DecoderLayer"), dropout_p(c.dropout), pre_ln(c.pre_ln) {
  self_attn =
      register_module("self_attn", std::make_shared<nn::MultiHeadAttention>(attention_options(c)));
  cross_attn =
      register_module("cross_attn", std::make_shared<nn::MultiHeadAttention>(attention_options(c)));
  ffn = register_module("ffn", make_ffn(c));
  norm1 = register_module("norm1", std::make_shared<nn::LayerNorm>(c.d_model));
  norm2 = register_module("norm2", std::make_shared<nn::LayerNorm>(c.d_model));
  norm3 = register_module("norm3", std::make_shared<nn::LayerNorm>(c.d_model));
}

Tensor DecoderLayer::forward(const Tensor& x, const Tensor& memory, const Tensor& src_pad_mask,
                             const Tensor& tgt_pad_mask, nn::KVCache* self_cache,
                             nn::KVCache* cross_cache, Tensor* cross_weights) const {
  // The causal mask offsets queries by the cached length, so one new token sees the whole past.
  const nn::AttentionMask self_mask = key_padding_mask(tgt_pad_mask, /*causal=*/true);
  const nn::AttentionMask cross_mask = key_padding_mask(src_pad_mask);
  const bool train = is_training();
  auto self_block = [&](const Tensor& h) {
    return dropout(self_attn->forward(h, h, h, self_mask, self_cache), dropout_p, train);
  };
  auto cross_block = [&](const Tensor& h) {
    if (!cross_weights)
      return dropout(cross_attn->forward(h, memory, memory, cross_mask, cross_cache), dropout_p,
                     train);
    nn::AttentionResult r =
        cross_attn->forward_with_weights(h, memory, memory, cross_mask, cross_cache);
    *cross_weights = std::move(r.weights);
    return dropout(r.output, dropout_p, train);
  };
  if (pre_ln) {
    Tensor y = x + self_block(norm1->forward(x));
    y = y + cross_block(norm2->forward(y));
    return y + dropout(ffn->forward(norm3->forward(y)), dropout_p, train);
  }
  Tensor y = norm1->forward(x + self_block(x));
  y = norm2->forward(y + cross_block(y));
  return norm3->forward(y + dropout(ffn->forward(y), dropout_p, train));
}

// --- decoder state ------------------------------------------------------------------------------

void DecoderState::reorder(const Tensor& index, bool same_source) {
  EMBER_CHECK(!same_source || index.numel() == batch_size(),
              "DecoderState::reorder: same_source keeps the {} source rows, so the index must "
              "have {} entries, got {}",
              batch_size(), batch_size(), index.numel());
  for (nn::KVCache& cache : self_attn) cache.reorder(index);
  if (tgt_pad_mask.defined()) tgt_pad_mask = index_select(tgt_pad_mask, 0, index);
  if (same_source) return;
  for (nn::KVCache& cache : cross_attn) cache.reorder(index);
  if (memory.defined()) memory = index_select(memory, 0, index);
  if (src_pad_mask.defined()) src_pad_mask = index_select(src_pad_mask, 0, index);
}

// --- the model ----------------------------------------------------------------------------------

Transformer::Transformer(TransformerConfig config)
    : Module("Transformer"), config_(std::move(config)) {
  const TransformerConfig& c = config_;
  c.validate();
  // fairseq's embedding init: N(0, D^-1/2), so that sqrt(D) E[x] has unit scale like the PE.
  auto make_embedding = [&](int64_t vocab) {
    auto e = std::make_shared<nn::Embedding>(vocab, c.d_model, c.pad_id);
    nn::init::normal_(e->weight, 0.0, 1.0 / std::sqrt(static_cast<double>(c.d_model)));
    NoGradGuard no_grad;
    e->weight.select(0, c.pad_id).zero_();
    return e;
  };
  tgt_embed = register_module("tgt_embed", make_embedding(c.tgt_vocab));
  src_embed = c.share_all_embeddings ? tgt_embed
                                     : register_module("src_embed", make_embedding(c.src_vocab));
  positions = register_module(
      "positions", std::make_shared<nn::SinusoidalPositionalEncoding>(c.d_model, c.max_len));

  encoder = register_module("encoder", std::make_shared<nn::ModuleList>());
  for (int64_t i = 0; i < c.enc_layers; ++i)
    encoder_layers_.push_back(encoder->push_back(std::make_shared<EncoderLayer>(c)));
  decoder = register_module("decoder", std::make_shared<nn::ModuleList>());
  for (int64_t i = 0; i < c.dec_layers; ++i)
    decoder_layers_.push_back(decoder->push_back(std::make_shared<DecoderLayer>(c)));
  if (c.pre_ln) {
    encoder_norm = register_module("encoder_norm", std::make_shared<nn::LayerNorm>(c.d_model));
    decoder_norm = register_module("decoder_norm", std::make_shared<nn::LayerNorm>(c.d_model));
  }

  if (c.tie_target_embedding) {
    tied_output_bias_ = register_parameter("output_bias", zeros({c.tgt_vocab}));
  } else {
    output = register_module("output", std::make_shared<nn::Linear>(c.d_model, c.tgt_vocab));
    nn::init::xavier_uniform_(output->weight);
    nn::init::zeros_(output->bias);
  }
}

const Tensor& Transformer::output_weight() const {
  return config_.tie_target_embedding ? tgt_embed->weight : output->weight;
}

const Tensor& Transformer::output_bias() const {
  return config_.tie_target_embedding ? tied_output_bias_ : output->bias;
}

Tensor Transformer::pad_mask(const Tensor& ids) const {
  return eq(ids, scalar_tensor(static_cast<double>(config_.pad_id), {kInt64, ids.device()}));
}

Tensor Transformer::embed(const nn::Embedding& table, const Tensor& ids, int64_t offset) const {
  const Tensor x = table.forward(ids) * std::sqrt(static_cast<double>(config_.d_model));
  return dropout(positions->forward(x, offset), config_.dropout, is_training());
}

Tensor Transformer::encode(const Tensor& src) const {
  check_ids("Transformer::encode", src, "src");
  const Tensor mask = pad_mask(src);
  Tensor x = embed(*src_embed, src, 0);
  for (const auto& layer : encoder_layers_) x = layer->forward(x, mask);
  return encoder_norm ? encoder_norm->forward(x) : x;
}

Tensor Transformer::run_decoder(const Tensor& tokens, const Tensor& memory,
                                const Tensor& src_pad_mask, const Tensor& tgt_pad_mask,
                                int64_t offset, DecoderState* state,
                                std::vector<Tensor>* cross_weights) const {
  Tensor x = embed(*tgt_embed, tokens, offset);
  if (cross_weights) cross_weights->assign(decoder_layers_.size(), Tensor());
  for (size_t i = 0; i < decoder_layers_.size(); ++i)
    x = decoder_layers_[i]->forward(
        x, memory, src_pad_mask, tgt_pad_mask, state ? &state->self_attn[i] : nullptr,
        state ? &state->cross_attn[i] : nullptr, cross_weights ? &(*cross_weights)[i] : nullptr);
  if (decoder_norm) x = decoder_norm->forward(x);
  return linear(x, output_weight(), output_bias());
}

void Transformer::check_decode_inputs(const char* op, const Tensor& tgt_in, const Tensor& memory,
                                      const Tensor& src_pad_mask) const {
  check_ids(op, tgt_in, "tgt_in");
  check_mask(op, src_pad_mask, memory);
  EMBER_CHECK(tgt_in.size(0) == memory.size(0), "{}: tgt_in has batch {} but memory has batch {}",
              op, tgt_in.size(0), memory.size(0));
}

Tensor Transformer::decode(const Tensor& tgt_in, const Tensor& memory,
                           const Tensor& src_pad_mask) const {
  check_decode_inputs("Transformer::decode", tgt_in, memory, src_pad_mask);
  return run_decoder(tgt_in, memory, src_pad_mask, pad_mask(tgt_in), 0, nullptr);
}

DecoderOutput Transformer::decode_with_attention(const Tensor& tgt_in, const Tensor& memory,
                                                 const Tensor& src_pad_mask) const {
  check_decode_inputs("Transformer::decode_with_attention", tgt_in, memory, src_pad_mask);
  DecoderOutput out;
  out.logits =
      run_decoder(tgt_in, memory, src_pad_mask, pad_mask(tgt_in), 0, nullptr, &out.cross_weights);
  return out;
}

Tensor Transformer::forward(const Tensor& src, const Tensor& tgt_in) const {
  return decode(tgt_in, encode(src), pad_mask(src));
}

DecoderState Transformer::start_decoding(const Tensor& memory, const Tensor& src_pad_mask) const {
  check_mask("Transformer::start_decoding", src_pad_mask, memory);
  DecoderState state;
  state.memory = memory;
  state.src_pad_mask = src_pad_mask;
  state.tgt_pad_mask = empty({memory.size(0), 0}, TensorOptions(kBool, memory.device()));
  state.self_attn.resize(decoder_layers_.size());
  state.cross_attn.resize(decoder_layers_.size());
  for (nn::KVCache& cache : state.cross_attn) cache.fixed = true;
  // A fixed cache fills on its first call; a one-row dummy query makes that call now, so the
  // memory's keys/values are projected once per sentence, not once per beam.
  const Tensor probe =
      zeros({memory.size(0), 1, config_.d_model}, TensorOptions(memory.dtype(), memory.device()));
  const nn::AttentionMask mask = key_padding_mask(src_pad_mask);
  for (size_t i = 0; i < decoder_layers_.size(); ++i)
    decoder_layers_[i]->cross_attn->forward(probe, memory, memory, mask, &state.cross_attn[i]);
  return state;
}

Tensor Transformer::decode_step(const Tensor& tokens, DecoderState& state) const {
  const char* op = "Transformer::decode_step";
  check_ids(op, tokens, "tokens");
  EMBER_CHECK(state.self_attn.size() == decoder_layers_.size() &&
                  state.cross_attn.size() == decoder_layers_.size() && state.tgt_pad_mask.defined(),
              "{}: the state was not made by start_decoding of this model ({} layers)", op,
              decoder_layers_.size());
  EMBER_CHECK(tokens.size(0) == state.batch_size(),
              "{}: tokens have batch {} but the decoder state holds {} rows", op, tokens.size(0),
              state.batch_size());
  const Tensor tgt_pad_mask = cat({state.tgt_pad_mask, pad_mask(tokens)}, 1);
  const Tensor logits =
      run_decoder(tokens, state.memory, state.src_pad_mask, tgt_pad_mask, state.offset, &state);
  state.tgt_pad_mask = tgt_pad_mask;
  state.offset += tokens.size(1);
  return logits;
}

}  // namespace ember::models
