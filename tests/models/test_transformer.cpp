#include <cmath>
#include <filesystem>

#include "ember/models/transformer/decode.h"
#include "ember/models/transformer/model.h"
#include "helpers.h"

using namespace ember;
using namespace ember::testing;
using namespace ember::models;

namespace {

// Specials are 0..3 (pad, unk, bos, eos); ordinary tokens start at 4.
constexpr int64_t kPad = 0, kBos = 2, kEos = 3, kFirstWord = 4;

TransformerConfig tiny_config(int64_t src_vocab = 13, int64_t tgt_vocab = 11, bool pre_ln = false) {
  TransformerConfig c = TransformerConfig::preset("tiny", src_vocab, tgt_vocab);
  c.pre_ln = pre_ln;
  c.max_len = 64;
  return c;
}

Tensor ids(const std::vector<std::vector<int64_t>>& rows) {
  const auto width = static_cast<int64_t>(rows[0].size());
  std::vector<int64_t> flat;
  for (const auto& r : rows) {
    REQUIRE(static_cast<int64_t>(r.size()) == width);
    flat.insert(flat.end(), r.begin(), r.end());
  }
  return tensor(flat, {static_cast<int64_t>(rows.size()), width});
}

// A source batch with different lengths, right-padded.
Tensor padded_source() {
  return ids({{5, 9, 7, 11, 6, kEos}, {8, 4, kEos, kPad, kPad, kPad}, {12, 10, 4, 9, kEos, kPad}});
}

Tensor row_of(const Tensor& src, int64_t b) {
  return src.narrow(0, b, 1).contiguous();
}

bool has_nan(const Tensor& t) {
  for (double v : t.to_vector<double>())
    if (std::isnan(v)) return true;
  return false;
}

// Sum of log-probabilities of `tokens` (+ <eos> when finished) under teacher forcing.
double sequence_log_prob(Transformer& model, const Tensor& src, const std::vector<int64_t>& tokens,
                         bool finished) {
  std::vector<int64_t> in{kBos};
  in.insert(in.end(), tokens.begin(), tokens.end());
  std::vector<int64_t> out = tokens;
  if (finished) out.push_back(kEos);
  in.resize(out.size());
  const Tensor lp = log_softmax(model.forward(src, ids({in})), -1);
  double total = 0;
  for (size_t t = 0; t < out.size(); ++t)
    total += lp.select(0, 0).select(0, static_cast<int64_t>(t)).select(0, out[t]).item();
  return total;
}

// Parameters by name, for copying weights between differently tied models.
Tensor param(const Transformer& m, const std::string& name) {
  for (const auto& [n, p] : m.named_parameters())
    if (n == name) return p;
  FAIL("no parameter " << name);
  return {};
}

// Copy task: 4 specials + 8 words; sources of 3..6 words and <eos>, right-padded to 7; the
// target is the same sentence. Returns src, tgt_in (<bos> first), tgt_out (<eos> last).
std::tuple<Tensor, Tensor, Tensor> copy_batch(int64_t n, Generator& gen) {
  std::vector<std::vector<int64_t>> src, tgt_in, tgt_out;
  const auto lengths = randint(3, 7, {n}, kInt64, &gen).to_vector<int64_t>();
  const auto words = randint(kFirstWord, 12, {n, 6}, kInt64, &gen).to_vector<int64_t>();
  for (int64_t i = 0; i < n; ++i) {
    const auto first = words.begin() + i * 6;
    std::vector<int64_t> s(first, first + lengths[size_t(i)]), in = s, out = s;
    s.push_back(kEos), out.push_back(kEos), in.insert(in.begin(), kBos);
    s.resize(7, kPad), in.resize(7, kPad), out.resize(7, kPad);
    src.push_back(s), tgt_in.push_back(in), tgt_out.push_back(out);
  }
  return {ids(src), ids(tgt_in), ids(tgt_out)};
}

// The words of each tgt_out row (up to <eos>).
std::vector<std::vector<int64_t>> copy_targets(const Tensor& tgt_out) {
  std::vector<std::vector<int64_t>> out;
  const auto flat = tgt_out.to_vector<int64_t>();
  const int64_t width = tgt_out.size(1);
  for (int64_t i = 0; i < tgt_out.size(0); ++i) {
    std::vector<int64_t> words;
    for (int64_t t = 0; flat[size_t(i * width + t)] != kEos; ++t)
      words.push_back(flat[size_t(i * width + t)]);
    out.push_back(words);
  }
  return out;
}

// A small model trained on the copy task (300 Adam steps with warm-up and linear decay, about a
// second), trained once and shared by the tests that need a model with real preferences.
Transformer& copy_model() {
  static std::unique_ptr<Transformer> model = [] {
    manual_seed(8);
    TransformerConfig c = tiny_config(12, 12);
    c.d_model = 32, c.d_ff = 64, c.dropout = 0;
    auto m = std::make_unique<Transformer>(c);
    optim::Adam opt(m->parameters(), {.betas = {0.9, 0.98}, .eps = 1e-9});
    Generator gen(42);
    const int steps = 300, warmup = 20;
    const double peak_lr = 5e-3;
    double loss_value = 0;
    for (int step = 0; step < steps; ++step) {
      opt.param_groups()[0].lr = peak_lr * std::min((step + 1.0) / (warmup + 1.0),
                                                    (steps - step) / double(steps - warmup));
      auto [src, tgt_in, tgt_out] = copy_batch(32, gen);
      const Tensor loss = cross_entropy(m->forward(src, tgt_in).flatten(0, 1), tgt_out.flatten(),
                                        {.ignore_index = kPad});
      opt.zero_grad();
      loss.backward();
      opt.step();
      loss_value = loss.item();
    }
    MESSAGE("copy task: loss " << loss_value << " after " << steps << " steps");
    CHECK(loss_value < 0.05);
    m->eval();
    return m;
  }();
  return *model;
}

}  // namespace

