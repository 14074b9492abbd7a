// token-classification: gather/aggregate/group on hand-built scores (expected values derived by
// hand from Hugging Face's TokenClassificationPipeline algorithm), and end to end on bert_tokcls
// with tokenizers whose ids are the fixture's, the expected labels and scores coming from
// Hugging Face's reference logits.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "pipelines/pipeline_test_support.h"
#include "transformers/core/error.h"
#include "transformers/models/auto/modeling_auto.h"
#include "transformers/pipelines/token_classification.h"

using namespace transformers;
using namespace transformers::pipelines;
using namespace transformers::testing;

namespace {

const std::map<int64_t, std::string> kLabels = {{0, "O"}, {1, "B-ENT"}, {2, "I-ENT"}, {3, "I-NAME"}};

// WordPiece's decoder: "##" pieces glued to the previous token, others after a space (the
// first token is kept as is).
std::string wordpiece_join(const std::vector<std::string>& tokens) {
  std::string out;
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (i > 0 && tokens[i].rfind("##", 0) == 0) out += tokens[i].substr(2);
    else out += (i > 0 ? " " : "") + tokens[i];
  }
  return out;
}

// HF's docstring example: "microsoft company" as micro|##soft com|##pany.
std::vector<PreEntity> microsoft_company() {
  return {{"micro", {0.1, 0.7, 0.1, 0.1}, 0, 5, 1, false},
          {"##soft", {0.05, 0.05, 0.1, 0.8}, 5, 9, 2, true},
          {"com", {0.1, 0.1, 0.8, 0.0}, 10, 13, 3, false},
          {"##pany", {0.2, 0.0, 0.5, 0.3}, 13, 17, 4, true}};
}

void expect_entity(const TokenEntity& e, const std::string& entity, double score, const std::string& word,
                   int64_t start, int64_t end, double tolerance = 1e-12) {
  EXPECT_EQ(e.entity, entity);
  EXPECT_NEAR(e.score, score, tolerance) << entity;
  EXPECT_EQ(e.word, word);
  EXPECT_EQ(e.start, start) << word;
  EXPECT_EQ(e.end, end) << word;
}

}  // namespace

TEST(TokenClassificationPostprocess, NoneKeepsEveryTokenWithItsIndex) {
  auto out = aggregate_entities(microsoft_company(), AggregationStrategy::None, kLabels, wordpiece_join, {"O"});
  ASSERT_EQ(out.size(), 4u);
  expect_entity(out[0], "B-ENT", 0.7, "micro", 0, 5);
  expect_entity(out[1], "I-NAME", 0.8, "##soft", 5, 9);
  expect_entity(out[3], "I-ENT", 0.5, "##pany", 13, 17);
  EXPECT_EQ(out[0].index, 1);
  EXPECT_EQ(out[3].index, 4);
  // ignore_labels filters by the token's label.
  auto kept = aggregate_entities(microsoft_company(), AggregationStrategy::None, kLabels, wordpiece_join, {"I-ENT"});
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_EQ(kept[1].entity, "I-NAME");
}

TEST(TokenClassificationPostprocess, SimpleGroupsAdjacentTagsOnly) {
  // B-ENT | I-NAME | I-ENT I-ENT: the tag changes twice; the last two merge (mean score).
  auto out = aggregate_entities(microsoft_company(), AggregationStrategy::Simple, kLabels, wordpiece_join, {"O"});
  ASSERT_EQ(out.size(), 3u);
  expect_entity(out[0], "ENT", 0.7, "micro", 0, 5);
  expect_entity(out[1], "NAME", 0.8, "##soft", 5, 9);
  expect_entity(out[2], "ENT", (0.8 + 0.5) / 2, "company", 10, 17);
  EXPECT_FALSE(out[0].index.has_value());
}

