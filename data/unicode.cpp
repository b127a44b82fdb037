#include "ember/data/unicode.h"

#include <locale.h>
#include <wctype.h>

#include "ember/data/utf8.h"

namespace ember::data {

bool is_unicode_space(char32_t c) {
  if (c < 0x80) return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20);
  return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 ||
         c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

std::vector<std::string_view> split_whitespace(std::string_view text) {
  std::vector<std::string_view> words;
  size_t pos = 0, word_start = std::string_view::npos;
  while (pos < text.size()) {
    const size_t start = pos;
    if (is_unicode_space(utf8::next(text, pos))) {
      if (word_start != std::string_view::npos) {
        words.push_back(text.substr(word_start, start - word_start));
        word_start = std::string_view::npos;
      }
    } else if (word_start == std::string_view::npos) {
      word_start = start;
    }
  }
  if (word_start != std::string_view::npos) words.push_back(text.substr(word_start));
  return words;
}

std::string_view rstrip_whitespace(std::string_view text) {
  size_t pos = 0, end = 0;  // end: just past the last non-space character
  while (pos < text.size()) {
    if (!is_unicode_space(utf8::next(text, pos))) end = pos;
  }
  return text.substr(0, end);
}

namespace {

// glibc's C.UTF-8 locale carries the full Unicode case tables; it is built in since glibc 2.35.
locale_t unicode_locale() {
  static const locale_t locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", locale_t{});
  return locale;
}

char32_t lower_one(char32_t c, locale_t locale) {
  if (c < 0x80) return (c >= 'A' && c <= 'Z') ? c + 32 : c;
  if (locale) return static_cast<char32_t>(towlower_l(static_cast<wint_t>(c), locale));
  const bool latin1_upper = c >= 0xC0 && c <= 0xDE && c != 0xD7;
  return latin1_upper ? c + 32 : c;
}

bool is_cased(char32_t c, locale_t locale) {
  if (c < 0x80) return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
  if (!locale || c == utf8::kInvalid) return false;
  return iswupper_l(static_cast<wint_t>(c), locale) || iswlower_l(static_cast<wint_t>(c), locale);
}

// The common members of Unicode's Case_Ignorable property: apostrophes, word-internal punctuation,
// format characters, modifier letters and combining marks.
bool is_case_ignorable(char32_t c) {
  switch (c) {
    case 0x27:
    case 0x2E:
    case 0x3A:
    case 0x5E:
    case 0x60:
    case 0xA8:
    case 0xAD:
    case 0xAF:
    case 0xB4:
    case 0xB7:
    case 0xB8:
    case 0x2018:
    case 0x2019:
    case 0x2024:
    case 0x2027:
      return true;
    default:
      return (c >= 0x2B0 && c <= 0x36F) || (c >= 0x200B && c <= 0x200F) ||
             (c >= 0x202A && c <= 0x202E) || (c >= 0x2060 && c <= 0x206F) || c == 0xFEFF ||
             (c >= 0xFFF9 && c <= 0xFFFB) || (c >= 0x1AB0 && c <= 0x1AFF) ||
             (c >= 0x1DC0 && c <= 0x1DFF) || (c >= 0x20D0 && c <= 0x20FF) ||
             (c >= 0xFE00 && c <= 0xFE0F) || (c >= 0xFE20 && c <= 0xFE2F);
  }
}

}  // namespace

std::string lowercase_unicode(std::string_view text) {
  const locale_t locale = unicode_locale();
  std::vector<char32_t> chars;
  chars.reserve(text.size());
  for (size_t pos = 0; pos < text.size();) {
    const size_t start = pos;
    const char32_t c = utf8::next(text, pos);
    // Invalid bytes pass through unchanged; keep them as raw bytes tagged above the code space.
    chars.push_back(c == utf8::kInvalid ? 0x80000000u | static_cast<unsigned char>(text[start])
                                        : c);
  }
  auto code_point = [&](size_t i) { return chars[i] & 0x80000000u ? utf8::kInvalid : chars[i]; };

  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < chars.size(); ++i) {
    const char32_t c = chars[i];
    if (c & 0x80000000u) {
      out += static_cast<char>(c & 0xFF);
    } else if (c == 0x130) {  // capital I with dot above: Python keeps the dot as U+0307
      out += 'i';
      utf8::append(out, 0x307);
    } else if (c == 0x3A3) {
      // Final sigma: preceded by a cased letter and not followed by one (case-ignorable
      // characters in between are skipped both ways).
      size_t j = i;
      while (j > 0 && is_case_ignorable(code_point(j - 1))) --j;
      bool final_sigma = j > 0 && is_cased(code_point(j - 1), locale);
      if (final_sigma) {
        size_t k = i + 1;
        while (k < chars.size() && is_case_ignorable(code_point(k))) ++k;
        final_sigma = k == chars.size() || !is_cased(code_point(k), locale);
      }
      utf8::append(out, final_sigma ? 0x3C2 : 0x3C3);
    } else {
      utf8::append(out, lower_one(c, locale));
    }
  }
  return out;
}

std::string normalize_whitespace(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::string_view word : split_whitespace(text)) {
    if (!out.empty()) out += ' ';
    out += word;
  }
  return out;
}

}  // namespace ember::data
