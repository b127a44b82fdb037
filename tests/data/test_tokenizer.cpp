#include <ember/data/tokenizer.h>
#include <ember/optim/checkpoint.h>

#include "helpers.h"
#include "translation_fixtures.h"

using namespace ember;
using namespace ember::data;
using ember::testing::caption_corpus;

namespace {

std::vector<std::string> both_sides(const ParallelCorpus& corpus) {
  std::vector<std::string> all = corpus.src;
  all.insert(all.end(), corpus.tgt.begin(), corpus.tgt.end());
  return all;
}

SentencePieceOptions small_sentencepiece(std::string model_type = "unigram") {
  SentencePieceOptions options;
  options.vocab_size = 150;
  options.model_type = std::move(model_type);
  options.hard_vocab_limit = false;  // a tiny corpus may support fewer pieces
  return options;
}

// Trained once: SentencePiece training is the slow part of this suite.
const SentencePieceTokenizer& small_sp() {
  static const auto tokenizer =
      SentencePieceTokenizer::train(both_sides(caption_corpus(200)), small_sentencepiece());
  return *tokenizer;
}

void check_specials(const Tokenizer& tok) {
  CHECK(tok.token(kPadId) == "<pad>");
  CHECK(tok.token(kUnkId) == "<unk>");
  CHECK(tok.token(kBosId) == "<bos>");
  CHECK(tok.token(kEosId) == "<eos>");
}

}  // namespace

TEST_CASE("sentencepiece: special ids, encode without bos/eos, exact round trip") {
  const auto& sp = small_sp();
  check_specials(sp);
  CHECK(sp.kind() == "sentencepiece");
  CHECK(sp.vocab_size() > kNumSpecialTokens);
  CHECK(sp.vocab_size() <= 150);

  for (const std::string text :
       {"A man is playing in the park.", "Ein kleines Mädchen fährt Fahrrad am Strand.",
        "Drei Personen sitzt, langsam, vor einem roten Gebäude.", "Two dogs are running."}) {
    const auto ids = sp.encode(text);
    REQUIRE(!ids.empty());
    for (int64_t id : ids) {
      CHECK(id >= kNumSpecialTokens);  // no <bos>/<eos>/<pad>, and every character is known
      CHECK(id < sp.vocab_size());
    }
    CHECK(sp.decode(ids) == text);
    // Specials are dropped when decoding.
    std::vector<int64_t> framed = {kBosId};
    framed.insert(framed.end(), ids.begin(), ids.end());
    framed.insert(framed.end(), {kEosId, kPadId, kPadId});
    CHECK(sp.decode(framed) == text);
  }
  // Characters never seen in training become <unk>, which decoding drops.
  const auto ids = sp.encode("A man ☃ is playing.");
  CHECK(std::count(ids.begin(), ids.end(), kUnkId) == 1);
  CHECK(sp.decode(ids) == "A man is playing.");
}

TEST_CASE("sentencepiece: tabs and repeated spaces are whitespace") {
  const auto& sp = small_sp();
  CHECK(sp.encode("A man\tis  playing.") == sp.encode("A man is playing."));
  CHECK(sp.decode(sp.encode(" A  man ")) == "A man");
}

TEST_CASE("sentencepiece: training is deterministic and the model survives serialization") {
  const auto sentences = both_sides(caption_corpus(200));
  for (const std::string model_type : {"unigram", "bpe"}) {
    CAPTURE(model_type);
    const auto first = SentencePieceTokenizer::train(sentences, small_sentencepiece(model_type));
    const auto second = SentencePieceTokenizer::train(sentences, small_sentencepiece(model_type));
    CHECK(first->model_proto() == second->model_proto());
    check_specials(*first);

    const std::string text = first->serialize();
    CHECK(text.starts_with(
        fmt::format("ember-tokenizer sentencepiece 1\nbytes {}\n", first->model_proto().size())));
    const auto loaded = load_tokenizer(text);
    CHECK(loaded->kind() == "sentencepiece");
    CHECK(loaded->vocab_size() == first->vocab_size());
    CHECK(loaded->serialize() == text);
    for (const std::string& s : {sentences[3], sentences[250]})
      CHECK(loaded->encode(s) == first->encode(s));
  }
}

