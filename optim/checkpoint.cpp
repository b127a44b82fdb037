#include "ember/optim/checkpoint.h"

#include <bit>

#include "ember/core/safetensors.h"
#include "ember/ops/factory.h"

namespace ember::optim {

namespace {

constexpr const char* kFormat = "ember-checkpoint-1";

int64_t read_int(const std::map<std::string, Tensor>& t, const std::string& key,
                 const std::string& path) {
  auto it = t.find(key);
  EMBER_CHECK(it != t.end(), "load_checkpoint: {} has no '{}' entry", path, key);
  EMBER_CHECK(it->second.dtype() == kInt64 && it->second.numel() == 1,
              "load_checkpoint: {}: '{}' must be one int64, got {}", path, key,
              it->second.describe());
  return it->second.item<int64_t>();
}

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace

void save_checkpoint(const std::string& path, const Checkpoint& ck) {
  std::map<std::string, Tensor> tensors;
  for (const auto& [k, v] : ck.model) tensors["model." + k] = v;
  for (const auto& [k, v] : ck.optimizer) tensors["optimizer." + k] = v;
  for (const auto& [k, v] : ck.scheduler) tensors["scheduler." + k] = scalar_tensor(v, kFloat64);
  // uint64 RNG words are stored bit-for-bit in int64 tensors.
  tensors["rng.seed"] = tensor({std::bit_cast<int64_t>(ck.rng.first)}).view({});
  tensors["rng.offset"] = tensor({std::bit_cast<int64_t>(ck.rng.second)}).view({});
  tensors["step"] = tensor({ck.step}).view({});
  tensors["epoch"] = tensor({ck.epoch}).view({});
  std::map<std::string, std::string> metadata = ck.metadata;
  metadata["format"] = kFormat;
  save_safetensors(path, tensors, metadata);
}

Checkpoint load_checkpoint(const std::string& path) {
  SafetensorsFile file = load_safetensors(path);
  auto format = file.metadata.find("format");
  EMBER_CHECK(format != file.metadata.end() && format->second == kFormat,
              "load_checkpoint: {} is not an ember training checkpoint (metadata format is '{}', "
              "expected '{}'); use load_safetensors() for plain weight files",
              path, format == file.metadata.end() ? "" : format->second, kFormat);
  Checkpoint ck;
  for (const auto& [key, t] : file.tensors) {
    if (starts_with(key, "model.")) {
      ck.model[key.substr(6)] = t;
    } else if (starts_with(key, "optimizer.")) {
      ck.optimizer[key.substr(10)] = t;
    } else if (starts_with(key, "scheduler.")) {
      EMBER_CHECK(t.numel() == 1 && t.dtype() == kFloat64,
                  "load_checkpoint: {}: '{}' must be one float64, got {}", path, key, t.describe());
      ck.scheduler[key.substr(10)] = t.item<double>();
    } else if (key != "rng.seed" && key != "rng.offset" && key != "step" && key != "epoch") {
      fail("load_checkpoint: {}: unexpected entry '{}'", path, key);
    }
  }
  ck.rng = {std::bit_cast<uint64_t>(read_int(file.tensors, "rng.seed", path)),
            std::bit_cast<uint64_t>(read_int(file.tensors, "rng.offset", path))};
  ck.step = read_int(file.tensors, "step", path);
  ck.epoch = read_int(file.tensors, "epoch", path);
  ck.metadata = std::move(file.metadata);
  ck.metadata.erase("format");
  return ck;
}

}  // namespace ember::optim
