#pragma once
// Small UTF-8 helpers shared by data/ (text files, tokenizers, BLEU): walking code points and
// checking validity.
#include <cstddef>
#include <string>
#include <string_view>

namespace ember::data::utf8 {

// Code point returned for a byte that does not start a well-formed sequence.
inline constexpr char32_t kInvalid = 0xFFFFFFFF;

// Decodes the code point starting at text[pos] and advances pos past it. A malformed sequence
// (bad lead byte, missing continuation, overlong form, surrogate, > U+10FFFF) consumes one byte
// and yields kInvalid.
char32_t next(std::string_view text, size_t& pos);

// Byte offset of the first malformed sequence, or std::string_view::npos when `text` is valid.
size_t find_invalid(std::string_view text);

void append(std::string& out, char32_t code_point);

}  // namespace ember::data::utf8
