#pragma once
// PretrainedConfig: the fields every config.json shares, with Hugging Face's defaults, and the
// typed field readers model configs use. Errors name the field: "[config] config.json:
// 'hidden_size' must be an integer, got string".
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "transformers/nn/rotary.h"

namespace transformers::models {

struct PretrainedConfig {
  std::string model_type;
  std::vector<std::string> architectures;
  std::string torch_dtype;  // "" when absent
  bool tie_word_embeddings = true;
  bool is_encoder_decoder = false;
  std::optional<int64_t> bos_token_id, pad_token_id, decoder_start_token_id;
  std::vector<int64_t> eos_token_id;  // HF allows an int or a list
  std::map<int64_t, std::string> id2label;
  std::map<std::string, int64_t> label2id;
  std::optional<std::string> problem_type;
  // The whole config.json, for round-trip saving and for model-specific fields.
  std::shared_ptr<const nlohmann::json> raw_json;

  virtual ~PretrainedConfig() = default;
  // Reads the common fields; `source` names the file in errors.
  void read_common(const nlohmann::json& j, const std::string& source);
};

// Reads config.json as JSON (clear error when it is not), checks it is an object.
nlohmann::json read_config_json(const std::filesystem::path& path);

// Typed field access with Hugging Face defaults: absent or null -> default; wrong type -> Error.
class ConfigReader {
 public:
  ConfigReader(const nlohmann::json& j, std::string source) : j_(j), source_(std::move(source)) {}

  int64_t get_int(const char* key, int64_t fallback) const;
  double get_double(const char* key, double fallback) const;
  bool get_bool(const char* key, bool fallback) const;
  std::string get_string(const char* key, const std::string& fallback) const;
  std::optional<int64_t> get_optional_int(const char* key) const;
  std::optional<double> get_optional_double(const char* key) const;
  bool has(const char* key) const;
  // int or list of ints (eos_token_id)
  std::vector<int64_t> get_int_list(const char* key) const;
  // Throws "[config] <source>: <key> <message>".
  [[noreturn]] void fail(const char* key, const std::string& message) const;
  // Validates `cond` for a field: "hidden_size (30) must be divisible by num_attention_heads (4)".
  void require(bool cond, const char* key, const std::string& message) const {
    if (!cond) fail(key, message);
  }

  // config.rope_theta + config.rope_scaling -> nn::RopeParameters for `dim` rotary dims.
  nn::RopeParameters rope_parameters(int64_t dim, int64_t max_position_embeddings) const;

  const nlohmann::json& json() const { return j_; }
  const std::string& source() const { return source_; }

 private:
  const nlohmann::json& j_;
  std::string source_;
};

}  // namespace transformers::models
