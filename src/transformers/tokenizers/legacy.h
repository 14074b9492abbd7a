#pragma once
// Internal to the legacy ("slow") file converters: legacy.cpp (vocab.txt, vocab.json + merges.txt)
// and legacy_sentencepiece.cpp (.model). Each converter builds the tokenizer.json that
// transformers' convert_slow_tokenizer.py and PreTrainedTokenizerFast.__init__ would produce.
// Only these two files include this header (it brings in nlohmann-json).
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "transformers/tokenizers/auto_tokenizer.h"

namespace transformers::tok::legacy {

using nlohmann::json;

// The slow tokenizer's settings: tokenizer_config.json with special_tokens_map.json on top (as
// transformers' from_pretrained merges them), and the class defaults for what neither sets.
struct Context {
  std::filesystem::path folder;
  json config = json::object();
  std::string tokenizer_class;  // e.g. "BertTokenizer" ("Fast" removed)
  // Special tokens by attribute (bos_token, ..., mask_token): a string or an AddedToken object.
  std::map<std::string, json> special;
  std::vector<json> additional_special_tokens;
  std::optional<bool> clean_up_default;  // the class's clean_up_tokenization_spaces default

  bool flag(const char* key, bool def) const;
  // Sets `key` to `value` unless the files gave it (also when they gave null: then it stays unset).
  void default_token(const std::string& key, json value);
  std::optional<std::string> token(const std::string& key) const;  // content of a special token
  std::vector<std::string> all_special_tokens() const;
};

// Added tokens as transformers assembles them for a fast tokenizer built from slow files: the
// converter's own, then tokenizer_config.json's added_tokens_decoder, then every special token
// not yet present. A token already present with other flags is updated in place (tokenizers'
// AddedVocabulary::add_tokens); new contents get the next free id.
class AddedTokens {
 public:
  using Lookup = std::function<std::optional<int64_t>(const std::string&)>;
  AddedTokens(Lookup vocab, int64_t vocab_size) : vocab_(std::move(vocab)), vocab_size_(vocab_size) {}
  // `t`: an AddedToken object ({"content", "special", ...}; missing flags take tokenizers' defaults).
  void add(json t);
  std::optional<int64_t> id_of(const std::string& content) const;  // added tokens, then the vocabulary
  json to_json() const;                                               // sorted by id, tokenizer.json form
  // Steps two and three above, from the context.
  void add_from_config(const Context& ctx);

 private:
  Lookup vocab_;
  int64_t vocab_size_;
  std::map<int64_t, json> by_id_;
  std::map<std::string, int64_t> by_content_;
};

// The tokenizer.json skeleton around a model and its pipeline parts (null where absent).
json tokenizer_json(json model, json normalizer, json pre_tokenizer, json post_processor, json decoder,
                    const AddedTokens& added);

// TemplateProcessing in tokenizer.json form from transformers' string templates
// ("[CLS]:0 $A:0 [SEP]:0"); `ids` gives each special token's id.
json template_processing(const std::string& single, const std::string& pair,
                         const std::vector<std::pair<std::string, int64_t>>& ids);

// The converters. Each fills ctx's class defaults and returns the tokenizer.json object.
json convert_sentencepiece(Context& ctx, const std::filesystem::path& model_file);

}  // namespace transformers::tok::legacy
