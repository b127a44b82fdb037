#include "ember/core/safetensors.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <optional>
#include <set>
#include <tuple>

#include <nlohmann/json.hpp>

namespace ember {

// The format stores little-endian data and ember copies it byte for byte.
static_assert(std::endian::native == std::endian::little,
              "safetensors I/O assumes a little-endian machine");

namespace {

using json = nlohmann::json;

// A header this large is corruption, not a model: the reference implementation refuses it too.
constexpr uint64_t kMaxHeaderBytes = 100'000'000;

// Where an error happened: the function the user called and the file it was reading.
struct Source {
  std::string_view op;
  std::string_view name;
};

template <typename... Args>
[[noreturn]] void invalid(const Source& src, fmt::format_string<Args...> format, Args&&... args) {
  fail("{}: {}: {}", src.op, src.name, fmt::format(format, std::forward<Args>(args)...));
}

// A key as JSON would quote it, so that odd names stay readable in messages; a corrupt header's
// megabyte-long key is cut short.
std::string quote_key(std::string_view key, size_t limit = 200) {
  const auto text =
      json(std::string(key.substr(0, limit))).dump(-1, ' ', false, json::error_handler_t::replace);
  return key.size() > limit ? text + "..." : text;
}

std::string errno_text() {
  return std::strerror(errno);
}

// --- dtypes -----------------------------------------------------------------------------------

enum class Conversion { Copy, Half, BFloat16, Int8, Int16, Int32, UInt8, UInt16, UInt32, Bool };

struct FileDType {
  std::string_view name;
  size_t size;                 // bytes per element
  std::optional<DType> loads;  // what ember makes of it; nullopt: valid but not loadable
  Conversion conversion;
};

// Every byte-sized dtype of the format. Sub-byte ones (F4, F6_*) are refused as unknown sizes.
constexpr std::array<FileDType, 17> kFileDTypes{{
    {"BOOL", 1, kBool, Conversion::Bool},
    {"U8", 1, kInt64, Conversion::UInt8},
    {"I8", 1, kInt64, Conversion::Int8},
    {"F8_E5M2", 1, std::nullopt, Conversion::Copy},
    {"F8_E4M3", 1, std::nullopt, Conversion::Copy},
    {"F8_E8M0", 1, std::nullopt, Conversion::Copy},
    {"I16", 2, kInt64, Conversion::Int16},
    {"U16", 2, kInt64, Conversion::UInt16},
    {"F16", 2, kFloat32, Conversion::Half},
    {"BF16", 2, kFloat32, Conversion::BFloat16},
    {"I32", 4, kInt64, Conversion::Int32},
    {"U32", 4, kInt64, Conversion::UInt32},
    {"F32", 4, kFloat32, Conversion::Copy},
    {"I64", 8, kInt64, Conversion::Copy},
    {"U64", 8, std::nullopt, Conversion::Copy},
    {"F64", 8, kFloat64, Conversion::Copy},
    {"C64", 8, std::nullopt, Conversion::Copy},
}};

const FileDType* find_file_dtype(std::string_view name) {
  for (const auto& d : kFileDTypes)
    if (d.name == name) return &d;
  return nullptr;
}

std::string_view file_dtype_name(DType t) {
  switch (t) {
    case DType::Bool:
      return "BOOL";
    case DType::Int64:
      return "I64";
    case DType::Float32:
      return "F32";
    case DType::Float64:
      return "F64";
  }
  fail("save_safetensors: internal: unknown dtype {}", static_cast<int>(t));
}

std::string loadable_dtype_list() {
  std::string out;
  for (const auto& d : kFileDTypes)
    if (d.loads) out += fmt::format("{}{}", out.empty() ? "" : ", ", d.name);
  return out;
}

// --- reading the header -----------------------------------------------------------------------

struct Entry {
  std::string name;
  const FileDType* dtype;
  Shape shape;
  int64_t numel;
  uint64_t begin, end;  // within the data section
};

struct Layout {
  std::vector<Entry> entries;  // sorted by name
  std::map<std::string, std::string> metadata;
  uint64_t header_bytes = 0;
  std::string_view data;  // the data section
};

// Parses the JSON header, refusing duplicate keys at any depth (nlohmann keeps the last one
// silently, but a file with two "w" entries is ambiguous, not valid).
json parse_header_json(const Source& src, std::string_view text) {
  struct Scope {
    std::set<std::string> seen;
    std::string last;
  };
  std::vector<Scope> scopes;
  auto refuse_duplicates = [&](int /*depth*/, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::object_start) {
      scopes.emplace_back();
    } else if (event == json::parse_event_t::object_end) {
      scopes.pop_back();
    } else if (event == json::parse_event_t::key) {
      auto key = parsed.get<std::string>();
      if (!scopes.back().seen.insert(key).second) {
        std::string where = "the header";
        if (scopes.size() > 1) {
          where.clear();
          for (size_t i = 0; i + 1 < scopes.size(); ++i) where += (i ? "." : "") + scopes[i].last;
          where = "header entry " + quote_key(where);
        }
        invalid(src, "duplicate key {} in {}", quote_key(key), where);
      }
      scopes.back().last = std::move(key);
    }
    return true;
  };
  try {
    return json::parse(text.begin(), text.end(), refuse_duplicates);
  } catch (const json::parse_error& e) {
    // e.what() starts with "[json.exception.parse_error.N] "; the rest says what and where.
    std::string_view detail = e.what();
    if (auto close = detail.find("] "); close != std::string_view::npos)
      detail.remove_prefix(close + 2);
    // e.byte counts from 1 within the header; the file offset counts from 0.
    invalid(src, "the header is not valid JSON (at file offset {}): {}", e.byte + 7, detail);
  }
}

// A short rendering of a JSON value for messages: bounded in depth and length, because a corrupt
// header can hold anything (dumping a million nested arrays would overflow the stack).
std::string preview(const json& v, int depth = 0) {
  constexpr size_t kItems = 4;
  if (v.is_string()) return quote_key(v.get_ref<const std::string&>(), 40);
  if (!v.is_array() && !v.is_object()) return v.dump();
  const bool array = v.is_array();
  if (v.empty()) return array ? "[]" : "{}";
  if (depth >= 2) return array ? "[...]" : "{...}";
  std::string out = array ? "[" : "{";
  size_t shown = 0;
  for (auto it = v.begin(); it != v.end() && shown < kItems; ++it, ++shown) {
    if (shown) out += ",";
    if (!array) out += quote_key(it.key()) + ":";
    out += preview(*it, depth + 1);
  }
  if (v.size() > kItems) out += ",...";
  return out + (array ? "]" : "}");
}

std::string json_kind(const json& v) {
  if (v.is_number_unsigned() || v.is_number_integer()) return "integer " + v.dump();
  return fmt::format("{} {}", v.type_name(), preview(v));
}

Shape read_shape(const Source& src, const std::string& name, const json& value) {
  if (!value.is_array())
    invalid(src, "tensor {}: \"shape\" must be an array of integers, got {}", quote_key(name),
            json_kind(value));
  Shape shape;
  shape.reserve(value.size());
  for (size_t i = 0; i < value.size(); ++i) {
    const json& d = value[i];
    if (d.is_number_unsigned()) {
      const auto v = d.get<uint64_t>();
      if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
        invalid(src, "tensor {}: dimension {} of the shape is too large ({})", quote_key(name), i,
                v);
      shape.push_back(static_cast<int64_t>(v));
    } else if (d.is_number_integer()) {
      invalid(src, "tensor {}: dimension {} of the shape is negative ({})", quote_key(name), i,
              d.get<int64_t>());
    } else {
      invalid(src, "tensor {}: dimension {} of the shape must be a non-negative integer, got {}",
              quote_key(name), i, json_kind(d));
    }
  }
  return shape;
}

// numel, or nullopt when numel * element size does not fit in 64 bits.
std::optional<int64_t> checked_numel(const Shape& shape, size_t element_size) {
  if (std::find(shape.begin(), shape.end(), 0) != shape.end()) return 0;
  int64_t n = 1;
  for (int64_t d : shape)
    if (__builtin_mul_overflow(n, d, &n)) return std::nullopt;
  int64_t bytes;
  if (__builtin_mul_overflow(n, static_cast<int64_t>(element_size), &bytes)) return std::nullopt;
  return n;
}

Entry read_entry(const Source& src, const std::string& name, const json& value,
                 uint64_t data_bytes) {
  const auto q = quote_key(name);
  if (!value.is_object())
    invalid(src,
            "tensor {}: expected an object with \"dtype\", \"shape\" and \"data_offsets\", got {}",
            q, json_kind(value));
  for (const auto& [key, _] : value.items())
    if (key != "dtype" && key != "shape" && key != "data_offsets")
      invalid(src,
              "tensor {}: unexpected field {} (expected \"dtype\", \"shape\", \"data_offsets\")", q,
              quote_key(key));
  for (const char* field : {"dtype", "shape", "data_offsets"})
    if (!value.contains(field)) invalid(src, "tensor {}: missing field \"{}\"", q, field);

  Entry e;
  e.name = name;
  const json& dtype = value["dtype"];
  if (!dtype.is_string())
    invalid(src, "tensor {}: \"dtype\" must be a string, got {}", q, json_kind(dtype));
  const auto dtype_name = dtype.get<std::string>();
  e.dtype = find_file_dtype(dtype_name);
  if (!e.dtype)
    invalid(src, "tensor {}: unknown dtype {} (ember loads {})", q, quote_key(dtype_name),
            loadable_dtype_list());

  e.shape = read_shape(src, name, value["shape"]);
  const auto numel = checked_numel(e.shape, e.dtype->size);
  if (!numel)
    invalid(src, "tensor {}: shape {} with dtype {} overflows 64-bit sizes", q, shape_str(e.shape),
            dtype_name);
  e.numel = *numel;

  const json& offsets = value["data_offsets"];
  if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() ||
      !offsets[1].is_number_unsigned())
    invalid(src,
            "tensor {}: \"data_offsets\" must be [begin, end] with non-negative integers, got {}",
            q, json_kind(offsets));
  e.begin = offsets[0].get<uint64_t>();
  e.end = offsets[1].get<uint64_t>();
  if (e.begin > e.end)
    invalid(src, "tensor {}: data_offsets [{}, {}] have begin > end", q, e.begin, e.end);
  if (e.end > data_bytes)
    invalid(src,
            "tensor {}: data_offsets [{}, {}] end beyond the data section ({} bytes; is the file "
            "truncated?)",
            q, e.begin, e.end, data_bytes);
  const uint64_t expected = static_cast<uint64_t>(e.numel) * e.dtype->size;
  if (e.end - e.begin != expected)
    invalid(src, "tensor {}: data_offsets [{}, {}] hold {} bytes but {} shape {} needs {}", q,
            e.begin, e.end, e.end - e.begin, dtype_name, shape_str(e.shape), expected);
  return e;
}

