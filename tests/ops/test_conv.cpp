#include "helpers.h"

using namespace ember;
using namespace ember::testing;

namespace {

struct ConvCase {
  Shape input, weight;
  Size2 stride = 1, padding = 0, dilation = 1;
  int64_t groups = 1;
  bool bias = true;
};

// Direct convolution, straight from the definition, in float64.
Tensor naive_conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias,
                    const ConvCase& c) {
  const int64_t n = input.size(0), ch = input.size(1), h = input.size(2), w = input.size(3);
  const int64_t o = weight.size(0), cg = weight.size(1), kh = weight.size(2), kw = weight.size(3);
  const int64_t og = o / c.groups;
  const int64_t oh = (h + 2 * c.padding.h - c.dilation.h * (kh - 1) - 1) / c.stride.h + 1;
  const int64_t ow = (w + 2 * c.padding.w - c.dilation.w * (kw - 1) - 1) / c.stride.w + 1;
  const auto x = input.to_vector<double>(), k = weight.to_vector<double>();
  const auto b = bias.defined() ? bias.to_vector<double>() : std::vector<double>(o, 0.0);
  std::vector<double> out(static_cast<size_t>(n * o * oh * ow));
  for (int64_t in = 0; in < n; ++in)
    for (int64_t oc = 0; oc < o; ++oc)
      for (int64_t y = 0; y < oh; ++y)
        for (int64_t xx = 0; xx < ow; ++xx) {
          double acc = b[oc];
          const int64_t group = oc / og;
          for (int64_t c2 = 0; c2 < cg; ++c2)
            for (int64_t i = 0; i < kh; ++i)
              for (int64_t j = 0; j < kw; ++j) {
                const int64_t iy = y * c.stride.h - c.padding.h + i * c.dilation.h;
                const int64_t ix = xx * c.stride.w - c.padding.w + j * c.dilation.w;
                if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                const int64_t ic = group * cg + c2;
                acc +=
                    x[((in * ch + ic) * h + iy) * w + ix] * k[((oc * cg + c2) * kh + i) * kw + j];
              }
          out[((in * o + oc) * oh + y) * ow + xx] = acc;
        }
  return tensor(out, {n, o, oh, ow});
}

const ConvCase kCases[] = {
    {{2, 3, 6, 5}, {4, 3, 3, 3}},
    {{2, 3, 7, 7}, {4, 3, 3, 3}, 2, 1},
    {{1, 2, 7, 6}, {3, 2, 3, 2}, {1, 2}, {2, 0}, {2, 1}},
    {{2, 4, 5, 5}, {6, 2, 3, 3}, 1, 1, 1, 2},
    {{2, 4, 5, 5}, {4, 1, 3, 3}, 1, 1, 1, 4, false},  // depthwise
    {{2, 4, 4, 3}, {5, 4, 1, 1}},                     // pointwise: no im2col
    {{1, 3, 8, 8}, {2, 3, 4, 4}, 4, 0, 1, 1, false},  // patch embedding
};

}  // namespace

TEST_CASE("conv2d: values against a direct convolution") {
  uint64_t seed = 1;
  for (const ConvCase& c : kCases) {
    CAPTURE(shape_str(c.input));
    CAPTURE(shape_str(c.weight));
    const auto x = leaf(c.input, seed++).detach(), w = leaf(c.weight, seed++).detach();
    const auto b = c.bias ? leaf({c.weight[0]}, seed++).detach() : Tensor();
    const auto y = conv2d(x, w, b, c.stride, c.padding, c.dilation, c.groups);
    CHECK_CLOSE(y, naive_conv2d(x, w, b, c));
    const auto y32 = conv2d(x.to(kFloat32), w.to(kFloat32), b.defined() ? b.to(kFloat32) : b,
                            c.stride, c.padding, c.dilation, c.groups);
    CHECK_CLOSE(y32, y.to(kFloat32), 1e-4, 1e-4);
  }
  // Unbatched input and a channels-last input viewed as NCHW.
  const auto x = leaf({3, 5, 5}, 40).detach(), w = leaf({2, 3, 3, 3}, 41).detach();
  CHECK_CLOSE(conv2d(x, w, {}, 1, 1), conv2d(x.unsqueeze(0), w, {}, 1, 1).squeeze(0));
  const auto nhwc = leaf({2, 5, 5, 3}, 42).detach();
  CHECK_CLOSE(conv2d(nhwc.permute({0, 3, 1, 2}), w),
              naive_conv2d(nhwc.permute({0, 3, 1, 2}).contiguous(), w, {}, {{}, {}}));
}

