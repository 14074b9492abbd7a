#include "transformers/models/gpt_neox/configuration_gpt_neox.h"

#include <nlohmann/json.hpp>

#include "transformers/core/error.h"
#include "transformers/core/ops.h"

namespace transformers::models::gpt_neox {

GPTNeoXConfig GPTNeoXConfig::from_json(const nlohmann::json& j, const std::string& source) {
  GPTNeoXConfig c;
  ConfigReader r(j, source);
  c.read_common(j, source);
  c.tie_word_embeddings = r.get_bool("tie_word_embeddings", false);  // GPTNeoXConfig's default
  if (!r.has("bos_token_id")) c.bos_token_id = 0;
  if (!r.has("eos_token_id")) c.eos_token_id = {2};
  c.vocab_size = r.get_int("vocab_size", c.vocab_size);
  c.hidden_size = r.get_int("hidden_size", c.hidden_size);
  c.num_hidden_layers = r.get_int("num_hidden_layers", c.num_hidden_layers);
  c.num_attention_heads = r.get_int("num_attention_heads", c.num_attention_heads);
  c.intermediate_size = r.get_int("intermediate_size", c.intermediate_size);
  c.hidden_act = r.get_string("hidden_act", c.hidden_act);
  c.rotary_pct = r.get_double("rotary_pct", c.rotary_pct);
  c.rotary_emb_base = r.get_double("rotary_emb_base", c.rotary_emb_base);
  c.max_position_embeddings = r.get_int("max_position_embeddings", c.max_position_embeddings);
  c.initializer_range = r.get_double("initializer_range", c.initializer_range);
  c.layer_norm_eps = r.get_double("layer_norm_eps", c.layer_norm_eps);
  c.use_parallel_residual = r.get_bool("use_parallel_residual", c.use_parallel_residual);
  c.attention_bias = r.get_bool("attention_bias", c.attention_bias);

  for (auto [key, value] : {std::pair{"vocab_size", c.vocab_size}, {"hidden_size", c.hidden_size},
                            {"num_hidden_layers", c.num_hidden_layers},
                            {"num_attention_heads", c.num_attention_heads},
                            {"intermediate_size", c.intermediate_size}})
    r.require(value > 0, key, "must be positive, got " + std::to_string(value));
  r.require(c.hidden_size % c.num_attention_heads == 0, "hidden_size",
            "(" + std::to_string(c.hidden_size) + ") must be divisible by num_attention_heads (" +
                std::to_string(c.num_attention_heads) + ")");
  c.head_size = c.hidden_size / c.num_attention_heads;
  // int(head_size * rotary_pct), as HF truncates it.
  const int64_t rotary_ndims = int64_t(double(c.head_size) * c.rotary_pct);
  r.require(c.rotary_pct > 0 && c.rotary_pct <= 1, "rotary_pct", "must be in (0, 1]");
  r.require(rotary_ndims > 0 && rotary_ndims % 2 == 0, "rotary_pct",
            "gives " + std::to_string(rotary_ndims) + " rotary dims; they must be positive and even");
  try {
    ops::activation_from_name(c.hidden_act);
  } catch (const Error&) {
    r.fail("hidden_act", "'" + c.hidden_act + "' is not a known activation");
  }
  c.rope = r.rope_parameters(rotary_ndims, c.max_position_embeddings);
  c.rope.rope_theta = c.rotary_emb_base;
  return c;
}

GPTNeoXConfig GPTNeoXConfig::from_file(const std::filesystem::path& path) {
  return from_json(read_config_json(path), path.string());
}

}  // namespace transformers::models::gpt_neox
