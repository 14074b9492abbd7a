// Mistral parity with Hugging Face transformers' outputs (../shared/fixtures/models/mistral:
// sliding_window 8, shorter than the 16-token forward input and than every generation), and
// self-consistency: cached decoding == full forward.
#include <gtest/gtest.h>

#include <fstream>

#include "models/decoder_checks.h"
#include "models/decoder_reference.h"
#include "transformers/generation/utils.h"
#include "transformers/io/json.h"
#include "transformers/nn/cache.h"

using namespace transformers;
using namespace transformers::testing::decoder;
using transformers::testing::shared_path;
using transformers::testing::tensors_close;

namespace {

nlohmann::json tiny_config(int64_t sliding_window) {
  return reference_config("MistralForCausalLM", "mistral",
                          {{"rope_theta", 500.0}, {"rms_norm_eps", 1e-6}, {"sliding_window", sliding_window}});
}

// ---- a plain double-precision Mistral (batch 1, no padding), written from v4.51's Python ----
struct Reference : DecoderReference {
  double eps = 1e-6, base = 500.0;

  Rows norm(Rows x, const std::string& key) const {
    const std::vector<double>& g = p(key);
    for (auto& row : x) {
      double ms = 0;
      for (double v : row) ms += v * v;
      const double r = 1.0 / std::sqrt(ms / double(row.size()) + eps);
      for (size_t i = 0; i < row.size(); ++i) row[i] *= r * g[i];
    }
    return x;
  }

  // Logits of every position; query t attends keys first[t]..t, and a zero key where zero_slot[t].
  Rows logits(const std::vector<int64_t>& ids, const std::vector<int64_t>& first,
              const std::vector<bool>& zero_slot) const {
    const std::vector<double>& E = p("model.embed_tokens.weight");
    Rows x;
    for (int64_t id : ids) x.emplace_back(E.begin() + id * hidden, E.begin() + (id + 1) * hidden);
    for (int64_t l = 0; l < 2; ++l) {
      const std::string pre = "model.layers." + std::to_string(l) + ".";
      Rows h = norm(x, pre + "input_layernorm.weight");
      Rows q = rope(linear(h, pre + "self_attn.q_proj.weight", heads * head_dim), base);
      Rows k = rope(linear(h, pre + "self_attn.k_proj.weight", kv_heads * head_dim), base);
      Rows v = linear(h, pre + "self_attn.v_proj.weight", kv_heads * head_dim);
      Rows a = attention_spans(q, k, v, 1.0 / std::sqrt(double(head_dim)), first, zero_slot);
      add(x, linear(a, pre + "self_attn.o_proj.weight", hidden));
      h = norm(x, pre + "post_attention_layernorm.weight");
      Rows gate = linear(h, pre + "mlp.gate_proj.weight", inter), up = linear(h, pre + "mlp.up_proj.weight", inter);
      for (size_t t = 0; t < gate.size(); ++t)
        for (size_t i = 0; i < gate[t].size(); ++i) gate[t][i] = gate[t][i] / (1 + std::exp(-gate[t][i])) * up[t][i];
      add(x, linear(gate, pre + "mlp.down_proj.weight", hidden));
    }
    return linear(norm(x, "model.norm.weight"), "lm_head.weight", vocab);
  }
};

// The keys query t sees when HF's SlidingWindowCache of `slots` slots decodes after a prompt of
// `prompt` < slots - 1 tokens (Note [Sliding buffer roll], derived by hand from its update()):
// every earlier key until the buffer's last slot is needed; from position slots - 1 on, the buffer
// has shifted one step early, so for slots - 1 positions it holds the last slots - 1 keys and a
// zero slot; after that, the last `slots` keys.
void rolled_spans(int64_t total, int64_t slots, std::vector<int64_t>& first, std::vector<bool>& zero_slot) {
  first.assign(size_t(total), 0);
  zero_slot.assign(size_t(total), false);
  for (int64_t t = slots - 1; t < total; ++t) {
    const bool zero = t <= 2 * slots - 3;
    first[size_t(t)] = zero ? t - slots + 2 : t - slots + 1;
    zero_slot[size_t(t)] = zero;
  }
}

// Teacher-forced logits [ids.size() - prompt + 1 rows] through `cache`: the prompt at once, then
// one token per forward.
std::vector<std::vector<double>> decode_logits(models::CausalLM& model, nn::KVCache* cache,
                                               const std::vector<int64_t>& ids, int64_t prompt) {
  std::vector<std::vector<double>> rows;
  for (int64_t start = 0; start < int64_t(ids.size());) {
    const int64_t n = start == 0 ? prompt : 1;
    models::CausalLMInputs in;
    in.input_ids = Tensor::from_vector(std::vector<int64_t>(ids.begin() + start, ids.begin() + start + n), {1, n});
    in.past_key_values = cache;
    Tensor logits = model.forward(in).logits;  // [1, n, vocab]
    for (int64_t t = 0; t < n; ++t) rows.push_back(logits.select(0, 0).select(0, t).to_vector<double>());
    start += n;
  }
  return rows;
}

}  // namespace