TEST_CASE("conv2d: gradients, fused and composite") {
  uint64_t seed = 100;
  for (const ConvCase& c : kCases) {
    CAPTURE(shape_str(c.input));
    CAPTURE(shape_str(c.weight));
    const auto x = leaf(c.input, seed++), w = leaf(c.weight, seed++);
    const auto b = c.bias ? leaf({c.weight[0]}, seed++) : Tensor();
    auto fn = [c](const TensorList& in) {
      return TensorList{conv2d(in[0], in[1], c.bias ? in[2] : Tensor(), c.stride, c.padding,
                               c.dilation, c.groups)};
    };
    TensorList inputs{x, w};
    if (c.bias) inputs.push_back(b);
    const auto r = gradcheck(fn, inputs);  // the fused backward (no create_graph)
    CHECK_MESSAGE(r.ok, r.message);

    // The fused kernels against the differentiable reference used under create_graph.
    const auto y = fn(inputs)[0];
    const auto dy = randn_like(y);
    const auto fused = grad({y}, inputs, {dy}, /*retain_graph=*/true);
    const auto composite = grad({y}, inputs, {dy}, true, /*create_graph=*/true);
    for (size_t i = 0; i < inputs.size(); ++i) CHECK_CLOSE(fused[i], composite[i].detach());
  }
  // Non-contiguous input, and second order.
  const auto nhwc = leaf({2, 4, 4, 2}, 200), w = leaf({3, 2, 3, 3}, 201), b = leaf({3}, 202);
  CHECK_GRAD(
      [](const TensorList& in) {
        return TensorList{conv2d(in[0].permute({0, 3, 1, 2}), in[1], in[2], 1, 1)};
      },
      nhwc, w, b);
  CHECK_GRADGRAD(
      [](const TensorList& in) { return TensorList{conv2d(in[0], in[1], in[2], 2, 1, 1, 1)}; },
      leaf({1, 2, 4, 4}, 203), leaf({2, 2, 2, 2}, 204), leaf({2}, 205));
  CHECK_GRADGRAD(
      [](const TensorList& in) { return TensorList{conv2d(in[0], in[1], {}, 1, 0, 1, 2)}; },
      leaf({1, 4, 3, 3}, 206), leaf({2, 2, 2, 2}, 207));
}

