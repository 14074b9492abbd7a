#include "transformers/templates/chat_template.h"

#include <algorithm>

#include "transformers/io/file_util.h"
#include "transformers/templates/error.h"
#include "transformers/templates/json_value.h"
#include "transformers/templates/utf8.h"
#include "transformers/tokenizers/auto_tokenizer.h"

namespace transformers::templates {

namespace {

// HF: continue_final_message cuts the rendering right after the final message's text, so the
// model continues that message instead of starting a new one.
std::string cut_after_final_message(std::string rendered, const Value& messages) {
  const auto& list = messages.as_list().items;
  TFM_CHECK(!list.empty(), "[templates] continue_final_message needs at least one message");
  Value content = list.back().is_dict() ? (list.back().as_dict().find("content")
                                               ? *list.back().as_dict().find("content")
                                               : Value())
                                        : Value();
  std::string final_message;
  if (content.is_list()) {
    bool found = false;
    for (auto it = content.as_list().items.rbegin(); it != content.as_list().items.rend(); ++it) {
      if (it->is_dict() && it->as_dict().find("text")) {
        final_message = it->as_dict().find("text")->str();
        found = true;
        break;
      }
    }
    if (!found)
      fail(ErrorKind::Type,
           "continue_final_message is set but we could not find any text to continue in the final "
           "message!");
  } else {
    final_message = content.str();
  }
  std::string stripped = utf8::strip(final_message, nullptr, true, true);
  size_t loc = rendered.rfind(stripped);
  if (loc == std::string::npos)
    fail(ErrorKind::Type,
         "continue_final_message is set but the final message does not appear in the chat after "
         "applying the chat template! This can happen if the chat template deletes portions of the "
         "final message. Please verify the chat template manually.");
  std::string lstripped = utf8::strip(final_message, nullptr, true, false);
  // (HF compares against the unstripped message: equal only when the template kept it whole.)
  if (rendered.compare(loc, lstripped.size(), final_message) == 0 &&
      std::min(lstripped.size(), rendered.size() - loc) == final_message.size()) {
    rendered.resize(loc + lstripped.size());
  } else {
    // The template trimmed the message's trailing whitespace: cut after the stripped text.
    rendered.resize(loc + stripped.size());
  }
  return rendered;
}

}  // namespace

ChatTemplate::ChatTemplate(std::string_view source, Value special_tokens,
                           const TemplateOptions& options)
    : template_(source, options), special_tokens_(std::move(special_tokens)) {
  if (special_tokens_.is_undefined() || special_tokens_.is_none()) special_tokens_ = Value::dict();
  TFM_CHECK(special_tokens_.is_dict(), "[templates] special tokens must be a dict");
}

ChatTemplateResult ChatTemplate::apply(const Value& messages,
                                       const ChatTemplateOptions& options) const {
  if (!messages.is_list()) fail(ErrorKind::Type, "messages must be a list of message dicts");
  if (options.continue_final_message && options.add_generation_prompt)
    fail(ErrorKind::Type,
         "continue_final_message and add_generation_prompt are not compatible. Use "
         "continue_final_message when you want the model to continue the final message, and "
         "add_generation_prompt when you want to add a header that will prompt it to generate a "
         "new assistant message instead.");
  // HF: render(messages=..., tools=..., documents=..., add_generation_prompt=...,
  //            **{**special_tokens_map, **kwargs})
  Value ctx = Value::dict();
  DictData& c = ctx.as_dict();
  c.set(Value("messages"), messages);
  c.set(Value("tools"), options.tools.is_undefined() ? Value::none() : options.tools);
  c.set(Value("documents"), options.documents.is_undefined() ? Value::none() : options.documents);
  c.set(Value("add_generation_prompt"), Value(options.add_generation_prompt));
  for (const auto& [k, v] : special_tokens_.as_dict().entries) c.set(k, v);
  if (options.extra.is_dict()) {
    for (const auto& [k, v] : options.extra.as_dict().entries) {
      std::string key = k.str();
      if (key == "messages" || key == "tools" || key == "documents" || key == "add_generation_prompt")
        fail(ErrorKind::Type, "render() got multiple values for keyword argument '" + key + "'");
      c.set(k, v);
    }
  } else if (!options.extra.is_undefined() && !options.extra.is_none()) {
    fail(ErrorKind::Type, "extra template variables must be a dict");
  }
  RenderResult r = template_.render_with_spans(ctx);
  ChatTemplateResult out;
  out.generation_spans = std::move(r.generation_spans);
  out.rendered = options.continue_final_message ? cut_after_final_message(std::move(r.text), messages)
                                                : std::move(r.text);
  return out;
}

ChatTemplateResult apply_chat_template(std::string_view source, const Value& messages,
                                       const Value& special_tokens,
                                       const ChatTemplateOptions& options) {
  return ChatTemplate(source, special_tokens).apply(messages, options);
}

std::vector<int> assistant_tokens_mask(const std::vector<std::pair<size_t, size_t>>& spans,
                                       const std::vector<std::pair<size_t, size_t>>& token_offsets) {
  std::vector<int> mask(token_offsets.size(), 0);
  // char_to_token: the token whose [begin, end) holds the character, or none.
  auto token_at = [&](size_t pos) -> std::optional<size_t> {
    for (size_t t = 0; t < token_offsets.size(); ++t)
      if (token_offsets[t].first <= pos && pos < token_offsets[t].second) return t;
    return std::nullopt;
  };
  for (auto [begin, end] : spans) {
    if (end <= begin) continue;
    std::optional<size_t> first = token_at(begin);
    std::optional<size_t> last = token_at(end - 1);
    // HF: a start outside every token (e.g. a span that starts in whitespace the tokenizer
    // dropped) moves to the next character that is in a token.
    for (size_t p = begin; !first && p < end; ++p) first = token_at(p);
    for (size_t p = end - 1; !last && p > begin; --p) last = token_at(p - 1);
    if (!first || !last) continue;
    for (size_t t = *first; t <= *last && t < mask.size(); ++t) mask[t] = 1;
  }
  return mask;
}

const std::string* ChatTemplateConfig::select(const std::optional<std::string>& name,
                                              bool has_tools) const {
  auto find = [&](const std::string& n) -> const std::string* {
    for (const auto& [k, v] : templates)
      if (k == n) return &v;
    return nullptr;
  };
  if (name) return find(*name);
  if (has_tools)
    if (const std::string* t = find("tool_use")) return t;
  return find("default");
}

Value special_tokens_map(const tok::SpecialTokens& tokens) {
  Value out = Value::dict();
  for (const char* key : tok::SpecialTokens::kAttributes)
    if (const std::optional<std::string>& v = *tokens.attribute(key); v && !v->empty())
      out.as_dict().set(Value(key), Value(*v));
  if (!tokens.additional_special_tokens.empty()) {
    std::vector<Value> names(tokens.additional_special_tokens.begin(), tokens.additional_special_tokens.end());
    out.as_dict().set(Value("additional_special_tokens"), Value::list(std::move(names)));
  }
  return out;
}

ChatTemplateConfig load_chat_template_config(const std::filesystem::path& dir) {
  TFM_CHECK(std::filesystem::is_directory(dir), "[templates] not a model folder: ", dir.string());
  return load_chat_template_config(dir, tok::load_special_tokens(dir));
}

ChatTemplateConfig load_chat_template_config(const std::filesystem::path& dir, const tok::SpecialTokens& tokens) {
  namespace fs = std::filesystem;
  TFM_CHECK(fs::is_directory(dir), "[templates] not a model folder: ", dir.string());
  ChatTemplateConfig cfg;
  Value config;
  if (fs::exists(dir / "tokenizer_config.json"))
    config = parse_json(io::read_text_file(dir / "tokenizer_config.json"));
  if (fs::exists(dir / "chat_template.jinja")) {
    cfg.templates.emplace_back("default", io::read_text_file(dir / "chat_template.jinja"));
  } else if (fs::exists(dir / "chat_template.json")) {
    // Processor-style file: {"chat_template": "..."}
    Value j = parse_json(io::read_text_file(dir / "chat_template.json"));
    if (j.is_dict() && j.as_dict().find("chat_template") && j.as_dict().find("chat_template")->is_string())
      cfg.templates.emplace_back("default", j.as_dict().find("chat_template")->as_string());
  }
  if (cfg.templates.empty() && config.is_dict()) {
    if (const Value* t = config.as_dict().find("chat_template")) {
      if (t->is_string()) {
        cfg.templates.emplace_back("default", t->as_string());
      } else if (t->is_list()) {
        for (const Value& entry : t->as_list().items) {
          const Value* n = entry.is_dict() ? entry.as_dict().find("name") : nullptr;
          const Value* src = entry.is_dict() ? entry.as_dict().find("template") : nullptr;
          TFM_CHECK(n && src && n->is_string() && src->is_string(),
                    "[templates] chat_template list entries need string 'name' and 'template'");
          cfg.templates.emplace_back(n->as_string(), src->as_string());
        }
      }
    }
  }
  if (fs::is_directory(dir / "additional_chat_templates")) {
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(dir / "additional_chat_templates"))
      if (e.path().extension() == ".jinja") files.push_back(e.path());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) cfg.templates.emplace_back(f.stem().string(), io::read_text_file(f));
  }
  cfg.special_tokens = special_tokens_map(tokens);
  return cfg;
}