TEST(TokenClassificationPostprocess, FirstAverageMaxAgreeOnWords) {
  // first: each word takes its first token's label: B-ENT (0.7), I-ENT (0.8) -> one ENT group.
  auto first = aggregate_entities(microsoft_company(), AggregationStrategy::First, kLabels, wordpiece_join, {"O"});
  ASSERT_EQ(first.size(), 1u);
  expect_entity(first[0], "ENT", (0.7 + 0.8) / 2, "microsoft company", 0, 17);
  // max: the token with the highest score decides: ##soft (I-NAME 0.8), com (I-ENT 0.8).
  auto max = aggregate_entities(microsoft_company(), AggregationStrategy::Max, kLabels, wordpiece_join, {"O"});
  ASSERT_EQ(max.size(), 2u);
  expect_entity(max[0], "NAME", 0.8, "microsoft", 0, 9);
  expect_entity(max[1], "ENT", 0.8, "company", 10, 17);
  // average: microsoft = (0.075, 0.375, 0.1, 0.45) -> I-NAME 0.45; company = (0.15, 0.05, 0.65, 0.15) -> I-ENT.
  auto avg = aggregate_entities(microsoft_company(), AggregationStrategy::Average, kLabels, wordpiece_join, {"O"});
  ASSERT_EQ(avg.size(), 2u);
  expect_entity(avg[0], "NAME", 0.45, "microsoft", 0, 9);
  expect_entity(avg[1], "ENT", 0.65, "company", 10, 17);
}

TEST(TokenClassificationPostprocess, BeginTagsSplitGroupsAndOIsIgnored) {
  const std::map<int64_t, std::string> labels = {{0, "O"}, {1, "B-PER"}, {2, "MISC"}};
  std::vector<PreEntity> pre = {{"Ann", {0.1, 0.9, 0.0}, 0, 3, 1, false},
                                {"Bob", {0.2, 0.6, 0.2}, 4, 7, 2, false},
                                {"and", {0.7, 0.2, 0.1}, 8, 11, 3, false},
                                {"x", {0.1, 0.1, 0.8}, 12, 13, 4, false},
                                {"y", {0.0, 0.4, 0.6}, 14, 15, 5, false}};
  auto out = aggregate_entities(pre, AggregationStrategy::Simple, labels, wordpiece_join, {"O"});
  // B-PER B-PER: two groups; O dropped; MISC MISC (no prefix counts as I-) merge.
  ASSERT_EQ(out.size(), 3u);
  expect_entity(out[0], "PER", 0.9, "Ann", 0, 3);
  expect_entity(out[1], "PER", 0.6, "Bob", 4, 7);
  expect_entity(out[2], "MISC", 0.7, "x y", 12, 15);
  // With nothing ignored the O group stays.
  EXPECT_EQ(aggregate_entities(pre, AggregationStrategy::Simple, labels, wordpiece_join, {}).size(), 4u);
  // Labels missing from id2label are LABEL_i.
  auto unnamed = aggregate_entities(pre, AggregationStrategy::None, {}, wordpiece_join, {});
  EXPECT_EQ(unnamed[0].entity, "LABEL_1");
}

TEST(TokenClassificationPostprocess, GatherSkipsSpecialTokensAndFindsSubwords) {
  // "Héllo wörld" (code-point offsets) as [CLS] hé ##llo [UNK] [SEP].
  const std::string sentence = "H\xC3\xA9llo w\xC3\xB6rld";
  std::vector<std::string> tokens = {"[CLS]", "h\xC3\xA9", "##llo", "[UNK]", "[SEP]"};
  std::vector<int32_t> ids = {2, 10, 11, 1, 3};
  std::vector<std::vector<double>> scores(5, {0.5, 0.5});
  std::vector<std::pair<size_t, size_t>> offsets = {{0, 0}, {0, 2}, {2, 5}, {6, 11}, {0, 0}};
  std::vector<int32_t> special = {1, 0, 0, 0, 1};
  auto pre = gather_pre_entities(sentence, tokens, ids, scores, offsets, special, 1, /*has_subword_prefix=*/true);
  ASSERT_EQ(pre.size(), 3u);
  EXPECT_EQ(pre[0].index, 1);
  EXPECT_FALSE(pre[0].is_subword);  // len("hé") == len("Hé")
  EXPECT_TRUE(pre[1].is_subword);   // len("##llo") != len("llo")
  EXPECT_EQ(pre[2].word, "w\xC3\xB6rld");  // unknown token: its text
  EXPECT_FALSE(pre[2].is_subword);
  // Without a continuation prefix: a subword when no space is at or just before its start.
  auto heuristic = gather_pre_entities(sentence, tokens, ids, scores, offsets, special, std::nullopt, false);
  EXPECT_FALSE(heuristic[0].is_subword);  // at the start
  EXPECT_TRUE(heuristic[1].is_subword);   // "él"
  EXPECT_FALSE(heuristic[2].is_subword);  // " w"
  EXPECT_EQ(heuristic[2].word, "[UNK]");
}

