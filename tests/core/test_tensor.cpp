// The Tensor handle: conversions, dtype promotion, in-place ops and versions, views and reshape.
#include "helpers.h"

using namespace ember;
using namespace ember::testing;

namespace {
bool shares_storage(const Tensor& a, const Tensor& b) {
  return a.storage() == b.storage();
}
}  // namespace

TEST_CASE("tensor from host data") {
  auto a = tensor(std::vector<float>{1, 2, 3, 4, 5, 6}, {2, 3});
  CHECK(a.sizes() == Shape{2, 3});
  CHECK(a.dtype() == kFloat32);
  CHECK(a.to_vector<float>() == std::vector<float>{1, 2, 3, 4, 5, 6});
  CHECK(tensor({1, 2, 3}).dtype() == kInt64);
  CHECK(tensor({1.0, 2.0}).dtype() == kFloat64);
  CHECK(tensor({true, false}).dtype() == kBool);
  CHECK(tensor(std::vector<double>{1.5, 2.5}, {2}, kFloat32).dtype() == kFloat32);
  CHECK_THROWS_CONTAINING(tensor(std::vector<float>{1, 2, 3, 4, 5}, {2, 3}),
                          "tensor: 5 values cannot fill shape [2,3] (6 elements)");
  CHECK_THROWS_CONTAINING(
      tensor(std::vector<double>{1}, {}, kFloat64).requires_grad_().add_(tensor({1.0})),
      "leaf tensor that requires grad");
}

TEST_CASE("conversions: to(dtype), clone, detach, item, to_vector") {
  auto x = tensor({-2.7, -0.5, 0.0, 1.5, 2.7});
  CHECK(x.to(kInt64).to_vector<int64_t>() == std::vector<int64_t>{-2, 0, 0, 1, 2});  // truncates
  CHECK(x.to(kBool).to_vector<bool>() == std::vector<bool>{true, true, false, true, true});
  CHECK(x.to(kFloat32).dtype() == kFloat32);
  CHECK(x.to(kFloat32).to_vector<float>()[3] == 1.5f);
  CHECK(tensor({true, false}).to(kFloat32).to_vector<float>() == std::vector<float>{1, 0});
  CHECK(x.to(kFloat64).is_same(x));  // no copy when nothing changes

  auto m = arange(6, kFloat32).reshape({2, 3});
  auto c = m.t().clone();
  CHECK(c.is_contiguous());
  CHECK_FALSE(shares_storage(c, m));
  CHECK(c.to_vector<float>() == std::vector<float>{0, 3, 1, 4, 2, 5});
  CHECK(m.t().to_vector<float>() == c.to_vector<float>());  // row-major order of the view

  auto w = tensor({1.0, 2.0}).requires_grad_();
  auto y = w * 2.0;
  auto d = y.detach();
  CHECK(shares_storage(d, y));
  CHECK_FALSE(d.requires_grad());
  CHECK(d.is_leaf());
  CHECK(y.requires_grad());
  auto yc = y.clone();  // clone is differentiable
  REQUIRE(yc.grad_fn());
  CHECK(yc.grad_fn()->name() == "clone");

  CHECK(scalar_tensor(3.25, kFloat64).item() == 3.25);
  CHECK(tensor({7}).item<int64_t>() == 7);
  CHECK(ones({1, 1}).item<float>() == 1.f);
  CHECK_THROWS_CONTAINING(tensor({1.0, 2.0}).item(),
                          "item: expected a tensor with one element, got shape [2]");
  CHECK_THROWS_CONTAINING(tensor({1.0}).data_ptr<float>(),
                          "data_ptr<float32>: the tensor is float64");
  CHECK_THROWS_CONTAINING(Tensor().sizes(), "undefined tensor");
  CHECK_THROWS_CONTAINING(tensor({1, 2}).requires_grad_(), "only floating-point tensors");
}

TEST_CASE("describe names dtype, shape and device") {
  CHECK(zeros({2, 3}).describe() == "float32 tensor of shape [2,3] on cpu");
  CHECK(Tensor().describe() == "undefined tensor");
}

TEST_CASE("dtype promotion: bool < int64 < float32 < float64") {
  static_assert(promote(kInt64, kFloat32) == kFloat32);
  static_assert(promote(kFloat64, kFloat32) == kFloat64);
  static_assert(promote(kBool, kInt64) == kInt64);
  auto i = tensor({1, 2});
  auto f = tensor({0.5f, 0.5f});
  auto d = tensor({0.25, 0.25});
  auto b = tensor({true, false});
  CHECK((i + f).dtype() == kFloat32);
  CHECK((i + f).to_vector<float>() == std::vector<float>{1.5f, 2.5f});
  CHECK((f + d).dtype() == kFloat64);
  CHECK((b + i).dtype() == kInt64);
  CHECK((b + i).to_vector<int64_t>() == std::vector<int64_t>{2, 2});
  CHECK((i * 2).dtype() == kInt64);      // a whole Scalar keeps the tensor's dtype
  CHECK((i * 2.5).dtype() == kFloat32);  // a fractional one needs a float
  CHECK((f * 2.0).dtype() == kFloat32);  // a Scalar never widens float32 to float64
  CHECK((i / i).dtype() == kFloat32);    // true division
  CHECK((i / tensor({4, 4})).to_vector<float>() == std::vector<float>{0.25f, 0.5f});
  CHECK(i.lt(f).dtype() == kBool);
}

