// BPE (Hugging Face `models::bpe`): characters → vocabulary ids, then the ranked merges applied
// lowest rank first, leftmost first, through a heap — O(n log n) per word, never quadratic.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <thread>
#include <unordered_map>

#include "transformers/core/error.h"
#include "transformers/tokenizers/json.h"
#include "transformers/tokenizers/models/models.h"
#include "transformers/tokenizers/unicode.h"

namespace transformers::tok {

void VocabModel::add(std::string_view token, uint32_t id) {
  vocab_.set(token, id);
  if (id >= vocab_r_.size()) {
    vocab_r_.resize(static_cast<size_t>(id) + 1);
    has_.resize(static_cast<size_t>(id) + 1, false);
  }
  vocab_r_[id] = std::string(token);
  has_[id] = true;
}

void VocabModel::add_all(const std::vector<std::pair<std::string_view, uint32_t>>& entries) {
  uint32_t max_id = 0;
  size_t bytes = 0;
  std::vector<uint64_t> hashes(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    max_id = std::max(max_id, entries[i].second);
    bytes += entries[i].first.size();
    hashes[i] = StringIdMap::hash(entries[i].first);
  }
  vocab_.reserve(vocab_.size() + entries.size());
  vocab_.reserve_bytes(bytes);
  if (!entries.empty() && max_id >= vocab_r_.size()) {
    vocab_r_.resize(static_cast<size_t>(max_id) + 1);
    has_.resize(static_cast<size_t>(max_id) + 1, false);
  }
  constexpr size_t kAhead = 16;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (i + kAhead < entries.size()) vocab_.prefetch(hashes[i + kAhead]);
    auto [token, id] = entries[i];
    vocab_.set_hashed(token, hashes[i], id);
    vocab_r_[id] = std::string(token);
    has_[id] = true;
  }
}

namespace {
std::atomic<uint64_t> g_next_uid{1};

// Per-thread cache of merged words (HF keeps a shared cache of 10k words; per-thread caches
// avoid locking in batch encoding). Keyed by model uid so a destroyed model's entries never leak
// into another one.
struct WordCache {
  uint64_t uid = 0;
  std::unordered_map<std::string, BpeModel::Word> map;
};
constexpr size_t kCacheCapacity = 20000;
constexpr size_t kCacheMaxWord = 128;
WordCache& cache_for(uint64_t uid) {
  thread_local WordCache caches[4];
  thread_local unsigned next = 0;
  for (auto& c : caches)
    if (c.uid == uid) return c;
  WordCache& c = caches[next++ % 4];
  c.uid = uid;
  c.map.clear();
  return c;
}
}  // namespace

BpeModel::BpeModel(const std::vector<std::pair<std::string, uint32_t>>& vocab,
                   const std::vector<std::pair<std::string, std::string>>& merges, BpeOptions options)
    : opt_(std::move(options)) {
  vocab_.reserve(vocab.size());
  for (auto& [t, id] : vocab) add(t, id);
  merges_.reserve(merges.size());
  for (size_t i = 0; i < merges.size(); ++i) add_merge(merges[i].first, merges[i].second, static_cast<uint32_t>(i));
  finish_init();
}

uint32_t BpeModel::add_merge(std::string_view a, std::string_view b, uint32_t rank) {
  const uint32_t* ia = vocab_.find(a);
  const uint32_t* ib = vocab_.find(b);
  TFM_CHECK(ia && ib, "[tokenizers] BPE merge ", rank, " ('", a, "', '", b,
            "') uses a token missing from the vocabulary");
  std::string merged(a);
  const std::string& p = opt_.continuing_subword_prefix;
  merged += !p.empty() && b.substr(0, p.size()) == p ? b.substr(p.size()) : b;
  const uint32_t* im = vocab_.find(merged);
  TFM_CHECK(im, "[tokenizers] BPE merge ", rank, " ('", a, "', '", b, "'): merged token '", merged,
            "' is missing from the vocabulary");
  // A repeated pair keeps the later rank, as HF's map insertion does.
  merges_.set(*ia, *ib, {rank, *im});
  return *im;
}

