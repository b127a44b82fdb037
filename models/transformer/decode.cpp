#include "ember/models/transformer/decode.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "ember/core/grad_mode.h"
#include "ember/ops/convert.h"
#include "ember/ops/elementwise.h"
#include "ember/ops/factory.h"
#include "ember/ops/reduce.h"
#include "ember/ops/softmax.h"

namespace ember::models {

namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();

void check_inputs(const char* op, const Tensor& src, const DecodeOptions& o) {
  check_defined(op, src, "src");
  EMBER_CHECK(src.dtype() == kInt64 && src.dim() == 2 && src.size(0) > 0 && src.size(1) > 0,
              "{}: src must be int64 [batch >= 1, length >= 1], got {}", op, src.describe());
  EMBER_CHECK(o.max_len_ratio >= 0 && o.max_len_extra >= 0,
              "{}: max_len_ratio ({}) and max_len_extra ({}) must be non-negative", op,
              o.max_len_ratio, o.max_len_extra);
  EMBER_CHECK(o.beam_size >= 1, "{}: beam_size must be at least 1, got {}", op, o.beam_size);
  EMBER_CHECK(std::isfinite(o.length_penalty), "{}: length_penalty must be finite, got {}", op,
              o.length_penalty);
}

// Each sentence's output-length limit, from its non-pad source length.
std::vector<int64_t> length_limits(const Transformer& model, const Tensor& src,
                                   const DecodeOptions& o) {
  const auto lengths = logical_not(model.pad_mask(src)).sum({1}).to_vector<int64_t>();
  std::vector<int64_t> limits;
  for (int64_t s : lengths) {
    const auto limit = static_cast<int64_t>(std::floor(o.max_len_ratio * static_cast<double>(s))) +
                       o.max_len_extra;
    limits.push_back(std::clamp<int64_t>(limit, 1, model.config().max_len));
  }
  return limits;
}

// Token ids and row indices live where the model does.
TensorOptions index_options(const Transformer& model) {
  return {kInt64, model.output_weight().device()};
}

// True at the tokens decoding must never produce: <pad> and <bos>.
Tensor forbidden_tokens(const Transformer& model) {
  const TransformerConfig& c = model.config();
  const TensorOptions options = index_options(model);
  const Tensor ids = arange(c.tgt_vocab, options);
  return logical_or(eq(ids, scalar_tensor(static_cast<double>(c.pad_id), options)),
                    eq(ids, scalar_tensor(static_cast<double>(c.bos_id), options)));
}

Tensor column(const Transformer& model, const std::vector<int64_t>& values) {
  return tensor(values, {static_cast<int64_t>(values.size()), 1}, index_options(model));
}

Tensor index_tensor(const Transformer& model, const std::vector<int64_t>& values) {
  return tensor(values, {static_cast<int64_t>(values.size())}, index_options(model));
}

// The 2K best (score, candidate) of one sentence's K x V continuations, best first; ties go to
// the lower candidate index so results are deterministic. -inf candidates are left out.
template <typename T>
void top_candidates(const T* log_probs, const double* beam_scores, int64_t K, int64_t V,
                    int64_t count, std::vector<std::pair<double, int64_t>>& out) {
  out.clear();
  for (int64_t k = 0; k < K; ++k) {
    if (beam_scores[k] == kNegInf) continue;
    const T* row = log_probs + k * V;
    for (int64_t v = 0; v < V; ++v) {
      const double s = beam_scores[k] + static_cast<double>(row[v]);
      if (s != kNegInf) out.emplace_back(s, k * V + v);
    }
  }
  auto better = [](const auto& a, const auto& b) {
    return a.first > b.first || (a.first == b.first && a.second < b.second);
  };
  const auto keep = std::min<int64_t>(count, static_cast<int64_t>(out.size()));
  std::partial_sort(out.begin(), out.begin() + keep, out.end(), better);
  out.resize(static_cast<size_t>(keep));
}

}  // namespace

double length_penalty(int64_t length, double alpha) {
  return std::pow((5.0 + static_cast<double>(length)) / 6.0, alpha);
}