std::map<std::string, std::string> read_metadata(const Source& src, const json& value) {
  if (!value.is_object())
    invalid(src, "\"__metadata__\" must be an object of strings, got {}", json_kind(value));
  std::map<std::string, std::string> out;
  for (const auto& [key, v] : value.items()) {
    if (!v.is_string())
      invalid(src, "\"__metadata__\" value of {} must be a string, got {}", quote_key(key),
              json_kind(v));
    out.emplace(key, v.get<std::string>());
  }
  return out;
}

// The format asks the tensors to tile the data section exactly: no overlap, no unused bytes.
void check_coverage(const Source& src, const std::vector<Entry>& entries, uint64_t data_bytes) {
  std::vector<const Entry*> order;
  order.reserve(entries.size());
  for (const auto& e : entries) order.push_back(&e);
  std::sort(order.begin(), order.end(), [](const Entry* a, const Entry* b) {
    return std::tie(a->begin, a->end, a->name) < std::tie(b->begin, b->end, b->name);
  });
  uint64_t covered = 0;
  const Entry* previous = nullptr;
  for (const Entry* e : order) {
    if (e->begin < covered)
      invalid(src, "tensor {} at data_offsets [{}, {}] overlaps tensor {} at [{}, {}]",
              quote_key(e->name), e->begin, e->end, quote_key(previous->name), previous->begin,
              previous->end);
    if (e->begin > covered)
      invalid(src,
              "bytes [{}, {}) of the data section belong to no tensor (a hole before tensor {})",
              covered, e->begin, quote_key(e->name));
    covered = e->end;
    previous = e;
  }
  if (covered != data_bytes)
    invalid(src, "bytes [{}, {}) at the end of the data section belong to no tensor", covered,
            data_bytes);
}

