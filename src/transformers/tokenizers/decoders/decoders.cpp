// Decoders: ByteLevel, Metaspace, WordPiece, BPEDecoder, ByteFallback, Fuse, Strip, Replace, CTC,
// Sequence. Each rewrites the list of token strings; the tokenizer joins the result.
#include "transformers/core/error.h"
#include "transformers/tokenizers/components.h"
#include "transformers/tokenizers/json.h"
#include "transformers/tokenizers/unicode.h"

namespace transformers::tok {

namespace {

void replace_all(std::string& s, std::string_view from, std::string_view to) {
  if (from.empty()) return;
  size_t pos = 0;
  while ((pos = s.find(from, pos)) != std::string::npos) {
    s.replace(pos, from.size(), to);
    pos += to.size();
  }
}

}  // namespace

// The clean-up WordPiece's decoder applies (HF `wordpiece::cleanup`).
std::string wordpiece_cleanup(std::string s) {
  replace_all(s, " .", ".");
  replace_all(s, " ?", "?");
  replace_all(s, " !", "!");
  replace_all(s, " ,", ",");
  replace_all(s, " ' ", "'");
  replace_all(s, " n't", "n't");
  replace_all(s, " 'm", "'m");
  replace_all(s, " do not", " don't");
  replace_all(s, " 's", "'s");
  replace_all(s, " 've", "'ve");
  replace_all(s, " 're", "'re");
  return s;
}

namespace {

class ByteLevelDecoder : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::string bytes;
    for (const std::string& t : tokens) {
      size_t start = bytes.size();
      size_t i = 0;
      bool ok = true;
      while (i < t.size()) {
        int b = unicode::char_to_byte(unicode::decode(t, i));
        if (b < 0) { ok = false; break; }
        bytes.push_back(static_cast<char>(b));
      }
      if (!ok) {
        bytes.resize(start);
        bytes += t;  // a token outside the byte alphabet (e.g. an added token) passes through
      }
    }
    tokens.assign(1, unicode::to_valid_utf8(bytes));
  }
};

class MetaspaceDecoder : public Decoder {
 public:
  MetaspaceDecoder(std::string rep, bool prepend) : rep_(std::move(rep)), prepend_(prepend) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (size_t i = 0; i < tokens.size(); ++i) {
      std::string out;
      const std::string& t = tokens[i];
      size_t k = 0;
      while (k < t.size()) {
        if (!rep_.empty() && t.compare(k, rep_.size(), rep_) == 0) {
          if (!(i == 0 && prepend_)) out += ' ';
          k += rep_.size();
        } else {
          out += t[k++];
        }
      }
      tokens[i] = std::move(out);
    }
  }
 private:
  std::string rep_;
  bool prepend_;
};

class WordPieceDecoder : public Decoder {
 public:
  WordPieceDecoder(std::string prefix, bool cleanup) : prefix_(std::move(prefix)), cleanup_(cleanup) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (size_t i = 0; i < tokens.size(); ++i) {
      std::string& t = tokens[i];
      if (i != 0) {
        if (!prefix_.empty() && t.compare(0, prefix_.size(), prefix_) == 0) t.erase(0, prefix_.size());
        else t.insert(0, " ");
      }
      if (cleanup_) t = wordpiece_cleanup(std::move(t));
    }
  }
 private:
  std::string prefix_;
  bool cleanup_;
};

class BpeDecoder : public Decoder {
 public:
  explicit BpeDecoder(std::string suffix) : suffix_(std::move(suffix)) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (size_t i = 0; i < tokens.size(); ++i)
      replace_all(tokens[i], suffix_, i + 1 == tokens.size() ? "" : " ");
  }
 private:
  std::string suffix_;
};

class ByteFallbackDecoder : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::vector<std::string> out;
    std::string bytes;
    size_t nbytes = 0;
    auto flush = [&] {
      if (nbytes == 0) return;
      if (unicode::is_valid_utf8(bytes)) {
        out.push_back(bytes);
      } else {
        for (size_t k = 0; k < nbytes; ++k) out.emplace_back("\xEF\xBF\xBD");
      }
      bytes.clear();
      nbytes = 0;
    };
    for (std::string& t : tokens) {
      auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        return -1;
      };
      if (t.size() == 6 && t.compare(0, 3, "<0x") == 0 && t[5] == '>' && hex(t[3]) >= 0 && hex(t[4]) >= 0) {
        bytes.push_back(static_cast<char>(hex(t[3]) * 16 + hex(t[4])));
        ++nbytes;
      } else {
        flush();
        out.push_back(std::move(t));
      }
    }
    flush();
    tokens = std::move(out);
  }
};

