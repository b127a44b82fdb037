#include "ember/data/batching.h"

#include <algorithm>
#include <numeric>

#include "ember/core/error.h"
#include "ember/core/generator.h"

namespace ember::data {

EncodedCorpus encode_corpus(const ParallelCorpus& corpus, const Tokenizer& src_tokenizer,
                            const Tokenizer& tgt_tokenizer, const EncodeOptions& options) {
  EMBER_CHECK(corpus.src.size() == corpus.tgt.size(),
              "encode_corpus: {} source sentences but {} target sentences", corpus.src.size(),
              corpus.tgt.size());
  EMBER_CHECK(options.max_src_len >= 0 && options.max_tgt_len >= 0,
              "encode_corpus: max_src_len {} and max_tgt_len {} must be >= 0 (0: no limit)",
              options.max_src_len, options.max_tgt_len);
  // The shortest sequences are [<eos>] and [<bos>, <eos>]; a limit below that drops everything.
  EMBER_CHECK(options.max_src_len == 0 || options.max_src_len >= 2,
              "encode_corpus: max_src_len {} leaves no room for a token and <eos>",
              options.max_src_len);
  EMBER_CHECK(options.max_tgt_len == 0 || options.max_tgt_len >= 3,
              "encode_corpus: max_tgt_len {} leaves no room for <bos>, a token and <eos>",
              options.max_tgt_len);
  EncodedCorpus encoded;
  const auto too_long = [](size_t length, int64_t limit) {
    return limit > 0 && static_cast<int64_t>(length) > limit;
  };
  for (size_t i = 0; i < corpus.src.size(); ++i) {
    std::vector<int64_t> src = src_tokenizer.encode(corpus.src[i]);
    src.push_back(kEosId);
    std::vector<int64_t> tgt_ids = tgt_tokenizer.encode(corpus.tgt[i]);
    std::vector<int64_t> tgt;
    tgt.reserve(tgt_ids.size() + 2);
    tgt.push_back(kBosId);
    tgt.insert(tgt.end(), tgt_ids.begin(), tgt_ids.end());
    tgt.push_back(kEosId);
    if (too_long(src.size(), options.max_src_len) || too_long(tgt.size(), options.max_tgt_len)) {
      ++encoded.dropped;
      continue;
    }
    encoded.src.push_back(std::move(src));
    encoded.tgt.push_back(std::move(tgt));
    encoded.line.push_back(static_cast<int64_t>(i));
  }
  return encoded;
}

namespace {

// Fisher-Yates driven by Philox, so the order depends only on (seed, stream), never on the
// standard library's distributions.
void seeded_shuffle(std::vector<int64_t>& items, uint64_t seed, uint64_t stream) {
  uint64_t counter = 0;
  std::array<uint32_t, 4> words{};
  int used = 4;
  const auto next64 = [&] {
    if (used == 4) words = philox4x32(seed, counter++, stream), used = 0;
    const uint64_t value = static_cast<uint64_t>(words[used]) << 32 | words[used + 1];
    used += 2;
    return value;
  };
  for (size_t i = items.size(); i > 1; --i) {
    // Maps 64 random bits onto [0, i) by multiplication (bias below 2^-40 for any real corpus).
    const auto j = static_cast<size_t>((static_cast<unsigned __int128>(next64()) * i) >> 64);
    std::swap(items[i - 1], items[j]);
  }
}

// Two independent streams per epoch: one breaks length ties, one orders the batches.
uint64_t tie_stream(int64_t epoch) {
  return static_cast<uint64_t>(epoch) * 2;
}
uint64_t order_stream(int64_t epoch) {
  return static_cast<uint64_t>(epoch) * 2 + 1;
}

Batch make_batch(const EncodedCorpus& corpus, const std::vector<int64_t>& pairs) {
  Batch batch;
  const auto rows = static_cast<int64_t>(pairs.size());
  int64_t src_len = 0, tgt_len = 0;
  for (int64_t p : pairs) {
    src_len = std::max<int64_t>(src_len, static_cast<int64_t>(corpus.src[p].size()));
    tgt_len = std::max<int64_t>(tgt_len, static_cast<int64_t>(corpus.tgt[p].size()));
  }
  batch.src = empty({rows, src_len}, kInt64);
  batch.tgt = empty({rows, tgt_len}, kInt64);
  const auto fill = [](int64_t* row, const std::vector<int64_t>& ids, int64_t width) {
    std::copy(ids.begin(), ids.end(), row);
    std::fill(row + ids.size(), row + width, kPadId);
  };
  int64_t* src = batch.src.data_ptr<int64_t>();
  int64_t* tgt = batch.tgt.data_ptr<int64_t>();
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t p = pairs[r];
    fill(src + r * src_len, corpus.src[p], src_len);
    fill(tgt + r * tgt_len, corpus.tgt[p], tgt_len);
    batch.src_tokens += static_cast<int64_t>(corpus.src[p].size());
    batch.tgt_tokens += static_cast<int64_t>(corpus.tgt[p].size());
    batch.indices.push_back(corpus.line[p]);
  }
  return batch;
}

}  // namespace

