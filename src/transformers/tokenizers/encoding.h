#pragma once
// Encoding: the result of encoding one text (or text pair), as Hugging Face's `Encoding`.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace transformers::tok {

struct Encoding {
  std::vector<int32_t> ids;
  std::vector<std::string> tokens;
  std::vector<int32_t> type_ids;
  // [start, end) in code points of the input string the token came from (text or text_pair);
  // (0, 0) for tokens added by the post-processor.
  std::vector<std::pair<size_t, size_t>> offsets;
  std::vector<int32_t> special_tokens_mask;
  std::vector<int32_t> attention_mask;
  // Which input each token came from: 0 (text), 1 (text_pair), -1 (added by the post-processor,
  // or padding).
  std::vector<int32_t> sequence_ids;
  // The word each token came from (HF `word_ids`): the index of its piece of the input after
  // added-token extraction and pre-tokenization, counted per input (a pair's second text starts
  // again at 0); nullopt for tokens added by the post-processor and for padding. See
  // Note [Word ids] in tokenizer.cpp.
  std::vector<std::optional<uint32_t>> word_ids;
  // Windows cut off by truncation (HF `overflowing`), each a full Encoding.
  std::vector<Encoding> overflowing;

  size_t size() const { return ids.size(); }
  // Appends `other` (HF Encoding::merge_with without growing overflowing).
  void append(const Encoding& other);
  // Keeps [begin, end) of the tokens.
  Encoding slice(size_t begin, size_t end) const;

  // HF's helpers between tokens, words and characters. `sequence_id` picks the input (0 or 1) a
  // word number refers to. (HF searches the whole encoding for an input it was not given, such as
  // 1 for a single text; here that finds nothing, as an empty input does in both.)
  // The word of `token`; nullopt for added and padding tokens or past the end.
  std::optional<uint32_t> token_to_word(size_t token) const;
  // The tokens [first, last + 1) of word `word` of input `sequence_id`.
  std::optional<std::pair<size_t, size_t>> word_to_tokens(uint32_t word, size_t sequence_id = 0) const;
  // The characters [start, end) of that word: its first token's start to its last token's end.
  std::optional<std::pair<size_t, size_t>> word_to_chars(uint32_t word, size_t sequence_id = 0) const;
};

}  // namespace transformers::tok
