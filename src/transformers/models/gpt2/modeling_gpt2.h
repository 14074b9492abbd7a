#pragma once
// GPT-2, as Hugging Face's modeling_gpt2.py: GPT2Model and GPT2LMHeadModel.
#include <memory>
#include <vector>

#include "transformers/models/gpt2/configuration_gpt2.h"
#include "transformers/models/modeling_utils.h"
#include "transformers/nn/modules.h"

namespace transformers::models::gpt2 {

// Hugging Face's Conv1D (pytorch_utils.py): a linear layer whose weight is stored [in, out]
// (nx = in, nf = out), y = x W + b.
struct Conv1D {
  Tensor weight;    // [nx, nf], as in the checkpoint (what named_parameters() reports)
  Tensor bias;      // [nf]
  Tensor weight_t;  // [nf, nx]: a transposed view of weight (Note [Conv1D layout]), no copy

  Conv1D() = default;
  Conv1D(const nn::WeightScope& w, int64_t nf, int64_t nx);
  Tensor forward(const Tensor& x) const { return ops::linear(x, weight_t, bias); }
  Tensor operator()(const Tensor& x) const { return forward(x); }
};

struct GPT2Attention {
  int64_t layer_idx, num_heads, head_dim, split_size;
  double scaling;
  Conv1D c_attn, c_proj;

  GPT2Attention(const GPT2Config& config, const nn::WeightScope& w, int64_t layer_idx);
  Tensor forward(const Tensor& hidden_states, const Tensor& attention_mask, nn::KVCache* layer_past) const;
};

struct GPT2MLP {
  Conv1D c_fc, c_proj;
  nn::Activation act;

  GPT2MLP(int64_t intermediate_size, const GPT2Config& config, const nn::WeightScope& w);
  Tensor forward(const Tensor& hidden_states) const;
};

struct GPT2Block {
  nn::LayerNorm ln_1;
  GPT2Attention attn;
  nn::LayerNorm ln_2;
  GPT2MLP mlp;

  GPT2Block(const GPT2Config& config, const nn::WeightScope& w, int64_t layer_idx);
  Tensor forward(const Tensor& hidden_states, const Tensor& attention_mask, nn::KVCache* layer_past) const;
};

struct GPT2Model {
  nn::Embedding wte, wpe;
  std::vector<GPT2Block> h;
  nn::LayerNorm ln_f;

  GPT2Model(const GPT2Config& config, const nn::WeightScope& w);
  // Returns the last hidden state (after ln_f); fills all_hidden_states when given.
  Tensor forward(const CausalLMInputs& inputs, std::vector<Tensor>* all_hidden_states) const;
};

class GPT2LMHeadModel : public CausalLM {
 public:
  static constexpr const char* kBaseModelPrefix = "transformer";

  GPT2LMHeadModel(GPT2Config config, std::shared_ptr<nn::WeightStore> store);
  static std::unique_ptr<GPT2LMHeadModel> from_pretrained(const std::filesystem::path& model_dir,
                                                          const LoadOptions& options = {});

  CausalLMOutput forward(const CausalLMInputs& inputs) override;
  std::unique_ptr<nn::KVCache> make_cache(int64_t max_cache_len = 0) const override;
  int64_t vocab_size() const override { return config_.vocab_size; }
  const PretrainedConfig& config() const override { return config_; }
  const std::vector<std::pair<std::string, Tensor>>& named_parameters() const override {
    return store_->parameters();
  }

 private:
  GPT2Config config_;
  std::shared_ptr<nn::WeightStore> store_;

 public:
  GPT2Model transformer;
  nn::Linear lm_head;
};

}  // namespace transformers::models::gpt2