TEST(TokenClassificationPostprocess, OverlappingWindowsKeepTheLongerEntity) {
  std::vector<TokenEntity> e = {{"A", 0.5, std::nullopt, "a", 0, 5},
                                {"D", 0.1, std::nullopt, "d", 12, 15},
                                {"B", 0.4, std::nullopt, "b", 3, 10},
                                {"C", 0.9, std::nullopt, "c", 3, 10}};
  // Sorted by start: A, B, C, D. B overlaps A and is longer; C as long as B, higher score; D apart.
  auto out = aggregate_overlapping_entities(e);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].entity, "C");
  EXPECT_EQ(out[1].entity, "D");
  EXPECT_THROW(parse_aggregation_strategy("mean"), Error);
  EXPECT_EQ(parse_aggregation_strategy("FIRST"), AggregationStrategy::First);
}

TEST(TokenClassificationPostprocess, JsonShapes) {
  std::vector<std::vector<TokenEntity>> r = {{{"B-PER", 0.5, 1, "w5", 0, 2}, {"PER", 0.25, std::nullopt, "a b", 3, 6}}};
  EXPECT_EQ(token_classification_to_json(r),
            R"([[{"entity":"B-PER","score":0.5,"index":1,"word":"w5","start":0,"end":2},)"
            R"({"entity_group":"PER","score":0.25,"word":"a b","start":3,"end":6}]])");
}

namespace {

// bert_tokcls reference row 1: [CLS] ids 39 230 85 231 173 139 [SEP] + padding. Labels by
// Hugging Face's logits (argmax): I-LOC I-LOC O I-LOC O I-PER.
const std::vector<int64_t> kRow1 = {39, 230, 85, 231, 173, 139};

std::vector<std::vector<double>> row1_probs() {
  std::vector<double> logits = reference("bert_tokcls", "logits");
  std::vector<std::vector<double>> p;
  for (int pos = 1; pos <= 6; ++pos)
    p.push_back(hand_softmax(std::vector<double>(logits.begin() + (12 + pos) * 5, logits.begin() + (13 + pos) * 5)));
  return p;
}

}  // namespace

