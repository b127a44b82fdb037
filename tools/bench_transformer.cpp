// Speed of the translation Transformer (models/transformer) on synthetic data:
//   train-small, train-base   one optimizer step (forward, label-smoothed cross entropy,
//                             backward, Adam) on a batch of fixed shape; tokens/s counts the
//                             batch x (target length - 1) predicted positions, padding included.
//   decode-greedy, decode-beam  the small preset in eval mode decoding 64 sources of length 32
//                             into exactly 32 new tokens (no early stop at <eos>), with the
//                             key/value cache (decode_step) and without it (model.decode over the
//                             whole prefix at every step, the reference a cache must beat).
// Prints one line per measurement:
//   workload <name> median_ms <t> min_ms <t> runs <n> <tokens_per_s|sentences_per_s> <rate>
// tools/bench_transformer.sh runs it next to tools/bench_transformer_torch.py (the same training
// workloads in PyTorch) and prints the ratios.
//   ember-bench-mt [--threads N] [--steps N] [--warmup N] [--workload NAME]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include <ember/ember.h>

#include "common/args.h"
#include "ember/models/transformer/model.h"

using namespace ember;
using models::DecoderState;
using models::Transformer;
using models::TransformerConfig;

namespace {

constexpr int64_t kVocab = 6000;
constexpr int64_t kLength = 32;  // source and target length, padding included

// A timed unit of work and what one run of it yields (target tokens or sentences).
struct Workload {
  std::function<void()> step;
  double items_per_step;
  const char* unit;
};

TransformerConfig make_config(const std::string& preset) {
  TransformerConfig config = TransformerConfig::preset(preset, kVocab, kVocab);
  config.tie_target_embedding = false;
  config.dropout = 0.1;
  return config;
}

// Random ids in [4, vocab) with a fixed padding pattern (row i keeps 32 - 2 (i mod 8) tokens, so
// lengths run from 18 to 32) that tools/bench_transformer_torch.py repeats. A target row is
// <bos> tokens... <eos> <pad>...
std::pair<Tensor, Tensor> synthetic_batch(const TransformerConfig& c, int64_t batch) {
  Tensor src = randint(4, c.src_vocab, {batch, kLength});
  Tensor tgt = randint(4, c.tgt_vocab, {batch, kLength});
  auto* s = src.data_ptr<int64_t>();
  auto* t = tgt.data_ptr<int64_t>();
  for (int64_t i = 0; i < batch; ++i) {
    const int64_t length = kLength - 2 * (i % 8);
    t[i * kLength] = c.bos_id;
    t[i * kLength + length - 1] = c.eos_id;
    for (int64_t j = length; j < kLength; ++j) s[i * kLength + j] = t[i * kLength + j] = c.pad_id;
  }
  return {src, tgt};
}

Workload train(const std::string& preset, int64_t batch) {
  const TransformerConfig config = make_config(preset);
  auto model = std::make_shared<Transformer>(config);
  model->train();
  auto optimizer = std::make_shared<optim::Adam>(
      model->parameters(), optim::AdamOptions{.lr = 7e-4, .betas = {0.9, 0.98}, .eps = 1e-9});
  const auto [src, tgt] = synthetic_batch(config, batch);
  const Tensor tgt_in = tgt.slice(1, 0, kLength - 1);
  const Tensor tgt_out = tgt.slice(1, 1, kLength).reshape({-1});
  const int64_t pad = config.pad_id;
  auto step = [=] {
    const Tensor logits = model->forward(src, tgt_in);
    const Tensor loss = cross_entropy(logits.reshape({-1, logits.size(2)}), tgt_out,
                                      {.ignore_index = pad, .label_smoothing = 0.1});
    optimizer->zero_grad();
    loss.backward();
    optimizer->step();
  };
  return {step, static_cast<double>(batch * (kLength - 1)), "tokens_per_s"};
}

// --- decoding -----------------------------------------------------------------------------------

constexpr int64_t kDecodeBatch = 64;
constexpr int64_t kNewTokens = 32;
constexpr int64_t kBeam = 4;

struct DecodeSetup {
  std::shared_ptr<Transformer> model;
  Tensor src;
};

DecodeSetup decode_setup() {
  auto model = std::make_shared<Transformer>(make_config("small"));
  model->eval();
  return {model, synthetic_batch(model->config(), kDecodeBatch).first};
}

Tensor column(const std::vector<int64_t>& values) {
  return tensor(values, {static_cast<int64_t>(values.size()), 1});
}

// The next token of each row of logits [R, V]: the argmax.
Tensor greedy_choice(const Tensor& logits) {
  return argmax(logits, -1, /*keepdim=*/true);
}

// One beam-search step over log-probabilities [B K, V]: per sentence, the K best of its K x V
// continuations. Updates `scores` and returns (parent rows, next tokens).
std::pair<std::vector<int64_t>, std::vector<int64_t>> beam_choice(const Tensor& logits,
                                                                  std::vector<double>& scores) {
  const Tensor log_probs = log_softmax(logits, -1).contiguous();
  const float* lp = log_probs.data_ptr<float>();
  const int64_t V = log_probs.size(1), B = log_probs.size(0) / kBeam;
  std::vector<int64_t> parents, tokens;
  std::vector<double> next_scores;
  std::vector<std::pair<double, int64_t>> candidates;
  for (int64_t b = 0; b < B; ++b) {
    candidates.clear();
    for (int64_t k = 0; k < kBeam; ++k) {
      const int64_t row = b * kBeam + k;
      if (scores[size_t(row)] == -INFINITY) continue;
      for (int64_t v = 0; v < V; ++v)
        candidates.emplace_back(scores[size_t(row)] + double(lp[row * V + v]), k * V + v);
    }
    std::partial_sort(candidates.begin(), candidates.begin() + kBeam, candidates.end(),
                      [](const auto& x, const auto& y) { return x.first > y.first; });
    for (int64_t k = 0; k < kBeam; ++k) {
      parents.push_back(b * kBeam + candidates[size_t(k)].second / V);
      tokens.push_back(candidates[size_t(k)].second % V);
      next_scores.push_back(candidates[size_t(k)].first);
    }
  }
  scores = std::move(next_scores);
  return {parents, tokens};
}

// Only beam 0 of each sentence is live at the first step.
std::vector<double> initial_beam_scores() {
  std::vector<double> scores(size_t(kDecodeBatch * kBeam), -INFINITY);
  for (int64_t b = 0; b < kDecodeBatch; ++b) scores[size_t(b * kBeam)] = 0;
  return scores;
}

Tensor beam_rows() {
  std::vector<int64_t> rows;
  for (int64_t b = 0; b < kDecodeBatch; ++b)
    for (int64_t k = 0; k < kBeam; ++k) rows.push_back(b);
  return tensor(rows, {kDecodeBatch * kBeam});
}

Workload decode(bool beam, bool cached) {
  const DecodeSetup setup = decode_setup();
  auto step = [setup, beam, cached] {
    NoGradGuard no_grad;
    const Transformer& model = *setup.model;
    const int64_t bos = model.config().bos_id;
    Tensor memory = model.encode(setup.src);
    Tensor src_mask = model.pad_mask(setup.src);
    const int64_t rows = beam ? kDecodeBatch * kBeam : kDecodeBatch;
    std::vector<double> scores = initial_beam_scores();
    Tensor tokens = full({rows, 1}, bos, kInt64);  // the newest token of each row
    if (cached) {
      DecoderState state = model.start_decoding(memory, src_mask);
      if (beam) state.reorder(beam_rows());
      for (int64_t t = 0; t < kNewTokens; ++t) {
        const Tensor logits = model.decode_step(tokens, state).select(1, 0);
        if (!beam) {
          tokens = greedy_choice(logits);
          continue;
        }
        auto [parents, next] = beam_choice(logits, scores);
        state.reorder(tensor(parents, {rows}), /*same_source=*/true);
        tokens = column(next);
      }
      return;
    }
    if (beam) {
      memory = index_select(memory, 0, beam_rows());
      src_mask = index_select(src_mask, 0, beam_rows());
    }
    Tensor prefix = tokens;  // [rows, t]: everything fed so far
    for (int64_t t = 0; t < kNewTokens; ++t) {
      const Tensor logits = model.decode(prefix, memory, src_mask).select(1, t);
      if (!beam) {
        prefix = cat({prefix, greedy_choice(logits)}, 1);
        continue;
      }
      auto [parents, next] = beam_choice(logits, scores);
      prefix = cat({index_select(prefix, 0, tensor(parents, {rows})), column(next)}, 1);
    }
  };
  return {step, static_cast<double>(kDecodeBatch), "sentences_per_s"};
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  tools::Args args("ember-bench-mt",
                   "training and decoding speed of the translation Transformer (synthetic data)");
  args.option("threads", "threads", "1")
      .option("steps", "timed runs per measurement", "10")
      .option("warmup", "untimed runs before them", "2")
      .option("workload",
              "train-small, train-base, decode-greedy or decode-beam (each decoding one runs with "
              "and without the cache); empty: all",
              "");
  args.parse(argc, argv);
  const auto threads = args.get_int("threads"), steps = args.get_int("steps"),
             warmup = args.get_int("warmup");
  const std::string only = args.get("workload");
  if (threads < 1 || steps < 1 || warmup < 0)
    args.die("--threads and --steps must be >= 1, --warmup >= 0");

  const std::vector<std::pair<std::string, std::function<Workload()>>> workloads = {
      {"train-small", [] { return train("small", 64); }},
      {"train-base", [] { return train("base", 32); }},
      {"decode-greedy-cache", [] { return decode(false, true); }},
      {"decode-greedy-nocache", [] { return decode(false, false); }},
      {"decode-beam4-cache", [] { return decode(true, true); }},
      {"decode-beam4-nocache", [] { return decode(true, false); }},
  };
  const std::vector<std::string> known = {"train-small", "train-base", "decode-greedy",
                                          "decode-beam"};
  if (!only.empty() && std::find(known.begin(), known.end(), only) == known.end())
    args.die(fmt::format("unknown workload '{}'", only));

  try {
    set_num_threads(static_cast<int>(threads));
    for (const auto& [name, make] : workloads) {
      if (!only.empty() && name.rfind(only, 0) != 0) continue;
      manual_seed(0);
      const Workload w = make();
      for (int64_t i = 0; i < warmup; ++i) w.step();
      std::vector<double> ms;
      for (int64_t i = 0; i < steps; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        w.step();
        ms.push_back(
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                .count());
      }
      const double mid = median(ms);
      fmt::print("workload {} median_ms {:.2f} min_ms {:.2f} runs {} {} {:.1f}\n", name, mid,
                 *std::min_element(ms.begin(), ms.end()), steps, w.unit,
                 w.items_per_step / (mid / 1000.0));
      std::fflush(stdout);
    }
  } catch (const std::exception& e) {
    fmt::print(stderr, "ember-bench-mt: {}\n", e.what());
    return 1;
  }
}
