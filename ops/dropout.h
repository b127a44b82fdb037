#pragma once
// Inverted dropout: during training each element is zeroed with probability p and the survivors
// are scaled by 1 / (1 - p), so the expected value is unchanged and evaluation needs no rescaling.
//
//   auto h = ember::dropout(x, 0.1, module.is_training());
//
// Returns x itself when !training or p == 0, and zeros when p == 1. The mask comes from the
// generator's counter-based stream (the default generator unless `gen` is given): the same seed
// gives the same mask at any thread count. The gradient is g * mask / (1 - p); the mask is
// recomputed from the stream position in backward rather than stored.
#include "ember/core/generator.h"
#include "ember/core/tensor.h"

namespace ember {

Tensor dropout(const Tensor& x, double p, bool training, Generator* gen = nullptr);

}  // namespace ember
