#include "svg.h"

#include <cstdio>
#include <fstream>

#include <ember/core/error.h>
#include <ember/data/utf8.h>

namespace ember::tools {

size_t code_points(std::string_view s) {
  size_t pos = 0, n = 0;
  while (pos < s.size()) data::utf8::next(s, pos), ++n;
  return n;
}

std::string xml_text(std::string_view s, size_t max_chars) {
  const size_t keep = code_points(s) > max_chars ? max_chars - 1 : std::string_view::npos;
  std::string out;
  size_t pos = 0;
  for (size_t chars = 0; pos < s.size() && chars < keep; ++chars) {
    const size_t start = pos;
    const char32_t c = data::utf8::next(s, pos);
    if (c == data::utf8::kInvalid || (c < 0x20 && c != '\t') || c == 0x7F)
      out += "\uFFFD";
    else if (c == '<')
      out += "&lt;";
    else if (c == '>')
      out += "&gt;";
    else if (c == '&')
      out += "&amp;";
    else if (c == '"')
      out += "&quot;";
    else if (c == '\'')
      out += "&apos;";
    else
      out.append(s.substr(start, pos - start));
  }
  if (pos < s.size()) out += "\u2026";
  return out;
}

void write_file_atomically(const std::string& path, const std::string& text, std::string_view who) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    EMBER_CHECK(out.good(), "{}: cannot write {}", who, tmp);
    out << text;
    out.flush();
    if (!out.good()) {
      out.close();
      std::remove(tmp.c_str());
      fail("{}: writing {} failed", who, tmp);
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    fail("{}: cannot rename {} to {}", who, tmp, path);
  }
}

}  // namespace ember::tools
