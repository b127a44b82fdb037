#pragma once
// Where the decoder looked: the cross-attention weights of one sentence pair, from a
// teacher-forced decoder pass, as a [target_len, source_len] map (e.g. for a heat map).
//
//   // source: the encoder's input (<eos> last); target: the translation followed by <eos>
//   Tensor map = models::cross_attention_map(model, source, target, {.layer = -1});
//   // map[t][s]: how much predicting target[t] attended to source[s]; each row sums to 1
#include <cstdint>
#include <optional>
#include <span>

#include "ember/models/transformer/model.h"

namespace ember::models {

struct CrossAttentionOptions {
  int64_t layer = -1;           // decoder layer, 0-based; negative counts from the last
  std::optional<int64_t> head;  // one head (0-based); none: the mean over all heads
};

// Feeds <bos> + target[0 .. T-1) to the decoder in one teacher-forced pass over
// encode(source), in eval mode without a graph (the model's mode is restored), and returns
// the chosen layer's cross-attention weights [T, S] (float, on the model's device): row t is
// the step that predicts target[t]. Rows sum to 1 over the source positions that are not
// <pad>; padded positions get 0.
Tensor cross_attention_map(Transformer& model, std::span<const int64_t> source,
                           std::span<const int64_t> target,
                           const CrossAttentionOptions& options = {});

}  // namespace ember::models
