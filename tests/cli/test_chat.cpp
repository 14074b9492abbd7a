// transformers chat with stdin not a terminal: turns read line by line, the reply equals greedy
// generation on the chat-template prompt, /save writes the conversation, /clear forgets it.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <fstream>

#include <nlohmann/json.hpp>

#include "cli/cli_runner.h"
#include "support/chat_model.h"
#include "support/fixtures.h"
#include "transformers/generation/utils.h"
#include "transformers/io/json.h"
#include "transformers/models/auto/modeling_auto.h"
#include "transformers/pipelines/text_generation.h"
#include "transformers/tokenizers/auto_tokenizer.h"

using namespace transformers;
using transformers::testing::shared_path;
using transformers::testing::temp_dir;

namespace {
std::string run_with_stdin(const std::string& args, const std::string& input, int* code) {
  transformers::testing::CliResult r = transformers::testing::run_cli(args, {.input = input});
  *code = r.code;
  return r.out;
}

// stories260K plus a chat template (by default a minimal one).
std::filesystem::path chat_model_dir(
    const std::string& chat_template = transformers::testing::kMinimalChatTemplate) {
  return transformers::testing::stories_with_chat_template("chat_model", chat_template);
}
}  // namespace

TEST(ChatCliTest, ScriptedConversation) {
  TFM_SKIP_WITHOUT_SHARED();
  auto dir = chat_model_dir();
  auto saved = temp_dir("chat_saved") / "conversation.json";
  int code = 0;
  std::string out = run_with_stdin("chat " + dir.string() + " --max-new-tokens 8",
                                   "Once upon a time\n/save " + saved.string() + "\n/clear\n/exit\n", &code);
  ASSERT_EQ(code, 0) << out;

  // Expected reply: greedy generation on the rendered prompt, decoded without the prompt.
  auto tokenizer = tok::AutoTokenizer::from_pretrained(dir);
  auto model = models::AutoModelForCausalLM::from_pretrained(dir);
  std::vector<int32_t> ids = tokenizer.encode_ids("user: Once upon a time\nassistant:", false);
  std::vector<int64_t> ids64(ids.begin(), ids.end());
  generation::GenerationConfig config = generation::GenerationConfig::from_model_dir(dir, model->config());
  config.max_new_tokens = 8;
  auto seq = generation::generate(*model, Tensor::from_vector(ids64, {1, int64_t(ids64.size())}), Tensor(), config)
                 .sequences[0];
  std::string reply = tokenizer.decode(std::vector<int32_t>(seq.begin() + int64_t(ids.size()), seq.end()), true);
  EXPECT_NE(out.find(reply), std::string::npos) << out << "\nexpected reply: " << reply;

  nlohmann::json conversation = io::read_json(saved);
  ASSERT_EQ(conversation.size(), 2u);
  EXPECT_EQ(conversation[0]["role"], "user");
  EXPECT_EQ(conversation[0]["content"], "Once upon a time");
  EXPECT_EQ(conversation[1]["role"], "assistant");
  EXPECT_EQ(conversation[1]["content"], reply);
  EXPECT_NE(out.find("(conversation cleared)"), std::string::npos);
}

TEST(ChatCliTest, ModelWithoutChatTemplateFailsClearly) {
  TFM_SKIP_WITHOUT_SHARED();
  int code = 0;
  std::string out = run_with_stdin("chat " + shared_path("models/stories260K").string(), "hello\n", &code);
  EXPECT_EQ(code, 1) << out;
  EXPECT_NE(out.find("no chat template"), std::string::npos) << out;
}

TEST(ChatCliTest, AFailedTurnOrSaveIsReportedAndTheConversationGoesOn) {
  TFM_SKIP_WITHOUT_SHARED();
  // The template raises on one message; that turn fails, the others stay in the conversation.
  auto dir = chat_model_dir(std::string("{% for m in messages %}{% if m['content'] == 'boom' %}"
                                        "{{ raise_exception('no boom here') }}{% endif %}{% endfor %}") +
                            transformers::testing::kMinimalChatTemplate);
  auto saved_dir = temp_dir("chat_saved_after_errors");
  auto saved = saved_dir / "conversation.json";
  int code = 0;
  // CRLF lines, as a script written on Windows has them.
  std::string out = run_with_stdin("chat " + dir.string() + " --max-new-tokens 4",
                                   "first\r\nboom\r\n/save " + (saved_dir / "missing" / "x.json").string() +
                                       "\r\n/savex\r\nsecond\r\n/save " + saved.string() + "\r\n/exit\r\n",
                                   &code);
  EXPECT_EQ(code, 1) << out;  // something failed
  EXPECT_NE(out.find("no boom here"), std::string::npos) << out;
  EXPECT_NE(out.find("cannot write " + (saved_dir / "missing" / "x.json").string()), std::string::npos) << out;
  EXPECT_NE(out.find("unknown command /savex"), std::string::npos) << out;
  nlohmann::json conversation = io::read_json(saved);
  ASSERT_EQ(conversation.size(), 4u) << conversation.dump();
  EXPECT_EQ(conversation[0]["content"], "first");
  EXPECT_EQ(conversation[1]["role"], "assistant");
  EXPECT_EQ(conversation[2]["content"], "second");
  EXPECT_EQ(conversation[3]["role"], "assistant");
  EXPECT_FALSE(std::filesystem::exists(saved_dir / "conversation.json.tmp"));
}

TEST(ChatCliTest, BeamSearchRepliesArePrintedWhole) {
  TFM_SKIP_WITHOUT_SHARED();
  // A folder whose generation_config.json sets num_beams: no streamer (HF refuses one with beam
  // search), the reply is printed when done.
  auto dir = chat_model_dir();
  std::filesystem::remove(dir / "generation_config.json");
  std::ofstream(dir / "generation_config.json") << R"({"bos_token_id": 1, "eos_token_id": 2, "num_beams": 3})";
  auto pipe = pipelines::TextGenerationPipeline::from_pretrained(dir);
  pipelines::TextGenerationOptions options;
  options.max_new_tokens = 6;
  const std::string reply = (*pipe)({{"user", "Once upon a time"}}, options)[0].generated_text;
  int code = 0;
  std::string out = run_with_stdin("chat " + dir.string() + " --max-new-tokens 6", "Once upon a time\n", &code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_EQ(out, reply + "\n");
}
