#pragma once
// Translation batches: token ids bucketed by length, under a token budget, in a seeded order.
//
//   auto encoded = data::encode_corpus(train, *tok.src, *tok.tgt, {.max_src_len = 256});
//   data::Batches batches(std::move(encoded), {.max_tokens = 4096, .seed = 1});
//   for (int64_t epoch = 0; epoch < epochs; ++epoch)
//     for (const data::Batch& b : batches.epoch(epoch)) {
//       Tensor input = b.tgt.slice(1, 0, -1), target = b.tgt.slice(1, 1, b.tgt.size(1));
//       ... model(b.src, input), a loss ignoring kPadId in target, averaged over
//       b.predicted_tokens() ...
//     }
//
// Sequences: src = ids + <eos>; tgt = <bos> + ids + <eos>. Each batch is padded only to its own
// longest sequence with <pad> = 0; the model's masks handle the padding (no fixed max_len).
//
// How an epoch is made (deterministic for a given seed and epoch number):
//   1. pairs are shuffled with (seed, epoch), then stably sorted by (src length, tgt length), so
//      pairs of equal lengths come in a new order each epoch;
//   2. the sorted run is cut greedily into batches whose padded size batch_size * max(S, T) stays
//      within max_tokens (and batch_size within max_sentences, when set);
//   3. the batch order is shuffled with (seed, epoch).
// The cut points depend only on the sorted lengths, so every epoch has the same number of batches,
// and each pair appears in exactly one batch per epoch. With shuffle = false (evaluation) steps 1
// and 3 are skipped: batches come in length order and Batch::indices maps rows back to lines.
#include <cstdint>
#include <iterator>
#include <memory>
#include <vector>

#include "ember/core/tensor.h"
#include "ember/data/tokenizer.h"
#include "ember/data/translation.h"

namespace ember::data {

struct EncodeOptions {
  // Pairs whose src (ids + <eos>) or tgt (<bos> + ids + <eos>) is longer are dropped; 0: no limit.
  int64_t max_src_len = 0;
  int64_t max_tgt_len = 0;
};

struct EncodedCorpus {
  std::vector<std::vector<int64_t>> src;  // ids + <eos>
  std::vector<std::vector<int64_t>> tgt;  // <bos> + ids + <eos>
  std::vector<int64_t> line;              // line index (from 0) of each kept pair in the corpus
  int64_t dropped = 0;                    // pairs left out for exceeding a max length

  int64_t size() const { return static_cast<int64_t>(src.size()); }
};

// Encodes every pair; says how many were dropped through EncodedCorpus::dropped.
EncodedCorpus encode_corpus(const ParallelCorpus& corpus, const Tokenizer& src_tokenizer,
                            const Tokenizer& tgt_tokenizer, const EncodeOptions& options = {});

struct BatchingOptions {
  int64_t max_tokens = 4096;  // batch_size * max(S, T), padding included
  int64_t max_sentences = 0;  // 0: no limit
  bool shuffle = true;        // false: length order, same every epoch (for evaluation)
  uint64_t seed = 0;
};

struct Batch {
  Tensor src;                    // int64 [B, S], <pad>-filled on the right
  Tensor tgt;                    // int64 [B, T]: <bos> ... <eos>, then <pad>
  std::vector<int64_t> indices;  // row b came from line indices[b] of the corpus
  int64_t src_tokens = 0;        // non-pad entries of src
  int64_t tgt_tokens = 0;        // non-pad entries of tgt (<bos> and <eos> included)

  int64_t size() const { return static_cast<int64_t>(indices.size()); }
  // Non-pad entries of tgt[:, 1:]: the tokens the decoder predicts, what a per-token loss
  // averages over.
  int64_t predicted_tokens() const { return tgt_tokens - size(); }
};

class Batches;

// The batches of one epoch, in that epoch's order. Tensors are made when a batch is read.
class EpochBatches {
 public:
  int64_t size() const { return static_cast<int64_t>(plan_.size()); }
  Batch operator[](int64_t i) const;
  // Positions in the EncodedCorpus of the pairs that make up batch i.
  const std::vector<int64_t>& pairs(int64_t i) const;

  class iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = Batch;
    using difference_type = std::ptrdiff_t;
    iterator(const EpochBatches* epoch, int64_t i) : epoch_(epoch), i_(i) {}
    Batch operator*() const { return (*epoch_)[i_]; }
    iterator& operator++() { return ++i_, *this; }
    bool operator==(const iterator& other) const { return i_ == other.i_; }

   private:
    const EpochBatches* epoch_;
    int64_t i_;
  };
  iterator begin() const { return {this, 0}; }
  iterator end() const { return {this, size()}; }

 private:
  friend class Batches;
  EpochBatches(std::shared_ptr<const EncodedCorpus> corpus, std::vector<std::vector<int64_t>> plan)
      : corpus_(std::move(corpus)), plan_(std::move(plan)) {}
  std::shared_ptr<const EncodedCorpus> corpus_;
  std::vector<std::vector<int64_t>> plan_;
};

class Batches {
 public:
  // Throws if a single pair does not fit in max_tokens (raise it, or drop long pairs in
  // encode_corpus) or if the corpus is empty.
  Batches(EncodedCorpus corpus, BatchingOptions options);

  // Batches per epoch (the same for every epoch).
  int64_t size() const { return num_batches_; }
  int64_t num_pairs() const { return corpus_->size(); }
  EpochBatches epoch(int64_t epoch) const;
  const EncodedCorpus& corpus() const { return *corpus_; }
  const BatchingOptions& options() const { return options_; }

 private:
  std::vector<std::vector<int64_t>> plan(int64_t epoch) const;
  std::shared_ptr<const EncodedCorpus> corpus_;
  BatchingOptions options_;
  int64_t num_batches_ = 0;
};

// Pads sequences into an int64 [rows, longest] tensor with <pad> = 0 (for decoding a few
// sentences without the batcher).
Tensor pad_sequences(const std::vector<std::vector<int64_t>>& sequences);

}  // namespace ember::data
