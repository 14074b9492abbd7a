// Gemma2 parity with Hugging Face transformers' outputs (../shared/fixtures/models/gemma2:
// attention + final logit soft-capping, alternating sliding(8)/global layers, pre+post norms), and
// self-consistency: cached decoding == full forward.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>

#include "models/decoder_checks.h"
#include "support/slot_order.h"
#include "transformers/nn/cache.h"
#include "transformers/models/gemma2/configuration_gemma2.h"

using namespace transformers;
using namespace transformers::testing::decoder;
using transformers::testing::shared_path;
using transformers::testing::in_slot_order;
using transformers::testing::tensors_close;

namespace {
// The gemma2 fixture with config.json fields overridden (weights linked, not copied).
std::filesystem::path variant(const std::string& name, const nlohmann::json& overrides) {
  auto src = shared_path("fixtures/models/gemma2");
  auto dir = transformers::testing::temp_dir(name);
  nlohmann::json config = io::read_json(src / "config.json");
  config.update(overrides);
  io::write_json(dir / "config.json", config);
  std::filesystem::create_symlink(src / "model.safetensors", dir / "model.safetensors");
  return dir;
}

Tensor logits_of(const std::filesystem::path& dir, const std::vector<int64_t>& ids) {
  auto model = models::AutoModelForCausalLM::from_pretrained(dir);
  models::CausalLMInputs in;
  in.input_ids = Tensor::from_vector(ids, {1, int64_t(ids.size())});
  return model->forward(in).logits;
}

const std::vector<int64_t> kIds = {1, 17, 42, 99, 3, 250, 7, 8, 61, 120, 33, 71};

// Prefills `prefill` tokens of kIds through the model's own cache, decodes the rest one by one and
// returns, per position, the largest |cached - full forward| logit difference.
std::vector<double> decode_vs_full(const std::filesystem::path& dir, int64_t prefill) {
  auto model = models::AutoModelForCausalLM::from_pretrained(dir);
  const int64_t len = int64_t(kIds.size());
  Tensor input = Tensor::from_vector(kIds, {1, len});
  models::CausalLMInputs full;
  full.input_ids = input;
  std::vector<float> want = model->forward(full).logits.to_vector<float>();
  auto cache = model->make_cache();
  std::vector<double> diff;
  for (int64_t start = 0; start < len;) {
    const int64_t n = start == 0 ? prefill : 1;
    models::CausalLMInputs step;
    step.input_ids = input.narrow(1, start, n);
    step.attention_mask = Tensor::ones({1, start + n}, DType::Int64);
    step.past_key_values = cache.get();
    std::vector<float> got = model->forward(step).logits.to_vector<float>();
    const size_t vocab = got.size() / size_t(n);
    for (int64_t t = 0; t < n; ++t) {
      double d = 0;
      for (size_t v = 0; v < vocab; ++v)
        d = std::max(d, double(std::abs(got[size_t(t) * vocab + v] - want[size_t(start + t) * vocab + v])));
      diff.push_back(d);
    }
    start += n;
  }
  return diff;
}
}  // namespace

TEST(Gemma2ParityTest, ForwardMatchesTransformers) {
  TFM_SKIP_WITHOUT_SHARED();
  EXPECT_EQ(check_forward_parity("gemma2"), 4);  // logits + hidden_states.0..2
}

TEST(Gemma2ParityTest, GenerateCasesMatchTransformers) {
  TFM_SKIP_WITHOUT_SHARED();
  EXPECT_EQ(check_generate_cases("gemma2"), 4);
}

TEST(Gemma2ModelTest, CachedDecodeMatchesFullForward) {
  TFM_SKIP_WITHOUT_SHARED();
  autograd::NoGradGuard no_grad;
  // Without the hybrid cache every layer keeps all keys: decoding == full forward at every
  // position, through and past layer 0's window of 8.
  auto dynamic = variant("gemma2_dynamic_cache", {{"cache_implementation", "dynamic"}});
  for (int64_t prefill : {4, 9})
    for (double d : decode_vs_full(dynamic, prefill)) EXPECT_LT(d, 1e-5) << "prefill " << prefill;
  // The hybrid cache (HF's default for Gemma2) agrees whenever the prompt fills the window...
  std::vector<double> hybrid = decode_vs_full(shared_path("fixtures/models/gemma2"), 9);
  for (double d : hybrid) EXPECT_LT(d, 1e-5);
  // ... and with a shorter prompt up to position 6; from position 7 on, Hugging Face's buffer roll
  // (Note [Sliding buffer roll]) swaps the oldest in-window key for a zero one, and so do we.
  hybrid = decode_vs_full(shared_path("fixtures/models/gemma2"), 4);
  for (size_t t = 0; t < 7; ++t) EXPECT_LT(hybrid[t], 1e-5) << t;
  EXPECT_GT(*std::max_element(hybrid.begin() + 7, hybrid.end()), 1e-4);
}