TEST_CASE("sentencepiece: bad options, bad ids and bad models are clear errors") {
  const auto sentences = both_sides(caption_corpus(40));
  CHECK_THROWS_CONTAINING(SentencePieceTokenizer::train({}, {}), "no training sentences");
  SentencePieceOptions options = small_sentencepiece();
  options.model_type = "char";
  CHECK_THROWS_CONTAINING(SentencePieceTokenizer::train(sentences, options),
                          "model_type \"char\" is not supported");
  options = small_sentencepiece();
  options.vocab_size = 4;
  CHECK_THROWS_CONTAINING(SentencePieceTokenizer::train(sentences, options),
                          "must exceed the 4 special tokens");
  options = small_sentencepiece();
  options.hard_vocab_limit = true;
  options.vocab_size = 5000;  // far more than 40 short sentences support
  CHECK_THROWS_CONTAINING(SentencePieceTokenizer::train(sentences, options),
                          "SentencePiece training on 80 sentences failed");
  CHECK_THROWS_CONTAINING(SentencePieceTokenizer::train({"ok", std::string("\xff\xfe")}, {}),
                          "sentence 1 is not valid UTF-8");

  const auto& sp = small_sp();
  const std::vector<int64_t> bad = {5, sp.vocab_size()};
  const std::string message = fmt::format("token id {} is outside the vocabulary", sp.vocab_size());
  CHECK_THROWS_CONTAINING(sp.decode(bad), message.c_str());
  CHECK_THROWS_CONTAINING(sp.token(-1), "token id -1 is outside");
  CHECK_THROWS_CONTAINING(SentencePieceTokenizer::from_model_proto("not a model"),
                          "cannot load the model");
}

TEST_CASE("word tokenizer: splitting rules") {
  using Words = std::vector<std::string>;
  CHECK(WordTokenizer::split_words("A man's T-shirt, (red).", true) ==
        Words{"a", "man", "'", "s", "t", "-", "shirt", ",", "(", "red", ")", "."});
  CHECK(WordTokenizer::split_words("ÄRGER über Öl\tim  Fluß", true) ==
        Words{"ärger", "über", "öl", "im", "fluß"});
  CHECK(WordTokenizer::split_words("Er sagt: „Hallo“ – ja…", false) ==
        Words{"Er", "sagt", ":", "„", "Hallo", "“", "–", "ja", "…"});
  CHECK(WordTokenizer::split_words("a\xC2\xA0"
                                   "b \t c",
                                   false) == Words{"a", "b", "c"});  // NBSP
  CHECK(WordTokenizer::split_words(" \t ", true).empty());
}

TEST_CASE("word tokenizer: vocabulary, min_freq, <unk> and detokenisation") {
  const std::vector<std::string> sentences = {"A dog runs.", "The dog sits.", "a cat, a dog!",
                                              "Der Hund „rennt“.", "Der Hund sitzt."};
  const auto tok = WordTokenizer::build(sentences, {.lowercase = true, .min_freq = 2});
  check_specials(*tok);
  // Counted after lowercasing: dog 3, a 3, . 4, der 2, hund 2; everything else once.
  // Most frequent first, ties in byte order.
  std::vector<std::string> words;
  for (int64_t id = kNumSpecialTokens; id < tok->vocab_size(); ++id)
    words.push_back(tok->token(id));
  CHECK(words == std::vector<std::string>{".", "a", "dog", "der", "hund"});
  CHECK(tok->encode("A dog flies.") == std::vector<int64_t>{5, 6, kUnkId, 4});  // a, dog, <unk>, .
  CHECK(tok->decode(tok->encode("A DOG.")) == "a dog.");

  const auto all = WordTokenizer::build(sentences, {.lowercase = false, .min_freq = 1});
  for (const std::string text :
       {"The dog sits.", "a cat, a dog!", "Der Hund „rennt“.", "A dog runs."})
    CHECK(all->decode(all->encode(text)) == text);
  const auto rich = WordTokenizer::build({"A man's t-shirt (red) is 50% \"cool\" and/or new; ok?"},
                                         {.lowercase = false, .min_freq = 1});
  const std::string text = "A man's t-shirt (red) is 50% \"cool\" and/or new; ok?";
  CHECK(rich->decode(rich->encode(text)) == text);

  const auto capped = WordTokenizer::build(sentences, {.min_freq = 1, .max_size = 6});
  CHECK(capped->vocab_size() == 6);
  CHECK(capped->token(4) == ".");
}

