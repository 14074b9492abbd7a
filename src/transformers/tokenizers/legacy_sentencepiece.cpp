// Sentencepiece .model files converted as transformers' SpmConverter family does: Llama-style
// BPE with byte fallback (LlamaConverter), Unigram with the model's precompiled charsmap
// (AlbertConverter, T5Converter, XLMRobertaConverter, and SpmConverter for other classes).
//
// Debian's libsentencepiece loads and validates the model and gives the pieces and scores. Its
// C++ API does not expose the few settings a converter reads besides (piece types, model type,
// byte_fallback, unk_piece, the precompiled charsmap), and Debian ships no generated proto
// header, so those come from the serialized ModelProto read field by field below.
#include <algorithm>
#include <cstring>
#include <unordered_map>

#include <sentencepiece_processor.h>
#include <utf8proc.h>

#include "transformers/core/error.h"
#include "transformers/io/file_util.h"
#include "transformers/tokenizers/legacy.h"
#include "transformers/tokenizers/unicode.h"

namespace transformers::tok::legacy {

namespace fs = std::filesystem;

namespace {

// ---- the ModelProto fields the converters read (sentencepiece_model.proto) ----

struct SpmPiece {
  std::string piece;
  double score = 0;
  int type = 1;  // 1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte
};

struct SpmModel {
  std::vector<SpmPiece> pieces;
  int model_type = 1;  // trainer_spec.model_type: 1 unigram, 2 bpe, 3 word, 4 char
  bool byte_fallback = false;
  int64_t unk_id = 0;
  std::string unk_piece = "<unk>";
  std::string precompiled_charsmap;
};

// Protocol buffers wire format: (field << 3 | wire type) keys, varints, length-delimited bytes.
class WireReader {
 public:
  WireReader(std::string_view data, std::string what) : data_(data), what_(std::move(what)) {}
  bool done() const { return pos_ >= data_.size(); }
  uint64_t varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      TFM_CHECK(pos_ < data_.size(), "[tokenizers] ", what_, ": truncated varint");
      auto b = static_cast<uint8_t>(data_[pos_++]);
      v |= static_cast<uint64_t>(b & 0x7F) << shift;
      if (!(b & 0x80)) return v;
    }
    throw Error(detail::concat("[tokenizers] ", what_, ": varint too long"));
  }
  std::string_view bytes() {
    uint64_t n = varint();
    TFM_CHECK(n <= data_.size() - pos_, "[tokenizers] ", what_, ": field runs past the end");
    std::string_view s = data_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  float fixed32_float() {
    TFM_CHECK(data_.size() - pos_ >= 4, "[tokenizers] ", what_, ": truncated fixed32");
    uint32_t u = 0;
    for (int i = 0; i < 4; ++i) u |= static_cast<uint32_t>(static_cast<uint8_t>(data_[pos_ + i])) << (8 * i);
    pos_ += 4;
    float f;
    std::memcpy(&f, &u, 4);
    return f;
  }
  void skip(int wire_type) {
    switch (wire_type) {
      case 0: varint(); return;
      case 1: advance(8); return;
      case 2: bytes(); return;
      case 5: advance(4); return;
      default: throw Error(detail::concat("[tokenizers] ", what_, ": unsupported wire type ", wire_type));
    }
  }

 private:
  void advance(size_t n) {
    TFM_CHECK(data_.size() - pos_ >= n, "[tokenizers] ", what_, ": truncated field");
    pos_ += n;
  }
  std::string_view data_;
  size_t pos_ = 0;
  std::string what_;
};

SpmModel read_proto(std::string_view data, const std::string& name) {
  SpmModel m;
  WireReader r(data, name);
  while (!r.done()) {
    uint64_t key = r.varint();
    int field = static_cast<int>(key >> 3), wt = static_cast<int>(key & 7);
    if (field == 1 && wt == 2) {  // pieces
      WireReader p(r.bytes(), name + ": pieces");
      SpmPiece piece;
      while (!p.done()) {
        uint64_t k = p.varint();
        int f = static_cast<int>(k >> 3), w = static_cast<int>(k & 7);
        if (f == 1 && w == 2) piece.piece = std::string(p.bytes());
        else if (f == 2 && w == 5) piece.score = p.fixed32_float();
        else if (f == 3 && w == 0) piece.type = static_cast<int>(p.varint());
        else p.skip(w);
      }
      m.pieces.push_back(std::move(piece));
    } else if (field == 2 && wt == 2) {  // trainer_spec
      WireReader t(r.bytes(), name + ": trainer_spec");
      while (!t.done()) {
        uint64_t k = t.varint();
        int f = static_cast<int>(k >> 3), w = static_cast<int>(k & 7);
        if (f == 3 && w == 0) m.model_type = static_cast<int>(t.varint());
        else if (f == 35 && w == 0) m.byte_fallback = t.varint() != 0;
        else if (f == 40 && w == 0) m.unk_id = static_cast<int32_t>(t.varint());
        else if (f == 45 && w == 2) m.unk_piece = std::string(t.bytes());
        else t.skip(w);
      }
    } else if (field == 3 && wt == 2) {  // normalizer_spec
      WireReader n(r.bytes(), name + ": normalizer_spec");
      while (!n.done()) {
        uint64_t k = n.varint();
        int f = static_cast<int>(k >> 3), w = static_cast<int>(k & 7);
        if (f == 2 && w == 2) m.precompiled_charsmap = std::string(n.bytes());
        else n.skip(w);
      }
    } else {
      r.skip(wt);
    }
  }
  return m;
}

// Loads the model through libsentencepiece (which rejects a malformed file with its own
// message) and takes pieces and scores from it; the remaining fields from the proto.
SpmModel load_model(const fs::path& file) {
  std::string data = io::read_text_file(file);
  sentencepiece::SentencePieceProcessor sp;
  auto status = sp.LoadFromSerializedProto(data);
  TFM_CHECK(status.ok(), "[tokenizers] ", file.filename().string(), ": not a sentencepiece model (",
            status.ToString(), ")");
  SpmModel m = read_proto(data, file.filename().string());
  TFM_CHECK(static_cast<int>(m.pieces.size()) == sp.GetPieceSize(), "[tokenizers] ", file.filename().string(),
            ": ", m.pieces.size(), " pieces read but sentencepiece reports ", sp.GetPieceSize());
  for (int i = 0; i < sp.GetPieceSize(); ++i) {
    m.pieces[i].piece = sp.IdToPiece(i);
    m.pieces[i].score = sp.GetScore(i);
  }
  return m;
}

std::string base64_encode(std::string_view in) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    for (int k = 3; k >= 0; --k) out += kAlphabet[(v >> (6 * k)) & 63];
  }
  if (size_t rest = in.size() - i) {
    uint32_t v = uint8_t(in[i]) << 16;
    if (rest == 2) v |= uint8_t(in[i + 1]) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

// ---- merges for sentencepiece BPE (transformers' generate_merges with piece scores) ----

// Every split of every piece into two pieces of the original model, best score first; ties by
// longer left part, then longer right part (lengths in code points, as Python's), then the order
// of the pieces and of the parts' ids — Python's stable sort with reverse=True.
json spm_merges(const SpmModel& m, const std::vector<std::pair<std::string, double>>& vocab_scores) {
  std::unordered_map<std::string, int64_t> vocab;
  for (size_t i = 0; i < m.pieces.size(); ++i) vocab[m.pieces[i].piece] = static_cast<int64_t>(i);
  // dict(vocab_scores): a repeated piece keeps its first position and its last score.
  std::vector<std::pair<std::string, double>> scores;
  std::unordered_map<std::string, size_t> where;
  for (auto& [p, s] : vocab_scores) {
    auto [it, fresh] = where.emplace(p, scores.size());
    if (fresh) scores.emplace_back(p, s);
    else scores[it->second].second = s;
  }
  struct Merge {
    std::string_view l, r;
    double score;
    size_t len_l, len_r;
  };
  std::vector<Merge> merges;
  std::vector<Merge> local;
  for (auto& [piece, score] : scores) {
    local.clear();
    std::string_view s = piece;
    size_t chars = unicode::count_chars(s);
    size_t pos = 0, n = 0;
    while (true) {
      pos += unicode::char_len(static_cast<unsigned char>(s[pos]));
      ++n;
      if (n >= chars || pos >= s.size()) break;
      std::string_view l = s.substr(0, pos), r = s.substr(pos);
      auto il = vocab.find(std::string(l)), ir = vocab.find(std::string(r));
      if (il != vocab.end() && ir != vocab.end()) local.push_back({il->first, ir->first, score, n, chars - n});
    }
    std::stable_sort(local.begin(), local.end(), [&](const Merge& a, const Merge& b) {
      int64_t al = vocab.at(std::string(a.l)), bl = vocab.at(std::string(b.l));
      if (al != bl) return al < bl;
      return vocab.at(std::string(a.r)) < vocab.at(std::string(b.r));
    });
    merges.insert(merges.end(), local.begin(), local.end());
  }
  std::stable_sort(merges.begin(), merges.end(), [](const Merge& a, const Merge& b) {
    if (a.score != b.score) return a.score > b.score;
    if (a.len_l != b.len_l) return a.len_l > b.len_l;
    return a.len_r > b.len_r;
  });
  json out = json::array();
  for (const Merge& mg : merges) out.push_back({mg.l, mg.r});
  return out;
}

// ---- the converters ----

enum class Kind { Generic, Llama, Albert, T5, XlmRoberta };

Kind kind_of(const std::string& cls, const SpmModel& m) {
  if (cls == "LlamaTokenizer" || cls == "CodeLlamaTokenizer" || cls == "Phi3Tokenizer") return Kind::Llama;
  if (cls == "AlbertTokenizer" || cls == "FNetTokenizer") return Kind::Albert;
  if (cls == "T5Tokenizer") return Kind::T5;
  if (cls == "XLMRobertaTokenizer" || cls == "LayoutXLMTokenizer") return Kind::XlmRoberta;
  // No (known) class: a BPE model converts as Llama's, a Unigram one with the generic converter.
  return m.model_type == 2 ? Kind::Llama : Kind::Generic;
}

// Python's str.isdigit for the character before a trailing comma: decimal digits (Nd), which
// covers every such piece of the published models; other digit characters (superscripts) are
// rare enough in vocabularies to be left out.
bool is_digit_char(std::string_view s) {
  size_t i = 0;
  char32_t c = unicode::decode(s, i);
  return utf8proc_category(static_cast<utf8proc_int32_t>(c)) == UTF8PROC_CATEGORY_ND;
}

// AlbertConverter's check_number_comma: pieces like "1," are demoted by 100.
bool number_comma(const std::string& p) {
  size_t n = unicode::count_chars(p);
  if (n < 2 || p.back() != ',') return false;
  size_t i = p.size() - 1;  // the comma
  size_t j = i;
  do --j;
  while (j > 0 && unicode::is_continuation(static_cast<unsigned char>(p[j])));
  return is_digit_char(std::string_view(p).substr(j, i - j));
}

json metaspace(const char* type, const std::string& scheme, bool split) {
  return {{"type", type}, {"replacement", "\u2581"}, {"prepend_scheme", scheme}, {"split", split}};
}

json replace(json pattern, const std::string& content) {
  return {{"type", "Replace"}, {"pattern", std::move(pattern)}, {"content", content}};
}

}  // namespace

