#include "transformers/models/qwen3/configuration_qwen3.h"

#include <nlohmann/json.hpp>

#include "transformers/core/error.h"
#include "transformers/core/ops.h"

namespace transformers::models::qwen3 {

Qwen3Config Qwen3Config::from_json(const nlohmann::json& j, const std::string& source) {
  Qwen3Config c;
  ConfigReader r(j, source);
  c.read_common(j, source);
  c.tie_word_embeddings = r.get_bool("tie_word_embeddings", false);  // Qwen3Config's default
  c.vocab_size = r.get_int("vocab_size", c.vocab_size);
  c.hidden_size = r.get_int("hidden_size", c.hidden_size);
  c.intermediate_size = r.get_int("intermediate_size", c.intermediate_size);
  c.num_hidden_layers = r.get_int("num_hidden_layers", c.num_hidden_layers);
  c.num_attention_heads = r.get_int("num_attention_heads", c.num_attention_heads);
  c.num_key_value_heads = r.get_int("num_key_value_heads", c.num_attention_heads);
  c.hidden_act = r.get_string("hidden_act", c.hidden_act);
  c.max_position_embeddings = r.get_int("max_position_embeddings", c.max_position_embeddings);
  c.initializer_range = r.get_double("initializer_range", c.initializer_range);
  c.rms_norm_eps = r.get_double("rms_norm_eps", c.rms_norm_eps);
  c.attention_bias = r.get_bool("attention_bias", c.attention_bias);
  c.use_sliding_window = r.get_bool("use_sliding_window", c.use_sliding_window);
  c.sliding_window = j.contains("sliding_window") ? r.get_optional_int("sliding_window") : 4096;
  c.max_window_layers = r.get_int("max_window_layers", c.max_window_layers);

  for (auto [key, value] : {std::pair{"vocab_size", c.vocab_size}, {"hidden_size", c.hidden_size},
                            {"intermediate_size", c.intermediate_size},
                            {"num_hidden_layers", c.num_hidden_layers},
                            {"num_attention_heads", c.num_attention_heads},
                            {"num_key_value_heads", c.num_key_value_heads}})
    r.require(value > 0, key, "must be positive, got " + std::to_string(value));
  r.require(c.num_attention_heads % c.num_key_value_heads == 0, "num_key_value_heads",
            "(" + std::to_string(c.num_key_value_heads) + ") must divide num_attention_heads (" +
                std::to_string(c.num_attention_heads) + ")");
  if (c.sliding_window) r.require(*c.sliding_window > 0, "sliding_window", "must be positive or null");
  // Qwen3Config's head_dim defaults to 128; an explicit null means hidden_size // num_attention_heads.
  if (!j.contains("head_dim")) {
    c.head_dim = 128;
  } else if (r.has("head_dim")) {
    c.head_dim = r.get_int("head_dim", 0);
    r.require(c.head_dim > 0 && c.head_dim % 2 == 0, "head_dim", "must be positive and even");
  } else {
    c.head_dim = c.hidden_size / c.num_attention_heads;
    r.require(c.head_dim > 0 && c.head_dim % 2 == 0, "hidden_size",
              "/ num_attention_heads must be a positive even head size");
  }
  try {
    ops::activation_from_name(c.hidden_act);
  } catch (const Error&) {
    r.fail("hidden_act", "'" + c.hidden_act + "' is not a known activation");
  }
  c.rope = r.rope_parameters(c.head_dim, c.max_position_embeddings);
  return c;
}

// As Qwen2 (Note [Qwen2 sliding window] in configuration_qwen2.cpp): only when
// use_sliding_window, and only in layers from max_window_layers on.
int64_t Qwen3Config::layer_sliding_window(int64_t layer_idx) const {
  return use_sliding_window && sliding_window && layer_idx >= max_window_layers ? *sliding_window : 0;
}

Qwen3Config Qwen3Config::from_file(const std::filesystem::path& path) {
  return from_json(read_config_json(path), path.string());
}

}  // namespace transformers::models::qwen3
