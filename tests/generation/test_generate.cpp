// generate() against Hugging Face's recorded generations (reference.json "generate" cases) and
// the real llama2.c checkpoint stories260K.
#include <gtest/gtest.h>

#include <set>

#include <nlohmann/json.hpp>

#include "support/fixtures.h"
#include "transformers/core/autograd.h"
#include "transformers/core/error.h"
#include "transformers/core/ops.h"
#include "transformers/generation/utils.h"
#include "transformers/io/json.h"
#include "transformers/models/auto/modeling_auto.h"

using namespace transformers;
using transformers::testing::shared_path;

namespace {

Tensor to_tensor(const nlohmann::json& rows) {
  std::vector<int64_t> flat;
  for (const auto& r : rows)
    for (const auto& v : r) flat.push_back(v.get<int64_t>());
  return Tensor::from_vector(flat, {int64_t(rows.size()), int64_t(rows[0].size())});
}

std::vector<std::vector<int64_t>> to_rows(const nlohmann::json& rows) {
  return rows.get<std::vector<std::vector<int64_t>>>();
}

// Runs every "generate" case of a decoder-only fixture; returns how many ran.
int check_generate_cases(const std::string& case_name) {
  auto dir = shared_path("fixtures/models/" + case_name);
  nlohmann::json ref = io::read_json(dir / "reference.json");
  auto model = models::AutoModelForCausalLM::from_pretrained(dir);
  int ran = 0;
  for (const auto& c : ref["generate"]) {
    generation::GenerationConfig config = generation::GenerationConfig::from_model_dir(dir, model->config());
    const auto& kw = c["kwargs"];
    config.max_new_tokens = kw["max_new_tokens"].get<int64_t>();
    config.do_sample = kw["do_sample"];
    config.num_beams = kw["num_beams"];
    config.use_cache = kw["use_cache"];
    if (kw.contains("pad_token_id")) config.pad_token_id = kw["pad_token_id"].get<int64_t>();
    if (kw.contains("num_return_sequences")) config.num_return_sequences = kw["num_return_sequences"];
    if (kw.contains("early_stopping")) config.early_stopping = kw["early_stopping"];
    if (kw.contains("length_penalty")) config.length_penalty = kw["length_penalty"];
    generation::GenerateOutput out =
        generation::generate(*model, to_tensor(c["prompt_ids"]), to_tensor(c["attention_mask"]), config);
    EXPECT_EQ(out.sequences, to_rows(c["sequences"])) << case_name << " / " << c["name"];
    if (c.contains("sequences_scores")) {
      EXPECT_EQ(out.sequences_scores.size(), c["sequences_scores"].size());
      if (out.sequences_scores.size() != c["sequences_scores"].size()) continue;
      for (size_t i = 0; i < out.sequences_scores.size(); ++i)
        EXPECT_NEAR(out.sequences_scores[i], c["sequences_scores"][i].get<double>(), 1e-4)
            << case_name << " / " << c["name"];
    }
    ++ran;
  }
  return ran;
}

}  // namespace

TEST(GenerateParityTest, LlamaCasesMatchTransformers) {
  TFM_SKIP_WITHOUT_SHARED();
  EXPECT_EQ(check_generate_cases("llama"), 4);
}

TEST(GenerateParityTest, Llama3RopeCasesMatchTransformers) {
  TFM_SKIP_WITHOUT_SHARED();
  EXPECT_GE(check_generate_cases("llama_rope_llama3"), 1);
}

TEST(GenerateParityTest, Stories260KGreedyMatchesRecordedIds) {
  TFM_SKIP_WITHOUT_SHARED();
  auto dir = shared_path("models/stories260K");
  nlohmann::json ref = io::read_json(dir / "reference.json");
  auto model = models::AutoModelForCausalLM::from_pretrained(dir);
  ASSERT_TRUE(ref.contains("generate"));
  int ran = 0;
  for (const auto& c : ref["generate"]) {
    generation::GenerationConfig config = generation::GenerationConfig::from_model_dir(dir, model->config());
    std::vector<int64_t> prompt = c["prompt_ids"].get<std::vector<int64_t>>();
    std::vector<int64_t> expected = c["sequences"][0].get<std::vector<int64_t>>();
    config.max_new_tokens = int64_t(expected.size() - prompt.size());
    Tensor ids = Tensor::from_vector(prompt, {1, int64_t(prompt.size())});
    generation::GenerateOutput out = generation::generate(*model, ids, Tensor(), config);
    EXPECT_EQ(out.sequences[0], expected) << c.dump().substr(0, 200);
    ++ran;
  }
  EXPECT_EQ(ran, 3);
}