TEST(HybridCacheTest, SlidingBufferRollsAsHuggingFace) {
  // Layer 0 slides with a window of 3, layer 1 is global. Each key is [1, 1, n, 1] holding its
  // position + 1 (0 marks a slot never written). Expected buffers follow HF's _sliding_update by
  // hand: slot = min(p, 2); when slot == 2, shift left by one (slot 0 wraps to 2), then write.
  using Columns = nn::SlidingWindowCache::MaskColumns;
  nn::SlidingWindowCache cache({3, 0}, 0, Columns::kEndingAtQuery);
  auto keys = [](int64_t first, int64_t n) {
    std::vector<float> v;
    for (int64_t i = 0; i < n; ++i) v.push_back(float(first + i + 1));
    return Tensor::from_vector(v, {1, 1, n, 1});
  };
  auto [k, v] = cache.update(0, keys(0, 2), keys(0, 2));  // prefill positions 0, 1
  EXPECT_EQ(k.to_vector<float>(), (std::vector<float>{1, 2}));
  EXPECT_FALSE(cache.window(0).buffered);
  cache.update(1, keys(0, 2), keys(0, 2));
  EXPECT_EQ(cache.seq_length(), 2);
  const std::vector<std::vector<float>> expected = {{2, 0, 3}, {0, 3, 4}, {3, 4, 5}, {4, 5, 6}};
  for (int64_t p = 2; p < 6; ++p) {
    auto [kp, vp] = cache.update(0, keys(p, 1), keys(p, 1));
    nn::SlidingWindowCache::Window w = cache.window(0);
    EXPECT_EQ(in_slot_order<float>(kp, w.start), expected[size_t(p - 2)]) << "position " << p;
    EXPECT_EQ(in_slot_order<float>(vp, w.start), expected[size_t(p - 2)]) << "position " << p;
    EXPECT_TRUE(w.buffered);
    EXPECT_EQ(w.query_slot, 2);
    EXPECT_EQ(w.first_column, std::max<int64_t>(0, p - 2));  // HF: last_cache_position - window
    auto [kg, vg] = cache.update(1, keys(p, 1), keys(p, 1));
    EXPECT_EQ(kg.size(2), p + 1);  // the global layer keeps everything
    EXPECT_EQ(cache.seq_length(), p + 1);
  }
  // HF sizes the sliding buffer min(window, max_cache_len): a window of 5 in a cache for 3 tokens
  // rolls exactly as the window of 3 above.
  nn::SlidingWindowCache clamped({5, 0}, 3, Columns::kEndingAtQuery);
  clamped.update(0, keys(0, 2), keys(0, 2));
  for (int64_t p = 2; p < 6; ++p) {
    Tensor kp = clamped.update(0, keys(p, 1), keys(p, 1)).first;
    EXPECT_EQ(in_slot_order<float>(kp, clamped.window(0).start), expected[size_t(p - 2)]) << "clamped, position " << p;
    EXPECT_EQ(clamped.window(0).first_column, std::max<int64_t>(0, p - 2));
  }
  // Prefill longer than the window: attention gets every key, the buffer the last three.
  nn::SlidingWindowCache long_prompt({3, 0}, 0, Columns::kEndingAtQuery);
  EXPECT_EQ(long_prompt.update(0, keys(0, 5), keys(0, 5)).first.size(2), 5);
  Tensor after = long_prompt.update(0, keys(5, 1), keys(5, 1)).first;
  EXPECT_EQ(in_slot_order<float>(after, long_prompt.window(0).start), (std::vector<float>{4, 5, 6}));
}

TEST(Gemma2ModelTest, FinalLogitsAreSoftCapped) {
  TFM_SKIP_WITHOUT_SHARED();
  autograd::NoGradGuard no_grad;
  // Same weights without the final cap: capped == 15 * tanh(uncapped / 15), elementwise.
  Tensor capped = logits_of(shared_path("fixtures/models/gemma2"), kIds);
  Tensor raw = logits_of(variant("gemma2_no_final_cap", {{"final_logit_softcapping", nullptr}}), kIds);
  std::vector<float> c = capped.to_vector<float>(), r = raw.to_vector<float>();
  ASSERT_EQ(c.size(), r.size());
  float largest = 0;
  for (size_t i = 0; i < c.size(); ++i) {
    EXPECT_NEAR(c[i], 15.0 * std::tanh(r[i] / 15.0), 1e-4) << i;
    largest = std::max(largest, std::abs(c[i]));
  }
  EXPECT_LT(largest, 15.0f);
}

