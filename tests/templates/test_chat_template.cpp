// apply_chat_template's options with Hugging Face's semantics, reading a model folder's chat
// templates and special tokens, the JSONL request format of `transformers chat-template`, and
// assistant masks from {% generation %} spans.
#include <gtest/gtest.h>

#include <fstream>

#include "support/fixtures.h"
#include "transformers/templates/chat_template.h"
#include "transformers/templates/json_value.h"

namespace transformers::templates {
namespace {

namespace fs = std::filesystem;

const char* kSimple =
    "{{ bos_token }}{% for m in messages %}<{{ m.role }}>{{ m.content }}{{ eos_token }}{% endfor %}"
    "{% if add_generation_prompt %}<assistant>{% endif %}";

Value tokens() { return parse_json(R"({"bos_token": "<s>", "eos_token": "</s>"})"); }

void write(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
}

TEST(ChatTemplate, RendersWithSpecialTokensAndGenerationPrompt) {
  ChatTemplate chat(kSimple, tokens());
  Value msgs = parse_json(R"([{"role": "user", "content": "Hi"}])");
  EXPECT_EQ(chat.apply(msgs).rendered, "<s><user>Hi</s>");
  EXPECT_EQ(chat.apply(msgs, {.add_generation_prompt = true}).rendered, "<s><user>Hi</s><assistant>");
}

TEST(ChatTemplate, ContinueFinalMessageCutsAfterItsText) {
  ChatTemplate chat(kSimple, tokens());
  Value msgs = parse_json(R"([{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello, I am"}])");
  EXPECT_EQ(chat.apply(msgs, {.continue_final_message = true}).rendered, "<s><user>Hi</s><assistant>Hello, I am");
  // trailing whitespace that the template trims is not required to be present
  ChatTemplate trimming("{% for m in messages %}[{{ m.content | trim }}]{% endfor %}");
  Value spaced = parse_json(R"([{"role": "assistant", "content": "  Sure  "}])");
  EXPECT_EQ(trimming.apply(spaced, {.continue_final_message = true}).rendered, "[Sure");
  // the text of the last typed part is what continues
  Value parts = parse_json(
      R"([{"role": "assistant", "content": [{"type": "text", "text": "A"}, {"type": "text", "text": "B"}]}])");
  ChatTemplate by_parts("{% for m in messages %}{% for p in m.content %}({{ p.text }}){% endfor %}{% endfor %}");
  EXPECT_EQ(by_parts.apply(parts, {.continue_final_message = true}).rendered, "(A)(B");
}

TEST(ChatTemplate, ContinueFinalMessageErrors) {
  ChatTemplate chat(kSimple, tokens());
  Value msgs = parse_json(R"([{"role": "assistant", "content": "x"}])");
  EXPECT_THROW(chat.apply(msgs, {.add_generation_prompt = true, .continue_final_message = true}), TemplateError);
  ChatTemplate drops("{% for m in messages %}{{ m.role }}{% endfor %}");
  EXPECT_THROW(drops.apply(msgs, {.continue_final_message = true}), TemplateError);
}

TEST(ChatTemplate, ToolsDocumentsAndExtraVariables) {
  ChatTemplate chat(
      "{{ tools is none }}|{{ documents is none }}|{{ (tools or []) | map(attribute='name') | join(',') }}|"
      "{{ (documents or []) | length }}|{{ enable_thinking }}|{{ bos_token }}",
      tokens());
  Value msgs = parse_json("[]");
  EXPECT_EQ(chat.apply(msgs).rendered, "True|True||0||<s>");
  ChatTemplateOptions o;
  o.tools = parse_json(R"([{"name": "a"}, {"name": "b"}])");
  o.documents = parse_json(R"([{"title": "t", "text": "x"}])");
  o.extra = parse_json(R"({"enable_thinking": false, "bos_token": "<override>"})");
  EXPECT_EQ(chat.apply(msgs, o).rendered, "False|False|a,b|1|False|<override>");
  o.extra = parse_json(R"({"messages": []})");
  EXPECT_THROW(chat.apply(msgs, o), TemplateError);
}

TEST(ChatTemplate, AppendMutatesTheCallersListAsInPython) {
  ChatTemplate chat("{% set _ = messages.append({'role': 'x', 'content': ''}) %}{{ messages | length }}");
  Value msgs = parse_json(R"([{"role": "user", "content": "a"}])");
  EXPECT_EQ(chat.apply(msgs).rendered, "2");
  // append mutates, as in Python: the caller's list sees it (HF passes the caller's list too)
  EXPECT_EQ(msgs.as_list().items.size(), 2u);
}

