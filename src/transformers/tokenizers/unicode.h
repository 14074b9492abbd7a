#pragma once
// UTF-8 and Unicode character classes used across the tokenizer pipeline.
// Classes follow Rust's `char` methods, because Hugging Face tokenizers is written in Rust and
// its behaviour is defined by them (e.g. `is_whitespace` is the White_Space property).
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace transformers::tok::unicode {

// Length of the UTF-8 sequence that starts with `lead` (1 for continuation/invalid bytes).
inline int char_len(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead & 0xE0) == 0xC0) return 2;
  if ((lead & 0xF0) == 0xE0) return 3;
  if ((lead & 0xF8) == 0xF0) return 4;
  return 1;
}

inline bool is_continuation(unsigned char b) { return (b & 0xC0) == 0x80; }

// Decodes the code point at s[i] and advances i. Precondition: s is valid UTF-8.
inline char32_t decode(std::string_view s, size_t& i) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) {
    ++i;
    return c;
  }
  int n = char_len(c);
  char32_t cp = n == 2 ? (c & 0x1F) : n == 3 ? (c & 0x0F) : (c & 0x07);
  for (int k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  i += n;
  return cp;
}

void append_utf8(std::string& out, char32_t cp);
inline int utf8_len(char32_t cp) { return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4; }

// Number of code points in valid UTF-8.
size_t count_chars(std::string_view s);

// True when s is well-formed UTF-8.
bool is_valid_utf8(std::string_view s);
// Replaces every ill-formed subsequence by U+FFFD, one per maximal subpart (Rust's
// String::from_utf8_lossy and Python's errors="replace" agree on this policy).
std::string to_valid_utf8(std::string_view s);

bool is_whitespace(char32_t c);   // White_Space property (Rust char::is_whitespace)
bool is_alphanumeric(char32_t c); // Rust char::is_alphanumeric (Alphabetic or Numeric)
bool is_word_char(char32_t c);    // regex \w: alphanumeric, marks, connector punctuation
bool is_numeric(char32_t c);      // Nd, Nl, No
bool is_punctuation(char32_t c);  // P*
bool is_other(char32_t c);        // Cc, Cf, Cs, Co, Cn
bool is_mark(char32_t c);         // Mn, Mc, Me
bool is_nonspacing_mark(char32_t c);  // Mn

// Full lowercase mapping of one character (may be more than one code point, e.g. U+0130).
void append_lowercase(std::string& out, char32_t c);
std::u32string lowercase(char32_t c);
std::u32string uppercase(char32_t c);

// The GPT-2 byte alphabet: every byte maps to one printable code point.
const std::array<char32_t, 256>& byte_to_char();
// Inverse of byte_to_char: -1 for code points outside the alphabet.
int char_to_byte(char32_t c);
// UTF-8 encodings of byte_to_char(), to build byte-level strings quickly.
const std::array<std::string, 256>& byte_to_utf8();

}  // namespace transformers::tok::unicode