TEST_CASE("in-place ops bump the version counter, shared by views") {
  auto x = zeros({2, 3});
  auto view = x.slice(1, 0, 2);
  uint64_t v = x.version();
  auto bumped = [&] {
    const bool ok = x.version() == v + 1 && view.version() == x.version();
    v = x.version();
    return ok;
  };
  x.add_(ones({3}));
  CHECK(bumped());
  x.mul_(full({2, 3}, 3.0));
  CHECK(bumped());
  x.mul_(2.0);
  CHECK(bumped());
  x.sub_(ones({1}), 2.0);
  CHECK(bumped());
  x.div_(full({1}, 2.0));
  CHECK(bumped());
  CHECK(x.to_vector<float>() == std::vector<float>(6, 2.f));
  x.zero_();
  CHECK(bumped());
  x.fill_(4);
  CHECK(bumped());
  x.copy_(arange(6, kFloat32).reshape({2, 3}));
  CHECK(bumped());
  x.masked_fill_(x.gt(scalar_tensor(2.5)), -1);
  CHECK(bumped());
  CHECK(x.to_vector<float>() == std::vector<float>{0, 1, 2, -1, -1, -1});
  view.fill_(9);  // through the view, seen by the base
  CHECK(bumped());
  CHECK(x.to_vector<float>() == std::vector<float>{9, 9, 2, 9, 9, -1});
  CHECK(x.storage()->last_writer() == "fill_");
  auto other = x.clone();
  CHECK(other.version() == 0);  // a copy has storage (and a version) of its own
}

TEST_CASE("copy_ broadcasts and converts dtypes") {
  auto dst = zeros({2, 3});
  dst.copy_(tensor({1.0, 2.0, 3.0}));  // float64 row into every float32 row
  CHECK(dst.dtype() == kFloat32);
  CHECK(dst.to_vector<float>() == std::vector<float>{1, 2, 3, 1, 2, 3});
  dst.copy_(tensor(std::vector<int64_t>{7, 8}, {2, 1}));
  CHECK(dst.to_vector<float>() == std::vector<float>{7, 7, 7, 8, 8, 8});
  auto col = zeros({3, 2}).t();  // a non-contiguous destination
  col.copy_(arange(6, kFloat32).reshape({2, 3}));
  CHECK(col.to_vector<float>() == std::vector<float>{0, 1, 2, 3, 4, 5});
  CHECK_THROWS_CONTAINING(dst.copy_(zeros({4})), "copy_");
  CHECK_THROWS_CONTAINING(zeros({3}).copy_(zeros({2, 3})), "does not broadcast");
  CHECK_THROWS_CONTAINING(tensor({1, 2}).add_(tensor({0.5f, 0.5f})),
                          "add_: the result type float32 cannot be written into the int64 tensor");
  CHECK_THROWS_CONTAINING(zeros({3}).add_(zeros({2, 3})), "add_");
}

TEST_CASE("copy_ into a tensor in the graph is differentiable") {
  auto src = tensor({1.0, 2.0, 3.0}).requires_grad_();
  auto dst = zeros({2, 3}, kFloat64);
  dst.copy_(src * 2.0);
  REQUIRE(dst.requires_grad());
  (dst * dst).sum().backward();  // d/dsrc sum_rows (2 src)^2 = 2 * 2 * 4 src
  CHECK_CLOSE(src.grad(), tensor({16.0, 32.0, 48.0}));
}

