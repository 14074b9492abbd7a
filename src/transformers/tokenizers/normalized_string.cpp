#include "transformers/tokenizers/normalized_string.h"

#include <algorithm>

#include "transformers/core/error.h"
#include "transformers/tokenizers/regex.h"
#include "transformers/tokenizers/unicode.h"

namespace transformers::tok {

using unicode::char_len;
using unicode::is_continuation;

// ---- Pattern ----

Pattern Pattern::literal(std::string s) {
  Pattern p;
  p.kind_ = Kind::Literal;
  p.literal_ = std::move(s);
  return p;
}
Pattern Pattern::predicate(std::function<bool(char32_t)> f) {
  Pattern p;
  p.kind_ = Kind::Predicate;
  p.pred_ = std::move(f);
  return p;
}
Pattern Pattern::regex(std::shared_ptr<const Regex> re) {
  Pattern p;
  p.kind_ = Kind::Regex;
  p.re_ = std::move(re);
  return p;
}

void Pattern::find_matches(std::string_view s, std::vector<std::pair<Span, bool>>& out) const {
  out.clear();
  if (s.empty()) {
    out.push_back({{0, 0}, false});
    return;
  }
  auto n = static_cast<uint32_t>(s.size());
  uint32_t prev = 0;
  auto add = [&](size_t a, size_t b) {
    if (prev != a) out.push_back({{prev, static_cast<uint32_t>(a)}, false});
    out.push_back({{static_cast<uint32_t>(a), static_cast<uint32_t>(b)}, true});
    prev = static_cast<uint32_t>(b);
  };
  switch (kind_) {
    case Kind::Literal: {
      if (literal_.empty()) {
        out.push_back({{0, n}, false});
        return;
      }
      size_t pos = 0;
      while ((pos = s.find(literal_, pos)) != std::string_view::npos) {
        add(pos, pos + literal_.size());
        pos += literal_.size();
      }
      break;
    }
    case Kind::Predicate: {
      size_t i = 0;
      while (i < s.size()) {
        size_t start = i;
        char32_t c = unicode::decode(s, i);
        if (pred_(c)) add(start, i);
      }
      break;
    }
    case Kind::Regex: {
      std::vector<std::pair<size_t, size_t>> m;
      re_->find_all(s, m);
      for (auto [a, b] : m) add(a, b);
      break;
    }
  }
  if (prev != n) out.push_back({{prev, n}, false});
}

// ---- NormalizedString ----

NormalizedString::NormalizedString(std::string_view text, uint32_t base)
    : normalized_(text), original_{base, base + static_cast<uint32_t>(text.size())} {}

Span NormalizedString::align_at(size_t i) const {
  if (!align_.empty()) return align_[i];
  // Identity: the span of the character containing byte i.
  size_t s = i;
  while (s > 0 && is_continuation(static_cast<unsigned char>(normalized_[s]))) --s;
  size_t e = s + char_len(static_cast<unsigned char>(normalized_[s]));
  return {original_.start + static_cast<uint32_t>(s), original_.start + static_cast<uint32_t>(e)};
}

Span NormalizedString::to_original(size_t b, size_t e) const {
  if (b >= e) return {original_.start, original_.start};
  return {align_at(b).start, align_at(e - 1).end};
}

void NormalizedString::materialize() {
  if (!align_.empty() || normalized_.empty()) return;
  align_.resize(normalized_.size());
  size_t i = 0;
  while (i < normalized_.size()) {
    size_t n = char_len(static_cast<unsigned char>(normalized_[i]));
    Span sp{original_.start + static_cast<uint32_t>(i), original_.start + static_cast<uint32_t>(i + n)};
    for (size_t k = 0; k < n && i + k < align_.size(); ++k) align_[i + k] = sp;
    i += n;
  }
}

void NormalizedString::transform(const std::vector<CharChange>& dest, size_t initial_offset) {
  materialize();
  std::string out;
  std::vector<Span> al;
  out.reserve(normalized_.size());
  al.reserve(normalized_.size());
  size_t src = 0;
  auto skip_char = [&] {
    if (src < normalized_.size()) src += char_len(static_cast<unsigned char>(normalized_[src]));
  };
  for (size_t k = 0; k < initial_offset; ++k) skip_char();
  Span empty{original_.start, original_.start};
  for (const CharChange& d : dest) {
    Span a;
    if (d.change > 0) {
      a = src < 1 ? empty : align_[std::min(src, align_.size()) - 1];
    } else {
      a = src < align_.size() ? align_[src] : (align_.empty() ? empty : align_.back());
      skip_char();
      for (int k = 0; k < -d.change; ++k) skip_char();
    }
    size_t before = out.size();
    unicode::append_utf8(out, d.c);
    al.insert(al.end(), out.size() - before, a);
  }
  normalized_ = std::move(out);
  align_ = std::move(al);
}

void NormalizedString::replace(const Pattern& p, std::string_view content) {
  std::vector<std::pair<Span, bool>> m;
  p.find_matches(normalized_, m);
  bool any = false;
  for (auto& [sp, is_match] : m) any |= is_match;
  if (!any) return;
  materialize();
  std::string out;
  std::vector<Span> al;
  out.reserve(normalized_.size());
  al.reserve(normalized_.size());
  size_t clen = content.size();
  for (auto& [sp, is_match] : m) {
    if (!is_match) {
      out.append(normalized_, sp.start, sp.end - sp.start);
      al.insert(al.end(), align_.begin() + sp.start, align_.begin() + sp.end);
    } else {
      // Every inserted character takes the span of the last replaced byte (HF `replace`).
      Span a = sp.end >= 1 ? align_[sp.end - 1] : Span{original_.start, original_.start};
      out.append(content);
      al.insert(al.end(), clen, a);
    }
  }
  normalized_ = std::move(out);
  align_ = std::move(al);
}

void NormalizedString::prepend(std::string_view s) {
  if (normalized_.empty()) return;
  size_t i = 0;
  char32_t first = unicode::decode(normalized_, i);
  std::vector<CharChange> dest;
  size_t j = 0, k = 0;
  while (j < s.size()) dest.push_back({unicode::decode(s, j), k++ == 0 ? 0 : 1});
  dest.push_back({first, 1});
  // Transform only the first character: rebuild by hand to keep the rest untouched.
  materialize();
  std::string rest = normalized_.substr(i);
  std::vector<Span> rest_al(align_.begin() + static_cast<long>(i), align_.end());
  normalized_.resize(i);
  align_.resize(i);
  transform(dest, 0);
  normalized_ += rest;
  align_.insert(align_.end(), rest_al.begin(), rest_al.end());
}

void NormalizedString::append(std::string_view s) {
  materialize();
  Span a = align_.empty() ? Span{original_.end, original_.end} : align_.back();
  if (align_.empty()) a = Span{original_.start, original_.start};
  normalized_ += s;
  align_.insert(align_.end(), s.size(), a);
}

void NormalizedString::lowercase() {
  bool ascii_only = true;
  for (unsigned char c : normalized_) ascii_only &= c < 0x80;
  if (ascii_only) {
    // Lowercasing ASCII never changes lengths: alignments stay as they are.
    for (char& c : normalized_)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    return;
  }
  std::vector<CharChange> dest;
  dest.reserve(normalized_.size());
  size_t i = 0;
  while (i < normalized_.size()) {
    char32_t c = unicode::decode(normalized_, i);
    auto l = unicode::lowercase(c);
    for (size_t k = 0; k < l.size(); ++k) dest.push_back({l[k], k > 0 ? 1 : 0});
  }
  transform(dest, 0);
}

void NormalizedString::filter(const std::function<bool(char32_t)>& keep) {
  // Removed characters vanish; kept ones keep their own spans (what HF's filter amounts to).
  materialize();
  std::string out;
  std::vector<Span> al;
  size_t i = 0;
  while (i < normalized_.size()) {
    size_t s = i;
    char32_t c = unicode::decode(normalized_, i);
    if (keep(c)) {
      out.append(normalized_, s, i - s);
      al.insert(al.end(), align_.begin() + static_cast<long>(s), align_.begin() + static_cast<long>(i));
    }
  }
  normalized_ = std::move(out);
  align_ = std::move(al);
}

void NormalizedString::lstrip_rstrip(bool left, bool right) {
  size_t b = 0, e = normalized_.size();
  if (left) {
    while (b < e) {
      size_t j = b;
      if (!unicode::is_whitespace(unicode::decode(normalized_, j))) break;
      b = j;
    }
  }
  if (right) {
    while (e > b) {
      size_t s = e - 1;
      while (s > b && is_continuation(static_cast<unsigned char>(normalized_[s]))) --s;
      size_t j = s;
      if (!unicode::is_whitespace(unicode::decode(normalized_, j))) break;
      e = s;
    }
  }
  if (b == 0 && e == normalized_.size()) return;
  materialize();
  normalized_ = normalized_.substr(b, e - b);
  align_ = std::vector<Span>(align_.begin() + static_cast<long>(b), align_.begin() + static_cast<long>(e));
}

void NormalizedString::materialize_byte_level() {
  if (!byte_level_) return;
  byte_level_ = false;
  // Each byte becomes one character; the first byte of a character replaces it, the others are
  // inserted (and so take the span of the byte before them: the same character).
  std::vector<CharChange> dest;
  dest.reserve(normalized_.size());
  const auto& table = unicode::byte_to_char();
  size_t i = 0;
  while (i < normalized_.size()) {
    size_t n = char_len(static_cast<unsigned char>(normalized_[i]));
    for (size_t k = 0; k < n; ++k)
      dest.push_back({table[static_cast<unsigned char>(normalized_[i + k])], k > 0 ? 1 : 0});
    i += n;
  }
  transform(dest, 0);
}

NormalizedString NormalizedString::slice(size_t b, size_t e) const {
  NormalizedString r;
  r.normalized_ = normalized_.substr(b, e - b);
  r.original_ = to_original(b, e);
  if (!align_.empty()) {
    r.align_.assign(align_.begin() + static_cast<long>(b), align_.begin() + static_cast<long>(e));
  } else if (b < e) {
    // Identity slices of identity strings stay identity: byte b is on a character boundary.
    r.original_ = {original_.start + static_cast<uint32_t>(b), original_.start + static_cast<uint32_t>(e)};
  }
  r.byte_level_ = byte_level_;
  return r;
}

void NormalizedString::split(const Pattern& p, SplitBehavior behavior,
                             std::vector<NormalizedString>& out, bool invert) const {
  std::vector<std::pair<Span, bool>> m;
  p.find_matches(normalized_, m);
  if (invert)
    for (auto& x : m) x.second = !x.second;
  // `second` now means "remove this range".
  std::vector<std::pair<Span, bool>> r;
  r.reserve(m.size());
  switch (behavior) {
    case SplitBehavior::Isolated:
      for (auto& x : m) r.push_back({x.first, false});
      break;
    case SplitBehavior::Removed:
      r = std::move(m);
      break;
    case SplitBehavior::Contiguous: {
      bool prev = false;
      for (auto& [sp, is_match] : m) {
        if (is_match == prev && !r.empty()) r.back().first.end = sp.end;
        else r.push_back({sp, false});
        prev = is_match;
      }
      break;
    }
    case SplitBehavior::MergedWithPrevious: {
      bool prev = false;
      for (auto& [sp, is_match] : m) {
        if (is_match && !prev && !r.empty()) r.back().first.end = sp.end;
        else r.push_back({sp, false});
        prev = is_match;
      }
      break;
    }
    case SplitBehavior::MergedWithNext: {
      bool prev = false;
      for (auto it = m.rbegin(); it != m.rend(); ++it) {
        if (it->second && !prev && !r.empty()) r.back().first.start = it->first.start;
        else r.push_back({it->first, false});
        prev = it->second;
      }
      std::reverse(r.begin(), r.end());
      break;
    }
  }
  for (auto& [sp, remove] : r)
    if (!remove && sp.end > sp.start) out.push_back(slice(sp.start, sp.end));
}

}  // namespace transformers::tok
