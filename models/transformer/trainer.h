#pragma once
// Training the translation Transformer: the loop behind ember-train-mt, in the library so that
// tests and users can drive it.
//
// A run directory holds last.safetensors (written after every epoch and on stop()),
// best.safetensors (lowest validation cross-entropy) and whatever the caller logs. Both checkpoints
// are self-contained: weights, optimizer, schedule, RNG, position in the epoch, the model config
// and the tokenizers. With `resume`, a run continues from last.safetensors exactly where it
// stopped.
#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include <ember/data/batching.h>
#include <ember/data/tokenizer.h>
#include <ember/data/translation.h>
#include <ember/optim/adam.h>
#include <ember/optim/scheduler.h>

#include "ember/models/transformer/model.h"

namespace ember::models {

struct TrainConfig {
  std::string data_dir;  // holds the Multi30k files
  std::string out_dir = "runs/mt";
  std::string preset = "small";
  std::string src_lang = "en", tgt_lang = "de";
  int64_t epochs = 10;
  int64_t max_steps = 0;  // stop after this many optimizer steps in total; 0: no limit
  uint64_t seed = 1;
  int64_t max_tokens = 4096;  // per batch, padding included
  // Inverse square root schedule: lr = peak * min(step / warmup, sqrt(warmup / step)).
  double peak_lr = 7e-4;
  int64_t warmup_steps = 800;
  double label_smoothing = 0.1;
  double clip_norm = 1.0;                   // 0: no clipping
  std::string tokenizer = "sentencepiece";  // or "word"
  int64_t vocab_size = 8000;                // SentencePiece joint vocabulary
  int64_t train_limit = 0;  // use only the first N training pairs; 0: all (for quick runs)
  int64_t val_limit = 0;    // validate on the first N pairs; 0: the whole split
  bool resume = false;
};

struct StepReport {
  int64_t step, epoch, batch, batches;  // batch within the epoch, from 1
  int64_t tokens;                       // target tokens predicted in this step
  double loss, lr;
};

struct EpochReport {
  int64_t epoch, step;
  double train_loss;  // label-smoothed, per target token
  double val_loss;    // unsmoothed cross-entropy per target token
  double val_bleu;    // greedy decoding, sacreBLEU-compatible
  double seconds;
  bool best;
};

class Trainer {
 public:
  // Loads the data and builds tokenizers and model, or restores them from out_dir/last.safetensors
  // when config.resume.
  explicit Trainer(TrainConfig config);
  ~Trainer();

  // Trains until the epochs or max_steps are done, or request_stop() is called (then it saves
  // last.safetensors, mid-epoch position included, and returns false).
  bool run(const std::function<void(const StepReport&)>& on_step = {},
           const std::function<void(const EpochReport&)>& on_epoch = {});
  // Safe to call from a signal handler.
  void request_stop() { stop_requested_ = true; }

  // Unsmoothed cross-entropy per target token and greedy BLEU on the validation split.
  std::pair<double, double> validate();

  Transformer& model() { return *model_; }
  const data::TokenizerPair& tokenizers() const { return tokenizers_; }
  int64_t step() const { return step_; }
  int64_t epoch() const { return epoch_; }
  const std::string& last_checkpoint() const { return last_path_; }
  const std::string& best_checkpoint() const { return best_path_; }
  const std::string& summary() const { return summary_; }

 private:
  void save(const std::string& path, int64_t batch_in_epoch);
  double schedule_factor(int64_t epoch_counter) const;

  TrainConfig config_;
  data::ParallelCorpus train_, val_;
  data::TokenizerPair tokenizers_;
  std::unique_ptr<data::Batches> batches_, val_batches_;
  std::shared_ptr<Transformer> model_;
  std::unique_ptr<optim::Adam> optimizer_;
  std::unique_ptr<optim::LambdaLR> schedule_;
  int64_t step_ = 0, epoch_ = 0, batch_in_epoch_ = 0;
  double best_val_loss_ = 1e300;
  std::string last_path_, best_path_, summary_;
  std::atomic<bool> stop_requested_{false};
};

}  // namespace ember::models
