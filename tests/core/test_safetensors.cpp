// safetensors checkpoints: round trips, the byte layout, a file from the Python world, every class
// of corrupted input, and atomic saves.
#include <unistd.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "helpers.h"

using namespace ember;
using namespace ember::testing;
namespace fs = std::filesystem;
using namespace std::string_literals;

namespace {

// A fresh directory, removed with everything in it at the end of the test.
struct TempDir {
  fs::path path;
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "ember-safetensors-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }
  ~TempDir() { fs::remove_all(path); }
  std::vector<std::string> listing() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(path)) names.push_back(e.path().filename());
    std::sort(names.begin(), names.end());
    return names;
  }
};

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// A safetensors file from a header text and a data section, with no checks: corruption tests
// write headers ember would never produce.
std::string file_from(std::string_view header, std::string_view data) {
  const uint64_t n = header.size();
  std::string out(8, '\0');
  std::memcpy(out.data(), &n, 8);
  out.append(header);
  out.append(data);
  return out;
}

// Same dtype, shape and bytes (bitwise, so -0.0 and NaN payloads count).
void check_identical(const Tensor& got, const Tensor& want) {
  REQUIRE(got.defined());
  CHECK(got.dtype() == want.dtype());
  REQUIRE(got.sizes() == want.sizes());
  if (got.numel() > 0) CHECK(got.is_contiguous());  // see the note on empty tensors in the report
  const Tensor w = want.contiguous();
  const size_t nbytes = static_cast<size_t>(w.numel()) * w.element_size();
  if (nbytes) CHECK(std::memcmp(got.raw_data(), w.raw_data(), nbytes) == 0);
}

std::map<std::string, Tensor> every_kind_of_tensor() {
  Generator gen(7);
  const Tensor matrix = randn({4, 5}, kFloat32, &gen);
  return {
      {"f32", randn({3, 4}, kFloat32, &gen)},
      {"f64", randn({2, 3, 2}, kFloat64, &gen)},
      {"i64", tensor(std::vector<int64_t>{0, -1, std::numeric_limits<int64_t>::min(),
                                          std::numeric_limits<int64_t>::max()})},
      {"bool", tensor(std::vector<bool>{true, false, false, true, true, false}, {2, 3})},
      {"scalar", scalar_tensor(-3.5, kFloat64)},
      {"empty", empty({0, 3}, kFloat32)},
      {"empty_i64", empty({2, 0}, kInt64)},
      {"special", tensor(std::vector<float>{-0.0f, std::numeric_limits<float>::infinity(),
                                            std::numeric_limits<float>::quiet_NaN(), 1e-42f})},
      {"transposed", matrix.t()},
      {"strided", matrix.slice(1, 0, 5, 2)},
      {"expanded", tensor({1.0, 2.0, 3.0}).expand({2, 3})},
      {"requires grad", randn({2}, kFloat64, &gen).requires_grad_()},
      {"unicode \xce\xbb/layer.0", ones({1}, kFloat32)},
  };
}

// {"a": float32 [1, 2], "b": int64 [3, -4]}: the well-formed file that corruptions start from.
constexpr std::string_view kGoodHeader =
    R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
    R"("b":{"dtype":"I64","shape":[2],"data_offsets":[8,24]}})";

std::string good_data() {
  std::string data(24, '\0');
  const float a[2] = {1, 2};
  const int64_t b[2] = {3, -4};
  std::memcpy(data.data(), a, 8);
  std::memcpy(data.data() + 8, b, 16);
  return data;
}

// kGoodHeader with one entry's JSON replaced.
std::string with_a(std::string_view a_entry) {
  return fmt::format(R"({{"a":{},"b":{{"dtype":"I64","shape":[2],"data_offsets":[8,24]}}}})",
                     a_entry);
}

}  // namespace

TEST_CASE("safetensors: every dtype, 0-d, empty and non-contiguous tensors round-trip") {
  const auto tensors = every_kind_of_tensor();
  const auto loaded = parse_safetensors(serialize_safetensors(tensors));
  REQUIRE(loaded.tensors.size() == tensors.size());
  CHECK(loaded.metadata.empty());
  for (const auto& [name, t] : tensors) {
    CAPTURE(name);
    REQUIRE(loaded.tensors.count(name) == 1);
    const Tensor& got = loaded.tensors.at(name);
    check_identical(got, t);
    CHECK_FALSE(got.requires_grad());
    CHECK(got.storage() != t.storage());  // a copy, never a view of the caller's tensor
  }
}

