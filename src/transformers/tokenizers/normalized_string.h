#pragma once
// NormalizedString: a piece of the input after normalization, with, for every normalized byte,
// the span of original bytes it came from. Offsets of final tokens are computed through it.
//
// Note [Alignments]
// Alignments follow Hugging Face's NormalizedString exactly (that is what makes offsets match):
// every byte of a character carries that character's original span; a changed character takes
// the span of the character it replaces; an inserted character takes the span of the byte before
// it. Spans here are absolute offsets into the whole input, so slices need no shifting.
// A string that no normalizer touched keeps no alignment vector ("identity" mode): the span of
// byte i is then computed from the UTF-8 structure. Most byte-level tokenizers never leave it.
//
// Note [Lazy byte-level]
// The ByteLevel pre-tokenizer maps every byte to a printable character. Rather than rewriting
// the string, it marks the piece `byte_level`; the BPE model maps bytes through a 256-entry table.
// Any later step that needs the mapped characters calls `materialize_byte_level()`, which performs
// the rewrite with Hugging Face's alignment rules.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace transformers::tok {

class Regex;

struct Span {
  uint32_t start = 0, end = 0;
  bool operator==(const Span&) const = default;
};

// One output character of a transformation: `change` = 0 replaces the next source character,
// > 0 inserts, < 0 replaces the next source character and removes -change more (HF semantics).
struct CharChange {
  char32_t c;
  int change;
};

enum class SplitBehavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous };

// What a split looks for: a literal string, a single-character predicate or a regex.
class Pattern {
 public:
  static Pattern literal(std::string s);
  static Pattern predicate(std::function<bool(char32_t)> f);
  static Pattern regex(std::shared_ptr<const Regex> re);
  // The [start, end) byte ranges of `s`, tagged true for matches, covering all of `s`.
  void find_matches(std::string_view s, std::vector<std::pair<Span, bool>>& out) const;

 private:
  enum class Kind { Literal, Predicate, Regex } kind_ = Kind::Literal;
  std::string literal_;
  std::function<bool(char32_t)> pred_;
  std::shared_ptr<const Regex> re_;
};

class NormalizedString {
 public:
  NormalizedString() = default;
  // The original text `text`, which starts at absolute byte `base` of the input.
  NormalizedString(std::string_view text, uint32_t base);

  const std::string& get() const { return normalized_; }
  bool empty() const { return normalized_.empty(); }
  size_t size() const { return normalized_.size(); }
  Span original() const { return original_; }
  bool byte_level() const { return byte_level_; }
  void set_byte_level(bool v) { byte_level_ = v; }

  // Original span of normalized byte range [b, e) (b < e).
  Span to_original(size_t b, size_t e) const;
  Span align_at(size_t i) const;

  // Replaces the content with `dest` (HF `transform` over the whole string).
  void transform(const std::vector<CharChange>& dest, size_t initial_offset = 0);
  void replace(const Pattern& p, std::string_view content);
  void prepend(std::string_view s);
  void append(std::string_view s);
  void lowercase();
  void filter(const std::function<bool(char32_t)>& keep);
  void lstrip_rstrip(bool left, bool right);
  void materialize_byte_level();

  NormalizedString slice(size_t b, size_t e) const;
  void split(const Pattern& p, SplitBehavior behavior, std::vector<NormalizedString>& out,
             bool invert = false) const;

 private:
  void materialize();

  std::string normalized_;
  std::vector<Span> align_;  // empty = identity, see Note [Alignments]
  Span original_;
  bool byte_level_ = false;
};

}  // namespace transformers::tok
