#include "ember/models/transformer/translator.h"

#include <algorithm>
#include <numeric>

#include <ember/data/batching.h>
#include <ember/ember.h>

namespace ember::models {

Translator::Translator(std::shared_ptr<Transformer> model, data::TokenizerPair tokenizers)
    : model_(std::move(model)), tokenizers_(std::move(tokenizers)) {
  EMBER_CHECK(model_ != nullptr && tokenizers_.src && tokenizers_.tgt,
              "Translator: needs a model and both tokenizers");
}

Translator Translator::load(const std::string& path) {
  const optim::Checkpoint ck = optim::load_checkpoint(path);
  auto config_text = ck.metadata.find("config");
  EMBER_CHECK(config_text != ck.metadata.end(),
              "Translator: {} has no model config in its metadata; was it written by "
              "ember-train-mt?",
              path);
  auto model = std::make_shared<Transformer>(TransformerConfig::from_string(config_text->second));
  model->load_state_dict(ck.model);
  model->eval();
  return Translator(std::move(model), data::load_tokenizers(ck.metadata));
}

std::vector<int64_t> Translator::source_ids(const std::string& sentence) const {
  std::vector<int64_t> ids = tokenizers_.src->encode(sentence);
  const int64_t room = model_->config().max_len - 1;
  if (static_cast<int64_t>(ids.size()) > room) ids.resize(static_cast<size_t>(room));
  ids.push_back(model_->config().eos_id);
  return ids;
}

std::vector<std::string> Translator::translate(const std::vector<std::string>& sentences,
                                               const DecodeOptions& options,
                                               int64_t batch_sentences) const {
  EMBER_CHECK(batch_sentences > 0, "Translator: batch_sentences must be positive");
  NoGradGuard no_grad;
  model_->eval();
  std::vector<std::vector<int64_t>> ids(sentences.size());
  for (size_t i = 0; i < sentences.size(); ++i) ids[i] = source_ids(sentences[i]);
  // Similar lengths together: less padding, fewer wasted decoder steps.
  std::vector<size_t> order(sentences.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return ids[a].size() < ids[b].size(); });
  std::vector<std::string> out(sentences.size());
  for (size_t start = 0; start < order.size(); start += static_cast<size_t>(batch_sentences)) {
    const size_t end = std::min(order.size(), start + static_cast<size_t>(batch_sentences));
    std::vector<std::vector<int64_t>> batch;
    for (size_t k = start; k < end; ++k) batch.push_back(ids[order[k]]);
    const Tensor src = data::pad_sequences(batch);
    const auto decoded = options.beam_size <= 1 ? greedy_decode(*model_, src, options)
                                                : beam_search(*model_, src, options);
    for (size_t k = start; k < end; ++k)
      out[order[k]] = tokenizers_.tgt->decode(decoded[k - start]);
  }
  return out;
}

AttentionMap Translator::translate_with_attention(const std::string& sentence,
                                                  const DecodeOptions& options,
                                                  const CrossAttentionOptions& attention) const {
  NoGradGuard no_grad;
  model_->eval();
  const std::vector<int64_t> source = source_ids(sentence);
  const Tensor src = data::pad_sequences({source});
  std::vector<int64_t> target = options.beam_size <= 1 ? greedy_decode(*model_, src, options)[0]
                                                       : beam_search(*model_, src, options)[0];
  AttentionMap map;
  map.translation = tokenizers_.tgt->decode(target);
  // A translation cut at max_len leaves no room for the <eos> step in the positional table.
  if (static_cast<int64_t>(target.size()) < model_->config().max_len)
    target.push_back(model_->config().eos_id);
  map.weights = cross_attention_map(*model_, source, target, attention);
  for (int64_t id : source) map.source_tokens.push_back(tokenizers_.src->token(id));
  for (int64_t id : target) map.target_tokens.push_back(tokenizers_.tgt->token(id));
  return map;
}

}  // namespace ember::models