TEST(GenerateTest, SeededSamplingIsReproducibleAndRespectsTopK) {
  TFM_SKIP_WITHOUT_SHARED();
  auto dir = shared_path("fixtures/models/llama");
  auto model = models::AutoModelForCausalLM::from_pretrained(dir);
  generation::GenerationConfig config = generation::GenerationConfig::from_model_dir(dir, model->config());
  config.do_sample = true;
  config.max_new_tokens = 12;
  config.seed = 7;
  config.top_k = 1;  // top-1 sampling is greedy
  Tensor ids = Tensor::from_vector(std::vector<int64_t>{1, 159, 216, 93, 113, 184, 30}, {1, 7});
  auto sampled = generation::generate(*model, ids, Tensor(), config).sequences;
  config.do_sample = false;
  EXPECT_EQ(sampled, generation::generate(*model, ids, Tensor(), config).sequences);
  config.do_sample = true;
  config.top_k = 0;
  config.temperature = 1.5;
  auto a = generation::generate(*model, ids, Tensor(), config).sequences;
  auto b = generation::generate(*model, ids, Tensor(), config).sequences;
  EXPECT_EQ(a, b);
}

TEST(GenerateTest, BeamSamplingScoresAreTheSequencesLogProbabilities) {
  TFM_SKIP_WITHOUT_SHARED();
  // Beam sampling (num_beams with do_sample; Note [Beam sampling]) draws its candidates, so the ids
  // cannot be compared with torch's; what it returns must still be consistent: the same seed gives
  // the same result, the sequences come best first, and each score is its new tokens' summed
  // log-probability under the model (a separate uncached forward) / length ** length_penalty.
  auto dir = shared_path("fixtures/models/llama");
  auto model = models::AutoModelForCausalLM::from_pretrained(dir);
  generation::GenerationConfig config;
  config.do_sample = true;
  config.num_beams = 3;
  config.num_return_sequences = 2;
  config.max_new_tokens = 6;
  config.eos_token_id = {};  // every hypothesis runs to max_new_tokens
  config.seed = 3;
  const std::vector<int64_t> prompt{1, 159, 216, 93, 113};
  Tensor ids = Tensor::from_vector(prompt, {1, 5});
  generation::GenerateOutput out = generation::generate(*model, ids, Tensor(), config);
  EXPECT_EQ(out.sequences, generation::generate(*model, ids, Tensor(), config).sequences);
  ASSERT_EQ(out.sequences.size(), 2u);
  ASSERT_EQ(out.sequences_scores.size(), 2u);
  EXPECT_GE(out.sequences_scores[0], out.sequences_scores[1]);
  // It does sample: other seeds give other beams (deterministic for our generator; the fixture's
  // random weights give a flat distribution).
  std::set<std::vector<std::vector<int64_t>>> results;
  for (uint64_t seed = 0; seed < 4; ++seed) {
    config.seed = seed;
    results.insert(generation::generate(*model, ids, Tensor(), config).sequences);
  }
  EXPECT_GT(results.size(), 1u);
  autograd::NoGradGuard no_grad;
  for (size_t i = 0; i < out.sequences.size(); ++i) {
    const std::vector<int64_t>& seq = out.sequences[i];
    ASSERT_EQ(seq.size(), 11u);
    EXPECT_TRUE(std::equal(prompt.begin(), prompt.end(), seq.begin()));
    models::CausalLMInputs in;
    in.input_ids = Tensor::from_vector(seq, {1, int64_t(seq.size())});
    Tensor logp = ops::log_softmax(model->forward(in).logits.select(0, 0), -1);  // [len, vocab]
    double sum = 0;
    for (size_t t = prompt.size(); t < seq.size(); ++t)
      sum += logp.select(0, int64_t(t) - 1).to_vector<float>()[size_t(seq[t])];
    EXPECT_NEAR(out.sequences_scores[i], sum / 6.0, 1e-4) << "sequence " << i;
  }
}

TEST(GenerateTest, RejectsBadInputs) {
  TFM_SKIP_WITHOUT_SHARED();
  auto dir = shared_path("fixtures/models/llama");
  auto model = models::AutoModelForCausalLM::from_pretrained(dir);
  generation::GenerationConfig config;
  Tensor out_of_vocab = Tensor::from_vector(std::vector<int64_t>{1, 100000}, {1, 2});
  EXPECT_THROW(generation::generate(*model, out_of_vocab, Tensor(), config), Error);
  config.num_beams = 0;
  EXPECT_THROW(generation::generate(*model, Tensor::from_vector(std::vector<int64_t>{1}, {1, 1}), Tensor(), config),
               Error);
}

