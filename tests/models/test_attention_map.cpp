#include <algorithm>
#include <cmath>
#include <vector>

#include "ember/models/transformer/attention_map.h"
#include "ember/models/transformer/model.h"
#include "ember/models/transformer/translator.h"
#include "helpers.h"

using namespace ember;
using namespace ember::testing;
using namespace ember::models;

namespace {

constexpr int64_t kPad = 0, kBos = 2, kEos = 3;

TransformerConfig tiny(bool pre_ln) {
  TransformerConfig c = TransformerConfig::preset("tiny", 13, 11);
  c.pre_ln = pre_ln;
  c.max_len = 32;
  return c;
}

Tensor ids(const std::vector<std::vector<int64_t>>& rows) {
  std::vector<int64_t> flat;
  for (const auto& r : rows) flat.insert(flat.end(), r.begin(), r.end());
  return tensor(flat, {static_cast<int64_t>(rows.size()), static_cast<int64_t>(rows[0].size())});
}

// Checks weights [.., T, S] of batch row b: non-negative, 0 where src_row is <pad>, and each row
// summing to 1 over the other positions.
void check_rows_are_distributions(const Tensor& weights, const std::vector<int64_t>& src_row) {
  const int64_t S = weights.size(-1);
  REQUIRE(S == static_cast<int64_t>(src_row.size()));
  const auto w = weights.to_vector<double>();
  for (size_t row = 0; row < w.size() / static_cast<size_t>(S); ++row) {
    double total = 0;
    for (int64_t s = 0; s < S; ++s) {
      const double v = w[row * static_cast<size_t>(S) + static_cast<size_t>(s)];
      CHECK(v >= 0);
      if (src_row[static_cast<size_t>(s)] == kPad) CHECK(v == 0);
      total += v;
    }
    CHECK(total == doctest::Approx(1.0).epsilon(1e-5));
  }
}

// The query that decoder layer `layer`'s cross-attention reads, rebuilt from the model's public
// parts: embedding and positions, the layers below, then this layer's self-attention block.
Tensor cross_attention_query(const Transformer& model, const Tensor& tgt_in, const Tensor& memory,
                             const Tensor& src_mask, size_t layer) {
  const TransformerConfig& c = model.config();
  Tensor x = model.positions->forward(
      model.tgt_embed->forward(tgt_in) * std::sqrt(static_cast<double>(c.d_model)), 0);
  const Tensor tgt_mask = model.pad_mask(tgt_in);
  std::vector<std::shared_ptr<DecoderLayer>> layers;
  for (size_t i = 0; i < model.decoder->size(); ++i)
    layers.push_back(model.decoder->at<DecoderLayer>(i));
  for (size_t i = 0; i < layer; ++i) x = layers[i]->forward(x, memory, src_mask, tgt_mask);
  const DecoderLayer& l = *layers[layer];
  const nn::AttentionMask self_mask{.key_padding = tgt_mask, .causal = true};
  if (c.pre_ln) {
    const Tensor h = l.norm1->forward(x);
    return l.norm2->forward(x + l.self_attn->forward(h, h, h, self_mask));
  }
  return l.norm1->forward(x + l.self_attn->forward(x, x, x, self_mask));
}

}  // namespace

TEST_CASE("Transformer::decode_with_attention: logits as decode(), per-layer cross weights") {
  for (bool pre_ln : {false, true}) {
    CAPTURE(pre_ln);
    manual_seed(11);
    Transformer model(tiny(pre_ln));
    model.eval();
    NoGradGuard no_grad;
    const std::vector<std::vector<int64_t>> src_rows{
        {5, 9, 7, 11, 6, kEos}, {8, 4, kEos, kPad, kPad, kPad}, {12, 10, 4, 9, kEos, kPad}};
    const Tensor src = ids(src_rows);
    const Tensor tgt_in = ids({{kBos, 4, 7, 5}, {kBos, 6, kPad, kPad}, {kBos, 9, 8, kPad}});
    const Tensor memory = model.encode(src);
    const DecoderOutput out = model.decode_with_attention(tgt_in, memory, model.pad_mask(src));
    CHECK(allclose(out.logits, model.decode(tgt_in, memory, model.pad_mask(src)), 0, 0));
    REQUIRE(out.cross_weights.size() == 2);
    for (const Tensor& w : out.cross_weights) {
      CHECK(w.sizes() == Shape{3, 4, 4, 6});
      for (int64_t b = 0; b < 3; ++b) check_rows_are_distributions(w.select(0, b), src_rows[b]);
    }
  }
}

TEST_CASE("cross_attention_map: rows sum to 1 over the source, 0 at padding") {
  manual_seed(12);
  Transformer model(tiny(false));
  const std::vector<int64_t> source{5, 9, 7, kEos, kPad, kPad};
  const std::vector<int64_t> target{4, 6, 8, kEos};
  for (const CrossAttentionOptions& o : {CrossAttentionOptions{}, CrossAttentionOptions{.layer = 0},
                                         CrossAttentionOptions{.layer = 1, .head = 3}}) {
    const Tensor map = cross_attention_map(model, source, target, o);
    CHECK(map.sizes() == Shape{4, 6});
    check_rows_are_distributions(map, source);
  }
}