class FuseDecoder : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::string all;
    for (auto& t : tokens) all += t;
    tokens.assign(1, std::move(all));
  }
};

class StripDecoder : public Decoder {
 public:
  StripDecoder(char32_t content, size_t start, size_t stop) : content_(content), start_(start), stop_(stop) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (std::string& t : tokens) {
      std::u32string cs;
      size_t k = 0;
      while (k < t.size()) cs.push_back(unicode::decode(t, k));
      size_t b = 0, e = cs.size();
      while (b < start_ && b < cs.size() && cs[b] == content_) ++b;
      size_t cut = 0;
      while (cut < stop_ && e > b && cs[e - 1] == content_) { --e; ++cut; }
      std::string out;
      for (size_t i = b; i < e; ++i) unicode::append_utf8(out, cs[i]);
      t = std::move(out);
    }
  }
 private:
  char32_t content_;
  size_t start_, stop_;
};

class ReplaceDecoder : public Decoder {
 public:
  ReplaceDecoder(Pattern p, std::string content) : pattern_(std::move(p)), content_(std::move(content)) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (std::string& t : tokens) {
      NormalizedString ns(t, 0);
      ns.replace(pattern_, content_);
      t = ns.get();
    }
  }
 private:
  Pattern pattern_;
  std::string content_;
};

class CtcDecoder : public Decoder {
 public:
  CtcDecoder(std::string pad, std::string delim, bool cleanup)
      : pad_(std::move(pad)), delim_(std::move(delim)), cleanup_(cleanup) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::vector<std::string> out;
    for (size_t i = 0; i < tokens.size(); ++i) {
      if (i > 0 && tokens[i] == tokens[i - 1]) continue;  // collapse repeats
      if (tokens[i] == pad_) continue;
      std::string t = tokens[i];
      replace_all(t, delim_, " ");
      if (cleanup_) t = wordpiece_cleanup(std::move(t));
      out.push_back(std::move(t));
    }
    tokens = std::move(out);
  }
 private:
  std::string pad_, delim_;
  bool cleanup_;
};

class SequenceDecoder : public Decoder {
 public:
  explicit SequenceDecoder(std::vector<std::unique_ptr<Decoder>> items) : items_(std::move(items)) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (auto& d : items_) d->decode_chain(tokens);
  }
 private:
  std::vector<std::unique_ptr<Decoder>> items_;
};

}  // namespace

std::unique_ptr<Decoder> make_decoder(const Json& j) {
  std::string_view type = j.at("type").str();
  if (type == "ByteLevel") return std::make_unique<ByteLevelDecoder>();
  if (type == "Metaspace") {
    bool prepend = true;
    if (auto ps = j.get("prepend_scheme")) prepend = ps->str() != "never";
    else prepend = j.bool_or("add_prefix_space", true);
    return std::make_unique<MetaspaceDecoder>(j.str_or("replacement", "\u2581"), prepend);
  }
  if (type == "WordPiece")
    return std::make_unique<WordPieceDecoder>(j.str_or("prefix", "##"), j.bool_or("cleanup", true));
  if (type == "BPEDecoder") return std::make_unique<BpeDecoder>(j.str_or("suffix", "</w>"));
  if (type == "ByteFallback") return std::make_unique<ByteFallbackDecoder>();
  if (type == "Fuse") return std::make_unique<FuseDecoder>();
  if (type == "Strip") {
    std::string c(j.at("content").str());
    size_t i = 0;
    if (c.empty()) j.at("content").fail("must be one character");
    char32_t ch = unicode::decode(c, i);
    return std::make_unique<StripDecoder>(ch, static_cast<size_t>(j.int_or("start", 0)),
                                          static_cast<size_t>(j.int_or("stop", 0)));
  }
  if (type == "Replace")
    return std::make_unique<ReplaceDecoder>(parse_pattern(j.at("pattern")), std::string(j.at("content").str()));
  if (type == "CTC")
    return std::make_unique<CtcDecoder>(j.str_or("pad_token", "<pad>"), j.str_or("word_delimiter_token", "|"),
                                        j.bool_or("cleanup", true));
  if (type == "Sequence") {
    std::vector<std::unique_ptr<Decoder>> items;
    for (const Json& d : j.at("decoders").items()) items.push_back(make_decoder(d));
    return std::make_unique<SequenceDecoder>(std::move(items));
  }
  j.at("type").fail(detail::concat("unknown decoder type '", type, "'"));
}

}  // namespace transformers::tok
