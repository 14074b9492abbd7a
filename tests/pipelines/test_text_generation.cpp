// pipeline("text-generation") on the real llama2.c checkpoint stories260K: the text Hugging
// Face's pipeline produced (reference.json "text"), and streaming that adds up to the same text.
#include <gtest/gtest.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "support/chat_model.h"
#include "support/errors.h"
#include "support/fixtures.h"
#include "transformers/core/error.h"
#include "transformers/io/json.h"
#include "transformers/generation/utils.h"
#include "transformers/pipelines/pipeline.h"
#include "transformers/pipelines/text_generation.h"
#include "transformers/tokenizers/auto_tokenizer.h"

using namespace transformers;
using transformers::testing::shared_path;
using transformers::testing::stories_with_chat_template;

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
  auto dir = stories_with_chat_template("broken_chat_template", "{% for m in messages %}{{ m['content'] }");
  auto pipe = pipelines::TextGenerationPipeline::from_pretrained(dir);
  pipelines::TextGenerationOptions options;
  options.max_new_tokens = 4;
  auto plain = pipelines::TextGenerationPipeline::from_pretrained(src);
  EXPECT_EQ((*pipe)("Once upon a time", options)[0].generated_text,
            (*plain)("Once upon a time", options)[0].generated_text);
  for (int attempt = 0; attempt < 2; ++attempt) {  // and again: a failed compile is not cached
    const std::string message = transformers::testing::error_message(
        [&] { (*pipe)(std::vector<pipelines::ChatMessage>{{"user", "hi"}}, options); });
    EXPECT_NE(message.find("[templates]"), std::string::npos) << message;
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

TEST(TextStreamDecoderTest, PiecesAddUpToTheCompletionHuggingFaceCutsFromTheWholeText) {
  TFM_SKIP_WITHOUT_SHARED();
  // stories260K's decoder strips the leading space of a decoded text: " time" decoded alone is
  // "time", but HF's pipeline decodes prompt and completion together and cuts the prompt's
  // characters off, so the completion keeps its space.
  auto tokenizer = tok::AutoTokenizer::from_pretrained(shared_path("models/stories260K"));
  auto stream = [&](const std::string& prompt, const std::string& rest, bool clean_up) {
    std::vector<int32_t> prompt_ids = tokenizer.encode_ids(prompt);
    std::vector<int32_t> all = tokenizer.encode_ids(prompt + rest);
    EXPECT_TRUE(std::equal(prompt_ids.begin(), prompt_ids.end(), all.begin())) << prompt;
    pipelines::TextStreamDecoder decoder(tokenizer, prompt_ids, clean_up);
    std::string out;
    for (size_t i = prompt_ids.size(); i < all.size(); ++i) out += decoder.push(all[i]);
    return out + decoder.finish();
  };
  EXPECT_EQ(stream("Once upon a", " time, there was", false), " time, there was");
  // A long prompt: only its last tokens are decoded with the new ones, to the same effect.
  EXPECT_EQ(stream("Once upon a time, there was a little girl named Lily. She liked", " to play outside.", false),
            " to play outside.");
  // "中" is three byte-fallback tokens; a run of them is decoded as a whole, so the window may not
  // start inside the prompt's nine.
  EXPECT_EQ(stream("Once 中中中", "中 time", false), "中 time");

  // Driven by ids: the prompt ends with eight skipped special tokens, which must not leave the
  // decoder's strip of the first space to the completion.
  auto by_ids = [&](std::vector<int32_t> prompt_ids, const std::vector<std::string>& tokens) {
    pipelines::TextStreamDecoder decoder(tokenizer, prompt_ids, false);
    std::string out;
    for (int32_t id : tokenizer.convert_tokens_to_ids(tokens)) out += decoder.push(id);
    return out + decoder.finish();
  };
  std::vector<int32_t> ends_special = tokenizer.encode_ids("Once upon a");
  ends_special.insert(ends_special.end(), 8, tokenizer.convert_token_to_id("</s>").value());
  EXPECT_EQ(by_ids(ends_special, {"\u2581time"}), " time");
  // A newline byte then a byte that starts a character which never completes: HF's ByteFallback
  // decodes the run [0x0A, 0xE4] as invalid, two U+FFFD; the newline must not have been streamed.
  EXPECT_EQ(by_ids(tokenizer.encode_ids("Once"), {"<0x0A>", "<0xE4>"}), "\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(by_ids(tokenizer.encode_ids("Once"), {"<0x0A>", "\u2581time"}), "\n time");
  // With HF's clean-up (the pipeline's default), " ," -> "," and " n't" -> "n't" (so "can n't"
  // becomes "cann't", as in Python): a space is only streamed once no rule can remove it.
  EXPECT_EQ(stream("Hello", " , world ! I can n't", true), ", world! I cann't");
  EXPECT_EQ(stream("Hello", " , world ! I can n't", false), " , world ! I can n't");
  // One rule's replacement makes another's match: " ' " -> "'" turns " n ' t" into " n't".
  EXPECT_EQ(stream("Hello", " x n ' t", true), " xn't");
}

TEST(TextGenerationPipelineTest, AChatEndingWithTheAssistantIsContinued) {
  TFM_SKIP_WITHOUT_SHARED();
  // HF: a final assistant message is a prefill; the template's rendering stops right after its
  // text, and the reply is appended to it instead of becoming a new message.
  auto dir = stories_with_chat_template("chat_prefill");
  auto pipe = pipelines::TextGenerationPipeline::from_pretrained(dir);
  pipelines::TextGenerationOptions options;
  options.max_new_tokens = 6;
  const std::vector<pipelines::ChatMessage> chat{{"user", "Tell a story"}, {"assistant", "Once upon a"}};
  std::vector<pipelines::GeneratedText> out = (*pipe)(chat, options);
  ASSERT_EQ(out.size(), 1u);

  // Expected: greedy generation on the hand-rendered prefix, cut as Python slices characters.
  const std::string prompt = "user: Tell a story\nassistant: Once upon a";
  std::vector<int32_t> ids = pipe->tokenizer().encode_ids(prompt, /*add_special_tokens=*/false);
  generation::GenerationConfig gen = generation::GenerationConfig::from_model_dir(dir, pipe->model().config());
  gen.max_new_tokens = 6;
  std::vector<int64_t> ids64(ids.begin(), ids.end());
  std::vector<int64_t> seq =
      generation::generate(pipe->model(), Tensor::from_vector(ids64, {1, int64_t(ids64.size())}), Tensor(), gen)
          .sequences[0];
  const std::string text = pipe->tokenizer().decode(std::vector<int32_t>(seq.begin(), seq.end()), true, true);
  const std::string decoded_prompt = pipe->tokenizer().decode(ids, true, true);
  ASSERT_EQ(text.compare(0, decoded_prompt.size(), decoded_prompt), 0) << text;  // ASCII: bytes = characters
  const std::string completion = text.substr(decoded_prompt.size());
  EXPECT_EQ(out[0].generated_text, completion);
  ASSERT_EQ(out[0].messages.size(), 2u);
  EXPECT_EQ(out[0].messages[1].role, "assistant");
  EXPECT_EQ(out[0].messages[1].content, "Once upon a" + completion);

  // continue_final_message=false starts a new turn after it instead.
  options.continue_final_message = false;
  out = (*pipe)(chat, options);
  ASSERT_EQ(out[0].messages.size(), 3u);
  EXPECT_EQ(out[0].messages[1].content, "Once upon a");
  EXPECT_EQ(out[0].messages[2].content, out[0].generated_text);
  EXPECT_THROW((*pipe)(std::vector<pipelines::ChatMessage>{}, options), Error);
}

TEST(TextGenerationPipelineTest, JsonInputsAreStringsChatsOrListsOfEither) {
  TFM_SKIP_WITHOUT_SHARED();
  // HF's __call__: a string, a list of strings, a chat (a list of messages) or a list of chats;
  // a chat with return_full_text answers the conversation, else the completion.
  auto dir = stories_with_chat_template("chat_json");
  auto any = pipelines::pipeline("text-generation", dir);
  auto& typed = any->as<pipelines::TextGenerationPipeline>();
  pipelines::TextGenerationOptions options;
  options.max_new_tokens = 5;
  const std::string story = typed("Once upon a time", options)[0].generated_text;
  const std::string reply = typed({{"user", "Hi"}}, options)[0].generated_text;
  const std::string other = typed({{"user", "Bye"}}, options)[0].generated_text;

  using nlohmann::json;
  const std::string opts = R"({"max_new_tokens": 5})";
  EXPECT_EQ(json::parse((*any)(R"("Once upon a time")", opts)), json::parse(R"([{"generated_text": )" +
                                                                           json(story).dump() + "}]"));
  EXPECT_EQ(json::parse((*any)(R"(["Once upon a time", "Once upon a time"])", opts)),
            json::parse("[[{\"generated_text\": " + json(story).dump() + "}], [{\"generated_text\": " +
                        json(story).dump() + "}]]"));
  const json chat = json::parse((*any)(R"([{"role": "user", "content": "Hi"}])", opts));
  EXPECT_EQ(chat, json::parse(R"([{"generated_text": [{"role": "user", "content": "Hi"},
                                                     {"role": "assistant", "content": )" +
                              json(reply).dump() + "}]}]"));
  const json chats = json::parse((*any)(R"([[{"role": "user", "content": "Hi"}],
                                            [{"role": "user", "content": "Bye"}]])",
                                        R"({"max_new_tokens": 5, "return_full_text": false})"));
  EXPECT_EQ(chats, json::parse("[[{\"generated_text\": " + json(reply).dump() + "}], [{\"generated_text\": " +
                               json(other).dump() + "}]]"));
  EXPECT_THROW((*any)(R"([{"role": "user"}])", opts), Error);
  EXPECT_THROW((*any)(R"([{"role": "user", "content": "Hi"}])", R"({"continue_final_message": "yes"})"), Error);
}

