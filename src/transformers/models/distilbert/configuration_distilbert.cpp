#include "transformers/models/distilbert/configuration_distilbert.h"

#include <nlohmann/json.hpp>

#include "transformers/core/error.h"
#include "transformers/core/ops.h"

namespace transformers::models::distilbert {

DistilBertConfig DistilBertConfig::from_json(const nlohmann::json& j, const std::string& source) {
  DistilBertConfig c;
  ConfigReader r(j, source);
  c.read_common(j, source);
  if (!r.has("pad_token_id")) c.pad_token_id = 0;
  c.vocab_size = r.get_int("vocab_size", c.vocab_size);
  c.max_position_embeddings = r.get_int("max_position_embeddings", c.max_position_embeddings);
  c.sinusoidal_pos_embds = r.get_bool("sinusoidal_pos_embds", c.sinusoidal_pos_embds);
  c.n_layers = r.get_int("n_layers", c.n_layers);
  c.n_heads = r.get_int("n_heads", c.n_heads);
  c.dim = r.get_int("dim", c.dim);
  c.hidden_dim = r.get_int("hidden_dim", c.hidden_dim);
  c.dropout = r.get_double("dropout", c.dropout);
  c.attention_dropout = r.get_double("attention_dropout", c.attention_dropout);
  c.activation = r.get_string("activation", c.activation);
  c.initializer_range = r.get_double("initializer_range", c.initializer_range);
  c.qa_dropout = r.get_double("qa_dropout", c.qa_dropout);
  c.seq_classif_dropout = r.get_double("seq_classif_dropout", c.seq_classif_dropout);
  c.num_labels = c.id2label.empty() ? r.get_int("num_labels", 2) : int64_t(c.id2label.size());

  for (auto [key, value] : {std::pair{"vocab_size", c.vocab_size}, {"dim", c.dim}, {"n_layers", c.n_layers},
                            {"n_heads", c.n_heads}, {"hidden_dim", c.hidden_dim},
                            {"max_position_embeddings", c.max_position_embeddings}, {"num_labels", c.num_labels}})
    r.require(value > 0, key, "must be positive, got " + std::to_string(value));
  r.require(c.dim % c.n_heads == 0, "dim",
            "(" + std::to_string(c.dim) + ") must be divisible by n_heads (" + std::to_string(c.n_heads) + ")");
  try {
    ops::activation_from_name(c.activation);
  } catch (const Error&) {
    r.fail("activation", "'" + c.activation + "' is not a known activation");
  }
  return c;
}

DistilBertConfig DistilBertConfig::from_file(const std::filesystem::path& path) {
  return from_json(read_config_json(path), path.string());
}

}  // namespace transformers::models::distilbert
