// UnicodeScripts (Hugging Face `pre_tokenizers::unicode_scripts`): splits where the Unicode script
// changes. Scripts come from unicode_scripts_table.h, generated from the Unicode Character
// Database (see gen_unicode_scripts.py) as Hugging Face's Unicode 9.0 table: later code points
// are "Any", as is the space, and Any never starts a new piece.
#include <algorithm>
#include <array>

#include "transformers/tokenizers/pre_tokenizers/pre_tokenizers.h"
#include "transformers/tokenizers/pre_tokenizers/unicode_scripts_table.h"
#include "transformers/tokenizers/unicode.h"

namespace transformers::tok {

namespace {

namespace us = unicode_scripts;

uint8_t lookup(char32_t c) {
  const us::Range* end = std::end(us::kRanges);
  const us::Range* it = std::upper_bound(std::begin(us::kRanges), end, c,
                                         [](char32_t v, const us::Range& r) { return v < r.first; });
  if (it == std::begin(us::kRanges)) return 0;
  --it;
  return c <= it->last ? it->script : 0;
}

}  // namespace

// HF's fixed_script: Hiragana and Katakana count as Han (as does U+30FC, the prolonged sound
// mark, which is Common; Hangul stays Hangul), and the space is Any.
uint8_t unicode_script(char32_t c) {
  static const std::array<uint8_t, 128> ascii = [] {
    std::array<uint8_t, 128> a{};
    for (char32_t k = 0; k < 128; ++k) a[k] = lookup(k);
    return a;
  }();
  if (c == ' ') return 0;
  if (c == 0x30FC) return us::kHan;
  uint8_t s = c < 128 ? ascii[c] : lookup(c);
  if (s == us::kHiragana || s == us::kKatakana) return us::kHan;
  return s;
}

void UnicodeScriptsPreTokenizer::pre_tokenize(std::vector<Split>& splits) const {
  split_pieces(splits, [&](NormalizedString&& ns, std::vector<NormalizedString>& out) {
    const std::string& s = ns.get();
    // As HF: the first cut is where the first non-Any character starts, so Any characters
    // before it (leading spaces) are left out of every piece, and a piece of Any only is dropped.
    std::vector<size_t> cuts;
    int last = -1;  // no script seen yet
    size_t i = 0;
    while (i < s.size()) {
      size_t start = i;
      int sc = unicode_script(unicode::decode(s, i));
      if (sc != 0 && last != 0 && last != sc) cuts.push_back(start);
      if (sc != 0) last = sc;
    }
    cuts.push_back(s.size());
    for (size_t k = 0; k + 1 < cuts.size(); ++k)
      if (cuts[k + 1] > cuts[k]) out.push_back(ns.slice(cuts[k], cuts[k + 1]));
  });
}

}  // namespace transformers::tok
