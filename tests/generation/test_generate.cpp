// generate() against Hugging Face's recorded generations (reference.json "generate" cases) and
// the real llama2.c checkpoint stories260K.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <functional>
#include <limits>
#include <set>

#include <nlohmann/json.hpp>

#include "support/compare.h"
#include "support/errors.h"
#include "support/fixtures.h"
#include "transformers/core/autograd.h"
#include "transformers/core/error.h"
#include "transformers/core/ops.h"
#include "transformers/generation/utils.h"
#include "transformers/io/json.h"
#include "transformers/models/auto/modeling_auto.h"
#include "transformers/nn/cache.h"

using namespace transformers;
using transformers::testing::shared_path;
using transformers::testing::tensors_close;

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

// Token t reads "[t]", so the stop string "[t]" matches where token t ends a sequence and
// "[s][t]" where s, t are its last two tokens.
std::string bracket_decode(const std::vector<int64_t>& ids) {
  std::string text;
  for (int64_t t : ids) text += "[" + std::to_string(t) + "]";
  return text;
}

// log_softmax of the next-token logits after `seq`, from one uncached forward pass.
std::vector<double> next_log_probs(models::CausalLM& model, const std::vector<int64_t>& seq) {
  autograd::NoGradGuard no_grad;
  models::CausalLMInputs in;
  in.input_ids = Tensor::from_vector(seq, {1, int64_t(seq.size())});
  Tensor logp = ops::log_softmax(model.forward(in).logits.select(0, 0).select(0, int64_t(seq.size()) - 1), -1);
  std::vector<float> f = logp.to_vector<float>();
  return std::vector<double>(f.begin(), f.end());
}

std::vector<int64_t> appended(std::vector<int64_t> seq, int64_t token) {
  seq.push_back(token);
  return seq;
}

// Hugging Face 4.51's beam search rule (_beam_search: candidates, stopping criteria, running beams,
// finished slots, the batch-wide stopping test), written plainly for greedy beams over prompts of
// one length: uncached forward passes, double arithmetic, explicit sorting. The oracle for cases
// too long to derive by hand.
struct ReferenceBeamSearch {
  int64_t num_beams = 2, max_new_tokens = 4, num_return_sequences = 1;
  double length_penalty = 1.0;
  generation::EarlyStopping early_stopping;
  std::set<int64_t> eos;
  std::vector<std::string> stop_strings;  // matched on bracket_decode text, ending in the last token
  int64_t fill = -1;

  bool stops(const std::vector<int64_t>& seq, int64_t max_length) const {
    if (int64_t(seq.size()) >= max_length || eos.count(seq.back())) return true;
    const std::string text = bracket_decode(seq);
    const size_t before = text.size() - bracket_decode({seq.back()}).size();
    for (const std::string& s : stop_strings)
      for (size_t pos = text.find(s); pos != std::string::npos; pos = text.find(s, pos + 1))
        if (pos + s.size() > before) return true;
    return false;
  }

  generation::GenerateOutput run(models::CausalLM& model, const std::vector<std::vector<int64_t>>& prompts) const {
    struct Hyp {
      std::vector<int64_t> seq;
      double score;
    };
    const int64_t K = num_beams, prompt_len = int64_t(prompts[0].size()), max_length = prompt_len + max_new_tokens;
    const int64_t keep = std::max<int64_t>(2, 1 + int64_t(eos.size())) * K;
    const auto by_score = [](const Hyp& a, const Hyp& b) { return a.score > b.score; };
    std::vector<std::vector<Hyp>> running, finished(prompts.size());
    for (const auto& p : prompts) running.push_back({Hyp{p, 0.0}});  // the other beams start at -1e9
    for (int64_t cur_len = prompt_len;; ++cur_len) {
      bool all_stop = true, improvement = false, all_full = true;
      for (size_t b = 0; b < prompts.size(); ++b) {
        std::vector<Hyp> cands;
        for (const Hyp& h : running[b]) {
          std::vector<double> lp = next_log_probs(model, h.seq);
          for (size_t t = 0; t < lp.size(); ++t) cands.push_back({appended(h.seq, int64_t(t)), h.score + lp[t]});
        }
        std::stable_sort(cands.begin(), cands.end(), by_score);
        cands.resize(size_t(keep));
        const bool full = int64_t(finished[b].size()) == K && early_stopping.value == generation::EarlyStopping::kTrue;
        std::vector<Hyp> next;
        bool row_stops = true;
        for (int64_t i = 0; i < keep; ++i) {
          const bool stop = stops(cands[size_t(i)].seq, max_length);
          row_stops = row_stops && stop;
          if (!stop && int64_t(next.size()) < K) next.push_back(cands[size_t(i)]);
          if (stop && i < K && !full)
            finished[b].push_back(
                {cands[size_t(i)].seq,
                 cands[size_t(i)].score / std::pow(double(cur_len + 1 - prompt_len), length_penalty)});
        }
        std::stable_sort(finished[b].begin(), finished[b].end(), by_score);
        if (int64_t(finished[b].size()) > K) finished[b].resize(size_t(K));
        all_stop = all_stop && row_stops;
        // (HF then runs on with stopped candidates scored -1e9; the cases here avoid that.)
        EXPECT_TRUE(int64_t(next.size()) == K || row_stops) << "reference: fewer than num_beams clean candidates";
        running[b] = next;
        const bool never = early_stopping.value == generation::EarlyStopping::kNever && length_penalty > 0;
        const double best_len = double(never ? max_new_tokens : cur_len + 1 - prompt_len);
        const bool slots_full = int64_t(finished[b].size()) == K;
        all_full = all_full && slots_full;
        if (int64_t(next.size()) < K) continue;  // only when every candidate stops (max_length)
        improvement = improvement || !slots_full ||
                      next[0].score / std::pow(best_len, length_penalty) > finished[b].back().score;
      }
      if (all_stop || !improvement || (all_full && early_stopping.value == generation::EarlyStopping::kTrue)) break;
    }
    generation::GenerateOutput out;
    size_t longest = 0;
    for (const auto& row : finished)
      for (int64_t i = 0; i < num_return_sequences; ++i) {
        out.sequences.push_back(row.at(size_t(i)).seq);
        out.sequences_scores.push_back(row.at(size_t(i)).score);
        longest = std::max(longest, row[size_t(i)].seq.size());
      }
    for (auto& seq : out.sequences) seq.resize(longest, fill);
    return out;
  }
};

void expect_same_beams(const generation::GenerateOutput& got, const generation::GenerateOutput& want,
                       const std::string& what) {
  EXPECT_EQ(got.sequences, want.sequences) << what;
  ASSERT_EQ(got.sequences_scores.size(), want.sequences_scores.size()) << what;
  for (size_t i = 0; i < want.sequences_scores.size(); ++i)
    EXPECT_NEAR(got.sequences_scores[i], want.sequences_scores[i], 1e-4) << what << ", sequence " << i;
}

