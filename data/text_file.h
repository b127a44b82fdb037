#pragma once
// Line-oriented UTF-8 text files, plain or gzip-compressed.
//
//   auto refs = ember::data::read_lines("../shared/data/multi30k/val.de.gz");
//   ember::data::write_lines("out/hyp.de", hypotheses);
//
// Lines are split on '\n' only, as Python's open(..., newline="\n") does: a "\r\n" ending keeps its
// '\r', a final '\n' does not start an extra empty line, and an empty file has no lines.
#include <string>
#include <vector>

namespace ember::data {

// Reads every line of a UTF-8 text file. Whether the file is gzip is decided by its first two
// bytes (1f 8b), so a compressed file need not end in ".gz"; a file whose name ends in ".gz" but is
// not gzip is an error. Concatenated gzip members are read one after the other.
// Throws ember::Error naming the file for a file that cannot be opened or read, a truncated or
// corrupt gzip stream, or a line that is not valid UTF-8 (with its line number).
std::vector<std::string> read_lines(const std::string& path);

// Writes the lines, each followed by '\n', replacing `path` atomically (a temporary file in the
// same folder, renamed over it): readers never see a half-written file. A path ending in ".gz" is
// written gzip-compressed. Throws ember::Error for a line containing '\n' (it would not read back
// as one line) and for any failure to write.
void write_lines(const std::string& path, const std::vector<std::string>& lines);

}  // namespace ember::data
