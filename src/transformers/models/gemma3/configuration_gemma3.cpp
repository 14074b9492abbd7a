#include "transformers/models/gemma3/configuration_gemma3.h"

#include <nlohmann/json.hpp>

#include "transformers/core/error.h"
#include "transformers/core/ops.h"

namespace transformers::models::gemma3 {

Gemma3TextConfig Gemma3TextConfig::from_json(const nlohmann::json& j, const std::string& source) {
  Gemma3TextConfig c;
  ConfigReader r(j, source);
  c.read_common(j, source);
  // Gemma3TextConfig's special-token defaults (an explicit null stays null).
  if (!j.contains("pad_token_id")) c.pad_token_id = 0;
  if (!j.contains("bos_token_id")) c.bos_token_id = 2;
  if (!j.contains("eos_token_id")) c.eos_token_id = {1};
  c.vocab_size = r.get_int("vocab_size", c.vocab_size);
  c.hidden_size = r.get_int("hidden_size", c.hidden_size);
  c.intermediate_size = r.get_int("intermediate_size", c.intermediate_size);
  c.num_hidden_layers = r.get_int("num_hidden_layers", c.num_hidden_layers);
  c.num_attention_heads = r.get_int("num_attention_heads", c.num_attention_heads);
  c.num_key_value_heads = r.get_int("num_key_value_heads", c.num_key_value_heads);
  c.head_dim = r.get_int("head_dim", c.head_dim);
  c.hidden_activation = r.get_string("hidden_activation", c.hidden_activation);
  c.max_position_embeddings = r.get_int("max_position_embeddings", c.max_position_embeddings);
  c.initializer_range = r.get_double("initializer_range", c.initializer_range);
  c.rms_norm_eps = r.get_double("rms_norm_eps", c.rms_norm_eps);
  c.attention_bias = r.get_bool("attention_bias", c.attention_bias);
  c.query_pre_attn_scalar = r.get_double("query_pre_attn_scalar", c.query_pre_attn_scalar);
  c.sliding_window = r.get_int("sliding_window", c.sliding_window);
  c.sliding_window_pattern = r.get_int("sliding_window_pattern", c.sliding_window_pattern);
  c.final_logit_softcapping = r.get_optional_double("final_logit_softcapping");
  c.attn_logit_softcapping = r.get_optional_double("attn_logit_softcapping");
  c.cache_implementation = r.get_string("cache_implementation", c.cache_implementation);
  c.rope_local_base_freq = r.get_double("rope_local_base_freq", c.rope_local_base_freq);

  for (auto [key, value] : {std::pair{"vocab_size", c.vocab_size}, {"hidden_size", c.hidden_size},
                            {"intermediate_size", c.intermediate_size},
                            {"num_hidden_layers", c.num_hidden_layers},
                            {"num_attention_heads", c.num_attention_heads},
                            {"num_key_value_heads", c.num_key_value_heads},
                            {"sliding_window", c.sliding_window},
                            {"sliding_window_pattern", c.sliding_window_pattern}})
    r.require(value > 0, key, "must be positive, got " + std::to_string(value));
  r.require(c.num_attention_heads % c.num_key_value_heads == 0, "num_key_value_heads",
            "(" + std::to_string(c.num_key_value_heads) + ") must divide num_attention_heads (" +
                std::to_string(c.num_attention_heads) + ")");
  r.require(c.head_dim > 0 && c.head_dim % 2 == 0, "head_dim", "must be positive and even");
  r.require(c.query_pre_attn_scalar > 0, "query_pre_attn_scalar", "must be positive");
  r.require(c.rope_local_base_freq > 0, "rope_local_base_freq", "must be positive");
  for (auto [key, cap] : {std::pair{"final_logit_softcapping", c.final_logit_softcapping},
                          {"attn_logit_softcapping", c.attn_logit_softcapping}})
    if (cap) r.require(*cap > 0, key, "must be positive or null");
  try {
    ops::activation_from_name(c.hidden_activation);
  } catch (const Error&) {
    r.fail("hidden_activation", "'" + c.hidden_activation + "' is not a known activation");
  }

  // v4.51's Gemma3Attention: is_sliding = bool((layer_idx + 1) % sliding_window_pattern).
  for (int64_t i = 0; i < c.num_hidden_layers; ++i)
    c.layer_is_sliding.push_back((i + 1) % c.sliding_window_pattern != 0);
  // Later configs (transformers >= 4.53) spell the pattern out as layer_types; when present it
  // must be what we run, so it takes precedence.
  if (r.has("layer_types")) {
    const nlohmann::json& types = j.at("layer_types");
    r.require(types.is_array() && int64_t(types.size()) == c.num_hidden_layers, "layer_types",
              "must be a list of num_hidden_layers (" + std::to_string(c.num_hidden_layers) + ") layer types");
    for (size_t i = 0; i < types.size(); ++i) {
      const bool sliding = types[i] == "sliding_attention";
      r.require(sliding || types[i] == "full_attention", "layer_types",
                "entries must be \"sliding_attention\" or \"full_attention\", got " + types[i].dump());
      c.layer_is_sliding[i] = sliding;
    }
  }

  c.rope = r.rope_parameters(c.head_dim, c.max_position_embeddings);
  if (!r.has("rope_theta")) c.rope.rope_theta = 1000000.0;  // Gemma3TextConfig's default
  c.rope_local.rope_theta = c.rope_local_base_freq;
  c.rope_local.dim = c.head_dim;
  c.rope_local.max_position_embeddings = c.max_position_embeddings;
  return c;
}

Gemma3TextConfig Gemma3TextConfig::from_file(const std::filesystem::path& path) {
  return from_json(read_config_json(path), path.string());
}

}  // namespace transformers::models::gemma3
