// BLEU must equal sacreBLEU's to the last bit: the expectations here are bleu.md's test vectors
// (checked against real sacreBLEU) and hand-computed cases.
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "ember/data/bleu.h"
#include "ember/data/text_file.h"
#include "ember/data/unicode.h"
#include "helpers.h"

using namespace ember::data;
using Lines = std::vector<std::string>;

namespace {

std::string two_decimals(double x) {
  return fmt::format("{:.2f}", x);
}

BleuScore bleu1(const std::string& hyp, const std::string& ref, BleuOptions options = {}) {
  return corpus_bleu({hyp}, {ref}, options);
}

}  // namespace

TEST_CASE("tokenize_13a: periods, commas and dashes") {
  CHECK(tokenize_13a("Wait...") == "Wait . . .");
  CHECK(tokenize_13a("It costs 3.50 or 1,000 dollars.") == "It costs 3.50 or 1,000 dollars .");
  CHECK(tokenize_13a("Number 3.") == "Number 3 .");  // the padding space after '.' splits it
  CHECK(tokenize_13a(".5") == ". 5");                // the padding space before '.' splits it
  CHECK(tokenize_13a("a,b 1,b a,1") == "a , b 1 , b a , 1");
  CHECK(tokenize_13a("5-6") == "5 - 6");
  CHECK(tokenize_13a("well-known T-shirt a-5 woman's") == "well-known T-shirt a-5 woman's");
  CHECK(tokenize_13a("Mr. Smith, Jr.") == "Mr . Smith , Jr .");
}

TEST_CASE("tokenize_13a: ASCII symbols split off, non-ASCII punctuation stays") {
  CHECK(tokenize_13a("a(b)c") == "a ( b ) c");
  CHECK(tokenize_13a("$5 @home #1 50% x+y=z a/b a\\b") ==
        "$ 5 @ home # 1 50 % x + y = z a / b a \\ b");
  CHECK(tokenize_13a("{a}|[b]^_`~!?;:\"") == "{ a } | [ b ] ^ _ ` ~ ! ? ; : \"");
  CHECK(tokenize_13a("„Hallo“ – sagte er…") == "„Hallo“ – sagte er…");
  CHECK(tokenize_13a("Ein Mann läuft, schnell.") == "Ein Mann läuft , schnell .");
}

TEST_CASE("tokenize_13a: entities, <skipped> and newlines, in sacreBLEU's order") {
  CHECK(tokenize_13a("a &quot;b&quot; &lt;c&gt; d&amp;e") == "a \" b \" < c > d & e");
  CHECK(tokenize_13a("&amp;lt;") == "<");           // &amp; -> & first, then &lt; -> <
  CHECK(tokenize_13a("&amp;quot;") == "& quot ;");  // &quot; was replaced before &amp;
  CHECK(tokenize_13a("x<skipped>y") == "xy");
  CHECK(tokenize_13a("<skip<skipped>ped>") == "< skipped >");  // one pass only
  CHECK(tokenize_13a("well-\nknown\nword") == "wellknown word");
}

TEST_CASE("tokenize_13a: Python's whitespace set separates tokens") {
  CHECK(tokenize_13a("  a \t b\r\n") == "a b");
  CHECK(tokenize_13a("a\u00a0b\u2009c\u3000d\u202fe\x1c"
                     "f\u0085g") == "a b c d e f g");
  // U+200B (zero-width space) and U+FEFF are not whitespace in Python.
  CHECK(tokenize_13a("a\u200bb \ufeffc") == "a\u200bb \ufeffc");
  CHECK(tokenize_13a("") == "");
  CHECK(tokenize_13a(" \t ") == "");
}

TEST_CASE("unicode helpers follow Python's str methods") {
  CHECK(split_whitespace(" a\u00a0b\t\tc ") == std::vector<std::string_view>{"a", "b", "c"});
  CHECK(split_whitespace("").empty());
  CHECK(rstrip_whitespace("  a b \u3000\r\n") == "  a b");
  CHECK(rstrip_whitespace("\u00a0").empty());
  CHECK(lowercase_unicode("ÄPFEL Über ẞ ΣΟΦΟΣ İ") == "äpfel über ß σοφος i\u0307");
  CHECK(lowercase_unicode("ΣΑ Σ.") == "σα σ.");  // final sigma needs a cased letter before it
}