TEST_CASE("safetensors: the bytes follow the format: sorted keys, key-ordered data, padding") {
  const auto bytes = serialize_safetensors(
      {{"b", tensor(std::vector<float>{1.5f, -2.0f})}, {"a", tensor({7})}}, {{"step", "12"}});
  uint64_t header_bytes = 0;
  std::memcpy(&header_bytes, bytes.data(), 8);
  CHECK(header_bytes % 8 == 0);
  REQUIRE(bytes.size() == 8 + header_bytes + 16);
  const std::string header = bytes.substr(8, header_bytes);
  const std::string json = R"({"__metadata__":{"step":"12"},)"
                           R"("a":{"data_offsets":[0,8],"dtype":"I64","shape":[1]},)"
                           R"("b":{"data_offsets":[8,16],"dtype":"F32","shape":[2]}})";
  CHECK(header == json + std::string(header_bytes - json.size(), ' '));
  CHECK(header_bytes - json.size() < 8);

  const int64_t a = 7;
  const float b[2] = {1.5f, -2.0f};
  CHECK(std::memcmp(bytes.data() + 8 + header_bytes, &a, 8) == 0);
  CHECK(std::memcmp(bytes.data() + 8 + header_bytes + 8, b, 8) == 0);

  // No tensors at all is a valid (if dull) file.
  const auto nothing = serialize_safetensors({});
  CHECK(nothing.size() == 16);
  CHECK(parse_safetensors(nothing).tensors.empty());
}

TEST_CASE("safetensors: metadata round-trips") {
  const std::map<std::string, std::string> metadata = {
      {"format", "pt"},
      {"epoch", "3"},
      {"note", "quotes \" and \\ and\nnewlines, \xe2\x82\xac"},
      {"", "empty key"}};
  const auto loaded = parse_safetensors(serialize_safetensors({{"w", ones({2})}}, metadata));
  CHECK(loaded.metadata == metadata);
  check_identical(loaded.tensors.at("w"), ones({2}));
}

TEST_CASE("safetensors: loads a file written as the Python safetensors library does") {
  // tests/fixtures/reference.safetensors, from tools/gen_safetensors_fixture.py: data laid out by
  // dtype alignment (not by name), __metadata__ first, F16/BF16/I32/I16/I8/U8 among the dtypes.
  const auto file = load_safetensors(std::string(EMBER_FIXTURES) + "/reference.safetensors");
  const auto& t = file.tensors;
  CHECK(file.metadata == std::map<std::string, std::string>{
                             {"format", "pt"}, {"source", "gen_safetensors_fixture.py"}});
  REQUIRE(t.size() == 12);

  check_identical(t.at("weight"),
                  tensor(std::vector<float>{1.0f, -2.5f, 0.125f, 3.0e-3f, 1.0e30f, -0.0f}, {2, 3}));
  CHECK(std::signbit(t.at("weight").to_vector<float>()[5]));
  check_identical(t.at("bias"), tensor(std::vector<double>{0.1, -1.0e-300, 12345.678}));
  check_identical(t.at("ids"), tensor(std::vector<int64_t>{0, -1, int64_t{1} << 62,
                                                           std::numeric_limits<int64_t>::min()}));
  check_identical(t.at("mask"), tensor(std::vector<bool>{true, false, false, true}, {2, 2}));
  // Half and bfloat16 widen to float32 exactly (subnormal and infinity included).
  check_identical(t.at("half"),
                  tensor(std::vector<float>{1.0f, -0.5f, 65504.0f, std::ldexp(1.0f, -24),
                                            std::numeric_limits<float>::infinity()}));
  check_identical(t.at("brain"), tensor(std::vector<float>{1.5f, -2.0f, 0.15625f}));
  // Narrow integers widen to int64, signed and unsigned alike.
  check_identical(t.at("int32"), tensor(std::vector<int64_t>{-7, 2147483647}));
  check_identical(t.at("int16"), tensor(std::vector<int64_t>{-300, 32767}));
  check_identical(t.at("int8"), tensor(std::vector<int64_t>{-128, 0, 127}));
  check_identical(t.at("uint8"), tensor(std::vector<int64_t>{0, 128, 255}));
  check_identical(t.at("scalar"), scalar_tensor(42.0, kFloat32));
  check_identical(t.at("empty"), empty({0, 4}, kFloat32));

  // Half precision corner cases beyond the fixture: zero signs, the smallest normal, NaN.
  const uint16_t halves[] = {0x8000, 0x0400, 0x7e00, 0xfc00, 0x03ff};
  std::string data(reinterpret_cast<const char*>(halves), sizeof(halves));
  const auto h = parse_safetensors(
      file_from(R"({"h":{"dtype":"F16","shape":[5],"data_offsets":[0,10]}})", data));
  const auto v = h.tensors.at("h").to_vector<float>();
  CHECK((v[0] == 0.0f && std::signbit(v[0])));
  CHECK(v[1] == std::ldexp(1.0f, -14));
  CHECK(std::isnan(v[2]));
  CHECK(v[3] == -std::numeric_limits<float>::infinity());
  CHECK(v[4] == std::ldexp(1023.0f, -24));
}

