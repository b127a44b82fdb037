#pragma once
// The sizes and switches of the encoder-decoder Transformer ("Attention Is All You Need"), with
// named presets and a plain-text form for checkpoint metadata.
//
//   auto cfg = ember::models::TransformerConfig::preset("small", src_vocab, tgt_vocab);
//   cfg.pre_ln = true;
//   checkpoint.metadata["transformer.config"] = cfg.to_string();
//   ...
//   auto saved = TransformerConfig::from_string(checkpoint.metadata.at("transformer.config"));
//   saved.check_matches(cfg);  // throws naming every field that differs
#include <cstdint>
#include <string>
#include <vector>

namespace ember::models {

struct TransformerConfig {
  int64_t src_vocab = 0;
  int64_t tgt_vocab = 0;
  int64_t d_model = 512;
  int64_t heads = 8;
  int64_t enc_layers = 6;
  int64_t dec_layers = 6;
  int64_t d_ff = 2048;
  double dropout = 0.1;            // embedding sum, sub-layer outputs, FFN hidden layer
  double attention_dropout = 0.0;  // on the attention weights
  // false: post-LN as in the paper, x = LN(x + Sublayer(x)). true: pre-LN,
  // x = x + Sublayer(LN(x)), with a final LayerNorm on each stack.
  bool pre_ln = false;
  // The output projection uses the target embedding matrix (logits = h E_tgt^T + b); gradients
  // from both uses accumulate into that one parameter.
  bool tie_target_embedding = false;
  // Joint vocabulary: the encoder reads the target embedding too (src_vocab must equal
  // tgt_vocab). Independent of tie_target_embedding; set both to tie all three.
  bool share_all_embeddings = false;
  int64_t max_len = 256;  // rows of the positional table: the longest sequence either side
  int64_t pad_id = 0;
  int64_t bos_id = 2;
  int64_t eos_id = 3;

  // "tiny" (d_model 64, 2+2 layers, 4 heads, FFN 128; for tests, trains in seconds),
  // "small" (256, 3+3, 8, 1024) or "base" (512, 6+6, 8, 2048, the paper's base model).
  // tiny and small tie the target embedding, base does not.
  static TransformerConfig preset(const std::string& name, int64_t src_vocab, int64_t tgt_vocab);

  // Throws naming the first problem (sizes, head divisibility, dropout range, special ids).
  void validate() const;

  // "key=value" lines, one per field, in declaration order.
  std::string to_string() const;
  // Reads to_string()'s text (whitespace-separated key=value; '#' starts a comment). Fields not
  // mentioned keep their defaults; unknown keys and malformed values are errors. Validates.
  static TransformerConfig from_string(const std::string& text);

  // The architecture fields (everything but the dropout rates, which are training settings)
  // that differ from `other`, each as "name (this vs other)".
  std::vector<std::string> differences(const TransformerConfig& other) const;
  // Throws "Transformer: checkpoint config does not match the model: d_model (256 vs 512), ..."
  // when differences(other) is not empty; `what` replaces "checkpoint config" in the message.
  void check_matches(const TransformerConfig& other,
                     const std::string& what = "checkpoint config") const;

  bool operator==(const TransformerConfig&) const = default;
};

}  // namespace ember::models