TEST_CASE("views share storage; reshape copies only when it must") {
  auto base = arange(12, kFloat32);
  auto m = base.reshape({3, 4});
  CHECK(shares_storage(m, base));
  CHECK(m.view({2, 6}).strides() == Shape{6, 1});
  CHECK(shares_storage(m.view({-1}), base));
  CHECK(shares_storage(m.t(), base));
  CHECK(shares_storage(m.unsqueeze(0).reshape({3, 4}), base));
  CHECK(shares_storage(m.slice(0, 1, 3).reshape({8}), base));  // whole rows stay contiguous
  CHECK(shares_storage(m.t().reshape({4, 3}), base));          // same shape: no copy needed
  CHECK(shares_storage(m.t().reshape({2, 2, 3}), base));       // splitting a dim is fine
  CHECK(shares_storage(m.reshape({3, 2, 2}).permute({1, 0, 2}).reshape({2, 3, 2}), base));

  auto flat = m.t().reshape({12});  // merging transposed dims needs a copy
  CHECK_FALSE(shares_storage(flat, base));
  CHECK(flat.to_vector<float>() == std::vector<float>{0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11});
  CHECK(shares_storage(m.slice(1, 0, 4, 2).reshape({6}), base));  // one stride of 2 throughout
  CHECK_FALSE(shares_storage(m.slice(1, 0, 3).reshape({9}), base));
  auto expanded = ones({3, 1}).expand({3, 4});
  CHECK(expanded.stride(1) == 0);
  CHECK(shares_storage(expanded.reshape({3, 4}), expanded));
  CHECK_FALSE(shares_storage(expanded.reshape({12}), expanded));

  CHECK_THROWS_CONTAINING(m.t().view({12}), "view: shape [12] is not compatible");
  CHECK_THROWS_CONTAINING(m.reshape({5, -1}),
                          "reshape: shape [5,-1] is invalid for an input of shape [3,4]");
  CHECK_THROWS_CONTAINING(m.reshape({-1, -1}), "only one dimension can be -1");
  CHECK_THROWS_CONTAINING(m.view({5, 2}), "view: shape [5,2] is invalid");

  // Writing through a view changes the base; a reshape that copied does not.
  m.t().select(0, 1).fill_(100);  // column 1 of m
  CHECK(base.to_vector<float>()[5] == 100);
  flat.fill_(-1);
  CHECK(base.to_vector<float>()[0] == 0);
}

TEST_CASE("view ops: sizes, strides and errors") {
  auto x = arange(24, kFloat32).reshape({2, 3, 4});
  CHECK(x.transpose(0, 2).sizes() == Shape{4, 3, 2});
  CHECK(x.transpose(0, 2).strides() == Shape{1, 4, 12});
  CHECK(x.permute({2, 0, 1}).sizes() == Shape{4, 2, 3});
  CHECK(x.narrow(2, 1, 2).sizes() == Shape{2, 3, 2});
  CHECK(x.narrow(2, 1, 2).storage_offset() == 1);
  CHECK(x.select(1, -1).to_vector<float>() == std::vector<float>{8, 9, 10, 11, 20, 21, 22, 23});
  CHECK(x[1][2].to_vector<float>() == std::vector<float>{20, 21, 22, 23});
  CHECK(x.slice(2, 0, 4, 3).to_vector<float>() ==
        std::vector<float>{0, 3, 4, 7, 8, 11, 12, 15, 16, 19, 20, 23});
  CHECK(x.slice(0, -1, 100).sizes() == Shape{1, 3, 4});  // clamped like Python
  CHECK(x.flatten().sizes() == Shape{24});
  CHECK(x.flatten(1).sizes() == Shape{2, 12});
  CHECK(x.unflatten(2, {2, 2}).sizes() == Shape{2, 3, 2, 2});
  CHECK(x.unsqueeze(-1).sizes() == Shape{2, 3, 4, 1});
  CHECK(x.unsqueeze(1).squeeze(1).sizes() == x.sizes());
  CHECK(ones({1, 3, 1}).squeeze().sizes() == Shape{3});

  CHECK_THROWS_CONTAINING(x.t(), "t: expected a tensor with at most 2 dims, got shape [2,3,4]");
  CHECK_THROWS_CONTAINING(x.transpose(0, 3), "transpose: dim 3 is out of range for a 3-d tensor");
  CHECK_THROWS_CONTAINING(x.permute({0, 0, 1}), "permute: dim 0 repeats");
  CHECK_THROWS_CONTAINING(x.permute({0, 1}), "permute: got 2 dims");
  CHECK_THROWS_CONTAINING(x.select(1, 3), "select: index 3 is out of bounds for dim 1 of size 3");
  CHECK_THROWS_CONTAINING(x.narrow(2, 3, 2), "narrow: range [3, 5) is out of bounds");
  CHECK_THROWS_CONTAINING(x.slice(0, 0, 2, 0), "slice: step must be positive");
  CHECK_THROWS_CONTAINING(x.expand({2, 5, 4}), "expand: the size of dim 1 (3) must match 5");
  CHECK_THROWS_CONTAINING(x.expand({3, 4}), "expand: cannot expand shape [2,3,4] to fewer dims");
  CHECK_THROWS_CONTAINING(x.flatten(2, 1), "flatten: start_dim 2 comes after end_dim 1");
  CHECK_THROWS_CONTAINING(scalar_tensor(1.0).select(0, 0),
                          "select: cannot index into a 0-d tensor");
}