TEST_CASE("Transformer: shapes, parameter names, tying and sharing") {
  manual_seed(1);
  Transformer model(tiny_config());
  const Tensor src = padded_source(), tgt = ids({{kBos, 5}, {kBos, 6}, {kBos, 7}});
  CHECK(model.forward(src, tgt).sizes() == Shape{3, 2, 11});
  CHECK(model.encode(src).sizes() == Shape{3, 6, 64});

  // Tied: the projection is the target embedding itself, with a bias of its own.
  CHECK(model.output_weight().is_same(model.tgt_embed->weight));
  CHECK(model.output == nullptr);
  auto names = model.named_parameters();
  auto count = [&](const std::string& name) {
    return std::count_if(names.begin(), names.end(), [&](auto& p) { return p.first == name; });
  };
  CHECK(count("tgt_embed.weight") == 1);
  CHECK(count("src_embed.weight") == 1);
  CHECK(count("output_bias") == 1);
  CHECK(count("encoder.0.self_attn.q_proj.weight") == 1);
  CHECK(count("decoder.1.cross_attn.out_proj.bias") == 1);
  CHECK(count("encoder_norm.weight") == 0);  // post-LN: no final norms

  // Initialisation: embeddings N(0, D^-1/2) with a zero pad row, zero biases.
  const Tensor e = model.tgt_embed->weight;
  CHECK(e.select(0, kPad).abs().sum().item() == 0.0);
  CHECK(e.std().item() == doctest::Approx(1 / std::sqrt(64.0)).epsilon(0.15));
  CHECK(model.output_bias().abs().sum().item() == 0.0);
  CHECK(model.decoder->at<DecoderLayer>(0)->ffn->fc1->bias.abs().sum().item() == 0.0);

  TransformerConfig shared = tiny_config(11, 11, /*pre_ln=*/true);
  shared.share_all_embeddings = true;
  Transformer joint(shared);
  CHECK(joint.src_embed == joint.tgt_embed);
  names = joint.named_parameters();
  CHECK(count("src_embed.weight") == 0);
  CHECK(count("encoder_norm.weight") == 1);
  CHECK(count("decoder_norm.bias") == 1);

  TransformerConfig untied = tiny_config();
  untied.tie_target_embedding = false;
  Transformer separate(untied);
  CHECK_FALSE(separate.output_weight().is_same(separate.tgt_embed->weight));
  CHECK(separate.output_weight().sizes() == Shape{11, 64});
}

