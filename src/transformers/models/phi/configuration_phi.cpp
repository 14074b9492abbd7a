#include "transformers/models/phi/configuration_phi.h"

#include <nlohmann/json.hpp>

#include "transformers/core/error.h"
#include "transformers/core/ops.h"

namespace transformers::models::phi {

PhiConfig PhiConfig::from_json(const nlohmann::json& j, const std::string& source) {
  PhiConfig c;
  ConfigReader r(j, source);
  c.read_common(j, source);
  c.tie_word_embeddings = r.get_bool("tie_word_embeddings", false);  // PhiConfig's default
  if (!r.has("bos_token_id")) c.bos_token_id = 1;
  if (!r.has("eos_token_id")) c.eos_token_id = {2};
  c.vocab_size = r.get_int("vocab_size", c.vocab_size);
  c.hidden_size = r.get_int("hidden_size", c.hidden_size);
  c.intermediate_size = r.get_int("intermediate_size", c.intermediate_size);
  c.num_hidden_layers = r.get_int("num_hidden_layers", c.num_hidden_layers);
  c.num_attention_heads = r.get_int("num_attention_heads", c.num_attention_heads);
  c.num_key_value_heads = r.get_int("num_key_value_heads", c.num_attention_heads);
  c.hidden_act = r.get_string("hidden_act", c.hidden_act);
  c.max_position_embeddings = r.get_int("max_position_embeddings", c.max_position_embeddings);
  c.initializer_range = r.get_double("initializer_range", c.initializer_range);
  c.layer_norm_eps = r.get_double("layer_norm_eps", c.layer_norm_eps);
  c.partial_rotary_factor = r.get_double("partial_rotary_factor", c.partial_rotary_factor);
  c.qk_layernorm = r.get_bool("qk_layernorm", c.qk_layernorm);

  for (auto [key, value] : {std::pair{"vocab_size", c.vocab_size}, {"hidden_size", c.hidden_size},
                            {"intermediate_size", c.intermediate_size},
                            {"num_hidden_layers", c.num_hidden_layers},
                            {"num_attention_heads", c.num_attention_heads},
                            {"num_key_value_heads", c.num_key_value_heads}})
    r.require(value > 0, key, "must be positive, got " + std::to_string(value));
  r.require(c.hidden_size % c.num_attention_heads == 0, "hidden_size",
            "(" + std::to_string(c.hidden_size) + ") must be divisible by num_attention_heads (" +
                std::to_string(c.num_attention_heads) + ")");
  r.require(c.num_attention_heads % c.num_key_value_heads == 0, "num_key_value_heads",
            "(" + std::to_string(c.num_key_value_heads) + ") must divide num_attention_heads (" +
                std::to_string(c.num_attention_heads) + ")");
  c.head_dim = c.hidden_size / c.num_attention_heads;
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
  c.rope = r.rope_parameters(rotary_ndims, c.max_position_embeddings);
  return c;
}

PhiConfig PhiConfig::from_file(const std::filesystem::path& path) {
  return from_json(read_config_json(path), path.string());
}

}  // namespace transformers::models::phi
