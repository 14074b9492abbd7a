#pragma once
// Tokenizer: the tokenizer.json pipeline (Hugging Face `tokenizers.Tokenizer`).
//   added tokens → normalizer → pre-tokenizer → model → post-processor; decoder for the way back.
// Thread-safe for concurrent encode/decode; add_tokens and the set_* calls are not.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "transformers/tokenizers/encoding.h"

namespace transformers::tok {

struct AddedToken {
  std::string content;
  bool single_word = false;
  bool lstrip = false;
  bool rstrip = false;
  bool normalized = true;
  bool special = false;
};

enum class Direction { Left, Right };

struct TruncationParams {
  enum class Strategy { LongestFirst, OnlyFirst, OnlySecond };
  size_t max_length = 512;
  Strategy strategy = Strategy::LongestFirst;
  size_t stride = 0;
  Direction direction = Direction::Right;
};

struct PaddingParams {
  enum class Strategy { BatchLongest, Fixed };
  Strategy strategy = Strategy::BatchLongest;
  size_t length = 0;  // for Fixed
  size_t pad_to_multiple_of = 0;
  Direction direction = Direction::Right;
  int32_t pad_id = 0;
  int32_t pad_type_id = 0;
  std::string pad_token = "[PAD]";
};

// Truncation and padding for one call, used instead of the tokenizer's own settings
// (set_truncation / set_padding), which stay untouched: calls with different settings can run
// concurrently on one shared tokenizer, and nothing is re-parsed or copied.
struct EncodeSettings {
  std::optional<TruncationParams> truncation;
  std::optional<PaddingParams> padding;
};

class Tokenizer {
 public:
  // Loads a tokenizer.json file. Errors name the file and the bad field.
  static Tokenizer from_file(const std::filesystem::path& path);
  // Parses tokenizer.json text; `name` prefixes error messages.
  static Tokenizer from_json(std::string_view json, const std::string& name = "tokenizer.json");

  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(Tokenizer&&) noexcept;
  ~Tokenizer();

  // Invalid UTF-8 in the input is replaced by U+FFFD first (offsets refer to the repaired text).
  Encoding encode(std::string_view text, bool add_special_tokens = true) const;
  Encoding encode_pair(std::string_view text, std::string_view pair, bool add_special_tokens = true) const;
  // Encodes in parallel (num_threads 0 = hardware threads); padding applies across the batch.
  std::vector<Encoding> encode_batch(const std::vector<std::string>& texts, bool add_special_tokens = true,
                                     int num_threads = 0) const;
  std::vector<Encoding> encode_batch_pairs(const std::vector<std::pair<std::string, std::string>>& pairs,
                                           bool add_special_tokens = true, int num_threads = 0) const;
  // The same with this call's truncation and padding (see EncodeSettings).
  Encoding encode(std::string_view text, bool add_special_tokens, const EncodeSettings& settings) const;
  Encoding encode_pair(std::string_view text, std::string_view pair, bool add_special_tokens,
                       const EncodeSettings& settings) const;
  std::vector<Encoding> encode_batch(const std::vector<std::string>& texts, bool add_special_tokens, int num_threads,
                                     const EncodeSettings& settings) const;
  std::vector<Encoding> encode_batch_pairs(const std::vector<std::pair<std::string, std::string>>& pairs,
                                           bool add_special_tokens, int num_threads,
                                           const EncodeSettings& settings) const;

  std::string decode(const std::vector<int32_t>& ids, bool skip_special_tokens = false) const;
  std::vector<std::string> decode_batch(const std::vector<std::vector<int32_t>>& ids,
                                        bool skip_special_tokens = false) const;

  std::optional<int32_t> token_to_id(std::string_view token) const;
  std::optional<std::string> id_to_token(int32_t id) const;
  // Model vocabulary plus added tokens not in it (HF get_vocab_size(with_added_tokens)).
  size_t vocab_size(bool with_added_tokens = true) const;
  // Adds tokens (new ids after the current vocabulary); returns how many were new.
  size_t add_tokens(const std::vector<AddedToken>& tokens);
  size_t add_special_tokens(const std::vector<std::string>& tokens);
  std::vector<std::pair<int32_t, AddedToken>> added_tokens() const;
  bool is_special_token(std::string_view content) const;
  // Encode special tokens' text as ordinary text (HF `encode_special_tokens`).
  void set_encode_special_tokens(bool v);

  void set_truncation(std::optional<TruncationParams> t);
  void set_padding(std::optional<PaddingParams> p);
  const std::optional<TruncationParams>& truncation() const;
  const std::optional<PaddingParams>& padding() const;
  size_t num_special_tokens_to_add(bool is_pair) const;

  // tokenizer.json text that loads back into an identical tokenizer.
  std::string to_json() const;
  void save(const std::filesystem::path& path) const;

 private:
  Tokenizer();
  // from_json taking ownership of the text (kept for to_json) without copying it.
  static Tokenizer from_owned_json(std::string&& json, const std::string& name);
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Truncation and padding as Hugging Face applies them (exposed for the API layer and tests).
void truncate_encoding(Encoding& e, size_t max_length, size_t stride, Direction direction);
void pad_encoding(Encoding& e, size_t length, const PaddingParams& p);

}  // namespace transformers::tok
