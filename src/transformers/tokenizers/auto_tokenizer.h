#pragma once
// The Hugging Face-shaped tokenizer API: AutoTokenizer::from_pretrained(folder) gives a
// PreTrainedTokenizer — the tokenizer.json pipeline plus tokenizer_config.json (special tokens,
// model_max_length, padding side, clean-up, chat template).
#include <array>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "transformers/tokenizers/tokenizer.h"

namespace transformers::tok {

// Options of encode / encode_batch (HF __call__ keywords).
struct EncodeOptions {
  bool add_special_tokens = true;
  enum class Padding { None, Longest, MaxLength } padding = Padding::None;
  bool truncation = false;
  TruncationParams::Strategy truncation_strategy = TruncationParams::Strategy::LongestFirst;
  std::optional<size_t> max_length;  // default: model_max_length
  size_t stride = 0;
  size_t pad_to_multiple_of = 0;
  std::optional<std::string> padding_side;     // "left"/"right"; default from tokenizer_config
  std::optional<std::string> truncation_side;  // default from tokenizer_config
  bool return_overflowing_tokens = false;
  int num_threads = 0;  // encode_batch
};

// HF BatchEncoding: one row per input (plus overflow rows when requested).
struct BatchEncoding {
  std::vector<std::vector<int32_t>> input_ids;
  std::vector<std::vector<int32_t>> attention_mask;
  std::vector<std::vector<int32_t>> token_type_ids;
  std::vector<std::vector<std::pair<size_t, size_t>>> offset_mapping;
  std::vector<std::vector<int32_t>> special_tokens_mask;
  std::vector<int32_t> overflow_to_sample_mapping;  // filled when return_overflowing_tokens
  std::vector<Encoding> encodings;
};

// A tokenizer's special tokens: the attributes of transformers' SpecialTokensMixin.
struct SpecialTokens {
  // transformers' SPECIAL_TOKENS_ATTRIBUTES in its order (all_special_tokens follows it), less
  // additional_special_tokens.
  static constexpr std::array<const char*, 7> kAttributes = {
      "bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"};

  std::optional<std::string> bos_token, eos_token, unk_token, sep_token, pad_token, cls_token, mask_token;
  std::vector<std::string> additional_special_tokens;

  // The attribute named `key` (one of kAttributes); nullptr for any other name.
  std::optional<std::string>* attribute(std::string_view key);
  const std::optional<std::string>* attribute(std::string_view key) const;
};

// A model folder's special tokens exactly as AutoTokenizer::from_pretrained resolves them:
// tokenizer_config.json; special_tokens_map.json over it, key by key, when the config has no
// added_tokens_decoder (its additional_special_tokens joining the config's); then, for what the
// files leave unset, the tokenizer class's defaults: the slow class's when legacy files are
// converted (no tokenizer.json), else the fast class's (tokenizer_config.json's tokenizer_class,
// else config.json's model_type). A null in tokenizer_config.json stays unset, as in transformers.
// A folder with neither tokenizer.json nor legacy files (a bare tokenizer_config.json) takes the
// fast class's defaults.
SpecialTokens load_special_tokens(const std::filesystem::path& folder);

class PreTrainedTokenizer : public SpecialTokens {
 public:
  explicit PreTrainedTokenizer(Tokenizer tokenizer) : tokenizer_(std::move(tokenizer)) {}

  BatchEncoding encode(const std::string& text, const EncodeOptions& options = {}) const;
  BatchEncoding encode(const std::string& text, const std::string& text_pair, const EncodeOptions& options = {}) const;
  BatchEncoding encode_batch(const std::vector<std::string>& texts, const EncodeOptions& options = {}) const;
  BatchEncoding encode_batch(const std::vector<std::pair<std::string, std::string>>& pairs,
                             const EncodeOptions& options = {}) const;
  // Token ids only (HF tokenizer.encode).
  std::vector<int32_t> encode_ids(const std::string& text, bool add_special_tokens = true) const;
  std::vector<std::string> tokenize(const std::string& text) const;

  // clean_up_tokenization_spaces: nullopt = the tokenizer_config value.
  std::string decode(const std::vector<int32_t>& ids, bool skip_special_tokens = false,
                     std::optional<bool> clean_up_tokenization_spaces = std::nullopt) const;
  std::vector<std::string> batch_decode(const std::vector<std::vector<int32_t>>& ids, bool skip_special_tokens = false,
                                        std::optional<bool> clean_up_tokenization_spaces = std::nullopt) const;

