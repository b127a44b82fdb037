// ember-translate: translates lines from stdin or --input with a checkpoint of ember-train-mt,
// one output line per input line. --show-attention also draws, for the first sentence, where the
// decoder's cross-attention looked in the source (an SVG heat map).
#include <charconv>
#include <iostream>
#include <optional>

#include <ember/data/text_file.h>
#include <ember/ember.h>

#include "common/args.h"
#include "common/heatmap.h"
#include "ember/models/transformer/translator.h"

using namespace ember;

namespace {

// --attention-head: a head number or "mean".
std::optional<int64_t> parse_head(const tools::Args& args) {
  const std::string v = args.get("attention-head");
  if (v == "mean") return std::nullopt;
  int64_t head = 0;
  const auto [end, err] = std::from_chars(v.data(), v.data() + v.size(), head);
  if (err != std::errc() || end != v.data() + v.size())
    args.die(fmt::format("--attention-head expects a head number or 'mean', got '{}'", v));
  return head;
}

// The heat map of `sentence`'s cross-attention: translation pieces down, source pieces across.
void write_attention(const models::Translator& translator, const std::string& sentence,
                     const models::DecodeOptions& options,
                     const models::CrossAttentionOptions& attention, const std::string& path) {
  const models::AttentionMap map =
      translator.translate_with_attention(sentence, options, attention);
  const models::TransformerConfig& c = translator.model().config();
  const int64_t layer = attention.layer < 0 ? attention.layer + c.dec_layers : attention.layer;
  const std::string heads = attention.head
                                ? fmt::format("head {} (0..{})", *attention.head, c.heads - 1)
                                : fmt::format("mean of {} heads", c.heads);
  tools::HeatMap heat{.title = fmt::format("Cross-attention, decoder layer {} (0..{}), {}", layer,
                                           c.dec_layers - 1, heads),
                      .row_labels = map.target_tokens,
                      .column_labels = map.source_tokens,
                      .values = map.weights.to_vector<double>(),
                      .row_caption = "translation",
                      .column_caption = "source"};
  tools::write_svg_heatmap(path, heat);
  fmt::print(stderr, "ember-translate: attention of \"{}\" -> \"{}\" written to {}\n", sentence,
             map.translation, path);
}

}  // namespace

int main(int argc, char** argv) {
  tools::Args args("ember-translate", "translate sentences with a trained Transformer");
  args.option("checkpoint", "a checkpoint written by ember-train-mt (required)")
      .option("beam", "beam size (1: greedy)", "4")
      .option("length-penalty", "alpha of the GNMT length penalty", "0.6")
      .option("input", "read sentences from this file (plain or .gz) instead of stdin")
      .option("threads", "CPU threads", "2")
      .option("batch", "sentences decoded together", "64")
      .option("show-attention", "write the first sentence's cross-attention heat map (SVG) here")
      .option("attention-layer", "decoder layer of the heat map, 0-based; negative: from the last",
              "-1")
      .option("attention-head", "attention head of the heat map (0-based), or mean", "mean");
  args.parse(argc, argv);
  if (!args.has("checkpoint")) args.die("--checkpoint FILE is required");
  try {
    set_num_threads(static_cast<int>(args.get_int("threads")));
    const auto translator = models::Translator::load(args.get("checkpoint"));
    std::vector<std::string> lines;
    if (args.has("input")) {
      lines = data::read_lines(args.get("input"));
    } else {
      for (std::string line; std::getline(std::cin, line);) lines.push_back(line);
    }
    const models::DecodeOptions options{.beam_size = args.get_int("beam"),
                                        .length_penalty = args.get_double("length-penalty")};
    EMBER_CHECK(options.beam_size >= 1, "--beam must be at least 1, got {}", options.beam_size);
    if (args.has("show-attention")) {
      EMBER_CHECK(!lines.empty(), "--show-attention needs at least one input sentence");
      write_attention(translator, lines.front(), options,
                      {.layer = args.get_int("attention-layer"), .head = parse_head(args)},
                      args.get("show-attention"));
    }
    for (const std::string& out : translator.translate(lines, options, args.get_int("batch")))
      fmt::print("{}\n", out);
    return 0;
  } catch (const std::exception& e) {
    fmt::print(stderr, "ember-translate: {}\n", e.what());
    return 1;
  }
}