ChatTemplateSet::ChatTemplateSet(const ChatTemplateConfig& config, std::optional<std::string> name)
    : name_(std::move(name)) {
  for (const auto& [n, src] : config.templates) compiled_.emplace_back(n, ChatTemplate(src, config.special_tokens));
  if (name_) {
    bool found = false;
    for (const auto& [n, t] : compiled_) found = found || n == *name_;
    TFM_CHECK(found, "[templates] the model has no chat template named '", *name_, "'");
  }
}

const ChatTemplate& ChatTemplateSet::select(bool has_tools) const {
  auto find = [&](const std::string& n) -> const ChatTemplate* {
    for (const auto& [k, t] : compiled_)
      if (k == n) return &t;
    return nullptr;
  };
  if (name_) return *find(*name_);
  if (has_tools)
    if (const ChatTemplate* t = find("tool_use")) return *t;
  if (const ChatTemplate* t = find("default")) return *t;
  TFM_CHECK(!compiled_.empty(),
            "[templates] cannot use a chat template: the model has none (no chat_template in "
            "tokenizer_config.json, no chat_template.jinja)");
  throw transformers::Error(
      "[templates] the model has several chat templates and none is named 'default'; pick one by "
      "name");
}

namespace {
std::string render_request(const ChatTemplate* fixed, const ChatTemplateSet* set, std::string_view line) {
  Value out = Value::dict();
  try {
    Value req = parse_json(line);
    if (!req.is_dict()) fail(ErrorKind::Type, "each request line must be a JSON object");
    const DictData& d = req.as_dict();
    const Value* messages = d.find("messages");
    if (!messages) fail(ErrorKind::Type, "request has no 'messages'");
    ChatTemplateOptions o;
    if (const Value* v = d.find("add_generation_prompt")) o.add_generation_prompt = v->truthy();
    if (const Value* v = d.find("continue_final_message")) o.continue_final_message = v->truthy();
    if (const Value* v = d.find("tools")) o.tools = *v;
    if (const Value* v = d.find("documents")) o.documents = *v;
    if (const Value* v = d.find("extra")) o.extra = *v;
    bool has_tools = !o.tools.is_undefined() && !o.tools.is_none();
    const ChatTemplate& chat = fixed ? *fixed : set->select(has_tools);
    out.as_dict().set(Value("rendered"), Value(chat.apply(*messages, o).rendered));
  } catch (const TemplateError& e) {
    out.as_dict().set(Value("error"), Value(e.kind() == ErrorKind::Raised ? e.message() : std::string(e.what())));
  } catch (const transformers::Error& e) {
    out.as_dict().set(Value("error"), Value(std::string(e.what())));
  }
  return dump_json(out);
}
}  // namespace

std::string render_request_json(const ChatTemplate& chat, std::string_view line) {
  return render_request(&chat, nullptr, line);
}

std::string ChatTemplateSet::render_request_json(std::string_view line) const {
  return render_request(nullptr, this, line);
}

}  // namespace transformers::templates