TEST_CASE("safetensors: inspect lists the file's own dtypes and sizes") {
  const auto info = inspect_safetensors(std::string(EMBER_FIXTURES) + "/reference.safetensors");
  REQUIRE(info.tensors.size() == 12);
  CHECK(info.tensors.front().name == "bias");  // sorted by name
  CHECK(info.file_bytes == 8 + info.header_bytes + info.data_bytes);
  CHECK(info.data_bytes == 122);
  CHECK(info.metadata.at("format") == "pt");
  const auto half = std::find_if(info.tensors.begin(), info.tensors.end(),
                                 [](const SafetensorsEntry& e) { return e.name == "half"; });
  REQUIRE(half != info.tensors.end());
  CHECK(half->dtype == "F16");
  CHECK(half->shape == Shape{5});
  CHECK(half->data_end - half->data_begin == 10);
  CHECK(half->loadable);

  // A valid dtype ember cannot convert: listed by inspect, refused by load.
  const auto f8 = file_from(R"({"q":{"dtype":"F8_E4M3","shape":[3],"data_offsets":[0,3]}})",
                            std::string(3, '\x10'));
  const auto f8_info = inspect_safetensors_bytes(f8);
  REQUIRE(f8_info.tensors.size() == 1);
  CHECK_FALSE(f8_info.tensors[0].loadable);
  CHECK_THROWS_CONTAINING(parse_safetensors(f8, "q.st"),
                          "parse_safetensors: q.st: tensor \"q\": unsupported dtype F8_E4M3");
}