TEST(ChatTemplate, SpecialTokensAcceptStringsAndAddedTokens) {
  fs::path dir = transformers::testing::temp_dir("chat_template_token_forms");
  write(dir / "tokenizer_config.json",
        R"({"bos_token": "<s>", "eos_token": {"__type": "AddedToken", "content": "</s>", "lstrip": false},
            "pad_token": null, "unk_token": {"content": "<unk>"}, "sep_token": "", "chat_template": "x",
            "additional_special_tokens": ["<a>", {"content": "<b>"}]})");
  Value t = load_chat_template_config(dir).special_tokens;
  EXPECT_EQ(t.as_dict().find("bos_token")->str(), "<s>");
  EXPECT_EQ(t.as_dict().find("eos_token")->str(), "</s>");
  EXPECT_EQ(t.as_dict().find("unk_token")->str(), "<unk>");
  EXPECT_EQ(t.as_dict().find("pad_token"), nullptr);
  EXPECT_EQ(t.as_dict().find("sep_token"), nullptr);  // HF's special_tokens_map drops empty values
  EXPECT_EQ(t.as_dict().find("chat_template"), nullptr);
  EXPECT_EQ(t.as_dict().find("additional_special_tokens")->repr(), "['<a>', '<b>']");
}

// A tokenizer_config.json that names no special tokens, as many Hub folders have: the template sees
// the tokens the tokenizer class sets in __init__ (LlamaTokenizerFast: <s>, </s>, <unk>; no pad),
// the class taken from tokenizer_class or else config.json's model_type, as AutoTokenizer does.
TEST(ChatTemplate, BareConfigRendersTheTokenizerClassDefaults) {
  fs::path dir = transformers::testing::temp_dir("chat_template_bare_llama");
  const std::string tmpl =
      R"("chat_template": "{{ bos_token }}[INST] {{ messages[0]['content'] }} [/INST]{{ eos_token }})"
      R"(|{{ unk_token }}|{{ pad_token is defined }}")";
  const Value msgs = parse_json(R"([{"role": "user", "content": "Hi"}])");
  auto render = [&] { return ChatTemplateSet(load_chat_template_config(dir)).select(false).apply(msgs).rendered; };

  write(dir / "tokenizer_config.json", "{\"tokenizer_class\": \"LlamaTokenizerFast\", " + tmpl + "}");
  EXPECT_EQ(render(), "<s>[INST] Hi [/INST]</s>|<unk>|False");

  // No tokenizer_class: config.json's model_type picks the class (gemma: GemmaTokenizerFast).
  write(dir / "tokenizer_config.json", "{" + tmpl + "}");
  write(dir / "config.json", R"({"model_type": "gemma"})");
  EXPECT_EQ(render(), "<bos>[INST] Hi [/INST]<eos>|<unk>|True");

  // What the files say wins; an explicit null leaves the token unset.
  write(dir / "tokenizer_config.json", "{\"bos_token\": null, \"eos_token\": \"<end>\", " + tmpl + "}");
  EXPECT_EQ(render(), "[INST] Hi [/INST]<end>|<unk>|True");
}

// A folder of legacy files only (vocab.txt, no tokenizer.json): the slow class's defaults, as
// AutoTokenizer converts it (BertTokenizer: [CLS], [SEP], [MASK] ...).
TEST(ChatTemplate, LegacyFolderRendersTheSlowClassDefaults) {
  fs::path dir = transformers::testing::temp_dir("chat_template_legacy_bert");
  write(dir / "vocab.txt", "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nhi\n");
  write(dir / "tokenizer_config.json",
        R"({"chat_template": "{{ cls_token }}{{ messages[0]['content'] }}{{ sep_token }})"
        R"({{ mask_token }}{{ bos_token is defined }}"})");
  ChatTemplateSet set(load_chat_template_config(dir));
  EXPECT_EQ(set.select(false).apply(parse_json(R"([{"role": "user", "content": "hi"}])")).rendered,
            "[CLS]hi[SEP][MASK]False");
}

TEST(ChatTemplate, SpecialTokensResolveAsTheTokenizerDoes) {
  // special_tokens_map.json counts only for a tokenizer_config.json without added_tokens_decoder,
  // and then overrides it (transformers' _from_pretrained); the template sees the result.
  fs::path dir = transformers::testing::temp_dir("chat_template_special_map");
  write(dir / "special_tokens_map.json",
        R"({"bos_token": "M", "eos_token": "N", "additional_special_tokens": ["y", "x"]})");
  write(dir / "tokenizer_config.json",
        R"({"chat_template": "{{ bos_token }}{{ eos_token }}{{ additional_special_tokens|join(',') }}",
            "bos_token": "B", "additional_special_tokens": ["x"]})");
  ChatTemplateSet old_style(load_chat_template_config(dir));
  EXPECT_EQ(old_style.select(false).apply(parse_json("[]")).rendered, "MNx,y");
  write(dir / "tokenizer_config.json",
        R"({"chat_template": "{{ bos_token }}{{ eos_token }}{{ additional_special_tokens|join(',') }}",
            "bos_token": "B", "additional_special_tokens": ["x"], "added_tokens_decoder": {}})");
  ChatTemplateSet new_style(load_chat_template_config(dir));
  EXPECT_EQ(new_style.select(false).apply(parse_json("[]")).rendered, "Bx");
}

