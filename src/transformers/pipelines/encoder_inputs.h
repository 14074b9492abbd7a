#pragma once
// Tokenized text -> the named tensors an encoder's forward takes, as Hugging Face's pipelines
// build them: the tokenizer's model_input_names only, padded to the batch's longest row.
#include <string>
#include <vector>

#include "transformers/models/modeling_utils.h"
#include "transformers/tokenizers/auto_tokenizer.h"

namespace transformers::pipelines {

// tokenizer_config.json's "model_input_names", else the tokenizer class's (HF class attribute),
// else PreTrainedTokenizerFast's default (input_ids, token_type_ids, attention_mask).
std::vector<std::string> model_input_names(const tok::PreTrainedTokenizer& tokenizer);

// Rows of a BatchEncoding (already padded to one length) as int64 [rows, seq] tensors, named
// by `names` (token_type_ids is left out when absent from names).
models::NamedTensors to_model_inputs(const tok::BatchEncoding& batch, const std::vector<std::string>& names);

// Each input's encoding followed, when `overflowing`, by the windows truncation cut off (HF's
// row order for return_overflowing_tokens; without it HF drops them); `sample` (when given)
// gets the input index of each row.
std::vector<const tok::Encoding*> flatten_windows(const std::vector<tok::Encoding>& encodings, bool overflowing,
                                                  std::vector<size_t>* sample = nullptr);

// Rows of any lengths -> int64 [rows, longest] tensors named by `names`, padded on the right with
// `pad_id` (attention 0, token type 0): each row's outputs equal an unpadded run of that row
// alone, which is what HF's pipelines compute with their default batch_size 1.
models::NamedTensors to_model_inputs(const std::vector<const tok::Encoding*>& rows,
                                     const std::vector<std::string>& names, int32_t pad_id);

// Runs `model` on `inputs` without autograd and returns the named output (error naming `task`
// and what it needs when the model has no such output).
Tensor forward_output(models::PreTrainedModel& model, const models::NamedTensors& inputs, const std::string& name,
                      const std::string& task);
// The same for several outputs of one forward pass, in the order of `names`.
std::vector<Tensor> forward_outputs(models::PreTrainedModel& model, const models::NamedTensors& inputs,
                                    const std::vector<std::string>& names, const std::string& task);

// Softmax / sigmoid in double, as the pipelines' numpy post-processing does.
std::vector<double> softmax(const std::vector<double>& logits);
std::vector<double> sigmoid(const std::vector<double>& logits);

}  // namespace transformers::pipelines
