#pragma once
// UTF-8 helpers for the template engine. Python strings are sequences of code points, so length,
// indexing, slicing, case mapping and whitespace tests work on code points, not bytes.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace transformers::templates::utf8 {

// Decodes the code point at s[i] and advances i; an invalid byte decodes as itself (U+0080..U+00FF
// range is never produced for it: it is returned as 0xFFFD) so that malformed input cannot loop.
char32_t next(std::string_view s, size_t& i);
void append(std::string& out, char32_t cp);

std::vector<char32_t> decode(std::string_view s);
std::string encode(const std::vector<char32_t>& cps);
size_t length(std::string_view s);

// Python's str.isspace() for one code point.
bool is_space(char32_t c);
// \w in Python's re (Unicode): letters, digits and underscore; non-ASCII letters are approximated
// as every code point above U+00BF that is not whitespace or CJK punctuation.
bool is_word(char32_t c);
bool is_alpha(char32_t c);
bool is_digit(char32_t c);
bool is_upper(char32_t c);
bool is_lower(char32_t c);

// Simple case mapping (ASCII, Latin-1, Latin Extended-A, Greek, Cyrillic); other scripts have no case.
char32_t to_upper(char32_t c);
char32_t to_lower(char32_t c);
std::string upper(std::string_view s);
std::string lower(std::string_view s);

// Python's str.strip/lstrip/rstrip; chars == nullptr strips whitespace.
std::string strip(std::string_view s, const std::string* chars, bool left, bool right);

// Python's str.splitlines().
std::vector<std::string> splitlines(std::string_view s, bool keepends);

}  // namespace transformers::templates::utf8
