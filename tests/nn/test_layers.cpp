#include "helpers.h"

#include "ember/nn/activation.h"
#include "ember/nn/attention.h"
#include "ember/nn/conv.h"
#include "ember/nn/dropout.h"
#include "ember/nn/embedding.h"
#include "ember/nn/feedforward.h"
#include "ember/nn/linear.h"
#include "ember/nn/normalization.h"
#include "ember/nn/positional.h"

using namespace ember;
using namespace ember::testing;

namespace {

// Gradient check of a module's output with respect to its input and every parameter, in
// float64 (the module is converted in place).
template <typename M, typename F>
void check_module_grad(M& module, const Tensor& input, F forward) {
  module.to(kFloat64);
  TensorList inputs = module.parameters();
  const bool differentiable_input = input.is_floating_point();
  if (differentiable_input) inputs.insert(inputs.begin(), input);
  auto r = gradcheck([&](const TensorList&) { return TensorList{forward(input)}; }, inputs);
  CHECK_MESSAGE(r.ok, r.message);
}

}  // namespace

TEST_CASE("Linear: values, gradients, errors") {
  manual_seed(1);
  nn::Linear fc(4, 3);
  auto x = leaf({2, 5, 4});
  check_module_grad(fc, x, [&](const Tensor& in) { return fc.forward(in); });
  const Tensor expected = matmul(x, fc.weight.t()) + fc.bias;
  CHECK_CLOSE(fc.forward(x), expected, 1e-12, 1e-12);
  CHECK_THROWS_CONTAINING(fc.forward(ones({2, 5}, kFloat64)),
                          "Linear: expected input with last dim 4");
  nn::Linear nobias(4, 3, false);
  CHECK_FALSE(nobias.bias.defined());
  CHECK(nobias.named_parameters().size() == 1);
}

TEST_CASE("LayerNorm module: normalises the last dims") {
  nn::LayerNorm ln(6);
  auto x = leaf({3, 6}, 4);
  check_module_grad(ln, x, [&](const Tensor& in) { return ln.forward(in); });
  const Tensor y = ln.forward(x.detach());
  CHECK_CLOSE(y.mean({-1}), zeros({3}, kFloat64), 1e-9, 1e-9);
}

TEST_CASE("Embedding: lookup, padding row gets no gradient") {
  manual_seed(2);
  nn::Embedding emb(5, 3, /*padding_idx=*/0);
  CHECK(emb.weight.select(0, 0).abs().sum().item() == 0.0);
  const Tensor ids = tensor(std::vector<int64_t>{1, 0, 4, 1}, {2, 2});
  const Tensor y = emb.forward(ids);
  CHECK(y.sizes() == Shape{2, 2, 3});
  CHECK_CLOSE(y.select(0, 0).select(0, 0), emb.weight.select(0, 1));
  y.sum().backward();
  CHECK(emb.weight.grad().select(0, 0).abs().sum().item() == 0.0);
  CHECK(emb.weight.grad().select(0, 1).sum().item() == doctest::Approx(6.0));
  // The padding row is excluded from training on purpose, so check the gradient without one.
  nn::Embedding plain(5, 3);
  check_module_grad(plain, ids, [&](const Tensor& in) { return plain.forward(in); });
}

TEST_CASE("PositionwiseFeedForward and activations") {
  manual_seed(3);
  nn::PositionwiseFeedForward ffn(4, 8, 0.0, nn::Activation::GELU);
  auto x = leaf({2, 3, 4}, 5);
  check_module_grad(ffn, x, [&](const Tensor& in) { return ffn.forward(in); });
  CHECK_CLOSE(nn::ReLU().forward(tensor({-1.0, 2.0})), tensor({0.0, 2.0}));
  CHECK_CLOSE(nn::Softmax(-1).forward(tensor({0.0, 0.0})), tensor({0.5, 0.5}));
}

TEST_CASE("Dropout and DropPath: identity in eval, scaled masks in training") {
  manual_seed(4);
  nn::Dropout drop(0.5);
  const Tensor x = ones({1000});
  drop.eval();
  CHECK(drop.forward(x).is_same(x));
  drop.train();
  const Tensor y = drop.forward(x);
  const auto v = y.to_vector<float>();
  for (float e : v) CHECK((e == 0.0f || e == 2.0f));
  CHECK(y.mean().item() == doctest::Approx(1.0).epsilon(0.1));
  nn::DropPath path(0.25);
  const Tensor z = path.forward(ones({400, 3, 2}));
  for (int64_t i = 0; i < 400; ++i) {
    const double s = z.select(0, i).sum().item();
    CHECK((s == 0.0 || s == doctest::Approx(6.0 / 0.75)));
  }
  path.eval();
  CHECK(path.forward(x).is_same(x));
  CHECK_THROWS_CONTAINING(nn::Dropout(1.5), "p must be in [0, 1]");
}

