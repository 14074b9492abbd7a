// pipeline("text-generation") on the real llama2.c checkpoint stories260K: the text Hugging
// Face's pipeline produced (reference.json "text"), and streaming that adds up to the same text.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support/fixtures.h"
#include "transformers/core/error.h"
#include "transformers/io/json.h"
#include "transformers/pipelines/text_generation.h"

using namespace transformers;
using transformers::testing::shared_path;

TEST(TextGenerationPipelineTest, Stories260KTextMatchesTransformers) {
  TFM_SKIP_WITHOUT_SHARED();
  auto dir = shared_path("models/stories260K");
  nlohmann::json ref = io::read_json(dir / "reference.json");
  auto pipe = pipelines::TextGenerationPipeline::from_pretrained(dir);
  int ran = 0;
  for (const auto& c : ref["generate"]) {
    pipelines::TextGenerationOptions options;
    options.max_new_tokens = c["kwargs"]["max_new_tokens"].get<int64_t>();
    std::vector<pipelines::GeneratedText> out = (*pipe)(c["prompt"].get<std::string>(), options);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].generated_text, c["text"].get<std::string>());
    // The prompt's ids are what the tokenizer gives (BOS + pieces).
    std::vector<int32_t> ids = pipe->tokenizer().encode_ids(c["prompt"].get<std::string>());
    std::vector<int64_t> expected = c["prompt_ids"].get<std::vector<int64_t>>();
    EXPECT_EQ(std::vector<int64_t>(ids.begin(), ids.end()), expected);
    ++ran;
  }
  EXPECT_EQ(ran, 3);
}

TEST(TextGenerationPipelineTest, StreamedPiecesAddUpToTheCompletion) {
  TFM_SKIP_WITHOUT_SHARED();
  auto pipe = pipelines::TextGenerationPipeline::from_pretrained(shared_path("models/stories260K"));
  pipelines::TextGenerationOptions options;
  options.max_new_tokens = 30;
  options.return_full_text = false;
  std::string streamed;
  int pieces = 0;
  options.streamer = [&](const std::string& piece) {
    streamed += piece;
    ++pieces;
    // Never half a UTF-8 character: each piece is valid UTF-8 on its own.
    EXPECT_EQ(piece.find("\xEF\xBF\xBD"), std::string::npos);
  };
  std::vector<pipelines::GeneratedText> out = (*pipe)("Once upon a time", options);
  EXPECT_GT(pieces, 1);
  EXPECT_EQ(streamed, out[0].generated_text);
}

TEST(TextGenerationPipelineTest, ChatWithoutTemplateIsAClearError) {
  TFM_SKIP_WITHOUT_SHARED();
  auto pipe = pipelines::TextGenerationPipeline::from_pretrained(shared_path("models/stories260K"));
  try {
    (*pipe)(std::vector<pipelines::ChatMessage>{{"user", "hi"}});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no chat template"), std::string::npos) << e.what();
  }
}

TEST(TextGenerationPipelineTest, ABrokenChatTemplateFailsChatsOnly) {
  TFM_SKIP_WITHOUT_SHARED();
  // HF compiles the template in apply_chat_template: a plain prompt never touches it.
  auto src = shared_path("models/stories260K");
  auto dir = transformers::testing::temp_dir("broken_chat_template");
  for (const char* f : {"config.json", "model.safetensors", "generation_config.json", "tokenizer.json"})
    std::filesystem::create_symlink(src / f, dir / f);
  nlohmann::json config = io::read_json(src / "tokenizer_config.json");
  config["chat_template"] = "{% for m in messages %}{{ m['content'] }";
  io::write_json(dir / "tokenizer_config.json", config);
  auto pipe = pipelines::TextGenerationPipeline::from_pretrained(dir);
  pipelines::TextGenerationOptions options;
  options.max_new_tokens = 4;
  auto plain = pipelines::TextGenerationPipeline::from_pretrained(src);
  EXPECT_EQ((*pipe)("Once upon a time", options)[0].generated_text,
            (*plain)("Once upon a time", options)[0].generated_text);
  for (int attempt = 0; attempt < 2; ++attempt) {  // and again: a failed compile is not cached
    try {
      (*pipe)(std::vector<pipelines::ChatMessage>{{"user", "hi"}}, options);
      ADD_FAILURE() << "a broken template rendered";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("[templates]"), std::string::npos) << e.what();
    }
  }
}

TEST(TextGenerationPipelineTest, StopStringsEndTheGeneration) {
  TFM_SKIP_WITHOUT_SHARED();
  auto pipe = pipelines::TextGenerationPipeline::from_pretrained(shared_path("models/stories260K"));
  pipelines::TextGenerationOptions options;
  options.max_new_tokens = 40;
  const std::string full = (*pipe)("Once upon a time", options)[0].generated_text;
  // The greedy text contains "pphe" (see reference.json): generation stops right after it.
  const size_t at = full.find("pphe");
  ASSERT_NE(at, std::string::npos) << full;
  options.stop_strings = {"pphe", "never appears"};
  const std::string stopped = (*pipe)("Once upon a time", options)[0].generated_text;
  EXPECT_EQ(stopped, full.substr(0, at + 4));
}
