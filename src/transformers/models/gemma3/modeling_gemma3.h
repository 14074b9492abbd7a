#pragma once
// Gemma3 text, as Hugging Face v4.51's modeling_gemma3.py: Gemma3TextModel and Gemma3ForCausalLM.
#include <memory>
#include <vector>

#include "transformers/models/gemma3/configuration_gemma3.h"
#include "transformers/models/modeling_utils.h"
#include "transformers/nn/modules.h"
#include "transformers/nn/rotary.h"

namespace transformers::models::gemma3 {

// nn.Embedding whose output is multiplied by embed_scale (sqrt(hidden_size)) in the weight's dtype.
struct Gemma3TextScaledWordEmbedding {
  Tensor weight;  // [vocab_size, hidden_size]
  double embed_scale = 1.0;

  Gemma3TextScaledWordEmbedding() = default;
  Gemma3TextScaledWordEmbedding(const nn::WeightScope& w, int64_t num_embeddings, int64_t embedding_dim,
                                double embed_scale);
  Tensor forward(const Tensor& input_ids) const;
  Tensor operator()(const Tensor& input_ids) const { return forward(input_ids); }
};

struct Gemma3MLP {
  nn::Linear gate_proj, up_proj, down_proj;
  nn::Activation act_fn;

  Gemma3MLP(const Gemma3TextConfig& config, const nn::WeightScope& w);
  Tensor forward(const Tensor& x) const;
};

struct Gemma3Attention {
  int64_t layer_idx, head_dim, num_key_value_groups;
  double scaling;
  int64_t sliding_window;  // 0: global attention
  nn::Linear q_proj, k_proj, v_proj, o_proj;
  nn::RMSNorm q_norm, k_norm;  // per head, over head_dim, (1 + w)

  Gemma3Attention(const Gemma3TextConfig& config, const nn::WeightScope& w, int64_t layer_idx);
  // HF sets sliding_window exactly for the sliding layers (and the config requires it positive).
  bool is_sliding() const { return sliding_window > 0; }
  Tensor forward(const Tensor& hidden_states, const std::pair<Tensor, Tensor>& position_embeddings,
                 const Tensor& attention_mask, nn::KVCache* past_key_values) const;
};

struct Gemma3DecoderLayer {
  Gemma3Attention self_attn;
  Gemma3MLP mlp;
  nn::RMSNorm input_layernorm, post_attention_layernorm;
  nn::RMSNorm pre_feedforward_layernorm, post_feedforward_layernorm;

  Gemma3DecoderLayer(const Gemma3TextConfig& config, const nn::WeightScope& w, int64_t layer_idx);
  // Sliding layers take position_embeddings_local, global ones position_embeddings_global.
  Tensor forward(const Tensor& hidden_states, const std::pair<Tensor, Tensor>& position_embeddings_global,
                 const std::pair<Tensor, Tensor>& position_embeddings_local, const Tensor& attention_mask,
                 nn::KVCache* past_key_values) const;
};

struct Gemma3TextModel {
  Gemma3TextScaledWordEmbedding embed_tokens;
  std::vector<Gemma3DecoderLayer> layers;
  nn::RMSNorm norm;
  nn::RotaryEmbedding rotary_emb;        // rope_theta + rope_scaling (global layers)
  nn::RotaryEmbedding rotary_emb_local;  // rope_local_base_freq, default rope (sliding layers)

  Gemma3TextModel(const Gemma3TextConfig& config, const nn::WeightScope& w);
  // Returns the last hidden state (after the final norm); fills all_hidden_states when given.
  Tensor forward(const CausalLMInputs& inputs, std::vector<Tensor>* all_hidden_states);
};

class Gemma3ForCausalLM : public CausalLM {
 public:
  static constexpr const char* kBaseModelPrefix = "model";

  Gemma3ForCausalLM(Gemma3TextConfig config, std::shared_ptr<nn::WeightStore> store);
  static std::unique_ptr<Gemma3ForCausalLM> from_pretrained(const std::filesystem::path& model_dir,
                                                             const LoadOptions& options = {});

  CausalLMOutput forward(const CausalLMInputs& inputs) override;
  std::unique_ptr<nn::KVCache> make_cache(int64_t max_cache_len = 0) const override;
  int64_t vocab_size() const override { return config_.vocab_size; }
  const PretrainedConfig& config() const override { return config_; }
  const std::vector<std::pair<std::string, Tensor>>& named_parameters() const override {
    return store_->parameters();
  }

 private:
  Gemma3TextConfig config_;
  std::shared_ptr<nn::WeightStore> store_;

 public:
  Gemma3TextModel model;
  nn::Linear lm_head;
};

}  // namespace transformers::models::gemma3
