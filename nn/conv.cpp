#include "ember/nn/conv.h"

#include <cmath>

#include "ember/nn/init.h"

namespace ember::nn {

Conv2d::Conv2d(Conv2dOptions opts) : Module("Conv2d"), options(opts) {
  const auto& o = options;
  EMBER_CHECK(o.in_channels > 0 && o.out_channels > 0 && o.groups > 0 &&
                  o.in_channels % o.groups == 0 && o.out_channels % o.groups == 0,
              "Conv2d: channels in={} out={} must be positive multiples of groups={}",
              o.in_channels, o.out_channels, o.groups);
  EMBER_CHECK(o.kernel_size.h > 0 && o.kernel_size.w > 0, "Conv2d: kernel size must be positive");
  Tensor w = empty({o.out_channels, o.in_channels / o.groups, o.kernel_size.h, o.kernel_size.w});
  const double bound = 1.0 / std::sqrt(static_cast<double>(init::fans(w).first));
  init::uniform_(w, -bound, bound);
  weight = register_parameter("weight", w);
  if (o.bias) {
    Tensor b = empty({o.out_channels});
    init::uniform_(b, -bound, bound);
    bias = register_parameter("bias", b);
  }
}

Tensor Conv2d::forward(const Tensor& x) const {
  return conv2d(x, weight, bias, options.stride, options.padding, options.dilation, options.groups);
}

std::string Conv2d::extra_repr() const {
  const auto& o = options;
  return fmt::format("{}, {}, kernel_size=({}, {}), stride=({}, {}), padding=({}, {}), groups={}",
                     o.in_channels, o.out_channels, o.kernel_size.h, o.kernel_size.w, o.stride.h,
                     o.stride.w, o.padding.h, o.padding.w, o.groups);
}

PatchEmbedding::PatchEmbedding(int64_t in_channels, int64_t embed_dim, int64_t patch)
    : Module("PatchEmbedding"), patch_size(patch) {
  EMBER_CHECK(patch > 0, "PatchEmbedding: patch size must be positive, got {}", patch);
  proj = register_module("proj", std::make_shared<Conv2d>(Conv2dOptions{
                                     .in_channels = in_channels,
                                     .out_channels = embed_dim,
                                     .kernel_size = patch,
                                     .stride = patch,
                                 }));
}

Tensor PatchEmbedding::forward(const Tensor& images) const {
  check_defined("PatchEmbedding", images);
  EMBER_CHECK(images.dim() == 4 && images.size(1) == proj->options.in_channels &&
                  images.size(2) % patch_size == 0 && images.size(3) % patch_size == 0,
              "PatchEmbedding: expected images [N, {}, H, W] with H and W multiples of {}, got "
              "shape {}",
              proj->options.in_channels, patch_size, shape_str(images.sizes()));
  // [N, D, H/p, W/p] -> [N, (H/p)(W/p), D]
  return proj->forward(images).flatten(2).transpose(1, 2);
}

std::string PatchEmbedding::extra_repr() const {
  return fmt::format("patch_size={}", patch_size);
}

}  // namespace ember::nn
