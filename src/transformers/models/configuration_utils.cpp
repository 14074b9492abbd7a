#include "transformers/models/configuration_utils.h"

#include <cmath>

#include <nlohmann/json.hpp>

#include "transformers/core/error.h"
#include "transformers/io/json.h"

namespace transformers::models {

using Json = nlohmann::json;

namespace {
const char* type_name(const Json& v) {
  switch (v.type()) {
    case Json::value_t::null: return "null";
    case Json::value_t::boolean: return "a boolean";
    case Json::value_t::string: return "a string";
    case Json::value_t::array: return "a list";
    case Json::value_t::object: return "an object";
    case Json::value_t::number_float: return "a float";
    default: return "an integer";
  }
}
}  // namespace

Json read_config_json(const std::filesystem::path& path) {
  TFM_CHECK(std::filesystem::exists(path), "[config] ", path.string(), " not found");
  Json j = io::read_json(path);
  TFM_CHECK(j.is_object(), "[config] ", path.string(), ": expected a JSON object, got ", type_name(j));
  return j;
}

void ConfigReader::fail(const char* key, const std::string& message) const {
  throw Error("[config] " + source_ + ": '" + key + "' " + message);
}

bool ConfigReader::has(const char* key) const { return j_.contains(key) && !j_.at(key).is_null(); }

int64_t ConfigReader::get_int(const char* key, int64_t fallback) const {
  if (!has(key)) return fallback;
  const Json& v = j_.at(key);
  if (v.is_number_integer()) return v.get<int64_t>();
  if (v.is_number_float() && v.get<double>() == double(int64_t(v.get<double>()))) return int64_t(v.get<double>());
  fail(key, std::string("must be an integer, got ") + type_name(v));
}

double ConfigReader::get_double(const char* key, double fallback) const {
  if (!has(key)) return fallback;
  const Json& v = j_.at(key);
  if (v.is_number()) return v.get<double>();
  fail(key, std::string("must be a number, got ") + type_name(v));
}

bool ConfigReader::get_bool(const char* key, bool fallback) const {
  if (!has(key)) return fallback;
  const Json& v = j_.at(key);
  if (v.is_boolean()) return v.get<bool>();
  fail(key, std::string("must be true or false, got ") + type_name(v));
}

std::string ConfigReader::get_string(const char* key, const std::string& fallback) const {
  if (!has(key)) return fallback;
  const Json& v = j_.at(key);
  if (v.is_string()) return v.get<std::string>();
  fail(key, std::string("must be a string, got ") + type_name(v));
}

std::optional<int64_t> ConfigReader::get_optional_int(const char* key) const {
  if (!has(key)) return std::nullopt;
  return get_int(key, 0);
}

std::optional<double> ConfigReader::get_optional_double(const char* key) const {
  if (!has(key)) return std::nullopt;
  return get_double(key, 0.0);
}

std::vector<int64_t> ConfigReader::get_int_list(const char* key) const {
  if (!has(key)) return {};
  const Json& v = j_.at(key);
  if (v.is_number_integer()) return {v.get<int64_t>()};
  if (v.is_array()) {
    std::vector<int64_t> out;
    for (const Json& e : v) {
      if (!e.is_number_integer()) fail(key, "must be an integer or a list of integers");
      out.push_back(e.get<int64_t>());
    }
    return out;
  }
  fail(key, std::string("must be an integer or a list of integers, got ") + type_name(v));
}

nn::RopeParameters ConfigReader::rope_parameters(int64_t dim, int64_t max_position_embeddings) const {
  nn::RopeParameters p;
  p.dim = dim;
  p.rope_theta = get_double("rope_theta", 10000.0);
  p.max_position_embeddings = max_position_embeddings;
  if (!has("rope_scaling")) return p;
  const Json& rs = j_.at("rope_scaling");
  if (!rs.is_object()) fail("rope_scaling", std::string("must be an object, got ") + type_name(rs));
  ConfigReader r(rs, source_ + " rope_scaling");
  // BC: "type" was renamed "rope_type".
  p.rope_type = r.get_string("rope_type", r.get_string("type", "default"));
  p.factor = r.get_double("factor", 1.0);
  p.low_freq_factor = r.get_double("low_freq_factor", 1.0);
  p.high_freq_factor = r.get_double("high_freq_factor", 4.0);
  p.original_max_position_embeddings = r.get_optional_int("original_max_position_embeddings");
  p.attention_factor = r.get_optional_double("attention_factor");
  p.beta_fast = r.get_optional_double("beta_fast");
  p.beta_slow = r.get_optional_double("beta_slow");
  for (const char* key : {"short_factor", "long_factor"}) {
    if (!r.has(key)) continue;
    std::vector<double>& out = std::string(key) == "short_factor" ? p.short_factor : p.long_factor;
    for (const Json& e : rs.at(key)) {
      if (!e.is_number()) r.fail(key, "must be a list of numbers");
      out.push_back(e.get<double>());
    }
  }
  static const char* kKnown[] = {"default", "linear", "dynamic", "yarn", "longrope", "llama3"};
  bool known = false;
  for (const char* k : kKnown) known = known || p.rope_type == k;
  if (!known) r.fail("rope_type", "'" + p.rope_type + "' is not a known rope type");
  if (p.rope_type != "default" && p.rope_type != "longrope" && !r.has("factor"))
    r.fail("factor", "is required for rope_type '" + p.rope_type + "'");
  // HF only warns below 1; at or below 0 every scaling divides by it or takes its log.
  if (!(p.factor > 0) || !std::isfinite(p.factor))
    r.fail("factor", "must be a positive number, got " + rs.at("factor").dump());
  // Phi3 keeps original_max_position_embeddings at the top level of config.json.
  if (p.rope_type == "longrope" && !p.original_max_position_embeddings && has("original_max_position_embeddings"))
    p.original_max_position_embeddings = get_int("original_max_position_embeddings", 0);
  return p;
}

void PretrainedConfig::read_common(const Json& j, const std::string& source) {
  ConfigReader r(j, source);
  model_type = r.get_string("model_type", "");
  if (r.has("architectures")) {
    const Json& a = j.at("architectures");
    if (!a.is_array()) r.fail("architectures", "must be a list of class names");
    for (const Json& e : a) {
      if (!e.is_string()) r.fail("architectures", "must be a list of class names");
      architectures.push_back(e.get<std::string>());
    }
  }
  torch_dtype = r.get_string("torch_dtype", "");
  tie_word_embeddings = r.get_bool("tie_word_embeddings", true);
  is_encoder_decoder = r.get_bool("is_encoder_decoder", false);
  bos_token_id = r.get_optional_int("bos_token_id");
  pad_token_id = r.get_optional_int("pad_token_id");
  decoder_start_token_id = r.get_optional_int("decoder_start_token_id");
  eos_token_id = r.get_int_list("eos_token_id");
  if (r.has("id2label")) {
    const Json& m = j.at("id2label");
    if (!m.is_object()) r.fail("id2label", "must be an object");
    for (auto& [k, v] : m.items()) {
      if (!v.is_string()) r.fail("id2label", "values must be strings");
      try {
        id2label[std::stoll(k)] = v.get<std::string>();
      } catch (const std::exception&) {
        r.fail("id2label", "keys must be integers, got '" + k + "'");
      }
    }
  }
  if (r.has("label2id")) {
    const Json& m = j.at("label2id");
    if (!m.is_object()) r.fail("label2id", "must be an object");
    for (auto& [k, v] : m.items()) {
      if (!v.is_number_integer()) r.fail("label2id", "values must be integers");
      label2id[k] = v.get<int64_t>();
    }
  }
  if (r.has("problem_type")) problem_type = r.get_string("problem_type", "");
  raw_json = std::make_shared<const nlohmann::json>(j);
}

}  // namespace transformers::models