Batch EpochBatches::operator[](int64_t i) const {
  return make_batch(*corpus_, pairs(i));
}

const std::vector<int64_t>& EpochBatches::pairs(int64_t i) const {
  EMBER_CHECK(i >= 0 && i < size(), "EpochBatches: batch {} is out of range [0, {})", i, size());
  return plan_[i];
}

Batches::Batches(EncodedCorpus corpus, BatchingOptions options)
    : corpus_(std::make_shared<const EncodedCorpus>(std::move(corpus))), options_(options) {
  const EncodedCorpus& c = *corpus_;
  EMBER_CHECK(c.src.size() == c.tgt.size() && c.src.size() == c.line.size(),
              "Batches: the encoded corpus is inconsistent ({} src, {} tgt, {} line entries)",
              c.src.size(), c.tgt.size(), c.line.size());
  EMBER_CHECK(c.size() > 0, "Batches: no sentence pairs to batch ({} dropped as too long)",
              c.dropped);
  EMBER_CHECK(options_.max_tokens > 0, "Batches: max_tokens {} must be positive",
              options_.max_tokens);
  EMBER_CHECK(options_.max_sentences >= 0, "Batches: max_sentences {} must be >= 0 (0: no limit)",
              options_.max_sentences);
  for (int64_t p = 0; p < c.size(); ++p) {
    const auto longest = static_cast<int64_t>(std::max(c.src[p].size(), c.tgt[p].size()));
    EMBER_CHECK(longest <= options_.max_tokens,
                "Batches: the pair from line {} has {} tokens, more than max_tokens={} allows in "
                "a batch; raise max_tokens or drop long pairs (EncodeOptions::max_*_len)",
                c.line[p] + 1, longest, options_.max_tokens);
  }
  num_batches_ = static_cast<int64_t>(plan(0).size());
}

std::vector<std::vector<int64_t>> Batches::plan(int64_t epoch) const {
  const EncodedCorpus& c = *corpus_;
  std::vector<int64_t> order(c.src.size());
  std::iota(order.begin(), order.end(), 0);
  if (options_.shuffle) seeded_shuffle(order, options_.seed, tie_stream(epoch));
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
    if (c.src[a].size() != c.src[b].size()) return c.src[a].size() < c.src[b].size();
    return c.tgt[a].size() < c.tgt[b].size();
  });

  std::vector<std::vector<int64_t>> batches;
  std::vector<int64_t> current;
  size_t longest = 0;
  for (int64_t p : order) {
    const size_t grown = std::max({longest, c.src[p].size(), c.tgt[p].size()});
    const auto rows = static_cast<int64_t>(current.size()) + 1;
    const bool fits = rows * static_cast<int64_t>(grown) <= options_.max_tokens &&
                      (options_.max_sentences == 0 || rows <= options_.max_sentences);
    if (!fits && !current.empty()) {
      batches.push_back(std::move(current));
      current.clear();
      longest = 0;
    }
    current.push_back(p);
    longest = std::max({longest, c.src[p].size(), c.tgt[p].size()});
  }
  batches.push_back(std::move(current));

  if (options_.shuffle) {
    std::vector<int64_t> batch_order(batches.size());
    std::iota(batch_order.begin(), batch_order.end(), 0);
    seeded_shuffle(batch_order, options_.seed, order_stream(epoch));
    std::vector<std::vector<int64_t>> shuffled;
    shuffled.reserve(batches.size());
    for (int64_t b : batch_order) shuffled.push_back(std::move(batches[b]));
    batches = std::move(shuffled);
  }
  return batches;
}

EpochBatches Batches::epoch(int64_t epoch) const {
  return {corpus_, plan(epoch)};
}

Tensor pad_sequences(const std::vector<std::vector<int64_t>>& sequences) {
  size_t longest = 0;
  for (const auto& s : sequences) longest = std::max(longest, s.size());
  const auto rows = static_cast<int64_t>(sequences.size());
  const auto width = static_cast<int64_t>(longest);
  Tensor out = empty({rows, width}, kInt64);
  int64_t* data = out.data_ptr<int64_t>();
  for (int64_t r = 0; r < rows; ++r) {
    const auto& s = sequences[r];
    std::copy(s.begin(), s.end(), data + r * width);
    std::fill(data + r * width + static_cast<int64_t>(s.size()), data + (r + 1) * width, kPadId);
  }
  return out;
}

}  // namespace ember::data
