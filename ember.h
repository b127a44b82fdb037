#pragma once
// ember: the whole public API in one include.
//
//   #include <ember/ember.h>
//   auto x = ember::tensor({1.0, 2.0, 3.0}).requires_grad_();
//   auto y = (x * x).sum();
//   y.backward();
//   fmt::print("{}\n", x.grad());  // tensor([2., 4., 6.], dtype=float64)
#include "ember/core/autograd.h"
#include "ember/core/device.h"
#include "ember/core/dtype.h"
#include "ember/core/error.h"
#include "ember/core/function.h"
#include "ember/core/generator.h"
#include "ember/core/grad_mode.h"
#include "ember/core/graph_dot.h"
#include "ember/core/shape.h"
#include "ember/core/tensor.h"
#include "ember/ops/conv.h"
#include "ember/ops/convert.h"
#include "ember/ops/cpu/parallel.h"
#include "ember/ops/dropout.h"
#include "ember/ops/elementwise.h"
#include "ember/ops/factory.h"
#include "ember/ops/gradcheck.h"
#include "ember/ops/index.h"
#include "ember/ops/join.h"
#include "ember/ops/layer_norm.h"
#include "ember/ops/linalg.h"
#include "ember/ops/loss.h"
#include "ember/ops/rearrange.h"
#include "ember/ops/reduce.h"
#include "ember/ops/shape.h"
#include "ember/ops/softmax.h"
#include "ember/optim/adam.h"
#include "ember/optim/clip_grad.h"
#include "ember/optim/optimizer.h"
#include "ember/optim/scheduler.h"
#include "ember/optim/sgd.h"
