// ember-translate: translates lines from stdin or --input with a checkpoint of ember-train-mt,
// one output line per input line.
#include <iostream>

#include <ember/data/text_file.h>
#include <ember/ember.h>

#include "common/args.h"
#include "ember/models/transformer/translator.h"

using namespace ember;

int main(int argc, char** argv) {
  tools::Args args("ember-translate", "translate sentences with a trained Transformer");
  args.option("checkpoint", "a checkpoint written by ember-train-mt (required)")
      .option("beam", "beam size (1: greedy)", "4")
      .option("length-penalty", "alpha of the GNMT length penalty", "0.6")
      .option("input", "read sentences from this file (plain or .gz) instead of stdin")
      .option("threads", "CPU threads", "2")
      .option("batch", "sentences decoded together", "64");
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
    for (const std::string& out : translator.translate(lines, options, args.get_int("batch")))
      fmt::print("{}\n", out);
    return 0;
  } catch (const std::exception& e) {
    fmt::print(stderr, "ember-translate: {}\n", e.what());
    return 1;
  }
}