TEST(TextGenerationPipelineTest, AKeptCacheFeedsOnlyWhatTheConversationAdds) {
  TFM_SKIP_WITHOUT_SHARED();
  // reuse_kv_cache: each turn starts from the cache of the previous one, cropped to the prefix
  // the new prompt shares with it. Replies equal fresh calls'.
  auto dir = stories_with_chat_template("chat_kept_cache");
  auto kept = pipelines::TextGenerationPipeline::from_pretrained(dir);
  auto fresh = pipelines::TextGenerationPipeline::from_pretrained(dir);
  pipelines::TextGenerationOptions options;
  options.max_new_tokens = 10;
  pipelines::TextGenerationOptions reusing = options;
  reusing.reuse_kv_cache = true;
  std::vector<pipelines::ChatMessage> chat;
  for (const char* turn : {"Once upon a time", "Tell me more", "And then?"}) {
    chat.push_back({"user", turn});
    const std::vector<pipelines::GeneratedText> a = (*kept)(chat, reusing);
    const std::vector<pipelines::GeneratedText> b = (*fresh)(chat, options);
    EXPECT_EQ(a[0].generated_text, b[0].generated_text) << turn;
    EXPECT_EQ(fresh->reused_tokens(), 0);
    // The rendered conversation up to the previous reply is unchanged, so at least the previous
    // prompt is reused (the reply's re-tokenized text may differ from the generated ids).
    const std::string before = "user: Once upon a time\nassistant:";
    const int64_t first_prompt = int64_t(kept->tokenizer().encode_ids(before, false).size());
    if (chat.size() > 1) EXPECT_GE(kept->reused_tokens(), first_prompt - 1) << turn;
    else EXPECT_EQ(kept->reused_tokens(), 0);
    chat.push_back(a[0].messages.back());
  }
  // A different conversation shares only the tokens its prompt has in common with the last
  // one's; the same prompt twice reuses all but its last token.
  const std::vector<int32_t> last_ids = kept->tokenizer().encode_ids("user: Once upon a time\n", false);
  const std::vector<int32_t> other_ids = kept->tokenizer().encode_ids("user: Lily\nassistant:", false);
  const int64_t common = std::mismatch(last_ids.begin(), last_ids.end(), other_ids.begin(), other_ids.end()).first -
                         last_ids.begin();
  ASSERT_GT(common, 0);
  const std::vector<pipelines::ChatMessage> other{{"user", "Lily"}};
  EXPECT_EQ((*kept)(other, reusing)[0].generated_text, (*fresh)(other, options)[0].generated_text);
  EXPECT_EQ(kept->reused_tokens(), common);
  EXPECT_EQ((*kept)(other, reusing)[0].generated_text, (*fresh)(other, options)[0].generated_text);
  EXPECT_EQ(kept->reused_tokens(),
            int64_t(kept->tokenizer().encode_ids("user: Lily\nassistant:", false).size()) - 1);
}

