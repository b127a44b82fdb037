#include <ember/data/text_file.h>
#include <ember/data/translation.h>

#include "helpers.h"
#include "translation_fixtures.h"

using namespace ember;
using namespace ember::data;
using ember::testing::ScratchDir;

TEST_CASE("load_parallel: plain and gzip files, whitespace normalised") {
  ScratchDir dir("parallel");
  write_lines(dir.file("a.en"), {"A man\tis  running. ", "Two dogs.\r"});
  write_lines(dir.file("a.de.gz"), {"Ein Mann rennt.", "\tZwei\xC2\xA0Hunde."});
  const ParallelCorpus corpus = load_parallel(dir.file("a.en"), dir.file("a.de.gz"));
  CHECK(corpus.size() == 2);
  CHECK(corpus.src == std::vector<std::string>{"A man is running.", "Two dogs."});
  CHECK(corpus.tgt == std::vector<std::string>{"Ein Mann rennt.", "Zwei Hunde."});
  CHECK(corpus.src_path == dir.file("a.en"));
  CHECK(corpus.tgt_path == dir.file("a.de.gz"));
  CHECK(normalize_whitespace("  a \t\n b  ") == "a b");
}

TEST_CASE("load_parallel: bad input is a clear error naming the file") {
  ScratchDir dir("parallel-bad");
  write_lines(dir.file("three.en"), {"one", "two", "three"});
  write_lines(dir.file("two.de"), {"eins", "zwei"});
  write_lines(dir.file("three.de"), {"eins", "zwei", "drei"});
  write_lines(dir.file("hole.de"), {"eins", "", "drei"});
  write_lines(dir.file("blank.de"), {"eins", "zwei", " \t "});
  write_lines(dir.file("empty.en"), {});
  write_lines(dir.file("empty.de"), {});

  CHECK_THROWS_CONTAINING(
      load_parallel(dir.file("three.en"), dir.file("two.de")),
      fmt::format("'{}' has 3 lines but '{}' has 2", dir.file("three.en"), dir.file("two.de"))
          .c_str());
  CHECK_THROWS_CONTAINING(load_parallel(dir.file("three.en"), dir.file("hole.de")),
                          fmt::format("line 2 of '{}' is empty", dir.file("hole.de")).c_str());
  CHECK_THROWS_CONTAINING(load_parallel(dir.file("three.en"), dir.file("blank.de")),
                          fmt::format("line 3 of '{}' is empty", dir.file("blank.de")).c_str());
  CHECK_THROWS_CONTAINING(load_parallel(dir.file("empty.en"), dir.file("empty.de")),
                          "have no lines");
  CHECK_THROWS_CONTAINING(load_parallel(dir.file("missing.en"), dir.file("three.de")),
                          dir.file("missing.en").c_str());

  // A gzip file cut short, and a line that is not UTF-8: read_lines reports both.
  write_lines(dir.file("long.de.gz"), std::vector<std::string>(500, "Ein Satz mit Wörtern."));
  {
    const auto full = std::filesystem::file_size(dir.file("long.de.gz"));
    std::filesystem::resize_file(dir.file("long.de.gz"), full / 2);
  }
  write_lines(dir.file("long.en"), std::vector<std::string>(500, "A sentence."));
  CHECK_THROWS_CONTAINING(load_parallel(dir.file("long.en"), dir.file("long.de.gz")),
                          dir.file("long.de.gz").c_str());
  write_lines(dir.file("latin1.de"), {"eins", "zwei",
                                      "Gr\xFC\xDF"
                                      "e"});
  CHECK_THROWS_CONTAINING(load_parallel(dir.file("three.en"), dir.file("latin1.de")),
                          dir.file("latin1.de").c_str());
}

TEST_CASE("load_multi30k: file names, split names and known line counts") {
  ScratchDir dir("multi30k");
  const std::vector<std::string> en = {"A dog.", "A cat."}, de = {"Ein Hund.", "Eine Katze."};
  write_lines(dir.file("val.en.gz"), en);
  write_lines(dir.file("val.de.gz"), de);
  // Two lines where Multi30k's val split has 1,014: a truncated download, not a small dataset.
  CHECK_THROWS_CONTAINING(load_multi30k(dir.path(), "val"),
                          "have 2 lines, but Multi30k's val split has 1014");
  CHECK_THROWS_CONTAINING(load_multi30k(dir.path(), "valid"),
                          "unknown split \"valid\" (expected one of train, val, test_2016_flickr");
  CHECK_THROWS_CONTAINING(load_multi30k(dir.path(), "val", "de", "de"), "both \"de\"");
  CHECK_THROWS_CONTAINING(load_multi30k(dir.path(), "test_2016_flickr"),
                          dir.file("test_2016_flickr.en.gz").c_str());
  CHECK_THROWS_CONTAINING(load_multi30k(dir.path(), "val", "en", "fr"),
                          dir.file("val.fr.gz").c_str());
}

TEST_CASE("default_data_dir: says where it looked when there is nothing") {
  CHECK(!find_data_dir("no-such-dataset-here").has_value());
  CHECK_THROWS_CONTAINING(default_data_dir("no-such-dataset-here"), "--data DIR");
}

TEST_CASE("build_tokenizers: joint or per-side, sentencepiece or word") {
  const ParallelCorpus train = ember::testing::caption_corpus(120);
  TokenizerConfig config;
  config.sentencepiece.vocab_size = 120;
  config.sentencepiece.hard_vocab_limit = false;
  const TokenizerPair joint = build_tokenizers(train, config);
  CHECK(joint.joint());
  CHECK(joint.src->kind() == "sentencepiece");
  CHECK(joint.src->decode(joint.src->encode(train.tgt[7])) == train.tgt[7]);

  config.kind = "word";
  config.joint = false;
  const TokenizerPair sides = build_tokenizers(train, config);
  CHECK(!sides.joint());
  CHECK(sides.src->kind() == "word");
  // Each side knows only its own language.
  CHECK(sides.src->encode("mann") == std::vector<int64_t>{kUnkId});
  CHECK(sides.tgt->encode("mann") != std::vector<int64_t>{kUnkId});

  config.kind = "bpe-dropout";
  CHECK_THROWS_CONTAINING(build_tokenizers(train, config), "unknown tokenizer kind");
}

TEST_CASE("multi30k: the real training split loads, TAB line included") {
  std::optional<std::string> dir = find_data_dir("multi30k");
#ifdef EMBER_SHARED_DATA
  if (std::filesystem::is_directory(EMBER_SHARED_DATA "/multi30k"))
    dir = EMBER_SHARED_DATA "/multi30k";
#endif
  if (!dir) {
    MESSAGE("skipped: no shared/data/multi30k above the working directory");
    return;
  }
  const ParallelCorpus train = load_multi30k(*dir, "train");
  CHECK(train.size() == 29000);
  // train.de line 7366 holds a TAB ("... spielen in einer \tWasserfontäne.\""); it reads as a
  // space.
  const std::string& line = train.tgt[7365];
  CHECK(line.find('\t') == std::string::npos);
  CHECK(line.ends_with("spielen in einer Wasserfontäne.\""));
  for (const auto& side : {train.src, train.tgt})
    for (const std::string& s : side) {
      REQUIRE(!s.empty());
      REQUIRE(s.find("  ") == std::string::npos);
    }
}
