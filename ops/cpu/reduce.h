#pragma once
// Reductions over any set of dims. The input is arranged (copying only when needed) so that
// the reduced dims form one block of a contiguous tensor, seen as [outer, size, inner]:
// out[o, i] = reduce over r of in[o, r, i]. inner == 1 is a row reduction (contiguous, the
// common case: softmax, layer norm, sum(-1)); inner > 1 reduces whole rows at once (sum over
// the batch for a bias gradient) and stays vectorised along inner.
#include <vector>

#include "ember/core/tensor.h"
#include "ember/ops/cpu/parallel.h"

namespace ember::cpu {

struct ReductionPlan {
  Tensor input;  // contiguous
  int64_t outer = 1, size = 1, inner = 1;
};

// `reduced[d]` says whether dim d is reduced.
ReductionPlan plan_reduction(const Tensor& x, const std::vector<bool>& reduced);

// Generic reduction with an accumulator per output: Op provides
//   Acc init() const; Acc step(Acc, T) const; T finish(Acc, int64_t count) const;
template <typename T, typename Acc, typename Op>
void reduce_kernel(const ReductionPlan& plan, T* out, const Op& op) {
  const T* in = plan.input.template data_ptr<T>();
  const int64_t R = plan.size, I = plan.inner;
  if (I == 1) {
    parallel_for(0, plan.outer, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(R, 1)),
                 [&](int64_t b, int64_t e) {
                   for (int64_t o = b; o < e; ++o) {
                     const T* row = in + o * R;
                     Acc acc = op.init();
                     for (int64_t r = 0; r < R; ++r) acc = op.step(acc, row[r]);
                     out[o] = op.finish(acc, R);
                   }
                 });
    return;
  }
  parallel_for(0, plan.outer, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(R * I, 1)),
               [&](int64_t b, int64_t e) {
                 std::vector<Acc> acc(static_cast<size_t>(I));
                 for (int64_t o = b; o < e; ++o) {
                   for (int64_t i = 0; i < I; ++i) acc[i] = op.init();
                   for (int64_t r = 0; r < R; ++r) {
                     const T* row = in + (o * R + r) * I;
                     for (int64_t i = 0; i < I; ++i) acc[i] = op.step(acc[i], row[i]);
                   }
                   for (int64_t i = 0; i < I; ++i) out[o * I + i] = op.finish(acc[i], R);
                 }
               });
}

}  // namespace ember::cpu