BpeModel::BpeModel(const Json& j) {
  if (auto u = j.get("unk_token")) opt_.unk_token = std::string(u->str());
  opt_.continuing_subword_prefix = j.str_or("continuing_subword_prefix", "");
  opt_.end_of_word_suffix = j.str_or("end_of_word_suffix", "");
  opt_.fuse_unk = j.bool_or("fuse_unk", false);
  opt_.byte_fallback = j.bool_or("byte_fallback", false);
  opt_.ignore_merges = j.bool_or("ignore_merges", false);
  Json v = j.at("vocab");
  std::vector<std::pair<std::string_view, uint32_t>> entries;
  entries.reserve(v.size());
  v.for_each_field([&](std::string_view key, const Json& id) {
    if (!id.is_number()) v.fail(detail::concat("['", key, "']: expected an integer id"));
    int64_t x = id.integer();
    if (x < 0 || x > INT32_MAX) v.fail(detail::concat("['", key, "']: id ", x, " out of range"));
    entries.emplace_back(key, static_cast<uint32_t>(x));
  });
  add_all(entries);
  Json m = j.at("merges");
  std::vector<std::pair<std::string_view, std::string_view>> pairs(m.size());
  m.for_each_item([&](size_t i, const Json& e) {
    std::string_view a, b;
    if (e.is_string()) {
      std::string_view s = e.str();
      size_t sp = s.find(' ');
      if (sp == std::string_view::npos || s.find(' ', sp + 1) != std::string_view::npos)
        m.fail(detail::concat("[", i, "]: expected \"left right\" with exactly one space, got '", s, "'"));
      a = s.substr(0, sp);
      b = s.substr(sp + 1);
    } else if (e.is_array()) {
      if (!e.string_pair(a, b)) m.fail(detail::concat("[", i, "]: expected a pair of strings"));
    } else {
      m.fail(detail::concat("[", i, "]: expected a string or a pair of strings"));
    }
    pairs[i] = {a, b};
  });
  add_merges(pairs);
  finish_init();
}

// Note [Prefetched loading]: resolving the 515k merges of a large tokenizer.json means 1.5M
// vocabulary lookups and 515k inserts into tables of tens of MB, almost each one a cache miss.
// Lookups go in groups: hash every key of the group and prefetch its first slot, then find
// the candidate slots and prefetch their key bytes, then compare — so the misses overlap instead
// of queueing; inserts prefetch a few merges ahead. The
// lookups also run on a few threads (each on its own contiguous range); inserts stay serial in
// rank order so that a repeated pair keeps the later rank, as HF's map insertion does.
void BpeModel::add_merges(const std::vector<std::pair<std::string_view, std::string_view>>& pairs) {
  struct Resolved {
    uint32_t a, b, merged;
  };
  constexpr size_t kGroup = 16;
  std::vector<Resolved> res(pairs.size());
  size_t nt = pairs.size() < 50000 ? 1 : std::min<size_t>(4, std::max(1u, std::thread::hardware_concurrency()));
  std::vector<int64_t> bad(nt, -1);  // first unresolvable merge of each thread's range
  auto work = [&](size_t t) {
    const std::string& p = opt_.continuing_subword_prefix;
    std::string merged[kGroup];
    uint64_t h[kGroup][3];
    size_t slot[kGroup][3];
    size_t begin = pairs.size() * t / nt, end = pairs.size() * (t + 1) / nt;
    for (size_t g = begin; g < end; g += kGroup) {
      size_t n = std::min(kGroup, end - g);
      for (size_t k = 0; k < n; ++k) {
        auto [a, b] = pairs[g + k];
        merged[k].assign(a);
        merged[k] += !p.empty() && b.substr(0, p.size()) == p ? b.substr(p.size()) : b;
        h[k][0] = StringIdMap::hash(a);
        h[k][1] = StringIdMap::hash(b);
        h[k][2] = StringIdMap::hash(merged[k]);
        for (uint64_t x : h[k]) vocab_.prefetch(x);
      }
      for (size_t k = 0; k < n; ++k)
        for (int x = 0; x < 3; ++x) slot[k][x] = vocab_.candidate(h[k][x]);
      for (size_t k = 0; k < n; ++k) {
        auto [a, b] = pairs[g + k];
        const uint32_t* ia = vocab_.confirm(slot[k][0], a, h[k][0]);
        const uint32_t* ib = vocab_.confirm(slot[k][1], b, h[k][1]);
        const uint32_t* im = vocab_.confirm(slot[k][2], merged[k], h[k][2]);
        if (!ia || !ib || !im) {
          bad[t] = static_cast<int64_t>(g + k);
          return;
        }
        res[g + k] = {*ia, *ib, *im};
      }
    }
  };
  std::vector<std::thread> threads;
  for (size_t t = 1; t < nt; ++t) threads.emplace_back(work, t);
  work(0);
  for (auto& th : threads) th.join();
  for (int64_t b : bad)
    if (b >= 0) add_merge(pairs[b].first, pairs[b].second, static_cast<uint32_t>(b));  // throws, naming it
  merges_.reserve(pairs.size());
  constexpr size_t kAhead = 16;
  for (size_t i = 0; i < res.size(); ++i) {
    if (i + kAhead < res.size()) merges_.prefetch(res[i + kAhead].a, res[i + kAhead].b);
    merges_.set(res[i].a, res[i].b, {static_cast<uint32_t>(i), res[i].merged});
  }
}

