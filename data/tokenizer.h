#pragma once
// Tokenizers for translation: text <-> token ids, trained on the training split only.
//
// Two kinds share one interface:
//   SentencePieceTokenizer  subword units (unigram or BPE) learned by Google's SentencePiece
//                           library; lossless up to whitespace, so decoded output is real,
//                           detokenised text. The recommended default, one joint vocabulary for
//                           both languages.
//   WordTokenizer           whole words with punctuation split off, optionally lowercased, words
//                           seen fewer than min_freq times become <unk> (the tutorials' setup).
//
// Every vocabulary starts with the same four specials, asserted in check_special_tokens():
//   <pad> = 0, <unk> = 1, <bos> = 2, <eos> = 3.
// encode() never adds <bos>/<eos> (batching does); decode() drops all four specials.
//
// A tokenizer serialises to a UTF-8 string, so a checkpoint's string->string metadata can carry
// it and a checkpoint is self-contained:
//   auto tok = data::SentencePieceTokenizer::train(sentences, {.vocab_size = 8000});
//   data::store_tokenizers(checkpoint.metadata, *tok, *tok);
//   auto [src, tgt] = data::load_tokenizers(loaded.metadata);
// (data/translation.h's build_tokenizers() trains them from a training corpus.)
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ember::data {

inline constexpr int64_t kPadId = 0;
inline constexpr int64_t kUnkId = 1;
inline constexpr int64_t kBosId = 2;
inline constexpr int64_t kEosId = 3;
inline constexpr int64_t kNumSpecialTokens = 4;
inline constexpr std::string_view kPadToken = "<pad>";
inline constexpr std::string_view kUnkToken = "<unk>";
inline constexpr std::string_view kBosToken = "<bos>";
inline constexpr std::string_view kEosToken = "<eos>";

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;

  // "sentencepiece" or "word": the first word of serialize().
  virtual std::string_view kind() const = 0;
  virtual int64_t vocab_size() const = 0;
  // Token ids of `text`, without <bos>/<eos>. Text the vocabulary cannot spell becomes <unk>.
  virtual std::vector<int64_t> encode(std::string_view text) const = 0;
  // Detokenised text; specials are dropped. Throws for an id outside [0, vocab_size()).
  virtual std::string decode(std::span<const int64_t> ids) const = 0;
  // The vocabulary entry of `id` (a SentencePiece piece such as "▁Ein", or a word).
  virtual std::string token(int64_t id) const = 0;
  // Everything needed to rebuild this tokenizer with load_tokenizer(); valid UTF-8.
  virtual std::string serialize() const = 0;

  // The token strings of encode(text), for inspection.
  std::vector<std::string> tokenize(std::string_view text) const;

 protected:
  // Throws unless ids 0..3 are <pad>, <unk>, <bos>, <eos>: the one place the layout is checked.
  // Every implementation calls it once its vocabulary is built or loaded.
  void check_special_tokens() const;
  // Throws naming `op` unless 0 <= id < vocab_size().
  void check_id(std::string_view op, int64_t id) const;
};

// Rebuilds a tokenizer from Tokenizer::serialize(); throws a clear error for anything else.
std::unique_ptr<Tokenizer> load_tokenizer(std::string_view serialized);

// --- SentencePiece ---------------------------------------------------------------------------

struct SentencePieceOptions {
  int64_t vocab_size = 8000;
  std::string model_type = "unigram";  // "unigram" or "bpe"
  double character_coverage = 1.0;     // every character of the training text gets a piece
  // false lets a small corpus end with fewer pieces than vocab_size instead of failing.
  bool hard_vocab_limit = true;
};

class SentencePieceTokenizer final : public Tokenizer {
 public:
  // Learns a model from `sentences` (the training split). Deterministic: the same sentences and
  // options give a byte-identical model.
  static std::unique_ptr<SentencePieceTokenizer> train(const std::vector<std::string>& sentences,
                                                       const SentencePieceOptions& options = {});
  // From SentencePiece's serialized ModelProto (the bytes of a .model file).
  static std::unique_ptr<SentencePieceTokenizer> from_model_proto(std::string_view model_proto);

  ~SentencePieceTokenizer() override;
  std::string_view kind() const override { return "sentencepiece"; }
  int64_t vocab_size() const override;
  std::vector<int64_t> encode(std::string_view text) const override;
  std::string decode(std::span<const int64_t> ids) const override;
  std::string token(int64_t id) const override;
  std::string serialize() const override;
  const std::string& model_proto() const { return model_proto_; }

 private:
  struct Impl;
  explicit SentencePieceTokenizer(std::string model_proto);
  std::unique_ptr<Impl> impl_;
  std::string model_proto_;
};

// --- words -----------------------------------------------------------------------------------

struct WordOptions {
  bool lowercase = true;
  int64_t min_freq = 2;  // rarer words are left out of the vocabulary (they encode as <unk>)
  int64_t max_size = 0;  // 0: no limit; otherwise the most frequent words up to this size
};

class WordTokenizer final : public Tokenizer {
 public:
  static std::unique_ptr<WordTokenizer> build(const std::vector<std::string>& sentences,
                                              const WordOptions& options = {});
  // `vocabulary` must start with the four specials.
  WordTokenizer(std::vector<std::string> vocabulary, bool lowercase);

  std::string_view kind() const override { return "word"; }
  int64_t vocab_size() const override { return static_cast<int64_t>(vocabulary_.size()); }
  std::vector<int64_t> encode(std::string_view text) const override;
  std::string decode(std::span<const int64_t> ids) const override;
  std::string token(int64_t id) const override;
  std::string serialize() const override;
  bool lowercase() const { return lowercase_; }

  // The rule the tokenizer applies: runs of letters/digits are words, every punctuation
  // character is a token of its own, whitespace (tabs included) separates.
  // Lowercases ASCII and Latin-1 letters when `lowercase`.
  static std::vector<std::string> split_words(std::string_view text, bool lowercase);

 private:
  std::vector<std::string> vocabulary_;
  std::map<std::string, int64_t, std::less<>> ids_;
  bool lowercase_;
};

// --- a pair of tokenizers inside a checkpoint --------------------------------------------------

struct TokenizerPair {
  std::shared_ptr<const Tokenizer> src;
  std::shared_ptr<const Tokenizer> tgt;
  // One vocabulary shared by both sides (src and tgt are the same object).
  bool joint() const { return src == tgt; }
};

// Writes "tokenizer.joint" when src and tgt serialise identically (stored once), otherwise
// "tokenizer.src" and "tokenizer.tgt".
void store_tokenizers(std::map<std::string, std::string>& metadata, const Tokenizer& src,
                      const Tokenizer& tgt);
// Reads what store_tokenizers wrote; a joint vocabulary comes back as one shared object.
TokenizerPair load_tokenizers(const std::map<std::string, std::string>& metadata);

}  // namespace ember::data
