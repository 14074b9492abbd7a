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

// Softmax / sigmoid in double, as the pipelines' numpy post-processing does.
std::vector<double> softmax(const std::vector<double>& logits);
std::vector<double> sigmoid(const std::vector<double>& logits);

}  // namespace transformers::pipelines
