#include "ember/models/transformer/trainer.h"

#include <chrono>
#include <cmath>
#include <filesystem>

#include <ember/data/bleu.h>
#include <ember/ember.h>
#include <ember/optim/checkpoint.h>

#include "ember/models/transformer/translator.h"

namespace ember::models {

namespace {

void truncate(data::ParallelCorpus& corpus, int64_t limit) {
  if (limit <= 0 || limit >= corpus.size()) return;
  corpus.src.resize(static_cast<size_t>(limit));
  corpus.tgt.resize(static_cast<size_t>(limit));
}

const std::string& required(const std::map<std::string, std::string>& metadata,
                            const std::string& key, const std::string& path) {
  auto it = metadata.find(key);
  EMBER_CHECK(it != metadata.end(),
              "ember-train-mt: {} has no '{}' metadata; it was not written "
              "by the translation trainer",
              path, key);
  return it->second;
}

}  // namespace

Trainer::Trainer(TrainConfig config) : config_(std::move(config)) {
  const auto& c = config_;
  EMBER_CHECK(
      c.epochs >= 0 && c.max_steps >= 0 && c.max_tokens > 0 && c.warmup_steps > 0 &&
          c.peak_lr > 0 && c.label_smoothing >= 0 && c.label_smoothing < 1,
      "ember-train-mt: invalid settings (epochs {}, max_steps {}, max_tokens {}, warmup {}, "
      "lr {}, label_smoothing {})",
      c.epochs, c.max_steps, c.max_tokens, c.warmup_steps, c.peak_lr, c.label_smoothing);
  train_ = data::load_multi30k(c.data_dir, "train", c.src_lang, c.tgt_lang);
  val_ = data::load_multi30k(c.data_dir, "val", c.src_lang, c.tgt_lang);
  truncate(train_, c.train_limit);
  truncate(val_, c.val_limit);
  std::filesystem::create_directories(c.out_dir);
  last_path_ = (std::filesystem::path(c.out_dir) / "last.safetensors").string();
  best_path_ = (std::filesystem::path(c.out_dir) / "best.safetensors").string();

  std::optional<optim::Checkpoint> resumed;
  TransformerConfig model_config;
  if (c.resume) {
    EMBER_CHECK(std::filesystem::exists(last_path_),
                "ember-train-mt: --resume, but there is no {} to resume from", last_path_);
    resumed = optim::load_checkpoint(last_path_);
    tokenizers_ = data::load_tokenizers(resumed->metadata);
    model_config =
        TransformerConfig::from_string(required(resumed->metadata, "config", last_path_));
    // The preset asked for now must describe the checkpoint's model.
    TransformerConfig wanted = TransformerConfig::preset(c.preset, tokenizers_.src->vocab_size(),
                                                         tokenizers_.tgt->vocab_size());
    wanted.share_all_embeddings = model_config.share_all_embeddings;
    wanted.tie_target_embedding = model_config.tie_target_embedding;
    wanted.check_matches(model_config, fmt::format("the --preset {} config", c.preset));
  } else {
    data::TokenizerConfig tc;
    tc.kind = c.tokenizer;
    tc.joint = c.tokenizer == "sentencepiece";
    tc.sentencepiece.vocab_size = c.vocab_size;
    tokenizers_ = data::build_tokenizers(train_, tc);
    model_config = TransformerConfig::preset(c.preset, tokenizers_.src->vocab_size(),
                                             tokenizers_.tgt->vocab_size());
    if (tokenizers_.joint()) {
      model_config.share_all_embeddings = true;
      model_config.tie_target_embedding = true;
    }
  }

  manual_seed(c.seed);
  model_ = std::make_shared<Transformer>(model_config);
  const data::EncodeOptions limits{.max_src_len = model_config.max_len,
                                   .max_tgt_len = model_config.max_len};
  batches_ = std::make_unique<data::Batches>(
      data::encode_corpus(train_, *tokenizers_.src, *tokenizers_.tgt, limits),
      data::BatchingOptions{.max_tokens = c.max_tokens, .seed = c.seed});
  val_batches_ = std::make_unique<data::Batches>(
      data::encode_corpus(val_, *tokenizers_.src, *tokenizers_.tgt, limits),
      data::BatchingOptions{.max_tokens = c.max_tokens, .shuffle = false});

  optimizer_ = std::make_unique<optim::Adam>(
      model_->parameters(), optim::AdamOptions{.lr = c.peak_lr, .betas = {0.9, 0.98}, .eps = 1e-9});
  schedule_ = std::make_unique<optim::LambdaLR>(*optimizer_,
                                                [this](int64_t e) { return schedule_factor(e); });

  if (resumed) {
    model_->load_state_dict(resumed->model);
    optimizer_->load_state_dict(resumed->optimizer);
    schedule_->load_state_dict(resumed->scheduler);
    default_generator().set_state(resumed->rng);
    step_ = resumed->step;
    epoch_ = resumed->epoch;
    batch_in_epoch_ = std::stoll(required(resumed->metadata, "batch_in_epoch", last_path_));
    best_val_loss_ = std::stod(required(resumed->metadata, "best_val_loss", last_path_));
  }
  summary_ = fmt::format(
      "{} {}->{}: {} train pairs ({} dropped as too long), {} val pairs, {} batches per epoch; "
      "{} tokenizer, vocab {}/{}; {} parameters{}",
      c.preset, c.src_lang, c.tgt_lang, batches_->num_pairs(), batches_->corpus().dropped,
      val_.size(), batches_->size(), tokenizers_.src->kind(), tokenizers_.src->vocab_size(),
      tokenizers_.tgt->vocab_size(), model_->num_parameters(),
      resumed ? fmt::format("; resumed at epoch {} batch {} (step {})", epoch_ + 1, batch_in_epoch_,
                            step_)
              : "");
}

Trainer::~Trainer() = default;

double Trainer::schedule_factor(int64_t e) const {
  const double s = static_cast<double>(e + 1), w = static_cast<double>(config_.warmup_steps);
  return std::min(s / w, std::sqrt(w / s));
}

void Trainer::save(const std::string& path, int64_t batch_in_epoch) {
  optim::Checkpoint ck{.model = model_->state_dict(),
                       .optimizer = optimizer_->state_dict(),
                       .scheduler = schedule_->state_dict(),
                       .rng = default_generator().get_state(),
                       .step = step_,
                       .epoch = epoch_,
                       .metadata = {}};
  ck.metadata["config"] = model_->config().to_string();
  ck.metadata["batch_in_epoch"] = std::to_string(batch_in_epoch);
  ck.metadata["best_val_loss"] = fmt::format("{}", best_val_loss_);
  ck.metadata["languages"] = config_.src_lang + "-" + config_.tgt_lang;
  data::store_tokenizers(ck.metadata, *tokenizers_.src, *tokenizers_.tgt);
  optim::save_checkpoint(path, ck);
}

std::pair<double, double> Trainer::validate() {
  NoGradGuard no_grad;
  model_->eval();
  double loss_sum = 0;
  int64_t tokens = 0;
  for (const data::Batch& b : val_batches_->epoch(0)) {
    const int64_t T = b.tgt.size(1);
    const Tensor logits = model_->forward(b.src, b.tgt.slice(1, 0, T - 1));
    const Tensor loss =
        cross_entropy(logits.reshape({-1, logits.size(2)}), b.tgt.slice(1, 1, T).reshape({-1}),
                      {.ignore_index = model_->config().pad_id, .reduction = Reduction::Sum});
    loss_sum += loss.item();
    tokens += b.predicted_tokens();
  }
  Translator translator(model_, tokenizers_);
  const auto hypotheses = translator.translate(val_.src, {.beam_size = 1});
  const double bleu = data::corpus_bleu(hypotheses, val_.tgt).score;
  model_->train();
  return {loss_sum / static_cast<double>(std::max<int64_t>(tokens, 1)), bleu};
}

bool Trainer::run(const std::function<void(const StepReport&)>& on_step,
                  const std::function<void(const EpochReport&)>& on_epoch) {
  const int64_t pad = model_->config().pad_id;
  const auto finish_epoch = [&](double loss_sum, int64_t tokens, double seconds) {
    const auto [val_loss, val_bleu] = validate();
    const bool best = val_loss < best_val_loss_;
    if (best) best_val_loss_ = val_loss;
    if (on_epoch)
      on_epoch({epoch_ + 1, step_, loss_sum / static_cast<double>(std::max<int64_t>(tokens, 1)),
                val_loss, val_bleu, seconds, best});
    return best;
  };
  model_->train();
  while (epoch_ < config_.epochs) {
    const auto started = std::chrono::steady_clock::now();
    const data::EpochBatches epoch = batches_->epoch(epoch_);
    double loss_sum = 0;
    int64_t tokens = 0;
    for (int64_t b = batch_in_epoch_; b < epoch.size(); ++b) {
      const bool out_of_steps = config_.max_steps > 0 && step_ >= config_.max_steps;
      if (stop_requested_ || out_of_steps) {
        batch_in_epoch_ = b;
        if (out_of_steps && tokens > 0) {
          const double secs =
              std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
          if (finish_epoch(loss_sum, tokens, secs)) save(best_path_, b);
        }
        save(last_path_, b);
        return !stop_requested_;
      }
      const data::Batch batch = epoch[b];
      const int64_t T = batch.tgt.size(1);
      const Tensor logits = model_->forward(batch.src, batch.tgt.slice(1, 0, T - 1));
      const Tensor loss = cross_entropy(
          logits.reshape({-1, logits.size(2)}), batch.tgt.slice(1, 1, T).reshape({-1}),
          {.ignore_index = pad, .label_smoothing = config_.label_smoothing});
      optimizer_->zero_grad();
      loss.backward();
      if (config_.clip_norm > 0) optim::clip_grad_norm_(model_->parameters(), config_.clip_norm);
      optimizer_->step();
      schedule_->step();
      ++step_;
      const double value = loss.item();
      loss_sum += value * static_cast<double>(batch.predicted_tokens());
      tokens += batch.predicted_tokens();
      if (on_step)
        on_step({step_, epoch_ + 1, b + 1, epoch.size(), batch.predicted_tokens(), value,
                 schedule_->get_last_lr()[0]});
    }
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    batch_in_epoch_ = 0;
    const bool best = finish_epoch(loss_sum, tokens, secs);
    ++epoch_;
    if (best) save(best_path_, 0);
    save(last_path_, 0);
  }
  return true;
}

}  // namespace ember::models