TEST_CASE("Transformer: tied weights accumulate gradients from both uses") {
  manual_seed(2);
  TransformerConfig c = tiny_config();
  c.dropout = 0;
  Transformer tied(c);
  c.tie_target_embedding = false;
  Transformer untied(c);
  // Same weights: the untied output projection starts as a copy of the target embedding.
  {
    NoGradGuard no_grad;
    for (const auto& [name, p] : untied.named_parameters()) {
      Tensor dst = p;
      if (name == "output.weight")
        dst.copy_(tied.tgt_embed->weight);
      else if (name == "output.bias")
        dst.copy_(tied.output_bias());
      else
        dst.copy_(param(tied, name));
    }
  }
  const Tensor src = padded_source();
  const Tensor tgt_in = ids({{kBos, 5, 6, 7}, {kBos, 8, kPad, kPad}, {kBos, 9, 4, 6}});
  const Tensor tgt_out = ids({{5, 6, 7, kEos}, {8, kEos, kPad, kPad}, {9, 4, 6, kEos}});
  auto loss = [&](Transformer& m) {
    return cross_entropy(m.forward(src, tgt_in).flatten(0, 1), tgt_out.flatten(),
                         {.ignore_index = kPad});
  };
  const Tensor l1 = loss(tied), l2 = loss(untied);
  CHECK(l1.item() == doctest::Approx(l2.item()).epsilon(1e-6));
  l1.backward();
  l2.backward();
  const Tensor both = untied.tgt_embed->weight.grad() + untied.output->weight.grad();
  CHECK_CLOSE(tied.tgt_embed->weight.grad(), both, 1e-4, 1e-6);
  // Both uses really contribute.
  CHECK(untied.tgt_embed->weight.grad().abs().sum().item() > 0);
  CHECK(untied.output->weight.grad().abs().sum().item() > 0);
  CHECK_CLOSE(tied.output_bias().grad(), untied.output->bias.grad(), 1e-4, 1e-6);
}

TEST_CASE("Transformer: cached step-by-step logits equal teacher-forced logits") {
  for (bool pre_ln : {false, true}) {
    CAPTURE(pre_ln);
    manual_seed(3);
    Transformer model(tiny_config(13, 11, pre_ln));
    model.eval();
    const Tensor src = padded_source();
    // Row 1 ends in target padding, which the cached path masks like the full one.
    const Tensor tgt = ids({{kBos, 5, 6, 7, 8, 9, 10},
                            {kBos, 4, 4, kEos, kPad, kPad, kPad},
                            {kBos, 10, 9, 8, 7, 6, 5}});
    const Tensor memory = model.encode(src), mask = model.pad_mask(src);
    const Tensor full = model.decode(tgt, memory, mask);

    DecoderState state = model.start_decoding(memory, mask);
    std::vector<Tensor> steps;
    for (int64_t t = 0; t < tgt.size(1); ++t) {
      steps.push_back(model.decode_step(tgt.narrow(1, t, 1).contiguous(), state));
      CHECK(state.offset == t + 1);
      CHECK(state.self_attn[0].length() == t + 1);
    }
    CHECK_CLOSE(cat(steps, 1), full, 1e-5, 1e-5);

    // Several tokens per call (a prefix, then single steps) give the same logits too.
    DecoderState chunked = model.start_decoding(memory, mask);
    const Tensor head = model.decode_step(tgt.narrow(1, 0, 4).contiguous(), chunked);
    const Tensor tail = model.decode_step(tgt.narrow(1, 4, 3).contiguous(), chunked);
    CHECK_CLOSE(cat({head, tail}, 1), full, 1e-5, 1e-5);

    // Reordering the state moves whole hypotheses: row 0 of the reordered state continues
    // sentence 2.
    DecoderState state2 = model.start_decoding(memory, mask);
    model.decode_step(tgt.narrow(1, 0, 3).contiguous(), state2);
    state2.reorder(tensor({2, 0}));
    const Tensor next = model.decode_step(ids({{8}, {7}}), state2);
    CHECK_CLOSE(next.select(0, 0), full.select(0, 2).narrow(0, 3, 1), 1e-5, 1e-5);
    CHECK_CLOSE(next.select(0, 1), full.select(0, 0).narrow(0, 3, 1), 1e-5, 1e-5);
  }
}

