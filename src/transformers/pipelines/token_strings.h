#pragma once
// What the pipelines need from a tokenizer beyond encode/decode: HF's convert_tokens_to_string
// (the tokenizer.json decoder applied to token strings, no clean-up), the model's
// continuing_subword_prefix, plus code-point slicing of UTF-8 text (HF offsets count code
// points). Words as the pre-tokenizer cut them are tok::Encoding::word_ids.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "transformers/tokenizers/auto_tokenizer.h"

namespace transformers::tok {
class Decoder;
}

namespace transformers::pipelines {

class TokenStrings {
 public:
  explicit TokenStrings(const tok::PreTrainedTokenizer& tokenizer);
  ~TokenStrings();
  TokenStrings(TokenStrings&&) noexcept;
  TokenStrings& operator=(TokenStrings&&) noexcept;

  // backend_tokenizer.decoder.decode(tokens); tokens joined by spaces when there is no decoder.
  std::string convert_tokens_to_string(const std::vector<std::string>& tokens) const;
  // The model's continuing_subword_prefix ("##" for WordPiece); nullopt when it has none or it is
  // empty (HF tests it for truthiness).
  const std::optional<std::string>& continuing_subword_prefix() const { return prefix_; }

 private:
  std::unique_ptr<tok::Decoder> decoder_;
  std::optional<std::string> prefix_;
};

// UTF-8 text indexed by code points, as Python's str.
class CodePoints {
 public:
  explicit CodePoints(std::string_view text);
  size_t size() const { return starts_.size() - 1; }
  // text[begin:end] with Python's clamping.
  std::string slice(size_t begin, size_t end) const;

 private:
  std::string_view text_;
  std::vector<size_t> starts_;  // byte offset of each code point, then text.size()
};

// Python len(s) of UTF-8 text.
size_t code_point_length(std::string_view text);

}  // namespace transformers::pipelines