TEST_CASE("safetensors: every class of corrupted input is refused, naming file and key") {
  REQUIRE(parse_safetensors(file_from(kGoodHeader, good_data())).tensors.size() == 2);
  const std::string good = file_from(kGoodHeader, good_data());
  std::string huge_length = good;
  const uint64_t huge = uint64_t{1} << 40;
  std::memcpy(huge_length.data(), &huge, 8);
  std::string past_end = good;
  const uint64_t one_too_many = kGoodHeader.size() + 25;
  std::memcpy(past_end.data(), &one_too_many, 8);
  const std::string data = good_data();

  struct Case {
    const char* what;
    std::string bytes;
    std::string expected;
  };
  const Case cases[] = {
      {"empty file", "", "the file is 0 bytes, shorter than the 8-byte header length"},
      {"cut in the length", good.substr(0, 5), "the file is 5 bytes"},
      {"cut in the header", good.substr(0, 40),
       fmt::format("header length {} is larger than the 32 bytes after it", kGoodHeader.size())},
      {"cut in the data", good.substr(0, good.size() - 1),
       "tensor \"b\": data_offsets [8, 24] end beyond the data section (23 bytes; is the file "
       "truncated?)"},
      {"huge header length", huge_length, "header length 1099511627776 is larger than the"},
      {"header length past the end", past_end,
       fmt::format("header length {} is larger than the {} bytes after it (is the file truncated?)",
                   kGoodHeader.size() + 25, kGoodHeader.size() + 24)},
      {"garbage JSON", file_from(R"({"a": nope})", ""),
       "the header is not valid JSON (at file offset 15): parse error at line 1, column 8"},
      {"JSON with trailing garbage", file_from(R"({} x)", ""),
       "the header is not valid JSON (at file offset 11)"},
      {"empty header", file_from("", ""), "the header is not valid JSON (at file offset 8)"},
      {"header not an object", file_from("[1, 2]", ""),
       "the header must be a JSON object, got array"},
      {"entry not an object", file_from(with_a("[0, 8]"), data),
       "tensor \"a\": expected an object with \"dtype\", \"shape\" and \"data_offsets\", got "
       "array"},
      {"missing shape", file_from(with_a(R"({"dtype":"F32","data_offsets":[0,8]})"), data),
       "tensor \"a\": missing field \"shape\""},
      {"missing dtype", file_from(with_a(R"({"shape":[2],"data_offsets":[0,8]})"), data),
       "tensor \"a\": missing field \"dtype\""},
      {"missing offsets", file_from(with_a(R"({"dtype":"F32","shape":[2]})"), data),
       "tensor \"a\": missing field \"data_offsets\""},
      {"unexpected field",
       file_from(with_a(R"({"dtype":"F32","shape":[2],"data_offsets":[0,8],"x":1})"), data),
       "tensor \"a\": unexpected field \"x\""},
      {"unknown dtype",
       file_from(with_a(R"({"dtype":"F33","shape":[2],"data_offsets":[0,8]})"), data),
       "tensor \"a\": unknown dtype \"F33\" (ember loads BOOL, U8"},
      {"sub-byte dtype",
       file_from(with_a(R"({"dtype":"F4","shape":[16],"data_offsets":[0,8]})"), data),
       "tensor \"a\": unknown dtype \"F4\""},
      {"dtype not a string",
       file_from(with_a(R"({"dtype":4,"shape":[2],"data_offsets":[0,8]})"), data),
       "tensor \"a\": \"dtype\" must be a string, got integer 4"},
      {"shape not an array",
       file_from(with_a(R"({"dtype":"F32","shape":2,"data_offsets":[0,8]})"), data),
       "tensor \"a\": \"shape\" must be an array of integers, got integer 2"},
      {"negative dimension",
       file_from(with_a(R"({"dtype":"F32","shape":[-2],"data_offsets":[0,8]})"), data),
       "tensor \"a\": dimension 0 of the shape is negative (-2)"},
      {"fractional dimension",
       file_from(with_a(R"({"dtype":"F32","shape":[1,2.5],"data_offsets":[0,8]})"), data),
       "tensor \"a\": dimension 1 of the shape must be a non-negative integer, got number 2.5"},
      {"dimension beyond int64",
       file_from(with_a(R"({"dtype":"F32","shape":[9223372036854775808],"data_offsets":[0,8]})"),
                 data),
       "tensor \"a\": dimension 0 of the shape is too large"},
      {"overflowing shape",
       file_from(with_a(R"({"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]})"),
                 data),
       "tensor \"a\": shape [4294967296,4294967296] with dtype F32 overflows 64-bit sizes"},
      {"offsets not a pair",
       file_from(with_a(R"({"dtype":"F32","shape":[2],"data_offsets":[8]})"), data),
       "tensor \"a\": \"data_offsets\" must be [begin, end] with non-negative integers, got array "
       "[8]"},
      {"negative offset",
       file_from(with_a(R"({"dtype":"F32","shape":[2],"data_offsets":[-8,0]})"), data),
       "tensor \"a\": \"data_offsets\" must be [begin, end] with non-negative integers, got array "
       "[-8,0]"},
      {"begin after end",
       file_from(with_a(R"({"dtype":"F32","shape":[2],"data_offsets":[8,0]})"), data),
       "tensor \"a\": data_offsets [8, 0] have begin > end"},
      {"offsets out of range",
       file_from(with_a(R"({"dtype":"F32","shape":[2],"data_offsets":[20,28]})"), data),
       "tensor \"a\": data_offsets [20, 28] end beyond the data section (24 bytes;"},
      {"offsets far out of range",
       file_from(
           with_a(
               R"({"dtype":"F32","shape":[2],"data_offsets":[18446744073709551607,18446744073709551615]})"),
           data),
       "tensor \"a\": data_offsets [18446744073709551607, 18446744073709551615] end beyond the "
       "data section (24 bytes;"},
      {"size mismatch",
       file_from(with_a(R"({"dtype":"F32","shape":[3],"data_offsets":[0,8]})"), data),
       "tensor \"a\": data_offsets [0, 8] hold 8 bytes but F32 shape [3] needs 12"},
      {"overlap",
       file_from(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                 R"("b":{"dtype":"I64","shape":[2],"data_offsets":[4,20]}})",
                 data.substr(0, 20)),
       "tensor \"b\" at data_offsets [4, 20] overlaps tensor \"a\" at [0, 8]"},
      {"same bytes twice",
       file_from(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                 R"("b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})",
                 data.substr(0, 8)),
       "tensor \"b\" at data_offsets [0, 8] overlaps tensor \"a\" at [0, 8]"},
      {"hole",
       file_from(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                 R"("b":{"dtype":"I64","shape":[2],"data_offsets":[12,28]}})",
                 data + "0000"),
       "bytes [8, 12) of the data section belong to no tensor (a hole before tensor \"b\")"},
      {"hole at the start",
       file_from(R"({"b":{"dtype":"I64","shape":[2],"data_offsets":[8,24]}})", data),
       "bytes [0, 8) of the data section belong to no tensor"},
      {"unused bytes at the end", file_from(kGoodHeader, data + "0000"),
       "bytes [24, 28) at the end of the data section belong to no tensor"},
      {"data without tensors", file_from("{}", "x"),
       "bytes [0, 1) at the end of the data section belong to no tensor"},
      {"deeply nested entry",
       file_from("{\"a\":" + std::string(100000, '[') + std::string(100000, ']') + "}", ""),
       "tensor \"a\": expected an object with \"dtype\", \"shape\" and \"data_offsets\", got "
       "array [[[...]]]"},
      {"long key", file_from(fmt::format(R"({{"{}":1}})", std::string(1000000, 'k')), ""),
       fmt::format("tensor \"{}\"...: expected an object", std::string(200, 'k'))},
      {"metadata not an object", file_from(R"({"__metadata__":["a"]})", ""),
       "\"__metadata__\" must be an object of strings, got array"},
      {"non-string metadata", file_from(R"({"__metadata__":{"epoch":3}})", ""),
       "\"__metadata__\" value of \"epoch\" must be a string, got integer 3"},
      {"duplicate tensor",
       file_from(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                 R"("a":{"dtype":"I64","shape":[2],"data_offsets":[8,24]}})",
                 data),
       "duplicate key \"a\" in the header"},
      {"duplicate field",
       file_from(with_a(R"({"dtype":"F32","dtype":"F32","shape":[2],"data_offsets":[0,8]})"), data),
       "duplicate key \"dtype\" in header entry \"a\""},
      {"duplicate metadata key", file_from(R"({"__metadata__":{"k":"1","k":"2"}})", ""),
       "duplicate key \"k\" in header entry \"__metadata__\""},
      {"invalid UTF-8 in the header", file_from("{\"\xff\":1}", ""),
       "the header is not valid JSON (at file offset 10)"},
      {"bool byte other than 0 or 1",
       file_from(R"({"m":{"dtype":"BOOL","shape":[3],"data_offsets":[0,3]}})", "\x01\x00\x02"s),
       "tensor \"m\": BOOL element 2 has byte value 2 (expected 0 or 1)"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.what);
    CHECK_THROWS_CONTAINING(parse_safetensors(c.bytes, "ckpt.safetensors"),
                            ("parse_safetensors: ckpt.safetensors: " + c.expected).c_str());
    CHECK_THROWS_AS(inspect_safetensors_bytes(c.bytes), Error);
  }
}

