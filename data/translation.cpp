#include "ember/data/translation.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <system_error>

#include "ember/core/error.h"
#include "ember/data/text_file.h"
#include "ember/data/unicode.h"

namespace ember::data {

namespace {

// Normalises every line in place; an empty (or all-whitespace) line is an error.
void normalize_lines(std::vector<std::string>& lines, const std::string& path) {
  for (size_t i = 0; i < lines.size(); ++i) {
    lines[i] = normalize_whitespace(lines[i]);
    EMBER_CHECK(!lines[i].empty(),
                "load_parallel: line {} of '{}' is empty (every line must hold a sentence)", i + 1,
                path);
  }
}

}  // namespace

ParallelCorpus load_parallel(const std::string& src_path, const std::string& tgt_path) {
  ParallelCorpus corpus;
  corpus.src_path = src_path;
  corpus.tgt_path = tgt_path;
  corpus.src = read_lines(src_path);
  corpus.tgt = read_lines(tgt_path);
  EMBER_CHECK(
      corpus.src.size() == corpus.tgt.size(),
      "load_parallel: '{}' has {} lines but '{}' has {} (line i of one must translate line i "
      "of the other)",
      src_path, corpus.src.size(), tgt_path, corpus.tgt.size());
  EMBER_CHECK(!corpus.src.empty(), "load_parallel: '{}' and '{}' have no lines", src_path,
              tgt_path);
  normalize_lines(corpus.src, src_path);
  normalize_lines(corpus.tgt, tgt_path);
  return corpus;
}

// --- Multi30k ------------------------------------------------------------------------------------

namespace {

namespace fs = std::filesystem;

// Where default_data_dir looks: the working directory, the executable's directory, and their
// parents.
std::vector<fs::path> search_roots() {
  std::vector<fs::path> starts;
  std::error_code error;
  if (fs::path cwd = fs::current_path(error); !error) starts.push_back(cwd);
  if (fs::path exe = fs::read_symlink("/proc/self/exe", error); !error)
    starts.push_back(exe.parent_path());
  std::vector<fs::path> roots;
  for (const fs::path& start : starts) {
    for (fs::path dir = start;; dir = dir.parent_path()) {
      if (std::find(roots.begin(), roots.end(), dir) == roots.end()) roots.push_back(dir);
      if (dir == dir.parent_path()) break;
    }
  }
  return roots;
}

}  // namespace

std::optional<std::string> find_data_dir(std::string_view subdir) {
  for (const fs::path& root : search_roots()) {
    const fs::path candidate = root / "shared" / "data" / subdir;
    std::error_code error;
    if (fs::is_directory(candidate, error)) return candidate.lexically_normal().string();
  }
  return std::nullopt;
}

std::string default_data_dir(std::string_view subdir) {
  if (auto dir = find_data_dir(subdir)) return *dir;
  std::error_code error;
  fail(
      "default_data_dir: no shared/data/{} in '{}' or any folder above it, nor above the "
      "executable; pass the data folder explicitly (--data DIR)",
      subdir, fs::current_path(error).string());
}

ParallelCorpus load_multi30k(const std::string& dir, std::string_view split,
                             std::string_view src_lang, std::string_view tgt_lang) {
  const auto known = std::find_if(kMulti30kSplits.begin(), kMulti30kSplits.end(),
                                  [&](const Multi30kSplit& s) { return s.name == split; });
  if (known == kMulti30kSplits.end()) {
    std::vector<std::string_view> names;
    for (const Multi30kSplit& s : kMulti30kSplits) names.push_back(s.name);
    fail("load_multi30k: unknown split \"{}\" (expected one of {})", split, fmt::join(names, ", "));
  }
  EMBER_CHECK(src_lang != tgt_lang, "load_multi30k: source and target language are both \"{}\"",
              src_lang);
  const auto path = [&](std::string_view lang) {
    return (fs::path(dir) / fmt::format("{}.{}.gz", split, lang)).string();
  };
  ParallelCorpus corpus = load_parallel(path(src_lang), path(tgt_lang));
  EMBER_CHECK(
      corpus.size() == known->lines,
      "load_multi30k: '{}' and '{}' have {} lines, but Multi30k's {} split has {} (truncated "
      "or wrong file?)",
      corpus.src_path, corpus.tgt_path, corpus.size(), split, known->lines);
  return corpus;
}

// --- tokenizers ----------------------------------------------------------------------------------

TokenizerPair build_tokenizers(const ParallelCorpus& train, const TokenizerConfig& config) {
  EMBER_CHECK(config.kind == "sentencepiece" || config.kind == "word",
              "build_tokenizers: unknown tokenizer kind \"{}\" (expected sentencepiece or word)",
              config.kind);
  EMBER_CHECK(train.size() > 0, "build_tokenizers: the training corpus is empty");
  const auto build = [&](const std::vector<std::string>& sentences) {
    std::shared_ptr<const Tokenizer> tokenizer;
    if (config.kind == "sentencepiece")
      tokenizer = SentencePieceTokenizer::train(sentences, config.sentencepiece);
    else
      tokenizer = WordTokenizer::build(sentences, config.word);
    return tokenizer;
  };
  if (!config.joint) return {build(train.src), build(train.tgt)};
  std::vector<std::string> both;
  both.reserve(train.src.size() + train.tgt.size());
  both.insert(both.end(), train.src.begin(), train.src.end());
  both.insert(both.end(), train.tgt.begin(), train.tgt.end());
  std::shared_ptr<const Tokenizer> tokenizer = build(both);
  return {tokenizer, tokenizer};
}

}  // namespace ember::data
