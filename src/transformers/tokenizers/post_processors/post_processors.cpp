// Post-processors: TemplateProcessing, BertProcessing, RobertaProcessing, ByteLevel, Sequence.
#include <map>

#include "transformers/core/error.h"
#include "transformers/tokenizers/components.h"
#include "transformers/tokenizers/json.h"
#include "transformers/tokenizers/unicode.h"

namespace transformers::tok {

namespace {

Encoding special_encoding(const std::vector<uint32_t>& ids, const std::vector<std::string>& tokens,
                          int32_t type_id) {
  Encoding e;
  for (size_t i = 0; i < ids.size(); ++i) {
    e.ids.push_back(static_cast<int32_t>(ids[i]));
    e.tokens.push_back(i < tokens.size() ? tokens[i] : std::string());
    e.type_ids.push_back(type_id);
    e.offsets.emplace_back(0, 0);
    e.special_tokens_mask.push_back(1);
    e.attention_mask.push_back(1);
    e.sequence_ids.push_back(-1);
    e.word_ids.emplace_back(std::nullopt);
  }
  return e;
}

void set_type_ids(Encoding& e, int32_t t) { e.type_ids.assign(e.ids.size(), t); }

// Byte-level offset trimming: leading/trailing spaces (Ġ or whitespace) leave the offsets.
void trim_offsets(Encoding& e, bool add_prefix_space) {
  const char32_t space = unicode::byte_to_char()[' '];
  for (size_t i = 0; i < e.size(); ++i) {
    const std::string& tok = e.tokens[i];
    auto& off = e.offsets[i];
    std::u32string chars;
    size_t k = 0;
    while (k < tok.size()) chars.push_back(unicode::decode(tok, k));
    size_t lead = 0, trail = 0;
    while (lead < chars.size() && (chars[lead] == space || unicode::is_whitespace(chars[lead]))) ++lead;
    while (trail < chars.size() && (chars[chars.size() - 1 - trail] == space ||
                                    unicode::is_whitespace(chars[chars.size() - 1 - trail])))
      ++trail;
    if (lead == 0 && trail == 0) continue;
    if (lead > 0) {
      bool is_first = i == 0 || off.first == 0;
      if (is_first && add_prefix_space && lead == 1) lead = 0;
      off.first = std::min(off.first + lead, off.second);
    }
    if (trail > 0 && off.second >= trail) off.second = std::max(off.second - trail, off.first);
  }
}

class TemplateProcessing : public PostProcessor {
 public:
  struct Piece {
    bool special;
    std::string id;  // "A"/"B" or a special token name
    int32_t type_id;
  };
  struct Special {
    std::vector<uint32_t> ids;
    std::vector<std::string> tokens;
  };
  explicit TemplateProcessing(const Json& j) {
    single_ = parse_template(j.at("single"));
    pair_ = parse_template(j.at("pair"));
    if (auto st = j.get("special_tokens")) {
      st->for_each_field([&](std::string_view name, const Json& v) {
        Special s;
        for (const Json& id : v.at("ids").items()) s.ids.push_back(static_cast<uint32_t>(id.integer()));
        for (const Json& t : v.at("tokens").items()) s.tokens.emplace_back(t.str());
        if (s.ids.size() != s.tokens.size())
          st->fail(detail::concat("['", name, "']: ids and tokens differ in length"));
        specials_[std::string(name)] = std::move(s);
      });
    }
    for (auto* t : {&single_, &pair_})
      for (const Piece& p : *t)
        if (p.special && !specials_.count(p.id))
          j.fail(detail::concat("template uses special token '", p.id, "' missing from special_tokens"));
  }
  size_t added_tokens(bool is_pair) const override {
    size_t n = 0;
    for (const Piece& p : is_pair ? pair_ : single_)
      if (p.special) n += specials_.at(p.id).ids.size();
    return n;
  }
  void process_encodings(std::vector<Encoding>& encs, bool add_special) const override {
    const auto& t = encs.size() == 2 ? pair_ : single_;
    Encoding out;
    for (const Piece& p : t) {
      if (p.special) {
        if (!add_special) continue;
        const Special& s = specials_.at(p.id);
        out.append(special_encoding(s.ids, s.tokens, p.type_id));
      } else {
        size_t i = p.id == "A" ? 0 : 1;
        if (i >= encs.size()) continue;
        Encoding e = encs[i];
        set_type_ids(e, p.type_id);
        out.append(e);
      }
    }
    encs.clear();
    encs.push_back(std::move(out));
  }

