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
}

Encoding Encoding::slice(size_t b, size_t e) const {
  Encoding r;
  auto cut = [&](const auto& v, auto& out) { out.assign(v.begin() + static_cast<long>(b), v.begin() + static_cast<long>(e)); };
  cut(ids, r.ids);
  cut(tokens, r.tokens);
  cut(type_ids, r.type_ids);
  cut(offsets, r.offsets);
  cut(special_tokens_mask, r.special_tokens_mask);
  cut(attention_mask, r.attention_mask);
  cut(sequence_ids, r.sequence_ids);
  return r;
}

}  // namespace transformers::tok
