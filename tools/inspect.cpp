// ember-inspect: lists what a safetensors file holds, after validating all of it.
//
//   ember-inspect FILE
//
// Prints one row per tensor (name, dtype, shape, bytes), the metadata and the totals. Exit codes:
// 0 for a valid file, 1 for an invalid or unreadable one (the reason on stderr), 2 for bad
// arguments.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include <ember/core/safetensors.h>

namespace {

constexpr const char* kUsage = "usage: ember-inspect FILE\n";

[[noreturn]] void usage(const char* why) {
  fmt::print(stderr, "ember-inspect: {}\n{}", why, kUsage);
  std::exit(2);
}

void print(const std::string& path, const ember::SafetensorsInfo& info) {
  struct Row {
    std::string name, dtype, shape, bytes;
  };
  std::vector<Row> rows{{"name", "dtype", "shape", "bytes"}};
  uint64_t elements = 0;
  bool any_unloadable = false;
  for (const auto& t : info.tensors) {
    rows.push_back({t.name, t.loadable ? t.dtype : t.dtype + "*", ember::shape_str(t.shape),
                    std::to_string(t.data_end - t.data_begin)});
    elements += static_cast<uint64_t>(ember::numel_of(t.shape));
    any_unloadable |= !t.loadable;
  }
  size_t width[4] = {0, 0, 0, 0};
  for (const Row& r : rows) {
    width[0] = std::max(width[0], r.name.size());
    width[1] = std::max(width[1], r.dtype.size());
    width[2] = std::max(width[2], r.shape.size());
    width[3] = std::max(width[3], r.bytes.size());
  }
  fmt::print("{}\n", path);
  for (const Row& r : rows)
    fmt::print("  {:<{}}  {:<{}}  {:<{}}  {:>{}}\n", r.name, width[0], r.dtype, width[1], r.shape,
               width[2], r.bytes, width[3]);
  if (any_unloadable) fmt::print("  * a valid dtype that ember cannot load\n");
  if (!info.metadata.empty()) {
    fmt::print("metadata:\n");
    for (const auto& [key, value] : info.metadata) fmt::print("  {} = {}\n", key, value);
  }
  fmt::print("total: {} tensors, {} elements, {} data bytes; file {} bytes (header {} + 8)\n",
             info.tensors.size(), elements, info.data_bytes, info.file_bytes, info.header_bytes);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && (std::string_view(argv[1]) == "--help" || std::string_view(argv[1]) == "-h")) {
    fmt::print("ember-inspect: lists the tensors and metadata of a safetensors file\n{}", kUsage);
    return 0;
  }
  if (argc != 2) usage(argc < 2 ? "missing FILE" : "expected exactly one FILE");
  const std::string path = argv[1];
  if (path.size() > 1 && path[0] == '-') usage("unknown option");
  try {
    print(path, ember::inspect_safetensors(path));
  } catch (const std::exception& e) {
    fmt::print(stderr, "ember-inspect: {}\n", e.what());
    return 1;
  }
  return 0;
}
