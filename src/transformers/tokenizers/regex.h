#pragma once
// A compiled PCRE2 regex (UTF + Unicode properties, JIT when available) for pre-tokenizer splits.
// Oniguruma, which Hugging Face tokenizers uses, and PCRE2 agree on the syntax tokenizer.json
// files use (\p{L}, (?i:...), look-ahead).
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace transformers::tok {

class Regex {
 public:
  // Throws transformers::Error naming the pattern and PCRE2's message when it does not compile.
  explicit Regex(std::string_view pattern);
  // Appends the [start, end) byte ranges of all non-overlapping matches in `s` (valid UTF-8).
  // An empty match advances the search by one character, as Oniguruma's iterator does.
  void find_all(std::string_view s, std::vector<std::pair<size_t, size_t>>& out) const;
  // First match at or after `from`; false when none.
  bool find(std::string_view s, size_t from, size_t& start, size_t& end) const;
  const std::string& pattern() const { return pattern_; }

 private:
  struct Code;
  std::shared_ptr<Code> code_;
  std::string pattern_;
};

}  // namespace transformers::tok
