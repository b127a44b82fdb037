#pragma once
// Corpus BLEU computed exactly as sacreBLEU 2.x does (same tokens, same n-gram statistics, same
// floating-point operations in the same order), so the scores ember reports can be compared with
// published ones.
//
//   auto hyps = ember::data::read_lines("hyp.de"), refs = ember::data::read_lines("ref.de.gz");
//   auto bleu = ember::data::corpus_bleu(hyps, refs);
//   fmt::print("{}\n{}\n", bleu.format(), bleu.signature());
//   // BLEU = 34.12 65.1/41.0/28.3/20.0 (BP = 0.953 ratio = 0.954 hyp_len = 12345 ref_len = 12940)
//   // nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.x
//
// Score detokenised, true-case system output against the raw references. Each line is
// right-stripped of whitespace, optionally lowercased, tokenised (13a by default) and split into
// tokens; the clipped n-gram matches (n = 1..4) and lengths of all segments are summed, and
//   BLEU = BP * exp(mean_n log p_n),  p_n = matches_n / total_n (in percent),
//   BP = 1 if sys_len >= ref_len, else exp(1 - ref_len / sys_len).
// Corpus BLEU is not an average of sentence BLEU. See shared/reference/bleu.md for every rule.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ember::data {

// sacreBLEU's default tokenizer (mteval-v13a): unescapes &quot; &amp; &lt; &gt;, drops <skipped>,
// splits off every ASCII symbol except ' , - . ; splits periods and commas unless between digits
// and dashes after a digit; returns the tokens joined by single spaces. Leaves non-ASCII text
// alone except Unicode whitespace, which separates tokens.
std::string tokenize_13a(std::string_view line);

enum class BleuSmoothing {
  exp,    // default: the k-th order with no match gets precision 1 / (2^k total)
  none,   // no smoothing: a zero precision makes BLEU 0
  floor,  // a zero match count counts as smooth_value (default 0.1)
  add_k,  // orders 2..4 add smooth_value (default 1) to matches and totals
};

enum class BleuTokenize {
  v13a,  // tokenize_13a (the default; signature "tok:13a")
  none,  // whitespace split only, for pre-tokenised text (signature "tok:none")
};

struct BleuOptions {
  bool lowercase = false;  // compare lowercased text (signature "case:lc")
  BleuSmoothing smoothing = BleuSmoothing::exp;
  std::optional<double> smooth_value;  // for floor and add-k; unset: 0.1 and 1
  bool effective_order = false;        // average only over orders that have n-grams at all
  BleuTokenize tokenize = BleuTokenize::v13a;
};

inline constexpr int kBleuMaxOrder = 4;

// The sufficient statistics of BLEU. Those of a corpus are the sum of those of its segments.
struct BleuStats {
  int64_t sys_len = 0;  // hypothesis tokens
  int64_t ref_len = 0;  // tokens of the reference closest in length to each hypothesis
  std::array<int64_t, kBleuMaxOrder> counts{};  // clipped n-gram matches, n = 1..4
  std::array<int64_t, kBleuMaxOrder> totals{};  // hypothesis n-grams, n = 1..4

  BleuStats& operator+=(const BleuStats& other);
};

struct BleuScore {
  double score = 0.0;                              // 0..100
  std::array<double, kBleuMaxOrder> precisions{};  // percent, after smoothing
  double bp = 0.0;                                 // brevity penalty
  double ratio = 0.0;                              // sys_len / ref_len (0 when ref_len is 0)
  int64_t sys_len = 0, ref_len = 0;
  std::array<int64_t, kBleuMaxOrder> counts{}, totals{};  // before any add-k smoothing
  BleuOptions options;
  int num_refs = 1;  // references per segment; 0 when it varies ("nrefs:var")

  // sacreBLEU's one-line form, two decimals:
  //   BLEU = 53.26 100.0/82.5/60.9/35.9 (BP = 0.817 ratio = 0.832 hyp_len = 10672 ref_len = 12825)
  // With the signature, as sacreBLEU's command line prints it: "BLEU|nrefs:1|...|version:2.x =
  // ...".
  std::string format(bool with_signature = false) const;
  // The settings, as sacreBLEU writes them:
  // nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.x
  std::string signature() const;
};

// The statistics of one segment against its references (at least one must be non-empty after
// right-stripping; empty ones are ignored, as sacreBLEU does).
BleuStats segment_bleu_stats(std::string_view hypothesis,
                             const std::vector<std::string>& references,
                             const BleuOptions& options = {});

// BLEU from summed statistics (sacreBLEU's compute_bleu).
BleuScore bleu_from_stats(const BleuStats& stats, const BleuOptions& options = {},
                          int num_refs = 1);

// Line i of `hypotheses` against line i of `references`. The counts must match, and no reference
// may be empty (sacreBLEU refuses those); an empty hypothesis is a valid segment of 0 tokens.
BleuScore corpus_bleu(const std::vector<std::string>& hypotheses,
                      const std::vector<std::string>& references, BleuOptions options = {});

// Several references per segment: reference_sets[k][i] is the k-th reference of segment i (each
// set is one parallel file). An empty reference is skipped for that segment only.
BleuScore corpus_bleu_multi(const std::vector<std::string>& hypotheses,
                            const std::vector<std::vector<std::string>>& reference_sets,
                            BleuOptions options = {});

// BLEU of one sentence; like sacreBLEU's sentence_bleu() it uses the effective order by default,
// so that a short sentence does not score 0 for lack of 4-grams.
BleuScore sentence_bleu(std::string_view hypothesis, const std::vector<std::string>& references,
                        BleuOptions options = {.effective_order = true});

}  // namespace ember::data
