#include "ember/models/transformer/config.h"

#include <charconv>
#include <functional>
#include <sstream>

#include "ember/core/error.h"

namespace ember::models {

namespace {

// One field's name, how it prints, how it parses; `architecture` fields must match between a
// checkpoint and the model that loads it.
struct Field {
  const char* name;
  bool architecture;
  std::function<std::string(const TransformerConfig&)> show;
  std::function<bool(TransformerConfig&, std::string_view)> parse;  // false: malformed
};

template <typename T>
bool parse_number(std::string_view text, T& out) {
  T value{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return false;
  out = value;
  return true;
}

bool parse_bool(std::string_view text, bool& out) {
  if (text == "true" || text == "1") return out = true, true;
  if (text == "false" || text == "0") return out = false, true;
  return false;
}

Field int_field(const char* name, int64_t TransformerConfig::*member) {
  return {
      name, true, [member](const TransformerConfig& c) { return fmt::format("{}", c.*member); },
      [member](TransformerConfig& c, std::string_view v) { return parse_number(v, c.*member); }};
}

Field real_field(const char* name, double TransformerConfig::*member) {
  // fmt's shortest form round-trips exactly.
  return {
      name, false, [member](const TransformerConfig& c) { return fmt::format("{}", c.*member); },
      [member](TransformerConfig& c, std::string_view v) { return parse_number(v, c.*member); }};
}

Field bool_field(const char* name, bool TransformerConfig::*member) {
  return {
      name, true,
      [member](const TransformerConfig& c) { return std::string(c.*member ? "true" : "false"); },
      [member](TransformerConfig& c, std::string_view v) { return parse_bool(v, c.*member); }};
}

const std::vector<Field>& fields() {
  using C = TransformerConfig;
  static const std::vector<Field> table = {
      int_field("src_vocab", &C::src_vocab),
      int_field("tgt_vocab", &C::tgt_vocab),
      int_field("d_model", &C::d_model),
      int_field("heads", &C::heads),
      int_field("enc_layers", &C::enc_layers),
      int_field("dec_layers", &C::dec_layers),
      int_field("d_ff", &C::d_ff),
      real_field("dropout", &C::dropout),
      real_field("attention_dropout", &C::attention_dropout),
      bool_field("pre_ln", &C::pre_ln),
      bool_field("tie_target_embedding", &C::tie_target_embedding),
      bool_field("share_all_embeddings", &C::share_all_embeddings),
      int_field("max_len", &C::max_len),
      int_field("pad_id", &C::pad_id),
      int_field("bos_id", &C::bos_id),
      int_field("eos_id", &C::eos_id),
  };
  return table;
}

}  // namespace

TransformerConfig TransformerConfig::preset(const std::string& name, int64_t src_vocab,
                                            int64_t tgt_vocab) {
  TransformerConfig c;
  c.src_vocab = src_vocab;
  c.tgt_vocab = tgt_vocab;
  if (name == "tiny") {
    c.d_model = 64, c.heads = 4, c.enc_layers = 2, c.dec_layers = 2, c.d_ff = 128;
    c.dropout = 0.1, c.tie_target_embedding = true;
  } else if (name == "small") {
    c.d_model = 256, c.heads = 8, c.enc_layers = 3, c.dec_layers = 3, c.d_ff = 1024;
    c.dropout = 0.1, c.tie_target_embedding = true;
  } else if (name == "base") {
    c.d_model = 512, c.heads = 8, c.enc_layers = 6, c.dec_layers = 6, c.d_ff = 2048;
    c.dropout = 0.1, c.tie_target_embedding = false;
  } else {
    fail("TransformerConfig::preset: unknown preset '{}' (expected tiny, small or base)", name);
  }
  c.validate();
  return c;
}

void TransformerConfig::validate() const {
  const char* op = "TransformerConfig";
  EMBER_CHECK(src_vocab > 0 && tgt_vocab > 0,
              "{}: vocabulary sizes must be positive, got src {} tgt {}", op, src_vocab, tgt_vocab);
  EMBER_CHECK(d_model > 0 && heads > 0 && d_model % heads == 0,
              "{}: d_model ({}) must be a positive multiple of heads ({})", op, d_model, heads);
  EMBER_CHECK(enc_layers > 0 && dec_layers > 0,
              "{}: layer counts must be positive, got enc_layers {} and dec_layers {}", op,
              enc_layers, dec_layers);
  EMBER_CHECK(d_ff > 0 && max_len > 0, "{}: d_ff ({}) and max_len ({}) must be positive", op, d_ff,
              max_len);
  EMBER_CHECK(dropout >= 0 && dropout < 1 && attention_dropout >= 0 && attention_dropout < 1,
              "{}: dropout ({}) and attention_dropout ({}) must be in [0, 1)", op, dropout,
              attention_dropout);
  const int64_t smallest = std::min(src_vocab, tgt_vocab);
  for (auto [name, id] : {std::pair{"pad_id", pad_id}, {"bos_id", bos_id}, {"eos_id", eos_id}})
    EMBER_CHECK(id >= 0 && id < smallest, "{}: {} {} is outside both vocabularies (sizes {}, {})",
                op, name, id, src_vocab, tgt_vocab);
  EMBER_CHECK(pad_id != bos_id && pad_id != eos_id && bos_id != eos_id,
              "{}: pad_id ({}), bos_id ({}) and eos_id ({}) must differ", op, pad_id, bos_id,
              eos_id);
  EMBER_CHECK(
      !share_all_embeddings || src_vocab == tgt_vocab,
      "{}: share_all_embeddings needs one joint vocabulary, got src_vocab {} != tgt_vocab {}", op,
      src_vocab, tgt_vocab);
}

std::string TransformerConfig::to_string() const {
  std::string out;
  for (const Field& f : fields()) out += fmt::format("{}={}\n", f.name, f.show(*this));
  return out;
}

TransformerConfig TransformerConfig::from_string(const std::string& text) {
  TransformerConfig c;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    line = line.substr(0, line.find('#'));
    std::istringstream words(line);
    std::string item;
    while (words >> item) {
      const size_t eq = item.find('=');
      EMBER_CHECK(eq != std::string::npos && eq > 0,
                  "TransformerConfig::from_string: expected key=value, got '{}'", item);
      const std::string key = item.substr(0, eq);
      const std::string_view value = std::string_view(item).substr(eq + 1);
      const Field* field = nullptr;
      for (const Field& f : fields())
        if (key == f.name) field = &f;
      EMBER_CHECK(field != nullptr, "TransformerConfig::from_string: unknown key '{}'", key);
      EMBER_CHECK(field->parse(c, value),
                  "TransformerConfig::from_string: malformed value '{}' for {}", value, key);
    }
  }
  c.validate();
  return c;
}

std::vector<std::string> TransformerConfig::differences(const TransformerConfig& other) const {
  std::vector<std::string> out;
  for (const Field& f : fields()) {
    if (!f.architecture) continue;
    const std::string mine = f.show(*this), theirs = f.show(other);
    if (mine != theirs) out.push_back(fmt::format("{} ({} vs {})", f.name, mine, theirs));
  }
  return out;
}

void TransformerConfig::check_matches(const TransformerConfig& other,
                                      const std::string& what) const {
  const std::vector<std::string> diff = differences(other);
  EMBER_CHECK(diff.empty(), "Transformer: {} does not match the model: {}", what,
              fmt::join(diff, ", "));
}

}  // namespace ember::models