TEST_CASE("Transformer: padding never leaks into the logits") {
  manual_seed(4);
  Transformer model(tiny_config());
  model.eval();
  const Tensor src = padded_source();
  const Tensor tgt = ids({{kBos, 5, 6}, {kBos, 7, 8}, {kBos, 9, 10}});
  const Tensor mask = model.pad_mask(src);
  const Tensor memory = model.encode(src);
  const Tensor logits = model.decode(tgt, memory, mask);

  // Other memory content at padded source positions: the same logits.
  const Tensor noise = randn(memory.sizes()) * 100.0;
  const Tensor scrambled = where(mask.unsqueeze(-1), noise, memory);
  CHECK_CLOSE(model.decode(tgt, scrambled, mask), logits, 1e-5, 1e-6);

  // A non-zero pad embedding (as tying makes it during training) changes nothing either.
  {
    NoGradGuard no_grad;
    Tensor pad_row = model.src_embed->weight.select(0, kPad);
    pad_row.copy_(randn({64}));
  }
  CHECK_CLOSE(model.forward(src, tgt), logits, 1e-5, 1e-6);

  // More target padding after the real tokens leaves the real positions' logits alone.
  const Tensor longer = cat({tgt, full({3, 4}, static_cast<double>(kPad), kInt64)}, 1);
  CHECK_CLOSE(model.forward(src, longer).narrow(1, 0, 3), logits, 1e-5, 1e-6);
}

TEST_CASE("Transformer: a fully padded source row gives finite logits and gradients") {
  manual_seed(5);
  Transformer model(tiny_config());
  model.eval();  // deterministic; the masking is the same in training
  const Tensor src = ids({{5, 6, kEos}, {kPad, kPad, kPad}});
  const Tensor tgt_in = ids({{kBos, 7}, {kBos, 8}});
  const Tensor logits = model.forward(src, tgt_in);
  CHECK_FALSE(has_nan(logits));
  cross_entropy(logits.flatten(0, 1), ids({{7, kEos}, {8, kEos}}).flatten()).backward();
  for (const auto& [name, p] : model.named_parameters()) {
    CAPTURE(name);
    if (p.grad().defined()) CHECK_FALSE(has_nan(p.grad()));
  }
  // Decoding it is fine too (the source length is 0, so the limit is max_len_extra).
  auto out = greedy_decode(model, src, {.max_len_extra = 5});
  CHECK(out[1].size() <= 5);
}

