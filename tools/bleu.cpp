// ember-bleu: corpus BLEU of a translation, computed exactly as sacreBLEU computes it.
//
//   ember-bleu REF_FILE HYP_FILE [--lowercase] [--tokenize 13a|none]
//              [--smooth exp|none|floor|add-k] [--smooth-value V]
//
// Line i of HYP_FILE (detokenised system output) is scored against line i of REF_FILE (the raw
// reference); either may be gzip-compressed. Prints sacreBLEU's one-line result and, on a second
// line, the signature of the settings:
//   BLEU = 34.12 65.1/41.0/28.3/20.0 (BP = 0.953 ratio = 0.954 hyp_len = 12345 ref_len = 12940)
//   nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.x
// Exit codes: 0 scored, 1 unreadable input (the reason on stderr), 2 bad arguments.
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include <ember/core/error.h>
#include <ember/data/bleu.h>
#include <ember/data/text_file.h>
#include <ember/data/unicode.h>

namespace {

constexpr const char* kUsage =
    "usage: ember-bleu REF_FILE HYP_FILE [--lowercase] [--tokenize 13a|none]\n"
    "                  [--smooth exp|none|floor|add-k] [--smooth-value V]\n";

[[noreturn]] void usage(const std::string& why) {
  fmt::print(stderr, "ember-bleu: {}\n{}", why, kUsage);
  std::exit(2);
}

struct Arguments {
  std::string ref_path, hyp_path;
  ember::data::BleuOptions options;
};

Arguments parse(int argc, char** argv) {
  Arguments args;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto value = [&]() -> std::string_view {
      if (i + 1 >= argc) usage(fmt::format("{} needs a value", arg));
      return argv[++i];
    };
    if (arg == "--lowercase" || arg == "-lc") {
      args.options.lowercase = true;
    } else if (arg == "--tokenize") {
      const auto v = value();
      if (v == "13a") {
        args.options.tokenize = ember::data::BleuTokenize::v13a;
      } else if (v == "none") {
        args.options.tokenize = ember::data::BleuTokenize::none;
      } else {
        usage(fmt::format("unknown tokenizer '{}'", v));
      }
    } else if (arg == "--smooth") {
      const auto v = value();
      using ember::data::BleuSmoothing;
      if (v == "exp") {
        args.options.smoothing = BleuSmoothing::exp;
      } else if (v == "none") {
        args.options.smoothing = BleuSmoothing::none;
      } else if (v == "floor") {
        args.options.smoothing = BleuSmoothing::floor;
      } else if (v == "add-k") {
        args.options.smoothing = BleuSmoothing::add_k;
      } else {
        usage(fmt::format("unknown smoothing method '{}'", v));
      }
    } else if (arg == "--smooth-value") {
      const std::string v(value());
      char* end = nullptr;
      const double number = std::strtod(v.c_str(), &end);
      if (v.empty() || *end != '\0' || !(number >= 0.0))
        usage("--smooth-value needs a number >= 0");
      args.options.smooth_value = number;
    } else if (arg.size() > 1 && arg[0] == '-') {
      usage(fmt::format("unknown option '{}'", arg));
    } else {
      files.emplace_back(arg);
    }
  }
  if (files.size() != 2)
    usage(files.size() < 2 ? "expected REF_FILE and HYP_FILE" : "expected exactly two files");
  args.ref_path = files[0];
  args.hyp_path = files[1];
  return args;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && (std::string_view(argv[1]) == "--help" || std::string_view(argv[1]) == "-h")) {
    fmt::print("ember-bleu: corpus BLEU as sacreBLEU computes it (13a, exp smoothing)\n{}", kUsage);
    return 0;
  }
  const Arguments args = parse(argc, argv);
  try {
    const auto references = ember::data::read_lines(args.ref_path);
    const auto hypotheses = ember::data::read_lines(args.hyp_path);
    EMBER_CHECK(references.size() == hypotheses.size(),
                "'{}' has {} lines but '{}' has {}: a hypothesis file needs one line per "
                "reference line",
                args.hyp_path, hypotheses.size(), args.ref_path, references.size());
    // sacreBLEU's warning for output that still looks tokenised; it does not change the score.
    size_t tokenized_periods = 0;
    for (const auto& line : hypotheses)
      tokenized_periods += ember::data::rstrip_whitespace(line).ends_with(" .");
    if (tokenized_periods >= 100)
      fmt::print(stderr,
                 "ember-bleu: warning: {} lines end in a tokenised period (' .'); BLEU expects "
                 "detokenised output\n",
                 tokenized_periods);
    const auto bleu = ember::data::corpus_bleu(hypotheses, references, args.options);
    fmt::print("{}\n{}\n", bleu.format(), bleu.signature());
  } catch (const std::exception& e) {
    fmt::print(stderr, "ember-bleu: {}\n", e.what());
    return 1;
  }
  return 0;
}
