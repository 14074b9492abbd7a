#pragma once
// GPT-NeoX, as Hugging Face's modeling_gpt_neox.py: GPTNeoXModel and GPTNeoXForCausalLM.
#include <memory>
#include <vector>

#include "transformers/models/gpt_neox/configuration_gpt_neox.h"
#include "transformers/models/modeling_utils.h"
#include "transformers/nn/modules.h"
#include "transformers/nn/rotary.h"

namespace transformers::models::gpt_neox {

struct GPTNeoXMLP {
  nn::Linear dense_h_to_4h, dense_4h_to_h;
  nn::Activation act;

  GPTNeoXMLP(const GPTNeoXConfig& config, const nn::WeightScope& w);
  Tensor forward(const Tensor& hidden_states) const;
};

struct GPTNeoXAttention {
  int64_t layer_idx, head_size;
  double scaling;
  nn::Linear query_key_value, dense;

  GPTNeoXAttention(const GPTNeoXConfig& config, const nn::WeightScope& w, int64_t layer_idx);
  Tensor forward(const Tensor& hidden_states, const Tensor& attention_mask,
                 const std::pair<Tensor, Tensor>& position_embeddings, nn::KVCache* layer_past) const;
};

struct GPTNeoXLayer {
  bool use_parallel_residual;
  nn::LayerNorm input_layernorm, post_attention_layernorm;
  GPTNeoXAttention attention;
  GPTNeoXMLP mlp;

  GPTNeoXLayer(const GPTNeoXConfig& config, const nn::WeightScope& w, int64_t layer_idx);
  Tensor forward(const Tensor& hidden_states, const Tensor& attention_mask,
                 const std::pair<Tensor, Tensor>& position_embeddings, nn::KVCache* layer_past) const;
};

struct GPTNeoXModel {
  nn::Embedding embed_in;
  std::vector<GPTNeoXLayer> layers;
  nn::LayerNorm final_layer_norm;
  nn::RotaryEmbedding rotary_emb;

  GPTNeoXModel(const GPTNeoXConfig& config, const nn::WeightScope& w);
  // Returns the last hidden state (after final_layer_norm); fills all_hidden_states when given.
  Tensor forward(const CausalLMInputs& inputs, std::vector<Tensor>* all_hidden_states);
};

class GPTNeoXForCausalLM : public CausalLM {
 public:
  static constexpr const char* kBaseModelPrefix = "gpt_neox";

  GPTNeoXForCausalLM(GPTNeoXConfig config, std::shared_ptr<nn::WeightStore> store);
  static std::unique_ptr<GPTNeoXForCausalLM> from_pretrained(const std::filesystem::path& model_dir,
                                                             const LoadOptions& options = {});

  CausalLMOutput forward(const CausalLMInputs& inputs) override;
  std::unique_ptr<nn::KVCache> make_cache(int64_t max_cache_len = 0) const override;
  int64_t vocab_size() const override { return config_.vocab_size; }
  const PretrainedConfig& config() const override { return config_; }
  const std::vector<std::pair<std::string, Tensor>>& named_parameters() const override {
    return store_->parameters();
  }

 private:
  GPTNeoXConfig config_;
  std::shared_ptr<nn::WeightStore> store_;

 public:
  GPTNeoXModel gpt_neox;
  nn::Linear embed_out;
};

}  // namespace transformers::models::gpt_neox
