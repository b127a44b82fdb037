#include "ember/data/bleu.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <unordered_map>
#include <utility>

#include <fmt/format.h>

#include "ember/core/error.h"
#include "ember/data/unicode.h"

namespace ember::data {
namespace {

// Python's str.replace: one left-to-right pass, non-overlapping.
std::string replace_all(std::string_view text, std::string_view from, std::string_view to) {
  std::string out;
  out.reserve(text.size());
  size_t start = 0, hit;
  while ((hit = text.find(from, start)) != std::string_view::npos) {
    out.append(text, start, hit - start);
    out.append(to);
    start = hit + from.size();
  }
  out.append(text, start);
  return out;
}

// The class of 13a's first regex, [\{-\~\[-\` -\&\(-\+\:-\@\/]: every printable ASCII character
// that is not a letter, a digit or one of ' , - . (space included).
constexpr std::array<bool, 128> kSplitOffSymbols = [] {
  std::array<bool, 128> table{};
  auto mark = [&](int first, int last) {
    for (int c = first; c <= last; ++c) table[c] = true;
  };
  mark('{', '~');
  mark('[', '`');
  mark(' ', '&');
  mark('(', '+');
  mark(':', '@');
  mark('/', '/');
  return table;
}();

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_period_or_comma(char c) {
  return c == '.' || c == ',';
}

// One re.sub pass of a two-character pattern: scanning left to right, a pair (s[i], s[i+1]) that
// matches is rewritten and both characters are consumed; otherwise s[i] is copied. Every character
// tested is ASCII, so scanning UTF-8 bytes gives the same result as scanning code points.
template <typename First, typename Second, typename Rewrite>
std::string rewrite_pairs(const std::string& s, First first, Second second, Rewrite rewrite) {
  std::string out;
  out.reserve(s.size() + s.size() / 4);
  size_t i = 0;
  while (i < s.size()) {
    if (i + 1 < s.size() && first(s[i]) && second(s[i + 1])) {
      rewrite(out, s[i], s[i + 1]);
      i += 2;
    } else {
      out += s[i++];
    }
  }
  return out;
}

std::string join_words(const std::vector<std::string_view>& words) {
  std::string out;
  size_t size = words.size();
  for (auto w : words) size += w.size();
  out.reserve(size);
  for (size_t i = 0; i < words.size(); ++i) {
    if (i) out += ' ';
    out.append(words[i]);
  }
  return out;
}

}  // namespace

std::string tokenize_13a(std::string_view line) {
  // Language-independent part (str.replace calls, in this order).
  std::string s = replace_all(line, "<skipped>", "");
  s = replace_all(s, "-\n", "");
  std::replace(s.begin(), s.end(), '\n', ' ');
  if (s.find('&') != std::string::npos) {
    s = replace_all(s, "&quot;", "\"");
    s = replace_all(s, "&amp;", "&");
    s = replace_all(s, "&lt;", "<");
    s = replace_all(s, "&gt;", ">");
  }

  // Pad with spaces, then put spaces around each symbol of the class (the padding included).
  std::string padded;
  padded.reserve(3 * s.size() + 6);
  for (const char c : " " + s + " ") {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 128 && kSplitOffSymbols[byte]) {
      padded += ' ';
      padded += c;
      padded += ' ';
    } else {
      padded += c;
    }
  }

  const auto not_digit = [](char c) { return !is_digit(c); };
  const auto is_dash = [](char c) { return c == '-'; };
  // Period and comma unless preceded by a digit: "\1 \2 ".
  s = rewrite_pairs(padded, not_digit, is_period_or_comma, [](std::string& out, char a, char b) {
    out += a;
    out += ' ';
    out += b;
    out += ' ';
  });
  // Period and comma unless followed by a digit: " \1 \2".
  s = rewrite_pairs(s, is_period_or_comma, not_digit, [](std::string& out, char a, char b) {
    out += ' ';
    out += a;
    out += ' ';
    out += b;
  });
  // Dash after a digit: "\1 \2 ".
  s = rewrite_pairs(s, is_digit, is_dash, [](std::string& out, char a, char b) {
    out += a;
    out += ' ';
    out += b;
    out += ' ';
  });
  return join_words(split_whitespace(s));
}