TEST(TokenClassificationPipelineTest, TokensAndGroupsFollowTransformersLogits) {
  TFM_SKIP_WITHOUT_SHARED();
  auto dir = shared_path("fixtures/models/bert_tokcls");
  TokenClassificationPipeline pipe(models::AutoModel::from_pretrained(dir),
                                   std::make_unique<tok::PreTrainedTokenizer>(test_tokenizer()));
  auto probs = row1_probs();
  const std::string text = words(kRow1);  // "w39 w230 w85 w231 w173 w139"
  TokenClassificationOptions none;
  none.ignore_labels = std::vector<std::string>{};
  // Batched with a longer text: the padding must not change the first text's scores.
  auto results = pipe({text, text + " w9 w10 w11"}, none);
  ASSERT_EQ(results.size(), 2u);
  ASSERT_EQ(results[0].size(), 6u);
  const std::vector<std::string> expected = {"I-LOC", "I-LOC", "O", "I-LOC", "O", "I-PER"};
  const std::vector<std::string> names = {"O", "B-PER", "I-PER", "B-LOC", "I-LOC"};
  int64_t start = 0;
  for (size_t i = 0; i < 6; ++i) {
    const TokenEntity& e = results[0][i];
    EXPECT_EQ(e.entity, expected[i]);
    const size_t k = size_t(std::find(names.begin(), names.end(), expected[i]) - names.begin());
    EXPECT_NEAR(e.score, probs[i][k], 1e-5);
    EXPECT_EQ(e.index, int64_t(i + 1));
    const std::string word = "w" + std::to_string(kRow1[i]);
    EXPECT_EQ(e.word, word);
    EXPECT_EQ(e.start, start);
    EXPECT_EQ(e.end, start + int64_t(word.size()));
    start += int64_t(word.size()) + 1;
  }
  EXPECT_EQ(results[1].size(), 9u);
  // Default ignore_labels drops the O tokens.
  EXPECT_EQ(pipe({text})[0].size(), 4u);
  // simple: LOC (w39 w230) | O | LOC (w231) | O | PER (w139).
  TokenClassificationOptions simple;
  simple.aggregation_strategy = AggregationStrategy::Simple;
  auto groups = pipe({text}, simple)[0];
  ASSERT_EQ(groups.size(), 3u);
  expect_entity(groups[0], "LOC", (probs[0][4] + probs[1][4]) / 2, "w39 w230", 0, 8, 1e-5);
  expect_entity(groups[1], "LOC", probs[3][4], "w231", 13, 17, 1e-5);
  expect_entity(groups[2], "PER", probs[5][2], "w139", 23, 27, 1e-5);
}

TEST(TokenClassificationPipelineTest, WordStrategiesOnWordPieces) {
  TFM_SKIP_WITHOUT_SHARED();
  auto dir = shared_path("fixtures/models/bert_tokcls");
  // The same ids as WordPiece pieces: "abcd efghij kl" = ab ##cd | ef ##gh ##ij | kl.
  const std::map<int, std::string> pieces = {{39, "ab"}, {230, "##cd"}, {85, "ef"},
                                             {231, "##gh"}, {173, "##ij"}, {139, "kl"}};
  TokenClassificationPipeline pipe(models::AutoModel::from_pretrained(dir),
                                   std::make_unique<tok::PreTrainedTokenizer>(test_tokenizer(4, pieces, true)));
  auto p = row1_probs();
  const std::string text = "abcd efghij kl";
  auto run = [&](AggregationStrategy s) {
    TokenClassificationOptions o;
    o.aggregation_strategy = s;
    return pipe({text}, o)[0];
  };
  // simple: token labels I-LOC I-LOC | O | I-LOC | O | I-PER; "##gh" alone keeps its prefix (the
  // WordPiece decoder leaves a first token as it is).
  auto simple = run(AggregationStrategy::Simple);
  ASSERT_EQ(simple.size(), 3u);
  expect_entity(simple[0], "LOC", (p[0][4] + p[1][4]) / 2, "abcd", 0, 4, 1e-5);
  expect_entity(simple[1], "LOC", p[3][4], "##gh", 7, 9, 1e-5);
  expect_entity(simple[2], "PER", p[5][2], "kl", 12, 14, 1e-5);
  // first: abcd -> ab (I-LOC), efghij -> ef (O), kl (I-PER).
  auto first = run(AggregationStrategy::First);
  ASSERT_EQ(first.size(), 2u);
  expect_entity(first[0], "LOC", p[0][4], "abcd", 0, 4, 1e-5);
  expect_entity(first[1], "PER", p[5][2], "kl", 12, 14, 1e-5);
  // max: efghij -> ##gh (I-LOC 0.331 beats O 0.271 and 0.286), so it joins abcd's group.
  auto max = run(AggregationStrategy::Max);
  ASSERT_EQ(max.size(), 2u);
  expect_entity(max[0], "LOC", (p[0][4] + p[3][4]) / 2, "abcd efghij", 0, 11, 1e-5);
  // average: efghij's mean probabilities put I-LOC (0.240) just above I-PER (0.232).
  std::vector<double> avg1(5), avg2(5);
  for (size_t k = 0; k < 5; ++k) {
    avg1[k] = (p[0][k] + p[1][k]) / 2;
    avg2[k] = (p[2][k] + p[3][k] + p[4][k]) / 3;
  }
  ASSERT_GT(avg2[4], avg2[2]);
  auto avg = run(AggregationStrategy::Average);
  ASSERT_EQ(avg.size(), 2u);
  expect_entity(avg[0], "LOC", (avg1[4] + avg2[4]) / 2, "abcd efghij", 0, 11, 1e-5);
  expect_entity(avg[1], "PER", p[5][2], "kl", 12, 14, 1e-5);
}

