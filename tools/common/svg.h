#pragma once
// Pieces shared by the SVG writers (plot.cpp, heatmap.cpp).
#include <string>
#include <string_view>

namespace ember::tools {

// Text safe inside an XML element or attribute: markup characters escaped, control characters
// (not allowed in XML 1.0) and malformed UTF-8 replaced by U+FFFD; longer than max_chars code
// points, it is cut to max_chars - 1 and an ellipsis.
std::string xml_text(std::string_view s, size_t max_chars = std::string_view::npos);
// Number of UTF-8 code points (malformed bytes count one each).
size_t code_points(std::string_view s);
// Writes `text` to path + ".tmp" and renames it over `path`; errors name `who`. The temp file
// never outlives a failure.
void write_file_atomically(const std::string& path, const std::string& text, std::string_view who);

}  // namespace ember::tools