BleuStats& BleuStats::operator+=(const BleuStats& other) {
  sys_len += other.sys_len;
  ref_len += other.ref_len;
  for (int n = 0; n < kBleuMaxOrder; ++n) {
    counts[n] += other.counts[n];
    totals[n] += other.totals[n];
  }
  return *this;
}

namespace {

// An n-gram as the ids (+1) of its tokens, zero-padded to four: the order is the number of
// non-zero entries, and sorting groups equal n-grams together.
using NgramKey = std::array<uint32_t, kBleuMaxOrder>;

int order_of(const NgramKey& key) {
  int n = 0;
  while (n < kBleuMaxOrder && key[n] != 0) ++n;
  return n;
}

// Computes segment statistics, reusing its buffers from one segment to the next.
class SegmentCounter {
 public:
  explicit SegmentCounter(const BleuOptions& options) : options_(options) {}

  // Every reference is non-empty once right-stripped.
  BleuStats count(std::string_view hypothesis, const std::vector<std::string_view>& references) {
    ids_.clear();
    // The token ids point into these texts: sized once so that they do not move.
    texts_.resize(references.size() + 1);
    BleuStats stats;
    texts_[0] = preprocess(hypothesis);
    const std::vector<uint32_t> hyp = token_ids(texts_[0]);
    stats.sys_len = static_cast<int64_t>(hyp.size());

    // Closest reference length; a tie goes to the shorter reference.
    int64_t best_len = -1, best_diff = -1;
    ref_max_.clear();
    for (size_t k = 0; k < references.size(); ++k) {
      texts_[k + 1] = preprocess(references[k]);
      const std::vector<uint32_t> ref = token_ids(texts_[k + 1]);
      const auto len = static_cast<int64_t>(ref.size());
      const int64_t diff = std::abs(stats.sys_len - len);
      if (best_diff < 0 || diff < best_diff || (diff == best_diff && len < best_len)) {
        best_diff = diff;
        best_len = len;
      }
      count_ngrams(ref, ref_counts_);
      ref_max_.insert(ref_max_.end(), ref_counts_.begin(), ref_counts_.end());
    }
    stats.ref_len = best_len;
    if (references.size() > 1) merge_by_max(ref_max_);

    count_ngrams(hyp, hyp_counts_);
    for (int n = 0; n < kBleuMaxOrder; ++n)
      stats.totals[n] = std::max<int64_t>(0, stats.sys_len - n);
    // Both lists are sorted by key: walk them together and clip each match count.
    size_t r = 0;
    for (const auto& [key, count] : hyp_counts_) {
      while (r < ref_max_.size() && ref_max_[r].first < key) ++r;
      if (r < ref_max_.size() && ref_max_[r].first == key)
        stats.counts[order_of(key) - 1] += std::min(count, ref_max_[r].second);
    }
    return stats;
  }

 private:
  std::string preprocess(std::string_view text) const {
    std::string_view line = rstrip_whitespace(text);
    std::string lowered;
    if (options_.lowercase) {
      lowered = lowercase_unicode(line);
      line = rstrip_whitespace(lowered);
    }
    return options_.tokenize == BleuTokenize::v13a ? tokenize_13a(line) : std::string(line);
  }

  // Token ids are local to the segment; `text` must stay alive until the segment is counted.
  std::vector<uint32_t> token_ids(const std::string& text) {
    std::vector<uint32_t> ids;
    for (const std::string_view token : split_whitespace(text)) {
      auto [it, inserted] = ids_.try_emplace(token, 0);
      if (inserted) it->second = static_cast<uint32_t>(ids_.size());  // ids start at 1
      ids.push_back(it->second);
    }
    return ids;
  }

  // Every n-gram of order 1..4 with its count, sorted by key.
  void count_ngrams(const std::vector<uint32_t>& tokens,
                    std::vector<std::pair<NgramKey, int64_t>>& counts) {
    keys_.clear();
    for (size_t i = 0; i < tokens.size(); ++i) {
      NgramKey key{};
      for (size_t n = 0; n < kBleuMaxOrder && i + n < tokens.size(); ++n) {
        key[n] = tokens[i + n];
        keys_.push_back(key);
      }
    }
    std::sort(keys_.begin(), keys_.end());
    counts.clear();
    for (size_t i = 0; i < keys_.size();) {
      size_t j = i + 1;
      while (j < keys_.size() && keys_[j] == keys_[i]) ++j;
      counts.emplace_back(keys_[i], static_cast<int64_t>(j - i));
      i = j;
    }
  }

