// ember's nn layers against PyTorch 1.13: each fixture in tests/fixtures/nn (written by
// tools/gen_nn_fixtures.py) holds a layer's weights under ember's names, its inputs, the
// upstream gradient, and PyTorch's outputs and gradients of loss = sum(output * upstream).
// Everything is float32 on both sides.
#include <sstream>

#include "helpers.h"

#include "ember/core/safetensors.h"

using namespace ember;
using namespace ember::testing;

namespace {

// Both sides compute in float32 but sum in different orders (PyTorch scales q before Q K^T,
// blocks its GEMMs differently...): a few float32 ulps on values of order one.
constexpr double kRtol = 1e-5, kAtol = 1e-6;

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

std::vector<int64_t> parse_ints(const std::string& text) {
  std::vector<int64_t> values;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) values.push_back(std::stoll(item));
  return values;
}

class Fixture {
 public:
  // With `strided`, arg() hands the layers non-contiguous views instead of the inputs.
  explicit Fixture(std::string case_name, bool strided = false)
      : name(std::move(case_name)),
        strided_(strided),
        file_(load_safetensors(std::string(EMBER_FIXTURES) + "/nn/" + name + ".safetensors")) {}

  const Tensor& at(const std::string& key) const {
    auto it = file_.tensors.find(key);
    if (it == file_.tensors.end()) fail("fixture {}: no tensor '{}'", name, key);
    return it->second;
  }
  bool has(const std::string& key) const { return file_.tensors.count(key) != 0; }

  std::string meta(const std::string& key) const {
    auto it = file_.metadata.find(key);
    if (it == file_.metadata.end()) fail("fixture {}: no metadata '{}'", name, key);
    return it->second;
  }
  int64_t meta_int(const std::string& key) const { return std::stoll(meta(key)); }
  bool meta_flag(const std::string& key) const { return meta_int(key) != 0; }
  Size2 meta_size2(const std::string& key) const {
    const auto v = parse_ints(meta(key));
    return {v.at(0), v.at(1)};
  }

  // input.<key>; a float input is a leaf requiring grad (the same handle on every call, so
  // gradients from several uses accumulate as in PyTorch).
  const Tensor& input(const std::string& key) {
    auto it = inputs_.find(key);
    if (it != inputs_.end()) return it->second;
    Tensor t = at("input." + key).clone().detach();
    if (t.is_floating_point()) t.requires_grad_();
    return inputs_.emplace(key, t).first->second;
  }

  // What forward gets for input.<key>: the leaf itself, or (strided) a non-contiguous view of
  // the same values whose gradient flows back to the leaf.
  Tensor arg(const std::string& key) {
    const Tensor& leaf = input(key);
    if (!strided_ || leaf.dim() < 2) return leaf;
    const Tensor view = leaf.transpose(0, 1).contiguous().transpose(0, 1);
    REQUIRE_FALSE(view.is_contiguous());
    return view;
  }

  // The weights.* entries, without the prefix, ready for load_state_dict.
  nn::StateDict weights() const {
    nn::StateDict state;
    for (const auto& [key, t] : file_.tensors)
      if (starts_with(key, "weights.")) state.emplace(key.substr(8), t);
    return state;
  }

  // Compares the output with expected.output, runs backward with the upstream gradient and
  // compares every expected.grad.* with the gradient ember computed for that input or weight.
  void check(const nn::Module& module, const Tensor& output, double rtol = kRtol,
             double atol = kAtol) {
    INFO("fixture ", name, strided_ ? " (strided inputs)" : "");
    CHECK(output.dtype() == kFloat32);
    CHECK_CLOSE(output, at("expected.output"), rtol, atol);
    (output * at("upstream")).sum().backward();
    std::map<std::string, Tensor> params;
    for (const auto& [key, p] : module.named_parameters()) params.emplace(key, p);
    int checked = 0;
    for (const auto& [key, expected] : file_.tensors) {
      if (!starts_with(key, "expected.grad.")) continue;
      const std::string target = key.substr(14);
      INFO("gradient of ", target);
      Tensor grad;
      if (starts_with(target, "input.")) {
        grad = input(target.substr(6)).grad();
      } else {
        REQUIRE(starts_with(target, "weights."));
        auto it = params.find(target.substr(8));
        REQUIRE_MESSAGE(it != params.end(), "no parameter ", target.substr(8));
        grad = it->second.grad();
      }
      REQUIRE(grad.defined());
      CHECK_CLOSE(grad, expected, rtol, atol);
      ++checked;
    }
    CHECK(checked > 0);
  }

  std::string name;

 private:
  bool strided_;
  SafetensorsFile file_;
  std::map<std::string, Tensor> inputs_;
};

template <typename M>
void load(M& module, const Fixture& f) {
  module.load_state_dict(f.weights(), /*strict=*/true);
}

}  // namespace

