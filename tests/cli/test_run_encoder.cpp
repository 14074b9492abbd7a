// `transformers run MODEL INPUT --task T --json` for the encoder tasks, on tiny random BERT (and one
// ELECTRA) checkpoints with a 32-word WordPiece vocabulary (vocab.txt, converted by the tokenizer
// layer as transformers' BertConverter does). Each test checks the JSON shape Hugging Face's
// pipeline returns (keys, entry counts, top_k, score order and sums, offsets that slice the input
// back to the word) and that the printed JSON is exactly what the library's pipeline() returns
// for the same folder: the command is a thin frontend.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "cli/cli_runner.h"
#include "support/fixtures.h"
#include "transformers/io/json.h"
#include "transformers/io/safetensors.h"
#include "transformers/models/auto/modeling_auto.h"
#include "transformers/pipelines/pipeline.h"

using namespace transformers;
using nlohmann::json;
using transformers::testing::temp_dir;

namespace {

// Line i of vocab.txt is id i.
const std::vector<std::string> kVocab = {
    "[PAD]", "[UNK]", "[CLS]",  "[SEP]", "[MASK]", "the",   "cat",   "sat",  "on",   "mat", "dog",
    "paris", "is",    "capital", "of",   "france", "where", "does",  "live", "in",   "hello", "world",
    "play",  "##ing", "##s",    ".",     "?",      ",",     "a",     "this", "example", "good"};

// A model folder: `config` (dims filled in) with random weights (N(0, 0.5), seeded) and the
// vocabulary as vocab.txt + tokenizer_config.json of `tokenizer_class` (lower-casing).
std::filesystem::path write_model(const std::string& name, json config, const std::string& tokenizer_class,
                                  uint64_t seed) {
  auto dir = temp_dir(name);
  for (auto [key, value] : {std::pair{"vocab_size", int64_t(kVocab.size())},
                            {"hidden_size", 16},
                            {"num_hidden_layers", 1},
                            {"num_attention_heads", 2},
                            {"intermediate_size", 32},
                            {"max_position_embeddings", 64}})
    if (!config.contains(key)) config[key] = value;
  config["initializer_range"] = 0.5;  // spread-out scores (the 0.02 default makes them all nearly equal)
  io::write_json(dir / "config.json", config);
  auto random = models::AutoModel::from_pretrained(dir, {.random_weights = true, .seed = seed});
  std::vector<Tensor> keep;
  std::vector<io::TensorToWrite> tensors;
  for (const auto& [key, t] : random->named_parameters()) {
    keep.push_back(t.contiguous());
    tensors.push_back({key, t.dtype(), t.shape(), keep.back().raw_data()});
  }
  io::save_safetensors(dir / "model.safetensors", tensors);
  std::ofstream vocab(dir / "vocab.txt");
  for (const std::string& token : kVocab) vocab << token << "\n";
  io::write_json(dir / "tokenizer_config.json",
                 {{"tokenizer_class", tokenizer_class}, {"do_lower_case", true}, {"model_max_length", 64}});
  return dir;
}

json bert_config(const std::string& architecture, const std::vector<std::string>& labels = {}) {
  json c = {{"architectures", {architecture}}, {"model_type", "bert"}};
  if (!labels.empty()) {
    json id2label = json::object(), label2id = json::object();
    for (size_t i = 0; i < labels.size(); ++i) {
      id2label[std::to_string(i)] = labels[i];
      label2id[labels[i]] = i;
    }
    c["id2label"] = id2label;
    c["label2id"] = label2id;
  }
  return c;
}

// Runs the command; stdout only (stderr kept apart, shown on failure).
using RunResult = transformers::testing::CliResult;

RunResult run(const std::string& args) {
  return transformers::testing::run_cli(args, {.input = std::nullopt, .separate_stderr = true});
}

// `run DIR 'input' ARGS --json`, parsed; fails the test when the command fails.
json run_json(const std::filesystem::path& dir, const std::string& input, const std::string& args) {
  RunResult r = run("run " + dir.string() + " '" + input + "' " + args + " --json");
  EXPECT_EQ(r.code, 0) << r.err;
  json out = json::parse(r.out, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(out.is_discarded()) << r.out << r.err;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << "one line: " << r.out;
  return out;
}

// What the library's pipeline() answers for the same folder, inputs and HF keyword arguments.
json library(const std::string& task, const std::filesystem::path& dir, const json& inputs, const json& options) {
  auto pipe = pipelines::pipeline(task, dir);
  return json::parse((*pipe)(inputs.dump(), options.dump()));
}

std::set<std::string> keys_of(const json& object) {
  std::set<std::string> keys;
  for (const auto& [key, value] : object.items()) keys.insert(key);
  return keys;
}

std::string lower(std::string s) {
  for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Scores of `list` (objects with "score"), in order.
std::vector<double> scores_of(const json& list) {
  std::vector<double> s;
  for (const auto& item : list) s.push_back(item["score"].get<double>());
  return s;
}

void expect_probabilities_descending(const std::vector<double>& s, const std::string& what) {
  for (size_t i = 0; i < s.size(); ++i) {
    EXPECT_GT(s[i], 0.0) << what << " " << i;
    EXPECT_LE(s[i], 1.0) << what << " " << i;
    if (i > 0) {
      EXPECT_GE(s[i - 1], s[i]) << what << ": not sorted at " << i;
    }
  }
}

double sum(const std::vector<double>& s) {
  double total = 0;
  for (double v : s) total += v;
  return total;
}

}  // namespace

TEST(RunEncoderCliTest, FillMaskTopKAndTokenStrings) {
  auto dir = write_model("run_fill_mask", bert_config("BertForMaskedLM"), "BertTokenizer", 1);
  const std::string text = "Paris is the capital of [MASK].";
  json top3 = run_json(dir, text, "--task fill-mask --top-k 3");
  ASSERT_TRUE(top3.is_array());
  ASSERT_EQ(top3.size(), 3u);
  std::set<int64_t> tokens;
  for (const auto& p : top3) {
    EXPECT_EQ(keys_of(p), (std::set<std::string>{"score", "token", "token_str", "sequence"}));
    int64_t token = p["token"];
    ASSERT_TRUE(token >= 0 && token < int64_t(kVocab.size())) << token;
    tokens.insert(token);
    EXPECT_EQ(p["token_str"], kVocab[size_t(token)]);  // one token decodes to its vocabulary entry
    // The input, lower-cased by the tokenizer, with the mask filled (special tokens skipped).
    EXPECT_EQ(p["sequence"].get<std::string>().rfind("paris is the capital of", 0), 0u) << p["sequence"];
  }
  EXPECT_EQ(tokens.size(), 3u);
  expect_probabilities_descending(scores_of(top3), "fill-mask");
  EXPECT_EQ(top3, library("fill-mask", dir, text, {{"top_k", 3}}));

  // HF's default top_k is 5; a top_k beyond the vocabulary gives every token, summing to 1.
  EXPECT_EQ(run_json(dir, text, "--task fill-mask").size(), 5u);
  json all = run_json(dir, text, "--task fill-mask --top-k 100");
  ASSERT_EQ(all.size(), kVocab.size());
  EXPECT_NEAR(sum(scores_of(all)), 1.0, 1e-6);
  EXPECT_EQ(json(all[0]), top3[0]);
  // The task is also the default for a ForMaskedLM folder.
  EXPECT_EQ(run_json(dir, text, "--top-k 3"), top3);
}

TEST(RunEncoderCliTest, TextClassificationBestLabelAndAllLabels) {
  const std::vector<std::string> labels = {"NEGATIVE", "NEUTRAL", "POSITIVE"};
  auto dir = write_model("run_text_classification", bert_config("BertForSequenceClassification", labels),
                         "BertTokenizer", 2);
  const std::string text = "The cat sat on the mat.";
  json best = run_json(dir, text, "--task text-classification");
  ASSERT_TRUE(best.is_array());
  ASSERT_EQ(best.size(), 1u);  // HF: one text -> [{label, score}]
  EXPECT_EQ(keys_of(best[0]), (std::set<std::string>{"label", "score"}));
  EXPECT_EQ(best, library("text-classification", dir, text, json::object()));

  json all = run_json(dir, text, "--task text-classification --all-labels");
  ASSERT_EQ(all.size(), labels.size());
  std::set<std::string> seen;
  for (const auto& s : all) seen.insert(s["label"].get<std::string>());
  EXPECT_EQ(seen, std::set<std::string>(labels.begin(), labels.end()));
  expect_probabilities_descending(scores_of(all), "text-classification");
  EXPECT_NEAR(sum(scores_of(all)), 1.0, 1e-9);  // softmax over 3 labels
  EXPECT_EQ(all[0], best[0]);
  EXPECT_EQ(all, library("text-classification", dir, text, {{"top_k", nullptr}}));
  EXPECT_EQ(run_json(dir, text, "--task text-classification --top-k 2").size(), 2u);
}

TEST(RunEncoderCliTest, TokenClassificationOffsetsSliceTheInput) {
  const std::vector<std::string> labels = {"O", "B-LOC", "I-LOC", "B-PER", "I-PER"};
  auto dir = write_model("run_token_classification", bert_config("BertForTokenClassification", labels),
                         "BertTokenizer", 3);
  const std::string text = "Hello world, the cat is playing.";
  json entities = run_json(dir, text, "--task token-classification --options '{\"ignore_labels\": []}'");
  ASSERT_TRUE(entities.is_array());
  // hello world , the cat is play ##ing . -> one entity per token without ignored labels.
  ASSERT_EQ(entities.size(), 9u);
  for (size_t i = 0; i < entities.size(); ++i) {
    const json& e = entities[i];
    EXPECT_EQ(keys_of(e), (std::set<std::string>{"entity", "score", "index", "word", "start", "end"}));
    EXPECT_EQ(e["index"], i + 1) << "index counts tokens after [CLS]";
    EXPECT_NE(std::find(labels.begin(), labels.end(), e["entity"].get<std::string>()), labels.end());
    size_t start = e["start"], end = e["end"];
    ASSERT_TRUE(start < end && end <= text.size()) << e;
    std::string word = e["word"];
    if (word.rfind("##", 0) == 0) word = word.substr(2);
    EXPECT_EQ(lower(text.substr(start, end - start)), word) << e;
    EXPECT_GT(e["score"].get<double>(), 0.0);
    EXPECT_LE(e["score"].get<double>(), 1.0);
  }
  EXPECT_EQ(entities[6]["word"], "play");
  EXPECT_EQ(entities[7]["word"], "##ing");
  EXPECT_EQ(entities, library("token-classification", dir, text, {{"ignore_labels", json::array()}}));

  // Aggregated groups cover the tokens in order; each word is its slice of the input.
  json groups = run_json(dir, text,
                         "--task token-classification --aggregation-strategy simple --options "
                         "'{\"ignore_labels\": []}'");
  ASSERT_FALSE(groups.empty());
  size_t previous_end = 0;
  for (const auto& g : groups) {
    EXPECT_EQ(keys_of(g), (std::set<std::string>{"entity_group", "score", "word", "start", "end"}));
    size_t start = g["start"], end = g["end"];
    ASSERT_TRUE(start >= previous_end && start < end && end <= text.size()) << g;
    EXPECT_EQ(lower(text.substr(start, end - start)), g["word"]) << g;
    previous_end = end;
  }
  EXPECT_EQ(groups, library("token-classification", dir, text,
                            {{"aggregation_strategy", "simple"}, {"ignore_labels", json::array()}}));
  // The default ignore_labels ["O"] drops exactly the O entities.
  json kept = run_json(dir, text, "--task token-classification");
  size_t not_o = 0;
  for (const auto& e : entities) not_o += e["entity"] != "O";
  EXPECT_EQ(kept.size(), not_o);
}

TEST(RunEncoderCliTest, QuestionAnsweringAnswersAreSlicesOfTheContext) {
  auto dir = write_model("run_question_answering", bert_config("BertForQuestionAnswering"), "BertTokenizer", 4);
  const std::string question = "Where does the cat live?", context = "The cat sat on the mat in Paris.";
  json answers = run_json(dir, question, "--task question-answering --context '" + context + "' --top-k 3");
  ASSERT_TRUE(answers.is_array());
  ASSERT_EQ(answers.size(), 3u);
  for (const auto& a : answers) {
    EXPECT_EQ(keys_of(a), (std::set<std::string>{"score", "start", "end", "answer"}));
    size_t start = a["start"], end = a["end"];
    ASSERT_TRUE(start < end && end <= context.size()) << a;
    EXPECT_EQ(context.substr(start, end - start), a["answer"]) << a;
  }
  expect_probabilities_descending(scores_of(answers), "question-answering");
  json inputs = {{"question", question}, {"context", context}};
  EXPECT_EQ(answers, library("question-answering", dir, inputs, {{"top_k", 3}}));
  // top_k 1 (the default): one object, the best answer.
  json best = run_json(dir, question, "--task question-answering --context '" + context + "'");
  ASSERT_TRUE(best.is_object());
  EXPECT_EQ(best, answers[0]);
}

TEST(RunEncoderCliTest, FeatureExtractionIsOneRowPerToken) {
  auto dir = write_model("run_feature_extraction", bert_config("BertModel"), "BertTokenizer", 5);
  json features = run_json(dir, "Hello world", "--task feature-extraction");
  // HF: [1, tokens, hidden] for one text; [CLS] hello world [SEP].
  ASSERT_TRUE(features.is_array());
  ASSERT_EQ(features.size(), 1u);
  ASSERT_EQ(features[0].size(), 4u);
  for (const auto& row : features[0]) EXPECT_EQ(row.size(), 16u);
  EXPECT_EQ(features, library("feature-extraction", dir, "Hello world", json::object()));
  EXPECT_EQ(run_json(dir, "Hello world", ""), features);  // the default task of a base model
}

TEST(RunEncoderCliTest, ZeroShotClassificationScoresEveryCandidate) {
  auto dir = write_model(
      "run_zero_shot",
      bert_config("BertForSequenceClassification", {"entailment", "neutral", "contradiction"}),
      "BertTokenizer", 6);
  const std::string text = "The cat sat on the mat.";
  json result = run_json(dir, text, "--task zero-shot-classification --candidate-labels 'cat,dog,paris'");
  ASSERT_TRUE(result.is_object());
  EXPECT_EQ(keys_of(result), (std::set<std::string>{"sequence", "labels", "scores"}));
  EXPECT_EQ(result["sequence"], text);
  ASSERT_EQ(result["labels"].size(), 3u);
  EXPECT_EQ(result["labels"].get<std::set<std::string>>(), (std::set<std::string>{"cat", "dog", "paris"}));
  std::vector<double> scores = result["scores"];
  ASSERT_EQ(scores.size(), 3u);
  expect_probabilities_descending(scores, "zero-shot");
  EXPECT_NEAR(sum(scores), 1.0, 1e-9);  // single-label: softmax of entailment across candidates
  EXPECT_EQ(result, library("zero-shot-classification", dir, text, {{"candidate_labels", "cat,dog,paris"}}));
}

TEST(RunEncoderCliTest, ElectraGeneratorFillsTheMask) {
  json config = {{"architectures", {"ElectraForMaskedLM"}}, {"model_type", "electra"}, {"embedding_size", 8}};
  auto dir = write_model("run_electra_fill_mask", config, "ElectraTokenizer", 7);
  const std::string text = "The [MASK] sat on the mat.";
  json top2 = run_json(dir, text, "--task fill-mask --top-k 2");
  ASSERT_EQ(top2.size(), 2u);
  for (const auto& p : top2) {
    EXPECT_EQ(keys_of(p), (std::set<std::string>{"score", "token", "token_str", "sequence"}));
    EXPECT_EQ(p["token_str"], kVocab[p["token"].get<size_t>()]);
  }
  expect_probabilities_descending(scores_of(top2), "electra fill-mask");
  EXPECT_EQ(top2, library("fill-mask", dir, text, {{"top_k", 2}}));
  EXPECT_EQ(run_json(dir, text, "--top-k 2"), top2);  // ElectraForMaskedLM -> fill-mask by default
}

TEST(RunEncoderCliTest, ElectraDiscriminatorHasNoDefaultTask) {
  // HF maps ElectraForPreTraining to no pipeline: the command asks for a task instead of guessing.
  json config = {{"architectures", {"ElectraForPreTraining"}}, {"model_type", "electra"}, {"embedding_size", 8}};
  auto dir = write_model("run_electra_discriminator", config, "ElectraTokenizer", 8);
  RunResult r = run("run " + dir.string() + " 'the cat' --json");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("ElectraForPreTraining"), std::string::npos) << r.err;
  // Feature extraction loads the base model, as HF's AutoModel: ElectraModel, head left unused.
  json features = run_json(dir, "the cat", "--task feature-extraction");
  ASSERT_EQ(features.size(), 1u);
  ASSERT_EQ(features[0].size(), 4u);  // [CLS] the cat [SEP]
  EXPECT_EQ(features, library("feature-extraction", dir, "the cat", json::object()));
}
