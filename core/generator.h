#pragma once
// Random numbers that do not depend on the thread count. Philox4x32-10 (Salmon et al. 2011) is
// counter-based: the value at position i of a draw is a pure function of (seed, offset + i), so
// any thread can compute any element. Each draw advances the generator's offset past the
// counters it used.
#include <array>
#include <cstdint>
#include <mutex>

namespace ember {

// Four 32-bit random words for one 128-bit counter.
std::array<uint32_t, 4> philox4x32(uint64_t seed, uint64_t counter_lo, uint64_t counter_hi = 0);

class Generator {
 public:
  explicit Generator(uint64_t seed = 5489) : seed_(seed) {}
  void manual_seed(uint64_t seed);
  uint64_t seed() const;
  // Reserves `n` counters; returns (seed, first counter) for a kernel to use.
  std::pair<uint64_t, uint64_t> reserve(uint64_t n);
  // Saves and restores the stream, e.g. in a training checkpoint.
  std::pair<uint64_t, uint64_t> get_state() const;
  void set_state(std::pair<uint64_t, uint64_t> state);

 private:
  mutable std::mutex mutex_;
  uint64_t seed_;
  uint64_t offset_ = 0;
};

// The process-wide default generator (one of the two pieces of global state, with grad mode).
Generator& default_generator();
void manual_seed(uint64_t seed);

// Uniform in [0, 1) from a 32-bit word (24 bits for float, so 1.0 is never reached).
inline float uniform_float(uint32_t u) {
  return static_cast<float>(u >> 8) * 0x1.0p-24f;
}
// Uniform in [0, 1) from two words (53 bits).
inline double uniform_double(uint32_t hi, uint32_t lo) {
  return static_cast<double>((static_cast<uint64_t>(hi) << 21) ^ lo) * 0x1.0p-53;
}

}  // namespace ember
