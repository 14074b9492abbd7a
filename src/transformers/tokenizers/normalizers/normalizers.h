#pragma once
// Normalizers of tokenizer.json ("normalizer"), one class per "type".
#include <memory>
#include <string>
#include <vector>

#include "transformers/tokenizers/components.h"

namespace transformers::tok {

enum class UnicodeForm { NFC, NFD, NFKC, NFKD };

class UnicodeNormalizer : public Normalizer {
 public:
  explicit UnicodeNormalizer(UnicodeForm form) : form_(form) {}
  void normalize(NormalizedString& s) const override;
 private:
  UnicodeForm form_;
};

class BertNormalizer : public Normalizer {
 public:
  BertNormalizer(bool clean_text, bool handle_chinese_chars, bool strip_accents, bool lowercase)
      : clean_text_(clean_text), chinese_(handle_chinese_chars), strip_accents_(strip_accents),
        lowercase_(lowercase) {}
  void normalize(NormalizedString& s) const override;
 private:
  bool clean_text_, chinese_, strip_accents_, lowercase_;
};

// The sentencepiece normalization rules (a Darts double-array trie + replacement strings).
class PrecompiledNormalizer : public Normalizer {
 public:
  explicit PrecompiledNormalizer(const std::string& charsmap);  // raw (base64-decoded) bytes
  void normalize(NormalizedString& s) const override;
  // The replacement for the shortest trie prefix of `chunk`, or nullptr (spm_precompiled).
  const char* transform(std::string_view chunk, size_t* len) const;
 private:
  std::vector<uint32_t> trie_;
  std::string normalized_;
};

class LowercaseNormalizer : public Normalizer {
 public:
  void normalize(NormalizedString& s) const override { s.lowercase(); }
};

class StripAccentsNormalizer : public Normalizer {
 public:
  void normalize(NormalizedString& s) const override;
};

class StripNormalizer : public Normalizer {
 public:
  StripNormalizer(bool left, bool right) : left_(left), right_(right) {}
  void normalize(NormalizedString& s) const override { s.lstrip_rstrip(left_, right_); }
 private:
  bool left_, right_;
};

class ReplaceNormalizer : public Normalizer {
 public:
  ReplaceNormalizer(Pattern pattern, std::string content)
      : pattern_(std::move(pattern)), content_(std::move(content)) {}
  void normalize(NormalizedString& s) const override { s.replace(pattern_, content_); }
 private:
  Pattern pattern_;
  std::string content_;
};

class PrependNormalizer : public Normalizer {
 public:
  explicit PrependNormalizer(std::string prepend) : prepend_(std::move(prepend)) {}
  void normalize(NormalizedString& s) const override {
    if (!s.empty()) s.prepend(prepend_);
  }
 private:
  std::string prepend_;
};

class ByteLevelNormalizer : public Normalizer {
 public:
  void normalize(NormalizedString& s) const override {
    s.set_byte_level(true);
    s.materialize_byte_level();
  }
};

class SequenceNormalizer : public Normalizer {
 public:
  explicit SequenceNormalizer(std::vector<std::unique_ptr<Normalizer>> items)
      : items_(std::move(items)) {}
  void normalize(NormalizedString& s) const override {
    for (auto& n : items_) n->normalize(s);
  }
 private:
  std::vector<std::unique_ptr<Normalizer>> items_;
};

std::string base64_decode(std::string_view in);

}  // namespace transformers::tok