TEST_CASE("word tokenizer: serialization round trip and errors") {
  const auto tok = WordTokenizer::build({"Ein Mann läuft.", "Ein Mann sitzt."},
                                        {.lowercase = false, .min_freq = 1});
  const std::string text = tok->serialize();
  CHECK(text.starts_with("ember-tokenizer word 1\nlowercase 0\n<pad>\n<unk>\n<bos>\n<eos>\n"));
  const auto loaded = load_tokenizer(text);
  CHECK(loaded->kind() == "word");
  CHECK(loaded->serialize() == text);
  CHECK(loaded->encode("Ein Mann sitzt.") == tok->encode("Ein Mann sitzt."));
  CHECK(!dynamic_cast<const WordTokenizer&>(*loaded).lowercase());

  CHECK_THROWS_CONTAINING(WordTokenizer::build({}, {}), "no training sentences");
  CHECK_THROWS_CONTAINING(WordTokenizer::build({"a b c"}, {.min_freq = 2}),
                          "no word occurs at least min_freq=2 times");
  CHECK_THROWS_CONTAINING(WordTokenizer::build({"a"}, {.min_freq = 0}), "min_freq 0");
  CHECK_THROWS_CONTAINING(WordTokenizer({"<unk>", "<pad>", "<bos>", "<eos>", "x"}, false),
                          "id 0 must be the special token <pad> but is \"<unk>\"");
  CHECK_THROWS_CONTAINING(WordTokenizer({"<pad>", "<unk>", "<bos>", "<eos>", "x", "x"}, false),
                          "\"x\" appears twice");
  CHECK_THROWS_CONTAINING(WordTokenizer({"<pad>", "<unk>", "<bos>", "<eos>", "a b"}, false),
                          "without whitespace");
  CHECK_THROWS_CONTAINING(WordTokenizer({"<pad>", "<unk>", "<bos>", "<eos>"}, false),
                          "nothing beyond the 4 special tokens");
}

TEST_CASE("load_tokenizer: anything but a serialized tokenizer is a clear error") {
  CHECK_THROWS_CONTAINING(load_tokenizer(""), "not a serialized ember tokenizer");
  CHECK_THROWS_CONTAINING(load_tokenizer("hello\nworld"), "not a serialized ember tokenizer");
  CHECK_THROWS_CONTAINING(load_tokenizer("ember-tokenizer word 7\nlowercase 1\n<pad>"),
                          "format version \"7\" is not supported");
  CHECK_THROWS_CONTAINING(load_tokenizer("ember-tokenizer bytes 1\n"),
                          "unknown tokenizer kind \"bytes\"");
  CHECK_THROWS_CONTAINING(load_tokenizer("ember-tokenizer word 1\nupper 1\n<pad>"),
                          "expected \"lowercase 0\" or \"lowercase 1\"");
  CHECK_THROWS_CONTAINING(load_tokenizer("ember-tokenizer sentencepiece 1\nabc"),
                          "expected a line \"bytes <count>\"");
  CHECK_THROWS_CONTAINING(load_tokenizer("ember-tokenizer sentencepiece 1\nbytes 3\nabc"),
                          "not a multiple of 4");
  CHECK_THROWS_CONTAINING(load_tokenizer("ember-tokenizer sentencepiece 1\nbytes 3\nab!d"),
                          "character 2 of the base64 payload is not base64");
  // Valid base64 of bytes that are not a model.
  CHECK_THROWS_CONTAINING(load_tokenizer("ember-tokenizer sentencepiece 1\nbytes 5\naGVsbG8="),
                          "cannot load the model");
  // A model cut short (at a multiple of 4 base64 characters, so the base64 itself is fine).
  const std::string text = small_sp().serialize();
  const size_t payload = text.find('\n', text.find('\n') + 1) + 1;
  CHECK_THROWS_CONTAINING(
      load_tokenizer(text.substr(0, payload + (text.size() - payload) / 2 / 4 * 4)),
      "but its header says");
}

TEST_CASE("tokenizers travel inside checkpoint metadata") {
  const auto& sp = small_sp();
  const auto de = WordTokenizer::build(caption_corpus(50).tgt, {.min_freq = 1});

  std::map<std::string, std::string> metadata = {{"config", "x"}};
  store_tokenizers(metadata, sp, sp);
  CHECK(metadata.count("tokenizer.joint") == 1);
  CHECK(metadata.count("tokenizer.src") == 0);
  TokenizerPair joint = load_tokenizers(metadata);
  CHECK(joint.joint());
  CHECK(joint.src->serialize() == sp.serialize());

  store_tokenizers(metadata, sp, *de);  // replaces the joint entry
  CHECK(metadata.count("tokenizer.joint") == 0);
  CHECK(metadata.size() == 3);

  // Through a real checkpoint file: everything needed to translate is inside it.
  ember::testing::ScratchDir dir("tokenizer");
  optim::Checkpoint checkpoint;
  checkpoint.model["w"] = zeros({2});
  checkpoint.metadata = metadata;
  optim::save_checkpoint(dir.file("ck.safetensors"), checkpoint);
  const auto back = optim::load_checkpoint(dir.file("ck.safetensors"));
  const TokenizerPair pair = load_tokenizers(back.metadata);
  CHECK(!pair.joint());
  CHECK(pair.src->kind() == "sentencepiece");
  CHECK(pair.tgt->kind() == "word");
  const std::string en = "A young boy is playing on the beach.";
  const std::string de_text = "ein junger junge spielt am strand.";
  CHECK(pair.src->encode(en) == sp.encode(en));
  CHECK(pair.tgt->decode(pair.tgt->encode(de_text)) == de_text);

  CHECK_THROWS_CONTAINING(load_tokenizers({{"config", "x"}}), "the metadata has no tokenizer");
}
