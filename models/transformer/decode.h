#pragma once
// Greedy and beam-search decoding for the Transformer, batched, with the key/value cache: the
// source is encoded once, each layer's cross-attention keys/values are projected once per
// sentence, and every new token costs one decoder step.
//
//   model.eval();   // decoding always runs in eval mode without a graph (the mode is restored)
//   auto best = models::beam_search(model, src, {.beam_size = 4, .length_penalty = 0.6});
//   // best[b]: token ids of sentence b, without <bos>, <eos> or <pad>
//
// Both never emit <pad> or <bos>, stop a sentence at <eos> (not included in the output) or at its
// length limit, and drop finished sentences from the batch. A sentence's result does not depend
// on the other sentences of the batch.
#include <cstdint>
#include <vector>

#include "ember/models/transformer/model.h"

namespace ember::models {

struct DecodeOptions {
  // A sentence whose source has S non-pad tokens gets at most
  // floor(max_len_ratio * S) + max_len_extra output tokens (<eos> included), capped by the
  // model's max_len. The default is the paper's S + 50.
  double max_len_ratio = 1.0;
  int64_t max_len_extra = 50;
  // Beam search only.
  int64_t beam_size = 4;
  // alpha of the GNMT length penalty: hypotheses are ranked by log P(Y) / lp(|Y|) with
  // lp(|Y|) = ((5 + |Y|) / 6)^alpha and |Y| counting <eos>. 0 ranks by log P(Y) alone.
  double length_penalty = 0.6;
};

struct Hypothesis {
  std::vector<int64_t> tokens;  // without <bos>/<eos>
  double log_prob = 0;          // sum of the chosen tokens' log-probabilities, <eos> included
  double score = 0;             // log_prob / lp(|Y|)
  bool finished = false;        // ended with <eos> (false: cut at the length limit)
};

// src [B, S] int64 (padded with pad_id) -> B token sequences.
std::vector<std::vector<int64_t>> greedy_decode(Transformer& model, const Tensor& src,
                                                const DecodeOptions& options = {});

// Per sentence, up to beam_size hypotheses, best (highest score) first.
std::vector<std::vector<Hypothesis>> beam_search_nbest(Transformer& model, const Tensor& src,
                                                       const DecodeOptions& options = {});
// Per sentence, the best hypothesis' tokens.
std::vector<std::vector<int64_t>> beam_search(Transformer& model, const Tensor& src,
                                              const DecodeOptions& options = {});

// The GNMT length penalty ((5 + length) / 6)^alpha.
double length_penalty(int64_t length, double alpha);

}  // namespace ember::models
