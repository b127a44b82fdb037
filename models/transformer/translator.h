#pragma once
// Text in, text out: a trained Transformer with its tokenizers.
//
//   auto translator = models::Translator::load("runs/mt/best.safetensors");
//   auto german = translator.translate({"A man is riding a bike."}, {.beam_size = 4});
#include <memory>
#include <string>
#include <vector>

#include <ember/data/tokenizer.h>

#include "ember/models/transformer/decode.h"
#include "ember/models/transformer/model.h"

namespace ember::models {

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

  Transformer& model() const { return *model_; }
  const data::TokenizerPair& tokenizers() const { return tokenizers_; }

 private:
  std::shared_ptr<Transformer> model_;
  data::TokenizerPair tokenizers_;
};

}  // namespace ember::models
