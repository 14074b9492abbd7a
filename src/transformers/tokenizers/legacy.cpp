// Legacy ("slow") tokenizer files converted to tokenizer.json on load, as transformers does when a
// folder has no tokenizer.json: the slow class (tokenizer_config.json's tokenizer_class, else the
// files present) picks the converter of convert_slow_tokenizer.py, then the added and special
// tokens are registered as PreTrainedTokenizerFast.__init__ does. This file: the shared parts,
// WordPiece from vocab.txt (BertConverter) and byte-level BPE from vocab.json + merges.txt
// (GPT2Converter, RobertaConverter); sentencepiece .model files are in legacy_sentencepiece.cpp.
#include "transformers/tokenizers/legacy.h"

#include <algorithm>
#include <set>
#include <sstream>
#include <unordered_set>

#include "transformers/core/error.h"
#include "transformers/io/file_util.h"

namespace transformers::tok {

namespace fs = std::filesystem;

namespace legacy {

namespace {

json parse_json(const std::string& text, const std::string& name) {
  try {
    return json::parse(text);
  } catch (const std::exception& e) {
    throw Error(detail::concat("[tokenizers] ", name, ": invalid JSON (", e.what(), ")"));
  }
}

std::string content_of(const json& t) {
  if (t.is_string()) return t.get<std::string>();
  if (t.is_object() && t.contains("content") && t["content"].is_string()) return t["content"].get<std::string>();
  throw Error(detail::concat("[tokenizers] special token: expected a string or {\"content\": ...}, got ", t.dump()));
}

// An AddedToken object with every flag spelled out (tokenizers' defaults: normalized = !special).
json full_token(json t) {
  if (t.is_string()) t = json{{"content", t}};
  bool special = t.value("special", false);
  json out = {{"content", content_of(t)},
              {"single_word", t.value("single_word", false)},
              {"lstrip", t.value("lstrip", false)},
              {"rstrip", t.value("rstrip", false)},
              {"normalized", t.contains("normalized") && t["normalized"].is_boolean()
                                 ? t["normalized"].get<bool>()
                                 : !special},
              {"special", special}};
  return out;
}

// Lines of a text file as Python's universal-newline readlines() sees them, without the ends.
std::vector<std::string> text_lines(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '\n' || c == '\r') {
      out.push_back(std::move(cur));
      cur.clear();
      if (c == '\r' && i + 1 < s.size() && s[i + 1] == '\n') ++i;
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

}  // namespace

bool Context::flag(const char* key, bool def) const {
  if (!config.contains(key) || config[key].is_null()) return def;
  TFM_CHECK(config[key].is_boolean(), "[tokenizers] tokenizer_config.json: ", key, ": expected a boolean");
  return config[key].get<bool>();
}

void Context::default_token(const std::string& key, json value) {
  if (!special.count(key)) special[key] = std::move(value);
}

std::optional<std::string> Context::token(const std::string& key) const {
  auto it = special.find(key);
  if (it == special.end() || it->second.is_null()) return std::nullopt;
  return content_of(it->second);
}

std::vector<std::string> Context::all_special_tokens() const {
  std::vector<std::string> out;
  for (const char* k : SpecialTokens::kAttributes)
    if (auto t = token(k); t && std::find(out.begin(), out.end(), *t) == out.end()) out.push_back(*t);
  for (const json& t : additional_special_tokens)
    if (std::string c = content_of(t); std::find(out.begin(), out.end(), c) == out.end()) out.push_back(c);
  return out;
}

std::optional<int64_t> AddedTokens::id_of(const std::string& content) const {
  if (auto it = by_content_.find(content); it != by_content_.end()) return it->second;
  return vocab_(content);
}

void AddedTokens::add(json t) {
  t = full_token(std::move(t));
  std::string content = t["content"];
  if (content.empty()) return;
  int64_t id;
  if (auto it = by_content_.find(content); it != by_content_.end()) {
    if (by_id_[it->second] == t) return;  // already there with the same flags
    id = it->second;
  } else if (auto v = vocab_(content)) {
    id = *v;
  } else {
    id = vocab_size_;
    if (!by_id_.empty()) id = std::max(id, by_id_.rbegin()->first + 1);
  }
  if (auto old = by_id_.find(id); old != by_id_.end() && old->second["content"] != content)
    by_content_.erase(old->second["content"].get<std::string>());
  by_id_[id] = t;
  by_content_[content] = id;
}

void AddedTokens::add_from_config(const Context& ctx) {
  std::vector<std::string> specials = ctx.all_special_tokens();
  auto is_special = [&](const std::string& c) {
    return std::find(specials.begin(), specials.end(), c) != specials.end();
  };
  if (ctx.config.contains("added_tokens_decoder") && ctx.config["added_tokens_decoder"].is_object()) {
    std::vector<std::pair<int64_t, json>> entries;
    for (auto& [key, value] : ctx.config["added_tokens_decoder"].items()) {
      int64_t id = 0;
      try {
        id = std::stoll(key);
      } catch (const std::exception&) {
        throw Error(detail::concat("[tokenizers] tokenizer_config.json: added_tokens_decoder: key '", key,
                                   "' is not an integer id"));
      }
      TFM_CHECK(value.is_object() && value.contains("content"), "[tokenizers] tokenizer_config.json: ",
                "added_tokens_decoder['", key, "']: expected an AddedToken object");
      entries.emplace_back(id, value);
    }
    std::sort(entries.begin(), entries.end(), [](auto& a, auto& b) { return a.first < b.first; });
    for (auto& [id, value] : entries) {
      json t = full_token(value);
      t["special"] = t["special"].get<bool>() || is_special(t["content"]);
      add(t);
    }
  }
  std::vector<json> extended;
  for (const char* k : SpecialTokens::kAttributes)
    if (auto it = ctx.special.find(k); it != ctx.special.end() && !it->second.is_null()) extended.push_back(it->second);
  for (const json& t : ctx.additional_special_tokens) extended.push_back(t);
  for (json t : extended) {
    if (by_content_.count(content_of(t))) continue;
    if (t.is_string()) t = json{{"content", t}};
    t["special"] = true;
    add(t);
  }
}

json AddedTokens::to_json() const {
  json arr = json::array();
  for (auto& [id, t] : by_id_) {
    json o = {{"id", id}};
    for (const char* k : {"content", "single_word", "lstrip", "rstrip", "normalized", "special"}) o[k] = t[k];
    arr.push_back(std::move(o));
  }
  return arr;
}

json tokenizer_json(json model, json normalizer, json pre_tokenizer, json post_processor, json decoder,
                    const AddedTokens& added) {
  return json{{"version", "1.0"},        {"truncation", nullptr},         {"padding", nullptr},
              {"added_tokens", added.to_json()}, {"normalizer", std::move(normalizer)},
              {"pre_tokenizer", std::move(pre_tokenizer)}, {"post_processor", std::move(post_processor)},
              {"decoder", std::move(decoder)}, {"model", std::move(model)}};
}

json template_processing(const std::string& single, const std::string& pair,
                         const std::vector<std::pair<std::string, int64_t>>& ids) {
  auto parse = [](const std::string& tpl) {
    json out = json::array();
    std::istringstream in(tpl);
    for (std::string piece; in >> piece;) {
      std::string name = piece;
      int64_t type_id = 0;
      if (auto colon = piece.rfind(':'); colon != std::string::npos && colon > 0) {
        name = piece.substr(0, colon);
        type_id = std::stoll(piece.substr(colon + 1));
      }
      if (name == "$" || name == "$A") out.push_back({{"Sequence", {{"id", "A"}, {"type_id", type_id}}}});
      else if (name == "$B") out.push_back({{"Sequence", {{"id", "B"}, {"type_id", type_id}}}});
      else out.push_back({{"SpecialToken", {{"id", name}, {"type_id", type_id}}}});
    }
    return out;
  };
  json special = json::object();
  for (auto& [name, id] : ids) special[name] = {{"id", name}, {"ids", {id}}, {"tokens", {name}}};
  return {{"type", "TemplateProcessing"},
          {"single", parse(single)},
          {"pair", parse(pair)},
          {"special_tokens", special}};
}

namespace {

std::optional<int64_t> find_in(const json& vocab, const std::string& token) {
  auto it = vocab.find(token);
  if (it == vocab.end()) return std::nullopt;
  return it->get<int64_t>();
}

// Id of a special token in the slow tokenizer (vocabulary or added tokens); the converters need it
// for their post-processors.
int64_t required_id(const AddedTokens& added, const std::string& token, const char* what) {
  auto id = added.id_of(token);
  TFM_CHECK(id, "[tokenizers] legacy conversion: ", what, " '", token, "' is not in the vocabulary");
  return *id;
}

// BertConverter: WordPiece over vocab.txt, BertNormalizer from the basic tokenizer's settings.
json convert_bert(Context& ctx) {
  json vocab = json::object();
  int64_t index = 0;
  for (std::string& line : text_lines(io::read_text_file(ctx.folder / "vocab.txt"))) vocab[line] = index++;
  ctx.default_token("unk_token", "[UNK]");
  ctx.default_token("sep_token", "[SEP]");
  ctx.default_token("pad_token", "[PAD]");
  ctx.default_token("cls_token", "[CLS]");
  ctx.default_token("mask_token", "[MASK]");
  ctx.clean_up_default = true;  // BertTokenizer's signature default
  std::string unk = ctx.token("unk_token").value_or("[UNK]");
  // Without the basic tokenizer (do_basic_tokenize false) the converter reads all three as false.
  bool basic = ctx.flag("do_basic_tokenize", true);
  json strip_accents = nullptr;
  if (basic && ctx.config.contains("strip_accents") && ctx.config["strip_accents"].is_boolean())
    strip_accents = ctx.config["strip_accents"];
  if (!basic) strip_accents = false;
  json normalizer = {{"type", "BertNormalizer"},
                     {"clean_text", true},
                     {"handle_chinese_chars", basic && ctx.flag("tokenize_chinese_chars", true)},
                     {"strip_accents", strip_accents},
                     {"lowercase", basic && ctx.flag("do_lower_case", true)}};
  AddedTokens added([&](const std::string& t) { return find_in(vocab, t); }, static_cast<int64_t>(vocab.size()));
  added.add_from_config(ctx);
  std::string cls = ctx.token("cls_token").value_or("[CLS]"), sep = ctx.token("sep_token").value_or("[SEP]");
  json post = template_processing(
      cls + ":0 $A:0 " + sep + ":0", cls + ":0 $A:0 " + sep + ":0 $B:1 " + sep + ":1",
      {{cls, required_id(added, cls, "cls_token")}, {sep, required_id(added, sep, "sep_token")}});
  json model = {{"type", "WordPiece"}, {"unk_token", unk}, {"continuing_subword_prefix", "##"},
                {"max_input_chars_per_word", 100}, {"vocab", std::move(vocab)}};
  return tokenizer_json(std::move(model), std::move(normalizer), {{"type", "BertPreTokenizer"}}, std::move(post),
                        {{"type", "WordPiece"}, {"prefix", "##"}, {"cleanup", true}}, added);
}

// GPT2Converter and RobertaConverter: byte-level BPE over vocab.json + merges.txt.
json convert_byte_level_bpe(Context& ctx, bool roberta) {
  json vocab = parse_json(io::read_text_file(ctx.folder / "vocab.json"), "vocab.json");
  TFM_CHECK(vocab.is_object(), "[tokenizers] vocab.json: expected an object of token → id");
  for (auto& [k, v] : vocab.items())
    TFM_CHECK(v.is_number_integer(), "[tokenizers] vocab.json: ['", k, "']: expected an integer id");
  // The slow tokenizers drop the first line (the "#version" header) and the last piece after the
  // final newline, then split each line on whitespace; a repeated pair keeps its first position.
  std::string text = io::read_text_file(ctx.folder / "merges.txt");
  std::vector<std::string> lines;
  for (size_t start = 0;;) {
    size_t nl = text.find('\n', start);
    if (nl == std::string::npos) {
      lines.push_back(text.substr(start));
      break;
    }
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  json merges = json::array();
  std::unordered_set<std::string> seen;  // "left\nright"
  for (size_t i = 1; i + 1 < lines.size(); ++i) {
    std::istringstream in(lines[i]);
    std::vector<std::string> parts;
    for (std::string p; in >> p;) parts.push_back(p);
    TFM_CHECK(parts.size() == 2, "[tokenizers] merges.txt: line ", i + 1,
              ": expected two tokens, got '", lines[i], "'");
    if (seen.insert(parts[0] + '\n' + parts[1]).second) merges.push_back({parts[0], parts[1]});
  }
  bool add_prefix_space = ctx.flag("add_prefix_space", false);
  if (roberta) {
    ctx.default_token("bos_token", "<s>");
    ctx.default_token("eos_token", "</s>");
    ctx.default_token("sep_token", "</s>");
    ctx.default_token("cls_token", "<s>");
    ctx.default_token("unk_token", "<unk>");
    ctx.default_token("pad_token", "<pad>");
    ctx.default_token("mask_token", "<mask>");
    // RobertaTokenizerFast makes a string mask token lstrip (it absorbs the space before it).
    if (auto& m = ctx.special["mask_token"]; m.is_string())
      m = json{{"content", m}, {"lstrip", true}, {"rstrip", false}, {"normalized", false}};
  } else {
    ctx.default_token("bos_token", "<|endoftext|>");
    ctx.default_token("eos_token", "<|endoftext|>");
    ctx.default_token("unk_token", "<|endoftext|>");
  }
  AddedTokens added([&](const std::string& t) { return find_in(vocab, t); }, static_cast<int64_t>(vocab.size()));
  added.add_from_config(ctx);
  json post;
  if (roberta) {
    std::string sep = ctx.token("sep_token").value_or("</s>"), cls = ctx.token("cls_token").value_or("<s>");
    post = {{"type", "RobertaProcessing"},
            {"sep", {sep, required_id(added, sep, "sep_token")}},
            {"cls", {cls, required_id(added, cls, "cls_token")}},
            {"trim_offsets", ctx.flag("trim_offsets", true)},
            {"add_prefix_space", add_prefix_space}};
  } else if (ctx.flag("add_bos_token", false)) {
    std::string bos = ctx.token("bos_token").value_or("<|endoftext|>");
    post = template_processing(bos + ":0 $A:0", bos + ":0 $A:0 $B:1", {{bos, required_id(added, bos, "bos_token")}});
  } else {
    post = {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", false}, {"use_regex", true}};
  }
  json model = {{"type", "BPE"},           {"dropout", nullptr},         {"unk_token", nullptr},
                {"continuing_subword_prefix", ""}, {"end_of_word_suffix", ""}, {"fuse_unk", false},
                {"byte_fallback", false},  {"ignore_merges", false},     {"vocab", std::move(vocab)},
                {"merges", std::move(merges)}};
  json pre = {{"type", "ByteLevel"}, {"add_prefix_space", add_prefix_space},
              {"trim_offsets", roberta ? ctx.flag("trim_offsets", true) : true}, {"use_regex", true}};
  json decoder = {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", true}, {"use_regex", true}};
  return tokenizer_json(std::move(model), nullptr, std::move(pre), std::move(post), std::move(decoder), added);
}

// Slow classes by converter (SLOW_TO_FAST_CONVERTERS), for the families handled here.
const std::set<std::string> kBertClasses = {
    "BertTokenizer",       "ConvBertTokenizer",   "DistilBertTokenizer", "DPRReaderTokenizer",
    "DPRQuestionEncoderTokenizer", "DPRContextEncoderTokenizer", "ElectraTokenizer", "LayoutLMTokenizer",
    "LayoutLMv2Tokenizer", "LxmertTokenizer",     "MobileBertTokenizer", "SqueezeBertTokenizer"};
const std::set<std::string> kGpt2Classes = {"GPT2Tokenizer", "CodeGenTokenizer"};
const std::set<std::string> kRobertaClasses = {"RobertaTokenizer", "BartTokenizer", "LongformerTokenizer",
                                               "LEDTokenizer", "MvpTokenizer", "LayoutLMv3Tokenizer"};
const char* const kSentencePieceFiles[] = {"tokenizer.model", "spiece.model", "sentencepiece.bpe.model"};

}  // namespace
}  // namespace legacy

LegacyConversion convert_legacy_tokenizer(const fs::path& folder, const std::string& config_text) {
  using namespace legacy;
  Context ctx;
  ctx.folder = folder;
  ctx.config = parse_json(config_text, "tokenizer_config.json");
  TFM_CHECK(ctx.config.is_object(), "[tokenizers] tokenizer_config.json: expected a JSON object");
  if (ctx.config.contains("tokenizer_class") && ctx.config["tokenizer_class"].is_string()) {
    ctx.tokenizer_class = ctx.config["tokenizer_class"].get<std::string>();
    if (ctx.tokenizer_class.size() > 4 && ctx.tokenizer_class.ends_with("Fast"))
      ctx.tokenizer_class.resize(ctx.tokenizer_class.size() - 4);
  }
  // tokenizer_config.json first; special_tokens_map.json over it only when the config predates
  // added_tokens_decoder, its additional_special_tokens joining the config's (transformers'
  // _from_pretrained; AutoTokenizer::from_pretrained applies the same rule).
  auto take = [&](const json& j) {
    for (const char* k : SpecialTokens::kAttributes)
      if (j.contains(k)) ctx.special[k] = j[k];
    if (j.contains("additional_special_tokens") && j["additional_special_tokens"].is_array())
      for (const json& token : j["additional_special_tokens"])
        if (std::find(ctx.additional_special_tokens.begin(), ctx.additional_special_tokens.end(), token) ==
            ctx.additional_special_tokens.end())
          ctx.additional_special_tokens.push_back(token);
  };
  take(ctx.config);
  if (!ctx.config.contains("added_tokens_decoder") && fs::exists(folder / "special_tokens_map.json"))
    take(parse_json(io::read_text_file(folder / "special_tokens_map.json"), "special_tokens_map.json"));

  std::optional<fs::path> spm;
  for (const char* f : kSentencePieceFiles)
    if (!spm && fs::exists(folder / f)) spm = folder / f;
  bool has_vocab_txt = fs::exists(folder / "vocab.txt");
  bool has_bpe = fs::exists(folder / "vocab.json") && fs::exists(folder / "merges.txt");
  const std::string& k = ctx.tokenizer_class;
  json tj;
  auto need = [&](bool present, const char* files) {
    TFM_CHECK(present, "[tokenizers] ", folder.string(), ": tokenizer_class ", k, " needs ", files,
              " (and there is no tokenizer.json)");
  };
  if (kBertClasses.count(k)) {
    need(has_vocab_txt, "vocab.txt");
    tj = convert_bert(ctx);
  } else if (kGpt2Classes.count(k) || kRobertaClasses.count(k)) {
    need(has_bpe, "vocab.json and merges.txt");
    tj = convert_byte_level_bpe(ctx, kRobertaClasses.count(k) > 0);
  } else if (spm) {
    tj = convert_sentencepiece(ctx, *spm);
  } else if (has_bpe) {
    if (k.empty()) ctx.tokenizer_class = "GPT2Tokenizer";
    tj = convert_byte_level_bpe(ctx, false);
  } else if (has_vocab_txt) {
    if (k.empty()) ctx.tokenizer_class = "BertTokenizer";
    tj = convert_bert(ctx);
  } else {
    throw Error(detail::concat("[tokenizers] ", folder.string(),
                               ": no tokenizer.json and no legacy files (vocab.txt, vocab.json + merges.txt, "
                               "tokenizer.model, spiece.model, sentencepiece.bpe.model)"));
  }
  LegacyConversion out;
  out.tokenizer_json = tj.dump();
  out.tokenizer_class = ctx.tokenizer_class;
  for (const char* key : SpecialTokens::kAttributes)
    if (auto t = ctx.token(key)) out.special_tokens[key] = *t;
  for (const json& t : ctx.additional_special_tokens) out.additional_special_tokens.push_back(content_of(t));
  out.clean_up_tokenization_spaces = ctx.clean_up_default;
  return out;
}

bool has_legacy_tokenizer_files(const fs::path& folder) {
  for (const char* f : legacy::kSentencePieceFiles)
    if (fs::exists(folder / f)) return true;
  return fs::exists(folder / "vocab.txt") || (fs::exists(folder / "vocab.json") && fs::exists(folder / "merges.txt"));
}

}  // namespace transformers::tok