TEST(AssistedGenerationTest, PromptLookupAndDraftModelGiveTheGreedyResult) {
  TFM_SKIP_WITHOUT_SHARED();
  auto dir = shared_path("models/stories260K");
  auto model = models::AutoModelForCausalLM::from_pretrained(dir);
  generation::GenerationConfig greedy = generation::GenerationConfig::from_model_dir(dir, model->config());
  greedy.max_new_tokens = 40;
  nlohmann::json ref = io::read_json(dir / "reference.json");
  for (const auto& c : ref["generate"]) {
    std::vector<int64_t> prompt = c["prompt_ids"].get<std::vector<int64_t>>();
    Tensor ids = Tensor::from_vector(prompt, {1, int64_t(prompt.size())});
    auto expected = generation::generate(*model, ids, Tensor(), greedy).sequences;
    generation::GenerationConfig lookup = greedy;
    lookup.prompt_lookup_num_tokens = 3;
    std::vector<int64_t> streamed;
    auto got = generation::generate(*model, ids, Tensor(), lookup,
                                    [&](const std::vector<int64_t>& t) { streamed.push_back(t[0]); });
    EXPECT_EQ(got.sequences, expected);
    EXPECT_EQ(streamed, std::vector<int64_t>(expected[0].begin() + int64_t(prompt.size()), expected[0].end()));
  }
  // A draft model that disagrees often (the fixture llama has another vocabulary size: rejected).
  auto other = models::AutoModelForCausalLM::from_pretrained(shared_path("fixtures/models/llama"));
  Tensor ids = Tensor::from_vector(std::vector<int64_t>{1, 403, 407, 261, 378}, {1, 5});
  EXPECT_THROW(generation::generate(*model, ids, Tensor(), greedy, nullptr, other.get()), Error);
}

TEST(AssistedGenerationTest, DraftModelVerificationMatchesGreedy) {
  TFM_SKIP_WITHOUT_SHARED();
  // Two different random models with the same vocabulary: the draft's proposals are mostly
  // rejected, and the target's greedy output must come out unchanged.
  auto target = models::AutoModelForCausalLM::from_pretrained(shared_path("fixtures/models/llama"));
  auto draft = models::AutoModelForCausalLM::from_pretrained(shared_path("fixtures/models/llama_rope_llama3"));
  ASSERT_EQ(target->vocab_size(), draft->vocab_size());
  generation::GenerationConfig config =
      generation::GenerationConfig::from_model_dir(shared_path("fixtures/models/llama"), target->config());
  config.max_new_tokens = 20;
  config.num_assistant_tokens = 4;
  Tensor ids = Tensor::from_vector(std::vector<int64_t>{1, 159, 216, 93, 113, 184, 30}, {1, 7});
  auto expected = generation::generate(*target, ids, Tensor(), config).sequences;
  EXPECT_EQ(generation::generate(*target, ids, Tensor(), config, nullptr, draft.get()).sequences, expected);
  // The target as its own draft: every proposal is accepted.
  EXPECT_EQ(generation::generate(*target, ids, Tensor(), config, nullptr, target.get()).sequences, expected);
}

TEST(GenerateTest, AttentionMaskIsInferredFromPadding) {
  TFM_SKIP_WITHOUT_SHARED();
  auto dir = shared_path("fixtures/models/llama");
  nlohmann::json ref = io::read_json(dir / "reference.json");
  auto model = models::AutoModelForCausalLM::from_pretrained(dir);
  for (const auto& c : ref["generate"]) {
    if (c["name"] != "greedy_batch_left_padded") continue;
    generation::GenerationConfig config = generation::GenerationConfig::from_model_dir(dir, model->config());
    config.max_new_tokens = c["kwargs"]["max_new_tokens"].get<int64_t>();
    config.pad_token_id = c["kwargs"]["pad_token_id"].get<int64_t>();
    // No mask given: the pad token (0, not an eos) marks the padding, as in HF.
    auto out = generation::generate(*model, to_tensor(c["prompt_ids"]), Tensor(), config);
    EXPECT_EQ(out.sequences, to_rows(c["sequences"]));
    return;
  }
  FAIL() << "no greedy_batch_left_padded case";
}