// C++ bool must hold 0 or 1; any other byte is corruption.
void check_bool_values(const Source& src, const Entry& e, std::string_view data) {
  const auto* p = reinterpret_cast<const unsigned char*>(data.data() + e.begin);
  for (int64_t i = 0; i < e.numel; ++i)
    if (p[i] > 1)
      invalid(src, "tensor {}: BOOL element {} has byte value {} (expected 0 or 1)",
              quote_key(e.name), i, p[i]);
}

Layout read_layout(const Source& src, std::string_view bytes) {
  if (bytes.size() < 8)
    invalid(src, "the file is {} bytes, shorter than the 8-byte header length that starts it",
            bytes.size());
  uint64_t header_bytes;
  std::memcpy(&header_bytes, bytes.data(), 8);
  const uint64_t rest = bytes.size() - 8;
  if (header_bytes > kMaxHeaderBytes)
    invalid(src, "header length {} is larger than the {}-byte limit (corrupted length?)",
            header_bytes, kMaxHeaderBytes);
  if (header_bytes > rest)
    invalid(src, "header length {} is larger than the {} bytes after it (is the file truncated?)",
            header_bytes, rest);

  Layout layout;
  layout.header_bytes = header_bytes;
  layout.data = bytes.substr(8 + header_bytes);
  const json header = parse_header_json(src, bytes.substr(8, header_bytes));
  if (!header.is_object())
    invalid(src, "the header must be a JSON object, got {}", header.type_name());

  for (const auto& [key, value] : header.items()) {
    if (key == "__metadata__")
      layout.metadata = read_metadata(src, value);
    else
      layout.entries.push_back(read_entry(src, key, value, layout.data.size()));
  }
  check_coverage(src, layout.entries, layout.data.size());
  for (const auto& e : layout.entries)
    if (e.dtype->conversion == Conversion::Bool) check_bool_values(src, e, layout.data);
  return layout;
}