TEST_CASE("corpus_bleu: perfect match is 100 exactly as sacreBLEU computes it") {
  const auto bleu = corpus_bleu({"Ein Hund rennt über die Wiese.", "Zwei Kinder spielen."},
                                {"Ein Hund rennt über die Wiese.", "Zwei Kinder spielen."});
  CHECK(bleu.score == 100.00000000000004);  // exp(log(100)) in double
  CHECK(bleu.format() ==
        "BLEU = 100.00 100.0/100.0/100.0/100.0 (BP = 1.000 ratio = 1.000 hyp_len = 11 "
        "ref_len = 11)");
  CHECK(bleu.counts == std::array<int64_t, 4>{11, 9, 7, 5});
  CHECK(bleu.totals == std::array<int64_t, 4>{11, 9, 7, 5});
  CHECK(bleu.signature() == "nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.x");
}

TEST_CASE("corpus_bleu: bleu.md's hand-computed cases") {
  SUBCASE("brevity penalty: 100 exp(1 - 7/6)") {
    const auto bleu = bleu1("the cat sat on the mat", "the cat sat on the mat today");
    CHECK(bleu.bp == std::exp(1.0 - 7.0 / 6.0));
    CHECK(bleu.format() ==
          "BLEU = 84.65 100.0/100.0/100.0/100.0 (BP = 0.846 ratio = 0.857 hyp_len = 6 "
          "ref_len = 7)");
  }
  SUBCASE("no 3-gram or 4-gram match: exp smoothing halves, then quarters") {
    const auto bleu = bleu1("a b c d", "a b x d");
    CHECK(bleu.counts == std::array<int64_t, 4>{3, 1, 0, 0});
    CHECK(bleu.totals == std::array<int64_t, 4>{4, 3, 2, 1});
    CHECK(bleu.precisions[2] == 100.0 / (2.0 * 2));
    CHECK(bleu.precisions[3] == 100.0 / (4.0 * 1));
    CHECK(bleu.format() ==
          "BLEU = 35.36 75.0/33.3/25.0/25.0 (BP = 1.000 ratio = 1.000 hyp_len = 4 ref_len = 4)");
  }
  SUBCASE("the other smoothing methods") {
    CHECK(bleu1("a b c d", "a b x d", {.smoothing = BleuSmoothing::none}).score == 0.0);
    const auto floor = bleu1("a b c d", "a b x d", {.smoothing = BleuSmoothing::floor});
    CHECK(two_decimals(floor.score) == "18.80");
    CHECK(floor.precisions ==
          std::array<double, 4>{75.0, 100.0 * 1 / 3, 100.0 * 0.1 / 2, 100.0 * 0.1 / 1});
    const auto add_k = bleu1("a b c d", "a b x d", {.smoothing = BleuSmoothing::add_k});
    CHECK(two_decimals(add_k.score) == "50.00");
    CHECK(add_k.precisions == std::array<double, 4>{75.0, 50.0, 100.0 * 1 / 3, 50.0});
    CHECK(add_k.counts == std::array<int64_t, 4>{3, 1, 0, 0});  // the unsmoothed counts
    const auto add_2 =
        bleu1("a b c d", "a b x d", {.smoothing = BleuSmoothing::add_k, .smooth_value = 2.0});
    CHECK(add_2.precisions[3] == 100.0 * 2 / 3);
    CHECK(add_2.signature() == "nrefs:1|case:mixed|eff:no|tok:13a|smooth:add-k[2.00]|version:2.x");
    CHECK(floor.signature() == "nrefs:1|case:mixed|eff:no|tok:13a|smooth:floor[0.10]|version:2.x");
  }
  SUBCASE("fewer than 4 tokens: no 3-grams, so 0 unless the effective order is used") {
    const auto plain = bleu1("a b", "a b c");
    CHECK(plain.score == 0.0);
    CHECK(plain.precisions == std::array<double, 4>{100.0, 100.0, 0.0, 0.0});
    const auto effective = bleu1("a b", "a b c", {.effective_order = true});
    CHECK(effective.score == std::exp(1.0 - 3.0 / 2.0) * std::exp(2 * std::log(100.0) / 2));
    CHECK(two_decimals(effective.score) == "60.65");
    CHECK(effective.signature() == "nrefs:1|case:mixed|eff:yes|tok:13a|smooth:exp|version:2.x");
    CHECK(two_decimals(sentence_bleu("a b", {"a b c"}).score) == "60.65");
  }
  SUBCASE("matches are clipped to the reference count") {
    const auto bleu = bleu1("the the the the", "the cat");
    CHECK(bleu.counts == std::array<int64_t, 4>{1, 0, 0, 0});
    CHECK(bleu.format() ==
          "BLEU = 15.97 25.0/16.7/12.5/12.5 (BP = 1.000 ratio = 2.000 hyp_len = 4 ref_len = 2)");
  }
  SUBCASE("two references: the closest length wins, a tie goes to the shorter") {
    const auto bleu = corpus_bleu_multi({"a b c d"}, {{"a b c"}, {"a b c d e"}});
    CHECK(bleu.ref_len == 3);
    CHECK(two_decimals(bleu.score) == "100.00");
    CHECK(bleu.signature() == "nrefs:2|case:mixed|eff:no|tok:13a|smooth:exp|version:2.x");
    // Reference counts are the maximum over references, not the sum.
    const auto clipped = corpus_bleu_multi({"x x x y"}, {{"x y"}, {"x x"}});
    CHECK(clipped.counts[0] == 3);
  }
  SUBCASE("two lines: statistics are summed, not scores averaged") {
    const auto bleu = corpus_bleu({"a b c d", "e f g h"}, {"a b c d", "e f x h"});
    CHECK(bleu.counts == std::array<int64_t, 4>{7, 4, 2, 1});
    CHECK(bleu.totals == std::array<int64_t, 4>{8, 6, 4, 2});
    CHECK(bleu.format() ==
          "BLEU = 61.80 87.5/66.7/50.0/50.0 (BP = 1.000 ratio = 1.000 hyp_len = 8 ref_len = 8)");
  }
}