  // The count of each n-gram in its most generous reference (a maximum, not a sum).
  static void merge_by_max(std::vector<std::pair<NgramKey, int64_t>>& counts) {
    std::sort(counts.begin(), counts.end());
    size_t out = 0;
    for (size_t i = 0; i < counts.size();) {
      size_t j = i;
      int64_t most = 0;
      for (; j < counts.size() && counts[j].first == counts[i].first; ++j)
        most = std::max(most, counts[j].second);
      counts[out++] = {counts[i].first, most};
      i = j;
    }
    counts.resize(out);
  }

  BleuOptions options_;
  std::vector<std::string> texts_;
  std::unordered_map<std::string_view, uint32_t> ids_;
  std::vector<NgramKey> keys_;
  std::vector<std::pair<NgramKey, int64_t>> hyp_counts_, ref_counts_, ref_max_;
};

double smooth_value_of(const BleuOptions& options) {
  if (options.smooth_value) return *options.smooth_value;
  return options.smoothing == BleuSmoothing::floor ? 0.1 : 1.0;
}

// sacreBLEU's my_log: a zero precision becomes a huge negative number, so exp() gives exactly 0.
double log_or_floor(double x) {
  return x == 0.0 ? -9999999999.0 : std::log(x);
}

void check_options(const BleuOptions& options) {
  if (options.smooth_value) {
    const double v = *options.smooth_value;
    EMBER_CHECK(std::isfinite(v) && v >= 0.0,
                "bleu: smooth_value must be a finite number >= 0, got {}", v);
  }
}

}  // namespace

BleuScore bleu_from_stats(const BleuStats& stats, const BleuOptions& options, int num_refs) {
  check_options(options);
  BleuScore result;
  result.options = options;
  result.num_refs = num_refs;
  result.sys_len = stats.sys_len;
  result.ref_len = stats.ref_len;
  result.counts = stats.counts;
  result.totals = stats.totals;
  result.ratio = stats.ref_len > 0
                     ? static_cast<double>(stats.sys_len) / static_cast<double>(stats.ref_len)
                     : 0.0;
  if (stats.sys_len < stats.ref_len) {
    result.bp = stats.sys_len > 0 ? std::exp(1.0 - static_cast<double>(stats.ref_len) /
                                                       static_cast<double>(stats.sys_len))
                                  : 0.0;
  } else {
    result.bp = 1.0;
  }

  const bool any_match =
      std::any_of(stats.counts.begin(), stats.counts.end(), [](int64_t c) { return c != 0; });
  if (!any_match) return result;  // score 0, precisions 0

  const double k = smooth_value_of(options);
  double exp_divisor = 1.0;
  int order = kBleuMaxOrder;
  for (int n = 0; n < kBleuMaxOrder; ++n) {
    double correct = static_cast<double>(stats.counts[n]);
    double total = static_cast<double>(stats.totals[n]);
    if (options.smoothing == BleuSmoothing::add_k && n > 0) {
      correct += k;
      total += k;
    }
    if (total == 0.0) break;
    if (options.effective_order) order = n + 1;
    if (correct == 0.0) {
      if (options.smoothing == BleuSmoothing::exp) {
        exp_divisor *= 2.0;
        result.precisions[n] = 100.0 / (exp_divisor * total);
      } else if (options.smoothing == BleuSmoothing::floor) {
        result.precisions[n] = 100.0 * k / total;
      }
    } else {
      result.precisions[n] = 100.0 * correct / total;
    }
  }
  double log_sum = 0.0;
  for (int n = 0; n < order; ++n) log_sum += log_or_floor(result.precisions[n]);
  result.score = result.bp * std::exp(log_sum / order);
  return result;
}

