#pragma once
// Phi-3, as Hugging Face's modeling_phi3.py: Phi3Model and Phi3ForCausalLM.
#include <memory>
#include <vector>

#include "transformers/models/modeling_utils.h"
#include "transformers/models/phi3/configuration_phi3.h"
#include "transformers/nn/modules.h"
#include "transformers/nn/rotary.h"

namespace transformers::models::phi3 {

struct Phi3MLP {
  int64_t intermediate_size;
  nn::Linear gate_up_proj, down_proj;
  nn::Activation activation_fn;

  Phi3MLP(const Phi3Config& config, const nn::WeightScope& w);
  Tensor forward(const Tensor& hidden_states) const;
};

// Rotary embedding with Hugging Face's longrope switch (modeling_rope_utils.py
// dynamic_rope_update): a call whose largest position id + 1 exceeds
// original_max_position_embeddings uses long_factor, any other call short_factor. Other rope
// types are nn::RotaryEmbedding as is.
class Phi3RotaryEmbedding {
 public:
  explicit Phi3RotaryEmbedding(const Phi3Config& config);
  // position_ids [batch, seq] -> cos, sin [batch, seq, rotary dims]
  std::pair<Tensor, Tensor> forward(const Tensor& position_ids);

 private:
  bool longrope_;
  int64_t original_max_position_embeddings_;
  nn::RotaryEmbedding short_rope_, long_rope_;
};

struct Phi3Attention {
  int64_t layer_idx, head_dim, num_attention_heads, num_key_value_heads, sliding_window;
  double scaling;
  nn::Linear qkv_proj, o_proj;

  Phi3Attention(const Phi3Config& config, const nn::WeightScope& w, int64_t layer_idx);
  Tensor forward(const Tensor& hidden_states, const std::pair<Tensor, Tensor>& position_embeddings,
                 const Tensor& attention_mask, nn::KVCache* past_key_values) const;
};

struct Phi3DecoderLayer {
  Phi3Attention self_attn;
  Phi3MLP mlp;
  nn::RMSNorm input_layernorm, post_attention_layernorm;

  Phi3DecoderLayer(const Phi3Config& config, const nn::WeightScope& w, int64_t layer_idx);
  Tensor forward(const Tensor& hidden_states, const std::pair<Tensor, Tensor>& position_embeddings,
                 const Tensor& attention_mask, nn::KVCache* past_key_values) const;
};

struct Phi3Model {
  nn::Embedding embed_tokens;
  std::vector<Phi3DecoderLayer> layers;
  nn::RMSNorm norm;
  Phi3RotaryEmbedding rotary_emb;

  Phi3Model(const Phi3Config& config, const nn::WeightScope& w);
  // Returns the last hidden state (after the final norm); fills all_hidden_states when given.
  Tensor forward(const CausalLMInputs& inputs, std::vector<Tensor>* all_hidden_states);
};

class Phi3ForCausalLM : public CausalLM {
 public:
  static constexpr const char* kBaseModelPrefix = "model";

  Phi3ForCausalLM(Phi3Config config, std::shared_ptr<nn::WeightStore> store);
  static std::unique_ptr<Phi3ForCausalLM> from_pretrained(const std::filesystem::path& model_dir,
                                                          const LoadOptions& options = {});

  CausalLMOutput forward(const CausalLMInputs& inputs) override;
  std::unique_ptr<nn::KVCache> make_cache(int64_t max_cache_len = 0) const override;
  std::unique_ptr<nn::KVCache> make_sliding_window_cache(int64_t max_cache_len) const override;
  bool recompute_cache(int64_t past, int64_t total) const override;
  int64_t vocab_size() const override { return config_.vocab_size; }
  const PretrainedConfig& config() const override { return config_; }
  const std::vector<std::pair<std::string, Tensor>>& named_parameters() const override {
    return store_->parameters();
  }

 private:
  Phi3Config config_;
  std::shared_ptr<nn::WeightStore> store_;

 public:
  Phi3Model model;
  nn::Linear lm_head;
};

}  // namespace transformers::models::phi3
