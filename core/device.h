#pragma once
// Where a tensor's memory lives. Every tensor carries a Device from day one; ops dispatch on it.
#include <cstdint>
#include <string>

#include "ember/core/error.h"

namespace ember {

enum class DeviceType : uint8_t { CPU, CUDA };

struct Device {
  DeviceType type = DeviceType::CPU;
  int index = 0;

  constexpr Device() = default;
  constexpr Device(DeviceType type, int index = 0) : type(type), index(index) {}  // NOLINT
  bool is_cpu() const { return type == DeviceType::CPU; }
  bool is_cuda() const { return type == DeviceType::CUDA; }
  friend bool operator==(const Device&, const Device&) = default;
  std::string str() const { return is_cpu() ? "cpu" : fmt::format("cuda:{}", index); }
};

inline constexpr DeviceType kCPU = DeviceType::CPU;
inline constexpr DeviceType kCUDA = DeviceType::CUDA;

// True when ember was compiled with EMBER_CUDA (whether or not a GPU is present).
bool cuda_compiled();
// Number of visible CUDA devices; 0 without CUDA or without a GPU.
int cuda_device_count();
inline bool cuda_is_available() {
  return cuda_device_count() > 0;
}

}  // namespace ember

template <>
struct fmt::formatter<ember::Device> : fmt::formatter<std::string> {
  auto format(const ember::Device& d, format_context& ctx) const {
    return fmt::formatter<std::string>::format(d.str(), ctx);
  }
};