TEST_CASE("greedy_decode: equals the uncached argmax chain, per sentence, batched") {
  manual_seed(6);
  Transformer model(tiny_config());
  model.eval();
  // Make <eos> likely enough that some sentences stop at once and others hit the limit (stopping
  // mid-sentence is what the copy test below checks).
  {
    NoGradGuard no_grad;
    Tensor bias = model.output_bias();
    bias.select(0, kEos).fill_(2.0);
  }
  model.train();  // decoding switches to eval and back
  // Eight sources of 2..6 tokens, right-padded.
  Generator gen(1);
  Tensor src = randint(kFirstWord, 13, {8, 6}, kInt64, &gen);
  const Tensor positions = arange(6).view({1, 6});
  const Tensor lengths = randint(2, 7, {8, 1}, kInt64, &gen);
  src = where(ge(positions, lengths), full({1}, static_cast<double>(kPad), kInt64), src);
  const DecodeOptions options{.max_len_ratio = 1.0, .max_len_extra = 3};
  const auto out = greedy_decode(model, src, options);
  CHECK(model.is_training());
  model.eval();

  int stopped_at_eos = 0, cut = 0;
  for (int64_t b = 0; b < src.size(0); ++b) {
    CAPTURE(b);
    const Tensor one = row_of(src, b);
    const int64_t limit =
        static_cast<int64_t>(logical_not(model.pad_mask(one)).sum().item()) + options.max_len_extra;
    std::vector<int64_t> in{kBos}, expected;
    bool eos = false;
    while (static_cast<int64_t>(expected.size()) < limit) {
      const Tensor last = model.forward(one, ids({in})).select(0, 0).select(0, -1);
      auto scores = last.to_vector<double>();
      scores[kPad] = scores[kBos] = -INFINITY;
      const auto next = std::max_element(scores.begin(), scores.end()) - scores.begin();
      if (next == kEos) {
        eos = true;
        break;
      }
      expected.push_back(next);
      in.push_back(next);
    }
    CHECK(out[size_t(b)] == expected);
    (eos ? stopped_at_eos : cut)++;
    // A sentence alone decodes as in the batch.
    CHECK(greedy_decode(model, one, options)[0] == expected);
    for (int64_t t : out[size_t(b)]) CHECK((t != kPad && t != kBos && t != kEos));
  }
  CHECK(stopped_at_eos > 0);
  CHECK(cut > 0);
}

TEST_CASE("beam_search: beam 1 is greedy; hypotheses are scored and ranked as documented") {
  manual_seed(7);
  Transformer random_model(tiny_config());
  {
    NoGradGuard no_grad;
    Tensor bias = random_model.output_bias();
    bias.select(0, kEos).fill_(1.0);
  }
  random_model.eval();
  Generator gen(3);
  // A random model and one that has learned to copy (whose beams hold finished hypotheses of
  // several lengths).
  for (auto [trained, alpha] : {std::pair{false, 0.0}, {false, 0.6}, {true, 0.0}, {true, 1.0}}) {
    CAPTURE(trained);
    CAPTURE(alpha);
    Transformer& model = trained ? copy_model() : random_model;
    const Tensor src = trained ? std::get<0>(copy_batch(3, gen)) : padded_source();
    const DecodeOptions greedy_options{.max_len_extra = 6, .beam_size = 1, .length_penalty = alpha};
    CHECK(beam_search(model, src, greedy_options) == greedy_decode(model, src, greedy_options));

    const DecodeOptions options{.max_len_extra = 6, .beam_size = 4, .length_penalty = alpha};
    const auto nbest = beam_search_nbest(model, src, options);
    REQUIRE(nbest.size() == 3);
    for (int64_t b = 0; b < 3; ++b) {
      CAPTURE(b);
      const auto& hyps = nbest[size_t(b)];
      REQUIRE(!hyps.empty());
      CHECK(hyps.size() <= 4);
      for (size_t i = 0; i < hyps.size(); ++i) {
        const Hypothesis& h = hyps[i];
        if (i > 0) CHECK(hyps[i - 1].score >= h.score);
        const double lp = sequence_log_prob(model, row_of(src, b), h.tokens, h.finished);
        CHECK(h.log_prob == doctest::Approx(lp).epsilon(1e-4));
        const auto length = static_cast<int64_t>(h.tokens.size()) + (h.finished ? 1 : 0);
        CHECK(h.score == doctest::Approx(h.log_prob / std::pow((5.0 + length) / 6.0, alpha)));
        for (int64_t t : h.tokens) CHECK((t != kPad && t != kBos && t != kEos));
      }
      // A sentence alone gets the same hypotheses as in the batch.
      const auto alone = beam_search_nbest(model, row_of(src, b), options)[0];
      REQUIRE(alone.size() == hyps.size());
      for (size_t i = 0; i < hyps.size(); ++i) CHECK(alone[i].tokens == hyps[i].tokens);
    }
  }
  CHECK(length_penalty(5, 0.6) == doctest::Approx(std::pow(10.0 / 6.0, 0.6)));
  CHECK(length_penalty(7, 0.0) == 1.0);
}

