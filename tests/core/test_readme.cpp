// The README's example is examples/readme.cpp (built and run by CTest as readme:example); this
// checks that the README shows that file exactly, so the two never drift apart.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "helpers.h"

namespace {
std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in.is_open(), "cannot open ", path.string());
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}
}  // namespace

TEST_CASE("README shows examples/readme.cpp verbatim") {
  const auto root = std::filesystem::path(EMBER_FIXTURES).parent_path().parent_path();
  const std::string readme = read_text(root / "README.md");
  const std::string example = read_text(root / "examples" / "readme.cpp");
  REQUIRE(!example.empty());
  CHECK_MESSAGE(readme.find("```cpp\n" + example + "```\n") != std::string::npos,
                "README.md must contain examples/readme.cpp, unchanged, in a ```cpp block");
}