// The first `n` tokens by log-probability, best first.
std::vector<int64_t> best_tokens(const std::vector<double>& lp, size_t n) {
  std::vector<int64_t> order(lp.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = int64_t(i);
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return lp[size_t(a)] > lp[size_t(b)]; });
  order.resize(n);
  return order;
}

// The llama fixture and a five-token prompt, as a [1, 5] tensor too: the setup of the tests below.
struct LlamaAndPrompt {
  std::unique_ptr<models::CausalLM> model;
  std::vector<int64_t> prompt;
  Tensor ids;
};
LlamaAndPrompt llama_and_prompt() {
  const std::vector<int64_t> prompt{1, 159, 216, 93, 113};
  return {models::AutoModelForCausalLM::from_pretrained(shared_path("fixtures/models/llama")), prompt,
          Tensor::from_vector(prompt, {1, int64_t(prompt.size())})};
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
  // HF's GenerationConfig.validate: max_new_tokens must be greater than 0.
  config.num_beams = 1;
  config.max_new_tokens = 0;
  EXPECT_THROW(generation::generate(*model, Tensor::from_vector(std::vector<int64_t>{1}, {1, 1}), Tensor(), config),
               Error);
  config.max_new_tokens.reset();
  // A streamer with beam search is refused, as in HF (beams are only known at the end).
  config.num_beams = 2;
  int calls = 0;
  const generation::TokenCallback count = [&](const std::vector<int64_t>&) { ++calls; };
  try {
    generation::generate(*model, Tensor::from_vector(std::vector<int64_t>{1, 159}, {1, 2}), Tensor(), config, count);
    ADD_FAILURE() << "a streamer was accepted with beam search";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("[generate] a token callback (streamer) cannot be used with beam search", 0),
              0u)
        << e.what();
  }
  EXPECT_EQ(calls, 0);
}

TEST(GenerateTest, HugeMaxNewTokensRunsUntilAStoppingCriterion) {
  TFM_SKIP_WITHOUT_SHARED();
  // max_length = prompt + max_new_tokens saturates instead of overflowing: generation runs until
  // eos. The greedy third new token is made the eos, so exactly three come out.
  auto dir = shared_path("fixtures/models/llama");
  auto model = models::AutoModelForCausalLM::from_pretrained(dir);
  generation::GenerationConfig config;
  config.eos_token_id = {};
  config.max_new_tokens = 3;
  Tensor ids = Tensor::from_vector(std::vector<int64_t>{1, 159, 216}, {1, 3});
  const std::vector<int64_t> three = generation::generate(*model, ids, Tensor(), config).sequences[0];
  ASSERT_EQ(three.size(), 6u);
  ASSERT_EQ(std::count(three.begin() + 3, three.end(), three[5]), 1) << "eos would stop earlier";
  config.eos_token_id = {three[5]};
  config.max_new_tokens = std::numeric_limits<int64_t>::max();
  EXPECT_EQ(generation::generate(*model, ids, Tensor(), config).sequences[0], three);
  // A static cache of that many tokens cannot exist: a clear error, not an overflow.
  config.cache_implementation = "static";
  const std::string message =
      transformers::testing::error_message([&] { generation::generate(*model, ids, Tensor(), config); });
  EXPECT_NE(message.find("too many elements"), std::string::npos) << message;
}