TEST(TextGenerationPipelineTest, AnEmptyPromptStartsFromTheBosToken) {
  TFM_SKIP_WITHOUT_SHARED();
  // HF's _forward: a prompt of no tokens generates from bos_token_id. stories260K's tokenizer
  // adds <s> itself; without its post-processor "" encodes to nothing and the pipeline starts
  // from the same <s>.
  auto src = shared_path("models/stories260K");
  auto dir = transformers::testing::temp_dir("no_bos_post_processor");
  for (const char* f : {"config.json", "model.safetensors", "generation_config.json", "tokenizer_config.json"})
    std::filesystem::create_symlink(src / f, dir / f);
  nlohmann::json tokenizer = io::read_json(src / "tokenizer.json");
  tokenizer["post_processor"] = nullptr;
  io::write_json(dir / "tokenizer.json", tokenizer);
  auto bare = pipelines::TextGenerationPipeline::from_pretrained(dir);
  ASSERT_TRUE(bare->tokenizer().encode_ids("").empty());
  auto with_bos = pipelines::TextGenerationPipeline::from_pretrained(src);
  pipelines::TextGenerationOptions options;
  options.max_new_tokens = 6;
  const std::string text = (*bare)("", options)[0].generated_text;
  EXPECT_FALSE(text.empty());
  EXPECT_EQ(text, (*with_bos)("", options)[0].generated_text);
}