std::vector<std::vector<int64_t>> greedy_decode(Transformer& model, const Tensor& src,
                                                const DecodeOptions& options) {
  check_inputs("greedy_decode", src, options);
  NoGradGuard no_grad;
  nn::EvalModeGuard eval(model);
  const TransformerConfig& c = model.config();
  const int64_t B = src.size(0);
  const std::vector<int64_t> limits = length_limits(model, src, options);
  const Tensor forbidden = forbidden_tokens(model);

  DecoderState state = model.start_decoding(model.encode(src), model.pad_mask(src));
  std::vector<std::vector<int64_t>> out(static_cast<size_t>(B));
  std::vector<int64_t> active(static_cast<size_t>(B));  // state row -> sentence
  for (int64_t b = 0; b < B; ++b) active[static_cast<size_t>(b)] = b;
  Tensor tokens = full({B, 1}, static_cast<double>(c.bos_id), index_options(model));

  while (!active.empty()) {
    const Tensor logits = model.decode_step(tokens, state).select(1, 0);
    const auto next = argmax(masked_fill(logits, forbidden, -INFINITY), -1).to_vector<int64_t>();
    std::vector<int64_t> keep_rows, keep_tokens, still_active;
    for (size_t row = 0; row < active.size(); ++row) {
      std::vector<int64_t>& sentence = out[static_cast<size_t>(active[row])];
      if (next[row] == c.eos_id) continue;
      sentence.push_back(next[row]);
      if (static_cast<int64_t>(sentence.size()) >= limits[static_cast<size_t>(active[row])])
        continue;
      keep_rows.push_back(static_cast<int64_t>(row));
      keep_tokens.push_back(next[row]);
      still_active.push_back(active[row]);
    }
    if (still_active.empty()) break;
    if (still_active.size() < active.size()) state.reorder(index_tensor(model, keep_rows));
    active = std::move(still_active);
    tokens = column(model, keep_tokens);
  }
  return out;
}