TEST(GenerateTest, PastKeyValuesHoldingAPrefixGiveTheSameGeneration) {
  TFM_SKIP_WITHOUT_SHARED();
  // HF's past_key_values: a cache that already holds the prompt's first tokens; generate() feeds
  // the rest. The result is the one a fresh cache gives.
  auto dir = shared_path("fixtures/models/llama");
  auto model = models::AutoModelForCausalLM::from_pretrained(dir);
  generation::GenerationConfig config;
  config.max_new_tokens = 8;
  config.output_logits = true;
  const std::vector<int64_t> prompt{1, 159, 216, 93, 113, 184, 30};
  Tensor ids = Tensor::from_vector(prompt, {1, 7});
  const generation::GenerateOutput fresh = generation::generate(*model, ids, Tensor(), config);
  auto prefilled = [&](int64_t tokens) {
    autograd::NoGradGuard no_grad;
    std::unique_ptr<nn::KVCache> cache = model->make_cache();
    models::CausalLMInputs in;
    in.input_ids = Tensor::from_vector(std::vector<int64_t>(prompt.begin(), prompt.begin() + tokens), {1, tokens});
    in.past_key_values = cache.get();
    model->forward(in);
    return cache;
  };
  std::unique_ptr<nn::KVCache> cache = prefilled(4);
  generation::GenerateHooks hooks;
  hooks.past_key_values = cache.get();
  const generation::GenerateOutput reused = generation::generate(*model, ids, Tensor(), config, hooks);
  EXPECT_EQ(reused.sequences, fresh.sequences);
  ASSERT_EQ(reused.logits.size(), fresh.logits.size());
  for (size_t t = 0; t < fresh.logits.size(); ++t) {
    const std::vector<float>& a = reused.logits[t][0];
    const std::vector<float>& b = fresh.logits[t][0];
    float worst = 0;
    for (size_t v = 0; v < a.size(); ++v) worst = std::max(worst, std::abs(a[v] - b[v]));
    EXPECT_LT(worst, 1e-4f) << "step " << t;
  }
  // Every token but the last is in the cache afterwards.
  EXPECT_EQ(cache->seq_length(), int64_t(fresh.sequences[0].size()) - 1);

  // Refused: a cache holding the whole prompt, a cache_implementation as well, beams.
  std::unique_ptr<nn::KVCache> whole = prefilled(7);
  hooks.past_key_values = whole.get();
  EXPECT_THROW(generation::generate(*model, ids, Tensor(), config, hooks), Error);
  std::unique_ptr<nn::KVCache> part = prefilled(3);
  hooks.past_key_values = part.get();
  config.cache_implementation = "static";
  EXPECT_THROW(generation::generate(*model, ids, Tensor(), config, hooks), Error);
  config.cache_implementation.reset();
  config.num_beams = 2;
  EXPECT_THROW(generation::generate(*model, ids, Tensor(), config, hooks), Error);
  EXPECT_EQ(part->seq_length(), 3);  // untouched by the refused calls
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

TEST(AssistedGenerationTest, DecodesWithAGrowingCacheWhateverTheModelsDefault) {
  TFM_SKIP_WITHOUT_SHARED();
  // Gemma2's generation_config.json asks for its hybrid cache, which cannot rewind. As HF, a draft
  // model decodes with a DynamicCache instead (the window masked over every key: the uncached
  // result), while prompt lookup refuses the static-shaped cache unless it is unset.
  auto dir = shared_path("fixtures/models/gemma2");
  auto model = models::AutoModelForCausalLM::from_pretrained(dir);
  generation::GenerationConfig config = generation::GenerationConfig::from_model_dir(dir, model->config());
  ASSERT_EQ(config.cache_implementation, std::optional<std::string>("hybrid"));
  config.max_new_tokens = 14;  // 21 tokens: past the window of 8
  config.num_assistant_tokens = 3;
  Tensor ids = Tensor::from_vector(std::vector<int64_t>{2, 15, 27, 90, 33, 8, 71}, {1, 7});
  generation::GenerationConfig uncached = config;
  uncached.use_cache = false;
  const auto expected = generation::generate(*model, ids, Tensor(), uncached).sequences;
  EXPECT_EQ(generation::generate(*model, ids, Tensor(), config, nullptr, model.get()).sequences, expected);
  generation::GenerationConfig lookup = config;
  lookup.prompt_lookup_num_tokens = 2;
  EXPECT_THROW(generation::generate(*model, ids, Tensor(), lookup), Error);
  lookup.cache_implementation.reset();
  EXPECT_EQ(generation::generate(*model, ids, Tensor(), lookup).sequences, expected);
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

// ---------------------------------------------------------------- stop strings with beams

TEST(BeamStopStringsTest, AStopStringFinishesTheBeamThatMakesIt) {
  TFM_SKIP_WITHOUT_SHARED();
  auto [model, prompt, ids] = llama_and_prompt();
  generation::GenerationConfig config;  // no eos token: HF fills a short row with -1
  config.num_beams = 2;
  config.num_return_sequences = 2;
  config.max_new_tokens = 2;
  generation::GenerateHooks hooks;
  hooks.decode = bracket_decode;

  // By hand (length_penalty 1). Step 1: the candidates are the 4 best first tokens a0..a3. With the
  // stop string "[a0]", a0 (among the first num_beams candidates) finishes with score lp(a0) / 1
  // and a1, a2 run on (without it, a0 and a1 would).
  const std::vector<double> lp0 = next_log_probs(*model, prompt);
  const std::vector<int64_t> a = best_tokens(lp0, 4);
  // Step 2 reaches max_length, so every candidate stops: the two best continuations of a1 and a2
  // finish with score (sum of log-probabilities) / 2; the best two finished sequences are returned.
  struct Hyp {
    std::vector<int64_t> seq;
    double score;
  };
  std::vector<Hyp> step2;
  for (int64_t beam : {a[1], a[2]}) {
    const std::vector<int64_t> seq = appended(prompt, beam);
    const std::vector<double> lp = next_log_probs(*model, seq);
    for (size_t t = 0; t < lp.size(); ++t) step2.push_back({appended(seq, int64_t(t)), lp0[size_t(beam)] + lp[t]});
  }
  const auto by_score = [](const Hyp& x, const Hyp& y) { return x.score > y.score; };
  std::stable_sort(step2.begin(), step2.end(), by_score);
  std::vector<Hyp> finished{{appended(prompt, a[0]), lp0[size_t(a[0])]},
                            {step2[0].seq, step2[0].score / 2},
                            {step2[1].seq, step2[1].score / 2}};
  std::stable_sort(finished.begin(), finished.end(), by_score);
  generation::GenerateOutput want;
  for (size_t i = 0; i < 2; ++i) {
    want.sequences.push_back(finished[i].seq);
    want.sequences.back().resize(prompt.size() + 2, -1);
    want.sequences_scores.push_back(finished[i].score);
  }

  config.stop_strings = {"[" + std::to_string(a[0]) + "]"};
  expect_same_beams(generation::generate(*model, ids, Tensor(), config, hooks), want, "stop string [a0]");
  // A stop string may begin in the prompt (HF's criterion reads the whole sequence): "[113][a0]"
  // also ends in a0.
  config.stop_strings = {"[113][" + std::to_string(a[0]) + "]"};
  expect_same_beams(generation::generate(*model, ids, Tensor(), config, hooks), want, "stop string [113][a0]");
  // The same search without the stop string keeps a0 running.
  config.stop_strings.clear();
  EXPECT_NE(generation::generate(*model, ids, Tensor(), config, hooks).sequences, want.sequences);
}

TEST(BeamStopStringsTest, StopStringsAndEosMatchTheReferenceBeamSearch) {
  TFM_SKIP_WITHOUT_SHARED();
  auto [model, prompt, ids] = llama_and_prompt();
  // Stop strings on the likeliest second tokens, so that beams stop at different lengths; one
  // spans two tokens.
  const std::vector<double> lp0 = next_log_probs(*model, prompt);
  const std::vector<int64_t> a = best_tokens(lp0, 3);
  const std::vector<int64_t> b = best_tokens(next_log_probs(*model, appended(prompt, a[0])), 2);
  const std::vector<int64_t> c = best_tokens(next_log_probs(*model, appended(prompt, a[1])), 1);
  ReferenceBeamSearch ref;
  ref.num_beams = 3;
  ref.num_return_sequences = 3;
  ref.max_new_tokens = 6;
  ref.stop_strings = {"[" + std::to_string(b[1]) + "]", "[" + std::to_string(a[1]) + "][" + std::to_string(c[0]) + "]"};
  ref.eos = {a[2]};
  ref.fill = 7;  // the pad token (nonzero pads; a pad id of 0 would fill with eos)
  generation::GenerationConfig config;
  config.num_beams = ref.num_beams;
  config.num_return_sequences = ref.num_return_sequences;
  config.max_new_tokens = ref.max_new_tokens;
  config.stop_strings = ref.stop_strings;
  config.eos_token_id = {a[2]};
  config.pad_token_id = 7;
  generation::GenerateHooks hooks;
  hooks.decode = bracket_decode;
  for (double length_penalty : {1.0, 0.0, -1.0}) {
    ref.length_penalty = config.length_penalty = length_penalty;
    for (bool early : {false, true}) {
      ref.early_stopping = config.early_stopping = early;
      const std::string what =
          "length_penalty " + std::to_string(length_penalty) + ", early_stopping " + (early ? "true" : "false");
      generation::GenerateOutput want = ref.run(*model, {prompt});
      expect_same_beams(generation::generate(*model, ids, Tensor(), config, hooks), want, what);
      config.use_cache = false;
      expect_same_beams(generation::generate(*model, ids, Tensor(), config, hooks), want, what + ", no cache");
      config.use_cache = true;
    }
  }
}

TEST(BeamStopStringsTest, BatchedRowsFollowHuggingFaceBatchWideStoppingTest) {
  TFM_SKIP_WITHOUT_SHARED();
  // 4.51 decides whether to go on over the whole batch: a row that cannot improve keeps running
  // while the other can, and still takes better finished sequences.
  auto model = models::AutoModelForCausalLM::from_pretrained(shared_path("fixtures/models/llama"));
  const std::vector<std::vector<int64_t>> prompts{{1, 159, 216, 93, 113}, {1, 40, 77, 12, 200}};
  ReferenceBeamSearch ref;
  ref.num_beams = 2;
  ref.num_return_sequences = 2;
  ref.max_new_tokens = 6;
  ref.eos = {best_tokens(next_log_probs(*model, prompts[0]), 2)[1]};
  ref.stop_strings = {"[" + std::to_string(best_tokens(next_log_probs(*model, prompts[1]), 1)[0]) + "]"};
  ref.fill = *ref.eos.begin();  // the pad id is 0, which HF's `pad_token_id or eos_token_id[0]` skips
  generation::GenerationConfig config;
  config.num_beams = ref.num_beams;
  config.num_return_sequences = ref.num_return_sequences;
  config.max_new_tokens = ref.max_new_tokens;
  config.eos_token_id = {*ref.eos.begin()};
  config.pad_token_id = 0;
  config.stop_strings = ref.stop_strings;
  generation::GenerateHooks hooks;
  hooks.decode = bracket_decode;
  std::vector<int64_t> flat;
  for (const auto& p : prompts) flat.insert(flat.end(), p.begin(), p.end());
  Tensor ids = Tensor::from_vector(flat, {2, 5});
  expect_same_beams(generation::generate(*model, ids, Tensor(), config, hooks), ref.run(*model, prompts), "batch of 2");
  // The case exercises the batch-wide test: alone, the second prompt stops after one token.
  generation::GenerateOutput batched = generation::generate(*model, ids, Tensor(), config, hooks);
  generation::GenerateOutput alone =
      generation::generate(*model, Tensor::from_vector(prompts[1], {1, 5}), Tensor(), config, hooks);
  EXPECT_EQ(alone.sequences[0].size(), 6u);
  EXPECT_NE(std::vector<int64_t>(batched.sequences[3].begin(), batched.sequences[3].begin() + 6),
            std::vector<int64_t>(alone.sequences[1].begin(), alone.sequences[1].begin() + 6));
}

TEST(BeamStopStringsTest, BeamSamplingStopsBeamsWhereTheirTextEnds) {
  TFM_SKIP_WITHOUT_SHARED();
  // Sampled beams cannot be derived by hand; what they return must still obey the rule: a sequence
  // shorter than max_length ends at its first stop-string hit, and each score is its new tokens'
  // log-probability (length_penalty 0).
  auto [model, prompt, ids] = llama_and_prompt();
  generation::GenerationConfig config;
  config.do_sample = true;
  config.num_beams = 3;
  config.num_return_sequences = 3;
  config.max_new_tokens = 6;
  config.length_penalty = 0.0;  // scores are plain sums: short finished beams can win
  config.pad_token_id = 5;
  config.eos_token_id = {2};
  ReferenceBeamSearch rule;  // for its stop-string test
  // The first token's likeliest choice runs on; the next three stop.
  const std::vector<int64_t> first = best_tokens(next_log_probs(*model, prompt), 4);
  for (int64_t t : std::vector<int64_t>(first.begin() + 1, first.end())) {
    config.stop_strings.push_back("[" + std::to_string(t) + "]");
    rule.stop_strings.push_back(config.stop_strings.back());
  }
  rule.eos = {2};
  generation::GenerateHooks hooks;
  hooks.decode = bracket_decode;
  int shorter = 0;
  for (uint64_t seed = 0; seed < 4; ++seed) {
    config.seed = seed;
    generation::GenerateOutput out = generation::generate(*model, ids, Tensor(), config, hooks);
    ASSERT_EQ(out.sequences.size(), 3u);
    for (size_t i = 0; i < out.sequences.size(); ++i) {
      std::vector<int64_t> seq = out.sequences[i];
      while (seq.size() > prompt.size() && seq.back() == 5) seq.pop_back();  // the fill
      const int64_t n = int64_t(seq.size() - prompt.size());
      ASSERT_GE(n, 1);
      for (int64_t k = 1; k < n; ++k)
        EXPECT_FALSE(rule.stops(std::vector<int64_t>(seq.begin(), seq.begin() + int64_t(prompt.size()) + k), 1 << 30))
            << "seed " << seed << ": sequence " << i << " runs past a stop at token " << k;
      if (n < 6) {
        ++shorter;
        EXPECT_TRUE(rule.stops(seq, 1 << 30)) << "seed " << seed << ": sequence " << i << " ends without a stop";
      }
      double sum = 0;
      for (size_t t = prompt.size(); t < seq.size(); ++t)
        sum += next_log_probs(*model, std::vector<int64_t>(seq.begin(), seq.begin() + int64_t(t)))[size_t(seq[t])];
      EXPECT_NEAR(out.sequences_scores[i], sum, 1e-4) << "seed " << seed << ", sequence " << i;
    }
  }
  EXPECT_GT(shorter, 0) << "no sampled beam hit a stop string; the case tests nothing";
}

TEST(StopStringsTest, AStopStringMayEndInsideTheLastToken) {
  TFM_SKIP_WITHOUT_SHARED();
  // HF's StopStringCriteria: the last token may run past the end of the stop string.
  auto [model, prompt, ids] = llama_and_prompt();
  generation::GenerationConfig config;
  config.max_new_tokens = 8;
  generation::GenerateHooks hooks;
  hooks.decode = bracket_decode;
  const std::vector<int64_t> greedy = generation::generate(*model, ids, Tensor(), config, hooks).sequences[0];
  ASSERT_EQ(greedy.size(), prompt.size() + 8);
  // "[g1][d": g1 whole, then the first character of g2's text ("[") and its first digit.
  const int64_t g1 = greedy[prompt.size() + 1], g2 = greedy[prompt.size() + 2];
  const std::string stop = "[" + std::to_string(g1) + "][" + std::to_string(g2).substr(0, 1);
  // Where the rule says the text first stops (the oracle's own search over the decoded text).
  ReferenceBeamSearch rule;
  rule.stop_strings = {stop};
  size_t end = prompt.size() + 1;
  while (end < greedy.size() &&
         !rule.stops(std::vector<int64_t>(greedy.begin(), greedy.begin() + int64_t(end)), 1 << 30))
    ++end;
  ASSERT_LE(end, prompt.size() + 3);  // at g2 at the latest
  config.stop_strings = {stop};
  EXPECT_EQ(generation::generate(*model, ids, Tensor(), config, hooks).sequences[0],
            std::vector<int64_t>(greedy.begin(), greedy.begin() + int64_t(end)));
}

TEST(StopStringsTest, AStopStringEndingInACharacterSplitAcrossByteTokens) {
  TFM_SKIP_WITHOUT_SHARED();
  // Byte-fallback and byte-level tokenizers split a character across tokens; until its last byte
  // arrives, decoding shows U+FFFD. Two generated tokens are made to decode to the bytes of "é"
  // (C3 A9): the stop string "é" ends inside the second, so generation stops there.
  auto [model, prompt, ids] = llama_and_prompt();
  generation::GenerationConfig config;
  config.max_new_tokens = 8;
  const std::vector<int64_t> greedy = generation::generate(*model, ids, Tensor(), config).sequences[0];
  size_t j = prompt.size();
  while (j + 1 < greedy.size() && greedy[j] == greedy[j + 1]) ++j;
  ASSERT_LT(j + 1, greedy.size()) << "no two different consecutive tokens to split a character over";
  const int64_t lead = greedy[j], trail = greedy[j + 1];
  generation::GenerateHooks hooks;
  hooks.decode = [&](const std::vector<int64_t>& tokens) {
    std::string bytes;
    for (int64_t t : tokens)
      bytes += t == lead ? std::string("\xC3") : t == trail ? std::string("\xA9") : "[" + std::to_string(t) + "]";
    std::string text;  // invalid UTF-8 bytes become U+FFFD, as a tokenizer's decode does
    for (size_t i = 0; i < bytes.size(); ++i) {
      if (bytes[i] == '\xC3' && i + 1 < bytes.size() && bytes[i + 1] == '\xA9') text += bytes.substr(i++, 2);
      else if (static_cast<unsigned char>(bytes[i]) >= 0x80) text += "\xEF\xBF\xBD";
      else text += bytes[i];
    }
    return text;
  };
  config.stop_strings = {"\xC3\xA9"};
  EXPECT_EQ(generation::generate(*model, ids, Tensor(), config, hooks).sequences[0],
            std::vector<int64_t>(greedy.begin(), greedy.begin() + int64_t(j + 2)));
}

// ---------------------------------------------------------------- early_stopping

TEST(BeamEarlyStoppingTest, NeverSearchesOnWhereFalseStops) {
  TFM_SKIP_WITHOUT_SHARED();
  auto [model, prompt, ids] = llama_and_prompt();
  // By hand: with eos = {a0, a1} (the two likeliest first tokens) step 1 keeps 3 * 2 candidates
  // a0..a5; a0 and a1 finish with scores l0, l1 (length 1) and a2, a3 run on. Both slots are full.
  // early_stopping false: the best running beam scored at the current length, l2 / 1, cannot beat
  // the worst finished l1, so the search ends after one token. "never" (length_penalty 1 > 0)
  // scores it at max_length instead, l2 / 3, which beats l1, so the search goes on.
  const std::vector<double> lp0 = next_log_probs(*model, prompt);
  const std::vector<int64_t> a = best_tokens(lp0, 3);
  const double l0 = lp0[size_t(a[0])], l1 = lp0[size_t(a[1])], l2 = lp0[size_t(a[2])];
  ASSERT_GT(l2 / 3, l1);
  generation::GenerationConfig config;
  config.num_beams = 2;
  config.num_return_sequences = 2;
  config.max_new_tokens = 3;
  config.eos_token_id = {a[0], a[1]};
  config.pad_token_id = 7;

  generation::GenerateOutput stopped;
  stopped.sequences = {appended(prompt, a[0]), appended(prompt, a[1])};
  stopped.sequences_scores = {l0, l1};
  for (bool early : {false, true}) {
    config.early_stopping = early;
    expect_same_beams(generation::generate(*model, ids, Tensor(), config), stopped,
                      std::string("early_stopping ") + (early ? "true" : "false"));
  }
  config.early_stopping = generation::EarlyStopping::never();
  ReferenceBeamSearch ref;
  ref.num_beams = 2;
  ref.num_return_sequences = 2;
  ref.max_new_tokens = 3;
  ref.eos = {a[0], a[1]};
  ref.fill = 7;
  ref.early_stopping = generation::EarlyStopping::never();
  generation::GenerateOutput never = generation::generate(*model, ids, Tensor(), config);
  expect_same_beams(never, ref.run(*model, {prompt}), "early_stopping never");
  EXPECT_NE(never.sequences, stopped.sequences);
  // With length_penalty <= 0 a longer sequence cannot score better: "never" is false's test then.
  config.length_penalty = ref.length_penalty = 0.0;
  const generation::GenerateOutput never0 = generation::generate(*model, ids, Tensor(), config);
  expect_same_beams(never0, ref.run(*model, {prompt}), "early_stopping never, length_penalty 0");
  config.early_stopping = false;
  expect_same_beams(generation::generate(*model, ids, Tensor(), config), never0,
                    "early_stopping false, length_penalty 0");
}

TEST(GenerationConfigFileTest, EarlyStoppingTakesTrueFalseOrNever) {
  TFM_SKIP_WITHOUT_SHARED();
  auto model = models::AutoModelForCausalLM::from_pretrained(shared_path("fixtures/models/llama"));
  const auto dir = transformers::testing::temp_dir("generation_config_early_stopping");
  auto load = [&](const std::string& value) {
    std::ofstream(dir / "generation_config.json") << "{\"num_beams\": 2, \"early_stopping\": " << value
                                                  << "}";
    return generation::GenerationConfig::from_model_dir(dir, model->config());
  };
  EXPECT_EQ(load("true").early_stopping, generation::EarlyStopping(true));
  EXPECT_EQ(load("false").early_stopping, generation::EarlyStopping(false));
  EXPECT_EQ(load("\"never\"").early_stopping, generation::EarlyStopping::never());
  EXPECT_EQ(load("null").early_stopping, generation::EarlyStopping(false));  // HF's default
  for (const std::string bad : {"\"sometimes\"", "1", "[true]"}) {
    try {
      load(bad);
      ADD_FAILURE() << bad << " was accepted";
    } catch (const Error& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("'early_stopping' must be true, false or \"never\""), std::string::npos) << what;
    }
  }
  // Setting it from JSON in code (a test's kwargs) takes the same three values.
  generation::GenerationConfig config;
  config.early_stopping = nlohmann::json("never");
  EXPECT_EQ(config.early_stopping.str(), "never");
  config.early_stopping = nlohmann::json(true);
  EXPECT_EQ(config.early_stopping.str(), "true");
  try {
    config.early_stopping = nlohmann::json("always");
    ADD_FAILURE() << "\"always\" was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("[generate] early_stopping", 0), 0u) << e.what();
  }
}

// ---------------------------------------------------------------- output_scores / output_logits

TEST(GenerateOutputsTest, ScoresAndLogitsAreEachStepsProcessedAndRawLogits) {
  TFM_SKIP_WITHOUT_SHARED();
  auto [model, prompt, ids] = llama_and_prompt();
  generation::GenerationConfig config;
  config.max_new_tokens = 6;
  config.eos_token_id = {};
  config.repetition_penalty = 1.3;
  config.output_scores = config.output_logits = true;
  const generation::GenerateOutput out = generation::generate(*model, ids, Tensor(), config);
  const std::vector<int64_t>& seq = out.sequences[0];
  ASSERT_EQ(out.scores.size(), 6u);
  ASSERT_EQ(out.logits.size(), 6u);
  // The raw logits are the model's at each position; the scores apply HF's repetition penalty to
  // every token already in the sequence (divide a positive logit, multiply a negative one).
  models::CausalLMInputs in;
  in.input_ids = Tensor::from_vector(std::vector<int64_t>(seq.begin(), seq.end() - 1), {1, int64_t(seq.size()) - 1});
  const Tensor full = model->forward(in).logits.select(0, 0);  // [len - 1, vocab]
  for (size_t t = 0; t < 6; ++t) {
    ASSERT_EQ(out.scores[t].size(), 1u);
    const std::vector<float>& raw = out.logits[t][0];
    const std::vector<float> want = full.select(0, int64_t(prompt.size() + t) - 1).to_vector<float>();
    ASSERT_EQ(raw.size(), want.size());
    for (size_t v = 0; v < raw.size(); ++v) ASSERT_NEAR(raw[v], want[v], 1e-4) << "step " << t << ", token " << v;
    const std::set<int64_t> seen(seq.begin(), seq.begin() + int64_t(prompt.size() + t));
    for (size_t v = 0; v < raw.size(); ++v) {
      const float expected = seen.count(int64_t(v)) ? (raw[v] > 0 ? raw[v] / 1.3f : raw[v] * 1.3f) : raw[v];
      ASSERT_FLOAT_EQ(out.scores[t][0][v], expected) << "step " << t << ", token " << v;
    }
    const auto best = std::max_element(out.scores[t][0].begin(), out.scores[t][0].end());
    EXPECT_EQ(best - out.scores[t][0].begin(), seq[prompt.size() + t]) << "step " << t;
  }
  // Without the flags nothing is kept.
  config.output_scores = config.output_logits = false;
  const generation::GenerateOutput plain = generation::generate(*model, ids, Tensor(), config);
  EXPECT_EQ(plain.sequences, out.sequences);
  EXPECT_TRUE(plain.scores.empty() && plain.logits.empty());
}

TEST(GenerateOutputsTest, SamplingScoresAreTheWarpedLogits) {
  TFM_SKIP_WITHOUT_SHARED();
  auto [model, prompt, ids] = llama_and_prompt();
  generation::GenerationConfig config;
  config.max_new_tokens = 4;
  config.eos_token_id = {};
  config.do_sample = true;
  config.temperature = 0.7;
  config.top_k = 5;
  config.seed = 3;
  config.output_scores = config.output_logits = true;
  const generation::GenerateOutput out = generation::generate(*model, ids, Tensor(), config);
  ASSERT_EQ(out.scores.size(), 4u);
  for (size_t t = 0; t < 4; ++t) {
    // logits / temperature on the 5 largest, -inf elsewhere; the sampled token is one of the 5.
    const std::vector<float>&raw = out.logits[t][0], &warped = out.scores[t][0];
    int kept = 0;
    for (size_t v = 0; v < raw.size(); ++v) {
      if (std::isinf(warped[v])) continue;
      ++kept;
      EXPECT_FLOAT_EQ(warped[v], raw[v] / 0.7f) << "step " << t << ", token " << v;
    }
    EXPECT_EQ(kept, 5) << "step " << t;
    EXPECT_FALSE(std::isinf(warped[size_t(out.sequences[0][prompt.size() + t])])) << "step " << t;
  }
}

TEST(GenerateOutputsTest, BeamScoresAndIndicesAddUpToTheSequenceScores) {
  TFM_SKIP_WITHOUT_SHARED();
  auto [model, prompt, ids] = llama_and_prompt();
  generation::GenerationConfig config;
  config.max_new_tokens = 5;
  config.eos_token_id = {};
  config.num_beams = 3;
  config.num_return_sequences = 2;
  config.output_scores = true;
  const generation::GenerateOutput out = generation::generate(*model, ids, Tensor(), config);
  ASSERT_EQ(out.scores.size(), 5u);
  ASSERT_EQ(out.beam_indices.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    // HF's compute_transition_scores: the token's processed log-probability in the row of the beam
    // it came from; their sum / new tokens ** length_penalty (1) is the sequence score.
    ASSERT_EQ(out.beam_indices[i].size(), 5u);
    EXPECT_EQ(out.beam_indices[i][0], 0);  // only beam 0 proposes the first token
    double sum = 0;
    for (size_t t = 0; t < 5; ++t) {
      const int64_t row = out.beam_indices[i][t];
      ASSERT_GE(row, 0);
      ASSERT_LT(row, 3);
      ASSERT_EQ(out.scores[t].size(), 3u);
      sum += out.scores[t][size_t(row)][size_t(out.sequences[i][prompt.size() + t])];
    }
    EXPECT_NEAR(sum / 5.0, out.sequences_scores[i], 1e-5) << "sequence " << i;
  }
  // generation_config.json may ask for them.
  const auto tmp = transformers::testing::temp_dir("generation_config_output_scores");
  std::ofstream(tmp / "generation_config.json") << R"({"output_scores": true, "output_logits": false})";
  const generation::GenerationConfig read = generation::GenerationConfig::from_model_dir(tmp, model->config());
  EXPECT_TRUE(read.output_scores);
  EXPECT_FALSE(read.output_logits);
}

// ---------------------------------------------------------------- cache_implementation

namespace {

// A CausalLM that runs another and records its cache's storage (nn::KVCache::nbytes) after each
// forward pass.
class CacheProbe : public models::CausalLM {
 public:
  explicit CacheProbe(models::CausalLM& inner) : inner_(inner) {}
  models::CausalLMOutput forward(const models::CausalLMInputs& inputs) override {
    models::CausalLMOutput out = inner_.forward(inputs);
    if (inputs.past_key_values) nbytes.push_back(inputs.past_key_values->nbytes());
    return out;
  }
  std::unique_ptr<nn::KVCache> make_cache(int64_t max_cache_len) const override {
    return inner_.make_cache(max_cache_len);
  }
  int64_t vocab_size() const override { return inner_.vocab_size(); }
  bool recompute_cache(int64_t past, int64_t total) const override { return inner_.recompute_cache(past, total); }
  const models::PretrainedConfig& config() const override { return inner_.config(); }
  const std::vector<std::pair<std::string, Tensor>>& named_parameters() const override {
    return inner_.named_parameters();
  }

  std::vector<int64_t> nbytes;

 private:
  models::CausalLM& inner_;
};

}  // namespace

TEST(CacheImplementationTest, StaticCacheGivesTheDynamicResultInStorageAllocatedOnce) {
  TFM_SKIP_WITHOUT_SHARED();
  auto [model, prompt, ids] = llama_and_prompt();
  // The fixture Llama: 2 layers, 2 key/value heads of 16 floats (config.json).
  const int64_t layers = 2, kv_heads = 2, head_dim = 16, new_tokens = 70;
  for (int64_t beams : {1, 3}) {
    for (bool sample : {false, true}) {
      generation::GenerationConfig config;
      config.max_new_tokens = new_tokens;  // 75 tokens: a dynamic cache outgrows its first 64 slots
      config.eos_token_id = {};            // every row runs to max_length
      config.num_beams = beams;
      config.do_sample = sample;
      config.seed = 11;
      const std::string what = "num_beams " + std::to_string(beams) + (sample ? ", sampling" : "");
      CacheProbe dynamic_probe(*model), static_probe(*model);
      config.cache_implementation = "dynamic";
      const generation::GenerateOutput dynamic_out = generation::generate(dynamic_probe, ids, Tensor(), config);
      config.cache_implementation = "static";
      const generation::GenerateOutput static_out = generation::generate(static_probe, ids, Tensor(), config);
      EXPECT_EQ(static_out.sequences, dynamic_out.sequences) << what;
      EXPECT_EQ(static_out.sequences_scores, dynamic_out.sequences_scores) << what;
      EXPECT_EQ(static_out.sequences[0].size(), prompt.size() + size_t(new_tokens)) << what;
      // HF's StaticCache: max_length - 1 slots per row (the last token is never fed back), keys
      // and values, every layer, float32, allocated before the first token and never again.
      const int64_t expected = layers * 2 * beams * kv_heads * (int64_t(prompt.size()) + new_tokens - 1) * head_dim * 4;
      ASSERT_EQ(static_probe.nbytes.size(), size_t(new_tokens)) << what;
      for (size_t step = 0; step < static_probe.nbytes.size(); ++step)
        ASSERT_EQ(static_probe.nbytes[step], expected) << what << ", step " << step;
      // The dynamic cache did grow meanwhile (so the probe sees the storage).
      EXPECT_LT(dynamic_probe.nbytes.front(), dynamic_probe.nbytes.back()) << what;
    }
  }
  // Unset is the model's default, a dynamic cache for Llama.
  generation::GenerationConfig config;
  config.max_new_tokens = 8;
  const auto unset = generation::generate(*model, ids, Tensor(), config).sequences;
  config.cache_implementation = "dynamic";
  EXPECT_EQ(generation::generate(*model, ids, Tensor(), config).sequences, unset);
  // HF's offloaded variants move layers off a GPU; on the CPU they are the caches they wrap.
  config.cache_implementation = "offloaded";
  EXPECT_EQ(generation::generate(*model, ids, Tensor(), config).sequences, unset);
  config.cache_implementation = "offloaded_static";
  CacheProbe probe(*model);
  EXPECT_EQ(generation::generate(probe, ids, Tensor(), config).sequences, unset);
  ASSERT_EQ(probe.nbytes.size(), size_t(8));
  EXPECT_EQ(probe.nbytes.front(), layers * 2 * kv_heads * (int64_t(prompt.size()) + 8 - 1) * head_dim * 4);
  EXPECT_EQ(probe.nbytes.front(), probe.nbytes.back());
}

TEST(CacheImplementationTest, RecomputedCacheAndHybridModelsKeepTheirResults) {
  TFM_SKIP_WITHOUT_SHARED();
  // A Phi-3 with longrope drops its cache and runs the whole sequence again once it outgrows
  // original_max_position_embeddings (16; prompt 10 + 12 new tokens): a static cache holds that too.
  // Mistral masks a sliding window (8) over the cache. Gemma2 builds its own hybrid cache
  // ("hybrid", its generation_config.json default, gives the same tokens as unset).
  const auto phi3_dir = transformers::testing::temp_dir("phi3_longrope_static_cache");
  std::ofstream(phi3_dir / "config.json") << R"({"architectures": ["Phi3ForCausalLM"], "vocab_size": 256,
      "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
      "num_key_value_heads": 2, "max_position_embeddings": 64, "original_max_position_embeddings": 16,
      "rope_theta": 100.0, "rope_scaling": {"type": "longrope", "short_factor": [1.0, 1.5, 2.0, 4.0],
      "long_factor": [3.0, 5.0, 7.0, 9.0]}})";
  std::vector<std::unique_ptr<models::CausalLM>> models;
  models.push_back(models::AutoModelForCausalLM::from_pretrained(phi3_dir, {.random_weights = true, .seed = 11}));
  models.push_back(models::AutoModelForCausalLM::from_pretrained(shared_path("fixtures/models/mistral")));
  ASSERT_TRUE(models[0]->recompute_cache(16, 17));
  for (auto& model : models) {
    for (int64_t beams : {1, 2}) {
      generation::GenerationConfig config;
      config.max_new_tokens = 12;
      config.num_beams = beams;
      config.eos_token_id = {};
      Tensor ids = Tensor::from_vector(std::vector<int64_t>{1, 15, 27, 90, 33, 8, 71, 200, 4, 9}, {1, 10});
      const generation::GenerateOutput dynamic_out = generation::generate(*model, ids, Tensor(), config);
      config.cache_implementation = "static";
      const generation::GenerateOutput static_out = generation::generate(*model, ids, Tensor(), config);
      const std::string what = model->config().model_type + ", num_beams " + std::to_string(beams);
      EXPECT_EQ(static_out.sequences, dynamic_out.sequences) << what;
      EXPECT_EQ(static_out.sequences_scores, dynamic_out.sequences_scores) << what;
    }
  }
  auto dir = shared_path("fixtures/models/gemma2");
  auto gemma2 = models::AutoModelForCausalLM::from_pretrained(dir);
  generation::GenerationConfig config = generation::GenerationConfig::from_model_dir(dir, gemma2->config());
  ASSERT_EQ(config.cache_implementation, std::optional<std::string>("hybrid"));
  config.max_new_tokens = 12;
  Tensor ids = Tensor::from_vector(std::vector<int64_t>{2, 15, 27, 90, 33, 8, 71}, {1, 7});
  const auto hybrid = generation::generate(*gemma2, ids, Tensor(), config).sequences;
  config.cache_implementation.reset();
  EXPECT_EQ(generation::generate(*gemma2, ids, Tensor(), config).sequences, hybrid);
  // "dynamic" and "static" keep every key and mask the window: the uncached result, also past the
  // window of 8 (where HF's Gemma2 mask slicing fails with these caches).
  config.max_new_tokens = 16;
  config.use_cache = false;
  const auto uncached = generation::generate(*gemma2, ids, Tensor(), config).sequences;
  config.use_cache = true;
  for (const std::string name : {"dynamic", "static", "offloaded"}) {
    config.cache_implementation = name;
    EXPECT_EQ(generation::generate(*gemma2, ids, Tensor(), config).sequences, uncached) << name;
  }
  config.cache_implementation = "sliding_window";
  const std::string message =
      transformers::testing::error_message([&] { generation::generate(*gemma2, ids, Tensor(), config); });
  EXPECT_NE(message.find("Gemma2/Gemma3 use \"hybrid\""), std::string::npos) << message;
}

