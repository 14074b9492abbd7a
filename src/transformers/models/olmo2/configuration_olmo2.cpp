#include "transformers/models/olmo2/configuration_olmo2.h"

#include <nlohmann/json.hpp>

#include "transformers/core/error.h"
#include "transformers/core/ops.h"

namespace transformers::models::olmo2 {

Olmo2Config Olmo2Config::from_json(const nlohmann::json& j, const std::string& source) {
  Olmo2Config c;
  ConfigReader r(j, source);
  c.tie_word_embeddings = false;  // Olmo2Config's default differs from PretrainedConfig's
  c.read_common(j, source);
  c.tie_word_embeddings = r.get_bool("tie_word_embeddings", false);
  // Olmo2Config's special-token defaults (bos_token_id defaults to null).
  if (!j.contains("pad_token_id")) c.pad_token_id = 1;
  if (!j.contains("eos_token_id")) c.eos_token_id = {50279};
  c.vocab_size = r.get_int("vocab_size", c.vocab_size);
  c.hidden_size = r.get_int("hidden_size", c.hidden_size);
  c.intermediate_size = r.get_int("intermediate_size", c.intermediate_size);
  c.num_hidden_layers = r.get_int("num_hidden_layers", c.num_hidden_layers);
  c.num_attention_heads = r.get_int("num_attention_heads", c.num_attention_heads);
  c.num_key_value_heads = r.get_int("num_key_value_heads", c.num_attention_heads);
  c.hidden_act = r.get_string("hidden_act", c.hidden_act);
  c.max_position_embeddings = r.get_int("max_position_embeddings", c.max_position_embeddings);
  c.initializer_range = r.get_double("initializer_range", c.initializer_range);
  c.attention_bias = r.get_bool("attention_bias", c.attention_bias);
  c.rms_norm_eps = r.get_double("rms_norm_eps", c.rms_norm_eps);

  for (auto [key, value] : {std::pair{"vocab_size", c.vocab_size}, {"hidden_size", c.hidden_size},
                            {"intermediate_size", c.intermediate_size},
                            {"num_hidden_layers", c.num_hidden_layers},
                            {"num_attention_heads", c.num_attention_heads},
                            {"num_key_value_heads", c.num_key_value_heads}})
    r.require(value > 0, key, "must be positive, got " + std::to_string(value));
  r.require(c.num_attention_heads % c.num_key_value_heads == 0, "num_key_value_heads",
            "(" + std::to_string(c.num_key_value_heads) + ") must divide num_attention_heads (" +
                std::to_string(c.num_attention_heads) + ")");
  r.require(c.rms_norm_eps > 0, "rms_norm_eps", "must be positive");
  // Olmo2Attention (LlamaAttention's): getattr(config, "head_dim", hidden_size // num_attention_heads)
  if (r.has("head_dim")) {
    c.head_dim = r.get_int("head_dim", 0);
    r.require(c.head_dim > 0 && c.head_dim % 2 == 0, "head_dim", "must be positive and even");
  } else {
    r.require(c.hidden_size % c.num_attention_heads == 0, "hidden_size",
              "(" + std::to_string(c.hidden_size) + ") must be divisible by num_attention_heads (" +
                  std::to_string(c.num_attention_heads) + ")");
    c.head_dim = c.hidden_size / c.num_attention_heads;
    r.require(c.head_dim % 2 == 0, "hidden_size", "/ num_attention_heads must be even for rotary embeddings");
  }
  try {
    ops::activation_from_name(c.hidden_act);
  } catch (const Error&) {
    r.fail("hidden_act", "'" + c.hidden_act + "' is not a known activation");
  }
  c.rope = r.rope_parameters(c.head_dim, c.max_position_embeddings);
  return c;
}

Olmo2Config Olmo2Config::from_file(const std::filesystem::path& path) {
  return from_json(read_config_json(path), path.string());
}

}  // namespace transformers::models::olmo2
