#include "ember/ops/cpu/reduce.h"

#include "ember/ops/shape.h"

namespace ember::cpu {

ReductionPlan plan_reduction(const Tensor& input, const std::vector<bool>& reduced) {
  const Tensor x = input.detach();  // a kernel detail: never recorded in the graph
  const int64_t nd = x.dim();
  // Is the reduced set one consecutive block (ignoring size-1 dims)?
  int64_t first = -1, last = -1;
  bool consecutive = true;
  for (int64_t d = 0; d < nd; ++d) {
    if (!reduced[d] || x.size(d) == 1) continue;
    if (first < 0)
      first = d;
    else if (last != d - 1) {
      for (int64_t k = last + 1; k < d; ++k)
        if (x.size(k) != 1) consecutive = false;
    }
    last = d;
  }
  ReductionPlan plan;
  if (first < 0) {  // nothing of size > 1 to reduce
    plan.input = contiguous(x);
    plan.outer = x.numel();
    return plan;
  }
  if (consecutive) {
    plan.input = contiguous(x);
    for (int64_t d = 0; d < first; ++d) plan.outer *= x.size(d);
    for (int64_t d = first; d <= last; ++d) plan.size *= x.size(d);
    for (int64_t d = last + 1; d < nd; ++d) plan.inner *= x.size(d);
    return plan;
  }
  // Move the reduced dims last and copy.
  Shape order;
  for (int64_t d = 0; d < nd; ++d)
    if (!reduced[d]) order.push_back(d);
  for (int64_t d = 0; d < nd; ++d)
    if (reduced[d]) {
      order.push_back(d);
      plan.size *= x.size(d);
    }
  plan.input = contiguous(permute(x, order));
  plan.outer = plan.size == 0 ? 0 : x.numel() / plan.size;
  if (plan.size == 0) {
    plan.outer = 1;
    for (int64_t d = 0; d < nd; ++d)
      if (!reduced[d]) plan.outer *= x.size(d);
  }
  return plan;
}

}  // namespace ember::cpu