TEST(CacheImplementationTest, SlidingWindowCacheFollowsEachLayersWindow) {
  TFM_SKIP_WITHOUT_SHARED();
  autograd::NoGradGuard no_grad;
  // Qwen2 with use_sliding_window slides from layer max_window_layers (1) on, with a window of 4;
  // layer 0 keeps every key.
  const auto qwen_dir = transformers::testing::temp_dir("qwen2_sliding_window_cache");
  std::ofstream(qwen_dir / "config.json") << R"({"architectures": ["Qwen2ForCausalLM"], "vocab_size": 256,
      "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
      "num_key_value_heads": 2, "use_sliding_window": true, "sliding_window": 4, "max_window_layers": 1})";
  auto qwen = models::AutoModelForCausalLM::from_pretrained(qwen_dir, {.random_weights = true, .seed = 5});
  const std::vector<int64_t> ids = {1, 15, 27, 90, 33, 8, 71, 200};
  auto logits_through = [&](nn::KVCache* cache) {
    std::vector<Tensor> rows;
    for (int64_t start = 0; start < int64_t(ids.size());) {
      const int64_t n = start == 0 ? 2 : 1;
      models::CausalLMInputs in;
      in.input_ids = Tensor::from_vector(std::vector<int64_t>(ids.begin() + start, ids.begin() + start + n), {1, n});
      in.past_key_values = cache;
      Tensor logits = qwen->forward(in).logits;
      for (int64_t t = 0; t < n; ++t) rows.push_back(logits.select(1, t));
      start += n;
    }
    return rows;
  };
  auto sliding = qwen->make_sliding_window_cache(16);
  ASSERT_NE(sliding, nullptr);
  auto dynamic = qwen->make_cache();
  const std::vector<Tensor> rolled = logits_through(sliding.get()), kept = logits_through(dynamic.get());
  // Keys and values, 2 heads of 8: 16 tokens allocated once for layer 0, 4 slots for layer 1.
  EXPECT_EQ(sliding->nbytes(), (16 + 4) * 2 * 2 * 8 * int64_t(sizeof(float)));
  // Layer 1's buffer rolls early at position 3 (Note [Sliding buffer roll]); until then the two
  // caches agree.
  for (size_t t = 0; t < 3; ++t)
    EXPECT_TRUE(tensors_close(rolled[t], kept[t], 1e-5, 1e-5, "position " + std::to_string(t)));
  EXPECT_FALSE(tensors_close(rolled[3], kept[3], 1e-4, 1e-4, "position 3"));

  // Without use_sliding_window no layer has a window, and the cache is refused.
  auto fixture = models::AutoModelForCausalLM::from_pretrained(shared_path("fixtures/models/qwen2"));
  EXPECT_EQ(fixture->make_sliding_window_cache(16), nullptr);

  // A Phi-3 with longrope and a window of 6 drops its cache past position 16 and prefills again.
  // Prompts longer than the window never see a zero slot, so the tokens are the default cache's.
  const auto phi3_dir = transformers::testing::temp_dir("phi3_longrope_sliding_window_cache");
  std::ofstream(phi3_dir / "config.json") << R"({"architectures": ["Phi3ForCausalLM"], "vocab_size": 256,
      "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
      "num_key_value_heads": 2, "max_position_embeddings": 64, "original_max_position_embeddings": 16,
      "sliding_window": 6, "rope_theta": 100.0, "rope_scaling": {"type": "longrope",
      "short_factor": [1.0, 1.5, 2.0, 4.0], "long_factor": [3.0, 5.0, 7.0, 9.0]}})";
  auto phi3 = models::AutoModelForCausalLM::from_pretrained(phi3_dir, {.random_weights = true, .seed = 11});
  generation::GenerationConfig config;
  config.max_new_tokens = 12;
  config.eos_token_id = {};
  Tensor prompt = Tensor::from_vector(std::vector<int64_t>{1, 15, 27, 90, 33, 8, 71, 200, 4, 9}, {1, 10});
  const generation::GenerateOutput default_out = generation::generate(*phi3, prompt, Tensor(), config);
  config.cache_implementation = "sliding_window";
  EXPECT_EQ(generation::generate(*phi3, prompt, Tensor(), config).sequences, default_out.sequences);
}