TEST(TokenClassificationPipelineTest, StrideWindowsCoverLongTexts) {
  TFM_SKIP_WITHOUT_SHARED();
  auto dir = shared_path("fixtures/models/bert_tokcls");
  auto tokenizer = std::make_unique<tok::PreTrainedTokenizer>(test_tokenizer());
  tokenizer->model_max_length = 6;  // windows of [CLS] + 4 words + [SEP]
  TokenClassificationPipeline pipe(models::AutoModel::from_pretrained(dir), std::move(tokenizer));
  std::vector<int64_t> ids;
  for (int64_t i = 0; i < 11; ++i) ids.push_back(20 + 7 * i);
  const std::string text = words(ids);
  TokenClassificationOptions o;
  o.aggregation_strategy = AggregationStrategy::Simple;
  o.ignore_labels = std::vector<std::string>{};
  o.stride = 2;
  auto entities = pipe({text}, o)[0];
  // Every word is covered, in order, without overlaps, and each entity's offsets spell its words.
  ASSERT_FALSE(entities.empty());
  EXPECT_EQ(entities.front().start, 0);
  EXPECT_EQ(entities.back().end, int64_t(text.size()));
  for (size_t i = 0; i < entities.size(); ++i) {
    EXPECT_EQ(text.substr(size_t(entities[i].start), size_t(entities[i].end - entities[i].start)), entities[i].word);
    if (i > 0) {
      EXPECT_LE(entities[i - 1].end, entities[i].start);
    }
  }
  // Without truncation windows the text is cut at model_max_length: only the first 4 words.
  TokenClassificationOptions cut;
  cut.ignore_labels = std::vector<std::string>{};
  EXPECT_EQ(pipe({text}, cut)[0].size(), 4u);
  // stride needs an aggregation strategy, and must be below model_max_length.
  TokenClassificationOptions bad;
  bad.stride = 2;
  EXPECT_THROW(pipe({text}, bad), Error);
  o.stride = 6;
  EXPECT_THROW(pipe({text}, o), Error);
}

TEST(TokenStringsTest, RealTokenizerDecoders) {
  TFM_SKIP_WITHOUT_SHARED();
  // bert-base-uncased: WordPiece with "##" and the WordPiece decoder (clean-up on).
  tok::PreTrainedTokenizer bert =
      tok::AutoTokenizer::from_pretrained(shared_path("fixtures/tokenizers/bert_base_uncased"));
  TokenStrings s(bert);
  ASSERT_TRUE(s.continuing_subword_prefix().has_value());
  EXPECT_EQ(*s.continuing_subword_prefix(), "##");
  EXPECT_EQ(s.convert_tokens_to_string({"new", "##york", "city", "!"}), "newyork city!");
  // gpt2: byte-level BPE without a continuation prefix; its decoder maps "Ġ" back to spaces.
  tok::PreTrainedTokenizer gpt2 = tok::AutoTokenizer::from_pretrained(shared_path("fixtures/tokenizers/gpt2"));
  TokenStrings g(gpt2);
  EXPECT_FALSE(g.continuing_subword_prefix().has_value());
  EXPECT_EQ(g.convert_tokens_to_string({"Hello", "\xC4\xA0world"}), "Hello world");
}
