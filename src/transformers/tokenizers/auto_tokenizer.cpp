#include "transformers/tokenizers/auto_tokenizer.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "transformers/core/error.h"
#include "transformers/io/file_util.h"

namespace transformers::tok {

namespace fs = std::filesystem;

std::string clean_up_tokenization(std::string s) {
  static const std::pair<const char*, const char*> kRules[] = {
      {" .", "."}, {" ?", "?"}, {" !", "!"}, {" ,", ","}, {" ' ", "'"},
      {" n't", "n't"}, {" 'm", "'m"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"}};
  for (auto [from, to] : kRules) {
    std::string f(from), t(to);
    size_t pos = 0;
    while ((pos = s.find(f, pos)) != std::string::npos) {
      s.replace(pos, f.size(), t);
      pos += t.size();
    }
  }
  return s;
}

namespace {

// A special token given as a string or as an AddedToken object ({"content": ...}).
std::optional<std::string> token_string(const nlohmann::json& j, const std::string& key, const std::string& file) {
  if (!j.contains(key) || j[key].is_null()) return std::nullopt;
  const auto& v = j[key];
  if (v.is_string()) return v.get<std::string>();
  if (v.is_object() && v.contains("content") && v["content"].is_string()) return v["content"].get<std::string>();
  throw Error(detail::concat("[tokenizers] ", file, ": ", key, ": expected a string or {\"content\": ...}"));
}

// One file's special tokens over `t`: each attribute the file sets (a null leaves it as it is),
// and its additional_special_tokens in place of t's.
void read_special_tokens(SpecialTokens& t, const nlohmann::json& j, const std::string& file) {
  for (const char* key : SpecialTokens::kAttributes)
    if (auto v = token_string(j, key, file)) *t.attribute(key) = v;
  if (j.contains("additional_special_tokens") && j["additional_special_tokens"].is_array()) {
    t.additional_special_tokens.clear();
    for (auto& v : j["additional_special_tokens"]) {
      if (v.is_string()) t.additional_special_tokens.push_back(v.get<std::string>());
      else if (v.is_object() && v.contains("content"))
        t.additional_special_tokens.push_back(v["content"].get<std::string>());
    }
  }
}

// The special tokens a Hugging Face fast tokenizer class sets in __init__ when the folder leaves
// them unset (the signatures of tokenization_<model>_fast.py). Folders with tokenizer.json but a
// bare tokenizer_config.json rely on them: bert-base-uncased's is {"do_lower_case": true}.
std::vector<std::pair<const char*, const char*>> fast_class_special_token_defaults(std::string cls) {
  if (cls.ends_with("Fast")) cls.resize(cls.size() - 4);
  static const std::set<std::string> bert = {"BertTokenizer",      "DistilBertTokenizer", "ElectraTokenizer",
                                             "ConvBertTokenizer",  "MobileBertTokenizer", "SqueezeBertTokenizer",
                                             "LayoutLMTokenizer",  "LxmertTokenizer"};
  static const std::set<std::string> roberta = {"RobertaTokenizer", "XLMRobertaTokenizer", "CamembertTokenizer",
                                                "BartTokenizer",    "LongformerTokenizer", "LEDTokenizer"};
  if (bert.count(cls))
    return {{"unk_token", "[UNK]"}, {"sep_token", "[SEP]"}, {"pad_token", "[PAD]"}, {"cls_token", "[CLS]"},
            {"mask_token", "[MASK]"}};
  if (roberta.count(cls))
    return {{"bos_token", "<s>"}, {"eos_token", "</s>"}, {"sep_token", "</s>"}, {"cls_token", "<s>"},
            {"unk_token", "<unk>"}, {"pad_token", "<pad>"}, {"mask_token", "<mask>"}};
  if (cls == "GPT2Tokenizer" || cls == "GPTNeoXTokenizer" || cls == "CodeGenTokenizer")
    return {{"unk_token", "<|endoftext|>"}, {"bos_token", "<|endoftext|>"}, {"eos_token", "<|endoftext|>"}};
  if (cls == "LlamaTokenizer" || cls == "CodeLlamaTokenizer")
    return {{"unk_token", "<unk>"}, {"bos_token", "<s>"}, {"eos_token", "</s>"}};
  if (cls == "GemmaTokenizer")
    return {{"unk_token", "<unk>"}, {"bos_token", "<bos>"}, {"eos_token", "<eos>"}, {"pad_token", "<pad>"}};
  if (cls == "Qwen2Tokenizer")
    return {{"unk_token", "<|endoftext|>"}, {"eos_token", "<|endoftext|>"}, {"pad_token", "<|endoftext|>"}};
  if (cls == "T5Tokenizer") return {{"eos_token", "</s>"}, {"unk_token", "<unk>"}, {"pad_token", "<pad>"}};
  return {};
}

// AutoTokenizer's class for a folder whose tokenizer_config.json names none: config.json's
// model_type through TOKENIZER_MAPPING_NAMES (the types whose classes have defaults above).
std::string tokenizer_class_for_model_type(const fs::path& folder) {
  if (!fs::is_regular_file(folder / "config.json")) return "";
  nlohmann::json config =
      nlohmann::json::parse(io::read_text_file(folder / "config.json"), nullptr, /*allow_exceptions=*/false);
  if (!config.is_object() || !config.contains("model_type") || !config["model_type"].is_string()) return "";
  static const std::map<std::string, std::string> by_type = {
      {"bert", "BertTokenizer"},         {"distilbert", "DistilBertTokenizer"},   {"electra", "ElectraTokenizer"},
      {"roberta", "RobertaTokenizer"},   {"xlm-roberta", "XLMRobertaTokenizer"},  {"camembert", "CamembertTokenizer"},
      {"bart", "BartTokenizer"},         {"longformer", "LongformerTokenizer"},   {"gpt2", "GPT2Tokenizer"},
      {"gpt_neox", "GPTNeoXTokenizer"},  {"llama", "LlamaTokenizer"},           {"mistral", "LlamaTokenizer"},
      {"phi3", "LlamaTokenizer"},        {"gemma", "GemmaTokenizer"},             {"gemma2", "GemmaTokenizer"},
      {"qwen2", "Qwen2Tokenizer"},       {"t5", "T5Tokenizer"}};
  auto it = by_type.find(config["model_type"].get<std::string>());
  return it == by_type.end() ? "" : it->second;
}

nlohmann::json parse_object(const std::string& text, const char* file) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const std::exception& e) {
    throw Error(detail::concat("[tokenizers] ", file, ": invalid JSON (", e.what(), ")"));
  }
  TFM_CHECK(j.is_object(), "[tokenizers] ", file, ": expected a JSON object");
  return j;
}

// tokenizer_config.json as read ("{}" when the folder has none) and parsed.
struct TokenizerConfigFile {
  std::string text = "{}";
  nlohmann::json json;
};

TokenizerConfigFile read_tokenizer_config(const fs::path& folder) {
  TFM_CHECK(fs::is_directory(folder), "[tokenizers] ", folder.string(), " is not a directory");
  TokenizerConfigFile config;
  if (fs::exists(folder / "tokenizer_config.json"))
    config.text = io::read_text_file(folder / "tokenizer_config.json");
  config.json = parse_object(config.text, "tokenizer_config.json");
  return config;
}

// load_special_tokens' rule (see auto_tokenizer.h); `legacy` is the conversion of the folder's
// legacy files, null when the folder has tokenizer.json (or nothing to convert).
SpecialTokens resolve_special_tokens(const fs::path& folder, const nlohmann::json& config,
                                     const LegacyConversion* legacy) {
  SpecialTokens t;
  read_special_tokens(t, config, "tokenizer_config.json");
  // transformers' _from_pretrained: a tokenizer_config.json with added_tokens_decoder (saved by
  // 4.34 and later) is the whole story; an older one is overridden key by key by
  // special_tokens_map.json, whose additional_special_tokens join the config's.
  if (!config.contains("added_tokens_decoder") && fs::exists(folder / "special_tokens_map.json")) {
    nlohmann::json m =
        parse_object(io::read_text_file(folder / "special_tokens_map.json"), "special_tokens_map.json");
    std::vector<std::string> additional = t.additional_special_tokens;
    read_special_tokens(t, m, "special_tokens_map.json");
    for (const std::string& token : t.additional_special_tokens)
      if (std::find(additional.begin(), additional.end(), token) == additional.end()) additional.push_back(token);
    t.additional_special_tokens = std::move(additional);
  }
  if (legacy) {
    // The slow class's defaults for what the files leave unset (e.g. BERT's "[CLS]").
    for (const auto& [key, value] : legacy->special_tokens)
      if (std::optional<std::string>* field = t.attribute(key); field && !*field) *field = value;
    if (t.additional_special_tokens.empty()) t.additional_special_tokens = legacy->additional_special_tokens;
  } else {
    // The fast class's defaults for what the files leave unset.
    std::string cls = config.contains("tokenizer_class") && config["tokenizer_class"].is_string()
                          ? config["tokenizer_class"].get<std::string>()
                          : tokenizer_class_for_model_type(folder);
    for (const auto& [key, value] : fast_class_special_token_defaults(cls)) {
      std::optional<std::string>* field = t.attribute(key);
      if (!*field && !config.contains(key)) *field = value;  // an explicit null stays unset, as in HF
    }
  }
  return t;
}

}  // namespace

std::optional<std::string>* SpecialTokens::attribute(std::string_view key) {
  return key == "bos_token"    ? &bos_token
         : key == "eos_token"  ? &eos_token
         : key == "unk_token"  ? &unk_token
         : key == "sep_token"  ? &sep_token
         : key == "pad_token"  ? &pad_token
         : key == "cls_token"  ? &cls_token
         : key == "mask_token" ? &mask_token
                               : nullptr;
}

const std::optional<std::string>* SpecialTokens::attribute(std::string_view key) const {
  return const_cast<SpecialTokens*>(this)->attribute(key);
}

SpecialTokens load_special_tokens(const fs::path& folder) {
  TokenizerConfigFile config = read_tokenizer_config(folder);
  std::optional<LegacyConversion> legacy;
  if (!fs::exists(folder / "tokenizer.json") && has_legacy_tokenizer_files(folder))
    legacy = convert_legacy_tokenizer(folder, config.text);
  return resolve_special_tokens(folder, config.json, legacy ? &*legacy : nullptr);
}

PreTrainedTokenizer AutoTokenizer::from_pretrained(const fs::path& folder) {
  TokenizerConfigFile config_file = read_tokenizer_config(folder);
  const nlohmann::json& config = config_file.json;
  std::optional<LegacyConversion> legacy;
  if (!fs::exists(folder / "tokenizer.json")) legacy = convert_legacy_tokenizer(folder, config_file.text);
  Tokenizer tk = legacy ? Tokenizer::from_json(legacy->tokenizer_json, "converted legacy files")
                        : Tokenizer::from_file(folder / "tokenizer.json");
  PreTrainedTokenizer t(std::move(tk));
  t.config_json = config_file.text;
  static_cast<SpecialTokens&>(t) = resolve_special_tokens(folder, config, legacy ? &*legacy : nullptr);
  if (legacy) t.tokenizer_class = legacy->tokenizer_class;
  auto get_bool = [&](const char* k) -> std::optional<bool> {
    if (!config.contains(k) || config[k].is_null()) return std::nullopt;
    TFM_CHECK(config[k].is_boolean(), "[tokenizers] tokenizer_config.json: ", k, ": expected a boolean");
    return config[k].get<bool>();
  };
  t.add_bos_token = get_bool("add_bos_token");
  t.add_eos_token = get_bool("add_eos_token");
  t.clean_up_tokenization_spaces = get_bool("clean_up_tokenization_spaces")
                                       .value_or(legacy && legacy->clean_up_tokenization_spaces.value_or(false));
  if (config.contains("model_max_length") && config["model_max_length"].is_number()) {
    double v = config["model_max_length"].get<double>();
    if (v > 0 && v < 1e18) t.model_max_length = static_cast<size_t>(v);
  }
  if (config.contains("padding_side") && config["padding_side"].is_string())
    t.padding_side = config["padding_side"].get<std::string>();
  if (config.contains("truncation_side") && config["truncation_side"].is_string())
    t.truncation_side = config["truncation_side"].get<std::string>();
  if (config.contains("tokenizer_class") && config["tokenizer_class"].is_string())
    t.tokenizer_class = config["tokenizer_class"].get<std::string>();
  if (config.contains("chat_template")) {
    const auto& ct = config["chat_template"];
    if (ct.is_string()) {
      t.chat_templates["default"] = ct.get<std::string>();
    } else if (ct.is_array()) {
      for (auto& e : ct)
        if (e.contains("name") && e.contains("template"))
          t.chat_templates[e["name"].get<std::string>()] = e["template"].get<std::string>();
    }
  }
  // As HF: a chat_template.jinja file replaces the config's (default) template.
  if (fs::exists(folder / "chat_template.jinja"))
    t.chat_templates["default"] = io::read_text_file(folder / "chat_template.jinja");
  return t;
}

std::optional<std::string> PreTrainedTokenizer::chat_template() const {
  auto it = chat_templates.find("default");
  if (it == chat_templates.end()) return std::nullopt;
  return it->second;
}

EncodeSettings PreTrainedTokenizer::settings_for(const EncodeOptions& o) const {
  EncodeSettings s;
  size_t max_len = o.max_length.value_or(model_max_length);
  if (o.truncation) {
    TruncationParams tp;
    tp.max_length = max_len;
    tp.strategy = o.truncation_strategy;
    tp.stride = o.stride;
    tp.direction = o.truncation_side.value_or(truncation_side) == "left" ? Direction::Left : Direction::Right;
    s.truncation = tp;
  }
  if (o.padding != EncodeOptions::Padding::None) {
    PaddingParams pp;
    pp.strategy = o.padding == EncodeOptions::Padding::Longest ? PaddingParams::Strategy::BatchLongest
                                                               : PaddingParams::Strategy::Fixed;
    pp.length = max_len;
    pp.pad_to_multiple_of = o.pad_to_multiple_of;
    pp.direction = o.padding_side.value_or(padding_side) == "left" ? Direction::Left : Direction::Right;
    TFM_CHECK(pad_token, "[tokenizers] padding needs a pad_token (none in tokenizer_config.json)");
    pp.pad_token = *pad_token;
    auto id = tokenizer_.token_to_id(*pad_token);
    TFM_CHECK(id, "[tokenizers] pad_token '", *pad_token, "' is not in the vocabulary");
    pp.pad_id = *id;
    s.padding = std::move(pp);
  }
  return s;
}

namespace {
BatchEncoding to_batch(std::vector<Encoding> encs, bool overflowing) {
  BatchEncoding out;
  auto push = [&](const Encoding& e, int32_t sample) {
    out.input_ids.push_back(e.ids);
    out.attention_mask.push_back(e.attention_mask);
    out.token_type_ids.push_back(e.type_ids);
    out.offset_mapping.push_back(e.offsets);
    out.special_tokens_mask.push_back(e.special_tokens_mask);
    if (overflowing) out.overflow_to_sample_mapping.push_back(sample);
  };
  for (size_t i = 0; i < encs.size(); ++i) {
    push(encs[i], static_cast<int32_t>(i));
    if (overflowing)
      for (auto& ov : encs[i].overflowing) push(ov, static_cast<int32_t>(i));
  }
  out.encodings = std::move(encs);
  return out;
}
}  // namespace

// Truncation and padding are this call's settings, passed down to the shared tokenizer: nothing
// is re-parsed or copied (see EncodeSettings in tokenizer.h). As in transformers, tokenizer.json's
// own "truncation" / "padding" do not apply to these calls (its set_truncation_and_padding turns
// them off unless the call asks for them).
BatchEncoding PreTrainedTokenizer::encode(const std::string& text, const EncodeOptions& o) const {
  std::vector<Encoding> encs;
  encs.push_back(tokenizer_.encode(text, o.add_special_tokens, settings_for(o)));
  return to_batch(std::move(encs), o.return_overflowing_tokens);
}

BatchEncoding PreTrainedTokenizer::encode(const std::string& text, const std::string& pair,
                                          const EncodeOptions& o) const {
  std::vector<Encoding> encs;
  encs.push_back(tokenizer_.encode_pair(text, pair, o.add_special_tokens, settings_for(o)));
  return to_batch(std::move(encs), o.return_overflowing_tokens);
}

BatchEncoding PreTrainedTokenizer::encode_batch(const std::vector<std::string>& texts, const EncodeOptions& o) const {
  return to_batch(tokenizer_.encode_batch(texts, o.add_special_tokens, o.num_threads, settings_for(o)),
                  o.return_overflowing_tokens);
}

BatchEncoding PreTrainedTokenizer::encode_batch(const std::vector<std::pair<std::string, std::string>>& pairs,
                                                const EncodeOptions& o) const {
  return to_batch(tokenizer_.encode_batch_pairs(pairs, o.add_special_tokens, o.num_threads, settings_for(o)),
                  o.return_overflowing_tokens);
}

std::vector<int32_t> PreTrainedTokenizer::encode_ids(const std::string& text, bool add_special_tokens) const {
  // As transformers' fast tokenizers: no truncation or padding unless asked for, whatever
  // tokenizer.json's own "truncation" / "padding" say.
  return tokenizer_.encode(text, add_special_tokens, EncodeSettings{}).ids;
}

std::vector<std::string> PreTrainedTokenizer::tokenize(const std::string& text) const {
  return tokenizer_.encode(text, false, EncodeSettings{}).tokens;
}

std::string PreTrainedTokenizer::decode(const std::vector<int32_t>& ids, bool skip_special_tokens,
                                        std::optional<bool> clean_up) const {
  std::string s = tokenizer_.decode(ids, skip_special_tokens);
  if (clean_up.value_or(clean_up_tokenization_spaces)) s = clean_up_tokenization(std::move(s));
  return s;
}

std::vector<std::string> PreTrainedTokenizer::batch_decode(const std::vector<std::vector<int32_t>>& ids,
                                                           bool skip_special_tokens,
                                                           std::optional<bool> clean_up) const {
  std::vector<std::string> out;
  for (auto& v : ids) out.push_back(decode(v, skip_special_tokens, clean_up));
  return out;
}

std::optional<int32_t> PreTrainedTokenizer::convert_token_to_id(const std::string& token) const {
  return tokenizer_.token_to_id(token);
}

std::vector<int32_t> PreTrainedTokenizer::convert_tokens_to_ids(const std::vector<std::string>& tokens) const {
  std::vector<int32_t> out;
  auto unk = unk_token_id();
  for (auto& t : tokens) {
    auto id = tokenizer_.token_to_id(t);
    out.push_back(id ? *id : unk.value_or(-1));
  }
  return out;
}

std::vector<std::string> PreTrainedTokenizer::convert_ids_to_tokens(const std::vector<int32_t>& ids) const {
  std::vector<std::string> out;
  for (int32_t id : ids) out.push_back(tokenizer_.id_to_token(id).value_or(""));
  return out;
}

size_t PreTrainedTokenizer::add_tokens(const std::vector<std::string>& tokens, bool special_tokens) {
  std::vector<AddedToken> v;
  for (auto& s : tokens) v.push_back(AddedToken{s, false, false, false, !special_tokens, special_tokens});
  return tokenizer_.add_tokens(v);
}

size_t PreTrainedTokenizer::add_special_tokens(const std::map<std::string, std::vector<std::string>>& tokens) {
  size_t n = 0;
  for (auto& [key, values] : tokens) {
    n += add_tokens(values, true);
    if (values.empty()) continue;
    if (key == "additional_special_tokens")
      additional_special_tokens.insert(additional_special_tokens.end(), values.begin(), values.end());
    else if (std::optional<std::string>* field = attribute(key)) *field = values[0];
    else throw Error(detail::concat("[tokenizers] add_special_tokens: unknown key '", key, "'"));
  }
  return n;
}

std::vector<std::string> PreTrainedTokenizer::all_special_tokens() const {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const char* key : kAttributes)
    if (const std::optional<std::string>& t = *attribute(key); t && seen.insert(*t).second) out.push_back(*t);
  for (auto& t : additional_special_tokens)
    if (seen.insert(t).second) out.push_back(t);
  return out;
}

