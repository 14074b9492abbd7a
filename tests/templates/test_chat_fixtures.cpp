// Every case in ../shared/fixtures/chat_templates/*/cases.jsonl renders byte for byte as
// Hugging Face renders it (or fails with the template's own raise_exception message).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "support/fixtures.h"
#include "transformers/templates/chat_template.h"
#include "transformers/templates/json_value.h"

namespace tt = transformers::templates;
namespace fs = std::filesystem;
using transformers::testing::read_file;
using transformers::testing::shared_path;

namespace {

struct Outcome {
  int passed = 0;
  int total = 0;
};

// Renders every case of one fixture folder; failures are reported with the first differing byte.
Outcome run_fixture(const fs::path& dir) {
  Outcome o;
  tt::Value context = tt::parse_json(read_file(dir / "context.json"));
  tt::ChatTemplate chat(read_file(dir / "template.jinja"), context);
  std::ifstream in(dir / "cases.jsonl");
  std::string line;
  int index = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    ++index;
    ++o.total;
    tt::Value c = tt::parse_json(line);
    const tt::DictData& d = c.as_dict();
    tt::ChatTemplateOptions opt;
    opt.add_generation_prompt = d.find("add_generation_prompt")->truthy();
    if (const tt::Value* v = d.find("tools")) opt.tools = *v;
    if (const tt::Value* v = d.find("extra")) opt.extra = *v;
    const tt::Value* expected = d.find("rendered");
    const tt::Value* error = d.find("error");
    try {
      std::string got = chat.apply(*d.find("messages"), opt).rendered;
      if (!expected) {
        ADD_FAILURE() << dir.filename() << " case " << index << ": expected error "
                      << error->str() << ", rendered " << got;
        continue;
      }
      const std::string& want = expected->as_string();
      if (got != want) {
        size_t at = 0;
        while (at < got.size() && at < want.size() && got[at] == want[at]) ++at;
        ADD_FAILURE() << dir.filename() << " case " << index << ": first difference at byte "
                      << at << "\n  want: " << tt::repr_string(want.substr(at, 80))
                      << "\n  got:  " << tt::repr_string(got.substr(at, 80));
        continue;
      }
      ++o.passed;
    } catch (const tt::TemplateError& e) {
      if (error && e.kind() == tt::ErrorKind::Raised && e.message() == error->as_string()) {
        ++o.passed;
        continue;
      }
      ADD_FAILURE() << dir.filename() << " case " << index << ": unexpected error " << e.what();
    }
  }
  return o;
}

class ChatTemplateFixtures : public ::testing::TestWithParam<std::string> {};

TEST_P(ChatTemplateFixtures, RendersEveryCaseByteForByte) {
  TFM_SKIP_WITHOUT_SHARED();
  fs::path dir = shared_path("fixtures/chat_templates/" + GetParam());
  ASSERT_TRUE(fs::exists(dir / "cases.jsonl")) << "missing fixture " << dir;
  Outcome o = run_fixture(dir);
  std::printf("[ chat template ] %s: %d/%d cases pass\n", GetParam().c_str(), o.passed, o.total);
  EXPECT_GT(o.total, 0);
  EXPECT_EQ(o.passed, o.total);
}

INSTANTIATE_TEST_SUITE_P(Templates, ChatTemplateFixtures,
                         ::testing::Values("llama3", "qwen3", "gemma3", "deepseek_v3"));

TEST(ChatTemplateFixtures, EveryFixtureFolderIsCovered) {
  TFM_SKIP_WITHOUT_SHARED();
  std::vector<std::string> found;
  for (const auto& e : fs::directory_iterator(shared_path("fixtures/chat_templates")))
    if (e.is_directory()) found.push_back(e.path().filename().string());
  std::sort(found.begin(), found.end());
  EXPECT_EQ(found, (std::vector<std::string>{"deepseek_v3", "gemma3", "llama3", "qwen3"}));
}

TEST(ChatTemplateFixtures, TemplateFileMatchesTokenizerConfig) {
  TFM_SKIP_WITHOUT_SHARED();
  // load_chat_template_config reads the template and special tokens from the tokenizer folder;
  // they must equal the fixture's template.jinja and context.json.
  for (const char* name : {"llama3", "qwen3", "gemma3", "deepseek_v3"}) {
    fs::path tok = shared_path(std::string("fixtures/tokenizers/") + name);
    if (!fs::exists(tok / "tokenizer_config.json")) continue;
    tt::ChatTemplateConfig cfg = tt::load_chat_template_config(tok);
    const std::string* src = cfg.select(std::nullopt, false);
    ASSERT_NE(src, nullptr) << name;
    fs::path fx = shared_path(std::string("fixtures/chat_templates/") + name);
    EXPECT_EQ(*src, read_file(fx / "template.jinja")) << name;
    tt::Value want = tt::parse_json(read_file(fx / "context.json"));
    for (const auto& [k, v] : want.as_dict().entries) {
      const tt::Value* got = cfg.special_tokens.as_dict().find(k);
      ASSERT_NE(got, nullptr) << name << " " << k.str();
      EXPECT_EQ(got->str(), v.str()) << name << " " << k.str();
    }
  }
}

}  // namespace

#ifdef TFM_CLI_PATH
namespace {

// `transformers chat-template MODEL --jsonl FILE` on each tokenizer fixture folder prints, line
// for line, {"rendered"} equal to the fixture, or {"error"} with the raise_exception message.
TEST(ChatTemplateCli, RendersEveryFixtureCase) {
  TFM_SKIP_WITHOUT_SHARED();
  for (const char* name : {"llama3", "qwen3", "gemma3", "deepseek_v3"}) {
    fs::path model = shared_path(std::string("fixtures/tokenizers/") + name);
    fs::path cases = shared_path(std::string("fixtures/chat_templates/") + name + "/cases.jsonl");
    std::string cmd = std::string(TFM_CLI_PATH) + " chat-template '" + model.string() + "' --jsonl '" +
                      cases.string() + "'";
    FILE* pipe = popen(cmd.c_str(), "r");
    ASSERT_NE(pipe, nullptr);
    std::string output;
    char buf[4096];
    while (size_t n = fread(buf, 1, sizeof(buf), pipe)) output.append(buf, n);
    ASSERT_EQ(pclose(pipe), 0) << cmd;
    std::ifstream in(cases);
    std::istringstream got(output);
    std::string want_line, got_line;
    int passed = 0, total = 0;
    while (std::getline(in, want_line)) {
      if (want_line.empty()) continue;
      ++total;
      ASSERT_TRUE(std::getline(got, got_line)) << name << ": missing output line " << total;
      tt::Value want = tt::parse_json(want_line);
      tt::Value out = tt::parse_json(got_line);
      const char* key = want.as_dict().find("rendered") ? "rendered" : "error";
      const tt::Value* w = want.as_dict().find(key);
      const tt::Value* g = out.as_dict().find(key);
      if (g && g->str() == w->str()) {
        ++passed;
      } else {
        ADD_FAILURE() << name << " case " << total << ": " << got_line;
      }
    }
    EXPECT_EQ(passed, total) << name;
  }
}

}  // namespace
#endif
