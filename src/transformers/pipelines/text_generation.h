#pragma once
// pipeline("text-generation"): prompt text or chat messages in, generated text out, as Hugging
// Face's TextGenerationPipeline (tokenize -> generate -> decode).
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "transformers/generation/utils.h"
#include "transformers/models/modeling_utils.h"
#include "transformers/templates/chat_template.h"
#include "transformers/tokenizers/auto_tokenizer.h"

namespace transformers::pipelines {

struct ChatMessage {
  std::string role;
  std::string content;
};

struct TextGenerationOptions {
  std::optional<int64_t> max_new_tokens;
  bool return_full_text = true;  // prompt + completion (HF default), else the completion only
  std::optional<bool> do_sample;
  std::optional<double> temperature, top_p, repetition_penalty;
  std::optional<int64_t> top_k, num_beams, num_return_sequences;
  std::optional<uint64_t> seed;
  std::vector<std::string> stop_strings;  // stop once the text ends with one of these
  std::optional<std::string> cache_implementation;  // GenerationConfig::cache_implementation
  // HF's pipeline decodes with clean_up_tokenization_spaces=True whatever tokenizer_config says
  // (" ." -> ".", " n't" -> "n't", ...).
  bool clean_up_tokenization_spaces = true;
  // Chat input: continue the final message instead of starting a new assistant turn (HF's
  // "prefill"). Unset: when the final message is the assistant's, as HF decides.
  std::optional<bool> continue_final_message;
  // Ours, not HF's: keep the KV cache from one call to the next and feed only the tokens after
  // the longest prefix this prompt shares with the previous sequence, so a chat turn does not
  // process the whole conversation again. Greedy search and sampling with one sequence, models
  // whose default cache can rewind (not Gemma2/Gemma3's rolling one) and whose rotary frequencies
  // do not depend on the sequence's length (not dynamic NTK or Phi-3's LongRoPE), no
  // cache_implementation; otherwise ignored. Logits equal a fresh call's up to float rounding.
  bool reuse_kv_cache = false;
  // Called with each new piece of the completion as it is generated; the pieces add up to the
  // completion. A piece holds no unfinished character (a run of byte-fallback tokens waits for
  // its end) and no space that the clean-up may still remove. Greedy search and sampling with
  // one sequence only, as HF's streamer.
  std::function<void(const std::string& text)> streamer;
};

struct GeneratedText {
  // String input: prompt + completion (return_full_text) or the completion. Chat input: the
  // completion (HF's return_full_text=False value; the full conversation is `messages`).
  std::string generated_text;
  // Chat input: the conversation with the reply, a new assistant message or, when continuing
  // the final message, appended to it (HF's return_full_text value).
  std::vector<ChatMessage> messages;
};

class TextGenerationPipeline {
 public:
  // A model folder (or a Hub id already resolved to one) with tokenizer files.
  static std::unique_ptr<TextGenerationPipeline> from_pretrained(const std::filesystem::path& model_dir,
                                                                 const models::LoadOptions& options = {});

  std::vector<GeneratedText> operator()(const std::string& prompt, const TextGenerationOptions& options = {});
  // Chat input: the tokenizer's chat template renders the conversation with a generation prompt.
  std::vector<GeneratedText> operator()(const std::vector<ChatMessage>& messages,
                                        const TextGenerationOptions& options = {});

  const tok::PreTrainedTokenizer& tokenizer() const { return *tokenizer_; }
  models::CausalLM& model() { return *model_; }
  // The folder's chat templates, compiled on first use as HF compiles them in
  // apply_chat_template: a broken template fails chats only, never plain prompts. Throws when the
  // tokenizer has none or a template does not compile.
  const templates::ChatTemplateSet& chat_templates();
  // The folder's generation_config.json (with the model config's token ids), before options.
  const generation::GenerationConfig& generation_config() const { return generation_config_; }
  // reuse_kv_cache: how many prompt tokens the last call took from the kept cache (0: none).
  int64_t reused_tokens() const { return reused_tokens_; }

 private:
  std::vector<std::vector<int64_t>> generate_ids(const std::vector<int32_t>& prompt_ids,
                                                 const TextGenerationOptions& options);

  std::unique_ptr<models::CausalLM> model_;
  std::unique_ptr<tok::PreTrainedTokenizer> tokenizer_;
  generation::GenerationConfig generation_config_;
  templates::ChatTemplateConfig chat_config_;
  std::optional<templates::ChatTemplateSet> chat_templates_;
  // reuse_kv_cache: the cache, and the tokens it holds.
  std::unique_ptr<nn::KVCache> kept_cache_;
  std::vector<int64_t> kept_ids_;
  int64_t reused_tokens_ = 0;
};

// Streams the completion as the pipeline defines it (the prompt's last tokens and the new tokens
// decoded together, the decoded prompt's characters cut off), holding back what a later token
// can still change: an unfinished character (U+FFFD at the end, or a run of byte-fallback
// tokens) and, with clean-up, a space that a clean-up rule may still remove.
class TextStreamDecoder {
 public:
  TextStreamDecoder(const tok::PreTrainedTokenizer& tokenizer, std::vector<int32_t> prompt_ids, bool clean_up);
  std::string push(int32_t token);
  std::string finish();

 private:
  std::string emit(bool final);

  const tok::PreTrainedTokenizer& tokenizer_;
  std::vector<int32_t> ids_;  // the prompt's last tokens, then the new tokens
  size_t prompt_chars_;
  bool clean_up_;
  size_t emitted_ = 0;  // bytes of the completion already emitted
};

}  // namespace transformers::pipelines
