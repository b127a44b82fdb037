#pragma once
// Text in, text out: a trained Transformer with its tokenizers.
//
//   auto translator = models::Translator::load("runs/mt/best.safetensors");
//   auto german = translator.translate({"A man is riding a bike."}, {.beam_size = 4});
#include <memory>
#include <string>
#include <vector>

#include <ember/data/tokenizer.h>

#include "ember/models/transformer/attention_map.h"
#include "ember/models/transformer/decode.h"
#include "ember/models/transformer/model.h"

namespace ember::models {

// One sentence's translation with where the decoder looked in the source.
struct AttentionMap {
  std::string translation;
  std::vector<std::string> source_tokens;  // the source's pieces, <eos> last: the columns
  std::vector<std::string> target_tokens;  // the translation's pieces, <eos> last: the rows
  Tensor weights;                          // [target_tokens, source_tokens], rows sum to 1
};

class Translator {
 public:
  Translator(std::shared_ptr<Transformer> model, data::TokenizerPair tokenizers);
  // Model, config and tokenizers from a checkpoint written by the trainer (self-contained).
  static Translator load(const std::string& checkpoint_path);

  // Translates sentences in batches sorted by length; the output keeps the input order.
  // beam_size 1 decodes greedily.
  std::vector<std::string> translate(const std::vector<std::string>& sentences,
                                     const DecodeOptions& options = {},
                                     int64_t batch_sentences = 64) const;
  // Translates one sentence as translate() does, then records the cross-attention of the
  // decoder pass that scores that translation (cross_attention_map). The last row belongs to
  // the step that predicted <eos> (for a translation cut at the length limit: the step after,
  // unless the cut was at max_len).
  AttentionMap translate_with_attention(const std::string& sentence,
                                        const DecodeOptions& options = {},
                                        const CrossAttentionOptions& attention = {}) const;

  Transformer& model() const { return *model_; }
  const data::TokenizerPair& tokenizers() const { return tokenizers_; }

 private:
  // The encoder's input for a sentence: its tokens, cut to fit max_len, then <eos>.
  std::vector<int64_t> source_ids(const std::string& sentence) const;

  std::shared_ptr<Transformer> model_;
  data::TokenizerPair tokenizers_;
};

}  // namespace ember::models