TEST_CASE("SinusoidalPositionalEncoding: the paper's table, offset for decoding") {
  nn::SinusoidalPositionalEncoding pe(6, 10);
  const Tensor x = zeros({1, 3, 6});
  const Tensor y = pe.forward(x, /*offset=*/2);
  // position 3, pair i=1 (dims 2, 3): angle = 3 / 10000^(2/6)
  const double angle = 3.0 / std::pow(10000.0, 2.0 / 6.0);
  CHECK(y.select(1, 1).select(1, 2).item() == doctest::Approx(std::sin(angle)));
  CHECK(y.select(1, 1).select(1, 3).item() == doctest::Approx(std::cos(angle)));
  CHECK(pe.named_parameters().empty());
  CHECK(pe.named_buffers().size() == 1);
  CHECK_THROWS_CONTAINING(pe.forward(zeros({1, 9, 6}), 2), "exceed the table's max_len 10");
}

TEST_CASE("Conv2d and PatchEmbedding") {
  manual_seed(5);
  nn::Conv2d conv({.in_channels = 2, .out_channels = 3, .kernel_size = 3, .padding = 1});
  auto x = leaf({1, 2, 4, 4}, 6);
  check_module_grad(conv, x, [&](const Tensor& in) { return conv.forward(in); });
  CHECK(conv.forward(x).sizes() == Shape{1, 3, 4, 4});
  nn::PatchEmbedding patches(1, 8, 4);
  const Tensor seq = patches.forward(randn({2, 1, 28, 28}));
  CHECK(seq.sizes() == Shape{2, 49, 8});
  CHECK_THROWS_CONTAINING(patches.forward(randn({2, 1, 30, 28})), "multiples of 4");
}

namespace {

// Reference attention written out by hand with plain ops.
Tensor reference_attention(const nn::MultiHeadAttention& mha, const Tensor& q_in,
                           const Tensor& kv_in, const Tensor& masked /*[B,1|H,Tq,Tk] bool*/) {
  const int64_t B = q_in.size(0), Tq = q_in.size(1), Tk = kv_in.size(1);
  const int64_t H = mha.options.num_heads, Dh = mha.head_dim;
  auto heads = [&](const Tensor& x, const nn::Linear& proj, int64_t T) {
    return proj.forward(x).view({B, T, H, Dh}).transpose(1, 2);
  };
  const Tensor q = heads(q_in, *mha.q_proj, Tq), k = heads(kv_in, *mha.k_proj, Tk),
               v = heads(kv_in, *mha.v_proj, Tk);
  Tensor s = matmul(q, k.transpose(2, 3)) / std::sqrt(static_cast<double>(Dh));
  if (masked.defined()) s = masked_fill(s, masked, -1e30);
  const Tensor w = softmax(s, -1);
  return mha.out_proj->forward(matmul(w, v).transpose(1, 2).reshape({B, Tq, H * Dh}));
}

}  // namespace

TEST_CASE("MultiHeadAttention: matches a hand-written reference with padding and causal masks") {
  manual_seed(7);
  nn::MultiHeadAttention mha({.embed_dim = 8, .num_heads = 2});
  mha.to(kFloat64);
  const Tensor x = leaf({2, 4, 8}, 8);
  const Tensor pad =
      tensor(std::vector<bool>{false, false, false, false, false, false, true, true}, {2, 4});
  const Tensor causal = triu(ones({4, 4}, kBool), 1);
  const Tensor both = logical_or(pad.view({2, 1, 1, 4}), causal);
  const Tensor got = mha.forward(x, x, x, {.key_padding = pad, .causal = true});
  CHECK_CLOSE(got, reference_attention(mha, x, x, both), 1e-10, 1e-12);
  auto r = gradcheck(
      [&](const TensorList& in) {
        return TensorList{mha.forward(in[0], in[0], in[0], {.key_padding = pad, .causal = true})};
      },
      {x, mha.q_proj->weight, mha.out_proj->bias});
  CHECK_MESSAGE(r.ok, r.message);
}