TEST_CASE("safetensors: any truncation or any changed byte is an error, never a crash") {
  const std::string good = serialize_safetensors({{"a", tensor(std::vector<float>{1, 2, 3})},
                                                  {"m", tensor({true, false})},
                                                  {"z", tensor({9})}},
                                                 {{"k", "v"}});
  for (size_t n = 0; n < good.size(); ++n) {
    CAPTURE(n);
    CHECK_THROWS_AS(parse_safetensors(std::string_view(good).substr(0, n)), Error);
  }
  // Changed bytes may still make a valid file (a different value), but must never crash or read
  // outside the buffer (the sanitizer build checks the latter).
  int refused = 0;
  for (size_t i = 0; i < good.size(); ++i)
    for (unsigned char value : {0x00, 0x22, 0x2c, 0x30, 0x5d, 0x7d, 0xff}) {
      std::string bad = good;
      bad[i] = static_cast<char>(value);
      try {
        (void)parse_safetensors(bad);
      } catch (const Error&) {
        ++refused;
      }
    }
  CHECK(refused > static_cast<int>(good.size()));
}

TEST_CASE("safetensors: save and load through files; saving replaces the file atomically") {
  TempDir dir;
  const std::string path = (dir.path / "model.safetensors").string();
  const auto first = every_kind_of_tensor();
  save_safetensors(path, first, {{"step", "1"}});
  CHECK(read_bytes(path) == serialize_safetensors(first, {{"step", "1"}}));
  auto loaded = load_safetensors(path);
  CHECK(loaded.metadata.at("step") == "1");
  for (const auto& [name, t] : first) check_identical(loaded.tensors.at(name), t);

  const std::map<std::string, Tensor> second = {{"w", full({2, 2}, 5.0, kFloat64)}};
  save_safetensors(path, second, {{"step", "2"}});
  loaded = load_safetensors(path);
  CHECK(loaded.tensors.size() == 1);
  check_identical(loaded.tensors.at("w"), second.at("w"));
  CHECK(loaded.metadata.at("step") == "2");
  CHECK(dir.listing() == std::vector<std::string>{"model.safetensors"});  // no .tmp left behind

  // A relative path in the current directory (the directory to fsync is ".").
  const auto cwd = fs::current_path();
  fs::current_path(dir.path);
  save_safetensors("relative.safetensors", second);
  fs::current_path(cwd);
  check_identical(load_safetensors((dir.path / "relative.safetensors").string()).tensors.at("w"),
                  second.at("w"));
}