// --- building tensors -------------------------------------------------------------------------

float half_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exponent = (h >> 10) & 0x1fu;
  const uint32_t mantissa = h & 0x3ffu;
  if (exponent == 0) {  // zero or subnormal: mantissa * 2^-24, exact in float
    const float magnitude = std::ldexp(static_cast<float>(mantissa), -24);
    return sign ? -magnitude : magnitude;
  }
  if (exponent == 31) return std::bit_cast<float>(sign | 0x7f800000u | (mantissa << 13));
  return std::bit_cast<float>(sign | ((exponent + 112) << 23) | (mantissa << 13));
}

// Reads element i of type S from unaligned bytes.
template <typename S>
S load_unaligned(const char* p, int64_t i) {
  S v;
  std::memcpy(&v, p + i * sizeof(S), sizeof(S));
  return v;
}

template <typename S, typename T, typename F>
void convert_each(const char* src, T* dst, int64_t n, F&& f) {
  for (int64_t i = 0; i < n; ++i) dst[i] = f(load_unaligned<S>(src, i));
}

Tensor make_tensor(const Source& src, const Entry& e, std::string_view data) {
  if (!e.dtype->loads)
    invalid(src, "tensor {}: unsupported dtype {} (ember loads {})", quote_key(e.name),
            e.dtype->name, loadable_dtype_list());
  Tensor t = empty(e.shape, TensorOptions(*e.dtype->loads));
  const char* p = data.data() + e.begin;
  const int64_t n = e.numel;
  if (n == 0) return t;
  const auto widen = [](auto v) { return static_cast<int64_t>(v); };
  switch (e.dtype->conversion) {
    case Conversion::Copy:
    case Conversion::Bool:
      std::memcpy(t.raw_data(), p, e.end - e.begin);
      break;
    case Conversion::Half:
      convert_each<uint16_t>(p, t.data_ptr<float>(), n, half_to_float);
      break;
    case Conversion::BFloat16:
      convert_each<uint16_t>(p, t.data_ptr<float>(), n, [](uint16_t b) {
        return std::bit_cast<float>(static_cast<uint32_t>(b) << 16);
      });
      break;
    case Conversion::Int8:
      convert_each<int8_t>(p, t.data_ptr<int64_t>(), n, widen);
      break;
    case Conversion::Int16:
      convert_each<int16_t>(p, t.data_ptr<int64_t>(), n, widen);
      break;
    case Conversion::Int32:
      convert_each<int32_t>(p, t.data_ptr<int64_t>(), n, widen);
      break;
    case Conversion::UInt8:
      convert_each<uint8_t>(p, t.data_ptr<int64_t>(), n, widen);
      break;
    case Conversion::UInt16:
      convert_each<uint16_t>(p, t.data_ptr<int64_t>(), n, widen);
      break;
    case Conversion::UInt32:
      convert_each<uint32_t>(p, t.data_ptr<int64_t>(), n, widen);
      break;
  }
  return t;
}

