#pragma once
// Parameter initialisers, in place and without recording a graph (as torch.nn.init). Each takes
// an optional Generator; by default the global one (ember::manual_seed) makes them reproducible.
#include "ember/core/generator.h"
#include "ember/core/tensor.h"

namespace ember::nn::init {

enum class Nonlinearity { Linear, ReLU, LeakyReLU, Tanh, Sigmoid };
// The recommended gain for a nonlinearity (torch.nn.init.calculate_gain).
double gain(Nonlinearity nonlinearity, double negative_slope = 0.01);
// (fan_in, fan_out) of a weight: [out, in] for linear, [out, in, k...] for convolutions.
std::pair<int64_t, int64_t> fans(const Tensor& weight);

enum class FanMode { FanIn, FanOut };

Tensor& uniform_(Tensor& t, double low = 0, double high = 1, Generator* gen = nullptr);
Tensor& normal_(Tensor& t, double mean = 0, double std = 1, Generator* gen = nullptr);
// Normal(mean, std) restricted to [a, b] (inverse-CDF sampling, no rejection loop).
Tensor& trunc_normal_(Tensor& t, double mean = 0, double std = 1, double a = -2, double b = 2,
                      Generator* gen = nullptr);
Tensor& constant_(Tensor& t, double value);
Tensor& zeros_(Tensor& t);
Tensor& ones_(Tensor& t);
Tensor& xavier_uniform_(Tensor& t, double gain = 1, Generator* gen = nullptr);
Tensor& xavier_normal_(Tensor& t, double gain = 1, Generator* gen = nullptr);
Tensor& kaiming_uniform_(Tensor& t, double a = 0, FanMode mode = FanMode::FanIn,
                         Nonlinearity nonlinearity = Nonlinearity::LeakyReLU,
                         Generator* gen = nullptr);
Tensor& kaiming_normal_(Tensor& t, double a = 0, FanMode mode = FanMode::FanIn,
                        Nonlinearity nonlinearity = Nonlinearity::LeakyReLU,
                        Generator* gen = nullptr);

}  // namespace ember::nn::init