TEST_CASE("corpus_bleu: empty hypotheses, whitespace and case") {
  // An empty hypothesis is a segment of 0 tokens that still counts its reference length.
  const auto one_empty = corpus_bleu({"", "a b c d"}, {"x y z", "a b c d"});
  CHECK(one_empty.sys_len == 4);
  CHECK(one_empty.ref_len == 7);
  CHECK(one_empty.score == std::exp(1.0 - 7.0 / 4.0) * 100.00000000000004);
  CHECK(two_decimals(one_empty.score) == "47.24");
  const auto all_empty = bleu1("", "a b c d");
  CHECK(all_empty.format() ==
        "BLEU = 0.00 0.0/0.0/0.0/0.0 (BP = 0.000 ratio = 0.000 hyp_len = 0 ref_len = 4)");
  // No match at all: score 0, precisions 0, the brevity penalty still reported.
  CHECK(bleu1("p q r s t", "a b c d").format() ==
        "BLEU = 0.00 0.0/0.0/0.0/0.0 (BP = 1.000 ratio = 1.250 hyp_len = 5 ref_len = 4)");

  // Right-stripping (a CRLF line end included) and leading blanks change nothing.
  CHECK(bleu1("  a b c d \r", "a b c d\u00a0").score == 100.00000000000004);
  // Case-sensitive by default; lowercase compares lowercased text.
  CHECK(bleu1("Ein Über Äpfel X", "ein über äpfel x").counts[0] == 0);
  const auto lowered = bleu1("Ein Über Äpfel X", "ein über äpfel x", {.lowercase = true});
  CHECK(lowered.score == 100.00000000000004);
  CHECK(lowered.signature() == "nrefs:1|case:lc|eff:no|tok:13a|smooth:exp|version:2.x");
  // tokenize none splits on whitespace only.
  const auto raw = bleu1("a, b.", "a , b .", {.tokenize = BleuTokenize::none});
  CHECK(raw.sys_len == 2);
  CHECK(raw.counts[0] == 0);
  CHECK(raw.signature() == "nrefs:1|case:mixed|eff:no|tok:none|smooth:exp|version:2.x");
}

TEST_CASE("corpus_bleu: statistics add up, segment by segment") {
  const Lines hyps{"Ein Mann fährt Fahrrad.", "", "Zwei Hunde spielen im Schnee, laut."};
  const Lines refs{"Ein Mann fährt ein Fahrrad.", "Nichts.", "Zwei Hunde spielen im Schnee."};
  BleuStats sum;
  for (size_t i = 0; i < hyps.size(); ++i) sum += segment_bleu_stats(hyps[i], {refs[i]});
  const auto from_stats = bleu_from_stats(sum);
  const auto direct = corpus_bleu(hyps, refs);
  CHECK(from_stats.score == direct.score);
  CHECK(from_stats.format() == direct.format());
  CHECK(direct.sys_len == 13);
  CHECK(direct.ref_len == 14);
}

