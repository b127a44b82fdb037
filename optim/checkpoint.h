#pragma once
// Training checkpoints: everything needed to resume a run exactly where it stopped, in one
// safetensors file (so the weights inside are readable by any safetensors tool):
//   model.<name>        parameters and buffers
//   optimizer.<key>     Optimizer::state_dict()
//   scheduler.<key>     a scheduler's state_dict() (0-d float64)
//   rng.seed, rng.offset, step, epoch   (0-d int64)
//   metadata: "format" = "ember-checkpoint-1" plus the caller's entries (e.g. the model config).
//
//   optim::Checkpoint ck{.model = model.state_dict(), .optimizer = opt.state_dict(),
//                        .scheduler = sched.state_dict(), .rng = default_generator().get_state(),
//                        .step = step};
//   optim::save_checkpoint("last.safetensors", ck);      // atomic: temp file, fsync, rename
//   auto back = optim::load_checkpoint("last.safetensors");
//   model.load_state_dict(back.model); opt.load_state_dict(back.optimizer); ...
#include <map>
#include <string>

#include "ember/nn/module.h"
#include "ember/optim/scheduler.h"

namespace ember::optim {

struct Checkpoint {
  nn::StateDict model;
  nn::StateDict optimizer;
  SchedulerState scheduler;
  std::pair<uint64_t, uint64_t> rng{0, 0};  // Generator::get_state()
  int64_t step = 0;
  int64_t epoch = 0;
  std::map<std::string, std::string> metadata;
};

void save_checkpoint(const std::string& path, const Checkpoint& checkpoint);
// Validates the file (see load_safetensors) and that it is an ember checkpoint.
Checkpoint load_checkpoint(const std::string& path);

}  // namespace ember::optim
