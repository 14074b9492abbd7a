#pragma once
// Checks shared by the decoder-only model tests (gpt2, gpt_neox, phi, phi3): forward parity with a
// fixture's reference.safetensors, every reference.json "generate" case through
// generation::generate, and cached decoding == full forward.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/compare.h"
#include "support/fixtures.h"
#include "support/reference.h"
#include "transformers/core/autograd.h"
#include "transformers/core/error.h"
#include "transformers/core/ops.h"
#include "transformers/generation/utils.h"
#include "transformers/io/json.h"
#include "transformers/io/safetensors.h"
#include "transformers/models/auto/modeling_auto.h"

namespace transformers::testing::decoder {

// Tests that use `using namespace testing::decoder` call it unqualified.
using testing::load_reference;

// forward_named on the fixture inputs: logits and every hidden_states.N within reference.json's
// atol/rtol. Returns how many outputs were compared.
inline int check_forward_parity(const std::string& case_name) {
  auto dir = shared_path("fixtures/models/" + case_name);
  nlohmann::json ref = io::read_json(dir / "reference.json");
  io::SafetensorsFile tensors = io::SafetensorsFile::open(dir / "reference.safetensors");
  autograd::NoGradGuard no_grad;
  auto model = models::AutoModel::from_pretrained(dir);
  models::NamedTensors inputs;
  for (const auto& name : ref["inputs"]) inputs.emplace_back(name, load_reference(tensors, name));
  models::NamedTensors outputs = model->forward_named(inputs, /*output_hidden_states=*/true);
  const double atol = ref["atol"], rtol = ref["rtol"];
  int compared = 0;
  for (const auto& name : ref["outputs"]) {
    Tensor ours = models::find_named(outputs, name);
    EXPECT_TRUE(ours.defined()) << case_name << ": no output named " << name;
    if (!ours.defined()) continue;
    EXPECT_TRUE(tensors_close(ours, load_reference(tensors, name), atol, rtol, case_name + " " + std::string(name)));
    ++compared;
  }
  return compared;
}

inline Tensor rows_to_tensor(const nlohmann::json& rows) {
  std::vector<int64_t> flat;
  for (const auto& r : rows)
    for (const auto& v : r) flat.push_back(v.get<int64_t>());
  return Tensor::from_vector(flat, {int64_t(rows.size()), int64_t(rows[0].size())});
}

// Every "generate" case of reference.json, token-exact (beam scores within 1e-4); returns how
// many ran.
inline int check_generate_cases(const std::string& case_name) {
  auto dir = shared_path("fixtures/models/" + case_name);
  nlohmann::json ref = io::read_json(dir / "reference.json");
  autograd::NoGradGuard no_grad;
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
    generation::GenerateOutput out = generation::generate(*model, rows_to_tensor(c["prompt_ids"]),
                                                          rows_to_tensor(c["attention_mask"]), config);
    EXPECT_EQ(out.sequences, c["sequences"].get<std::vector<std::vector<int64_t>>>())
        << case_name << " / " << c["name"];
    if (c.contains("sequences_scores")) {
      EXPECT_EQ(out.sequences_scores.size(), c["sequences_scores"].size()) << case_name << " / " << c["name"];
      for (size_t i = 0; i < out.sequences_scores.size() && i < c["sequences_scores"].size(); ++i)
        EXPECT_NEAR(out.sequences_scores[i], c["sequences_scores"][i].get<double>(), 1e-4)
            << case_name << " / " << c["name"];
    }
    ++ran;
  }
  return ran;
}

