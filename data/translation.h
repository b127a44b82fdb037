#pragma once
// Parallel text for translation: two files, line i of one translating line i of the other.
//
//   auto dir = data::default_data_dir();                     // finds ../shared/data/multi30k
//   auto train = data::load_multi30k(dir, "train");          // en -> de, 29,000 pairs
//   auto tokenizers = data::build_tokenizers(train, {});     // joint SentencePiece, 8k pieces
//   auto val = data::load_multi30k(dir, "val");
//
// Every sentence is checked (a missing/corrupt file, differing line counts or an empty line is an
// error naming the file and line) and whitespace-normalised: runs of whitespace, tabs included,
// become one space and the ends are trimmed.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ember/data/tokenizer.h"
#include "ember/data/unicode.h"

namespace ember::data {

struct ParallelCorpus {
  std::vector<std::string> src;
  std::vector<std::string> tgt;
  std::string src_path;  // where the sides came from, for messages
  std::string tgt_path;

  int64_t size() const { return static_cast<int64_t>(src.size()); }
};

// Reads both files (plain or gzip, see read_lines) and validates them as described above.
ParallelCorpus load_parallel(const std::string& src_path, const std::string& tgt_path);

// --- Multi30k (WMT16 multimodal task 1) ----------------------------------------------------------

struct Multi30kSplit {
  std::string_view name;
  int64_t lines;
};
// The splits in shared/data/multi30k and their line counts (the same on every language side).
inline constexpr std::array<Multi30kSplit, 6> kMulti30kSplits = {{{"train", 29000},
                                                                  {"val", 1014},
                                                                  {"test_2016_flickr", 1000},
                                                                  {"test_2017_flickr", 1000},
                                                                  {"test_2018_flickr", 1071},
                                                                  {"test_2017_mscoco", 461}}};

// Looks for shared/data/<subdir> in the working directory, the executable's directory and each of
// their parents (so ../shared/data/multi30k is found from the repository root and from any build
// folder inside it). Returns nothing when there is none.
std::optional<std::string> find_data_dir(std::string_view subdir = "multi30k");
// The same, but throws a message saying where it looked and to pass --data.
std::string default_data_dir(std::string_view subdir = "multi30k");

// <dir>/<split>.<src_lang>.gz and <dir>/<split>.<tgt_lang>.gz, checked against the split's known
// line count (a short file is an error, not a smaller dataset).
ParallelCorpus load_multi30k(const std::string& dir, std::string_view split,
                             std::string_view src_lang = "en", std::string_view tgt_lang = "de");

// --- tokenizers trained on a training split ------------------------------------------------------

struct TokenizerConfig {
  std::string kind = "sentencepiece";  // or "word"
  // One vocabulary for both languages (src and tgt share the object). The recommended setting
  // for SentencePiece; the tutorials' word-level setup uses one vocabulary per side (false).
  bool joint = true;
  SentencePieceOptions sentencepiece;
  WordOptions word;
};

TokenizerPair build_tokenizers(const ParallelCorpus& train, const TokenizerConfig& config = {});

}  // namespace ember::data
