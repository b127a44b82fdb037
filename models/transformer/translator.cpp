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

std::vector<std::string> Translator::translate(const std::vector<std::string>& sentences,
                                               const DecodeOptions& options,
                                               int64_t batch_sentences) const {
  EMBER_CHECK(batch_sentences > 0, "Translator: batch_sentences must be positive");
  NoGradGuard no_grad;
  model_->eval();
  const int64_t eos = model_->config().eos_id;
  std::vector<std::vector<int64_t>> ids(sentences.size());
  for (size_t i = 0; i < sentences.size(); ++i) {
    ids[i] = tokenizers_.src->encode(sentences[i]);
    const int64_t room = model_->config().max_len - 1;
    if (static_cast<int64_t>(ids[i].size()) > room) ids[i].resize(static_cast<size_t>(room));
    ids[i].push_back(eos);
  }
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

}  // namespace ember::models
