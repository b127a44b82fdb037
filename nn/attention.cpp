#include "ember/nn/attention.h"

#include <cmath>

#include "ember/nn/init.h"
#include "ember/ops/dropout.h"
#include "ember/ops/elementwise.h"
#include "ember/ops/factory.h"
#include "ember/ops/index.h"
#include "ember/ops/join.h"
#include "ember/ops/linalg.h"
#include "ember/ops/shape.h"
#include "ember/ops/softmax.h"

namespace ember::nn {

void KVCache::reorder(const Tensor& index) {
  if (!key.defined()) return;
  key = index_select(key, 0, index);
  value = index_select(value, 0, index);
}

MultiHeadAttention::MultiHeadAttention(MultiHeadAttentionOptions opts)
    : Module("MultiHeadAttention"), options(opts) {
  const int64_t E = options.embed_dim, H = options.num_heads;
  EMBER_CHECK(E > 0 && H > 0 && E % H == 0,
              "MultiHeadAttention: embed_dim ({}) must be a positive multiple of num_heads ({})", E,
              H);
  EMBER_CHECK(options.dropout >= 0 && options.dropout < 1,
              "MultiHeadAttention: dropout must be in [0, 1), got {}", options.dropout);
  if (options.kdim == 0) options.kdim = E;
  if (options.vdim == 0) options.vdim = E;
  head_dim = E / H;
  if (options.packed_qkv) {
    EMBER_CHECK(options.kdim == E && options.vdim == E,
                "MultiHeadAttention: packed_qkv needs kdim == vdim == embed_dim");
    Tensor w = empty({3 * E, E});
    init::xavier_uniform_(w);
    in_proj_weight = register_parameter("in_proj_weight", w);
    if (options.bias) in_proj_bias = register_parameter("in_proj_bias", zeros({3 * E}));
  } else {
    q_proj = register_module("q_proj", std::make_shared<Linear>(E, E, options.bias));
    k_proj = register_module("k_proj", std::make_shared<Linear>(options.kdim, E, options.bias));
    v_proj = register_module("v_proj", std::make_shared<Linear>(options.vdim, E, options.bias));
    for (auto* proj : {&q_proj, &k_proj, &v_proj}) {
      init::xavier_uniform_((*proj)->weight);
      if (options.bias) init::zeros_((*proj)->bias);
    }
  }
  out_proj = register_module("out_proj", std::make_shared<Linear>(E, E, options.bias));
  if (options.bias) init::zeros_(out_proj->bias);
}

Tensor MultiHeadAttention::project(const Tensor& x, int which) const {
  Tensor y;
  if (options.packed_qkv) {
    const int64_t E = options.embed_dim;
    const Tensor w = narrow(in_proj_weight, 0, which * E, E);
    const Tensor b = in_proj_bias.defined() ? narrow(in_proj_bias, 0, which * E, E) : Tensor();
    y = linear(x, w, b);
  } else {
    y = (which == 0 ? q_proj : which == 1 ? k_proj : v_proj)->forward(x);
  }
  // [B, T, E] -> [B, H, T, Dh]
  return y.view({x.size(0), x.size(1), options.num_heads, head_dim}).transpose(1, 2);
}

AttentionResult MultiHeadAttention::run(const Tensor& query, const Tensor& key, const Tensor& value,
                                        const AttentionMask& mask, KVCache* cache,
                                        bool need_weights) const {
  const int64_t E = options.embed_dim, H = options.num_heads;
  check_defined("MultiHeadAttention", query, "query");
  EMBER_CHECK(query.dim() == 3 && query.size(2) == E,
              "MultiHeadAttention: query must be [batch, length, {}], got shape {}", E,
              shape_str(query.sizes()));
  const int64_t B = query.size(0), Tq = query.size(1);

  Tensor q, k, v;
  const bool reuse = cache && cache->fixed && cache->key.defined();
  if (options.packed_qkv && !reuse && query.is_same(key) && key.is_same(value)) {
    // Self-attention with packed weights: one GEMM for q, k and v.
    Tensor qkv = linear(query, in_proj_weight, in_proj_bias).view({B, Tq, 3, H, head_dim});
    qkv = qkv.permute({2, 0, 3, 1, 4});  // [3, B, H, T, Dh]
    q = qkv.select(0, 0), k = qkv.select(0, 1), v = qkv.select(0, 2);
  } else {
    q = project(query, 0);
    if (!reuse) {
      check_defined("MultiHeadAttention", key, "key");
      check_defined("MultiHeadAttention", value, "value");
      EMBER_CHECK(key.dim() == 3 && value.dim() == 3 && key.size(0) == B && value.size(0) == B &&
                      key.size(1) == value.size(1) && key.size(2) == options.kdim &&
                      value.size(2) == options.vdim,
                  "MultiHeadAttention: key {} and value {} must be [batch={}, length, {}/{}]",
                  shape_str(key.sizes()), shape_str(value.sizes()), B, options.kdim, options.vdim);
      k = project(key, 1);
      v = project(value, 2);
    }
  }
  if (cache) {
    if (reuse) {
      k = cache->key, v = cache->value;
    } else if (cache->fixed) {
      cache->key = k, cache->value = v;
    } else {
      if (cache->key.defined()) {
        EMBER_CHECK(cache->key.size(0) == B,
                    "MultiHeadAttention: the KV cache holds batch {} but the query has batch {}",
                    cache->key.size(0), B);
        k = cat({cache->key, k}, 2);
        v = cat({cache->value, v}, 2);
      }
      cache->key = k, cache->value = v;
    }
  }
  const int64_t Tk = k.size(2);

  Tensor scores = matmul(q, k.transpose(-2, -1)) * (1.0 / std::sqrt(static_cast<double>(head_dim)));
  Tensor masked;  // bool [.., Tq, Tk], true = not allowed
  if (mask.key_padding.defined()) {
    const Tensor& kp = mask.key_padding;
    EMBER_CHECK(kp.dtype() == kBool && kp.dim() == 2 && kp.size(0) == B && kp.size(1) == Tk,
                "MultiHeadAttention: key_padding mask must be bool [batch={}, keys={}], got {}", B,
                Tk, kp.describe());
    masked = kp.view({B, 1, 1, Tk});
  }
  if (mask.causal) {
    // Key j is in the future of query i when j > i + (Tk - Tq): the cache holds the past.
    const Tensor rows = arange(Tq).view({Tq, 1}) + (Tk - Tq);
    const Tensor future = gt(arange(Tk).view({1, Tk}), rows);
    masked = masked.defined() ? logical_or(masked, future) : future;
  }
  if (mask.attn.defined()) {
    const Tensor& am = mask.attn;
    broadcast_shapes("MultiHeadAttention attn mask", am.sizes(), {B, H, Tq, Tk});
    if (am.dtype() == kBool) {
      masked = masked.defined() ? logical_or(masked, am) : am;
    } else {
      scores = scores + am.to(scores.dtype());
    }
  }
  if (masked.defined()) scores = masked_fill(scores, masked, -INFINITY);
  const Tensor weights = softmax(scores, -1);
  const Tensor attn = dropout(weights, options.dropout, is_training());
  const Tensor context = matmul(attn, v).transpose(1, 2).reshape({B, Tq, E});
  return {out_proj->forward(context), need_weights ? weights : Tensor()};
}

Tensor MultiHeadAttention::forward(const Tensor& query, const Tensor& key, const Tensor& value,
                                   const AttentionMask& mask, KVCache* cache) const {
  return run(query, key, value, mask, cache, false).output;
}

AttentionResult MultiHeadAttention::forward_with_weights(const Tensor& query, const Tensor& key,
                                                         const Tensor& value,
                                                         const AttentionMask& mask,
                                                         KVCache* cache) const {
  return run(query, key, value, mask, cache, true);
}

std::string MultiHeadAttention::extra_repr() const {
  return fmt::format("embed_dim={}, num_heads={}, dropout={}, packed_qkv={}", options.embed_dim,
                     options.num_heads, options.dropout, options.packed_qkv);
}

}  // namespace ember::nn