TEST(MistralParityTest, ForwardMatchesTransformers) {
  TFM_SKIP_WITHOUT_SHARED();
  EXPECT_EQ(check_forward_parity("mistral"), 4);  // logits + hidden_states.0..2
}

TEST(MistralParityTest, GenerateCasesMatchTransformers) {
  TFM_SKIP_WITHOUT_SHARED();
  EXPECT_EQ(check_generate_cases("mistral"), 4);
}

TEST(MistralModelTest, CachedDecodeMatchesFullForward) {
  TFM_SKIP_WITHOUT_SHARED();
  check_cached_decode("mistral");  // 10 tokens: the window (8) slides during decoding
}

TEST(MistralModelTest, SlidingWindowHidesOnlyOlderKeys) {
  TFM_SKIP_WITHOUT_SHARED();
  // The same checkpoint with the window turned off (sliding_window: null) must agree on the first
  // 8 positions (nothing is outside the window yet) and differ after them.
  auto src = shared_path("fixtures/models/mistral");
  auto dir = transformers::testing::temp_dir("mistral_no_window");
  nlohmann::json config = io::read_json(src / "config.json");
  ASSERT_EQ(config["sliding_window"], 8);
  config["sliding_window"] = nullptr;
  io::write_json(dir / "config.json", config);
  std::filesystem::create_symlink(src / "model.safetensors", dir / "model.safetensors");
  autograd::NoGradGuard no_grad;
  auto windowed = models::AutoModelForCausalLM::from_pretrained(src);
  auto full = models::AutoModelForCausalLM::from_pretrained(dir);
  std::vector<int64_t> ids = {1, 17, 42, 99, 3, 250, 7, 8, 61, 120, 33, 71};
  models::CausalLMInputs in;
  in.input_ids = Tensor::from_vector(ids, {1, 12});
  Tensor a = windowed->forward(in).logits, b = full->forward(in).logits;  // [1, 12, vocab]
  EXPECT_TRUE(tensors_close(a.narrow(1, 0, 8), b.narrow(1, 0, 8), 1e-6, 1e-6, "inside the window"));
  for (int64_t t = 8; t < 12; ++t)
    EXPECT_FALSE(tensors_close(a.narrow(1, t, 1), b.narrow(1, t, 1), 1e-3, 1e-3, "position " + std::to_string(t)));
}

TEST(MistralModelTest, ConfigErrorsNameTheField) {
  auto dir = transformers::testing::temp_dir("mistral_bad_config");
  auto message = [&](const std::string& text) {
    std::ofstream(dir / "config.json") << text;
    return load_error(dir, /*random_weights=*/true);
  };
  EXPECT_NE(message(R"({"architectures": ["MistralForCausalLM"], "sliding_window": "big"})")
                .find("'sliding_window' must be an integer, got a string"),
            std::string::npos);
  EXPECT_NE(message(R"({"architectures": ["MistralForCausalLM"], "num_key_value_heads": 3})")
                .find("'num_key_value_heads' (3) must divide num_attention_heads (32)"),
            std::string::npos);
  EXPECT_NE(message(R"({"architectures": ["MistralForCausalLM"], "rms_norm_eps": true})")
                .find("'rms_norm_eps' must be a number"),
            std::string::npos);
  // A valid small config loads with random weights.
  EXPECT_EQ(message(R"({"architectures": ["MistralForCausalLM"], "hidden_size": 32, "intermediate_size": 64,
                        "num_hidden_layers": 1, "num_attention_heads": 4, "num_key_value_heads": 2,
                        "vocab_size": 50, "sliding_window": null})"),
            "");
}

// The window mask of the default cache: query t sees keys max(0, t - window + 1)..t.
void window_spans(int64_t total, int64_t window, std::vector<int64_t>& first, std::vector<bool>& zero_slot) {
  first.assign(size_t(total), 0);
  zero_slot.assign(size_t(total), false);
  for (int64_t t = 0; t < total; ++t) first[size_t(t)] = std::max<int64_t>(0, t - window + 1);
}

int64_t argmax(const std::vector<double>& row) {
  return int64_t(std::max_element(row.begin(), row.end()) - row.begin());
}

