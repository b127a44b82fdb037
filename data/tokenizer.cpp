#include "ember/data/tokenizer.h"

#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <algorithm>
#include <array>
#include <unordered_map>

#include "ember/core/error.h"
#include "ember/data/unicode.h"
#include "ember/data/utf8.h"

namespace ember::data {

namespace {

// serialize() = header line + payload. The version lets a later format refuse old checkpoints
// clearly instead of misreading them.
constexpr std::string_view kMagic = "ember-tokenizer";
constexpr int kFormatVersion = 1;

std::string header_line(std::string_view kind) {
  return fmt::format("{} {} {}\n", kMagic, kind, kFormatVersion);
}

// --- base64 (RFC 4648, with padding): the SentencePiece model is binary, metadata is text ---

constexpr std::string_view kBase64Alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string base64_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  const auto at = [&](size_t k) {
    return static_cast<uint32_t>(static_cast<unsigned char>(bytes[k]));
  };
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t v = at(i) << 16 | at(i + 1) << 8 | at(i + 2);
    for (int shift = 18; shift >= 0; shift -= 6) out += kBase64Alphabet[(v >> shift) & 63];
  }
  const size_t rest = bytes.size() - i;
  if (rest > 0) {
    const uint32_t v = at(i) << 16 | (rest == 2 ? at(i + 1) << 8 : 0);
    out += kBase64Alphabet[(v >> 18) & 63];
    out += kBase64Alphabet[(v >> 12) & 63];
    out += rest == 2 ? kBase64Alphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string base64_decode(std::string_view text, std::string_view what) {
  std::array<int, 256> value;
  value.fill(-1);
  for (size_t k = 0; k < kBase64Alphabet.size(); ++k)
    value[static_cast<unsigned char>(kBase64Alphabet[k])] = static_cast<int>(k);
  EMBER_CHECK(text.size() % 4 == 0, "{}: base64 payload of {} characters is not a multiple of 4",
              what, text.size());
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    const int padding = last ? (text[i + 3] == '=') + (text[i + 2] == '=') : 0;
    uint32_t v = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = text[i + k];
      int digit = 0;
      if (k >= 4 - padding) {
        EMBER_CHECK(c == '=', "{}: bad base64 padding at character {}", what, i + k);
      } else {
        digit = value[static_cast<unsigned char>(c)];
        EMBER_CHECK(digit >= 0, "{}: character {} of the base64 payload is not base64", what,
                    i + k);
      }
      v = v << 6 | static_cast<uint32_t>(digit);
    }
    out += static_cast<char>(v >> 16);
    if (padding < 2) out += static_cast<char>((v >> 8) & 0xFF);
    if (padding < 1) out += static_cast<char>(v & 0xFF);
  }
  return out;
}

// Vocabulary entries travel inside JSON metadata, so they must be valid UTF-8.
void check_utf8(std::string_view op, std::string_view text, size_t sentence) {
  const size_t bad = utf8::find_invalid(text);
  EMBER_CHECK(bad == std::string_view::npos,
              "{}: sentence {} is not valid UTF-8 (byte {} of the sentence)", op, sentence, bad);
}

}  // namespace

// --- Tokenizer ---------------------------------------------------------------------------------

void Tokenizer::check_special_tokens() const {
  static constexpr std::array<std::string_view, kNumSpecialTokens> expected = {
      kPadToken, kUnkToken, kBosToken, kEosToken};
  static_assert(kPadId == 0 && kUnkId == 1 && kBosId == 2 && kEosId == 3,
                "the special ids are the first four vocabulary entries, in this order");
  EMBER_CHECK(vocab_size() > kNumSpecialTokens,
              "{} tokenizer: vocabulary of {} entries has nothing beyond the {} special tokens",
              kind(), vocab_size(), kNumSpecialTokens);
  for (int64_t id = 0; id < kNumSpecialTokens; ++id) {
    const std::string actual = token(id);
    EMBER_CHECK(actual == expected[id],
                "{} tokenizer: id {} must be the special token {} but is \"{}\" (ember requires "
                "<pad>=0, <unk>=1, <bos>=2, <eos>=3)",
                kind(), id, expected[id], actual);
  }
}

