// ember-train-mt: trains the translation Transformer on Multi30k with a progress bar, a CSV log
// and an SVG chart of the curves; Ctrl-C saves a checkpoint and exits, --resume continues.
#include <csignal>
#include <filesystem>
#include <fstream>

#include <ember/data/bleu.h>
#include <ember/ember.h>

#include "common/args.h"
#include "common/plot.h"
#include "common/progress.h"
#include "ember/models/transformer/trainer.h"
#include "ember/models/transformer/translator.h"

using namespace ember;

namespace {

models::Trainer* g_trainer = nullptr;  // for the signal handler only

void on_interrupt(int) {
  if (g_trainer) g_trainer->request_stop();
  std::signal(SIGINT, SIG_DFL);  // a second Ctrl-C ends the program at once
}

struct History {
  std::vector<double> epoch, train, val, bleu;
};

// Reads the CSV of an earlier run (for --resume) so the chart shows the whole run.
History read_history(const std::string& path) {
  History h;
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    double e, step, tl, vl, ppl, b, secs;
    if (std::sscanf(line.c_str(), "%lf,%lf,%lf,%lf,%lf,%lf,%lf", &e, &step, &tl, &vl, &ppl, &b,
                    &secs) == 7) {
      h.epoch.push_back(e), h.train.push_back(tl), h.val.push_back(vl), h.bleu.push_back(b);
    }
  }
  return h;
}

}  // namespace

int main(int argc, char** argv) {
  tools::Args args("ember-train-mt",
                   "train the encoder-decoder Transformer on Multi30k (ember's main job)");
  args.option("data", "directory with the Multi30k files", "../shared/data/multi30k (found)")
      .option("preset", "model size: tiny | small | base", "small")
      .option("epochs", "epochs to train", "10")
      .option("max-steps", "stop after this many steps in total (0: no limit)", "0")
      .option("out", "run directory: checkpoints, log.csv, curves.svg", "runs/mt")
      .flag("resume", "continue from OUT/last.safetensors")
      .option("threads", "CPU threads", "2")
      .option("seed", "random seed", "1")
      .option("src", "source language", "en")
      .option("tgt", "target language", "de")
      .option("max-tokens", "tokens per batch, padding included", "4096")
      .option("lr", "peak learning rate", "7e-4")
      .option("warmup", "warmup steps of the inverse-sqrt schedule", "800")
      .option("tokenizer", "sentencepiece (joint) | word", "sentencepiece")
      .option("vocab-size", "SentencePiece vocabulary size", "8000")
      .option("train-limit", "use only the first N training pairs (0: all)", "0")
      .option("val-limit", "validate on the first N pairs (0: all)", "0")
      .option("test-beam", "beam size for the final test BLEU (0: skip the test)", "4");
  args.parse(argc, argv);
  try {
    set_num_threads(static_cast<int>(args.get_int("threads")));
    models::TrainConfig config;
    config.data_dir = args.has("data") ? args.get("data") : data::default_data_dir();
    config.out_dir = args.get("out");
    config.preset = args.get("preset");
    config.epochs = args.get_int("epochs");
    config.max_steps = args.get_int("max-steps");
    config.resume = args.has("resume");
    config.seed = static_cast<uint64_t>(args.get_int("seed"));
    config.src_lang = args.get("src");
    config.tgt_lang = args.get("tgt");
    config.max_tokens = args.get_int("max-tokens");
    config.peak_lr = args.get_double("lr");
    config.warmup_steps = args.get_int("warmup");
    config.tokenizer = args.get("tokenizer");
    config.vocab_size = args.get_int("vocab-size");
    config.train_limit = args.get_int("train-limit");
    config.val_limit = args.get_int("val-limit");

    models::Trainer trainer(config);
    g_trainer = &trainer;
    std::signal(SIGINT, on_interrupt);
    fmt::print("{}\n", trainer.summary());

    const std::string csv = (std::filesystem::path(config.out_dir) / "log.csv").string();
    const std::string chart = (std::filesystem::path(config.out_dir) / "curves.svg").string();
    History history = config.resume ? read_history(csv) : History{};
    if (!config.resume || !std::filesystem::exists(csv))
      std::ofstream(csv) << "epoch,step,train_loss,val_loss,val_ppl,val_bleu,seconds\n";

    std::unique_ptr<tools::ProgressBar> bar;
    int64_t bar_epoch = -1;
    const bool finished = trainer.run(
        [&](const models::StepReport& r) {
          if (r.epoch != bar_epoch) {
            bar = std::make_unique<tools::ProgressBar>(fmt::format("epoch {}", r.epoch), r.batches);
            bar_epoch = r.epoch;
          }
          bar->update(r.batch, r.tokens, r.loss, r.lr);
        },
        [&](const models::EpochReport& r) {
          fmt::print(stderr, "\n");
          fmt::print(
              "epoch {} (step {}): train loss {:.4f}  val loss {:.4f}  val ppl {:.2f}  val "
              "BLEU {:.2f}  {}{}\n",
              r.epoch, r.step, r.train_loss, r.val_loss, std::exp(r.val_loss), r.val_bleu,
              tools::ProgressBar::clock(r.seconds), r.best ? "  (best)" : "");
          std::fflush(stdout);
          std::ofstream(csv, std::ios::app)
              << fmt::format("{},{},{:.6f},{:.6f},{:.4f},{:.4f},{:.1f}\n", r.epoch, r.step,
                             r.train_loss, r.val_loss, std::exp(r.val_loss), r.val_bleu, r.seconds);
          history.epoch.push_back(static_cast<double>(r.epoch));
          history.train.push_back(r.train_loss);
          history.val.push_back(r.val_loss);
          history.bleu.push_back(r.val_bleu);
          tools::write_svg_chart(chart, "ember-train-mt " + config.preset, "epoch",
                                 "loss per token", "validation BLEU",
                                 {{"train loss (smoothed)", history.epoch, history.train},
                                  {"validation loss", history.epoch, history.val},
                                  {"validation BLEU", history.epoch, history.bleu, true}});
        });
    g_trainer = nullptr;
    if (!finished) {
      fmt::print("\nstopped: saved {} (continue with --resume)\n", trainer.last_checkpoint());
      return 130;
    }
    fmt::print("checkpoints: {} and {}; log {}; chart {}\n", trainer.best_checkpoint(),
               trainer.last_checkpoint(), csv, chart);

    const int64_t beam = args.get_int("test-beam");
    const std::string best = std::filesystem::exists(trainer.best_checkpoint())
                                 ? trainer.best_checkpoint()
                                 : trainer.last_checkpoint();
    const auto translator = models::Translator::load(best);
    const auto test =
        data::load_multi30k(config.data_dir, "test_2016_flickr", config.src_lang, config.tgt_lang);
    if (beam > 0) {
      const auto hyps = translator.translate(test.src, {.beam_size = beam});
      const auto score = data::corpus_bleu(hyps, test.tgt);
      fmt::print("test_2016_flickr ({} sentences, beam {}, {}): {}\n{}\n", test.size(), beam, best,
                 score.format(), score.signature());
      for (size_t i = 0; i < 3 && i < hyps.size(); ++i)
        fmt::print("  {}\n  -> {}\n  (reference: {})\n", test.src[i], hyps[i], test.tgt[i]);
    }
    return 0;
  } catch (const std::exception& e) {
    fmt::print(stderr, "ember-train-mt: {}\n", e.what());
    return 1;
  }
}