std::vector<std::vector<Hypothesis>> beam_search_nbest(Transformer& model, const Tensor& src,
                                                       const DecodeOptions& options) {
  check_inputs("beam_search", src, options);
  NoGradGuard no_grad;
  nn::EvalModeGuard eval(model);
  const TransformerConfig& c = model.config();
  const int64_t B = src.size(0), K = options.beam_size, V = c.tgt_vocab;
  const double alpha = options.length_penalty;
  const std::vector<int64_t> limits = length_limits(model, src, options);
  const Tensor forbidden = forbidden_tokens(model);

  // Encode and project the cross-attention keys/values once per sentence, then give each
  // sentence K rows: rows [a K, (a + 1) K) belong to the a-th sentence still being decoded.
  DecoderState state = model.start_decoding(model.encode(src), model.pad_mask(src));
  std::vector<int64_t> active(static_cast<size_t>(B)), expand;
  for (int64_t b = 0; b < B; ++b) {
    active[static_cast<size_t>(b)] = b;
    for (int64_t k = 0; k < K; ++k) expand.push_back(b);
  }
  state.reorder(index_tensor(model, expand));

  // Only beam 0 is live at first, so the first step does not pick K copies of one token.
  std::vector<double> scores(static_cast<size_t>(B * K), kNegInf);
  for (int64_t b = 0; b < B; ++b) scores[static_cast<size_t>(b * K)] = 0;
  std::vector<std::vector<int64_t>> prefixes(static_cast<size_t>(B * K));
  std::vector<std::vector<Hypothesis>> finished(static_cast<size_t>(B));
  auto finish = [&](int64_t sentence, std::vector<int64_t> tokens, double log_prob, bool eos) {
    const auto length = static_cast<int64_t>(tokens.size()) + (eos ? 1 : 0);
    finished[static_cast<size_t>(sentence)].push_back(
        {std::move(tokens), log_prob, log_prob / length_penalty(length, alpha), eos});
  };

  Tensor tokens = full({B * K, 1}, static_cast<double>(c.bos_id), index_options(model));
  std::vector<std::pair<double, int64_t>> candidates;
  for (int64_t step = 0; !active.empty(); ++step) {
    Tensor log_probs = log_softmax(model.decode_step(tokens, state).select(1, 0), -1);
    log_probs = masked_fill(log_probs, forbidden, -INFINITY).to(kCPU).contiguous();
    if (log_probs.dtype() != kFloat64) log_probs = log_probs.to(kFloat32);

    std::vector<int64_t> parents, next_tokens, still_active;
    std::vector<double> next_scores;
    std::vector<std::vector<int64_t>> next_prefixes;
    for (size_t a = 0; a < active.size(); ++a) {
      const int64_t sentence = active[a], first_row = static_cast<int64_t>(a) * K;
      const double* beam_scores = scores.data() + first_row;
      // 2K candidates: at most K of them end in <eos> (one per parent), so K live ones remain.
      if (log_probs.dtype() == kFloat64)
        top_candidates(log_probs.data_ptr<double>() + first_row * V, beam_scores, K, V, 2 * K,
                       candidates);
      else
        top_candidates(log_probs.data_ptr<float>() + first_row * V, beam_scores, K, V, 2 * K,
                       candidates);
      std::vector<int64_t> live_rows, live_tokens;
      std::vector<double> live_scores;
      for (size_t rank = 0; rank < candidates.size() && live_rows.size() < size_t(K); ++rank) {
        const auto [score, candidate] = candidates[rank];
        const int64_t row = first_row + candidate / V, token = candidate % V;
        if (token == c.eos_id) {
          // An <eos> counts only when it ranks among the K best; otherwise a live beam beats it.
          if (rank < size_t(K)) finish(sentence, prefixes[size_t(row)], score, true);
          continue;
        }
        live_rows.push_back(row), live_tokens.push_back(token), live_scores.push_back(score);
      }
      const bool at_limit = step + 1 >= limits[size_t(sentence)];
      if (static_cast<int64_t>(finished[size_t(sentence)].size()) >= K || at_limit ||
          live_rows.empty()) {
        if (at_limit)
          for (size_t i = 0; i < live_rows.size(); ++i) {
            std::vector<int64_t> tokens_so_far = prefixes[size_t(live_rows[i])];
            tokens_so_far.push_back(live_tokens[i]);
            finish(sentence, std::move(tokens_so_far), live_scores[i], false);
          }
        continue;
      }
      // Too few finite candidates (a tiny vocabulary): the missing beams stay dead.
      while (live_rows.size() < size_t(K))
        live_rows.push_back(first_row), live_tokens.push_back(c.pad_id),
            live_scores.push_back(kNegInf);
      still_active.push_back(sentence);
      for (int64_t k = 0; k < K; ++k) {
        parents.push_back(live_rows[size_t(k)]);
        next_tokens.push_back(live_tokens[size_t(k)]);
        next_scores.push_back(live_scores[size_t(k)]);
        std::vector<int64_t> prefix = prefixes[size_t(live_rows[size_t(k)])];
        prefix.push_back(live_tokens[size_t(k)]);
        next_prefixes.push_back(std::move(prefix));
      }
    }
    if (still_active.empty()) break;
    // Parents are rows of the same sentence unless some sentence just finished and left.
    state.reorder(index_tensor(model, parents),
                  /*same_source=*/still_active.size() == active.size());
    active = std::move(still_active);
    scores = std::move(next_scores);
    prefixes = std::move(next_prefixes);
    tokens = column(model, next_tokens);
  }

  for (auto& hypotheses : finished)
    std::stable_sort(hypotheses.begin(), hypotheses.end(),
                     [](const Hypothesis& x, const Hypothesis& y) { return x.score > y.score; });
  for (auto& hypotheses : finished)
    if (static_cast<int64_t>(hypotheses.size()) > K) hypotheses.resize(static_cast<size_t>(K));
  return finished;
}

std::vector<std::vector<int64_t>> beam_search(Transformer& model, const Tensor& src,
                                              const DecodeOptions& options) {
  std::vector<std::vector<int64_t>> out;
  for (auto& hypotheses : beam_search_nbest(model, src, options))
    out.push_back(hypotheses.empty() ? std::vector<int64_t>{} : std::move(hypotheses[0].tokens));
  return out;
}

}  // namespace ember::models