// A left-padded batch of two rows decoded token by token through the cache gives the logits of
// one full forward pass over the whole sequence (padding positions excluded: HF leaves them
// arbitrary). Position ids follow generate(): cumsum(mask) - 1, padding positions 1.
inline void check_cached_decode(models::CausalLM& model, const std::string& case_name, double tol = 1e-5) {
  autograd::NoGradGuard no_grad;
  const int64_t len = 10, pad = 3, prefill = 4;
  std::vector<int64_t> ids = {5, 17, 42, 99, 3, 250, 7, 8, 61, 120,  //
                              0, 0, 0, 33, 71, 12, 200, 9, 44, 101};
  std::vector<int64_t> mask(2 * len, 1), pos(2 * len);
  for (int64_t t = 0; t < pad; ++t) mask[len + t] = 0;
  for (int64_t t = 0; t < len; ++t) pos[t] = t, pos[len + t] = t < pad ? 1 : t - pad;
  Tensor input = Tensor::from_vector(ids, {2, len}), attention = Tensor::from_vector(mask, {2, len});
  Tensor positions = Tensor::from_vector(pos, {2, len});
  models::CausalLMInputs full;
  full.input_ids = input;
  full.attention_mask = attention;
  full.position_ids = positions;
  Tensor full_logits = model.forward(full).logits;  // [2, len, vocab]

  auto cache = model.make_cache();
  // A rolling cache takes one token at a time after the prompt (as HF's); the others also take
  // several at once onto a filled cache (prompt reuse, assisted decoding).
  const bool rolls = dynamic_cast<nn::SlidingWindowCache*>(cache.get()) != nullptr;
  for (int64_t start = 0; start < len;) {
    const int64_t n = start == 0 ? prefill : start == prefill && !rolls ? 3 : 1;
    models::CausalLMInputs step;
    step.input_ids = input.narrow(1, start, n);
    step.attention_mask = attention.narrow(1, 0, start + n);
    step.position_ids = positions.narrow(1, start, n);
    step.past_key_values = cache.get();
    Tensor logits = model.forward(step).logits;
    for (int64_t row = 0; row < 2; ++row) {
      const int64_t first = row == 1 ? std::max(pad, start) : start;
      if (first >= start + n) continue;
      EXPECT_TRUE(tensors_close(logits.narrow(0, row, 1).narrow(1, first - start, start + n - first),
                                full_logits.narrow(0, row, 1).narrow(1, first, start + n - first), tol, tol,
                                case_name + " row " + std::to_string(row) + " step " + std::to_string(start)));
    }
    start += n;
  }
  EXPECT_EQ(cache->seq_length(), len);
}

inline void check_cached_decode(const std::string& case_name, double tol = 1e-5) {
  auto model = models::AutoModelForCausalLM::from_pretrained(shared_path("fixtures/models/" + case_name));
  check_cached_decode(*model, case_name, tol);
}

// The message of the Error that loading `dir` throws ("" when it loads).
inline std::string load_error(const std::filesystem::path& dir, bool random_weights) {
  try {
    models::AutoModel::from_pretrained(dir, {.random_weights = random_weights});
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// Row a and row b (left-padded with token 0 to a's length, positions cumsum(mask) - 1 with pads
// at 1, as generate builds them) in one batch give the logits each row gets alone.
inline void check_batch_of_two_matches_singles(models::CausalLM& model, const std::vector<int64_t>& a,
                                               const std::vector<int64_t>& b) {
  autograd::NoGradGuard no_grad;
  auto alone = [&](const std::vector<int64_t>& ids) {
    models::CausalLMInputs in;
    in.input_ids = Tensor::from_vector(ids, {1, int64_t(ids.size())});
    return model.forward(in).logits;
  };
  const int64_t len = int64_t(a.size()), pad = len - int64_t(b.size());
  std::vector<int64_t> ids = a, mask(size_t(2 * len), 1), pos;
  for (int64_t t = 0; t < pad; ++t) ids.push_back(0), mask[size_t(len + t)] = 0;
  ids.insert(ids.end(), b.begin(), b.end());
  for (int64_t t = 0; t < len; ++t) pos.push_back(t);
  for (int64_t t = 0; t < len; ++t) pos.push_back(t < pad ? 1 : t - pad);
  models::CausalLMInputs batch;
  batch.input_ids = Tensor::from_vector(ids, {2, len});
  batch.attention_mask = Tensor::from_vector(mask, {2, len});
  batch.position_ids = Tensor::from_vector(pos, {2, len});
  Tensor both = model.forward(batch).logits;
  EXPECT_TRUE(tensors_close(both.narrow(0, 0, 1), alone(a), 1e-5, 1e-5, "row 0"));
  EXPECT_TRUE(tensors_close(both.narrow(0, 1, 1).narrow(1, pad, len - pad), alone(b), 1e-5, 1e-5,
                            "row 1 (left-padded)"));
}

// Writes every parameter of `model` to a safetensors file; returns how many were written.
inline size_t save_parameters(const models::CausalLM& model, const std::filesystem::path& path) {
  std::vector<io::TensorToWrite> tensors;
  std::vector<Tensor> keep;
  for (const auto& [key, t] : model.named_parameters()) {
    keep.push_back(t.contiguous());
    tensors.push_back({key, t.dtype(), t.shape(), keep.back().raw_data()});
  }
  io::save_safetensors(path, tensors);
  return tensors.size();
}

}  // namespace transformers::testing::decoder
