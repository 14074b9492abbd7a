#pragma once
// GenerationConfig: generation_config.json keys with Hugging Face's defaults and precedence
// (model config < generation_config.json < per-call overrides).
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "transformers/models/configuration_utils.h"

namespace transformers::generation {

// Beam search's early_stopping, Hugging Face's three values: true (stop once num_beams hypotheses
// are finished), false (stop when the best running beam, scored at the current length, cannot beat
// the worst finished one) and "never" (the same test scored at max_length when length_penalty > 0:
// the canonical beam search).
struct EarlyStopping {
  enum Value { kFalse, kTrue, kNever };
  Value value = kFalse;

  EarlyStopping(bool b = false) : value(b ? kTrue : kFalse) {}  // NOLINT: true/false as in HF
  // A string literal would convert to bool (true): "never" is EarlyStopping::never().
  EarlyStopping(const char*) = delete;
  static EarlyStopping never() {
    EarlyStopping e;
    e.value = kNever;
    return e;
  }
  bool operator==(const EarlyStopping&) const = default;
  std::string str() const;  // "true", "false" or "never"
};
// true, false or "never" (a JSON value as in generation_config.json); anything else throws.
void from_json(const nlohmann::json& j, EarlyStopping& e);

// The storage a cache_implementation name stands for: "offloaded" -> "dynamic",
// "offloaded_static" -> "static", any other name itself.
std::string cache_storage(const std::string& cache_implementation);

struct GenerationConfig {
  int64_t max_length = 20;                 // prompt + new tokens
  std::optional<int64_t> max_new_tokens;   // wins over max_length when set
  int64_t min_new_tokens = 0;
  bool do_sample = false;
  int64_t num_beams = 1;
  double temperature = 1.0;
  int64_t top_k = 50;
  double top_p = 1.0;
  double repetition_penalty = 1.0;
  // OpenAI-style penalties on the tokens generated so far (not Hugging Face options; used by the
  // server): logit -= presence_penalty * [count > 0] + frequency_penalty * count.
  double presence_penalty = 0.0, frequency_penalty = 0.0;
  // Stop a row once its generated text ends with one of these (needs a token decoder).
  std::vector<std::string> stop_strings;
  std::optional<double> min_p;             // unset / 0 = off
  double typical_p = 1.0;
  double epsilon_cutoff = 0.0, eta_cutoff = 0.0;
  int64_t min_length = 0;                  // prompt + new tokens, before eos is allowed
  int64_t no_repeat_ngram_size = 0;
  std::vector<std::vector<int64_t>> bad_words_ids;
  std::vector<int64_t> suppress_tokens, begin_suppress_tokens;
  std::optional<int64_t> forced_bos_token_id, forced_eos_token_id;
  double length_penalty = 1.0;
  EarlyStopping early_stopping;
  int64_t num_return_sequences = 1;
  bool use_cache = true;
  // Return each step's processed scores / raw logits (GenerateOutput::scores / logits); HF's
  // return_dict_in_generate is implied (the output is always a struct).
  bool output_scores = false, output_logits = false;
  // The KV cache generate() builds (Hugging Face's names): unset = the model's own default (a
  // DynamicCache; Gemma2/Gemma3: their hybrid cache); "dynamic": storage that grows as tokens
  // arrive; "static": storage allocated once for max_length - 1 tokens (HF's StaticCache; the last
  // token is never fed back); "sliding_window": HF's SlidingWindowCache, a buffer of the last
  // min(sliding_window, max_length - 1) keys per layer that rolls (models whose config sets a
  // sliding window: Mistral, Qwen2/Qwen3 with use_sliding_window, Phi-3); "hybrid": the model's
  // sliding-window hybrid cache (Gemma2, Gemma3);
  // "offloaded" / "offloaded_static": HF's GPU-to-CPU offloading variants, here "dynamic" / "static".
  std::optional<std::string> cache_implementation;
  // Assisted decoding (greedy only; the output is identical to greedy search):
  // prompt lookup proposes the continuation of an earlier match of the last n-gram...
  std::optional<int64_t> prompt_lookup_num_tokens;
  int64_t max_matching_ngram_size = 2;
  // ...or a draft model (generate()'s assistant_model) proposes num_assistant_tokens tokens.
  int64_t num_assistant_tokens = 20;
  std::optional<int64_t> pad_token_id, bos_token_id;
  std::vector<int64_t> eos_token_id;
  std::optional<uint64_t> seed;

  // The model's defaults (token ids from config.json), then generation_config.json when present.
  static GenerationConfig from_model_dir(const std::filesystem::path& model_dir,
                                         const models::PretrainedConfig& model_config);
  // Throws "[generate] ..." for values Hugging Face rejects (num_beams < 1, temperature <= 0,
  // an unknown cache_implementation ...).
  void validate() const;
};

}  // namespace transformers::generation