void Tokenizer::check_id(std::string_view op, int64_t id) const {
  EMBER_CHECK(id >= 0 && id < vocab_size(), "{}: token id {} is outside the vocabulary [0, {})", op,
              id, vocab_size());
}

std::vector<std::string> Tokenizer::tokenize(std::string_view text) const {
  std::vector<std::string> tokens;
  for (int64_t id : encode(text)) tokens.push_back(token(id));
  return tokens;
}

std::unique_ptr<Tokenizer> load_tokenizer(std::string_view serialized) {
  const size_t newline = serialized.find('\n');
  const std::string_view header = serialized.substr(0, newline);
  const std::string_view payload =
      newline == std::string_view::npos ? std::string_view{} : serialized.substr(newline + 1);
  const auto bad = [&](std::string_view why) {
    fail("load_tokenizer: not a serialized ember tokenizer ({}); header line \"{}\"", why,
         header.substr(0, 80));
  };
  if (!header.starts_with(kMagic) || header.size() <= kMagic.size() + 1 ||
      header[kMagic.size()] != ' ')
    bad("expected \"ember-tokenizer <kind> <version>\"");
  const std::string_view rest = header.substr(kMagic.size() + 1);
  const size_t space = rest.find(' ');
  if (space == std::string_view::npos) bad("no format version");
  const std::string_view kind = rest.substr(0, space);
  const std::string_view version = rest.substr(space + 1);
  EMBER_CHECK(
      version == std::to_string(kFormatVersion),
      "load_tokenizer: format version \"{}\" is not supported (this build reads version {})",
      version, kFormatVersion);
  if (kind == "sentencepiece") {
    // "bytes N", then the model in base64: the count catches a payload cut short.
    const size_t end = payload.find('\n');
    const std::string_view count = payload.substr(0, end);
    int64_t expected = -1;
    if (count.starts_with("bytes ") && count.size() > 6 && count.size() < 20 &&
        count.find_first_not_of("0123456789", 6) == std::string_view::npos)
      expected = std::stoll(std::string(count.substr(6)));
    EMBER_CHECK(expected >= 0 && end != std::string_view::npos,
                "load_tokenizer(sentencepiece): expected a line \"bytes <count>\", got \"{}\"",
                count.substr(0, 80));
    std::string model = base64_decode(payload.substr(end + 1), "load_tokenizer(sentencepiece)");
    EMBER_CHECK(static_cast<int64_t>(model.size()) == expected,
                "load_tokenizer(sentencepiece): the model has {} bytes but its header says {} "
                "(truncated?)",
                model.size(), expected);
    return SentencePieceTokenizer::from_model_proto(model);
  }
  if (kind == "word") {
    // "lowercase 0|1", then one vocabulary entry per line.
    const size_t end = payload.find('\n');
    const std::string_view flag = payload.substr(0, end);
    EMBER_CHECK(flag == "lowercase 0" || flag == "lowercase 1",
                "load_tokenizer(word): expected \"lowercase 0\" or \"lowercase 1\", got \"{}\"",
                flag.substr(0, 80));
    std::vector<std::string> vocabulary;
    if (end != std::string_view::npos) {
      std::string_view entries = payload.substr(end + 1);
      while (true) {
        const size_t next = entries.find('\n');
        vocabulary.emplace_back(entries.substr(0, next));
        if (next == std::string_view::npos) break;
        entries.remove_prefix(next + 1);
      }
    }
    return std::make_unique<WordTokenizer>(std::move(vocabulary), flag == "lowercase 1");
  }
  fail("load_tokenizer: unknown tokenizer kind \"{}\" (expected sentencepiece or word)",
       kind.substr(0, 80));
}

