#include "ember/ops/cpu/parallel.h"

#include <omp.h>

#include <cblas.h>

#include "ember/core/error.h"

namespace ember {

void set_num_threads(int n) {
  EMBER_CHECK(n >= 1, "set_num_threads: expected at least 1 thread, got {}", n);
  omp_set_num_threads(n);
  openblas_set_num_threads(n);
}

int get_num_threads() {
  return omp_get_max_threads();
}

}  // namespace ember