TEST_CASE("Transformer: learns to copy; greedy and beam search output the copy") {
  Transformer& model = copy_model();
  Generator gen(7);
  auto [src, tgt_in, tgt_out] = copy_batch(32, gen);
  const auto expected = copy_targets(tgt_out);
  CHECK(greedy_decode(model, src) == expected);
  CHECK(beam_search(model, src, {.beam_size = 4}) == expected);
  CHECK(beam_search(model, src, {.beam_size = 2, .length_penalty = 0}) == expected);
}

TEST_CASE("Transformer: parameter counts of the presets match the formula") {
  auto formula = [](const TransformerConfig& c) {
    const int64_t D = c.d_model, F = c.d_ff;
    const int64_t attention = 4 * (D * D + D), ffn = 2 * D * F + F + D, norm = 2 * D;
    int64_t n = c.enc_layers * (attention + ffn + 2 * norm) +
                c.dec_layers * (2 * attention + ffn + 3 * norm);
    if (c.pre_ln) n += 2 * norm;
    n += c.tgt_vocab * D + (c.share_all_embeddings ? 0 : c.src_vocab * D);
    n += c.tie_target_embedding ? c.tgt_vocab : c.tgt_vocab * D + c.tgt_vocab;
    return n;
  };
  // small tied and untied, base untied. Initialising base's 55M parameters takes 1 s, but 15 s
  // under AddressSanitizer, where the formula is checked on small alone.
  std::vector<std::pair<const char*, bool>> presets = {{"small", false}, {"small", true}};
#ifndef __SANITIZE_ADDRESS__
  presets.emplace_back("base", false);
#endif
  for (auto [name, tie] : presets) {
    TransformerConfig c = TransformerConfig::preset(name, 5893, 7853);
    c.tie_target_embedding = tie;
    const int64_t n = Transformer(c).num_parameters();
    MESSAGE(
        fmt::format("{} ({}): {} parameters", name, tie ? "tied target embedding" : "untied", n));
    CHECK(n == formula(c));
  }
  // Untied base is the architecture of the reference repository, whose parameter count at
  // vocabularies 5,893 / 7,853 models.md gives as 55,205,037.
  CHECK(formula(TransformerConfig::preset("base", 5893, 7853)) == 55205037);
  TransformerConfig joint = TransformerConfig::preset("small", 8000, 8000);
  joint.share_all_embeddings = true;
  joint.pre_ln = true;
  CHECK(Transformer(joint).num_parameters() == formula(joint));
}

