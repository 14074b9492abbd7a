// pipeline(task, model): HF task names and aliases, the default task from a model folder, and
// the JSON calling convention (HF's argument names, HF's output shapes).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "pipelines/pipeline_test_support.h"
#include "transformers/core/error.h"
#include "transformers/pipelines/pipeline.h"

using namespace transformers;
using namespace transformers::pipelines;
using namespace transformers::testing;
using nlohmann::json;

TEST(PipelineFactory, TaskNamesAndAliases) {
  EXPECT_EQ(normalize_task("sentiment-analysis"), "text-classification");
  EXPECT_EQ(normalize_task("ner"), "token-classification");
  EXPECT_EQ(normalize_task("question-answering"), "question-answering");
  EXPECT_THROW(normalize_task("summarization"), Error);
  EXPECT_EQ(default_task_for_architecture("LlamaForCausalLM"), "text-generation");
  EXPECT_EQ(default_task_for_architecture("GPT2LMHeadModel"), "text-generation");
  EXPECT_EQ(default_task_for_architecture("BertForMaskedLM"), "fill-mask");
  EXPECT_EQ(default_task_for_architecture("RobertaForSequenceClassification"), "text-classification");
  EXPECT_EQ(default_task_for_architecture("BertForTokenClassification"), "token-classification");
  EXPECT_EQ(default_task_for_architecture("BertForQuestionAnswering"), "question-answering");
  EXPECT_EQ(default_task_for_architecture("BertModel"), "feature-extraction");
  EXPECT_THROW(default_task_for_architecture("BertForNextSentencePrediction"), Error);
}

TEST(PipelineFactory, DefaultTaskFromFixtureFolders) {
  TFM_SKIP_WITHOUT_SHARED();
  EXPECT_EQ(default_task(shared_path("fixtures/models/bert_tokcls")), "token-classification");
  EXPECT_EQ(default_task(shared_path("fixtures/models/bert_qa")), "question-answering");
  EXPECT_EQ(default_task(shared_path("fixtures/models/bert_base")), "feature-extraction");
  EXPECT_EQ(default_task(shared_path("fixtures/models/bert_mlm")), "fill-mask");
  EXPECT_EQ(default_task(shared_path("fixtures/models/roberta_seqcls")), "text-classification");
  EXPECT_EQ(default_task(shared_path("fixtures/models/llama")), "text-generation");
}

TEST(PipelineFactory, JsonShapesPerTask) {
  TFM_SKIP_WITHOUT_SHARED();
  auto ner = pipeline("ner", fixture_with_tokenizer("bert_tokcls", test_tokenizer(), "pipelines_factory_ner"));
  EXPECT_EQ(ner->task(), "token-classification");
  // One string: a list of entities; a list of strings: a list of lists.
  json one = json::parse((*ner)(R"("w39 w230 w85")", R"({"ignore_labels": []})"));
  ASSERT_TRUE(one.is_array());
  ASSERT_EQ(one.size(), 3u);
  EXPECT_EQ(one[0]["word"], "w39");
  EXPECT_EQ(one[0]["index"], 1);
  json many = json::parse((*ner)(R"(["w39", "w85 w9"])", R"({"aggregation_strategy": "simple", "ignore_labels": []})"));
  ASSERT_EQ(many.size(), 2u);
  EXPECT_TRUE(many[1][0].contains("entity_group"));
  EXPECT_THROW((*ner)(R"("w39")", R"({"aggregation": "simple"})"), Error);  // unknown option named
  EXPECT_THROW(ner->as<QuestionAnsweringPipeline>(), Error);
  TokenClassificationOptions keep_all;
  keep_all.ignore_labels = std::vector<std::string>{};
  EXPECT_EQ(ner->as<TokenClassificationPipeline>()({"w39 w230"}, keep_all)[0].size(), 2u);  // typed structs

  auto qa = pipeline("", fixture_with_tokenizer("bert_qa", test_tokenizer(), "pipelines_factory_qa"));
  EXPECT_EQ(qa->task(), "question-answering");
  json answer = json::parse((*qa)(R"({"question": "w117 w94", "context": "w238 w60 w131"})"));
  ASSERT_TRUE(answer.is_object());  // top_k 1: one object
  for (const char* key : {"score", "start", "end", "answer"}) EXPECT_TRUE(answer.contains(key)) << key;
  json answers = json::parse((*qa)(R"({"question": "w117 w94", "context": "w238 w60 w131"})", R"({"top_k": 2})"));
  EXPECT_EQ(answers.size(), 2u);

  auto cls = pipeline("sentiment-analysis", fixture_with_tokenizer("bert_seqcls", test_tokenizer(),
                                                                   "pipelines_factory_cls"));
  // HF: one text -> [{label, score}]; top_k=None -> every label.
  json best = json::parse((*cls)(R"("w9 w10")"));
  ASSERT_EQ(best.size(), 1u);
  EXPECT_TRUE(best[0].contains("label"));
  EXPECT_EQ(json::parse((*cls)(R"("w9 w10")", R"({"top_k": null})")).size(), 3u);
  EXPECT_EQ(json::parse((*cls)(R"({"text": "w9", "text_pair": "w10"})", R"({"top_k": 2})")).size(), 2u);

  auto zero = pipeline("zero-shot-classification",
                       fixture_with_tokenizer("bert_seqcls", test_tokenizer(), "pipelines_factory_zero"));
  json z = json::parse((*zero)(R"("w9 w10")", R"({"candidate_labels": "w11, w12", "hypothesis_template": "{}"})"));
  EXPECT_EQ(z["sequence"], "w9 w10");
  EXPECT_EQ(z["labels"].size(), 2u);
  EXPECT_NEAR(z["scores"][0].get<double>() + z["scores"][1].get<double>(), 1.0, 1e-9);

  auto features = pipeline("", fixture_with_tokenizer("bert_base", test_tokenizer(), "pipelines_factory_features"));
  json f = json::parse((*features)(R"("w9 w10")"));
  ASSERT_EQ(f.size(), 1u);        // [1, tokens, hidden]
  EXPECT_EQ(f[0].size(), 4u);     // [CLS] w9 w10 [SEP]
  EXPECT_EQ(f[0][0].size(), 64u);
}
