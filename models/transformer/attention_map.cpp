#include "ember/models/transformer/attention_map.h"

#include <vector>

#include "ember/core/grad_mode.h"
#include "ember/ops/factory.h"
#include "ember/ops/reduce.h"

namespace ember::models {

namespace {

constexpr const char* kOp = "cross_attention_map";

void check_tokens(std::span<const int64_t> ids, const char* what, int64_t vocab, int64_t max_len) {
  EMBER_CHECK(!ids.empty(), "{}: the {} has no tokens", kOp, what);
  EMBER_CHECK(static_cast<int64_t>(ids.size()) <= max_len,
              "{}: the {} has {} tokens, more than the model's max_len ({})", kOp, what, ids.size(),
              max_len);
  for (size_t i = 0; i < ids.size(); ++i)
    EMBER_CHECK(ids[i] >= 0 && ids[i] < vocab,
                "{}: {} token {} is id {}, outside the vocabulary [0, {})", kOp, what, i, ids[i],
                vocab);
}

}  // namespace

Tensor cross_attention_map(Transformer& model, std::span<const int64_t> source,
                           std::span<const int64_t> target, const CrossAttentionOptions& options) {
  const TransformerConfig& c = model.config();
  check_tokens(source, "source", c.src_vocab, c.max_len);
  check_tokens(target, "target", c.tgt_vocab, c.max_len);
  const int64_t layers = c.dec_layers;
  EMBER_CHECK(options.layer >= -layers && options.layer < layers,
              "{}: layer {} does not exist in a decoder of {} layers (valid: {}..{})", kOp,
              options.layer, layers, -layers, layers - 1);
  EMBER_CHECK(!options.head || (*options.head >= 0 && *options.head < c.heads),
              "{}: head {} does not exist in attention with {} heads (valid: 0..{})", kOp,
              options.head.value_or(0), c.heads, c.heads - 1);
  const int64_t layer = options.layer < 0 ? options.layer + layers : options.layer;

  nn::EvalModeGuard eval(model);
  NoGradGuard no_grad;
  const TensorOptions ids_options(kInt64, model.output_weight().device());
  const auto S = static_cast<int64_t>(source.size()), T = static_cast<int64_t>(target.size());
  const Tensor src =
      tensor(std::vector<int64_t>(source.begin(), source.end()), {1, S}, ids_options);
  // Teacher forcing: the step predicting target[t] reads <bos>, target[0], ..., target[t-1].
  std::vector<int64_t> fed{c.bos_id};
  fed.insert(fed.end(), target.begin(), target.end() - 1);
  const Tensor tgt_in = tensor(fed, {1, T}, ids_options);
  const DecoderOutput out =
      model.decode_with_attention(tgt_in, model.encode(src), model.pad_mask(src));
  const Tensor heads = out.cross_weights[static_cast<size_t>(layer)].select(0, 0);  // [H, T, S]
  return (options.head ? heads.select(0, *options.head) : mean(heads, {0})).contiguous();
}

}  // namespace ember::models
