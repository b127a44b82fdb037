#pragma once
// Python's str semantics for whitespace and case (what sacreBLEU and most NLP tooling use):
// str.isspace(), str.split(), str.rstrip(), str.lower(). UTF-8 decoding itself is in utf8.h.
#include <string>
#include <string_view>
#include <vector>

namespace ember::data {

// Python's str.isspace() for one code point: U+0009-000D, U+001C-0020, U+0085, U+00A0, U+1680,
// U+2000-200A, U+2028, U+2029, U+202F, U+205F, U+3000 (not U+200B or U+FEFF).
bool is_unicode_space(char32_t code_point);

// Python's str.split() with no argument: the runs of non-space characters, as views into text.
// Bytes that are not valid UTF-8 count as non-space characters.
std::vector<std::string_view> split_whitespace(std::string_view text);

// Python's str.rstrip() with no argument.
std::string_view rstrip_whitespace(std::string_view text);

// Python's str.lower(): Unicode lowercase mapping, including U+0130 -> "i\u0307" and Greek final
// sigma (approximated: a capital sigma ending a word becomes U+03C2). Uses the C library's Unicode
// tables (glibc's C.UTF-8); without them only ASCII and Latin-1 letters are lowered.
std::string lowercase_unicode(std::string_view text);

// Whitespace runs (any Unicode space, tab included) become one space; the ends are trimmed.
std::string normalize_whitespace(std::string_view text);

}  // namespace ember::data