void BpeModel::finish_init() {
  uid_ = g_next_uid++;
  if (opt_.unk_token) {
    if (const uint32_t* id = vocab_.find(*opt_.unk_token)) unk_id_ = *id;
  }
  const auto& bytes = unicode::byte_to_utf8();
  for (int b = 0; b < 256; ++b) {
    const uint32_t* id = vocab_.find(bytes[b]);
    byte_ids_[b] = id ? static_cast<int32_t>(*id) : -1;
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    const uint32_t* f = vocab_.find(name);
    fallback_ids_[b] = f ? static_cast<int32_t>(*f) : -1;
  }
}

void BpeModel::initial_symbols(std::string_view s, bool byte_level, Word& w) const {
  w.clear();
  bool affixes = !opt_.continuing_subword_prefix.empty() || !opt_.end_of_word_suffix.empty();
  if (byte_level && !affixes) {
    // Each byte is one character of the byte-level alphabet (Note [Lazy byte-level]).
    bool all = true;
    for (unsigned char c : s) {
      if (byte_ids_[c] < 0) { all = false; break; }
      w.push_back({static_cast<uint32_t>(byte_ids_[c]), 1});
    }
    if (all) return;
    w.clear();
  }
  std::string mapped;
  if (byte_level) {
    const auto& t = unicode::byte_to_utf8();
    for (unsigned char c : s) mapped += t[c];
  }
  std::string_view text = byte_level ? std::string_view(mapped) : s;
  std::optional<std::pair<uint32_t, uint32_t>> unk;
  std::string buf;
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    i += unicode::char_len(static_cast<unsigned char>(text[i]));
    if (i > text.size()) i = text.size();
    // Symbol length in the piece's own bytes: one raw byte per character when byte-level.
    uint32_t len = byte_level ? 1 : static_cast<uint32_t>(i - start);
    std::string_view ch = text.substr(start, i - start);
    const uint32_t* id;
    if (affixes) {
      buf.clear();
      if (start > 0) buf += opt_.continuing_subword_prefix;
      buf += ch;
      if (i == text.size()) buf += opt_.end_of_word_suffix;
      id = vocab_.find(buf);
      ch = buf;
    } else {
      id = vocab_.find(ch);
    }
    if (id) {
      if (unk) {
        w.push_back(*unk);
        unk.reset();
      }
      w.push_back({*id, len});
      continue;
    }
    if (opt_.byte_fallback) {
      bool ok = true;
      for (unsigned char c : ch) ok &= fallback_ids_[c] >= 0;
      if (ok) {
        // HF gives each fallback byte a length of 1 byte of the piece.
        for (unsigned char c : ch) w.push_back({static_cast<uint32_t>(fallback_ids_[c]), 1});
        continue;
      }
    }
    if (opt_.unk_token) {
      TFM_CHECK(unk_id_, "[tokenizers] BPE unk_token '", *opt_.unk_token, "' is not in the vocabulary");
      if (unk && opt_.fuse_unk) {
        unk->second += len;
      } else {
        if (unk) w.push_back(*unk);
        unk = std::make_pair(*unk_id_, len);
      }
    }
  }
  if (unk) w.push_back(*unk);
}

