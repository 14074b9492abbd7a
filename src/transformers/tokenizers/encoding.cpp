#include "transformers/tokenizers/encoding.h"

namespace transformers::tok {

void Encoding::append(const Encoding& o) {
  ids.insert(ids.end(), o.ids.begin(), o.ids.end());
  tokens.insert(tokens.end(), o.tokens.begin(), o.tokens.end());
  type_ids.insert(type_ids.end(), o.type_ids.begin(), o.type_ids.end());
  offsets.insert(offsets.end(), o.offsets.begin(), o.offsets.end());
  special_tokens_mask.insert(special_tokens_mask.end(), o.special_tokens_mask.begin(), o.special_tokens_mask.end());
  attention_mask.insert(attention_mask.end(), o.attention_mask.begin(), o.attention_mask.end());
  sequence_ids.insert(sequence_ids.end(), o.sequence_ids.begin(), o.sequence_ids.end());
  word_ids.insert(word_ids.end(), o.word_ids.begin(), o.word_ids.end());
}

Encoding Encoding::slice(size_t b, size_t e) const {
  Encoding r;
  auto cut = [&](const auto& v, auto& out) {
    out.assign(v.begin() + static_cast<long>(b), v.begin() + static_cast<long>(e));
  };
  cut(ids, r.ids);
  cut(tokens, r.tokens);
  cut(type_ids, r.type_ids);
  cut(offsets, r.offsets);
  cut(special_tokens_mask, r.special_tokens_mask);
  cut(attention_mask, r.attention_mask);
  cut(sequence_ids, r.sequence_ids);
  cut(word_ids, r.word_ids);
  return r;
}

std::optional<uint32_t> Encoding::token_to_word(size_t token) const {
  return token < word_ids.size() ? word_ids[token] : std::nullopt;
}

std::optional<std::pair<size_t, size_t>> Encoding::word_to_tokens(uint32_t word, size_t sequence_id) const {
  if (word_ids.size() != size() || sequence_ids.size() != size()) return std::nullopt;
  // HF looks only at the tokens of input `sequence_id` (its sequence_ranges).
  std::optional<std::pair<size_t, size_t>> found;
  for (size_t i = 0; i < size(); ++i) {
    if (sequence_ids[i] < 0 || size_t(sequence_ids[i]) != sequence_id) {
      if (found) break;  // past the input's tokens
      continue;
    }
    const std::optional<uint32_t>& w = word_ids[i];
    // As HF: the scan stops at the first token of a later word (tokens without a word, which
    // Rust orders before every word, do not stop it).
    if (w && *w > word) break;
    if (w != word) continue;
    if (!found) found.emplace(i, i + 1);
    else found->second = i + 1;
  }
  return found;
}

std::optional<std::pair<size_t, size_t>> Encoding::word_to_chars(uint32_t word, size_t sequence_id) const {
  auto t = word_to_tokens(word, sequence_id);
  if (!t) return std::nullopt;
  return std::pair<size_t, size_t>{offsets[t->first].first, offsets[t->second - 1].second};
}

}  // namespace transformers::tok
