#pragma once
// Conv2d over [N, C, H, W] (weights [out, in/groups, kh, kw], PyTorch's layout), and the patch
// embedding of vision transformers: a convolution with stride = kernel = patch size, flattened
// to a sequence of patch vectors.
#include "ember/nn/module.h"
#include "ember/ops/conv.h"

namespace ember::nn {

struct Conv2dOptions {
  int64_t in_channels = 0, out_channels = 0;
  Size2 kernel_size = 1, stride = 1, padding = 0, dilation = 1;
  int64_t groups = 1;
  bool bias = true;
};

class Conv2d : public Module {
 public:
  // Initialised as PyTorch does: W, b ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
  explicit Conv2d(Conv2dOptions options);
  Tensor forward(const Tensor& x) const;
  std::string extra_repr() const override;

  Conv2dOptions options;
  Tensor weight, bias;
};

class PatchEmbedding : public Module {
 public:
  PatchEmbedding(int64_t in_channels, int64_t embed_dim, int64_t patch_size);
  // [N, C, H, W] -> [N, (H/p)(W/p), embed_dim]; H and W must be multiples of the patch size.
  Tensor forward(const Tensor& images) const;
  std::string extra_repr() const override;

  int64_t patch_size;
  std::shared_ptr<Conv2d> proj;
};

}  // namespace ember::nn