TEST(TextGenerationPipelineTest, NoKeptCacheWhereRotationsDependOnTheLength) {
  TFM_SKIP_WITHOUT_SHARED();
  // Dynamic NTK recomputes its frequencies as the sequence grows: keys kept from an earlier call
  // are not the ones a fresh call computes, so every call starts from an empty cache.
  auto dir = stories_with_chat_template("chat_dynamic_rope");
  std::filesystem::remove(dir / "config.json");
  nlohmann::json config = io::read_json(shared_path("models/stories260K") / "config.json");
  config["rope_scaling"] = {{"type", "dynamic"}, {"factor", 2.0}};
  io::write_json(dir / "config.json", config);
  auto pipe = pipelines::TextGenerationPipeline::from_pretrained(dir);
  pipelines::TextGenerationOptions options;
  options.max_new_tokens = 4;
  options.reuse_kv_cache = true;
  const std::vector<pipelines::ChatMessage> chat{{"user", "Lily"}};
  (*pipe)(chat, options);
  (*pipe)(chat, options);
  EXPECT_EQ(pipe->reused_tokens(), 0);
  // The same folder with linear scaling (fixed frequencies) reuses the prompt.
  config["rope_scaling"] = {{"type", "linear"}, {"factor", 2.0}};
  io::write_json(dir / "config.json", config);
  pipe = pipelines::TextGenerationPipeline::from_pretrained(dir);
  (*pipe)(chat, options);
  (*pipe)(chat, options);
  EXPECT_GT(pipe->reused_tokens(), 0);
}
