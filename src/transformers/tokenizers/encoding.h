#pragma once
// Encoding: the result of encoding one text (or text pair), as Hugging Face's `Encoding`.
#include <cstddef>
#include <cstdint>
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
  // Which input each token came from: 0 (text), 1 (text_pair), -1 (added by the post-processor).
  std::vector<int32_t> sequence_ids;
  // Windows cut off by truncation (HF `overflowing`), each a full Encoding.
  std::vector<Encoding> overflowing;

  size_t size() const { return ids.size(); }
  // Appends `other` (HF Encoding::merge_with without growing overflowing).
  void append(const Encoding& other);
  // Keeps [begin, end) of the tokens.
  Encoding slice(size_t begin, size_t end) const;
};

}  // namespace transformers::tok