TEST_CASE("TransformerConfig: presets, validation, text round trip, mismatch errors") {
  const TransformerConfig small = TransformerConfig::preset("small", 6000, 7900);
  CHECK(small.d_model == 256);
  CHECK(small.enc_layers == 3);
  CHECK(small.dec_layers == 3);
  CHECK(small.heads == 8);
  CHECK(small.d_ff == 1024);
  const TransformerConfig base = TransformerConfig::preset("base", 6000, 7900);
  CHECK(base.d_model == 512);
  CHECK(base.enc_layers == 6);
  CHECK(base.d_ff == 2048);
  CHECK_FALSE(base.pre_ln);
  CHECK_THROWS_CONTAINING(TransformerConfig::preset("huge", 10, 10),
                          "unknown preset 'huge' (expected tiny, small or base)");

  TransformerConfig c = small;
  c.pre_ln = true, c.dropout = 0.3, c.attention_dropout = 0.05, c.share_all_embeddings = false;
  c.max_len = 300, c.eos_id = 1;
  const TransformerConfig back = TransformerConfig::from_string(c.to_string());
  CHECK(back == c);
  CHECK(c.to_string().find("d_model=256\n") != std::string::npos);
  // Any whitespace between items; comments; unspecified fields keep defaults.
  const TransformerConfig parsed = TransformerConfig::from_string(
      "src_vocab=20 tgt_vocab=30  # joint later\nheads=4 d_model=32");
  CHECK(parsed.src_vocab == 20);
  CHECK(parsed.d_model == 32);
  CHECK(parsed.enc_layers == TransformerConfig{}.enc_layers);

  CHECK_THROWS_CONTAINING(TransformerConfig::from_string("src_vocab=10 tgt_vocab=10 colour=red"),
                          "unknown key 'colour'");
  CHECK_THROWS_CONTAINING(TransformerConfig::from_string("src_vocab=10 tgt_vocab=1O"),
                          "malformed value '1O' for tgt_vocab");
  CHECK_THROWS_CONTAINING(TransformerConfig::from_string("src_vocab=10 tgt_vocab=10 pre_ln=yes"),
                          "malformed value 'yes' for pre_ln");
  CHECK_THROWS_CONTAINING(TransformerConfig::from_string("src_vocab 10"), "expected key=value");

  TransformerConfig other = c;
  other.d_model = 512, other.tgt_vocab = 8000, other.dropout = 0.1;
  const auto diff = c.differences(other);
  REQUIRE(diff.size() == 2);  // dropout is a training setting, not architecture
  CHECK_THROWS_CONTAINING(c.check_matches(other),
                          "checkpoint config does not match the model: tgt_vocab (7900 vs 8000), "
                          "d_model (256 vs 512)");

  auto invalid = [](auto edit, const char* message) {
    TransformerConfig bad = TransformerConfig::preset("tiny", 10, 10);
    edit(bad);
    CHECK_THROWS_CONTAINING(bad.validate(), message);
    CHECK_THROWS_CONTAINING(Transformer{bad}, message);
  };
  invalid([](auto& b) { b.heads = 5; }, "d_model (64) must be a positive multiple of heads (5)");
  invalid([](auto& b) { b.src_vocab = 0; }, "vocabulary sizes must be positive");
  invalid([](auto& b) { b.dropout = 1; },
          "dropout (1) and attention_dropout (0) must be in [0, 1)");
  invalid([](auto& b) { b.bos_id = 0; }, "must differ");
  invalid([](auto& b) { b.eos_id = 10; }, "eos_id 10 is outside both vocabularies");
  invalid(
      [](auto& b) {
        b.share_all_embeddings = true;
        b.tgt_vocab = 12;
      },
      "share_all_embeddings needs one joint vocabulary");
}

TEST_CASE("Transformer: checkpoint round trip with the config in the metadata") {
  manual_seed(9);
  Transformer model(tiny_config());
  model.eval();
  const auto path = std::filesystem::temp_directory_path() / "ember_test_transformer.safetensors";
  optim::Checkpoint ck;
  ck.model = model.state_dict();
  ck.metadata["transformer.config"] = model.config().to_string();
  optim::save_checkpoint(path.string(), ck);

  const optim::Checkpoint back = optim::load_checkpoint(path.string());
  std::filesystem::remove(path);
  const auto saved = TransformerConfig::from_string(back.metadata.at("transformer.config"));
  saved.check_matches(model.config());
  Transformer restored(saved);
  restored.load_state_dict(back.model);
  restored.eval();
  const Tensor src = padded_source(), tgt = ids({{kBos, 5}, {kBos, 6}, {kBos, 7}});
  CHECK_CLOSE(restored.forward(src, tgt), model.forward(src, tgt), 0, 0);

  TransformerConfig bigger = model.config();
  bigger.d_ff = 256;
  CHECK_THROWS_CONTAINING(saved.check_matches(bigger, "checkpoint 'last'"),
                          "checkpoint 'last' does not match the model: d_ff (128 vs 256)");
}

