#include "transformers/models/phi3/configuration_phi3.h"

#include <nlohmann/json.hpp>

#include "transformers/core/error.h"
#include "transformers/core/ops.h"

namespace transformers::models::phi3 {

namespace {
// Phi3Config._rope_scaling_adjustment and _rope_scaling_validation: the old type names "su" and
// "yarn" mean longrope, and longrope needs short_factor and long_factor of rotary_ndims / 2 entries.
nn::RopeParameters read_rope(const nlohmann::json& j, const std::string& source, const Phi3Config& c,
                             int64_t rotary_ndims) {
  ConfigReader r(j, source);
  nlohmann::json adjusted = j;
  if (r.has("rope_scaling") && j.at("rope_scaling").is_object()) {
    nlohmann::json& rs = adjusted["rope_scaling"];
    ConfigReader s(rs, source + " rope_scaling");
    const std::string type = s.get_string("type", s.get_string("rope_type", ""));
    if (type == "su" || type == "yarn") rs["type"] = rs["rope_type"] = "longrope";
  }
  nn::RopeParameters p = ConfigReader(adjusted, source).rope_parameters(rotary_ndims, c.max_position_embeddings);
  if (p.rope_type == "longrope") {
    // HF reads the top-level original_max_position_embeddings (Phi3Config always has one).
    p.original_max_position_embeddings = c.original_max_position_embeddings;
    for (auto [key, factors] : {std::pair{"short_factor", &p.short_factor}, {"long_factor", &p.long_factor}})
      if (int64_t(factors->size()) != rotary_ndims / 2)
        r.fail("rope_scaling", std::string(key) + " must have " + std::to_string(rotary_ndims / 2) +
                                   " entries (rotary dims / 2), got " + std::to_string(factors->size()));
  }
  return p;
}
}  // namespace

Phi3Config Phi3Config::from_json(const nlohmann::json& j, const std::string& source) {
  Phi3Config c;
  ConfigReader r(j, source);
  c.read_common(j, source);
  c.tie_word_embeddings = r.get_bool("tie_word_embeddings", false);  // Phi3Config's defaults
  if (!r.has("bos_token_id")) c.bos_token_id = 1;
  if (!r.has("eos_token_id")) c.eos_token_id = {32000};
  if (!r.has("pad_token_id")) c.pad_token_id = 32000;
  c.vocab_size = r.get_int("vocab_size", c.vocab_size);
  c.hidden_size = r.get_int("hidden_size", c.hidden_size);
  c.intermediate_size = r.get_int("intermediate_size", c.intermediate_size);
  c.num_hidden_layers = r.get_int("num_hidden_layers", c.num_hidden_layers);
  c.num_attention_heads = r.get_int("num_attention_heads", c.num_attention_heads);
  c.num_key_value_heads = r.get_int("num_key_value_heads", c.num_attention_heads);
  c.hidden_act = r.get_string("hidden_act", c.hidden_act);
  c.max_position_embeddings = r.get_int("max_position_embeddings", c.max_position_embeddings);
  c.original_max_position_embeddings =
      r.get_int("original_max_position_embeddings", c.original_max_position_embeddings);
  c.initializer_range = r.get_double("initializer_range", c.initializer_range);
  c.rms_norm_eps = r.get_double("rms_norm_eps", c.rms_norm_eps);
  c.partial_rotary_factor = r.get_double("partial_rotary_factor", c.partial_rotary_factor);
  c.sliding_window = r.get_optional_int("sliding_window");

  for (auto [key, value] : {std::pair{"vocab_size", c.vocab_size}, {"hidden_size", c.hidden_size},
                            {"intermediate_size", c.intermediate_size},
                            {"num_hidden_layers", c.num_hidden_layers},
                            {"num_attention_heads", c.num_attention_heads},
                            {"num_key_value_heads", c.num_key_value_heads},
                            {"original_max_position_embeddings", c.original_max_position_embeddings}})
    r.require(value > 0, key, "must be positive, got " + std::to_string(value));
  r.require(c.num_attention_heads % c.num_key_value_heads == 0, "num_key_value_heads",
            "(" + std::to_string(c.num_key_value_heads) + ") must divide num_attention_heads (" +
                std::to_string(c.num_attention_heads) + ")");
  if (c.sliding_window) r.require(*c.sliding_window > 0, "sliding_window", "must be positive");
  if (r.has("head_dim")) {
    c.head_dim = r.get_int("head_dim", 0);
    r.require(c.head_dim > 0, "head_dim", "must be positive");
  } else {
    r.require(c.hidden_size % c.num_attention_heads == 0, "hidden_size",
              "(" + std::to_string(c.hidden_size) + ") must be divisible by num_attention_heads (" +
                  std::to_string(c.num_attention_heads) + ")");
    c.head_dim = c.hidden_size / c.num_attention_heads;
  }
  // int(head_dim * partial_rotary_factor), as HF truncates it.
  const int64_t rotary_ndims = int64_t(double(c.head_dim) * c.partial_rotary_factor);
  r.require(c.partial_rotary_factor > 0 && c.partial_rotary_factor <= 1, "partial_rotary_factor", "must be in (0, 1]");
  r.require(rotary_ndims > 0 && rotary_ndims % 2 == 0, "partial_rotary_factor",
            "gives " + std::to_string(rotary_ndims) + " rotary dims; they must be positive and even");
  try {
    ops::activation_from_name(c.hidden_act);
  } catch (const Error&) {
    r.fail("hidden_act", "'" + c.hidden_act + "' is not a known activation");
  }
  c.rope = read_rope(j, source, c, rotary_ndims);
  return c;
}

Phi3Config Phi3Config::from_file(const std::filesystem::path& path) {
  return from_json(read_config_json(path), path.string());
}

}  // namespace transformers::models::phi3
