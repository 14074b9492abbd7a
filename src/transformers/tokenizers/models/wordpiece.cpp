// WordPiece (greedy longest match first) and WordLevel (whole-word lookup).
#include "transformers/core/error.h"
#include "transformers/tokenizers/json.h"
#include "transformers/tokenizers/models/models.h"
#include "transformers/tokenizers/unicode.h"

namespace transformers::tok {

namespace {
void read_vocab_object(const Json& v, const std::function<void(std::string_view, uint32_t)>& add) {
  v.for_each_field([&](std::string_view key, const Json& id) {
    if (!id.is_number()) v.fail(detail::concat("['", key, "']: expected an integer id"));
    int64_t x = id.integer();
    if (x < 0 || x > INT32_MAX) v.fail(detail::concat("['", key, "']: id ", x, " out of range"));
    add(key, static_cast<uint32_t>(x));
  });
}
}  // namespace

WordPieceModel::WordPieceModel(const Json& j)
    : unk_token_(j.str_or("unk_token", "[UNK]")),
      prefix_(j.str_or("continuing_subword_prefix", "##")),
      max_chars_(static_cast<size_t>(j.int_or("max_input_chars_per_word", 100))) {
  Json v = j.at("vocab");
  vocab_.reserve(v.size());
  read_vocab_object(v, [&](std::string_view k, uint32_t id) { add(k, id); });
}

WordPieceModel::WordPieceModel(const std::vector<std::pair<std::string, uint32_t>>& vocab,
                               std::string unk_token, std::string prefix, size_t max_chars)
    : unk_token_(std::move(unk_token)), prefix_(std::move(prefix)), max_chars_(max_chars) {
  vocab_.reserve(vocab.size());
  for (auto& [t, id] : vocab) add(t, id);
}

void WordPieceModel::tokenize(const NormalizedString& piece, std::vector<Token>& out) const {
  const std::string& s = piece.get();
  auto unk = [&] {
    const uint32_t* id = vocab_.find(unk_token_);
    TFM_CHECK(id, "[tokenizers] WordPiece unk_token '", unk_token_, "' is not in the vocabulary");
    out.push_back(Token{*id, unk_token_, 0, static_cast<uint32_t>(s.size())});
  };
  if (unicode::count_chars(s) > max_chars_) return unk();
  size_t first = out.size();
  size_t start = 0;
  std::string buf;
  while (start < s.size()) {
    size_t end = s.size();
    bool found = false;
    while (start < end) {
      buf.clear();
      if (start > 0) buf += prefix_;
      buf.append(s, start, end - start);
      if (const uint32_t* id = vocab_.find(buf)) {
        out.push_back(Token{*id, buf, static_cast<uint32_t>(start), static_cast<uint32_t>(end)});
        found = true;
        break;
      }
      do --end;
      while (end > start && unicode::is_continuation(static_cast<unsigned char>(s[end])));
    }
    if (!found) {
      out.resize(first);
      return unk();
    }
    start = end;
  }
}

WordLevelModel::WordLevelModel(const Json& j) : unk_token_(j.str_or("unk_token", "<unk>")) {
  Json v = j.at("vocab");
  vocab_.reserve(v.size());
  read_vocab_object(v, [&](std::string_view k, uint32_t id) { add(k, id); });
}

void WordLevelModel::tokenize(const NormalizedString& piece, std::vector<Token>& out) const {
  const std::string& s = piece.get();
  const uint32_t* id = vocab_.find(s);
  if (id) {
    out.push_back(Token{*id, s, 0, static_cast<uint32_t>(s.size())});
    return;
  }
  const uint32_t* u = vocab_.find(unk_token_);
  TFM_CHECK(u, "[tokenizers] WordLevel: '", s, "' is not in the vocabulary and unk_token '",
            unk_token_, "' is missing too");
  out.push_back(Token{*u, unk_token_, 0, static_cast<uint32_t>(s.size())});
}

}  // namespace transformers::tok