TEST_CASE("MultiHeadAttention: a fully masked query row gives zeros, not NaN") {
  nn::MultiHeadAttention mha({.embed_dim = 4, .num_heads = 1, .bias = false});
  const Tensor x = randn({1, 3, 4}).requires_grad_();
  const Tensor all = ones({1, 3}, kBool);
  auto res = mha.forward_with_weights(x, x, x, {.key_padding = all});
  CHECK(res.weights.abs().sum().item() == 0.0);
  CHECK(res.output.abs().sum().item() == 0.0);
  res.output.sum().backward();
  CHECK_FALSE(std::isnan(x.grad().sum().item()));
}

TEST_CASE("MultiHeadAttention: packed q/k/v equals separate projections with the same weights") {
  manual_seed(9);
  nn::MultiHeadAttention sep({.embed_dim = 6, .num_heads = 3});
  nn::MultiHeadAttention packed({.embed_dim = 6, .num_heads = 3, .packed_qkv = true});
  {
    NoGradGuard g;
    packed.in_proj_weight.copy_(
        cat({sep.q_proj->weight, sep.k_proj->weight, sep.v_proj->weight}, 0));
    packed.in_proj_bias.copy_(cat({sep.q_proj->bias, sep.k_proj->bias, sep.v_proj->bias}, 0));
    packed.out_proj->weight.copy_(sep.out_proj->weight);
    packed.out_proj->bias.copy_(sep.out_proj->bias);
  }
  const Tensor x = randn({2, 5, 6});
  CHECK_CLOSE(packed.forward(x, x, x, {.causal = true}), sep.forward(x, x, x, {.causal = true}),
              1e-5, 1e-6);
  CHECK(packed.named_parameters()[0].first == "in_proj_weight");
}

TEST_CASE("MultiHeadAttention: incremental decoding with a KV cache equals the full causal pass") {
  manual_seed(10);
  nn::MultiHeadAttention self_attn({.embed_dim = 8, .num_heads = 2});
  nn::MultiHeadAttention cross({.embed_dim = 8, .num_heads = 2});
  self_attn.eval();
  cross.eval();
  const Tensor x = randn({2, 5, 8}), memory = randn({2, 3, 8});
  const Tensor mem_pad = tensor(std::vector<bool>{false, false, false, false, false, true}, {2, 3});
  auto full = [&](const Tensor& in) {
    const Tensor h = self_attn.forward(in, in, in, {.causal = true});
    return cross.forward(h, memory, memory, {.key_padding = mem_pad});
  };
  const Tensor expected = full(x);
  nn::KVCache self_cache, cross_cache{.fixed = true};
  TensorList steps;
  for (int64_t t = 0; t < 5; ++t) {
    const Tensor xt = x.narrow(1, t, 1);
    const Tensor h = self_attn.forward(xt, xt, xt, {.causal = true}, &self_cache);
    steps.push_back(cross.forward(h, memory, memory, {.key_padding = mem_pad}, &cross_cache));
  }
  CHECK(self_cache.length() == 5);
  CHECK(cross_cache.length() == 3);
  CHECK_CLOSE(cat(steps, 1), expected, 1e-5, 1e-5);
  // Beam-search style reorder keeps rows in the given order.
  self_cache.reorder(tensor(std::vector<int64_t>{1, 1, 0}));
  CHECK(self_cache.key.size(0) == 3);
}

TEST_CASE("MultiHeadAttention: clear errors for bad shapes and masks") {
  nn::MultiHeadAttention mha({.embed_dim = 8, .num_heads = 2});
  const Tensor x = randn({2, 4, 8});
  CHECK_THROWS_CONTAINING(nn::MultiHeadAttention({.embed_dim = 6, .num_heads = 4}),
                          "must be a positive multiple of num_heads");
  CHECK_THROWS_CONTAINING(mha.forward(randn({2, 4, 6}), x, x), "query must be [batch, length, 8]");
  CHECK_THROWS_CONTAINING(mha.forward(x, x, x, {.key_padding = ones({2, 3}, kBool)}),
                          "key_padding mask must be bool [batch=2, keys=4]");
  CHECK_THROWS_CONTAINING(mha.forward(x, x, x, {.attn = ones({3, 3}, kBool)}),
                          "cannot be broadcast");
}
