// Every case of ../shared/fixtures/tokenizers/*/cases.jsonl, through the tokenizer.json pipeline:
// ids, tokens, type_ids, offsets, decoded and decoded_skip_special must equal Hugging Face's.
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/fixtures.h"
#include "tokenizers/fixture_cases.h"
#include "transformers/tokenizers/auto_tokenizer.h"

namespace fs = std::filesystem;
using transformers::tok::AutoTokenizer;
using transformers::tok::PreTrainedTokenizer;
using transformers::tok::testing::run_cases;

namespace {

const char* kNames[] = {"albert_base_v2", "bert_base_uncased", "claude",  "deepseek_v3",
                        "gemma3",         "gpt2",              "gpt35turbo", "gpt4o",
                        "llama2",         "llama3",            "mistral_7b", "qwen3"};

class FixtureTest : public ::testing::TestWithParam<const char*> {};

TEST_P(FixtureTest, AllCasesMatchHuggingFace) {
  TFM_SKIP_WITHOUT_SHARED();
  fs::path dir = transformers::testing::shared_path(std::string("fixtures/tokenizers/") + GetParam());
  ASSERT_TRUE(fs::exists(dir / "cases.jsonl")) << dir;
  auto tok = AutoTokenizer::from_pretrained(dir);
  size_t total = 0;
  auto failures = run_cases(tok, dir / "cases.jsonl", total);
  std::cout << "[fixtures] " << GetParam() << ": " << (total - failures.size()) << "/" << total << " cases pass\n";
  for (size_t i = 0; i < failures.size() && i < 8; ++i) ADD_FAILURE() << failures[i];
  EXPECT_EQ(failures.size(), 0u);
  EXPECT_GT(total, 0u);
}

INSTANTIATE_TEST_SUITE_P(Tokenizers, FixtureTest, ::testing::ValuesIn(kNames),
                         [](const auto& info) { return std::string(info.param); });

}  // namespace
