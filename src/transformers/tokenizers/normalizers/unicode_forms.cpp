// NFC, NFD, NFKC, NFKD with Hugging Face's alignment semantics: decomposed characters after the
// first are "inserted" (they share the source character's span); a composition keeps the span
// of its starter and removes the characters it absorbed.
#include <algorithm>

#include <utf8proc.h>

#include "transformers/tokenizers/normalizers/normalizers.h"
#include "transformers/tokenizers/unicode.h"

namespace transformers::tok {

namespace {

int ccc(char32_t c) {
  return utf8proc_get_property(static_cast<utf8proc_int32_t>(c))->combining_class;
}

// Full (recursive) decomposition of one character.
void decompose_char(char32_t c, bool compat, std::vector<CharChange>& out) {
  utf8proc_int32_t buf[32];
  int last = 0;
  int opts = UTF8PROC_DECOMPOSE | (compat ? UTF8PROC_COMPAT : 0);
  auto n = utf8proc_decompose_char(static_cast<utf8proc_int32_t>(c), buf, 32,
                                   static_cast<utf8proc_option_t>(opts), &last);
  if (n <= 0 || n > 32) {
    out.push_back({c, 0});
    return;
  }
  for (int k = 0; k < n; ++k) out.push_back({static_cast<char32_t>(buf[k]), k > 0 ? 1 : 0});
}

// Canonical ordering: stable sort of each run of non-starters by combining class.
void reorder(std::vector<CharChange>& v) {
  size_t i = 0;
  while (i < v.size()) {
    if (ccc(v[i].c) == 0) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < v.size() && ccc(v[j].c) != 0) ++j;
    std::stable_sort(v.begin() + static_cast<long>(i), v.begin() + static_cast<long>(j),
                     [](const CharChange& a, const CharChange& b) { return ccc(a.c) < ccc(b.c); });
    i = j;
  }
}

// The primary composite of (a, b), or 0.
char32_t compose_pair(char32_t a, char32_t b) {
  utf8proc_int32_t buf[2] = {static_cast<utf8proc_int32_t>(a), static_cast<utf8proc_int32_t>(b)};
  auto n = utf8proc_normalize_utf32(buf, 2, static_cast<utf8proc_option_t>(UTF8PROC_COMPOSE));
  return n == 1 ? static_cast<char32_t>(buf[0]) : 0;
}

void compose(std::vector<CharChange>& v) {
  if (v.empty()) return;
  std::vector<CharChange> out;
  out.reserve(v.size());
  long starter = -1;  // index in `out` of the last starter
  int last_cc = 0;    // combining class of the last character kept after it
  for (const CharChange& x : v) {
    int cc = ccc(x.c);
    if (starter >= 0) {
      bool adjacent = static_cast<long>(out.size()) - 1 == starter;
      bool blocked = !adjacent && (last_cc == 0 || last_cc >= cc);
      if (!blocked) {
        if (char32_t p = compose_pair(out[starter].c, x.c)) {
          out[starter].c = p;
          out[starter].change += x.change - 1;  // the absorbed character is removed
          continue;
        }
      }
    }
    if (cc == 0) starter = static_cast<long>(out.size());
    last_cc = cc;
    out.push_back(x);
  }
  v = std::move(out);
}

}  // namespace

void UnicodeNormalizer::normalize(NormalizedString& s) const {
  const std::string& str = s.get();
  bool ascii = true;
  for (unsigned char c : str) ascii &= c < 0x80;
  if (ascii) return;  // ASCII is invariant under all four forms
  bool compat = form_ == UnicodeForm::NFKC || form_ == UnicodeForm::NFKD;
  bool comp = form_ == UnicodeForm::NFC || form_ == UnicodeForm::NFKC;
  std::vector<CharChange> v;
  v.reserve(str.size());
  size_t i = 0;
  while (i < str.size()) decompose_char(unicode::decode(str, i), compat, v);
  reorder(v);
  if (comp) compose(v);
  // Unchanged text keeps its alignments untouched.
  bool same = true;
  {
    size_t k = 0, j = 0;
    while (j < str.size() && k < v.size()) {
      if (unicode::decode(str, j) != v[k].c || v[k].change != 0) { same = false; break; }
      ++k;
    }
    same = same && j == str.size() && k == v.size();
  }
  if (!same) s.transform(v, 0);
}

}  // namespace transformers::tok