void BpeModel::merge_all(Word& w) const {
  if (w.size() < 2) return;
  struct Sym {
    uint32_t id, len;
    int32_t prev, next;
  };
  struct Cand {
    uint32_t rank, pos, id;
    bool operator<(const Cand& o) const {  // max-heap on the reverse: lowest rank, then leftmost
      return rank != o.rank ? rank > o.rank : pos > o.pos;
    }
  };
  thread_local std::vector<Sym> sym;
  thread_local std::vector<Cand> heap;
  sym.clear();
  heap.clear();
  int32_t n = static_cast<int32_t>(w.size());
  for (int32_t i = 0; i < n; ++i) sym.push_back({w[i].first, w[i].second, i - 1, i + 1 < n ? i + 1 : -1});
  for (int32_t i = 0; i + 1 < n; ++i)
    if (const PairMap::Value* m = merges_.find(sym[i].id, sym[i + 1].id))
      heap.push_back({m->rank, static_cast<uint32_t>(i), m->id});
  std::make_heap(heap.begin(), heap.end());
  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end());
    Cand top = heap.back();
    heap.pop_back();
    Sym& cur = sym[top.pos];
    if (cur.len == 0 || cur.next < 0) continue;
    Sym& right = sym[cur.next];
    const PairMap::Value* m = merges_.find(cur.id, right.id);
    if (!m || m->id != top.id) continue;  // stale entry
    cur.id = top.id;
    cur.len += right.len;
    right.len = 0;
    int32_t nn = right.next;
    cur.next = nn;
    if (nn >= 0) sym[nn].prev = static_cast<int32_t>(top.pos);
    if (cur.prev >= 0) {
      if (const PairMap::Value* p = merges_.find(sym[cur.prev].id, cur.id)) {
        heap.push_back({p->rank, static_cast<uint32_t>(cur.prev), p->id});
        std::push_heap(heap.begin(), heap.end());
      }
    }
    if (nn >= 0) {
      if (const PairMap::Value* p = merges_.find(cur.id, sym[nn].id)) {
        heap.push_back({p->rank, top.pos, p->id});
        std::push_heap(heap.begin(), heap.end());
      }
    }
  }
  w.clear();
  for (const Sym& s : sym)
    if (s.len) w.push_back({s.id, s.len});
}

void BpeModel::merge_word(std::string_view s, bool byte_level, Word& out) const {
  initial_symbols(s, byte_level, out);
  merge_all(out);
}

void BpeModel::tokenize(const NormalizedString& piece, std::vector<Token>& out) const {
  const std::string& s = piece.get();
  if (s.empty()) return;
  bool bl = piece.byte_level();
  auto emit_whole = [&](uint32_t id) {
    out.push_back(Token{id, vocab_r_[id], 0, static_cast<uint32_t>(s.size())});
  };
  if (opt_.ignore_merges) {
    if (bl) {
      std::string mapped;
      const auto& t = unicode::byte_to_utf8();
      for (unsigned char c : s) mapped += t[c];
      if (const uint32_t* id = vocab_.find(mapped)) return emit_whole(*id);
    } else if (const uint32_t* id = vocab_.find(s)) {
      return emit_whole(*id);
    }
  }
  thread_local Word word;
  const Word* w = &word;
  bool cacheable = s.size() <= kCacheMaxWord;
  WordCache* cache = nullptr;
  std::string key;
  if (cacheable) {
    cache = &cache_for(uid_);
    key.reserve(s.size() + 1);
    key.push_back(bl ? '\1' : '\0');
    key += s;
    auto it = cache->map.find(key);
    if (it != cache->map.end()) {
      w = &it->second;
    } else {
      merge_word(s, bl, word);
      if (cache->map.size() < kCacheCapacity) w = &cache->map.emplace(std::move(key), word).first->second;
    }
  } else {
    merge_word(s, bl, word);
  }
  uint32_t pos = 0;
  for (auto [id, len] : *w) {
    out.push_back(Token{id, vocab_r_[id], pos, pos + len});
    pos += len;
  }
}

}  // namespace transformers::tok
