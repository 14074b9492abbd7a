// BertNormalizer, StripAccents and the normalizer factory.
#include "transformers/core/error.h"
#include "transformers/tokenizers/json.h"
#include "transformers/tokenizers/normalizers/normalizers.h"
#include "transformers/tokenizers/regex.h"
#include "transformers/tokenizers/unicode.h"

namespace transformers::tok {

namespace {
bool is_chinese_char(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0x2A700 && c <= 0x2B73F) ||
         (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}
}  // namespace

void StripAccentsNormalizer::normalize(NormalizedString& s) const {
  s.filter([](char32_t c) { return !unicode::is_mark(c); });
}

void BertNormalizer::normalize(NormalizedString& s) const {
  if (clean_text_) {
    s.filter([](char32_t c) {
      bool control = c != '\t' && c != '\n' && c != '\r' && unicode::is_other(c);
      return !(c == 0 || c == 0xFFFD || control);
    });
    // Whitespace becomes a plain space (same length for ASCII, so spans are unchanged).
    std::vector<CharChange> dest;
    bool changed = false;
    const std::string& str = s.get();
    size_t i = 0;
    while (i < str.size()) {
      char32_t c = unicode::decode(str, i);
      bool ws = c == '\t' || c == '\n' || c == '\r' || unicode::is_whitespace(c);
      if (ws && c != ' ') changed = true;
      dest.push_back({ws ? U' ' : c, 0});
    }
    if (changed) s.transform(dest, 0);
  }
  if (chinese_) {
    std::vector<CharChange> dest;
    bool changed = false;
    const std::string& str = s.get();
    size_t i = 0;
    while (i < str.size()) {
      char32_t c = unicode::decode(str, i);
      if (is_chinese_char(c)) {
        changed = true;
        dest.push_back({U' ', 0});
        dest.push_back({c, 1});
        dest.push_back({U' ', 1});
      } else {
        dest.push_back({c, 0});
      }
    }
    if (changed) s.transform(dest, 0);
  }
  if (strip_accents_) {
    UnicodeNormalizer(UnicodeForm::NFD).normalize(s);
    s.filter([](char32_t c) { return !unicode::is_nonspacing_mark(c); });
  }
  if (lowercase_) s.lowercase();
}

SplitBehavior parse_split_behavior(const Json& j) {
  std::string_view b = j.str();
  if (b == "Removed") return SplitBehavior::Removed;
  if (b == "Isolated") return SplitBehavior::Isolated;
  if (b == "MergedWithPrevious") return SplitBehavior::MergedWithPrevious;
  if (b == "MergedWithNext") return SplitBehavior::MergedWithNext;
  if (b == "Contiguous") return SplitBehavior::Contiguous;
  j.fail(detail::concat("unknown split behavior '", b, "'"));
}

Pattern parse_pattern(const Json& j) {
  if (j.is_string()) return Pattern::literal(std::string(j.str()));
  if (auto s = j.get("String")) return Pattern::literal(std::string(s->str()));
  if (auto r = j.get("Regex")) return Pattern::regex(std::make_shared<const Regex>(r->str()));
  j.fail("expected {\"String\": ...} or {\"Regex\": ...}");
}

std::unique_ptr<Normalizer> make_normalizer(const Json& j) {
  std::string_view type = j.at("type").str();
  if (type == "NFC") return std::make_unique<UnicodeNormalizer>(UnicodeForm::NFC);
  if (type == "NFD") return std::make_unique<UnicodeNormalizer>(UnicodeForm::NFD);
  if (type == "NFKC") return std::make_unique<UnicodeNormalizer>(UnicodeForm::NFKC);
  if (type == "NFKD") return std::make_unique<UnicodeNormalizer>(UnicodeForm::NFKD);
  if (type == "Lowercase") return std::make_unique<LowercaseNormalizer>();
  if (type == "StripAccents") return std::make_unique<StripAccentsNormalizer>();
  if (type == "Strip")
    return std::make_unique<StripNormalizer>(j.bool_or("strip_left", true), j.bool_or("strip_right", true));
  if (type == "Replace")
    return std::make_unique<ReplaceNormalizer>(parse_pattern(j.at("pattern")),
                                               std::string(j.at("content").str()));
  if (type == "Prepend") return std::make_unique<PrependNormalizer>(std::string(j.at("prepend").str()));
  if (type == "ByteLevel") return std::make_unique<ByteLevelNormalizer>();
  if (type == "Precompiled") {
    auto m = j.get("precompiled_charsmap");
    if (!m) return std::make_unique<SequenceNormalizer>(std::vector<std::unique_ptr<Normalizer>>{});
    return std::make_unique<PrecompiledNormalizer>(base64_decode(m->str()));
  }
  if (type == "BertNormalizer") {
    bool lowercase = j.bool_or("lowercase", true);
    auto sa = j.get("strip_accents");
    return std::make_unique<BertNormalizer>(j.bool_or("clean_text", true),
                                            j.bool_or("handle_chinese_chars", true),
                                            sa ? sa->boolean() : lowercase, lowercase);
  }
  if (type == "Sequence") {
    std::vector<std::unique_ptr<Normalizer>> items;
    for (const Json& n : j.at("normalizers").items()) items.push_back(make_normalizer(n));
    return std::make_unique<SequenceNormalizer>(std::move(items));
  }
  j.at("type").fail(detail::concat("unknown normalizer type '", type, "'"));
}

}  // namespace transformers::tok