TEST(ChatTemplate, LoadsTemplatesFromAModelFolder) {
  fs::path dir = transformers::testing::temp_dir("chat_template_single");
  write(dir / "tokenizer_config.json", R"({"chat_template": "from config {{ eos_token }}", "eos_token": "E"})");
  ChatTemplateConfig cfg = load_chat_template_config(dir);
  ASSERT_NE(cfg.select(std::nullopt, false), nullptr);
  EXPECT_EQ(*cfg.select(std::nullopt, false), "from config {{ eos_token }}");
  // chat_template.jinja wins over tokenizer_config.json, as in HF
  write(dir / "chat_template.jinja", "from file\n");
  cfg = load_chat_template_config(dir);
  EXPECT_EQ(*cfg.select(std::nullopt, false), "from file\n");
  ChatTemplateSet set(cfg);
  EXPECT_EQ(set.select(false).apply(parse_json("[]")).rendered, "from file");
}

TEST(ChatTemplate, NamedTemplatesAndToolUseSelection) {
  fs::path dir = transformers::testing::temp_dir("chat_template_named");
  write(dir / "tokenizer_config.json",
        R"({"chat_template": [{"name": "default", "template": "D"}, {"name": "tool_use", "template": "T"},
                              {"name": "rag", "template": "R"}]})");
  ChatTemplateConfig cfg = load_chat_template_config(dir);
  EXPECT_EQ(*cfg.select(std::nullopt, false), "D");
  EXPECT_EQ(*cfg.select(std::nullopt, true), "T");
  EXPECT_EQ(*cfg.select(std::string("rag"), true), "R");
  EXPECT_EQ(cfg.select(std::string("none"), false), nullptr);
  ChatTemplateSet set(cfg);
  EXPECT_EQ(set.render_request_json(R"({"messages": []})"), R"({"rendered": "D"})");
  EXPECT_EQ(set.render_request_json(R"({"messages": [], "tools": [{"name": "f"}]})"), R"({"rendered": "T"})");
  EXPECT_THROW(ChatTemplateSet(cfg, std::string("missing")), transformers::Error);
}

TEST(ChatTemplate, ModelWithoutTemplateFailsClearly) {
  fs::path dir = transformers::testing::temp_dir("chat_template_none");
  write(dir / "tokenizer_config.json", R"({"eos_token": "E"})");
  ChatTemplateSet set(load_chat_template_config(dir));
  EXPECT_THROW(set.select(false), transformers::Error);
}

TEST(ChatTemplate, RequestLinesRenderOrReportErrors) {
  ChatTemplate chat(
      "{% for m in messages %}{% if m.role == 'bad' %}{{ raise_exception('Bad role: ' ~ m.role) }}{% endif %}"
      "{{ m.content }}{% endfor %}{% if add_generation_prompt %}>{% endif %}{{ extra_var }}");
  EXPECT_EQ(
      render_request_json(
          chat,
          R"({"messages": [{"role": "user", "content": "é\n\"q\""}], "add_generation_prompt": true})"),
      R"({"rendered": "é\n\"q\">"})");
  EXPECT_EQ(render_request_json(chat, R"({"messages": [], "extra": {"extra_var": 5}})"), R"({"rendered": "5"})");
  EXPECT_EQ(render_request_json(chat, R"({"messages": [{"role": "bad", "content": ""}]})"),
            R"({"error": "Bad role: bad"})");
  std::string bad_json = render_request_json(chat, "{not json");
  EXPECT_EQ(bad_json.rfind(R"({"error": )", 0), 0u) << bad_json;
}

TEST(ChatTemplate, AssistantTokensMask) {
  // text:  "<u>hi<a>yo!"  tokens: "<u>" "hi" "<a>" "yo" "!"
  std::vector<std::pair<size_t, size_t>> offsets = {{0, 3}, {3, 5}, {5, 8}, {8, 10}, {10, 11}};
  EXPECT_EQ(assistant_tokens_mask({{8, 11}}, offsets), (std::vector<int>{0, 0, 0, 1, 1}));
  EXPECT_EQ(assistant_tokens_mask({{3, 5}, {8, 10}}, offsets), (std::vector<int>{0, 1, 0, 1, 0}));
  EXPECT_EQ(assistant_tokens_mask({}, offsets), (std::vector<int>{0, 0, 0, 0, 0}));

  ChatTemplate chat(
      "{% for m in messages %}<{{ m.role[0] }}>{% if m.role == 'assistant' %}"
      "{% generation %}{{ m.content }}{% endgeneration %}{% else %}{{ m.content }}{% endif %}"
      "{% endfor %}");
  ChatTemplateResult r = chat.apply(parse_json(
      R"([{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo!"}])"));
  EXPECT_EQ(r.rendered, "<u>hi<a>yo!");
  EXPECT_EQ(assistant_tokens_mask(r.generation_spans, offsets), (std::vector<int>{0, 0, 0, 1, 1}));
}

}  // namespace
}  // namespace transformers::templates
