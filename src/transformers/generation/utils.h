#pragma once
// generate(): Hugging Face's GenerationMixin for decoder-only models — greedy search,
// multinomial sampling and beam search, with or without a KV cache, on left-padded batches.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "transformers/core/tensor.h"
#include "transformers/generation/configuration_utils.h"
#include "transformers/models/modeling_utils.h"

namespace transformers::generation {

struct GenerateOutput {
  // Prompt (including its padding) + new tokens, one row per returned sequence; rows that stop
  // early are filled as Hugging Face returns them (greedy and sampling: pad_token_id; beam search:
  // `pad_token_id or eos_token_id[0]`, -1 without an eos token; docs/generation.md).
  std::vector<std::vector<int64_t>> sequences;
  // Beam search only: each returned sequence's score (sum of log-probabilities of the new tokens
  // divided by their count ** length_penalty, the stopping token included), float32 as in HF.
  std::vector<double> sequences_scores;
  // HF's `scores` (config.output_scores): per step, one row per running sequence (greedy and
  // sampling: per batch row; beam search: per running beam, batch * num_beams), the vocabulary's
  // scores after the logits processors (and warpers when sampling); beam search processes
  // log-probabilities. Assisted decoding: one entry per accepted token.
  std::vector<std::vector<std::vector<float>>> scores;
  // HF's `logits` (config.output_logits): the same steps' raw logits, as float32.
  std::vector<std::vector<std::vector<float>>> logits;
  // Beam search: for each returned sequence and new token, the running beam (batch index *
  // num_beams + beam) it came from, i.e. its row in `scores`; -1 after the sequence's end (HF's
  // beam_indices).
  std::vector<std::vector<int64_t>> beam_indices;
};

// Called after each step with the new token of each row (greedy and sampling): streaming.
using TokenCallback = std::function<void(const std::vector<int64_t>& next_tokens)>;

// Decodes token ids to text (a tokenizer's decode); needed for config.stop_strings (greedy,
// sampling, beam search and beam sampling).
using TokenDecoder = std::function<std::string(const std::vector<int64_t>& ids)>;

struct GenerateHooks {
  TokenCallback on_tokens;                     // streaming
  models::CausalLM* assistant_model = nullptr; // assisted decoding (see below)
  TokenDecoder decode;                         // stop_strings
  // HF's past_key_values argument: a cache that already holds the first seq_length() tokens of
  // every prompt row (prompt reuse), fewer than the prompt's. generate() feeds the rest and
  // leaves every token of the result but the last in it. Greedy search and sampling with one
  // sequence per prompt; not with config.cache_implementation (HF raises too).
  nn::KVCache* past_key_values = nullptr;
};

// input_ids [batch, seq] integer; attention_mask [batch, seq] 0/1 or undefined (all ones, or
// inferred from padding when the pad token occurs in input_ids and is not an eos token).
GenerateOutput generate(models::CausalLM& model, const Tensor& input_ids, const Tensor& attention_mask,
                        const GenerationConfig& config, const TokenCallback& on_tokens = nullptr);

// Assisted (speculative) greedy decoding: `assistant_model` (a smaller model with the same
// vocabulary) proposes tokens that `model` verifies in one forward pass; or, without an
// assistant, prompt lookup when config.prompt_lookup_num_tokens is set. The result is the one
// greedy search gives. Batch size 1, as Hugging Face requires.
GenerateOutput generate(models::CausalLM& model, const Tensor& input_ids, const Tensor& attention_mask,
                        const GenerationConfig& config, const TokenCallback& on_tokens,
                        models::CausalLM* assistant_model);

GenerateOutput generate(models::CausalLM& model, const Tensor& input_ids, const Tensor& attention_mask,
                        const GenerationConfig& config, const GenerateHooks& hooks);

}  // namespace transformers::generation
