// Precompiled: sentencepiece's normalization rules as shipped in tokenizer.json
// ("precompiled_charsmap", base64). Layout: uint32 little-endian trie size in bytes, the Darts
// double-array trie (uint32 units), then NUL-terminated replacement strings the trie values
// index into. Applied per extended grapheme cluster exactly as Hugging Face does.
#include <cstring>

#include <utf8proc.h>

#include "transformers/core/error.h"
#include "transformers/tokenizers/normalizers/normalizers.h"
#include "transformers/tokenizers/unicode.h"

namespace transformers::tok {

std::string base64_decode(std::string_view in) {
  auto val = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
  };
  std::string out;
  out.reserve(in.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=' || c == '\n' || c == '\r') continue;
    int v = val(c);
    TFM_CHECK(v >= 0, "[tokenizers] invalid base64 character '", c, "'");
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return out;
}

PrecompiledNormalizer::PrecompiledNormalizer(const std::string& blob) {
  TFM_CHECK(blob.size() >= 4, "[tokenizers] precompiled_charsmap: too short (", blob.size(), " bytes)");
  uint32_t trie_size;
  std::memcpy(&trie_size, blob.data(), 4);
  TFM_CHECK(trie_size % 4 == 0 && 4 + static_cast<size_t>(trie_size) <= blob.size(),
            "[tokenizers] precompiled_charsmap: trie size ", trie_size, " does not fit the ",
            blob.size(), "-byte blob");
  trie_.resize(trie_size / 4);
  std::memcpy(trie_.data(), blob.data() + 4, trie_size);
  normalized_ = blob.substr(4 + trie_size);
  TFM_CHECK(!trie_.empty(), "[tokenizers] precompiled_charsmap: empty trie");
}

const char* PrecompiledNormalizer::transform(std::string_view chunk, size_t* len) const {
  // Darts-clone unit layout: see its documentation (has_leaf bit 8, label, offset, value).
  auto offset = [](uint32_t u) { return (u >> 10) << ((u & (1u << 9)) >> 6); };
  auto label = [](uint32_t u) { return u & ((1u << 31) | 0xFF); };
  auto has_leaf = [](uint32_t u) { return ((u >> 8) & 1) == 1; };
  auto value = [](uint32_t u) { return u & ((1u << 31) - 1); };
  size_t node = offset(trie_[0]);
  for (unsigned char c : chunk) {
    node ^= c;
    if (node >= trie_.size()) return nullptr;
    uint32_t unit = trie_[node];
    if (label(unit) != c) return nullptr;
    node ^= offset(unit);
    if (node >= trie_.size()) return nullptr;
    if (has_leaf(unit)) {
      // The first (shortest) match wins, as in spm_precompiled.
      size_t v = value(trie_[node]);
      if (v >= normalized_.size()) return nullptr;
      const char* s = normalized_.data() + v;
      *len = strnlen(s, normalized_.size() - v);
      return s;
    }
  }
  return nullptr;
}

void PrecompiledNormalizer::normalize(NormalizedString& ns) const {
  const std::string& s = ns.get();
  std::vector<CharChange> dest;
  dest.reserve(s.size());
  bool modified = false;
  auto replace = [&](std::string_view old_part, const char* rep, size_t rep_len) {
    long old_count = static_cast<long>(unicode::count_chars(old_part));
    long new_count = 0;
    size_t j = 0;
    std::string_view r(rep, rep_len);
    while (j < r.size()) {
      dest.push_back({unicode::decode(r, j), 0});
      ++new_count;
    }
    long diff = new_count - old_count;
    if (diff > 0) {
      for (long k = 0; k < diff; ++k) dest[dest.size() - 1 - k].change = 1;
    } else if (diff < 0 && !dest.empty()) {
      dest.back().change += static_cast<int>(diff);
    }
  };
  size_t i = 0;
  utf8proc_int32_t state = 0;
  while (i < s.size()) {
    // One extended grapheme cluster [g, i).
    size_t g = i;
    char32_t prev = unicode::decode(s, i);
    while (i < s.size()) {
      size_t j = i;
      char32_t c = unicode::decode(s, j);
      if (utf8proc_grapheme_break_stateful(static_cast<utf8proc_int32_t>(prev),
                                           static_cast<utf8proc_int32_t>(c), &state))
        break;
      prev = c;
      i = j;
    }
    state = 0;
    std::string_view grapheme(s.data() + g, i - g);
    size_t rl = 0;
    if (grapheme.size() < 6) {
      if (const char* r = transform(grapheme, &rl)) {
        modified = true;
        replace(grapheme, r, rl);
        continue;
      }
    }
    size_t k = 0;
    while (k < grapheme.size()) {
      size_t start = k;
      char32_t c = unicode::decode(grapheme, k);
      std::string_view part = grapheme.substr(start, k - start);
      if (const char* r = transform(part, &rl)) {
        modified = true;
        replace(part, r, rl);
      } else {
        dest.push_back({c, 0});
      }
    }
  }
  if (modified) ns.transform(dest, 0);
}

}  // namespace transformers::tok