TEST(Gemma2ModelTest, OnlyEvenLayersSlide) {
  using models::gemma2::Gemma2Config;
  Gemma2Config c = Gemma2Config::from_json({{"sliding_window", 8}});
  EXPECT_EQ(c.layer_sliding_window(0), 8);
  EXPECT_EQ(c.layer_sliding_window(1), 0);
  EXPECT_EQ(c.layer_sliding_window(2), 8);
  EXPECT_EQ(Gemma2Config::from_json({{"sliding_window", nullptr}}).layer_sliding_window(0), 0);
  TFM_SKIP_WITHOUT_SHARED();
  autograd::NoGradGuard no_grad;
  // Without the window, positions 0..7 (inside it) are unchanged and later ones are not.
  Tensor windowed = logits_of(shared_path("fixtures/models/gemma2"), kIds);
  Tensor global = logits_of(variant("gemma2_no_window", {{"sliding_window", nullptr}}), kIds);
  EXPECT_TRUE(tensors_close(windowed.narrow(1, 0, 8), global.narrow(1, 0, 8), 1e-6, 1e-6, "inside the window"));
  for (int64_t t = 8; t < 12; ++t)
    EXPECT_FALSE(tensors_close(windowed.narrow(1, t, 1), global.narrow(1, t, 1), 1e-4, 1e-4,
                               "position " + std::to_string(t)));
}

TEST(Gemma2ModelTest, ConfigDefaultsAndErrors) {
  using models::gemma2::Gemma2Config;
  Gemma2Config c = Gemma2Config::from_json(nlohmann::json::object());
  EXPECT_EQ(c.query_pre_attn_scalar, 256);
  EXPECT_EQ(c.sliding_window, 4096);
  EXPECT_EQ(c.final_logit_softcapping, 30.0);
  EXPECT_EQ(c.attn_logit_softcapping, 50.0);
  EXPECT_EQ(c.hidden_activation, "gelu_pytorch_tanh");

  auto dir = transformers::testing::temp_dir("gemma2_bad_config");
  auto message = [&](const std::string& text) {
    std::ofstream(dir / "config.json") << text;
    return load_error(dir, /*random_weights=*/true);
  };
  EXPECT_NE(message(R"({"architectures": ["Gemma2ForCausalLM"], "attn_logit_softcapping": "50"})")
                .find("'attn_logit_softcapping' must be a number, got a string"),
            std::string::npos);
  EXPECT_NE(message(R"({"architectures": ["Gemma2ForCausalLM"], "query_pre_attn_scalar": [256]})")
                .find("'query_pre_attn_scalar' must be a number, got a list"),
            std::string::npos);
  EXPECT_NE(message(R"({"architectures": ["Gemma2ForCausalLM"], "sliding_window": 0})").find("'sliding_window'"),
            std::string::npos);
  EXPECT_EQ(message(R"({"architectures": ["Gemma2ForCausalLM"], "hidden_size": 32, "intermediate_size": 64,
                        "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
                        "head_dim": 8, "vocab_size": 50, "final_logit_softcapping": null})"),
            "");
}

TEST(Gemma2ModelTest, Bfloat16WeightsStayCloseToFloat32) {
  TFM_SKIP_WITHOUT_SHARED();
  // bf16 keeps ~3 significant digits: compare by normalized mean squared error.
  autograd::NoGradGuard no_grad;
  auto dir = shared_path("fixtures/models/gemma2");
  models::CausalLMInputs in;
  in.input_ids = Tensor::from_vector(std::vector<int64_t>{1, 144, 11, 53, 80, 79, 240, 17, 42, 99, 3}, {1, 11});
  auto f32 = models::AutoModelForCausalLM::from_pretrained(dir);
  auto bf16 = models::AutoModelForCausalLM::from_pretrained(dir, {.dtype = DType::BFloat16});
  for (const auto& [name, weight] : bf16->named_parameters()) EXPECT_EQ(weight.dtype(), DType::BFloat16) << name;
  std::vector<double> a = f32->forward(in).logits.to_vector<double>();
  std::vector<double> b = bf16->forward(in).logits.to_vector<double>();
  ASSERT_EQ(a.size(), b.size());
  double err = 0, norm = 0;
  for (size_t i = 0; i < a.size(); ++i) err += (a[i] - b[i]) * (a[i] - b[i]), norm += a[i] * a[i];
  EXPECT_GT(err, 0.0);
  EXPECT_LT(err / norm, 1e-3);
}