TEST_CASE("unfold and fold") {
  // One 3x3 channel, 2x2 blocks: 4 block positions, each column one block.
  const auto x = arange(9, kFloat64).reshape({1, 1, 3, 3});
  const auto cols = unfold(x, 2);
  CHECK(cols.sizes() == Shape{1, 4, 4});
  CHECK_CLOSE(cols[0], tensor(std::vector<double>{0, 1, 3, 4,   // kernel (0, 0)
                                                  1, 2, 4, 5,   // kernel (0, 1)
                                                  3, 4, 6, 7,   // kernel (1, 0)
                                                  4, 5, 7, 8},  // kernel (1, 1)
                              {4, 4}));
  // Padding brings zeros in; stride skips positions.
  const auto padded = unfold(x, 2, 1, 1, 2);  // 4x4 block positions -> 2x2
  CHECK_CLOSE(padded[0],
              tensor(std::vector<double>{0, 0, 0, 4, 0, 0, 3, 5, 0, 1, 0, 7, 0, 2, 6, 8}, {4, 4}));
  // fold adds overlapping blocks: the centre pixel is covered by all four.
  const auto counts = fold(unfold(ones({1, 1, 3, 3}, kFloat64), 2), {3, 3}, 2);
  CHECK_CLOSE(counts.reshape({9}), tensor({1.0, 2.0, 1.0, 2.0, 4.0, 2.0, 1.0, 2.0, 1.0}));
  // Non-overlapping blocks make fold the exact inverse.
  const auto img = leaf({2, 3, 4, 6}, 1).detach();
  CHECK_CLOSE(fold(unfold(img, {2, 3}, 1, 0, {2, 3}), {4, 6}, {2, 3}, 1, 0, {2, 3}), img);
  CHECK(unfold(img[0], 2).sizes() == Shape{12, 15});  // unbatched

  CHECK_GRAD(
      [](const TensorList& in) {
        return TensorList{unfold(in[0], {2, 3}, {1, 2}, 1, {2, 1})};
      },
      leaf({2, 2, 4, 5}, 2));
  CHECK_GRAD(
      [](const TensorList& in) {
        return TensorList{fold(in[0], {4, 5}, 2, 1, 1, 2)};
      },
      leaf({2, 8, 9}, 3));
  CHECK_GRADGRAD([](const TensorList& in) { return TensorList{unfold(in[0] * in[0], 2)}; },
                 leaf({1, 2, 3, 3}, 4));
}

TEST_CASE("conv2d: errors") {
  const auto x = ones({1, 4, 5, 5});
  CHECK_THROWS_CONTAINING(conv2d(x, ones({6, 2, 3, 3}), {}, 1, 0, 1, 3),
                          "conv2d: input channels (4) must be divisible by groups (3)");
  CHECK_THROWS_CONTAINING(
      conv2d(x, ones({5, 2, 3, 3}), {}, 1, 0, 1, 2),
      "output channels (5, weight of shape [5,2,3,3]) must be divisible by groups (2)");
  CHECK_THROWS_CONTAINING(conv2d(x, ones({6, 3, 3, 3})),
                          "weight of shape [6,3,3,3] expects 3 input channels");
  CHECK_THROWS_CONTAINING(
      conv2d(x, ones({2, 4, 7, 3})),
      "the kernel 7x3 (spanning 7x3 with dilation) is larger than the padded input 5x5");
  CHECK_THROWS_CONTAINING(conv2d(x, ones({2, 4, 3, 3}), {}, 1, 0, 3), "spanning 7x7 with dilation");
  CHECK_THROWS_CONTAINING(conv2d(x, ones({2, 4, 3, 3}), {}, 0), "stride must be positive");
  CHECK_THROWS_CONTAINING(conv2d(x, ones({2, 4, 3, 3}), {}, 1, -1), "padding must be non-negative");
  CHECK_THROWS_CONTAINING(conv2d(x, ones({2, 4, 3, 3}), ones({3})),
                          "bias of shape [3] does not match");
  CHECK_THROWS_CONTAINING(conv2d(ones({4, 5}), ones({2, 4, 3, 3})), "expected input [N, C, H, W]");
  CHECK_THROWS_CONTAINING(conv2d(x, ones({2, 4, 3, 3}, kFloat64)), "input is float32");
  CHECK_THROWS_CONTAINING(conv2d(x, ones({2, 4, 3, 3}), {}, 1, 0, 1, 0),
                          "groups must be at least 1");
  CHECK_THROWS_CONTAINING(fold(ones({1, 8, 5}), {3, 3}, 2), "have 5 blocks");
  CHECK_THROWS_CONTAINING(fold(ones({1, 7, 4}), {3, 3}, 2),
                          "must be a multiple of the kernel size");
  CHECK_THROWS_CONTAINING(unfold(ones({2, 2}), 2), "unfold: expected input");
}
