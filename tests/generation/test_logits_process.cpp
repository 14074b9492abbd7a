// Logits processors and warpers against hand-derived results of Hugging Face's definitions.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "transformers/core/error.h"
#include "transformers/generation/logits_process.h"

using namespace transformers::generation;

namespace {
constexpr float kInf = std::numeric_limits<float>::infinity();

std::vector<float> apply(const LogitsProcessorList& list, std::vector<int64_t> ids, std::vector<float> scores) {
  list(ids, scores);
  return scores;
}
}  // namespace

TEST(LogitsProcessTest, RepetitionPenaltyDividesPositiveAndMultipliesNegative) {
  GenerationConfig c;
  c.repetition_penalty = 2.0;
  auto list = make_logits_processors(c, 1, 20);
  // token 0 (score 4) and token 2 (score -1) were seen
  EXPECT_EQ(apply(list, {0, 2, 2}, {4, 3, -1}), (std::vector<float>{2, 3, -2}));
}

TEST(LogitsProcessTest, NoRepeatNGramBansTheCompletingToken) {
  GenerationConfig c;
  c.no_repeat_ngram_size = 2;
  auto list = make_logits_processors(c, 1, 20);
  // bigrams so far: (1,2), (2,1); the last token is 1 so (1,2) would repeat: ban 2
  std::vector<float> s = apply(list, {1, 2, 1}, {0, 0, 0, 0});
  EXPECT_EQ(s[2], -kInf);
  EXPECT_EQ(s[1], 0);
  EXPECT_EQ(s[3], 0);
}

TEST(LogitsProcessTest, BadWordsAndMinNewTokensAndSuppression) {
  GenerationConfig c;
  c.bad_words_ids = {{3}, {1, 2}};
  c.eos_token_id = {0};
  c.min_new_tokens = 2;
  c.suppress_tokens = {4};
  auto list = make_logits_processors(c, /*prompt_length=*/2, 20);
  // ids end with 1 -> the sequence [1, 2] bans 2; [3] is always banned; eos banned (0 new tokens)
  std::vector<float> s = apply(list, {5, 1}, {1, 1, 1, 1, 1, 1});
  EXPECT_EQ(s, (std::vector<float>{-kInf, 1, -kInf, -kInf, -kInf, 1}));
  // two new tokens later eos is allowed, and [1, 2] no longer applies
  s = apply(list, {5, 1, 5, 5}, {1, 1, 1, 1, 1, 1});
  EXPECT_EQ(s, (std::vector<float>{1, 1, 1, -kInf, -kInf, 1}));
}

TEST(LogitsProcessTest, ForcedEosAtTheLastPosition) {
  GenerationConfig c;
  c.forced_eos_token_id = 2;
  auto list = make_logits_processors(c, 1, /*max_length=*/4);
  EXPECT_EQ(apply(list, {1, 1, 1}, {5, 6, 7}), (std::vector<float>{-kInf, -kInf, 0}));
  EXPECT_EQ(apply(list, {1, 1}, {5, 6, 7}), (std::vector<float>{5, 6, 7}));
}

TEST(LogitsWarpTest, TemperatureTopKTopP) {
  GenerationConfig c;
  c.do_sample = true;
  c.temperature = 2.0;
  c.top_k = 2;
  auto list = make_logits_warpers(c);
  EXPECT_EQ(apply(list, {}, {4, 2, 6, 0}), (std::vector<float>{2, -kInf, 3, -kInf}));
  GenerationConfig p;
  p.do_sample = true;
  p.top_k = 0;
  p.top_p = 0.5;
  // probabilities ~ [0.665, 0.245, 0.090]: ascending cumulative 0.090, 0.335 <= 0.5 are removed
  std::vector<float> s = apply(make_logits_warpers(p), {}, {2, 1, 0});
  EXPECT_EQ(s[0], 2);
  EXPECT_EQ(s[1], -kInf);
  EXPECT_EQ(s[2], -kInf);
}

TEST(LogitsWarpTest, MinPKeepsTokensAboveTheScaledTopProbability) {
  GenerationConfig c;
  c.do_sample = true;
  c.top_k = 0;
  c.min_p = 0.5;
  // p = [e^0, e^-0.5, e^-1] / Z: relative to the top, 0.607 stays, 0.368 goes
  std::vector<float> s = apply(make_logits_warpers(c), {}, {0, -0.5f, -1});
  EXPECT_EQ(s[0], 0);
  EXPECT_EQ(s[1], -0.5f);
  EXPECT_EQ(s[2], -kInf);
}

TEST(LogitsWarpTest, NoWarpersWithoutSampling) {
  GenerationConfig c;
  c.temperature = 0.5;
  EXPECT_TRUE(make_logits_warpers(c).empty());
}

TEST(GenerationConfigTest, RejectsInvalidValues) {
  GenerationConfig c;
  c.top_p = 1.5;
  EXPECT_THROW(c.validate(), transformers::Error);
  c = GenerationConfig();
  c.do_sample = true;
  c.temperature = 0;
  EXPECT_THROW(c.validate(), transformers::Error);
  c = GenerationConfig();
  c.min_p = 2.0;
  EXPECT_THROW(c.validate(), transformers::Error);
}

TEST(LogitsProcessTest, PresenceAndFrequencyPenaltiesCountGeneratedTokensOnly) {
  GenerationConfig c;
  c.presence_penalty = 1.0;
  c.frequency_penalty = 0.5;
  auto list = make_logits_processors(c, /*prompt_length=*/2, 20);
  // prompt [1, 1] is not counted; generated: token 1 once, token 2 twice
  EXPECT_EQ(apply(list, {1, 1, 2, 1, 2}, {0, 0, 0, 0}), (std::vector<float>{0, -1.5f, -2.0f, 0}));
}
