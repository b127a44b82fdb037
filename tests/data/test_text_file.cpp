#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "ember/data/text_file.h"
#include "helpers.h"

namespace fs = std::filesystem;
using ember::data::read_lines;
using ember::data::write_lines;

namespace {

// A fresh folder per test case, removed afterwards.
struct TempDir {
  fs::path path;
  TempDir() {
    static int counter = 0;
    path = fs::temp_directory_path() /
           ("ember_text_file_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  std::string operator/(const std::string& name) const { return (path / name).string(); }
};

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

using Lines = std::vector<std::string>;

}  // namespace

TEST_CASE("read_lines splits on newline only, like Python's newline='\\n'") {
  TempDir dir;
  const auto file = dir / "a.txt";
  write_bytes(file, "");
  CHECK(read_lines(file).empty());
  write_bytes(file, "\n");
  CHECK(read_lines(file) == Lines{""});
  write_bytes(file, "one\ntwo");  // no final newline
  CHECK(read_lines(file) == Lines{"one", "two"});
  write_bytes(file, "one\ntwo\n");
  CHECK(read_lines(file) == Lines{"one", "two"});
  write_bytes(file, "one\r\n\ntwo\tthree \n");  // \r, empty lines and blanks are kept
  CHECK(read_lines(file) == Lines{"one\r", "", "two\tthree "});
}

TEST_CASE("write_lines and read_lines round trip, plain and gzip") {
  TempDir dir;
  const Lines lines{"Ein Mann läuft.", "", "„Zitat“ – fünf Äpfel\r", "  leading", "last"};
  for (const char* name : {"plain.txt", "packed.txt.gz"}) {
    CAPTURE(name);
    const auto file = dir / name;
    write_lines(file, lines);
    CHECK(read_lines(file) == lines);
  }
  CHECK(read_bytes(dir / "plain.txt") ==
        "Ein Mann läuft.\n\n„Zitat“ – fünf Äpfel\r\n  leading\nlast\n");
  const std::string packed = read_bytes(dir / "packed.txt.gz");
  REQUIRE(packed.size() > 2);
  CHECK(static_cast<unsigned char>(packed[0]) == 0x1f);
  CHECK(static_cast<unsigned char>(packed[1]) == 0x8b);

  // An empty list writes an empty file (or an empty gzip stream) that reads back as no lines.
  write_lines(dir / "empty.gz", {});
  CHECK(read_lines(dir / "empty.gz").empty());
  write_lines(dir / "empty.txt", {});
  CHECK(read_bytes(dir / "empty.txt").empty());
}

TEST_CASE("read_lines recognises gzip by its magic bytes, not by the name") {
  TempDir dir;
  write_lines(dir / "a.gz", {"alpha", "beta"});
  write_bytes(dir / "renamed.txt", read_bytes(dir / "a.gz"));
  CHECK(read_lines(dir / "renamed.txt") == Lines{"alpha", "beta"});

  // Concatenated gzip members (what `cat a.gz b.gz` makes) read as one stream.
  write_lines(dir / "b.gz", {"gamma"});
  write_bytes(dir / "both.gz", read_bytes(dir / "a.gz") + read_bytes(dir / "b.gz"));
  CHECK(read_lines(dir / "both.gz") == Lines{"alpha", "beta", "gamma"});

  write_bytes(dir / "fake.gz", "plain text\n");
  CHECK_THROWS_CONTAINING(read_lines(dir / "fake.gz"), "is named .gz but is not gzip-compressed");
}

TEST_CASE("read_lines refuses truncated and corrupt gzip streams") {
  TempDir dir;
  Lines many;
  for (int i = 0; i < 2000; ++i) many.push_back("line number " + std::to_string(i));
  write_lines(dir / "full.gz", many);
  const std::string full = read_bytes(dir / "full.gz");
  REQUIRE(full.size() > 100);

  // Cut inside the compressed data, inside the 8-byte trailer, and right after the header.
  for (size_t keep : {full.size() / 2, full.size() - 4, full.size() - 1, size_t{12}}) {
    CAPTURE(keep);
    const auto file = dir / "cut.gz";
    write_bytes(file, full.substr(0, keep));
    CHECK_THROWS_CONTAINING(read_lines(file), "cut.gz': truncated gzip stream");
  }

  // A wrong CRC-32 in the trailer (the data itself inflates fine).
  std::string bad_crc = full;
  bad_crc[bad_crc.size() - 8] ^= 0x55;
  write_bytes(dir / "crc.gz", bad_crc);
  CHECK_THROWS_CONTAINING(read_lines(dir / "crc.gz"), "crc.gz': corrupt gzip stream");

  // Bytes after the last member that are not another gzip member.
  write_bytes(dir / "tail.gz", full + "garbage");
  CHECK_THROWS_CONTAINING(read_lines(dir / "tail.gz"), "tail.gz': corrupt gzip stream");
}

TEST_CASE("read_lines names the file and the line for errors") {
  TempDir dir;
  CHECK_THROWS_CONTAINING(read_lines(dir / "missing.txt"),
                          "missing.txt': No such file or directory");
  CHECK_THROWS_CONTAINING(read_lines(dir.path.string()), "cannot read");

  write_bytes(dir / "latin1.txt", "fine\nalso fine\nnot \xe4 UTF-8\n");
  CHECK_THROWS_CONTAINING(read_lines(dir / "latin1.txt"),
                          "latin1.txt': line 3 is not valid UTF-8 (byte 0xe4 at column 5)");
  // Overlong encodings, surrogates and truncated sequences are invalid too.
  for (const std::string bad : {"\xc0\xaf", "\xed\xa0\x80", "ab\xe2\x82"}) {
    write_bytes(dir / "bad.txt", "ok\n" + bad + "\n");
    CHECK_THROWS_CONTAINING(read_lines(dir / "bad.txt"), "line 2 is not valid UTF-8");
  }
  // ... also after decompression.
  write_lines(dir / "bad.gz", {"ok", "ok", "\xff"});
  CHECK_THROWS_CONTAINING(read_lines(dir / "bad.gz"), "bad.gz': line 3 is not valid UTF-8");
}

TEST_CASE("write_lines replaces the file atomically and reports failures") {
  TempDir dir;
  const auto file = dir / "out.txt";
  write_lines(file, {"old", "content"});
  write_lines(file, {"new"});
  CHECK(read_lines(file) == Lines{"new"});
  // Nothing but the file itself is left in the folder.
  CHECK(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator()) == 1);

  CHECK_THROWS_CONTAINING(write_lines(file, {"fine", "two\nlines"}),
                          "out.txt': line 2 contains a newline");
  CHECK(read_lines(file) == Lines{"new"});  // untouched by the failed write
  CHECK_THROWS_CONTAINING(write_lines(dir / "no/such/folder.txt", {"x"}), "cannot create");
}

TEST_CASE("read_lines reads the Multi30k validation references") {
  const std::string path = std::string(EMBER_SHARED_DATA) + "/multi30k/val.de.gz";
  if (!fs::exists(path)) {
    MESSAGE("skipped: ", path, " is not here");
    return;
  }
  const auto lines = read_lines(path);
  REQUIRE(lines.size() == 1014);
  CHECK(lines[0] == "Eine Gruppe von Männern lädt Baumwolle auf einen Lastwagen");
}