TEST_CASE("Transformer: float64 gradient check of the loss") {
  for (bool pre_ln : {false, true}) {
    CAPTURE(pre_ln);
    manual_seed(10);
    TransformerConfig c;
    c.src_vocab = 7, c.tgt_vocab = 6, c.d_model = 8, c.heads = 2, c.enc_layers = 1;
    c.dec_layers = 1, c.d_ff = 12, c.dropout = 0, c.max_len = 8, c.pre_ln = pre_ln;
    c.tie_target_embedding = true;
    Transformer model(c);
    model.to(kFloat64);
    const Tensor src = ids({{4, 5, 6, kEos}, {6, kEos, kPad, kPad}});
    const Tensor tgt_in = ids({{kBos, 4, 5}, {kBos, 5, kPad}});
    const Tensor tgt_out = ids({{4, 5, kEos}, {5, kEos, kPad}});
    auto loss = [&](const TensorList&) {
      return TensorList{cross_entropy(model.forward(src, tgt_in).flatten(0, 1), tgt_out.flatten(),
                                      {.ignore_index = kPad, .label_smoothing = 0.1})};
    };
    auto* dec = model.decoder->at<DecoderLayer>(0).get();
    auto* enc = model.encoder->at<EncoderLayer>(0).get();
    CHECK_GRAD(loss, model.tgt_embed->weight, model.src_embed->weight, model.output_bias(),
               enc->self_attn->k_proj->weight, enc->norm1->weight, dec->cross_attn->v_proj->weight,
               dec->self_attn->q_proj->bias, dec->ffn->fc1->weight);
  }
}

TEST_CASE("Transformer and decoding: errors name the problem") {
  manual_seed(11);
  Transformer model(tiny_config());
  model.eval();
  const Tensor src = padded_source();
  CHECK_THROWS_CONTAINING(model.encode(src.to(kFloat32)),
                          "Transformer::encode: src must be int64 [batch, length >= 1]");
  CHECK_THROWS_CONTAINING(model.encode(src.flatten()), "src must be int64 [batch, length >= 1]");
  const Tensor memory = model.encode(src), mask = model.pad_mask(src);
  CHECK_THROWS_CONTAINING(model.decode(ids({{kBos}}), memory, mask),
                          "tgt_in has batch 1 but memory has batch 3");
  CHECK_THROWS_CONTAINING(model.decode(ids({{kBos}, {kBos}, {kBos}}), memory, mask.to(kInt64)),
                          "expected memory [B, S, D] and a bool src_pad_mask [B, S]");
  DecoderState state = model.start_decoding(memory, mask);
  CHECK_THROWS_CONTAINING(model.decode_step(ids({{kBos}}), state),
                          "tokens have batch 1 but the decoder state holds 3 rows");
  CHECK_THROWS_CONTAINING(state.reorder(tensor({0, 1}), /*same_source=*/true),
                          "the index must have 3 entries, got 2");
  DecoderState empty_state;
  CHECK_THROWS_CONTAINING(model.decode_step(ids({{kBos}}), empty_state),
                          "the state was not made by start_decoding");
  // Past the positional table.
  const Tensor too_long = full({1, 65}, 5.0, kInt64);
  CHECK_THROWS_CONTAINING(model.encode(too_long), "exceed the table's max_len 64");
  CHECK_THROWS_CONTAINING(model.encode(full({1, 2}, 13.0, kInt64)), "13");
  CHECK_THROWS_CONTAINING(beam_search(model, src, {.beam_size = 0}),
                          "beam_search: beam_size must be at least 1");
  CHECK_THROWS_CONTAINING(greedy_decode(model, src, {.max_len_ratio = -1}),
                          "greedy_decode: max_len_ratio (-1) and max_len_extra (50)");
  CHECK_THROWS_CONTAINING(greedy_decode(model, src.to(kFloat32)), "greedy_decode: src must be");
  // The length limit never passes the positional table.
  auto out = greedy_decode(model, src, {.max_len_ratio = 100});
  for (const auto& s : out) CHECK(s.size() <= 64);
}