TEST_CASE("torch parity: Linear with and without bias") {
  for (bool strided : {false, true})
    for (const char* name : {"linear_bias", "linear_nobias"}) {
      Fixture f(name, strided);
      nn::Linear fc(f.meta_int("in_features"), f.meta_int("out_features"), f.meta_flag("bias"));
      load(fc, f);
      f.check(fc, fc.forward(f.arg("x")));
    }
}

TEST_CASE("torch parity: LayerNorm over one and two trailing dims, with and without affine") {
  for (bool strided : {false, true})
    for (const char* name : {"layer_norm", "layer_norm_2d", "layer_norm_noaffine"}) {
      Fixture f(name, strided);
      const auto dims = parse_ints(f.meta("normalized_shape"));
      nn::LayerNorm ln(Shape(dims.begin(), dims.end()), std::stod(f.meta("eps")),
                       f.meta_flag("elementwise_affine"));
      load(ln, f);
      f.check(ln, ln.forward(f.arg("x")));
    }
}

TEST_CASE("torch parity: Embedding with padding_idx (counted from the front and the back)") {
  for (const char* name : {"embedding_padding", "embedding_padding_negative"}) {
    Fixture f(name);
    nn::Embedding emb(f.meta_int("num_embeddings"), f.meta_int("embedding_dim"),
                      f.meta_int("padding_idx"));
    load(emb, f);
    f.check(emb, emb.forward(f.input("ids")));
  }
}

TEST_CASE("torch parity: PositionwiseFeedForward with ReLU and GELU") {
  for (bool strided : {false, true})
    for (const char* name : {"ffn_relu", "ffn_gelu"}) {
      Fixture f(name, strided);
      const auto act = f.meta("activation") == "relu" ? nn::Activation::ReLU : nn::Activation::GELU;
      nn::PositionwiseFeedForward ffn(f.meta_int("d_model"), f.meta_int("d_ff"), 0.0, act);
      load(ffn, f);
      f.check(ffn, ffn.forward(f.arg("x")));
    }
}

TEST_CASE("torch parity: activation modules") {
  for (const char* name :
       {"act_relu", "act_gelu", "act_gelu_tanh", "act_tanh", "act_sigmoid", "act_softmax"}) {
    Fixture f(name);
    const std::string act = f.meta("activation");
    const Tensor& x = f.input("x");
    Tensor y;
    if (act == "relu") y = nn::ReLU().forward(x);
    if (act == "gelu") y = nn::GELU().forward(x);
    if (act == "gelu_tanh") y = nn::GELU(/*approximate_tanh=*/true).forward(x);
    if (act == "tanh") y = nn::Tanh().forward(x);
    if (act == "sigmoid") y = nn::Sigmoid().forward(x);
    if (act == "softmax") y = nn::Softmax(-1).forward(x);
    REQUIRE_MESSAGE(y.defined(), "unknown activation ", act);
    f.check(nn::Module(), y);
  }
}

TEST_CASE("torch parity: Conv2d with stride, padding, groups, dilation") {
  for (bool strided : {false, true})
    for (const char* name : {"conv2d_stride_pad_groups", "conv2d_rect_dilated_nobias"}) {
      Fixture f(name, strided);
      nn::Conv2d conv({.in_channels = f.meta_int("in_channels"),
                       .out_channels = f.meta_int("out_channels"),
                       .kernel_size = f.meta_size2("kernel_size"),
                       .stride = f.meta_size2("stride"),
                       .padding = f.meta_size2("padding"),
                       .dilation = f.meta_size2("dilation"),
                       .groups = f.meta_int("groups"),
                       .bias = f.meta_flag("bias")});
      load(conv, f);
      f.check(conv, conv.forward(f.arg("x")));
    }
}

TEST_CASE("torch parity: PatchEmbedding") {
  for (bool strided : {false, true}) {
    Fixture f("patch_embedding", strided);
    nn::PatchEmbedding patches(f.meta_int("in_channels"), f.meta_int("embed_dim"),
                               f.meta_int("patch_size"));
    load(patches, f);
    f.check(patches, patches.forward(f.arg("images")));
  }
}

namespace {

nn::MultiHeadAttentionOptions mha_options(const Fixture& f) {
  return {.embed_dim = f.meta_int("embed_dim"),
          .num_heads = f.meta_int("num_heads"),
          .bias = f.meta_flag("bias"),
          .packed_qkv = f.meta_flag("packed_qkv"),
          .kdim = f.meta_int("kdim"),
          .vdim = f.meta_int("vdim")};
}

}  // namespace