  std::vector<int32_t> convert_tokens_to_ids(const std::vector<std::string>& tokens) const;
  std::optional<int32_t> convert_token_to_id(const std::string& token) const;
  std::vector<std::string> convert_ids_to_tokens(const std::vector<int32_t>& ids) const;
  size_t add_tokens(const std::vector<std::string>& tokens, bool special_tokens = false);
  size_t add_tokens(const std::vector<AddedToken>& tokens) { return tokenizer_.add_tokens(tokens); }
  // Keys "bos_token", "eos_token", ... or "additional_special_tokens" (several values).
  size_t add_special_tokens(const std::map<std::string, std::vector<std::string>>& tokens);
  // Writes tokenizer.json and tokenizer_config.json (+ special_tokens_map.json) into `dir`.
  void save_pretrained(const std::filesystem::path& dir) const;

  size_t vocab_size() const { return tokenizer_.vocab_size(false); }
  size_t size() const { return tokenizer_.vocab_size(true); }  // len(tokenizer)

  // The special tokens (bos_token ... additional_special_tokens) are SpecialTokens' members,
  // resolved as load_special_tokens does.
  std::optional<int32_t> bos_token_id() const { return id_of(bos_token); }
  std::optional<int32_t> eos_token_id() const { return id_of(eos_token); }
  std::optional<int32_t> unk_token_id() const { return id_of(unk_token); }
  std::optional<int32_t> sep_token_id() const { return id_of(sep_token); }
  std::optional<int32_t> pad_token_id() const { return id_of(pad_token); }
  std::optional<int32_t> cls_token_id() const { return id_of(cls_token); }
  std::optional<int32_t> mask_token_id() const { return id_of(mask_token); }
  std::vector<std::string> all_special_tokens() const;
  std::vector<int32_t> all_special_ids() const;

  std::optional<bool> add_bos_token, add_eos_token;  // as configured (see docs/tokenizers.md)
  size_t model_max_length = static_cast<size_t>(1) << 40;  // HF's "very large" default
  std::string padding_side = "right";
  std::string truncation_side = "right";
  bool clean_up_tokenization_spaces = false;
  std::string tokenizer_class;
  // The Jinja chat template(s): "default" for a plain string, else by name.
  std::map<std::string, std::string> chat_templates;
  std::optional<std::string> chat_template() const;  // the default one
  std::string config_json = "{}";                      // tokenizer_config.json as read

  const Tokenizer& tokenizer() const { return tokenizer_; }
  Tokenizer& tokenizer() { return tokenizer_; }

 private:
  std::optional<int32_t> id_of(const std::optional<std::string>& t) const {
    return t ? tokenizer_.token_to_id(*t) : std::nullopt;
  }
  // This call's truncation and padding from `o` and tokenizer_config.json's defaults.
  EncodeSettings settings_for(const EncodeOptions& o) const;
  Tokenizer tokenizer_;
};

class AutoTokenizer {
 public:
  // `folder` holds tokenizer.json (or legacy files) and optionally tokenizer_config.json.
  static PreTrainedTokenizer from_pretrained(const std::filesystem::path& folder);
};

// transformers' clean_up_tokenization (" ." → "." etc.).
std::string clean_up_tokenization(std::string s);

// Legacy ("slow") files converted as transformers does for a folder without tokenizer.json
// (convert_slow_tokenizer.py, then PreTrainedTokenizerFast's added/special tokens): vocab.txt
// (BERT family), vocab.json + merges.txt (GPT-2, RoBERTa families), sentencepiece tokenizer.model /
// spiece.model / sentencepiece.bpe.model (Llama-style BPE, ALBERT, T5, XLM-R, other Unigram).
struct LegacyConversion {
  std::string tokenizer_json;   // what the converter would save as tokenizer.json
  std::string tokenizer_class;  // the slow class that chose the converter, e.g. "BertTokenizer"
  // Special tokens as the slow class resolves them (files, then the class defaults).
  std::map<std::string, std::string> special_tokens;  // "bos_token" ... "mask_token"
  std::vector<std::string> additional_special_tokens;
  // The slow class's default when tokenizer_config.json does not say (BertTokenizer: true).
  std::optional<bool> clean_up_tokenization_spaces;
};
// `config` is tokenizer_config.json's text ("{}" when absent). Throws when the folder has none.
LegacyConversion convert_legacy_tokenizer(const std::filesystem::path& folder, const std::string& config);
// Whether `folder` holds files convert_legacy_tokenizer reads (vocab.txt, vocab.json + merges.txt,
// or a sentencepiece model).
bool has_legacy_tokenizer_files(const std::filesystem::path& folder);

}  // namespace transformers::tok
