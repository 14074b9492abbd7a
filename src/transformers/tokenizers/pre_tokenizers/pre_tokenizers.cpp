// Pre-tokenizers and their factory.
#include "transformers/tokenizers/pre_tokenizers/pre_tokenizers.h"

#include "transformers/core/error.h"
#include "transformers/tokenizers/json.h"
#include "transformers/tokenizers/regex.h"
#include "transformers/tokenizers/unicode.h"

namespace transformers::tok {

const char* const kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

ByteLevelPreTokenizer::ByteLevelPreTokenizer(bool add_prefix_space, bool use_regex)
    : add_prefix_space_(add_prefix_space), use_regex_(use_regex) {
  if (use_regex_) {
    static const auto re = std::make_shared<const Regex>(kGpt2Pattern);
    pattern_ = Pattern::regex(re);
  }
}

void ByteLevelPreTokenizer::pre_tokenize(std::vector<Split>& splits) const {
  split_pieces(splits, [&](NormalizedString&& ns, std::vector<NormalizedString>& out) {
    if (add_prefix_space_ && (ns.empty() || ns.get()[0] != ' ')) ns.prepend(" ");
    if (use_regex_) ns.split(pattern_, SplitBehavior::Isolated, out);
    else out.push_back(std::move(ns));
  });
  // See Note [Lazy byte-level]: the byte → character mapping happens in the model.
  for (Split& s : splits)
    if (!s.done) s.ns.set_byte_level(true);
}

void PatternSplitPreTokenizer::pre_tokenize(std::vector<Split>& splits) const {
  split_pieces(splits, [&](NormalizedString&& ns, std::vector<NormalizedString>& out) {
    ns.split(pattern_, behavior_, out, invert_);
  });
}

void MetaspacePreTokenizer::pre_tokenize(std::vector<Split>& splits) const {
  static const Pattern space = Pattern::literal(" ");
  Pattern rep = Pattern::literal(replacement_);
  split_pieces(splits, [&](NormalizedString&& ns, std::vector<NormalizedString>& out) {
    ns.replace(space, replacement_);
    bool starts = ns.get().compare(0, replacement_.size(), replacement_) == 0;
    if (scheme_ == Prepend::Always && !starts) ns.prepend(replacement_);
    if (scheme_ == Prepend::First && !starts && ns.original().start == 0) ns.prepend(replacement_);
    if (split_) ns.split(rep, SplitBehavior::MergedWithNext, out);
    else out.push_back(std::move(ns));
  });
}

namespace {
bool is_bert_punc(char32_t c) {
  return (c < 0x80 && ((c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) ||
                       (c >= 123 && c <= 126))) ||
         unicode::is_punctuation(c);
}
}  // namespace

void BertPreTokenizer::pre_tokenize(std::vector<Split>& splits) const {
  static const Pattern ws = Pattern::predicate(unicode::is_whitespace);
  static const Pattern punc = Pattern::predicate(is_bert_punc);
  split_pieces(splits, [&](NormalizedString&& ns, std::vector<NormalizedString>& out) {
    ns.split(ws, SplitBehavior::Removed, out);
  });
  split_pieces(splits, [&](NormalizedString&& ns, std::vector<NormalizedString>& out) {
    ns.split(punc, SplitBehavior::Isolated, out);
  });
}

void SequencePreTokenizer::pre_tokenize(std::vector<Split>& splits) const {
  for (const auto& p : items_) {
    // A step after ByteLevel sees the mapped characters (Note [Lazy byte-level]).
    for (Split& s : splits)
      if (!s.done && s.ns.byte_level()) s.ns.materialize_byte_level();
    p->pre_tokenize(splits);
  }
}

std::unique_ptr<PreTokenizer> make_pre_tokenizer(const Json& j) {
  std::string_view type = j.at("type").str();
  if (type == "ByteLevel")
    return std::make_unique<ByteLevelPreTokenizer>(j.bool_or("add_prefix_space", true),
                                                   j.bool_or("use_regex", true));
  if (type == "Whitespace") {
    static const auto re = std::make_shared<const Regex>(R"(\w+|[^\w\s]+)");
    return std::make_unique<PatternSplitPreTokenizer>(Pattern::regex(re), SplitBehavior::Removed, true);
  }
  if (type == "WhitespaceSplit")
    return std::make_unique<PatternSplitPreTokenizer>(Pattern::predicate(unicode::is_whitespace),
                                                      SplitBehavior::Removed);
  if (type == "Punctuation") {
    auto b = j.get("behavior");
    return std::make_unique<PatternSplitPreTokenizer>(
        Pattern::predicate(is_bert_punc), b ? parse_split_behavior(*b) : SplitBehavior::Isolated);
  }
  if (type == "Digits") {
    bool individual = j.bool_or("individual_digits", false);
    return std::make_unique<PatternSplitPreTokenizer>(
        Pattern::predicate(unicode::is_numeric),
        individual ? SplitBehavior::Isolated : SplitBehavior::Contiguous);
  }
  if (type == "CharDelimiterSplit") {
    std::string d(j.at("delimiter").str());
    TFM_CHECK(unicode::count_chars(d) == 1, "[tokenizers] ", j.at("delimiter").path(),
              " must be a single character");
    return std::make_unique<PatternSplitPreTokenizer>(Pattern::literal(d), SplitBehavior::Removed);
  }
  if (type == "Split")
    return std::make_unique<PatternSplitPreTokenizer>(parse_pattern(j.at("pattern")),
                                                      parse_split_behavior(j.at("behavior")),
                                                      j.bool_or("invert", false));
  if (type == "Metaspace") {
    std::string rep(j.str_or("replacement", "\u2581"));
    auto scheme = MetaspacePreTokenizer::Prepend::Always;
    if (auto ps = j.get("prepend_scheme")) {
      std::string_view v = ps->str();
      if (v == "first") scheme = MetaspacePreTokenizer::Prepend::First;
      else if (v == "never") scheme = MetaspacePreTokenizer::Prepend::Never;
      else if (v != "always") ps->fail(detail::concat("unknown prepend_scheme '", v, "'"));
    } else if (!j.bool_or("add_prefix_space", true)) {
      scheme = MetaspacePreTokenizer::Prepend::Never;  // older files
    }
    return std::make_unique<MetaspacePreTokenizer>(rep, scheme, j.bool_or("split", true));
  }
  if (type == "BertPreTokenizer") return std::make_unique<BertPreTokenizer>();
  if (type == "UnicodeScripts") return std::make_unique<UnicodeScriptsPreTokenizer>();
  if (type == "Sequence") {
    std::vector<std::unique_ptr<PreTokenizer>> items;
    for (const Json& p : j.at("pretokenizers").items()) items.push_back(make_pre_tokenizer(p));
    return std::make_unique<SequencePreTokenizer>(std::move(items));
  }
  j.at("type").fail(detail::concat("unknown pre_tokenizer type '", type, "'"));
}

}  // namespace transformers::tok
