// Unigram (sentencepiece): Viterbi over all vocabulary pieces that match at each position.
// Ties keep the first candidate found, scanning start positions left to right and, at each,
// pieces shortest first — the order Hugging Face's trie search produces.
#include <limits>

#include "transformers/core/error.h"
#include "transformers/tokenizers/json.h"
#include "transformers/tokenizers/models/models.h"
#include "transformers/tokenizers/unicode.h"

namespace transformers::tok {

namespace {
constexpr double kUnkPenalty = 10.0;
}

UnigramModel::UnigramModel(const Json& j) {
  std::vector<std::pair<std::string, double>> pieces;
  Json v = j.at("vocab");
  v.for_each_item([&](size_t i, const Json& e) {
    if (!e.is_array() || e.size() != 2) v.fail(detail::concat("[", i, "]: expected [piece, score]"));
    auto p = e.items();
    if (!p[0].is_string() || !p[1].is_number()) v.fail(detail::concat("[", i, "]: expected [piece, score]"));
    pieces.emplace_back(std::string(p[0].str()), p[1].number());
  });
  if (auto u = j.get("unk_id")) {
    int64_t id = u->integer();
    if (id < 0 || static_cast<size_t>(id) >= pieces.size()) u->fail("is outside the vocabulary");
    unk_id_ = static_cast<uint32_t>(id);
  }
  byte_fallback_ = j.bool_or("byte_fallback", false);
  init(pieces);
}

UnigramModel::UnigramModel(const std::vector<std::pair<std::string, double>>& pieces,
                           std::optional<uint32_t> unk_id, bool byte_fallback)
    : unk_id_(unk_id), byte_fallback_(byte_fallback) {
  init(pieces);
}

void UnigramModel::init(const std::vector<std::pair<std::string, double>>& pieces) {
  vocab_.reserve(pieces.size());
  scores_.resize(pieces.size());
  min_score_ = std::numeric_limits<double>::infinity();
  for (size_t i = 0; i < pieces.size(); ++i) {
    add(pieces[i].first, static_cast<uint32_t>(i));
    scores_[i] = pieces[i].second;
    min_score_ = std::min(min_score_, pieces[i].second);
    max_piece_bytes_ = std::max(max_piece_bytes_, pieces[i].first.size());
  }
}

std::vector<std::string> UnigramModel::encode(std::string_view s) const {
  struct Node {
    double score = 0;
    int64_t start = -1;  // -1: not reached
    uint32_t id = 0;
  };
  size_t n = s.size();
  std::vector<Node> best(n + 1);
  best[0].start = 0;
  double unk_score = min_score_ - kUnkPenalty;
  size_t pos = 0;
  while (pos < n) {
    size_t mblen = std::min<size_t>(unicode::char_len(static_cast<unsigned char>(s[pos])), n - pos);
    double here = best[pos].score;
    bool single = false;
    // Every vocabulary piece that is a prefix of s[pos..], shortest first.
    size_t limit = std::min(n - pos, max_piece_bytes_);
    for (size_t len = 1; len <= limit; ++len) {
      size_t end = pos + len;
      if (end < n && unicode::is_continuation(static_cast<unsigned char>(s[end]))) continue;
      const uint32_t* id = vocab_.find(s.substr(pos, len));
      if (!id) continue;
      double cand = scores_[*id] + here;
      Node& t = best[end];
      if (t.start < 0 || cand > t.score) t = Node{cand, static_cast<int64_t>(pos), *id};
      if (len == mblen) single = true;
    }
    if (!single) {
      Node& t = best[pos + mblen];
      double cand = unk_score + here;
      if (t.start < 0 || cand > t.score)
        t = Node{cand, static_cast<int64_t>(pos), unk_id_.value_or(0)};
    }
    pos += mblen;
  }
  std::vector<std::string> results;
  std::string pending;  // consecutive unknown pieces are fused
  size_t end = n;
  while (end > 0) {
    const Node& node = best[end];
    size_t start = static_cast<size_t>(node.start);
    std::string_view piece = s.substr(start, end - start);
    if (unk_id_ && node.id == *unk_id_) {
      pending.insert(0, piece);
    } else {
      if (!pending.empty()) {
        results.push_back(std::move(pending));
        pending.clear();
      }
      results.emplace_back(piece);
    }
    end = start;
  }
  if (!pending.empty()) results.push_back(std::move(pending));
  std::reverse(results.begin(), results.end());
  return results;
}

void UnigramModel::tokenize(const NormalizedString& piece, std::vector<Token>& out) const {
  const std::string& s = piece.get();
  if (s.empty()) return;
  uint32_t offset = 0;
  for (std::string& str : encode(s)) {
    uint32_t len = static_cast<uint32_t>(str.size());
    if (const uint32_t* id = vocab_.find(str)) {
      out.push_back(Token{*id, std::move(str), offset, offset + len});
    } else {
      bool done = false;
      if (byte_fallback_) {
        std::vector<Token> bytes;
        for (unsigned char c : str) {
          char name[8];
          std::snprintf(name, sizeof name, "<0x%02X>", c);
          const uint32_t* b = vocab_.find(name);
          if (!b) break;
          bytes.push_back(Token{*b, name, offset, offset + len});
        }
        if (bytes.size() == str.size()) {
          for (auto& t : bytes) out.push_back(std::move(t));
          done = true;
        }
      }
      if (!done) {
        TFM_CHECK(unk_id_, "[tokenizers] Unigram: '", str, "' is unknown and the model has no unk_id");
        // The unknown piece keeps its own text as token string (HF behaviour).
        out.push_back(Token{*unk_id_, std::move(str), offset, offset + len});
      }
    }
    offset += len;
  }
}

std::unique_ptr<Model> make_model(const Json& j) {
  auto t = j.get("type");
  std::string_view type;
  if (t) {
    type = t->str();
  } else if (j.has("merges")) {
    type = "BPE";  // older files omit the tag
  } else if (j.has("vocab") && j.at("vocab").is_array()) {
    type = "Unigram";
  } else if (j.has("continuing_subword_prefix") || j.has("max_input_chars_per_word")) {
    type = "WordPiece";
  } else {
    type = "WordLevel";
  }
  if (type == "BPE") return std::make_unique<BpeModel>(j);
  if (type == "WordPiece") return std::make_unique<WordPieceModel>(j);
  if (type == "WordLevel") return std::make_unique<WordLevelModel>(j);
  if (type == "Unigram") return std::make_unique<UnigramModel>(j);
  t->fail(detail::concat("unknown model type '", type, "'"));
}

}  // namespace transformers::tok
