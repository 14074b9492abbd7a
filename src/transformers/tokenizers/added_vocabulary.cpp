#include "transformers/tokenizers/added_vocabulary.h"

#include "transformers/tokenizers/unicode.h"

namespace transformers::tok {

void AddedVocabulary::Matcher::insert(std::string_view s, int32_t token_index) {
  if (terminal.empty()) terminal.push_back(-1);
  if (s.empty()) return;
  uint32_t node = 0;
  for (unsigned char c : s) {
    const PairMap::Value* e = edges.find(node, c);
    if (e) {
      node = e->rank;
    } else {
      uint32_t child = static_cast<uint32_t>(terminal.size());
      terminal.push_back(-1);
      edges.set(node, c, {child, 0});
      node = child;
    }
  }
  terminal[node] = token_index;
  first[static_cast<unsigned char>(s[0])] = true;
}

void AddedVocabulary::add(const AddedToken& t, uint32_t id, const Normalizer* normalizer) {
  auto it = by_id_.find(id);
  size_t index;
  if (it != by_id_.end()) {
    index = it->second;
    tokens_[index].second = t;
  } else {
    index = tokens_.size();
    tokens_.emplace_back(id, t);
    by_id_[id] = index;
  }
  by_content_[t.content] = id;
  if (t.special && !t.content.empty()) special_.insert(t.content);
  if (t.normalized) {
    NormalizedString ns(t.content, 0);
    if (normalizer) normalizer->normalize(ns);
    normalized_.insert(ns.get(), static_cast<int32_t>(index));
  } else {
    original_.insert(t.content, static_cast<int32_t>(index));
  }
}

std::optional<uint32_t> AddedVocabulary::token_to_id(std::string_view content) const {
  auto it = by_content_.find(std::string(content));
  if (it == by_content_.end()) return std::nullopt;
  return it->second;
}

const AddedToken* AddedVocabulary::by_id(uint32_t id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &tokens_[it->second].second;
}

namespace {
// The code point that ends just before byte `i` / starts at byte `i`.
char32_t char_before(const std::string& s, size_t i) {
  size_t b = i - 1;
  while (b > 0 && unicode::is_continuation(static_cast<unsigned char>(s[b]))) --b;
  return unicode::decode(s, b);
}
}  // namespace

void AddedVocabulary::split_with(std::vector<Split>& splits, const Matcher& m) const {
  if (m.empty()) return;
  std::vector<Split> next;
  next.reserve(splits.size());
  struct Hit {
    size_t start, end;
    int32_t token;  // -1: plain text
  };
  std::vector<Hit> hits;
  for (Split& piece : splits) {
    if (piece.done) {
      next.push_back(std::move(piece));
      continue;
    }
    const std::string& s = piece.ns.get();
    hits.clear();
    size_t prev = 0;
    size_t i = 0;
    while (i < s.size()) {
      if (!m.first[static_cast<unsigned char>(s[i])]) {
        ++i;
        continue;
      }
      uint32_t node = 0;
      size_t best_len = 0;
      int32_t best = -1;
      for (size_t k = i; k < s.size(); ++k) {
        const PairMap::Value* e = m.edges.find(node, static_cast<unsigned char>(s[k]));
        if (!e) break;
        node = e->rank;
        if (m.terminal[node] >= 0) {
          best = m.terminal[node];
          best_len = k + 1 - i;
        }
      }
      if (best < 0) {
        ++i;
        continue;
      }
      size_t start = i, stop = i + best_len;
      const AddedToken& tok = tokens_[best].second;
      i = stop;  // the scan resumes after the raw match, as the automaton does
      if (encode_special_tokens_ && special_.count(tok.content)) continue;
      if (tok.single_word) {
        bool start_ok = start == 0 || !unicode::is_word_char(char_before(s, start));
        size_t j = stop;
        bool stop_ok = stop == s.size() || !unicode::is_word_char(unicode::decode(s, j));
        if (!start_ok || !stop_ok) continue;
      }
      if (tok.lstrip) {
        size_t ls = start;
        while (ls > 0) {
          size_t b = ls - 1;
          while (b > 0 && unicode::is_continuation(static_cast<unsigned char>(s[b]))) --b;
          size_t j = b;
          if (!unicode::is_whitespace(unicode::decode(s, j))) break;
          ls = b;
        }
        start = std::max(ls, prev);
      }
      if (tok.rstrip) {
        while (stop < s.size()) {
          size_t j = stop;
          if (!unicode::is_whitespace(unicode::decode(s, j))) break;
          stop = j;
        }
        i = std::max(i, stop);
      }
      if (prev < start) hits.push_back({prev, start, -1});
      hits.push_back({start, stop, best});
      prev = stop;
    }
    if (hits.empty()) {
      next.push_back(std::move(piece));
      continue;
    }
    if (prev < s.size()) hits.push_back({prev, s.size(), -1});
    for (const Hit& h : hits) {
      Split sp{piece.ns.slice(h.start, h.end), false, {}};
      if (h.token >= 0) {
        sp.done = true;
        const std::string& v = sp.ns.get();
        sp.tokens.push_back(Token{tokens_[h.token].first, v, 0, static_cast<uint32_t>(v.size())});
      }
      next.push_back(std::move(sp));
    }
  }
  splits = std::move(next);
}

}  // namespace transformers::tok