// --- SentencePiece -----------------------------------------------------------------------------

struct SentencePieceTokenizer::Impl {
  sentencepiece::SentencePieceProcessor processor;
};

namespace {

// Feeds the sentences to the trainer straight from memory (no temporary file).
class VectorSentences final : public sentencepiece::SentenceIterator {
 public:
  explicit VectorSentences(const std::vector<std::string>& sentences) : sentences_(sentences) {}
  bool done() const override { return next_ >= sentences_.size(); }
  void Next() override { ++next_; }
  const std::string& value() const override { return sentences_[next_]; }
  sentencepiece::util::Status status() const override { return {}; }

 private:
  const std::vector<std::string>& sentences_;
  size_t next_ = 0;
};

}  // namespace

std::unique_ptr<SentencePieceTokenizer> SentencePieceTokenizer::train(
    const std::vector<std::string>& sentences, const SentencePieceOptions& options) {
  constexpr std::string_view op = "SentencePieceTokenizer::train";
  EMBER_CHECK(!sentences.empty(), "{}: no training sentences", op);
  EMBER_CHECK(options.vocab_size > kNumSpecialTokens,
              "{}: vocab_size {} must exceed the {} special tokens", op, options.vocab_size,
              kNumSpecialTokens);
  EMBER_CHECK(options.model_type == "unigram" || options.model_type == "bpe",
              "{}: model_type \"{}\" is not supported (expected unigram or bpe)", op,
              options.model_type);
  EMBER_CHECK(options.character_coverage > 0.0 && options.character_coverage <= 1.0,
              "{}: character_coverage {} must be in (0, 1]", op, options.character_coverage);
  for (size_t i = 0; i < sentences.size(); ++i) check_utf8(op, sentences[i], i);

  const std::unordered_map<std::string, std::string> settings = {
      {"model_type", options.model_type},
      {"vocab_size", std::to_string(options.vocab_size)},
      {"character_coverage", fmt::format("{}", options.character_coverage)},
      {"hard_vocab_limit", options.hard_vocab_limit ? "true" : "false"},
      {"pad_id", std::to_string(kPadId)},
      {"unk_id", std::to_string(kUnkId)},
      {"bos_id", std::to_string(kBosId)},
      {"eos_id", std::to_string(kEosId)},
      {"pad_piece", std::string(kPadToken)},
      {"unk_piece", std::string(kUnkToken)},
      {"bos_piece", std::string(kBosToken)},
      {"eos_piece", std::string(kEosToken)},
      // Reproducibility: one thread, every sentence used in order (no sampling), and none
      // skipped for length (the default silently drops sentences over 4192 bytes).
      {"num_threads", "1"},
      {"input_sentence_size", "0"},
      {"shuffle_input_sentence", "false"},
      {"max_sentence_length", "1000000"},
      {"minloglevel", "1"},  // no progress chatter on stderr; warnings still show
  };
  VectorSentences input(sentences);
  std::string model_proto;
  const auto status = sentencepiece::SentencePieceTrainer::Train(settings, &input, &model_proto);
  EMBER_CHECK(status.ok(), "{}: SentencePiece training on {} sentences failed: {}", op,
              sentences.size(), status.ToString());
  return std::unique_ptr<SentencePieceTokenizer>(
      new SentencePieceTokenizer(std::move(model_proto)));
}

std::unique_ptr<SentencePieceTokenizer> SentencePieceTokenizer::from_model_proto(
    std::string_view model_proto) {
  return std::unique_ptr<SentencePieceTokenizer>(
      new SentencePieceTokenizer(std::string(model_proto)));
}

SentencePieceTokenizer::SentencePieceTokenizer(std::string model_proto)
    : impl_(std::make_unique<Impl>()), model_proto_(std::move(model_proto)) {
  const auto status = impl_->processor.LoadFromSerializedProto(model_proto_);
  EMBER_CHECK(status.ok(), "SentencePieceTokenizer: cannot load the model ({} bytes): {}",
              model_proto_.size(), status.ToString());
  check_special_tokens();
}