SafetensorsFile parse(const Source& src, std::string_view bytes) {
  Layout layout = read_layout(src, bytes);
  SafetensorsFile out;
  out.metadata = std::move(layout.metadata);
  for (const auto& e : layout.entries)
    out.tensors.emplace(e.name, make_tensor(src, e, layout.data));
  return out;
}

SafetensorsInfo info_of(const Layout& layout, uint64_t file_bytes) {
  SafetensorsInfo info;
  for (const auto& e : layout.entries)
    info.tensors.push_back(SafetensorsEntry{e.name, std::string(e.dtype->name), e.shape, e.begin,
                                            e.end, e.dtype->loads.has_value()});
  info.metadata = layout.metadata;
  info.header_bytes = layout.header_bytes;
  info.data_bytes = layout.data.size();
  info.file_bytes = file_bytes;
  return info;
}

// --- files ------------------------------------------------------------------------------------

// Closes a file descriptor on every path out of a scope.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }
  // Closes now, reporting the error close() returned (it can be the first sign of a failed write).
  int close() {
    const int rc = ::close(fd_);
    fd_ = -1;
    return rc;
  }

 private:
  int fd_;
};

std::string read_whole_file(std::string_view op, const std::string& path) {
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) fail("{}: cannot open {}: {}", op, path, errno_text());
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) fail("{}: cannot stat {}: {}", op, path, errno_text());
  if (!S_ISREG(st.st_mode)) fail("{}: {} is not a regular file", op, path);
  std::string bytes(static_cast<size_t>(st.st_size), '\0');
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::read(fd.get(), bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail("{}: cannot read {}: {}", op, path, errno_text());
    if (n == 0) break;  // the file shrank while we read it; validation reports the truncation
    done += static_cast<size_t>(n);
  }
  bytes.resize(done);
  return bytes;
}

void write_all(int fd, const void* data, size_t size, const std::string& path) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = ::write(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail("save_safetensors: cannot write {}: {}", path, errno_text());
    p += n;
    size -= static_cast<size_t>(n);
  }
}

// --- writing ----------------------------------------------------------------------------------

struct Plan {
  std::string header;        // padded JSON
  std::vector<Tensor> data;  // contiguous CPU tensors, in the order their bytes are written
  uint64_t data_bytes = 0;
};

void check_utf8(std::string_view op, std::string_view what, const std::string& s) {
  try {
    (void)json(s).dump();
  } catch (const json::type_error&) {
    fail("{}: {} {} is not valid UTF-8 (JSON headers hold UTF-8 text)", op, what, quote_key(s));
  }
}

Plan plan_file(std::string_view op, const std::map<std::string, Tensor>& tensors,
               const std::map<std::string, std::string>& metadata) {
  json header = json::object();
  if (!metadata.empty()) {
    json meta = json::object();
    for (const auto& [key, value] : metadata) {
      check_utf8(op, "metadata key", key);
      check_utf8(op, fmt::format("metadata value of {}:", quote_key(key)), value);
      meta[key] = value;
    }
    header["__metadata__"] = std::move(meta);
  }
  Plan plan;
  plan.data.reserve(tensors.size());
  for (const auto& [name, t] : tensors) {
    EMBER_CHECK(name != "__metadata__",
                "{}: \"__metadata__\" is reserved for metadata and cannot name a tensor", op);
    check_utf8(op, "tensor name", name);
    check_defined(op, t, fmt::format("tensor {}", quote_key(name)));
    Tensor host = t.detach().to(kCPU).contiguous();
    const uint64_t nbytes = static_cast<uint64_t>(host.numel()) * host.element_size();
    header[name] = {{"dtype", file_dtype_name(host.dtype())},
                    {"shape", host.sizes()},
                    {"data_offsets", {plan.data_bytes, plan.data_bytes + nbytes}}};
    plan.data_bytes += nbytes;
    plan.data.push_back(std::move(host));
  }
  plan.header = header.dump();
  // Padding to 8 bytes keeps the data section aligned for readers that map the file.
  plan.header.append((8 - plan.header.size() % 8) % 8, ' ');
  return plan;
}

