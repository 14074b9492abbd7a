#pragma once
// The model interfaces every architecture implements, and how a model folder is loaded.
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "transformers/core/tensor.h"
#include "transformers/models/configuration_utils.h"
#include "transformers/nn/cache.h"
#include "transformers/nn/weights.h"

namespace transformers::models {

// Named tensors in order (HF forward argument names in, HF output field names out).
using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

// Finds a tensor by name (undefined Tensor when absent).
Tensor find_named(const NamedTensors& tensors, const std::string& name);

struct LoadOptions {
  DType dtype = DType::Float32;  // compute/storage dtype of floating weights
  // Random weights (nothing read from disk): tests, `transformers bench --config`, demo.
  bool random_weights = false;
  uint64_t seed = 0;
};

class PreTrainedModel {
 public:
  virtual ~PreTrainedModel() = default;
  virtual const PretrainedConfig& config() const = 0;
  // Runs the HF forward() on named inputs (input_ids, attention_mask, ...) and returns every
  // output field under its HF name, plus hidden_states.N when output_hidden_states.
  virtual NamedTensors forward_named(const NamedTensors& inputs, bool output_hidden_states) = 0;
  // Every parameter by HF key (save_pretrained, optimizers).
  virtual const std::vector<std::pair<std::string, Tensor>>& named_parameters() const = 0;
};

struct CausalLMOutput {
  Tensor logits;                      // [batch, seq (or logits_to_keep), vocab]
  std::vector<Tensor> hidden_states;  // when requested: embeddings, then each layer's output
};

struct CausalLMInputs {
  Tensor input_ids;       // [batch, seq] integer
  Tensor attention_mask;  // [batch, past + seq] 0/1, or undefined (all ones)
  Tensor position_ids;    // [batch, seq], or undefined (past .. past + seq - 1)
  nn::KVCache* past_key_values = nullptr;
  bool output_hidden_states = false;
  // > 0: compute logits only for the last N positions (generation needs 1).
  int64_t logits_to_keep = 0;
};

// Checks a causal LM's inputs (integer [batch, seq] input_ids; attention_mask [batch, past + seq])
// and returns the position ids, Hugging Face's default when none are given: the cache positions
// past .. past + seq - 1, shared by the batch.
Tensor prepare_position_ids(const CausalLMInputs& inputs);

class CausalLM : public PreTrainedModel {
 public:
  virtual CausalLMOutput forward(const CausalLMInputs& inputs) = 0;
  // A fresh cache for this model (max_cache_len > 0: a static cache of that many tokens).
  virtual std::unique_ptr<nn::KVCache> make_cache(int64_t max_cache_len = 0) const = 0;
  // Hugging Face's SlidingWindowCache for this model (cache_implementation "sliding_window") for
  // max_cache_len tokens; null when the config gives no layer a sliding window.
  virtual std::unique_ptr<nn::KVCache> make_sliding_window_cache(int64_t max_cache_len) const {
    (void)max_cache_len;
    return nullptr;
  }
  virtual int64_t vocab_size() const = 0;
  // Generation asks before each step with a cache holding `past` of `total` tokens: true drops
  // the cache so the whole sequence is run again (HF models that override
  // prepare_inputs_for_generation to invalidate it, e.g. Phi-3's longrope switch).
  virtual bool recompute_cache(int64_t past, int64_t total) const {
    (void)past, (void)total;
    return false;
  }

  NamedTensors forward_named(const NamedTensors& inputs, bool output_hidden_states) override;
};

// Opens a model folder's weights for `options` (checkpoint or random init).
std::shared_ptr<nn::WeightStore> open_weights(const std::filesystem::path& model_dir,
                                              const LoadOptions& options, double initializer_range);

}  // namespace transformers::models