SentencePieceTokenizer::~SentencePieceTokenizer() = default;

int64_t SentencePieceTokenizer::vocab_size() const {
  return impl_->processor.GetPieceSize();
}

std::vector<int64_t> SentencePieceTokenizer::encode(std::string_view text) const {
  std::vector<int> ids;
  const auto status = impl_->processor.Encode(text, &ids);
  EMBER_CHECK(status.ok(), "SentencePieceTokenizer::encode: {}", status.ToString());
  return {ids.begin(), ids.end()};
}

std::string SentencePieceTokenizer::decode(std::span<const int64_t> ids) const {
  std::vector<int> pieces;
  pieces.reserve(ids.size());
  for (int64_t id : ids) {
    check_id("SentencePieceTokenizer::decode", id);
    if (id >= kNumSpecialTokens) pieces.push_back(static_cast<int>(id));
  }
  std::string text;
  const auto status = impl_->processor.Decode(pieces, &text);
  EMBER_CHECK(status.ok(), "SentencePieceTokenizer::decode: {}", status.ToString());
  // Encoding collapsed all whitespace, so a double space can only come from a dropped <unk>
  // next to a lone "▁" piece; close it up.
  return normalize_whitespace(text);
}

std::string SentencePieceTokenizer::token(int64_t id) const {
  check_id("SentencePieceTokenizer::token", id);
  return impl_->processor.IdToPiece(static_cast<int>(id));
}

std::string SentencePieceTokenizer::serialize() const {
  return header_line(kind()) + fmt::format("bytes {}\n", model_proto_.size()) +
         base64_encode(model_proto_);
}

// --- words -------------------------------------------------------------------------------------

namespace {

enum class CharClass { space, punct, word };

CharClass classify(char32_t c) {
  // Unicode spaces (tab, NBSP, ...), other control characters and zero-width spaces separate.
  if (is_unicode_space(c) || c < 0x20 || c == 0x7F || c == 0x200B || c == 0xFEFF)
    return CharClass::space;
  if (c < 0x80) {
    const bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    return alnum || c == '_' ? CharClass::word : CharClass::punct;
  }
  // Latin-1 punctuation and symbols (¡ « » ° ¿ ...), minus the letters and numbers among them.
  if (c >= 0xA1 && c <= 0xBF)
    return (c == 0xAA || c == 0xB2 || c == 0xB3 || c == 0xB5 || c == 0xB9 || c == 0xBA ||
            (c >= 0xBC && c <= 0xBE))
               ? CharClass::word
               : CharClass::punct;
  if (c == 0xD7 || c == 0xF7) return CharClass::punct;
  // General punctuation (dashes, curly quotes, ellipsis, ...), currency, CJK punctuation.
  if ((c >= 0x2010 && c <= 0x205E) || (c >= 0x20A0 && c <= 0x20CF) || (c >= 0x3001 && c <= 0x303F))
    return CharClass::punct;
  return CharClass::word;  // an invalid byte stays inside its word rather than vanishing
}

char32_t to_lower(char32_t c) {
  if (c >= 'A' && c <= 'Z') return c + 32;
  if (c >= 0xC0 && c <= 0xDE && c != 0xD7) return c + 32;  // Latin-1: À..Þ -> à..þ
  return c;
}

// How a token joins its neighbours when detokenising.
struct Glue {
  bool left = false;   // no space before it
  bool right = false;  // no space after it
};

Glue glue_of(std::string_view token, bool& double_quote_open, bool& low_quote_open) {
  static const std::array<std::string_view, 12> closers = {",", ".", "!", "?", ";", ":",
                                                           ")", "]", "}", "%", "…", "”"};
  static const std::array<std::string_view, 5> openers = {"(", "[", "{", "„", "‘"};
  static const std::array<std::string_view, 4> joiners = {"-", "'", "/", "’"};  // t-shirt, man's
  const auto in = [&](const auto& list) {
    return std::find(list.begin(), list.end(), token) != list.end();
  };
  if (in(joiners)) return {true, true};
  if (in(closers)) return {true, false};
  if (in(openers)) {
    if (token == "„") low_quote_open = true;
    return {false, true};
  }
  if (token == "“" && low_quote_open) {  // German „...“
    low_quote_open = false;
    return {true, false};
  }
  if (token == "\"" || token == "“") {  // alternates between opening and closing
    double_quote_open = !double_quote_open;
    return double_quote_open ? Glue{false, true} : Glue{true, false};
  }
  return {};
}

}  // namespace

