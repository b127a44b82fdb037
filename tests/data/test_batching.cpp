#include <ember/data/batching.h>

#include <numeric>
#include <set>

#include "helpers.h"
#include "translation_fixtures.h"

using namespace ember;
using namespace ember::data;

namespace {

// Pairs with src length 1 + (i % 7) and tgt length 2 + (i * 5 % 11), each token naming its pair
// (ids i + 10) so a batch's rows can be traced back.
EncodedCorpus synthetic_corpus(int64_t pairs) {
  EncodedCorpus corpus;
  for (int64_t i = 0; i < pairs; ++i) {
    std::vector<int64_t> src(1 + i % 7, i + 10), tgt(2 + i * 5 % 11, i + 10);
    src.back() = kEosId;
    tgt.front() = kBosId;
    tgt.back() = kEosId;
    corpus.src.push_back(src);
    corpus.tgt.push_back(tgt);
    corpus.line.push_back(i);
  }
  return corpus;
}

std::vector<int64_t> row(const Tensor& t, int64_t r) {
  const auto values = t.contiguous().to_vector<int64_t>();
  const int64_t width = t.size(1);
  return {values.begin() + r * width, values.begin() + (r + 1) * width};
}

// The rows of every batch of `epoch`, as lines, in order.
std::vector<std::vector<int64_t>> epoch_lines(const Batches& batches, int64_t epoch) {
  std::vector<std::vector<int64_t>> lines;
  for (const Batch& batch : batches.epoch(epoch)) lines.push_back(batch.indices);
  return lines;
}

}  // namespace

TEST_CASE("encode_corpus: <eos> on src, <bos>/<eos> around tgt, long pairs dropped and counted") {
  const ParallelCorpus corpus = ember::testing::caption_corpus(40);
  const auto tok = WordTokenizer::build(corpus.src, {.lowercase = false, .min_freq = 1});
  const auto de = WordTokenizer::build(corpus.tgt, {.lowercase = false, .min_freq = 1});

  const EncodedCorpus all = encode_corpus(corpus, *tok, *de);
  REQUIRE(all.size() == 40);
  CHECK(all.dropped == 0);
  for (int64_t i = 0; i < all.size(); ++i) {
    std::vector<int64_t> src = tok->encode(corpus.src[i]);
    src.push_back(kEosId);
    CHECK(all.src[i] == src);
    std::vector<int64_t> tgt = {kBosId};
    for (int64_t id : de->encode(corpus.tgt[i])) tgt.push_back(id);
    tgt.push_back(kEosId);
    CHECK(all.tgt[i] == tgt);
    CHECK(all.line[i] == i);
  }

  // "A man is playing in the park." is 7 words + "." = 8 tokens + <eos> = 9.
  int64_t longer = 0;
  for (const auto& s : all.src) longer += s.size() > 9;
  const EncodedCorpus cut = encode_corpus(corpus, *tok, *de, {.max_src_len = 9});
  CHECK(cut.dropped == longer);
  CHECK(cut.size() == 40 - longer);
  CHECK(longer > 0);
  CHECK(longer < 40);
  for (int64_t i = 0; i < cut.size(); ++i) {
    CHECK(cut.src[i].size() <= 9);
    CHECK(cut.src[i] == all.src[cut.line[i]]);  // line maps back to the corpus
  }
  CHECK_THROWS_CONTAINING(encode_corpus(corpus, *tok, *de, {.max_tgt_len = 2}),
                          "max_tgt_len 2 leaves no room");
}

TEST_CASE("batches: padded to their own longest sequence, within the token budget") {
  const EncodedCorpus corpus = synthetic_corpus(100);
  const Batches batches(corpus, {.max_tokens = 40, .seed = 3});
  CHECK(batches.num_pairs() == 100);
  for (int64_t epoch = 0; epoch < 3; ++epoch) {
    const EpochBatches plan = batches.epoch(epoch);
    CHECK(plan.size() == batches.size());
    for (int64_t b = 0; b < plan.size(); ++b) {
      const Batch batch = plan[b];
      REQUIRE(batch.src.dtype() == kInt64);
      REQUIRE(batch.tgt.dtype() == kInt64);
      const int64_t rows = batch.size(), S = batch.src.size(1), T = batch.tgt.size(1);
      CHECK(batch.src.size(0) == rows);
      CHECK(batch.tgt.size(0) == rows);
      CHECK(rows * std::max(S, T) <= 40);
      size_t longest_src = 0, longest_tgt = 0;
      int64_t src_tokens = 0, tgt_tokens = 0;
      for (int64_t r = 0; r < rows; ++r) {
        const int64_t line = batch.indices[r];
        const auto& src = corpus.src[line];
        const auto& tgt = corpus.tgt[line];
        longest_src = std::max(longest_src, src.size());
        longest_tgt = std::max(longest_tgt, tgt.size());
        src_tokens += static_cast<int64_t>(src.size());
        tgt_tokens += static_cast<int64_t>(tgt.size());
        std::vector<int64_t> src_row = src, tgt_row = tgt;
        src_row.resize(S, kPadId);
        tgt_row.resize(T, kPadId);
        CHECK(row(batch.src, r) == src_row);
        CHECK(row(batch.tgt, r) == tgt_row);
      }
      CHECK(S == static_cast<int64_t>(longest_src));
      CHECK(T == static_cast<int64_t>(longest_tgt));
      CHECK(batch.src_tokens == src_tokens);
      CHECK(batch.tgt_tokens == tgt_tokens);
      CHECK(batch.predicted_tokens() == tgt_tokens - rows);
    }
  }
}