TEST(CacheImplementationTest, BadValuesFailClearly) {
  TFM_SKIP_WITHOUT_SHARED();
  auto dir = shared_path("fixtures/models/llama");
  auto model = models::AutoModelForCausalLM::from_pretrained(dir);
  Tensor ids = Tensor::from_vector(std::vector<int64_t>{1, 159, 216}, {1, 3});
  auto message = [&](const generation::GenerationConfig& config) -> std::string {
    try {
      generation::generate(*model, ids, Tensor(), config);
    } catch (const Error& e) {
      return e.what();
    }
    return "(accepted)";
  };
  generation::GenerationConfig config;
  config.cache_implementation = "quantized";
  EXPECT_EQ(message(config), "[generate] cache_implementation \"quantized\" is not supported; supported: "
                             "\"dynamic\", \"static\", \"sliding_window\", \"hybrid\", \"offloaded\", "
                             "\"offloaded_static\" (or unset for the model's default cache)");
  config.cache_implementation = "sliding_window";  // Llama has no sliding window (HF's SlidingWindowCache refuses it)
  EXPECT_EQ(message(config).rfind("[generate] cache_implementation \"sliding_window\" needs", 0), 0u)
      << message(config);
  config.cache_implementation = "hybrid";  // Llama has no sliding-window layers
  EXPECT_EQ(message(config).rfind("[generate] cache_implementation \"hybrid\" needs", 0), 0u) << message(config);
  config.cache_implementation = "static";  // prompt lookup rewinds its cache (HF refuses it too)
  config.prompt_lookup_num_tokens = 2;
  EXPECT_EQ(message(config).rfind("[generate] assisted decoding needs a cache that can rewind", 0), 0u)
      << message(config);

  // generation_config.json: a string or null; anything else names the key.
  const auto tmp = transformers::testing::temp_dir("generation_config_cache_implementation");
  auto load = [&](const std::string& value) {
    std::ofstream(tmp / "generation_config.json") << "{\"cache_implementation\": " << value << "}";
    return generation::GenerationConfig::from_model_dir(tmp, model->config());
  };
  EXPECT_EQ(load("\"static\"").cache_implementation, std::optional<std::string>("static"));
  EXPECT_EQ(load("null").cache_implementation, std::nullopt);
  EXPECT_THROW(load("5"), Error);
}
