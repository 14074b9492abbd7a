#include "transformers/pipelines/text_generation.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "transformers/core/error.h"
#include "transformers/models/auto/modeling_auto.h"
#include "transformers/models/configuration_utils.h"
#include "transformers/tokenizers/unicode.h"

namespace transformers::pipelines {

std::unique_ptr<TextGenerationPipeline> TextGenerationPipeline::from_pretrained(
    const std::filesystem::path& model_dir, const models::LoadOptions& options) {
  auto p = std::unique_ptr<TextGenerationPipeline>(new TextGenerationPipeline());
  p->model_ = models::AutoModelForCausalLM::from_pretrained(model_dir, options);
  p->tokenizer_ = std::make_unique<tok::PreTrainedTokenizer>(tok::AutoTokenizer::from_pretrained(model_dir));
  p->generation_config_ = generation::GenerationConfig::from_model_dir(model_dir, p->model_->config());
  p->chat_config_ = templates::load_chat_template_config(model_dir, *p->tokenizer_);
  return p;
}

const templates::ChatTemplateSet& TextGenerationPipeline::chat_templates() {
  TFM_CHECK(!chat_config_.templates.empty(), "[text-generation] this model's tokenizer has no chat template");
  if (!chat_templates_) chat_templates_.emplace(chat_config_);
  return *chat_templates_;
}

namespace {
// Dynamic NTK and LongRoPE (Phi-3's rope_scaling, whatever its name) rotate by frequencies that
// depend on the sequence's length: keys kept from an earlier call are not those a fresh call
// would compute.
bool rotations_depend_on_length(const models::PretrainedConfig& config) {
  if (!config.raw_json) return false;
  const nlohmann::json& j = *config.raw_json;
  if (config.model_type == "phi3") return j.contains("rope_scaling") && j["rope_scaling"].is_object();
  const std::string type = models::ConfigReader(j, "config.json").rope_parameters(2, 0).rope_type;
  return type == "dynamic" || type == "longrope";
}
}  // namespace

std::vector<std::vector<int64_t>> TextGenerationPipeline::generate_ids(const std::vector<int32_t>& prompt_ids,
                                                                       const TextGenerationOptions& o) {
  generation::GenerationConfig config = generation_config_;
  // HF's pipeline generates up to max_new_tokens when neither is configured: its default
  // max_length of 20 counts the prompt.
  if (o.max_new_tokens) config.max_new_tokens = *o.max_new_tokens;
  if (o.do_sample) config.do_sample = *o.do_sample;
  if (o.temperature) config.temperature = *o.temperature;
  if (o.top_p) config.top_p = *o.top_p;
  if (o.top_k) config.top_k = *o.top_k;
  if (o.repetition_penalty) config.repetition_penalty = *o.repetition_penalty;
  if (o.cache_implementation) config.cache_implementation = *o.cache_implementation;
  if (o.num_beams) config.num_beams = *o.num_beams;
  if (o.num_return_sequences) config.num_return_sequences = *o.num_return_sequences;
  if (o.seed) config.seed = *o.seed;
  if (!o.stop_strings.empty()) config.stop_strings = o.stop_strings;
  std::vector<int64_t> ids(prompt_ids.begin(), prompt_ids.end());
  // HF: an empty prompt generates from bos_token_id (no input_ids; prompt length 0).
  if (ids.empty()) {
    TFM_CHECK(config.bos_token_id, "[text-generation] the prompt encodes to no tokens and the model has no "
              "bos_token_id to start from");
    ids.push_back(*config.bos_token_id);
  }
  Tensor input = Tensor::from_vector(ids, {1, int64_t(ids.size())});
  generation::TokenCallback on_tokens;
  std::unique_ptr<TextStreamDecoder> stream;
  // As HF's generate ("`streamer` cannot be used with beam search") and TextStreamer (batch size 1).
  TFM_CHECK(!o.streamer || (config.num_beams == 1 && config.num_return_sequences == 1),
            "[text-generation] a streamer cannot be used with beam search or several sequences per prompt");
  if (o.streamer) {
    stream = std::make_unique<TextStreamDecoder>(*tokenizer_, prompt_ids, o.clean_up_tokenization_spaces);
    on_tokens = [&](const std::vector<int64_t>& next) {
      std::string piece = stream->push(int32_t(next[0]));
      if (!piece.empty()) o.streamer(piece);
    };
  }
  generation::GenerateHooks hooks;
  hooks.on_tokens = on_tokens;
  hooks.decode = [this](const std::vector<int64_t>& t) {
    return tokenizer_->decode(std::vector<int32_t>(t.begin(), t.end()), /*skip_special_tokens=*/false);
  };
  const bool reuse = o.reuse_kv_cache && config.use_cache && config.num_beams == 1 &&
                     config.num_return_sequences == 1 && !config.cache_implementation &&
                     !config.prompt_lookup_num_tokens && !rotations_depend_on_length(model_->config());
  reused_tokens_ = 0;
  if (reuse) {
    if (!kept_cache_) kept_cache_ = model_->make_cache();
    if (dynamic_cast<nn::DynamicCache*>(kept_cache_.get())) {
      // The shared prefix, short of the whole prompt: the last prompt token is fed for its logits.
      size_t shared = 0;
      const size_t limit = std::min(kept_ids_.size(), ids.size() - 1);
      while (shared < limit && kept_ids_[shared] == ids[shared]) ++shared;
      kept_cache_->crop(int64_t(shared));
      reused_tokens_ = int64_t(shared);
      kept_ids_.clear();  // until generate() succeeds, the cache's contents are unknown
      hooks.past_key_values = kept_cache_.get();
    }
  }
  generation::GenerateOutput out = generation::generate(*model_, input, Tensor(), config, hooks);
  if (hooks.past_key_values)
    kept_ids_.assign(out.sequences[0].begin(), out.sequences[0].begin() + kept_cache_->seq_length());
  if (stream) {
    std::string rest = stream->finish();
    if (!rest.empty()) o.streamer(rest);
  }
  return out.sequences;
}

namespace {
std::vector<int32_t> to_int32(const std::vector<int64_t>& v) { return std::vector<int32_t>(v.begin(), v.end()); }

// The byte offset of character `chars` in valid UTF-8 (its size when shorter): Python slices
// the decoded text by characters.
size_t char_offset(const std::string& text, size_t chars) {
  size_t i = 0;
  for (; i < text.size() && chars > 0; --chars) {
    i += tok::unicode::char_len(static_cast<unsigned char>(text[i]));
  }
  return std::min(i, text.size());
}

// HF's postprocess: decode the whole sequence and cut the decoded prompt's characters off its
// front (so that a tokenizer's leading-space handling applies as it did to the prompt).
std::string completion(const tok::PreTrainedTokenizer& tokenizer, const std::vector<int64_t>& sequence,
                       size_t prompt_chars, bool clean_up) {
  const std::string text = tokenizer.decode(to_int32(sequence), /*skip_special_tokens=*/true, clean_up);
  return text.substr(char_offset(text, prompt_chars));
}

size_t decoded_chars(const tok::PreTrainedTokenizer& tokenizer, const std::vector<int32_t>& ids, bool clean_up) {
  return tok::unicode::count_chars(tokenizer.decode(ids, /*skip_special_tokens=*/true, clean_up));
}
}  // namespace

std::vector<GeneratedText> TextGenerationPipeline::operator()(const std::string& prompt,
                                                              const TextGenerationOptions& o) {
  std::vector<int32_t> prompt_ids = tokenizer_->encode_ids(prompt, /*add_special_tokens=*/true);
  const size_t prompt_chars = decoded_chars(*tokenizer_, prompt_ids, o.clean_up_tokenization_spaces);
  std::vector<GeneratedText> results;
  for (const auto& seq : generate_ids(prompt_ids, o)) {
    std::string text = completion(*tokenizer_, seq, prompt_chars, o.clean_up_tokenization_spaces);
    results.push_back({o.return_full_text ? prompt + text : text, {}});
  }
  return results;
}

std::vector<GeneratedText> TextGenerationPipeline::operator()(const std::vector<ChatMessage>& messages,
                                                              const TextGenerationOptions& o) {
  TFM_CHECK(!messages.empty(), "[text-generation] a chat needs at least one message");
  std::vector<templates::Value> items;
  for (const ChatMessage& m : messages) {
    templates::Value msg = templates::Value::dict();
    msg.as_dict().set("role", m.role);
    msg.as_dict().set("content", m.content);
    items.push_back(msg);
  }
  templates::Value list = templates::Value::list(std::move(items));
  // HF: a chat that ends with the assistant's message is a prefill to continue, by default.
  const bool continue_final = o.continue_final_message.value_or(messages.back().role == "assistant");
  templates::ChatTemplateOptions chat_options;
  chat_options.add_generation_prompt = !continue_final;
  chat_options.continue_final_message = continue_final;
  std::string rendered = chat_templates().select(false).apply(list, chat_options).rendered;
  // The template already holds the special tokens (HF: add_special_tokens=False for chats).
  std::vector<int32_t> prompt_ids = tokenizer_->encode_ids(rendered, /*add_special_tokens=*/false);
  const size_t prompt_chars = decoded_chars(*tokenizer_, prompt_ids, o.clean_up_tokenization_spaces);
  std::vector<GeneratedText> results;
  for (const auto& seq : generate_ids(prompt_ids, o)) {
    GeneratedText r;
    r.generated_text = completion(*tokenizer_, seq, prompt_chars, o.clean_up_tokenization_spaces);
    r.messages = messages;
    if (continue_final)
      r.messages.back().content += r.generated_text;
    else
      r.messages.push_back({"assistant", r.generated_text});
    results.push_back(std::move(r));
  }
  return results;
}

// Only the prompt's last tokens are decoded with the new ones, so each step stays short however
// long the conversation is. The window starts where decoding can start afresh: not inside a run
// of byte-fallback tokens (a run is decoded as a whole, and becomes U+FFFD throughout when it is
// not valid UTF-8), and with some text in it, so that a decoder's strip of the first space falls
// inside the window rather than on the completion. At least kPromptContextTokens tokens.
constexpr size_t kPromptContextTokens = 8;

namespace {
// A byte-fallback piece: "<0xNN>".
bool is_byte_token(const tok::PreTrainedTokenizer& tokenizer, int32_t id) {
  const std::string token = tokenizer.convert_ids_to_tokens({id})[0];
  return token.size() == 6 && token.compare(0, 3, "<0x") == 0 && token[5] == '>';
}

std::vector<int32_t> decoding_window(const tok::PreTrainedTokenizer& tokenizer, const std::vector<int32_t>& prompt,
                                     bool clean_up) {
  size_t start = prompt.size() - std::min(prompt.size(), kPromptContextTokens);
  while (start > 0 && is_byte_token(tokenizer, prompt[start])) --start;
  while (start > 0 && tokenizer.decode({prompt.begin() + int64_t(start), prompt.end()}, true, clean_up).empty())
    --start;
  return {prompt.begin() + int64_t(start), prompt.end()};
}
}  // namespace

TextStreamDecoder::TextStreamDecoder(const tok::PreTrainedTokenizer& tokenizer, std::vector<int32_t> prompt_ids,
                                     bool clean_up)
    : tokenizer_(tokenizer),
      ids_(decoding_window(tokenizer, prompt_ids, clean_up)),
      prompt_chars_(decoded_chars(tokenizer, ids_, clean_up)),
      clean_up_(clean_up) {}

std::string TextStreamDecoder::push(int32_t token) {
  ids_.push_back(token);
  // A run of byte tokens may still turn out not to be UTF-8, and then decodes to U+FFFD as a
  // whole: it waits until a token of another kind ends it.
  if (is_byte_token(tokenizer_, token)) return "";
  return emit(/*final=*/false);
}

std::string TextStreamDecoder::finish() { return emit(/*final=*/true); }

std::string TextStreamDecoder::emit(bool final) {
  const std::string text = tokenizer_.decode(ids_, /*skip_special_tokens=*/true, clean_up_);
  size_t end = text.size();
  if (!final) {
    // U+FFFD at the end: a character still waiting for its remaining bytes.
    static const std::string kReplacement = "\xEF\xBF\xBD";
    while (end >= 3 && text.compare(end - 3, 3, kReplacement) == 0) end -= 3;
    // Clean-up removes a space before ".", "?", "!", ",", "' ", "n't", "'m", "'s", "'ve", "'re",
    // and one replacement can make another (" n ' t" -> " n't" -> "n't"): a space within the
    // last kCleanUpReach characters may still go.
    constexpr size_t kCleanUpReach = 8;
    if (clean_up_)
      for (size_t i = end >= kCleanUpReach ? end - kCleanUpReach : 0; i < end; ++i)
        if (text[i] == ' ') {
          end = i;
          break;
        }
  }
  const size_t start = char_offset(text, prompt_chars_);
  if (end <= start + emitted_) return "";
  std::string piece = text.substr(start + emitted_, end - start - emitted_);
  emitted_ = end - start;
  return piece;
}

}  // namespace transformers::pipelines
