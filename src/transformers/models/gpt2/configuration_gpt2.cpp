#include "transformers/models/gpt2/configuration_gpt2.h"

#include <nlohmann/json.hpp>

#include "transformers/core/error.h"
#include "transformers/core/ops.h"

namespace transformers::models::gpt2 {

GPT2Config GPT2Config::from_json(const nlohmann::json& j, const std::string& source) {
  GPT2Config c;
  ConfigReader r(j, source);
  c.read_common(j, source);
  if (!r.has("bos_token_id")) c.bos_token_id = 50256;
  if (!r.has("eos_token_id")) c.eos_token_id = {50256};
  c.vocab_size = r.get_int("vocab_size", c.vocab_size);
  c.n_positions = r.get_int("n_positions", c.n_positions);
  c.n_embd = r.get_int("n_embd", c.n_embd);
  c.n_layer = r.get_int("n_layer", c.n_layer);
  c.n_head = r.get_int("n_head", c.n_head);
  c.n_inner = r.get_optional_int("n_inner");
  c.activation_function = r.get_string("activation_function", c.activation_function);
  c.layer_norm_epsilon = r.get_double("layer_norm_epsilon", c.layer_norm_epsilon);
  c.initializer_range = r.get_double("initializer_range", c.initializer_range);
  c.scale_attn_weights = r.get_bool("scale_attn_weights", c.scale_attn_weights);
  c.scale_attn_by_inverse_layer_idx = r.get_bool("scale_attn_by_inverse_layer_idx", c.scale_attn_by_inverse_layer_idx);
  c.reorder_and_upcast_attn = r.get_bool("reorder_and_upcast_attn", c.reorder_and_upcast_attn);

  for (auto [key, value] : {std::pair{"vocab_size", c.vocab_size}, {"n_positions", c.n_positions},
                            {"n_embd", c.n_embd}, {"n_layer", c.n_layer}, {"n_head", c.n_head}})
    r.require(value > 0, key, "must be positive, got " + std::to_string(value));
  if (c.n_inner) r.require(*c.n_inner > 0, "n_inner", "must be positive, got " + std::to_string(*c.n_inner));
  r.require(c.n_embd % c.n_head == 0, "n_embd",
            "(" + std::to_string(c.n_embd) + ") must be divisible by n_head (" + std::to_string(c.n_head) + ")");
  // Cross-attention exists only for GPT-2 used as the decoder of an encoder-decoder model.
  r.require(!r.get_bool("add_cross_attention", false), "add_cross_attention", "is not supported");
  try {
    ops::activation_from_name(c.activation_function);
  } catch (const Error&) {
    r.fail("activation_function", "'" + c.activation_function + "' is not a known activation");
  }
  return c;
}

GPT2Config GPT2Config::from_file(const std::filesystem::path& path) {
  return from_json(read_config_json(path), path.string());
}

}  // namespace transformers::models::gpt2