TEST(MistralSlidingWindowCacheTest, DecodingMatchesTheRolledBufferOfHuggingFace) {
  autograd::NoGradGuard no_grad;
  const int64_t window = 5;
  auto model =
      models::AutoModelForCausalLM::from_pretrained(write_checkpoint("mistral_swc", tiny_config(window), 7, 1.0f));
  Reference ref;
  ref.load(*model);
  const std::vector<int64_t> ids = {1, 17, 42, 99, 3, 250, 7, 8, 61, 120, 33, 71, 12, 200};
  const int64_t total = int64_t(ids.size());
  std::vector<int64_t> first;
  std::vector<bool> zero_slot;
  rolled_spans(total, window, first, zero_slot);
  const Rows rolled = ref.logits(ids, first, zero_slot);
  window_spans(total, window, first, zero_slot);
  const Rows masked = ref.logits(ids, first, zero_slot);
  // The two differ from position window - 1 on, so the comparisons below tell them apart.
  EXPECT_LT(max_diff(rolled[size_t(window - 2)], masked[size_t(window - 2)]), 1e-9);
  EXPECT_GT(max_diff(rolled[size_t(window - 1)], masked[size_t(window - 1)]), 1e-3);

  // A 3-token prompt: the buffer rolls early during decoding, as HF's.
  auto cache = model->make_sliding_window_cache(/*max_cache_len=*/64);
  ASSERT_NE(dynamic_cast<nn::SlidingWindowCache*>(cache.get()), nullptr);
  std::vector<std::vector<double>> ours = decode_logits(*model, cache.get(), ids, 3);
  ASSERT_EQ(int64_t(ours.size()), total);
  for (int64_t t = 0; t < total; ++t) EXPECT_LT(max_diff(ours[size_t(t)], rolled[size_t(t)]), 1e-4) << "position " << t;
  // Its storage never grows: 2 layers x (keys + values) x 2 heads x 5 slots x 8 dims x 4 bytes.
  EXPECT_EQ(cache->nbytes(), 2 * 2 * 2 * window * 8 * 4);
  EXPECT_EQ(cache->seq_length(), total);

  // A prompt longer than the window is attended in full with the window mask; the buffer then
  // holds exactly the window, and decoding gives the default cache's result.
  cache = model->make_sliding_window_cache(64);
  ours = decode_logits(*model, cache.get(), ids, 7);
  for (int64_t t = 0; t < total; ++t) EXPECT_LT(max_diff(ours[size_t(t)], masked[size_t(t)]), 1e-4) << "position " << t;
}

TEST(MistralSlidingWindowCacheTest, GenerateSizesTheBufferForMaxLengthMinusOne) {
  autograd::NoGradGuard no_grad;
  // A window of 64 in a generation of max_length 10: HF's buffer has min(64, 10 - 1) = 9 slots, so
  // it rolls at position 8, the last one fed back.
  auto model =
      models::AutoModelForCausalLM::from_pretrained(write_checkpoint("mistral_swc_gen", tiny_config(64), 9, 1.0f));
  Reference ref;
  ref.load(*model);
  const std::vector<int64_t> prompt = {1, 17, 42};
  generation::GenerationConfig config;
  config.max_new_tokens = 7;
  config.cache_implementation = "sliding_window";
  const generation::GenerateOutput out =
      generation::generate(*model, Tensor::from_vector(prompt, {1, 3}), Tensor(), config);
  const std::vector<int64_t>& seq = out.sequences[0];
  ASSERT_EQ(seq.size(), 10u);
  std::vector<int64_t> first;
  std::vector<bool> zero_slot;
  rolled_spans(10, 9, first, zero_slot);
  ASSERT_TRUE(zero_slot[8]);
  const Rows rolled = ref.logits(seq, first, zero_slot);
  for (size_t t = 2; t + 1 < seq.size(); ++t) EXPECT_EQ(seq[t + 1], argmax(rolled[t])) << "position " << t;

  // The logits of that last step come from the rolled buffer, not from the window mask.
  auto cache = model->make_sliding_window_cache(9);
  const std::vector<std::vector<double>> ours = decode_logits(*model, cache.get(), seq, 3);
  window_spans(10, 64, first, zero_slot);
  const Rows masked = ref.logits(seq, first, zero_slot);
  EXPECT_LT(max_diff(ours[8], rolled[8]), 1e-4);
  EXPECT_GT(max_diff(ours[8], masked[8]), 1e-3);
  for (size_t t = 0; t < 8; ++t) EXPECT_LT(max_diff(ours[t], masked[t]), 1e-4) << "position " << t;
}