namespace {

// The references of one segment that are not empty once right-stripped (sacreBLEU skips those).
std::vector<std::string_view> non_empty(const std::vector<std::string>& references) {
  std::vector<std::string_view> kept;
  for (const auto& reference : references)
    if (!rstrip_whitespace(reference).empty()) kept.push_back(reference);
  return kept;
}

BleuScore score_corpus(const std::vector<std::string>& hypotheses,
                       const std::vector<const std::vector<std::string>*>& reference_sets,
                       const BleuOptions& options) {
  check_options(options);
  EMBER_CHECK(!reference_sets.empty(), "corpus_bleu: no references given");
  for (size_t k = 0; k < reference_sets.size(); ++k)
    EMBER_CHECK(reference_sets[k]->size() == hypotheses.size(),
                "corpus_bleu: {} hypotheses but {} references{} (one per line, the counts must "
                "match)",
                hypotheses.size(), reference_sets[k]->size(),
                reference_sets.size() > 1 ? fmt::format(" in reference set {}", k + 1) : "");

  SegmentCounter counter(options);
  BleuStats total;
  std::set<size_t> refs_per_segment;
  std::vector<std::string_view> kept;
  for (size_t i = 0; i < hypotheses.size(); ++i) {
    kept.clear();
    for (const auto* set : reference_sets)
      if (!rstrip_whitespace((*set)[i]).empty()) kept.push_back((*set)[i]);
    EMBER_CHECK(!kept.empty(),
                "corpus_bleu: the reference{} of line {} {} empty (sacreBLEU refuses empty "
                "references)",
                reference_sets.size() > 1 ? "s" : "", i + 1,
                reference_sets.size() > 1 ? "are all" : "is");
    refs_per_segment.insert(kept.size());
    total += counter.count(hypotheses[i], kept);
  }
  // sacreBLEU's nrefs: the number of references each segment had, or "var" when it varies.
  int num_refs = static_cast<int>(reference_sets.size());
  if (refs_per_segment.size() == 1) num_refs = static_cast<int>(*refs_per_segment.begin());
  if (refs_per_segment.size() > 1) num_refs = 0;
  return bleu_from_stats(total, options, num_refs);
}

}  // namespace

BleuStats segment_bleu_stats(std::string_view hypothesis,
                             const std::vector<std::string>& references,
                             const BleuOptions& options) {
  const auto kept = non_empty(references);
  EMBER_CHECK(!kept.empty(), "bleu: a segment needs a non-empty reference ({} given, all empty)",
              references.size());
  return SegmentCounter(options).count(hypothesis, kept);
}

BleuScore corpus_bleu(const std::vector<std::string>& hypotheses,
                      const std::vector<std::string>& references, BleuOptions options) {
  return score_corpus(hypotheses, {&references}, options);
}

BleuScore corpus_bleu_multi(const std::vector<std::string>& hypotheses,
                            const std::vector<std::vector<std::string>>& reference_sets,
                            BleuOptions options) {
  std::vector<const std::vector<std::string>*> sets;
  for (const auto& set : reference_sets) sets.push_back(&set);
  return score_corpus(hypotheses, sets, options);
}

BleuScore sentence_bleu(std::string_view hypothesis, const std::vector<std::string>& references,
                        BleuOptions options) {
  check_options(options);
  const auto kept = non_empty(references);
  EMBER_CHECK(!kept.empty(), "sentence_bleu: a non-empty reference is needed ({} given, all empty)",
              references.size());
  const BleuStats stats = SegmentCounter(options).count(hypothesis, kept);
  return bleu_from_stats(stats, options, static_cast<int>(kept.size()));
}

std::string BleuScore::signature() const {
  std::string smooth;
  switch (options.smoothing) {
    case BleuSmoothing::exp:
      smooth = "exp";
      break;
    case BleuSmoothing::none:
      smooth = "none";
      break;
    case BleuSmoothing::floor:
      smooth = fmt::format("floor[{:.2f}]", smooth_value_of(options));
      break;
    case BleuSmoothing::add_k:
      smooth = fmt::format("add-k[{:.2f}]", smooth_value_of(options));
      break;
  }
  return fmt::format("nrefs:{}|case:{}|eff:{}|tok:{}|smooth:{}|version:2.x",
                     num_refs > 0 ? std::to_string(num_refs) : std::string("var"),
                     options.lowercase ? "lc" : "mixed", options.effective_order ? "yes" : "no",
                     options.tokenize == BleuTokenize::v13a ? "13a" : "none", smooth);
}

std::string BleuScore::format(bool with_signature) const {
  const std::string name = with_signature ? fmt::format("BLEU|{}", signature()) : "BLEU";
  return fmt::format(
      "{} = {:.2f} {:.1f}/{:.1f}/{:.1f}/{:.1f} (BP = {:.3f} ratio = {:.3f} hyp_len = {} "
      "ref_len = {})",
      name, score, precisions[0], precisions[1], precisions[2], precisions[3], bp, ratio, sys_len,
      ref_len);
}

}  // namespace ember::data
