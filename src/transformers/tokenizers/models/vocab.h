#pragma once
// Flat open-addressing hash maps for vocabularies and merges: large tokenizer.json files
// (262k tokens, 515k merges) must load in milliseconds and lookups sit on the encode hot path.
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace transformers::tok {

inline uint64_t hash_bytes(const char* p, size_t n) {
  // A simple multiply-mix hash over 8-byte words; good enough for token strings.
  uint64_t h = 0x9E3779B97F4A7C15ULL ^ (n * 0xFF51AFD7ED558CCDULL);
  while (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    h = (h ^ (w * 0xC2B2AE3D27D4EB4FULL)) * 0x9E3779B97F4A7C15ULL;
    h ^= h >> 29;
    p += 8;
    n -= 8;
  }
  uint64_t w = 0;
  std::memcpy(&w, p, n);
  h = (h ^ (w * 0xC2B2AE3D27D4EB4FULL)) * 0x9E3779B97F4A7C15ULL;
  h ^= h >> 32;
  return h;
}

// string → uint32 id. Keys are copied into an internal arena.
class StringIdMap {
 public:
  void reserve(size_t n) {
    size_t cap = 16;
    while (cap < n * 2) cap <<= 1;
    if (cap > slots_.size()) rehash(cap);
  }
  void reserve_bytes(size_t n) { arena_.reserve(arena_.size() + n); }
  // Inserts or overwrites.
  void set(std::string_view key, uint32_t id) { set_hashed(key, hash_bytes(key.data(), key.size()), id); }
  void set_hashed(std::string_view key, uint64_t h, uint32_t id) {
    if ((count_ + 1) * 2 > slots_.size()) rehash(slots_.empty() ? 16 : slots_.size() * 2);
    size_t i = h & (slots_.size() - 1);
    while (slots_[i].len != kEmpty) {
      if (slots_[i].hash == h && key_of(slots_[i]) == key) {
        slots_[i].id = id;
        return;
      }
      i = (i + 1) & (slots_.size() - 1);
    }
    slots_[i] = Slot{h, static_cast<uint32_t>(arena_.size()), static_cast<uint32_t>(key.size()), id};
    arena_.append(key);
    ++count_;
  }
  const uint32_t* find(std::string_view key) const { return find_hashed(key, hash_bytes(key.data(), key.size())); }
  // Batched lookups (Note [Prefetched loading]): hash a group of keys, prefetch their first
  // slots, then find them — the slot reads then overlap instead of waiting one after the other.
  static uint64_t hash(std::string_view key) { return hash_bytes(key.data(), key.size()); }
  void prefetch(uint64_t h) const {
    if (!slots_.empty()) __builtin_prefetch(&slots_[h & (slots_.size() - 1)]);
  }
  // Two steps for batches: `candidate` reads the (prefetched) slots for the first entry with the
  // key's hash and prefetches that entry's key bytes; `confirm` compares them later, so the key
  // read overlaps with the other lookups too. A hash collision falls back to find_hashed.
  static constexpr size_t kNoSlot = SIZE_MAX;
  size_t candidate(uint64_t h) const {
    if (slots_.empty()) return kNoSlot;
    size_t i = h & (slots_.size() - 1);
    while (slots_[i].len != kEmpty) {
      if (slots_[i].hash == h) {
        __builtin_prefetch(arena_.data() + slots_[i].off);
        return i;
      }
      i = (i + 1) & (slots_.size() - 1);
    }
    return kNoSlot;
  }
  const uint32_t* confirm(size_t slot, std::string_view key, uint64_t h) const {
    if (slot == kNoSlot) return nullptr;
    if (key_of(slots_[slot]) == key) return &slots_[slot].id;
    return find_hashed(key, h);
  }
  const uint32_t* find_hashed(std::string_view key, uint64_t h) const {
    if (slots_.empty()) return nullptr;
    size_t i = h & (slots_.size() - 1);
    while (slots_[i].len != kEmpty) {
      if (slots_[i].hash == h && key_of(slots_[i]) == key) return &slots_[i].id;
      i = (i + 1) & (slots_.size() - 1);
    }
    return nullptr;
  }
  size_t size() const { return count_; }
  template <typename F>
  void for_each(F&& f) const {
    for (const Slot& s : slots_)
      if (s.len != kEmpty) f(key_of(s), s.id);
  }

 private:
  static constexpr uint32_t kEmpty = UINT32_MAX;
  struct Slot {
    uint64_t hash = 0;
    uint32_t off = 0, len = kEmpty, id = 0;
  };
  std::string_view key_of(const Slot& s) const { return std::string_view(arena_).substr(s.off, s.len); }
  void rehash(size_t cap) {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(cap, Slot{});
    for (const Slot& s : old) {
      if (s.len == kEmpty) continue;
      size_t i = s.hash & (cap - 1);
      while (slots_[i].len != kEmpty) i = (i + 1) & (cap - 1);
      slots_[i] = s;
    }
  }
  std::vector<Slot> slots_;
  std::string arena_;
  size_t count_ = 0;
};

// (left id, right id) → (rank, merged id). Key and value share one 16-byte slot, so a lookup
// touches one cache line (the merge loop and loading are bound by these reads).
class PairMap {
 public:
  struct Value {
    uint32_t rank, id;
  };
  void reserve(size_t n) {
    size_t cap = 16;
    while (cap < n * 2) cap <<= 1;
    slots_.assign(cap, Slot{});
    count_ = 0;
  }
  void set(uint32_t a, uint32_t b, Value v) {
    if ((count_ + 1) * 2 > slots_.size()) grow();
    uint64_t k = key(a, b);
    size_t i = mix(k) & (slots_.size() - 1);
    while (slots_[i].key != kEmpty && slots_[i].key != k) i = (i + 1) & (slots_.size() - 1);
    if (slots_[i].key == kEmpty) ++count_;
    slots_[i] = Slot{k, v};
  }
  // Prefetches the slot (a, b) starts probing at, for batched inserts (see StringIdMap).
  void prefetch(uint32_t a, uint32_t b) const {
    if (!slots_.empty()) __builtin_prefetch(&slots_[mix(key(a, b)) & (slots_.size() - 1)]);
  }
  const Value* find(uint32_t a, uint32_t b) const {
    if (slots_.empty()) return nullptr;
    uint64_t k = key(a, b);
    size_t i = mix(k) & (slots_.size() - 1);
    while (slots_[i].key != kEmpty) {
      if (slots_[i].key == k) return &slots_[i].value;
      i = (i + 1) & (slots_.size() - 1);
    }
    return nullptr;
  }
  size_t size() const { return count_; }

 private:
  static constexpr uint64_t kEmpty = UINT64_MAX;
  struct Slot {
    uint64_t key = kEmpty;
    Value value{};
  };
  static uint64_t key(uint32_t a, uint32_t b) { return (static_cast<uint64_t>(a) << 32) | b; }
  static uint64_t mix(uint64_t k) {
    k ^= k >> 33;
    k *= 0xFF51AFD7ED558CCDULL;
    k ^= k >> 33;
    return k;
  }
  void grow() {
    std::vector<Slot> old = std::move(slots_);
    reserve(old.empty() ? 16 : old.size());
    for (const Slot& s : old)
      if (s.key != kEmpty) set(static_cast<uint32_t>(s.key >> 32), static_cast<uint32_t>(s.key), s.value);
  }
  std::vector<Slot> slots_;
  size_t count_ = 0;
};

}  // namespace transformers::tok
