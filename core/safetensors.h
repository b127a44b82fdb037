#pragma once
// Checkpoints in the safetensors format, so weights move between ember and PyTorch / Hugging Face.
//
// A file is: an 8-byte little-endian header length N, N bytes of JSON header, then the raw
// little-endian data of every tensor. The header maps each tensor name to
//   {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}
// (offsets relative to the first byte after the header), plus an optional "__metadata__" object
// of string -> string.
//
//   ember::save_safetensors("model.safetensors", {{"w", w}, {"b", b}}, {{"step", "100"}});
//   auto file = ember::load_safetensors("model.safetensors");
//   ember::Tensor w2 = file.tensors.at("w");
//
// ember writes F32, F64, I64 and BOOL; loading also accepts F16/BF16 (as float32) and
// I32/I16/I8/U32/U16/U8 (as int64). Loading validates the whole file before it builds a tensor;
// anything wrong (truncation, bad JSON, offsets out of range, overlaps, holes, size mismatch...)
// is an ember::Error naming the file, the offending key and what was expected.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "ember/core/tensor.h"

namespace ember {

struct SafetensorsFile {
  std::map<std::string, Tensor> tensors;
  std::map<std::string, std::string> metadata;
};

// Atomic: writes path + ".tmp.<pid>", fsyncs it, renames it over `path`, fsyncs the directory. A
// failure at any step leaves an existing file at `path` untouched and removes the temporary file.
// Tensors may live on any device and have any strides; they are written contiguous, from the CPU.
void save_safetensors(const std::string& path, const std::map<std::string, Tensor>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

SafetensorsFile load_safetensors(const std::string& path);

// The same, from bytes in memory; `source_name` stands for the file in error messages.
SafetensorsFile parse_safetensors(std::string_view bytes,
                                  std::string_view source_name = "<memory>");

// The exact bytes save_safetensors writes. Header keys are sorted, the data is laid out in key
// order, and the header is padded with spaces to a multiple of 8 bytes.
std::string serialize_safetensors(const std::map<std::string, Tensor>& tensors,
                                  const std::map<std::string, std::string>& metadata = {});

// What a file holds, as the file says it, without building tensors: for tools like ember-inspect.
struct SafetensorsEntry {
  std::string name;
  std::string dtype;  // as written in the file: "F32", "BF16", "F8_E4M3", ...
  Shape shape;
  uint64_t data_begin = 0;  // byte range inside the data section
  uint64_t data_end = 0;
  bool loadable = true;  // false for a valid dtype that ember cannot convert (load refuses it)
};

struct SafetensorsInfo {
  std::vector<SafetensorsEntry> tensors;  // sorted by name
  std::map<std::string, std::string> metadata;
  uint64_t header_bytes = 0;  // the JSON header, padding included (not the 8-byte length)
  uint64_t data_bytes = 0;
  uint64_t file_bytes = 0;
};

// Validates the whole file exactly as load_safetensors does, except that a dtype ember cannot
// convert is listed (loadable = false) rather than refused.
SafetensorsInfo inspect_safetensors(const std::string& path);
SafetensorsInfo inspect_safetensors_bytes(std::string_view bytes,
                                          std::string_view source_name = "<memory>");

}  // namespace ember
