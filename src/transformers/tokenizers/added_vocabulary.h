#pragma once
// Added tokens (tokenizer.json "added_tokens"): matched in the input before the model runs,
// leftmost-longest, first on the original text (tokens with normalized=false), then on the
// normalized text (normalized=true), with single_word / lstrip / rstrip handling (HF
// AddedVocabulary).
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "transformers/tokenizers/components.h"
#include "transformers/tokenizers/models/vocab.h"
#include "transformers/tokenizers/tokenizer.h"

namespace transformers::tok {

class AddedVocabulary {
 public:
  // Registers `t` under `id`; `normalizer` (may be null) gives the normalized form to match.
  void add(const AddedToken& t, uint32_t id, const Normalizer* normalizer);

  // Splits the not-done pieces on matches; matched pieces become done with their token.
  void split_original(std::vector<Split>& splits) const { split_with(splits, original_); }
  void split_normalized(std::vector<Split>& splits) const { split_with(splits, normalized_); }

  std::optional<uint32_t> token_to_id(std::string_view content) const;
  const AddedToken* by_id(uint32_t id) const;
  bool is_special(std::string_view content) const { return special_.count(std::string(content)) > 0; }
  const std::vector<std::pair<uint32_t, AddedToken>>& tokens() const { return tokens_; }
  void set_encode_special_tokens(bool v) { encode_special_tokens_ = v; }

 private:
  // A byte trie for leftmost-longest matching.
  struct Matcher {
    PairMap edges;                  // (node, byte) → child node (in Value::rank)
    std::vector<int32_t> terminal;  // node → index in tokens_, or -1
    bool first[256] = {};
    bool empty() const { return terminal.size() <= 1; }
    void insert(std::string_view s, int32_t token_index);
  };
  void split_with(std::vector<Split>& splits, const Matcher& m) const;

  std::vector<std::pair<uint32_t, AddedToken>> tokens_;
  std::unordered_map<std::string, uint32_t> by_content_;
  std::unordered_map<uint32_t, size_t> by_id_;
  std::unordered_set<std::string> special_;
  Matcher original_, normalized_;
  bool encode_special_tokens_ = false;
};

}  // namespace transformers::tok
