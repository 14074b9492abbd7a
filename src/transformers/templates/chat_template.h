#pragma once
// apply_chat_template with Hugging Face's semantics, and reading a model folder's chat
// templates and special tokens (tokenizer_config.json, chat_template.jinja).
//
//   auto config = templates::load_chat_template_config("path/to/model");
//   templates::ChatTemplate chat(*config.select(std::nullopt, false), config.special_tokens);
//   auto out = chat.apply(templates::parse_json(R"([{"role":"user","content":"Hi"}])"),
//                         {.add_generation_prompt = true});
//   out.rendered;  // the prompt, byte for byte as transformers renders it
//
// Tokenizing the result (HF's tokenize=True) is the tokenizer's job: encode `rendered` without
// adding special tokens. For return_assistant_tokens_mask, pass the token offsets to
// assistant_tokens_mask() with `generation_spans`.
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "transformers/templates/template.h"
#include "transformers/templates/value.h"

namespace transformers::tok {
struct SpecialTokens;
}

namespace transformers::templates {

struct ChatTemplateOptions {
  // The {} initializers let callers name only the options they set ({.tools = ...}) without
  // -Wmissing-field-initializers.
  Value tools{};                        // list of JSON-schema tool specs; undefined/none: no tools
  Value documents{};                    // list of documents for RAG templates; undefined/none: none
  bool add_generation_prompt = false;
  bool continue_final_message = false;  // cut the output right after the final message's text
  Value extra{};                        // dict of extra template variables (HF's **kwargs)
};

struct ChatTemplateResult {
  std::string rendered;
  // Byte ranges of the output inside {% generation %} blocks (the assistant's own tokens).
  std::vector<std::pair<size_t, size_t>> generation_spans;
};

// A chat template compiled once (keep one per tokenizer) and applied to many conversations.
class ChatTemplate {
 public:
  // special_tokens: dict of bos_token, eos_token ... as strings (see special_tokens_map).
  explicit ChatTemplate(std::string_view source, Value special_tokens = Value::dict(),
                        const TemplateOptions& options = {});

  // messages: list of {role, content, ...}; content a string, none, or a list of typed parts.
  ChatTemplateResult apply(const Value& messages, const ChatTemplateOptions& options = {}) const;

  const Template& compiled() const { return template_; }

 private:
  Template template_;
  Value special_tokens_;
};

// One-shot form (parses the template on every call; keep a ChatTemplate to parse once).
ChatTemplateResult apply_chat_template(std::string_view source, const Value& messages,
                                       const Value& special_tokens,
                                       const ChatTemplateOptions& options = {});

// Per-token 0/1 mask: a token is 1 when it starts inside a generation span (HF maps each span's
// first and last character to tokens and marks the tokens between). Offsets and spans must be in
// the same unit (bytes of `rendered`, as the spans are).
std::vector<int> assistant_tokens_mask(const std::vector<std::pair<size_t, size_t>>& spans,
                                       const std::vector<std::pair<size_t, size_t>>& token_offsets);

// A model folder's chat templates and the special-token variables templates read.
struct ChatTemplateConfig {
  // name -> template source. A single template is named "default".
  std::vector<std::pair<std::string, std::string>> templates;
  Value special_tokens = Value::dict();  // bos_token, eos_token, ... (+ additional_special_tokens)

  // HF's selection: the named one; else "tool_use" when tools are given and it exists; else
  // "default". Null when there is none.
  const std::string* select(const std::optional<std::string>& name, bool has_tools) const;
};

// Reads chat_template.jinja (preferred, as HF does), additional_chat_templates/*.jinja, and
// tokenizer_config.json (`chat_template` as a string or a list of {name, template}). The special
// tokens are the tokenizer's, as tok::load_special_tokens resolves them (AutoTokenizer's rule,
// the tokenizer class's defaults included).
ChatTemplateConfig load_chat_template_config(const std::filesystem::path& model_dir);
// The same with the special tokens of a tokenizer already loaded from the folder (HF renders with
// the live tokenizer's special_tokens_map; this also spares a second resolution of legacy files).
ChatTemplateConfig load_chat_template_config(const std::filesystem::path& model_dir, const tok::SpecialTokens& tokens);

// HF's special_tokens_map, the variables apply_chat_template passes: each of bos_token ...
// mask_token that is set and not empty, and additional_special_tokens when not empty.
Value special_tokens_map(const tok::SpecialTokens& tokens);

// A model folder's templates, each compiled once, with HF's per-request selection.
class ChatTemplateSet {
 public:
  // `name` forces one named template (HF's chat_template="name" argument).
  explicit ChatTemplateSet(const ChatTemplateConfig& config,
                           std::optional<std::string> name = std::nullopt);
  // The template HF would use for a request with or without tools; throws when there is none.
  const ChatTemplate& select(bool has_tools) const;
  // render_request_json (below) with the template selected for that request.
  std::string render_request_json(std::string_view request_line) const;

 private:
  std::vector<std::pair<std::string, ChatTemplate>> compiled_;
  std::optional<std::string> name_;
};

// One request of `transformers chat-template --jsonl`: a JSON object {"messages",
// "add_generation_prompt"?, "tools"?, "documents"?, "extra"?, "continue_final_message"?} ->
// the JSON line {"rendered": ...}, or {"error": message} when rendering fails (a template's
// raise_exception message verbatim).
std::string render_request_json(const ChatTemplate& chat, std::string_view request_line);

}  // namespace transformers::templates
