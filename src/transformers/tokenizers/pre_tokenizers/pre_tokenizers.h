#pragma once
// Pre-tokenizers of tokenizer.json ("pre_tokenizer"), one class per "type".
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "transformers/tokenizers/components.h"

namespace transformers::tok {

class Regex;

class ByteLevelPreTokenizer : public PreTokenizer {
 public:
  ByteLevelPreTokenizer(bool add_prefix_space, bool use_regex);
  void pre_tokenize(std::vector<Split>& splits) const override;
 private:
  bool add_prefix_space_, use_regex_;
  Pattern pattern_;
};

// Split, Whitespace, WhitespaceSplit, Punctuation, Digits, CharDelimiterSplit: one pattern and
// one behavior.
class PatternSplitPreTokenizer : public PreTokenizer {
 public:
  PatternSplitPreTokenizer(Pattern pattern, SplitBehavior behavior, bool invert = false)
      : pattern_(std::move(pattern)), behavior_(behavior), invert_(invert) {}
  void pre_tokenize(std::vector<Split>& splits) const override;
 private:
  Pattern pattern_;
  SplitBehavior behavior_;
  bool invert_;
};

class MetaspacePreTokenizer : public PreTokenizer {
 public:
  enum class Prepend { Always, First, Never };
  MetaspacePreTokenizer(std::string replacement, Prepend scheme, bool split)
      : replacement_(std::move(replacement)), scheme_(scheme), split_(split) {}
  void pre_tokenize(std::vector<Split>& splits) const override;
 private:
  std::string replacement_;
  Prepend scheme_;
  bool split_;
};

class BertPreTokenizer : public PreTokenizer {
 public:
  void pre_tokenize(std::vector<Split>& splits) const override;
};

class UnicodeScriptsPreTokenizer : public PreTokenizer {
 public:
  void pre_tokenize(std::vector<Split>& splits) const override;
};
// The script id UnicodeScripts gives `c` (unicode_scripts_table.h; 0 = Any).
uint8_t unicode_script(char32_t c);

class SequencePreTokenizer : public PreTokenizer {
 public:
  explicit SequencePreTokenizer(std::vector<std::unique_ptr<PreTokenizer>> items)
      : items_(std::move(items)) {}
  void pre_tokenize(std::vector<Split>& splits) const override;
 private:
  std::vector<std::unique_ptr<PreTokenizer>> items_;
};

// The regex GPT-2's ByteLevel pre-tokenizer splits with.
extern const char* const kGpt2Pattern;

}  // namespace transformers::tok