std::vector<std::string> WordTokenizer::split_words(std::string_view text, bool lowercase) {
  std::vector<std::string> words;
  std::string current;
  const auto flush = [&] {
    if (!current.empty()) words.push_back(std::move(current));
    current.clear();
  };
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t start = pos;
    const char32_t c = utf8::next(text, pos);
    const CharClass cls = c == utf8::kInvalid ? CharClass::word : classify(c);
    if (cls == CharClass::space) {
      flush();
    } else if (cls == CharClass::punct) {
      flush();
      words.emplace_back(text.substr(start, pos - start));
    } else if (c == utf8::kInvalid) {
      current += text[start];
    } else {
      utf8::append(current, lowercase ? to_lower(c) : c);
    }
  }
  flush();
  return words;
}

std::unique_ptr<WordTokenizer> WordTokenizer::build(const std::vector<std::string>& sentences,
                                                    const WordOptions& options) {
  constexpr std::string_view op = "WordTokenizer::build";
  EMBER_CHECK(!sentences.empty(), "{}: no training sentences", op);
  EMBER_CHECK(options.min_freq >= 1, "{}: min_freq {} must be at least 1", op, options.min_freq);
  EMBER_CHECK(options.max_size == 0 || options.max_size > kNumSpecialTokens,
              "{}: max_size {} must be 0 (no limit) or exceed the {} special tokens", op,
              options.max_size, kNumSpecialTokens);
  std::unordered_map<std::string, int64_t> counts;
  for (size_t i = 0; i < sentences.size(); ++i) {
    check_utf8(op, sentences[i], i);
    for (std::string& word : split_words(sentences[i], options.lowercase)) ++counts[word];
  }
  std::vector<std::pair<std::string, int64_t>> frequent;
  for (auto& [word, count] : counts) {
    const bool special = word == kPadToken || word == kUnkToken || word == kBosToken ||
                         word == kEosToken;  // cannot happen ('<' splits off), kept for safety
    if (count >= options.min_freq && !special) frequent.emplace_back(word, count);
  }
  // Most frequent first; ties in byte order, so the vocabulary does not depend on hashing.
  std::sort(frequent.begin(), frequent.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  std::vector<std::string> vocabulary = {std::string(kPadToken), std::string(kUnkToken),
                                         std::string(kBosToken), std::string(kEosToken)};
  for (auto& [word, count] : frequent) {
    if (options.max_size > 0 && static_cast<int64_t>(vocabulary.size()) >= options.max_size) break;
    vocabulary.push_back(std::move(word));
  }
  EMBER_CHECK(vocabulary.size() > kNumSpecialTokens,
              "{}: no word occurs at least min_freq={} times in the {} sentences", op,
              options.min_freq, sentences.size());
  return std::make_unique<WordTokenizer>(std::move(vocabulary), options.lowercase);
}

WordTokenizer::WordTokenizer(std::vector<std::string> vocabulary, bool lowercase)
    : vocabulary_(std::move(vocabulary)), lowercase_(lowercase) {
  for (size_t id = 0; id < vocabulary_.size(); ++id) {
    const std::string& entry = vocabulary_[id];
    const bool has_space = std::any_of(entry.begin(), entry.end(), [](char c) {
      const auto byte = static_cast<unsigned char>(c);
      return byte <= ' ' || byte == 0x7F;
    });
    EMBER_CHECK(!entry.empty() && !has_space && utf8::find_invalid(entry) == std::string::npos,
                "WordTokenizer: vocabulary entry {} (\"{}\") must be non-empty valid UTF-8 "
                "without whitespace",
                id, entry.substr(0, 80));
    EMBER_CHECK(ids_.emplace(entry, static_cast<int64_t>(id)).second,
                "WordTokenizer: vocabulary entry \"{}\" appears twice (ids {} and {})", entry,
                ids_.at(entry), id);
  }
  check_special_tokens();
}

std::vector<int64_t> WordTokenizer::encode(std::string_view text) const {
  std::vector<int64_t> ids;
  for (const std::string& word : split_words(text, lowercase_)) {
    const auto it = ids_.find(word);
    ids.push_back(it == ids_.end() ? kUnkId : it->second);
  }
  return ids;
}

std::string WordTokenizer::decode(std::span<const int64_t> ids) const {
  std::string text;
  bool glue_next = false;
  bool double_quote_open = false;
  bool low_quote_open = false;
  for (int64_t id : ids) {
    check_id("WordTokenizer::decode", id);
    if (id < kNumSpecialTokens) continue;
    const std::string& word = vocabulary_[id];
    const Glue glue = glue_of(word, double_quote_open, low_quote_open);
    if (!text.empty() && !glue_next && !glue.left) text += ' ';
    text += word;
    glue_next = glue.right;
  }
  return text;
}

std::string WordTokenizer::token(int64_t id) const {
  check_id("WordTokenizer::token", id);
  return vocabulary_[id];
}

std::string WordTokenizer::serialize() const {
  std::string out = header_line(kind());
  out += lowercase_ ? "lowercase 1" : "lowercase 0";
  for (const std::string& entry : vocabulary_) (out += '\n') += entry;
  return out;
}

// --- a pair inside checkpoint metadata ----------------------------------------------------------

namespace {
constexpr std::string_view kJointKey = "tokenizer.joint";
constexpr std::string_view kSrcKey = "tokenizer.src";
constexpr std::string_view kTgtKey = "tokenizer.tgt";
}  // namespace

void store_tokenizers(std::map<std::string, std::string>& metadata, const Tokenizer& src,
                      const Tokenizer& tgt) {
  for (auto key : {kJointKey, kSrcKey, kTgtKey}) metadata.erase(std::string(key));
  std::string src_text = src.serialize();
  if (&src == &tgt) {
    metadata[std::string(kJointKey)] = std::move(src_text);
    return;
  }
  std::string tgt_text = tgt.serialize();
  if (src_text == tgt_text) {
    metadata[std::string(kJointKey)] = std::move(src_text);
  } else {
    metadata[std::string(kSrcKey)] = std::move(src_text);
    metadata[std::string(kTgtKey)] = std::move(tgt_text);
  }
}

TokenizerPair load_tokenizers(const std::map<std::string, std::string>& metadata) {
  const auto find = [&](std::string_view key) -> const std::string* {
    const auto it = metadata.find(std::string(key));
    return it == metadata.end() ? nullptr : &it->second;
  };
  if (const std::string* joint = find(kJointKey)) {
    std::shared_ptr<const Tokenizer> tokenizer = load_tokenizer(*joint);
    return {tokenizer, tokenizer};
  }
  const std::string* src = find(kSrcKey);
  const std::string* tgt = find(kTgtKey);
  EMBER_CHECK(src && tgt,
              "load_tokenizers: the metadata has no tokenizer (expected key \"{}\", or both \"{}\" "
              "and \"{}\"); was it saved with store_tokenizers?",
              kJointKey, kSrcKey, kTgtKey);
  return {load_tokenizer(*src), load_tokenizer(*tgt)};
}

}  // namespace ember::data
