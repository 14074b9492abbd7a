#pragma once
// Models of tokenizer.json ("model"): BPE, WordPiece, Unigram, WordLevel.
#include <atomic>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "transformers/tokenizers/components.h"
#include "transformers/tokenizers/models/vocab.h"

namespace transformers::tok {

// Shared vocabulary storage: token → id and id → token.
class VocabModel : public Model {
 public:
  std::optional<uint32_t> token_to_id(std::string_view token) const override {
    const uint32_t* id = vocab_.find(token);
    return id ? std::optional<uint32_t>(*id) : std::nullopt;
  }
  const std::string* id_to_token(uint32_t id) const override {
    return id < vocab_r_.size() && has_[id] ? &vocab_r_[id] : nullptr;
  }
  size_t vocab_size() const override { return vocab_.size(); }

 protected:
  void add(std::string_view token, uint32_t id);
  // Many at once, prefetching ahead (Note [Prefetched loading] in bpe.cpp); later entries win.
  void add_all(const std::vector<std::pair<std::string_view, uint32_t>>& entries);
  StringIdMap vocab_;
  std::vector<std::string> vocab_r_;
  std::vector<bool> has_;
};

struct BpeOptions {
  std::optional<std::string> unk_token;
  std::string continuing_subword_prefix;
  std::string end_of_word_suffix;
  bool fuse_unk = false;
  bool byte_fallback = false;
  bool ignore_merges = false;
};

class BpeModel : public VocabModel {
 public:
  // `vocab` as (token, id); `merges` as (left, right) in rank order.
  BpeModel(const std::vector<std::pair<std::string, uint32_t>>& vocab,
           const std::vector<std::pair<std::string, std::string>>& merges, BpeOptions options);
  BpeModel(const Json& j);  // the tokenizer.json "model" object
  void tokenize(const NormalizedString& piece, std::vector<Token>& out) const override;

  // Symbols of one word after merging: (id, byte length).
  using Word = std::vector<std::pair<uint32_t, uint32_t>>;
  // The merge loop on its own (for tests and the fuzz target): `s` is one pre-token.
  void merge_word(std::string_view s, bool byte_level, Word& out) const;

 private:
  void finish_init();
  uint32_t add_merge(std::string_view a, std::string_view b, uint32_t rank);
  void add_merges(const std::vector<std::pair<std::string_view, std::string_view>>& pairs);
  void initial_symbols(std::string_view s, bool byte_level, Word& w) const;
  void merge_all(Word& w) const;

  BpeOptions opt_;
  PairMap merges_;
  std::optional<uint32_t> unk_id_;
  int32_t byte_ids_[256];      // id of the byte-level character for each byte, or -1
  int32_t fallback_ids_[256];  // id of "<0xXX>" for each byte, or -1
  uint64_t uid_;               // identifies this model's entries in the per-thread cache
};

class WordPieceModel : public VocabModel {
 public:
  explicit WordPieceModel(const Json& j);
  WordPieceModel(const std::vector<std::pair<std::string, uint32_t>>& vocab, std::string unk_token,
                 std::string prefix, size_t max_input_chars_per_word);
  void tokenize(const NormalizedString& piece, std::vector<Token>& out) const override;
 private:
  std::string unk_token_, prefix_;
  size_t max_chars_ = 100;
};

class WordLevelModel : public VocabModel {
 public:
  explicit WordLevelModel(const Json& j);
  void tokenize(const NormalizedString& piece, std::vector<Token>& out) const override;
 private:
  std::string unk_token_;
};

class UnigramModel : public VocabModel {
 public:
  explicit UnigramModel(const Json& j);
  UnigramModel(const std::vector<std::pair<std::string, double>>& pieces, std::optional<uint32_t> unk_id,
               bool byte_fallback);
  void tokenize(const NormalizedString& piece, std::vector<Token>& out) const override;
  // Viterbi segmentation into strings (HF Unigram::encode).
  std::vector<std::string> encode(std::string_view s) const;
 private:
  void init(const std::vector<std::pair<std::string, double>>& pieces);
  std::vector<double> scores_;
  std::optional<uint32_t> unk_id_;
  bool byte_fallback_ = false;
  double min_score_ = 0;
  size_t max_piece_bytes_ = 0;
};

}  // namespace transformers::tok