TEST_CASE("safetensors: a failed save leaves the previous checkpoint intact") {
  TempDir dir;
  const std::string path = (dir.path / "ckpt.safetensors").string();
  const std::map<std::string, Tensor> old_state = {{"w", ones({3})}};
  const std::map<std::string, Tensor> new_state = {{"w", zeros({3})}};
  save_safetensors(path, old_state);
  const std::string old_bytes = read_bytes(path);

  // The temporary file cannot be created: something else occupies its name.
  const std::string tmp = fmt::format("{}.tmp.{}", path, ::getpid());
  fs::create_directory(tmp);
  CHECK_THROWS_CONTAINING(save_safetensors(path, new_state),
                          ("save_safetensors: cannot create the temporary file " + tmp).c_str());
  CHECK(read_bytes(path) == old_bytes);
  fs::remove(tmp);

  // The rename fails (the target is a directory): the temporary file is cleaned up.
  const std::string dir_target = (dir.path / "a_directory").string();
  fs::create_directory(dir_target);
  CHECK_THROWS_CONTAINING(save_safetensors(dir_target, new_state),
                          "save_safetensors: cannot rename");
  CHECK(dir.listing() == std::vector<std::string>{"a_directory", "ckpt.safetensors"});

  // A directory that does not exist.
  CHECK_THROWS_CONTAINING(
      save_safetensors((dir.path / "missing" / "x.safetensors").string(), new_state),
      "save_safetensors: cannot create the temporary file");
  CHECK(read_bytes(path) == old_bytes);
  check_identical(load_safetensors(path).tensors.at("w"), old_state.at("w"));
}

TEST_CASE("safetensors: bad arguments and unreadable files") {
  TempDir dir;
  CHECK_THROWS_CONTAINING(serialize_safetensors({{"__metadata__", ones({1})}}),
                          "serialize_safetensors: \"__metadata__\" is reserved");
  CHECK_THROWS_CONTAINING(serialize_safetensors({{"w", Tensor()}}), "serialize_safetensors");
  CHECK_THROWS_CONTAINING(
      serialize_safetensors({{"bad \xff name", ones({1})}}),
      "serialize_safetensors: tensor name \"bad \xef\xbf\xbd name\" is not valid UTF-8");
  CHECK_THROWS_CONTAINING(serialize_safetensors({}, {{"k", "\xc3"}}), "is not valid UTF-8");
  // Nothing is written when the arguments are refused.
  CHECK_THROWS_AS(save_safetensors((dir.path / "x").string(), {{"w", Tensor()}}), Error);
  CHECK(dir.listing().empty());

  const std::string missing = (dir.path / "missing.safetensors").string();
  CHECK_THROWS_CONTAINING(load_safetensors(missing),
                          ("load_safetensors: cannot open " + missing).c_str());
  CHECK_THROWS_CONTAINING(load_safetensors(dir.path.string()), "is not a regular file");
  const std::string corrupt = (dir.path / "corrupt.safetensors").string();
  std::ofstream(corrupt, std::ios::binary) << "\x05\x00\x00"s;
  CHECK_THROWS_CONTAINING(load_safetensors(corrupt),
                          ("load_safetensors: " + corrupt + ": the file is 3 bytes").c_str());
  CHECK_THROWS_CONTAINING(inspect_safetensors(corrupt),
                          ("inspect_safetensors: " + corrupt + ": the file is 3 bytes").c_str());
}