TEST_CASE("cross_attention_map equals MultiHeadAttention::forward_with_weights") {
  for (bool pre_ln : {false, true}) {
    CAPTURE(pre_ln);
    manual_seed(13);
    Transformer model(tiny(pre_ln));
    const std::vector<int64_t> source{5, 9, 7, 11, kEos};
    const std::vector<int64_t> target{4, 6, 8, 10, 5, kEos};
    const Tensor src = ids({source});
    const Tensor tgt_in = ids({{kBos, 4, 6, 8, 10, 5}});

    model.eval();
    Tensor expected_per_layer[2];
    {
      NoGradGuard no_grad;
      const Tensor memory = model.encode(src), mask = model.pad_mask(src);
      for (size_t layer = 0; layer < 2; ++layer) {
        const Tensor query = cross_attention_query(model, tgt_in, memory, mask, layer);
        const auto dl = model.decoder->at<DecoderLayer>(layer);
        expected_per_layer[layer] =
            dl->cross_attn->forward_with_weights(query, memory, memory, {.key_padding = mask})
                .weights.select(0, 0);  // [H, T, S]
      }
    }
    // Training mode on entry: the map must still come from the eval-mode model, and the mode
    // must come back.
    model.train();
    for (int64_t layer : {0, 1, -1, -2}) {
      CAPTURE(layer);
      const Tensor& expected = expected_per_layer[layer < 0 ? layer + 2 : layer];
      CHECK_CLOSE(cross_attention_map(model, source, target, {.layer = layer}), mean(expected, {0}),
                  1e-5, 1e-6);
      for (int64_t head = 0; head < 4; ++head)
        CHECK_CLOSE(cross_attention_map(model, source, target, {.layer = layer, .head = head}),
                    expected.select(0, head), 1e-5, 1e-6);
    }
    CHECK(model.is_training());
    CHECK_FALSE(cross_attention_map(model, source, target).requires_grad());
  }
}

TEST_CASE("cross_attention_map: bad layers, heads and token ids") {
  manual_seed(14);
  Transformer model(tiny(false));
  const std::vector<int64_t> source{5, 9, kEos}, target{4, kEos}, none;
  CHECK_THROWS_CONTAINING(cross_attention_map(model, source, target, {.layer = 2}),
                          "layer 2 does not exist in a decoder of 2 layers (valid: -2..1)");
  CHECK_THROWS_CONTAINING(cross_attention_map(model, source, target, {.layer = -3}),
                          "layer -3 does not exist");
  CHECK_THROWS_CONTAINING(cross_attention_map(model, source, target, {.head = 4}),
                          "head 4 does not exist in attention with 4 heads (valid: 0..3)");
  CHECK_THROWS_CONTAINING(cross_attention_map(model, source, target, {.head = -1}),
                          "head -1 does not exist");
  CHECK_THROWS_CONTAINING(cross_attention_map(model, none, target), "the source has no tokens");
  CHECK_THROWS_CONTAINING(cross_attention_map(model, source, none), "the target has no tokens");
  CHECK_THROWS_CONTAINING(cross_attention_map(model, std::vector<int64_t>{5, 13}, target),
                          "source token 1 is id 13, outside the vocabulary [0, 13)");
  CHECK_THROWS_CONTAINING(cross_attention_map(model, source, std::vector<int64_t>{-1}),
                          "target token 0 is id -1, outside the vocabulary [0, 11)");
  CHECK_THROWS_CONTAINING(cross_attention_map(model, source, std::vector<int64_t>(33, 4)),
                          "the target has 33 tokens, more than the model's max_len (32)");
}

TEST_CASE("Translator::translate_with_attention: the translation and its labelled map") {
  manual_seed(15);
  const std::vector<std::string> src_vocab{"<pad>", "<unk>", "<bos>", "<eos>", "a",
                                           "man",   "rides", "bike",  "two",   "dogs",
                                           "run",   "cat",   "."};
  const std::vector<std::string> tgt_vocab{"<pad>", "<unk>", "<bos>", "<eos>", "ein", "mann",
                                           "fährt", "rad",   "zwei",  "hunde", "."};
  auto model = std::make_shared<Transformer>(tiny(false));
  const Translator translator(model, {std::make_shared<data::WordTokenizer>(src_vocab, true),
                                      std::make_shared<data::WordTokenizer>(tgt_vocab, true)});
  const DecodeOptions options{.max_len_extra = 3, .beam_size = 2};
  const AttentionMap map =
      translator.translate_with_attention("A man rides a bike .", options, {.layer = 0});
  CHECK(map.translation == translator.translate({"A man rides a bike ."}, options)[0]);
  CHECK(map.source_tokens ==
        std::vector<std::string>{"a", "man", "rides", "a", "bike", ".", "<eos>"});
  REQUIRE_FALSE(map.target_tokens.empty());
  CHECK(map.target_tokens.back() == "<eos>");
  CHECK(map.weights.sizes() ==
        Shape{static_cast<int64_t>(map.target_tokens.size()), static_cast<int64_t>(7)});
  std::vector<int64_t> target;
  for (const std::string& t : map.target_tokens)
    target.push_back(std::find(tgt_vocab.begin(), tgt_vocab.end(), t) - tgt_vocab.begin());
  CHECK_CLOSE(map.weights,
              cross_attention_map(*model, std::vector<int64_t>{4, 5, 6, 4, 7, 12, kEos}, target,
                                  {.layer = 0}),
              0, 0);
}
