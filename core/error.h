#pragma once
// Errors are part of ember's API: every failure is an ember::Error whose message names the op,
// the shapes/dtypes/devices involved and what was expected.
#include <stdexcept>
#include <string>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace ember {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

template <typename... Args>
[[noreturn]] void fail(fmt::format_string<Args...> format, Args&&... args) {
  throw Error(fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace ember

// EMBER_CHECK(cond, "op: {} expected", x): throws ember::Error with the formatted message.
#define EMBER_CHECK(cond, ...)    \
  do {                            \
    if (!(cond)) [[unlikely]]     \
      ::ember::fail(__VA_ARGS__); \
  } while (0)