std::vector<int32_t> PreTrainedTokenizer::all_special_ids() const {
  std::vector<int32_t> out;
  for (auto& t : all_special_tokens())
    if (auto id = tokenizer_.token_to_id(t)) out.push_back(*id);
  return out;
}

void PreTrainedTokenizer::save_pretrained(const fs::path& dir) const {
  fs::create_directories(dir);
  tokenizer_.save(dir / "tokenizer.json");
  nlohmann::json config = nlohmann::json::parse(config_json);
  nlohmann::json special = nlohmann::json::object();
  auto put = [&](const char* key, const std::optional<std::string>& v) {
    if (v) {
      config[key] = *v;
      special[key] = *v;
    }
  };
  for (const char* key : kAttributes) put(key, *attribute(key));
  if (!additional_special_tokens.empty()) {
    config["additional_special_tokens"] = additional_special_tokens;
    special["additional_special_tokens"] = additional_special_tokens;
  }
  config["model_max_length"] = model_max_length;
  config["padding_side"] = padding_side;
  config["truncation_side"] = truncation_side;
  config["clean_up_tokenization_spaces"] = clean_up_tokenization_spaces;
  if (auto ct = chat_template()) config["chat_template"] = *ct;
  std::ofstream(dir / "tokenizer_config.json") << config.dump(2);
  std::ofstream(dir / "special_tokens_map.json") << special.dump(2);
}

}  // namespace transformers::tok
