// Tensor::str(): PyTorch-like printouts.
#include "helpers.h"

using namespace ember;

TEST_CASE("str: small tensors of each dtype") {
  CHECK(tensor({1.0f, 2.5f, -3.f}).str() == "tensor([ 1.0000,  2.5000, -3.0000])");
  CHECK(tensor({1.0f, 2.f, -3.f}).str() == "tensor([ 1.,  2., -3.])");
  CHECK(tensor({0.5, 2.0}).str() == "tensor([0.5000, 2.0000], dtype=float64)");
  CHECK(arange(6).reshape({2, 3}).str() ==
        "tensor([[0, 1, 2],\n"
        "        [3, 4, 5]])");
  CHECK(tensor({true, false}).str() == "tensor([ true, false])");
  CHECK(scalar_tensor(3.5).str() == "tensor(3.5000)");
  CHECK(scalar_tensor(2, kInt64).str() == "tensor(2)");
  CHECK(zeros({0}).str() == "tensor([])");
  CHECK(zeros({2, 0}, kFloat64).str() == "tensor([], size=[2,0], dtype=float64)");
  CHECK(Tensor().str() == "tensor(undefined)");
}

TEST_CASE("str: one format for the whole tensor") {
  CHECK(tensor({1e-6, 0.5}).str() == "tensor([1.0000e-06, 5.0000e-01], dtype=float64)");
  CHECK(tensor({1.5f, 2e9f}).str() == "tensor([1.5000e+00, 2.0000e+09])");
  CHECK(tensor({1.5f, 2000.f}).str() == "tensor([1.5000e+00, 2.0000e+03])");  // range > 1000
  CHECK(tensor({1.f, 10000.f}).str() == "tensor([    1., 10000.])");          // whole numbers
  CHECK(tensor(std::vector<double>{std::nan(""), INFINITY, -INFINITY, 0.5}).str() ==
        "tensor([   nan,    inf,   -inf, 0.5000], dtype=float64)");
}

TEST_CASE("str: nested dims, non-contiguous views") {
  CHECK((arange(8, kFloat32).reshape({2, 2, 2}) / 4.0).str() ==
        "tensor([[[0.0000, 0.2500],\n"
        "         [0.5000, 0.7500]],\n"
        "\n"
        "        [[1.0000, 1.2500],\n"
        "         [1.5000, 1.7500]]])");
  CHECK(arange(6).reshape({2, 3}).t().str() ==
        "tensor([[0, 3],\n"
        "        [1, 4],\n"
        "        [2, 5]])");
  CHECK(arange(12).reshape({3, 4}).slice(1, 1, 3).str() ==
        "tensor([[ 1,  2],\n"
        "        [ 5,  6],\n"
        "        [ 9, 10]])");
  CHECK(ones({2}).expand({2, 2}).str() == "tensor([[1., 1.],\n        [1., 1.]])");
}

TEST_CASE("str: long rows wrap at 80 columns") {
  const std::string s = arange(30).str();
  CHECK(s ==
        "tensor([ 0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14, 15, 16, 17,\n"
        "        18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29])");
}

TEST_CASE("str: big tensors are summarised with ...") {
  CHECK(arange(2000).str() == "tensor([   0,    1,    2, ..., 1997, 1998, 1999])");
  CHECK(arange(2000, kFloat64).reshape({40, 50}).str() ==
        "tensor([[   0.,    1.,    2., ...,   47.,   48.,   49.],\n"
        "        [  50.,   51.,   52., ...,   97.,   98.,   99.],\n"
        "        [ 100.,  101.,  102., ...,  147.,  148.,  149.],\n"
        "        ...,\n"
        "        [1850., 1851., 1852., ..., 1897., 1898., 1899.],\n"
        "        [1900., 1901., 1902., ..., 1947., 1948., 1949.],\n"
        "        [1950., 1951., 1952., ..., 1997., 1998., 1999.]], dtype=float64)");
  const std::string cube = arange(2000).reshape({20, 10, 10}).str();
  CHECK(cube.find("]],\n\n        ...,\n\n        [[1700") != std::string::npos);
  CHECK(cube.size() < 2500);                                   // only the edges are printed
  CHECK(arange(1000).str().find("...") == std::string::npos);  // up to 1000 in full
}

TEST_CASE("str: autograd state") {
  auto x = tensor({1.0, 2.0}).requires_grad_();
  CHECK(x.str() == "tensor([1., 2.], dtype=float64, requires_grad=true)");
  CHECK((x * 2.0).str() == "tensor([2., 4.], dtype=float64, grad_fn=<mul>)");
  CHECK(x.detach().str() == "tensor([1., 2.], dtype=float64)");
  CHECK(fmt::format("{}", ones({1})) == "tensor([1.])");
}