TEST_CASE("torch parity: MultiHeadAttention outputs, attention weights and gradients") {
  for (const char* name :
       {"mha_key_padding", "mha_key_padding_separate", "mha_causal", "mha_causal_key_padding",
        "mha_float_mask", "mha_float_mask_per_head_key_padding", "mha_bool_mask_per_head",
        "mha_cross", "mha_cross_separate", "mha_cross_kdim_vdim", "mha_nobias", "mha_four_heads"})
    for (bool strided : {false, true}) {
      Fixture f(name, strided);
      INFO("fixture ", f.name, strided ? " (strided inputs)" : "");
      nn::MultiHeadAttention mha(mha_options(f));
      load(mha, f);
      const bool self = f.meta_flag("self_attention");
      // Self-attention passes one tensor three times (ember's packed path then runs one GEMM).
      const Tensor q = f.arg(self ? "x" : "query");
      const Tensor k = self ? q : f.arg("key");
      const Tensor v = self ? q : f.arg("value");
      nn::AttentionMask mask{.causal = f.meta_flag("causal")};
      if (f.has("input.key_padding")) mask.key_padding = f.input("key_padding");
      if (f.has("input.attn_mask")) mask.attn = f.input("attn_mask");

      const nn::AttentionResult res = mha.forward_with_weights(q, k, v, mask);
      CHECK_CLOSE(res.weights, f.at("expected.attn_weights"), kRtol, kAtol);
      CHECK_CLOSE(res.weights.mean({1}), f.at("expected.attn_weights_avg"), kRtol, kAtol);
      if (mask.causal) {
        // The same mask given explicitly, as PyTorch takes it.
        const int64_t T = q.size(1);
        nn::AttentionMask explicit_mask = mask;
        explicit_mask.causal = false;
        explicit_mask.attn = triu(ones({T, T}, kBool), 1);
        NoGradGuard no_grad;
        CHECK_CLOSE(mha.forward(q, k, v, explicit_mask), f.at("expected.output"), kRtol, kAtol);
      }
      f.check(mha, res.output);
    }
}

TEST_CASE("torch parity: KV-cached decoding step by step equals PyTorch's full causal pass") {
  // One token at a time, and a two-token prompt followed by chunks (the causal mask then has
  // to be offset by the cached length).
  const std::vector<std::vector<int64_t>> chunkings = {{1, 1, 1, 1, 1}, {2, 1, 2}};
  for (const auto& chunks : chunkings) {
    Fixture f("mha_kv_cache");
    INFO("chunks ", fmt::format("{}", fmt::join(chunks, ",")));
    const int64_t E = f.meta_int("embed_dim"), H = f.meta_int("num_heads");
    nn::ModuleDict decoder;
    auto self_attn = decoder.insert(
        "self_attn", std::make_shared<nn::MultiHeadAttention>(nn::MultiHeadAttentionOptions{
                         .embed_dim = E, .num_heads = H, .packed_qkv = true}));
    auto cross_attn = decoder.insert(
        "cross_attn", std::make_shared<nn::MultiHeadAttention>(
                          nn::MultiHeadAttentionOptions{.embed_dim = E, .num_heads = H}));
    load(decoder, f);
    decoder.eval();
    const Tensor& x = f.input("x");
    const Tensor& memory = f.input("memory");
    const nn::AttentionMask memory_mask{.key_padding = f.input("memory_pad")};

    nn::KVCache self_cache, cross_cache{.fixed = true};
    TensorList steps;
    int64_t t = 0;
    for (int64_t n : chunks) {
      const Tensor xt = x.narrow(1, t, n);
      const Tensor h = self_attn->forward(xt, xt, xt, {.causal = true}, &self_cache);
      const Tensor step = cross_attn->forward(h, memory, memory, memory_mask, &cross_cache);
      INFO("tokens from ", t);
      CHECK_CLOSE(step, f.at("expected.output").narrow(1, t, n), kRtol, kAtol);
      steps.push_back(step);
      t += n;
    }
    REQUIRE(t == x.size(1));
    CHECK(self_cache.length() == t);
    CHECK(cross_cache.length() == memory.size(1));
    // Gradients through the caches reach x, the memory and every weight as in the full pass.
    f.check(decoder, cat(steps, 1));
  }
}

TEST_CASE("torch parity: SinusoidalPositionalEncoding table and forward") {
  for (const char* name : {"sinusoidal_d6", "sinusoidal_d7"}) {
    Fixture f(name);
    nn::SinusoidalPositionalEncoding pe(f.meta_int("d_model"), f.meta_int("max_len"));
    // Both tables are computed in float64 and rounded once to float32.
    CHECK_CLOSE(pe.table, f.at("expected.table"), 0.0, 1e-7);
    f.check(pe, pe.forward(f.input("x"), f.meta_int("offset")));
  }
}

TEST_CASE("torch parity: LearnedPositionalEmbedding with an offset") {
  Fixture f("learned_positional");
  nn::LearnedPositionalEmbedding pe(f.meta_int("max_len"), f.meta_int("d_model"));
  load(pe, f);
  f.check(pe, pe.forward(f.input("x"), f.meta_int("offset")));
}