 private:
  static std::vector<Piece> parse_template(const Json& j) {
    std::vector<Piece> out;
    if (j.is_string()) {
      // "[CLS] $A:0 [SEP]" shorthand.
      std::string_view s = j.str();
      size_t i = 0;
      while (i < s.size()) {
        while (i < s.size() && s[i] == ' ') ++i;
        size_t e = s.find(' ', i);
        if (e == std::string_view::npos) e = s.size();
        std::string_view w = s.substr(i, e - i);
        i = e;
        if (w.empty()) continue;
        int32_t type_id = 0;
        size_t colon = w.rfind(':');
        if (colon != std::string_view::npos) {
          type_id = std::stoi(std::string(w.substr(colon + 1)));
          w = w.substr(0, colon);
        }
        if (w[0] == '$') {
          std::string_view id = w.substr(1);
          if (id.empty() || id == "A") out.push_back({false, "A", type_id});
          else if (id == "B") out.push_back({false, "B", type_id});
          else out.push_back({false, "A", std::stoi(std::string(id))});
        } else {
          out.push_back({true, std::string(w), type_id});
        }
      }
      return out;
    }
    for (const Json& p : j.items()) {
      if (auto s = p.get("SpecialToken")) {
        out.push_back({true, std::string(s->at("id").str()), static_cast<int32_t>(s->int_or("type_id", 0))});
      } else if (auto q = p.get("Sequence")) {
        std::string id(q->at("id").str());
        if (id != "A" && id != "B") q->at("id").fail("must be \"A\" or \"B\"");
        out.push_back({false, id, static_cast<int32_t>(q->int_or("type_id", 0))});
      } else {
        p.fail("expected {\"SpecialToken\": ...} or {\"Sequence\": ...}");
      }
    }
    return out;
  }
  std::vector<Piece> single_, pair_;
  std::map<std::string, Special> specials_;
};

std::pair<std::string, uint32_t> token_pair(const Json& j) {
  auto items = j.items();
  if (items.size() != 2) j.fail("expected [token, id]");
  return {std::string(items[0].str()), static_cast<uint32_t>(items[1].integer())};
}

class BertProcessing : public PostProcessor {
 public:
  BertProcessing(const Json& j, bool roberta) : roberta_(roberta) {
    sep_ = token_pair(j.at("sep"));
    cls_ = token_pair(j.at("cls"));
    trim_offsets_ = j.bool_or("trim_offsets", true);
    add_prefix_space_ = j.bool_or("add_prefix_space", true);
  }
  size_t added_tokens(bool is_pair) const override { return is_pair ? (roberta_ ? 4 : 3) : 2; }
  void process_encodings(std::vector<Encoding>& encs, bool add_special) const override {
    if (roberta_) {
      if (trim_offsets_)
        for (auto& e : encs) trim_offsets(e, add_prefix_space_);
      for (auto& e : encs) set_type_ids(e, 0);
    }
    if (!add_special) return;
    Encoding out = special_encoding({cls_.second}, {cls_.first}, 0);
    out.append(encs[0]);
    out.append(special_encoding({sep_.second}, {sep_.first}, 0));
    if (encs.size() == 2) {
      int32_t t = roberta_ ? 0 : 1;
      if (roberta_) out.append(special_encoding({sep_.second}, {sep_.first}, 0));
      Encoding b = encs[1];
      set_type_ids(b, t);
      out.append(b);
      out.append(special_encoding({sep_.second}, {sep_.first}, t));
    }
    encs.clear();
    encs.push_back(std::move(out));
  }
 private:
  bool roberta_;
  std::pair<std::string, uint32_t> sep_, cls_;
  bool trim_offsets_ = true, add_prefix_space_ = true;
};

class ByteLevelProcessing : public PostProcessor {
 public:
  explicit ByteLevelProcessing(const Json& j)
      : trim_(j.bool_or("trim_offsets", true)), add_prefix_space_(j.bool_or("add_prefix_space", true)) {}
  size_t added_tokens(bool) const override { return 0; }
  void process_encodings(std::vector<Encoding>& encs, bool) const override {
    if (trim_)
      for (auto& e : encs) trim_offsets(e, add_prefix_space_);
  }
 private:
  bool trim_, add_prefix_space_;
};

class SequenceProcessing : public PostProcessor {
 public:
  explicit SequenceProcessing(std::vector<std::unique_ptr<PostProcessor>> items) : items_(std::move(items)) {}
  size_t added_tokens(bool is_pair) const override {
    size_t n = 0;
    for (auto& p : items_) n += p->added_tokens(is_pair);
    return n;
  }
  void process_encodings(std::vector<Encoding>& encs, bool add_special) const override {
    for (auto& p : items_) p->process_encodings(encs, add_special);
  }
 private:
  std::vector<std::unique_ptr<PostProcessor>> items_;
};

}  // namespace

std::unique_ptr<PostProcessor> make_post_processor(const Json& j) {
  std::string_view type = j.at("type").str();
  if (type == "TemplateProcessing") return std::make_unique<TemplateProcessing>(j);
  if (type == "BertProcessing") return std::make_unique<BertProcessing>(j, false);
  if (type == "RobertaProcessing") return std::make_unique<BertProcessing>(j, true);
  if (type == "ByteLevel") return std::make_unique<ByteLevelProcessing>(j);
  if (type == "Sequence") {
    std::vector<std::unique_ptr<PostProcessor>> items;
    for (const Json& p : j.at("processors").items()) items.push_back(make_post_processor(p));
    return std::make_unique<SequenceProcessing>(std::move(items));
  }
  j.at("type").fail(detail::concat("unknown post_processor type '", type, "'"));
}

}  // namespace transformers::tok