TEST_CASE("corpus_bleu: bad input") {
  CHECK_THROWS_CONTAINING(corpus_bleu({"a", "b"}, {"a"}),
                          "corpus_bleu: 2 hypotheses but 1 references");
  CHECK_THROWS_CONTAINING(corpus_bleu({"a", "b"}, {"a", " \t"}),
                          "corpus_bleu: the reference of line 2 is empty");
  CHECK_THROWS_CONTAINING(corpus_bleu_multi({"a"}, {{"a"}, {"a", "b"}}),
                          "1 hypotheses but 2 references in reference set 2");
  CHECK_THROWS_CONTAINING(corpus_bleu_multi({"a"}, {}), "corpus_bleu: no references given");
  CHECK_THROWS_CONTAINING(
      bleu1("a", "a", {.smoothing = BleuSmoothing::floor, .smooth_value = -1.0}),
      "smooth_value must be a finite number >= 0, got -1");
  CHECK_THROWS_CONTAINING(sentence_bleu("a", {""}), "sentence_bleu: a non-empty reference");
  // An empty reference among several is skipped for that segment: the count varies ("var").
  const auto varying =
      corpus_bleu_multi({"a b c d", "e f g h"}, {{"a b c d", "e f g h"}, {"", "e f"}});
  CHECK(varying.score == 100.00000000000004);
  CHECK(varying.signature() == "nrefs:var|case:mixed|eff:no|tok:13a|smooth:exp|version:2.x");
}

TEST_CASE("corpus_bleu: bleu.md's Multi30k vectors (real sacreBLEU output)") {
  const std::string dir = std::string(EMBER_SHARED_DATA) + "/multi30k/";
  if (!std::filesystem::exists(dir + "val.de.gz")) {
    MESSAGE("skipped: ", dir, "val.de.gz is not here");
    return;
  }
  const Lines refs = read_lines(dir + "val.de.gz");
  // Every k-th whitespace-separated word of each raw line removed.
  auto drop_every = [&](size_t k) {
    Lines hyps;
    for (const auto& line : refs) {
      std::string kept;
      const auto words = split_whitespace(line);
      for (size_t i = 0; i < words.size(); ++i) {
        if ((i + 1) % k == 0) continue;
        if (!kept.empty()) kept += ' ';
        kept.append(words[i]);
      }
      hyps.push_back(kept);
    }
    return hyps;
  };

  const auto drop5 = corpus_bleu(drop_every(5), refs);
  CHECK(drop5.format() ==
        "BLEU = 53.26 100.0/82.5/60.9/35.9 (BP = 0.817 ratio = 0.832 hyp_len = 10672 "
        "ref_len = 12825)");
  CHECK(drop5.counts == std::array<int64_t, 4>{10672, 7965, 5262, 2740});
  CHECK(drop5.totals == std::array<int64_t, 4>{10672, 9658, 8644, 7630});

  const auto drop3 = corpus_bleu(drop_every(3), refs);
  CHECK(drop3.format() ==
        "BLEU = 5.23 100.0/59.5/7.3/0.1 (BP = 0.640 ratio = 0.691 hyp_len = 8867 "
        "ref_len = 12825)");
  CHECK(drop3.counts == std::array<int64_t, 4>{8867, 4674, 498, 6});
  CHECK(drop3.totals == std::array<int64_t, 4>{8867, 7853, 6839, 5826});

  const auto english = corpus_bleu(read_lines(dir + "val.en.gz"), refs);
  CHECK(english.format() ==
        "BLEU = 0.49 10.6/0.3/0.2/0.1 (BP = 1.000 ratio = 1.036 hyp_len = 13289 "
        "ref_len = 12825)");
  CHECK(english.counts == std::array<int64_t, 4>{1405, 33, 18, 13});
  CHECK(english.totals == std::array<int64_t, 4>{13289, 12275, 11261, 10247});

  const auto same = corpus_bleu(refs, refs);
  CHECK(same.score == 100.00000000000004);
  CHECK(same.format() ==
        "BLEU = 100.00 100.0/100.0/100.0/100.0 (BP = 1.000 ratio = 1.000 hyp_len = 12825 "
        "ref_len = 12825)");

  Lines lowered, every_4th_empty;
  for (size_t i = 0; i < refs.size(); ++i) {
    lowered.push_back(lowercase_unicode(refs[i]));
    every_4th_empty.push_back(i % 4 == 0 ? "" : refs[i]);
  }
  CHECK(two_decimals(corpus_bleu(lowered, refs).score) == "25.77");
  CHECK(two_decimals(corpus_bleu(lowered, refs, {.lowercase = true}).score) == "100.00");
  CHECK(two_decimals(corpus_bleu(every_4th_empty, refs).score) == "76.03");
}