uint64_t nbytes_of(const Tensor& t) {
  return static_cast<uint64_t>(t.numel()) * t.element_size();
}

std::string directory_of(const std::string& path) {
  auto dir = std::filesystem::path(path).parent_path();
  return dir.empty() ? std::string(".") : dir.string();
}

}  // namespace

SafetensorsFile parse_safetensors(std::string_view bytes, std::string_view source_name) {
  return parse(Source{"parse_safetensors", source_name}, bytes);
}

SafetensorsFile load_safetensors(const std::string& path) {
  const std::string bytes = read_whole_file("load_safetensors", path);
  return parse(Source{"load_safetensors", path}, bytes);
}

SafetensorsInfo inspect_safetensors_bytes(std::string_view bytes, std::string_view source_name) {
  return info_of(read_layout(Source{"inspect_safetensors", source_name}, bytes), bytes.size());
}

SafetensorsInfo inspect_safetensors(const std::string& path) {
  const std::string bytes = read_whole_file("inspect_safetensors", path);
  return info_of(read_layout(Source{"inspect_safetensors", path}, bytes), bytes.size());
}

std::string serialize_safetensors(const std::map<std::string, Tensor>& tensors,
                                  const std::map<std::string, std::string>& metadata) {
  const Plan plan = plan_file("serialize_safetensors", tensors, metadata);
  std::string out(8 + plan.header.size() + plan.data_bytes, '\0');
  const uint64_t header_bytes = plan.header.size();
  std::memcpy(out.data(), &header_bytes, 8);
  std::memcpy(out.data() + 8, plan.header.data(), plan.header.size());
  char* p = out.data() + 8 + plan.header.size();
  for (const Tensor& t : plan.data) {
    const uint64_t n = nbytes_of(t);
    if (n) std::memcpy(p, t.raw_data(), n);  // an empty tensor may have no buffer at all
    p += n;
  }
  return out;
}

void save_safetensors(const std::string& path, const std::map<std::string, Tensor>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  const Plan plan = plan_file("save_safetensors", tensors, metadata);
  const std::string tmp = fmt::format("{}.tmp.{}", path, ::getpid());

  FileDescriptor fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (fd.get() < 0)
    fail("save_safetensors: cannot create the temporary file {}: {}", tmp, errno_text());
  try {
    const uint64_t header_bytes = plan.header.size();
    write_all(fd.get(), &header_bytes, 8, tmp);
    write_all(fd.get(), plan.header.data(), plan.header.size(), tmp);
    for (const Tensor& t : plan.data)
      if (const uint64_t n = nbytes_of(t)) write_all(fd.get(), t.raw_data(), n, tmp);
    // Data must be on disk before the rename makes it the checkpoint, or a crash could leave an
    // empty file where the previous good one was.
    if (::fsync(fd.get()) != 0) fail("save_safetensors: cannot fsync {}: {}", tmp, errno_text());
    if (fd.close() != 0) fail("save_safetensors: cannot close {}: {}", tmp, errno_text());
    if (::rename(tmp.c_str(), path.c_str()) != 0)
      fail("save_safetensors: cannot rename {} to {}: {}", tmp, path, errno_text());
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
  // The rename itself is durable only once the directory entry is.
  const std::string dir = directory_of(path);
  FileDescriptor dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  // EINVAL: a file system that cannot sync directories; there is nothing more to do there.
  if (dir_fd.get() < 0 || (::fsync(dir_fd.get()) != 0 && errno != EINVAL))
    fail("save_safetensors: saved {} but could not fsync its directory {}: {}", path, dir,
         errno_text());
}

}  // namespace ember