json convert_sentencepiece(Context& ctx, const fs::path& model_file) {
  SpmModel m = load_model(model_file);
  Kind kind = kind_of(ctx.tokenizer_class, m);
  if (ctx.tokenizer_class.empty())
    ctx.tokenizer_class = kind == Kind::Llama ? "LlamaTokenizer" : "PreTrainedTokenizer (sentencepiece)";
  TFM_CHECK(m.model_type == 1 || m.model_type == 2, "[tokenizers] ", model_file.filename().string(),
            ": sentencepiece model type ", m.model_type, " (word/char) has no tokenizer.json converter");

  // Class defaults of the special tokens (the slow classes' __init__ signatures).
  auto lstrip_mask = [&](const char* content) {
    ctx.default_token("mask_token", content);
    if (auto& t = ctx.special["mask_token"]; t.is_string())
      t = json{{"content", t}, {"lstrip", true}, {"rstrip", false}, {"normalized", false}};
  };
  switch (kind) {
    case Kind::Llama:
      ctx.default_token("unk_token", "<unk>");
      ctx.default_token("bos_token", "<s>");
      ctx.default_token("eos_token", "</s>");
      break;
    case Kind::Albert:
      ctx.default_token("bos_token", "[CLS]");
      ctx.default_token("eos_token", "[SEP]");
      ctx.default_token("unk_token", "<unk>");
      ctx.default_token("sep_token", "[SEP]");
      ctx.default_token("pad_token", "<pad>");
      ctx.default_token("cls_token", "[CLS]");
      lstrip_mask("[MASK]");
      break;
    case Kind::T5: {
      ctx.default_token("eos_token", "</s>");
      ctx.default_token("unk_token", "<unk>");
      ctx.default_token("pad_token", "<pad>");
      break;
    }
    case Kind::XlmRoberta:
      ctx.default_token("bos_token", "<s>");
      ctx.default_token("eos_token", "</s>");
      ctx.default_token("sep_token", "</s>");
      ctx.default_token("cls_token", "<s>");
      ctx.default_token("unk_token", "<unk>");
      ctx.default_token("pad_token", "<pad>");
      lstrip_mask("<mask>");
      break;
    case Kind::Generic:
      ctx.default_token("unk_token", "<unk>");
      break;
  }

  // vocab(proto) and unk_id(proto) of each converter.
  std::vector<std::pair<std::string, double>> vocab;
  int64_t unk_id = m.unk_id;
  if (kind == Kind::XlmRoberta) {
    vocab = {{"<s>", 0.0}, {"<pad>", 0.0}, {"</s>", 0.0}, {"<unk>", 0.0}};
    for (size_t i = 3; i < m.pieces.size(); ++i) vocab.emplace_back(m.pieces[i].piece, m.pieces[i].score);
    vocab.emplace_back("<mask>", 0.0);
    unk_id = 3;
  } else {
    for (size_t i = 0; i < m.pieces.size(); ++i) {
      const SpmPiece& p = m.pieces[i];
      double score = p.score;
      if (kind == Kind::Albert && number_comma(p.piece)) score -= 100;
      if (kind == Kind::Llama && i < 3) score = 0.0;
      vocab.emplace_back(p.piece, score);
    }
  }
  if (kind == Kind::T5) {
    int64_t extra = ctx.config.value("extra_ids", 100);
    for (int64_t i = extra - 1; i >= 0; --i) vocab.emplace_back(detail::concat("<extra_id_", i, ">"), 0.0);
    if (ctx.additional_special_tokens.empty())
      for (int64_t i = 0; i < extra; ++i)
        ctx.additional_special_tokens.emplace_back(detail::concat("<extra_id_", i, ">"));
  }
  bool byte_fallback = kind == Kind::Llama;  // handle_byte_fallback of the converter class

  // The model.
  json model;
  std::unordered_map<std::string, int64_t> ids;
  for (size_t i = 0; i < vocab.size(); ++i) ids[vocab[i].first] = static_cast<int64_t>(i);
  if (m.model_type == 1) {
    json v = json::array();
    for (auto& [p, s] : vocab) v.push_back({p, s});
    model = {{"type", "Unigram"}, {"unk_id", unk_id}, {"vocab", std::move(v)}, {"byte_fallback", byte_fallback}};
  } else {
    json v = json::object();
    for (auto& [p, id] : ids) v[p] = id;
    model = {{"type", "BPE"},           {"dropout", nullptr},     {"unk_token", m.unk_piece},
             {"continuing_subword_prefix", nullptr}, {"end_of_word_suffix", nullptr}, {"fuse_unk", true},
             {"byte_fallback", byte_fallback}, {"ignore_merges", false}, {"vocab", std::move(v)},
             {"merges", spm_merges(m, vocab)}};
  }

  // Control (special) and user-defined (not special) pieces become added tokens, by piece id.
  AddedTokens added(
      [&](const std::string& t) -> std::optional<int64_t> {
        auto it = ids.find(t);
        return it == ids.end() ? std::nullopt : std::optional<int64_t>(it->second);
      },
      static_cast<int64_t>(m.model_type == 1 ? vocab.size() : ids.size()));
  for (const SpmPiece& p : m.pieces)
    if (p.type == 3 || p.type == 4)
      added.add(json{{"content", p.piece}, {"normalized", false}, {"special", p.type == 3}});
  added.add_from_config(ctx);

  // Normalizer, pre-tokenizer, decoder, post-processor.
  bool legacy = ctx.flag("legacy", true);
  bool add_prefix_space = ctx.flag("add_prefix_space", true);
  std::string scheme = add_prefix_space ? (legacy ? "always" : "first") : "never";
  json precompiled = nullptr;
  if (!m.precompiled_charsmap.empty())
    precompiled = {{"type", "Precompiled"}, {"precompiled_charsmap", base64_encode(m.precompiled_charsmap)}};
  json normalizer = nullptr, pre = nullptr, decoder, post = nullptr;
  auto id_of = [&](const std::string& t) {
    auto id = added.id_of(t);
    TFM_CHECK(id, "[tokenizers] legacy conversion: '", t, "' is not in the vocabulary");
    return *id;
  };
  if (kind == Kind::Llama) {
    if (legacy) {
      json seq = json::array();
      if (add_prefix_space) seq.push_back({{"type", "Prepend"}, {"prepend", "\u2581"}});
      seq.push_back(replace({{"String", " "}}, "\u2581"));
      normalizer = {{"type", "Sequence"}, {"normalizers", seq}};
    } else {
      pre = metaspace("Metaspace", scheme, false);
    }
    json dec = json::array({replace({{"String", "\u2581"}}, " "), {{"type", "ByteFallback"}}, {{"type", "Fuse"}}});
    if (add_prefix_space) dec.push_back({{"type", "Strip"}, {"content", " "}, {"start", 1}, {"stop", 0}});
    decoder = {{"type", "Sequence"}, {"decoders", dec}};
    // LlamaTokenizerFast.update_post_processor: BOS and EOS as add_bos_token / add_eos_token say.
    bool bos = ctx.flag("add_bos_token", true), eos = ctx.flag("add_eos_token", false);
    std::string b = ctx.token("bos_token").value_or("<s>"), e = ctx.token("eos_token").value_or("</s>");
    std::string single = (bos ? b + ":0 " : "") + "$A:0" + (eos ? " " + e + ":0" : "");
    std::string pair = single + (bos ? " " + b + ":1" : "") + " $B:1" + (eos ? " " + e + ":1" : "");
    std::vector<std::pair<std::string, int64_t>> sp;
    if (bos) sp.emplace_back(b, id_of(b));
    if (eos) sp.emplace_back(e, id_of(e));
    post = template_processing(single, pair, sp);
  } else {
    json seq = json::array();
    if (kind == Kind::Albert) {
      seq.push_back(replace({{"String", "``"}}, "\""));
      seq.push_back(replace({{"String", "''"}}, "\""));
      if (!ctx.flag("keep_accents", false)) {
        seq.push_back({{"type", "NFKD"}});
        seq.push_back({{"type", "StripAccents"}});
      }
      if (ctx.flag("do_lower_case", true)) seq.push_back({{"type", "Lowercase"}});
      if (!precompiled.is_null()) seq.push_back(precompiled);
      seq.push_back(replace({{"Regex", " {2,}"}}, " "));
    } else {
      if (!precompiled.is_null()) seq.push_back(precompiled);
      seq.push_back({{"type", "Strip"}, {"strip_left", false}, {"strip_right", true}});
      seq.push_back(replace({{"Regex", " {2,}"}}, "\u2581"));
    }
    normalizer = {{"type", "Sequence"}, {"normalizers", seq}};
    // Albert and XLM-R have no legacy / add_prefix_space attributes: always prepend.
    if (kind == Kind::Albert || kind == Kind::XlmRoberta) scheme = "always";
    pre = metaspace("Metaspace", scheme, true);
    decoder = metaspace("Metaspace", scheme, true);
    if (kind == Kind::Albert)
      post = template_processing("[CLS]:0 $A:0 [SEP]:0", "[CLS]:0 $A:0 [SEP]:0 $B:1 [SEP]:1",
                                 {{"[CLS]", id_of("[CLS]")}, {"[SEP]", id_of("[SEP]")}});
    else if (kind == Kind::T5)
      post = template_processing("$A </s>", "$A </s> $B </s>", {{"</s>", id_of("</s>")}});
    else if (kind == Kind::XlmRoberta)
      post = template_processing("<s> $A </s>", "<s> $A </s> </s> $B </s>",
                                 {{"<s>", id_of("<s>")}, {"</s>", id_of("</s>")}});
  }
  return tokenizer_json(std::move(model), std::move(normalizer), std::move(pre), std::move(post), std::move(decoder),
                        added);
}

}  // namespace transformers::tok::legacy
