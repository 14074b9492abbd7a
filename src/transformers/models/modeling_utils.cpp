#include "transformers/models/modeling_utils.h"

#include "transformers/core/error.h"

namespace transformers::models {

Tensor find_named(const NamedTensors& tensors, const std::string& name) {
  for (const auto& [n, t] : tensors)
    if (n == name) return t;
  return Tensor();
}

Tensor prepare_position_ids(const CausalLMInputs& inputs) {
  const Tensor& ids = inputs.input_ids;
  TFM_CHECK(ids.defined() && ids.dim() == 2 && !is_floating(ids.dtype()),
            "[forward] input_ids must be an integer [batch, seq] tensor, got ",
            ids.defined() ? std::string(dtype_name(ids.dtype())) + " " + shape_str(ids.shape()) : "none");
  const int64_t past = inputs.past_key_values ? inputs.past_key_values->seq_length() : 0;
  const int64_t batch = ids.size(0), seq = ids.size(1);
  if (inputs.attention_mask.defined())
    TFM_CHECK(inputs.attention_mask.dim() == 2 && inputs.attention_mask.size(0) == batch &&
                  inputs.attention_mask.size(1) == past + seq,
              "[forward] attention_mask must be [", batch, ", ", past + seq, "], got ",
              shape_str(inputs.attention_mask.shape()));
  Tensor position_ids = inputs.position_ids;
  if (!position_ids.defined())
    position_ids = Tensor::arange(past, past + seq).unsqueeze(0).expand({batch, seq}).contiguous();
  TFM_CHECK(position_ids.dim() == 2 && position_ids.size(0) == batch && position_ids.size(1) == seq,
            "[forward] position_ids must be [", batch, ", ", seq, "], got ", shape_str(position_ids.shape()));
  return position_ids;
}

NamedTensors CausalLM::forward_named(const NamedTensors& inputs, bool output_hidden_states) {
  for (const auto& [name, t] : inputs)
    TFM_CHECK(name == "input_ids" || name == "attention_mask" || name == "position_ids",
              "[forward] ", config().architectures.empty() ? "model" : config().architectures[0],
              " takes input_ids, attention_mask and position_ids, not '", name, "'");
  CausalLMInputs in;
  in.input_ids = find_named(inputs, "input_ids");
  TFM_CHECK(in.input_ids.defined(), "[forward] input_ids is required");
  in.attention_mask = find_named(inputs, "attention_mask");
  in.position_ids = find_named(inputs, "position_ids");
  in.output_hidden_states = output_hidden_states;
  CausalLMOutput out = forward(in);
  NamedTensors result{{"logits", out.logits}};
  for (size_t i = 0; i < out.hidden_states.size(); ++i)
    result.emplace_back("hidden_states." + std::to_string(i), out.hidden_states[i]);
  return result;
}

std::shared_ptr<nn::WeightStore> open_weights(const std::filesystem::path& model_dir,
                                              const LoadOptions& options, double initializer_range) {
  if (options.random_weights) return nn::WeightStore::random(options.seed, initializer_range, options.dtype);
  return nn::WeightStore::from_checkpoint(model_dir, options.dtype);
}

}  // namespace transformers::models
