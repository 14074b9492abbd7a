#include "transformers/models/electra/configuration_electra.h"

#include <nlohmann/json.hpp>

#include "transformers/core/error.h"
#include "transformers/core/ops.h"

namespace transformers::models::electra {

ElectraConfig ElectraConfig::from_json(const nlohmann::json& j, const std::string& source) {
  ElectraConfig c;
  ConfigReader r(j, source);
  c.read_common(j, source);
  if (!r.has("pad_token_id")) c.pad_token_id = 0;
  c.vocab_size = r.get_int("vocab_size", c.vocab_size);
  c.embedding_size = r.get_int("embedding_size", c.embedding_size);
  c.hidden_size = r.get_int("hidden_size", c.hidden_size);
  c.num_hidden_layers = r.get_int("num_hidden_layers", c.num_hidden_layers);
  c.num_attention_heads = r.get_int("num_attention_heads", c.num_attention_heads);
  c.intermediate_size = r.get_int("intermediate_size", c.intermediate_size);
  c.hidden_act = r.get_string("hidden_act", c.hidden_act);
  c.hidden_dropout_prob = r.get_double("hidden_dropout_prob", c.hidden_dropout_prob);
  c.attention_probs_dropout_prob = r.get_double("attention_probs_dropout_prob", c.attention_probs_dropout_prob);
  c.max_position_embeddings = r.get_int("max_position_embeddings", c.max_position_embeddings);
  c.type_vocab_size = r.get_int("type_vocab_size", c.type_vocab_size);
  c.initializer_range = r.get_double("initializer_range", c.initializer_range);
  c.layer_norm_eps = r.get_double("layer_norm_eps", c.layer_norm_eps);
  c.summary_type = r.get_string("summary_type", c.summary_type);
  c.summary_use_proj = r.get_bool("summary_use_proj", c.summary_use_proj);
  c.summary_activation = r.get_string("summary_activation", c.summary_activation);
  c.summary_last_dropout = r.get_double("summary_last_dropout", c.summary_last_dropout);
  c.position_embedding_type = r.get_string("position_embedding_type", c.position_embedding_type);
  c.classifier_dropout = r.get_optional_double("classifier_dropout");
  c.num_labels = c.id2label.empty() ? r.get_int("num_labels", 2) : int64_t(c.id2label.size());

  for (auto [key, value] : {std::pair{"vocab_size", c.vocab_size}, {"embedding_size", c.embedding_size},
                            {"hidden_size", c.hidden_size}, {"num_hidden_layers", c.num_hidden_layers},
                            {"num_attention_heads", c.num_attention_heads},
                            {"intermediate_size", c.intermediate_size},
                            {"max_position_embeddings", c.max_position_embeddings},
                            {"type_vocab_size", c.type_vocab_size}, {"num_labels", c.num_labels}})
    r.require(value > 0, key, "must be positive, got " + std::to_string(value));
  // HF skips this check for ELECTRA (its attention tests hasattr(config, "embedding_size")) and then
  // fails in forward, the attention output being narrower than ElectraSelfOutput.dense; refused here.
  r.require(c.hidden_size % c.num_attention_heads == 0, "hidden_size",
            "(" + std::to_string(c.hidden_size) + ") must be divisible by num_attention_heads (" +
                std::to_string(c.num_attention_heads) + ")");
  // relative_key / relative_key_query add a learned distance embedding to the scores; no
  // checkpoint we target uses them, so they are refused rather than silently ignored.
  r.require(c.position_embedding_type == "absolute", "position_embedding_type",
            "'" + c.position_embedding_type + "' is not supported (only 'absolute')");
  try {
    ops::activation_from_name(c.hidden_act);
  } catch (const Error&) {
    r.fail("hidden_act", "'" + c.hidden_act + "' is not a known activation");
  }
  return c;
}

ElectraConfig ElectraConfig::from_file(const std::filesystem::path& path) {
  return from_json(read_config_json(path), path.string());
}

}  // namespace transformers::models::electra
