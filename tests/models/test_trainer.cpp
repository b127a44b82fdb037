// The translation trainer end to end on a small slice of Multi30k (seconds): the loss falls, a
// checkpoint reloads and decodes the same, a run resumes, and bad input is a clear error.
#include <filesystem>

#include "helpers.h"

#include "ember/data/translation.h"
#include "ember/models/transformer/trainer.h"
#include "ember/models/transformer/translator.h"

using namespace ember;
using namespace ember::testing;

namespace {

std::optional<models::TrainConfig> small_run(const std::string& name) {
  const auto dir = data::find_data_dir();
  if (!dir) return std::nullopt;
  models::TrainConfig c;
  c.data_dir = *dir;
  c.out_dir = (std::filesystem::temp_directory_path() /
               fmt::format("ember-trainer-{}-{}", name, ::getpid()))
                  .string();
  std::filesystem::remove_all(c.out_dir);
  c.preset = "tiny";
  c.tokenizer = "word";
  c.train_limit = 300;
  c.val_limit = 16;
  c.max_tokens = 2048;
  c.peak_lr = 3e-3;
  c.warmup_steps = 10;
  c.epochs = 100;
  c.max_steps = 24;
  return c;
}

}  // namespace

TEST_CASE("trainer: the loss falls, checkpoints reload and decode identically, runs resume") {
  auto config = small_run("e2e");
  if (!config) {
    MESSAGE("skipped: ../shared/data/multi30k not found");
    return;
  }
  models::Trainer trainer(*config);
  std::vector<double> losses;
  CHECK(trainer.run([&](const models::StepReport& r) { losses.push_back(r.loss); }));
  REQUIRE(losses.size() == 24);
  CHECK(losses.back() < losses.front() - 1.0);
  CHECK(trainer.step() == 24);

  const std::vector<std::string> sentences = {"A man is riding a bike.",
                                              "Two dogs play in the snow."};
  models::Translator live(std::shared_ptr<models::Transformer>(&trainer.model(), [](auto*) {}),
                          trainer.tokenizers());
  const auto greedy = live.translate(sentences, {.beam_size = 1});
  const auto beam = live.translate(sentences, {.beam_size = 3});
  const auto reloaded = models::Translator::load(trainer.last_checkpoint());
  CHECK(reloaded.translate(sentences, {.beam_size = 1}) == greedy);
  CHECK(reloaded.translate(sentences, {.beam_size = 3}) == beam);

  // Continue the same run for 8 more steps from its last checkpoint.
  auto more = *config;
  more.resume = true;
  more.max_steps = 32;
  models::Trainer resumed(more);
  CHECK(resumed.step() == 24);
  CHECK(resumed.run());
  CHECK(resumed.step() == 32);
  std::filesystem::remove_all(config->out_dir);
}

TEST_CASE("trainer: bad input is a clear error") {
  auto config = small_run("errors");
  if (!config) {
    MESSAGE("skipped: ../shared/data/multi30k not found");
    return;
  }
  auto missing = *config;
  missing.data_dir = "/nonexistent/multi30k";
  CHECK_THROWS_CONTAINING(models::Trainer{missing}, "/nonexistent/multi30k");

  auto nothing = *config;
  nothing.resume = true;
  CHECK_THROWS_CONTAINING(models::Trainer{nothing}, "no ");

  auto tiny = *config;
  tiny.max_steps = 1;
  models::Trainer(tiny).run();
  auto other = tiny;
  other.resume = true;
  other.preset = "small";
  CHECK_THROWS_CONTAINING(models::Trainer{other}, "does not match");
  std::filesystem::remove_all(config->out_dir);
}