TEST_CASE("batches: every pair exactly once per epoch; seeded and deterministic") {
  const EncodedCorpus corpus = synthetic_corpus(300);
  const Batches batches(corpus, {.max_tokens = 64, .seed = 7});
  std::set<std::vector<std::vector<int64_t>>> epochs;
  for (int64_t epoch = 0; epoch < 4; ++epoch) {
    const auto lines = epoch_lines(batches, epoch);
    CHECK(static_cast<int64_t>(lines.size()) == batches.size());
    std::vector<int64_t> seen;
    for (const auto& batch : lines) seen.insert(seen.end(), batch.begin(), batch.end());
    std::sort(seen.begin(), seen.end());
    std::vector<int64_t> expected(300);
    std::iota(expected.begin(), expected.end(), 0);
    CHECK(seen == expected);
    epochs.insert(lines);
  }
  CHECK(epochs.size() == 4);  // each epoch has its own order

  // The same seed gives the same batches, another seed other batches.
  const Batches again(synthetic_corpus(300), {.max_tokens = 64, .seed = 7});
  const Batches other(synthetic_corpus(300), {.max_tokens = 64, .seed = 8});
  CHECK(epoch_lines(again, 2) == epoch_lines(batches, 2));
  CHECK(epoch_lines(other, 2) != epoch_lines(batches, 2));
  CHECK(other.size() == batches.size());  // the cut points depend only on the lengths

  // Within a batch, lengths are close: sorted by (src, tgt) length before cutting.
  for (const auto& batch : epoch_lines(batches, 0)) {
    size_t shortest = SIZE_MAX, longest = 0;
    for (int64_t line : batch) {
      shortest = std::min(shortest, corpus.src[line].size());
      longest = std::max(longest, corpus.src[line].size());
    }
    CHECK(longest - shortest <= 1);
  }
}

TEST_CASE("batches: evaluation order and a sentence cap") {
  const EncodedCorpus corpus = synthetic_corpus(50);
  const Batches eval(corpus, {.max_tokens = 1000, .max_sentences = 8, .shuffle = false});
  CHECK(epoch_lines(eval, 0) == epoch_lines(eval, 5));
  size_t previous = 0;
  int64_t rows = 0;
  for (const Batch& batch : eval.epoch(0)) {
    CHECK(batch.size() <= 8);
    rows += batch.size();
    for (int64_t line : batch.indices) {
      CHECK(corpus.src[line].size() >= previous);  // length order
      previous = corpus.src[line].size();
    }
  }
  CHECK(rows == 50);
  CHECK(eval.size() == 7);  // ceil(50 / 8)
}

TEST_CASE("batches: bad input is a clear error") {
  CHECK_THROWS_CONTAINING(Batches(EncodedCorpus{}, {}), "no sentence pairs to batch");
  CHECK_THROWS_CONTAINING(Batches(synthetic_corpus(20), {.max_tokens = 0}),
                          "max_tokens 0 must be positive");
  // Pair 2 (line 3) has a tgt of 2 + 10 % 11 = 12 tokens.
  CHECK_THROWS_CONTAINING(Batches(synthetic_corpus(20), {.max_tokens = 8}),
                          "line 3 has 12 tokens, more than max_tokens=8 allows");
  const Batches batches(synthetic_corpus(20), {.max_tokens = 100});
  CHECK_THROWS_CONTAINING(batches.epoch(0)[batches.size()], "out of range");
}

TEST_CASE("pad_sequences") {
  const Tensor t = pad_sequences({{5, 6, 3}, {7, 3}, {3}});
  CHECK(t.sizes() == Shape{3, 3});
  CHECK(t.to_vector<int64_t>() == std::vector<int64_t>{5, 6, 3, 7, 3, 0, 3, 0, 0});
}
