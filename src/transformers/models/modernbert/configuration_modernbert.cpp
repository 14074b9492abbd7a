#include "transformers/models/modernbert/configuration_modernbert.h"

#include <nlohmann/json.hpp>

#include "transformers/core/error.h"
#include "transformers/core/ops.h"

namespace transformers::models::modernbert {

ModernBertConfig ModernBertConfig::from_json(const nlohmann::json& j, const std::string& source) {
  ModernBertConfig c;
  ConfigReader r(j, source);
  c.read_common(j, source);
  // ModernBertConfig's special-token defaults (the ModernBERT tokenizer's ids).
  if (!r.has("pad_token_id")) c.pad_token_id = 50283;
  if (!r.has("bos_token_id")) c.bos_token_id = 50281;
  if (!r.has("eos_token_id")) c.eos_token_id = {50282};
  if (j.contains("cls_token_id")) c.cls_token_id = r.get_optional_int("cls_token_id");
  if (j.contains("sep_token_id")) c.sep_token_id = r.get_optional_int("sep_token_id");
  c.vocab_size = r.get_int("vocab_size", c.vocab_size);
  c.hidden_size = r.get_int("hidden_size", c.hidden_size);
  c.intermediate_size = r.get_int("intermediate_size", c.intermediate_size);
  c.num_hidden_layers = r.get_int("num_hidden_layers", c.num_hidden_layers);
  c.num_attention_heads = r.get_int("num_attention_heads", c.num_attention_heads);
  c.hidden_activation = r.get_string("hidden_activation", c.hidden_activation);
  c.max_position_embeddings = r.get_int("max_position_embeddings", c.max_position_embeddings);
  c.initializer_range = r.get_double("initializer_range", c.initializer_range);
  c.initializer_cutoff_factor = r.get_double("initializer_cutoff_factor", c.initializer_cutoff_factor);
  c.norm_eps = r.get_double("norm_eps", c.norm_eps);
  c.norm_bias = r.get_bool("norm_bias", c.norm_bias);
  c.global_rope_theta = r.get_double("global_rope_theta", c.global_rope_theta);
  c.attention_bias = r.get_bool("attention_bias", c.attention_bias);
  c.attention_dropout = r.get_double("attention_dropout", c.attention_dropout);
  c.global_attn_every_n_layers = r.get_int("global_attn_every_n_layers", c.global_attn_every_n_layers);
  c.local_attention = r.get_int("local_attention", c.local_attention);
  // An explicit null means "use global_rope_theta"; an absent key keeps HF's default 10000.
  if (j.contains("local_rope_theta")) c.local_rope_theta = r.get_optional_double("local_rope_theta");
  c.embedding_dropout = r.get_double("embedding_dropout", c.embedding_dropout);
  c.mlp_bias = r.get_bool("mlp_bias", c.mlp_bias);
  c.mlp_dropout = r.get_double("mlp_dropout", c.mlp_dropout);
  c.decoder_bias = r.get_bool("decoder_bias", c.decoder_bias);
  c.classifier_pooling = r.get_string("classifier_pooling", c.classifier_pooling);
  c.classifier_dropout = r.get_double("classifier_dropout", c.classifier_dropout);
  c.classifier_bias = r.get_bool("classifier_bias", c.classifier_bias);
  c.classifier_activation = r.get_string("classifier_activation", c.classifier_activation);
  c.sparse_prediction = r.get_bool("sparse_prediction", c.sparse_prediction);
  c.sparse_pred_ignore_index = r.get_int("sparse_pred_ignore_index", c.sparse_pred_ignore_index);
  c.num_labels = c.id2label.empty() ? r.get_int("num_labels", 2) : int64_t(c.id2label.size());

  for (auto [key, value] : {std::pair{"vocab_size", c.vocab_size}, {"hidden_size", c.hidden_size},
                            {"intermediate_size", c.intermediate_size},
                            {"num_hidden_layers", c.num_hidden_layers},
                            {"num_attention_heads", c.num_attention_heads},
                            {"global_attn_every_n_layers", c.global_attn_every_n_layers},
                            {"local_attention", c.local_attention}, {"num_labels", c.num_labels}})
    r.require(value > 0, key, "must be positive, got " + std::to_string(value));
  r.require(c.hidden_size % c.num_attention_heads == 0, "hidden_size",
            "(" + std::to_string(c.hidden_size) + ") must be divisible by num_attention_heads (" +
                std::to_string(c.num_attention_heads) + ")");
  r.require((c.hidden_size / c.num_attention_heads) % 2 == 0, "hidden_size",
            "/ num_attention_heads must be even for rotary embeddings");
  r.require(c.classifier_pooling == "cls" || c.classifier_pooling == "mean", "classifier_pooling",
            "must be 'cls' or 'mean', got '" + c.classifier_pooling + "'");
  for (auto [key, name] : {std::pair{"hidden_activation", c.hidden_activation},
                           {"classifier_activation", c.classifier_activation}}) {
    try {
      ops::activation_from_name(name);
    } catch (const Error&) {
      r.fail(key, "'" + name + "' is not a known activation");
    }
  }
  return c;
}

ModernBertConfig ModernBertConfig::from_file(const std::filesystem::path& path) {
  return from_json(read_config_json(path), path.string());
}

}  // namespace transformers::models::modernbert
