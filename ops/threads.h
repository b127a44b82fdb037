#pragma once
// How many threads ember's CPU kernels use.
namespace ember {
// Sets the threads used by ember's loops (OpenMP) and by OpenBLAS.
void set_num_threads(int n);
int get_num_threads();
}  // namespace ember
