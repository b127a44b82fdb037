#include "ember/data/text_file.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string_view>

#include "ember/core/error.h"
#include "ember/data/utf8.h"

namespace ember::data {
namespace {

bool ends_with_gz(std::string_view path) {
  return path.ends_with(".gz");
}

bool has_gzip_magic(std::string_view bytes) {
  return bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0x1f &&
         static_cast<unsigned char>(bytes[1]) == 0x8b;
}

std::string read_file_bytes(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  EMBER_CHECK(file, "read_lines: cannot open '{}': {}", path, std::strerror(errno));
  std::string bytes;
  char buffer[1 << 16];
  size_t got;
  while ((got = std::fread(buffer, 1, sizeof buffer, file)) > 0) bytes.append(buffer, got);
  const bool failed = std::ferror(file);
  const int error = errno;
  std::fclose(file);
  EMBER_CHECK(!failed, "read_lines: cannot read '{}': {}", path, std::strerror(error));
  return bytes;
}

// Inflates every gzip member of `compressed`; the stream must end exactly with a member's trailer.
std::string gunzip(const std::string& path, std::string_view compressed) {
  z_stream stream{};
  // 15 + 16: the largest window, gzip header and trailer (whose CRC-32 and length inflate checks).
  EMBER_CHECK(inflateInit2(&stream, 15 + 16) == Z_OK, "read_lines: '{}': zlib could not start",
              path);
  struct End {
    z_stream* stream;
    ~End() { inflateEnd(stream); }
  } end{&stream};

  std::string text;
  size_t fed = 0;  // bytes of `compressed` handed to zlib so far
  constexpr size_t kMaxFeed = 1u << 30;
  constexpr size_t kOutChunk = 1u << 18;
  for (;;) {
    if (stream.avail_in == 0 && fed < compressed.size()) {
      const size_t n = std::min(kMaxFeed, compressed.size() - fed);
      stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data() + fed));
      stream.avail_in = static_cast<uInt>(n);
      fed += n;
    }
    const size_t used = text.size();
    text.resize(used + kOutChunk);
    stream.next_out = reinterpret_cast<Bytef*>(text.data() + used);
    stream.avail_out = static_cast<uInt>(kOutChunk);
    const int rc = inflate(&stream, Z_NO_FLUSH);
    text.resize(used + kOutChunk - stream.avail_out);
    const bool input_left = stream.avail_in > 0 || fed < compressed.size();
    if (rc == Z_STREAM_END) {
      if (!input_left) return text;
      inflateReset(&stream);  // another gzip member follows
    } else if (rc == Z_BUF_ERROR && !input_left) {
      fail(
          "read_lines: '{}': truncated gzip stream (the file ends before the end of the "
          "compressed data)",
          path);
    } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
      const size_t at = fed - stream.avail_in;
      fail("read_lines: '{}': corrupt gzip stream near byte {} of {} ({})", path, at,
           compressed.size(), stream.msg ? stream.msg : zError(rc));
    }
  }
}

}  // namespace

std::vector<std::string> read_lines(const std::string& path) {
  std::string bytes = read_file_bytes(path);
  if (has_gzip_magic(bytes)) {
    bytes = gunzip(path, bytes);
  } else {
    EMBER_CHECK(!ends_with_gz(path),
                "read_lines: '{}' is named .gz but is not gzip-compressed (it does not start with "
                "the gzip magic bytes 1f 8b)",
                path);
  }

  std::vector<std::string> lines;
  const std::string_view text = bytes;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(start, end - start);
    const size_t bad = utf8::find_invalid(line);
    EMBER_CHECK(bad == std::string_view::npos,
                "read_lines: '{}': line {} is not valid UTF-8 (byte 0x{:02x} at column {})", path,
                lines.size() + 1, static_cast<unsigned char>(line[bad]), bad + 1);
    lines.emplace_back(line);
    start = end + 1;
  }
  return lines;
}

namespace {

std::string gzip(const std::string& path, std::string_view text) {
  z_stream stream{};
  EMBER_CHECK(deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
                           Z_DEFAULT_STRATEGY) == Z_OK,
              "write_lines: '{}': zlib could not start", path);
  struct End {
    z_stream* stream;
    ~End() { deflateEnd(stream); }
  } end{&stream};

  std::string compressed;
  size_t fed = 0;
  constexpr size_t kMaxFeed = 1u << 30;
  constexpr size_t kOutChunk = 1u << 18;
  for (;;) {
    if (stream.avail_in == 0 && fed < text.size()) {
      const size_t n = std::min(kMaxFeed, text.size() - fed);
      stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data() + fed));
      stream.avail_in = static_cast<uInt>(n);
      fed += n;
    }
    const size_t used = compressed.size();
    compressed.resize(used + kOutChunk);
    stream.next_out = reinterpret_cast<Bytef*>(compressed.data() + used);
    stream.avail_out = static_cast<uInt>(kOutChunk);
    const int rc = deflate(&stream, fed == text.size() ? Z_FINISH : Z_NO_FLUSH);
    compressed.resize(used + kOutChunk - stream.avail_out);
    if (rc == Z_STREAM_END) return compressed;
    EMBER_CHECK(rc == Z_OK || rc == Z_BUF_ERROR, "write_lines: '{}': compression failed ({})", path,
                zError(rc));
  }
}

// Writes everything or says why not.
void write_all(int fd, std::string_view bytes, const std::string& temp_path) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    EMBER_CHECK(n > 0, "write_lines: cannot write '{}': {}", temp_path, std::strerror(errno));
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

}  // namespace

void write_lines(const std::string& path, const std::vector<std::string>& lines) {
  std::string text;
  size_t total = 0;
  for (const auto& line : lines) total += line.size() + 1;
  text.reserve(total);
  for (size_t i = 0; i < lines.size(); ++i) {
    EMBER_CHECK(lines[i].find('\n') == std::string::npos,
                "write_lines: '{}': line {} contains a newline character", path, i + 1);
    text += lines[i];
    text += '\n';
  }
  const std::string bytes = ends_with_gz(path) ? gzip(path, text) : std::move(text);

  // A name no other writer (thread or process) uses; the rename makes the new file appear whole.
  static std::atomic<uint64_t> counter{0};
  const std::string temp_path = fmt::format("{}.tmp.{}.{}", path, ::getpid(), counter++);
  const int fd = ::open(temp_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  EMBER_CHECK(fd >= 0, "write_lines: cannot create '{}': {}", temp_path, std::strerror(errno));
  try {
    write_all(fd, bytes, temp_path);
    EMBER_CHECK(::fsync(fd) == 0, "write_lines: cannot flush '{}': {}", temp_path,
                std::strerror(errno));
  } catch (...) {
    ::close(fd);
    ::unlink(temp_path.c_str());
    throw;
  }
  const bool closed = ::close(fd) == 0;
  const int close_error = errno;
  if (!closed || ::rename(temp_path.c_str(), path.c_str()) != 0) {
    const int error = closed ? errno : close_error;
    ::unlink(temp_path.c_str());
    fail("write_lines: cannot {} '{}': {}", closed ? "replace" : "close", path,
         std::strerror(error));
  }
}

}  // namespace ember::data
