// Qwen2 parity with Hugging Face transformers' outputs (../shared/fixtures/models/qwen2: q/k/v
// bias, GQA, tied embeddings), and self-consistency: cached decoding == full forward.
#include <gtest/gtest.h>

#include <fstream>

#include "models/decoder_checks.h"
#include "transformers/io/json.h"
#include "transformers/models/qwen2/configuration_qwen2.h"

using namespace transformers;
using namespace transformers::testing::decoder;
using transformers::testing::shared_path;
using transformers::testing::tensors_close;

namespace {
// The qwen2 fixture with config.json fields overridden (weights linked, not copied).
std::filesystem::path variant(const std::string& name, const nlohmann::json& overrides) {
  auto src = shared_path("fixtures/models/qwen2");
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
}  // namespace

TEST(Qwen2ParityTest, ForwardMatchesTransformers) {
  TFM_SKIP_WITHOUT_SHARED();
  EXPECT_EQ(check_forward_parity("qwen2"), 4);  // logits + hidden_states.0..2
}

TEST(Qwen2ParityTest, GenerateCasesMatchTransformers) {
  TFM_SKIP_WITHOUT_SHARED();
  EXPECT_EQ(check_generate_cases("qwen2"), 4);
}

TEST(Qwen2ModelTest, CachedDecodeMatchesFullForward) {
  TFM_SKIP_WITHOUT_SHARED();
  check_cached_decode("qwen2");
}

TEST(Qwen2ModelTest, SlidingWindowOnlyFromMaxWindowLayers) {
  // Hand-derived from Qwen2Attention's rule: use_sliding_window and layer_idx >= max_window_layers.
  nlohmann::json j = {{"use_sliding_window", true}, {"sliding_window", 4}, {"max_window_layers", 1},
                      {"num_hidden_layers", 2}};
  models::qwen2::Qwen2Config c = models::qwen2::Qwen2Config::from_json(j);
  EXPECT_EQ(c.layer_sliding_window(0), 0);
  EXPECT_EQ(c.layer_sliding_window(1), 4);
  j["use_sliding_window"] = false;
  EXPECT_EQ(models::qwen2::Qwen2Config::from_json(j).layer_sliding_window(1), 0);
  j["use_sliding_window"] = true;
  j["sliding_window"] = nullptr;
  EXPECT_EQ(models::qwen2::Qwen2Config::from_json(j).layer_sliding_window(1), 0);
}

TEST(Qwen2ModelTest, SlidingWindowChangesOnlyLaterPositions) {
  TFM_SKIP_WITHOUT_SHARED();
  autograd::NoGradGuard no_grad;
  std::vector<int64_t> ids = {1, 17, 42, 99, 3, 250, 7, 8, 61, 120};
  Tensor base = logits_of(shared_path("fixtures/models/qwen2"), ids);
  // Window on, but no layer reaches max_window_layers: nothing changes.
  Tensor none = logits_of(variant("qwen2_window_none", {{"use_sliding_window", true}, {"sliding_window", 4},
                                                        {"max_window_layers", 2}}),
                          ids);
  EXPECT_TRUE(tensors_close(none, base, 0, 0, "no windowed layer"));
  // Layer 1 windowed to 4 tokens: positions 0..3 see everything anyway, later ones do not.
  Tensor last = logits_of(variant("qwen2_window_last", {{"use_sliding_window", true}, {"sliding_window", 4},
                                                        {"max_window_layers", 1}}),
                          ids);
  EXPECT_TRUE(tensors_close(last.narrow(1, 0, 4), base.narrow(1, 0, 4), 1e-6, 1e-6, "inside the window"));
  for (int64_t t = 4; t < 10; ++t)
    EXPECT_FALSE(tensors_close(last.narrow(1, t, 1), base.narrow(1, t, 1), 1e-3, 1e-3,
                               "position " + std::to_string(t)));
}

TEST(Qwen2ModelTest, ConfigErrorsNameTheField) {
  auto dir = transformers::testing::temp_dir("qwen2_bad_config");
  auto message = [&](const std::string& text) {
    std::ofstream(dir / "config.json") << text;
    return load_error(dir, /*random_weights=*/true);
  };
  EXPECT_NE(message(R"({"architectures": ["Qwen2ForCausalLM"], "use_sliding_window": "yes"})")
                .find("'use_sliding_window' must be true or false, got a string"),
            std::string::npos);
  EXPECT_NE(message(R"({"architectures": ["Qwen2ForCausalLM"], "max_window_layers": 1.5})")
                .find("'max_window_layers' must be an integer, got a float"),
            std::string::npos);
  EXPECT_NE(message(R"({"architectures": ["Qwen2ForCausalLM"], "hidden_size": 30, "num_attention_heads": 4})")
                .find("'hidden_size'"),
            std::string::npos);
  EXPECT_EQ(message(R"({"architectures": ["Qwen2ForCausalLM"], "hidden_size": 32, "intermediate_size": 64,
                        "num_hidden_layers": 1, "num_attention_heads": 4, "num_key_value_heads": 2,
                        "vocab_size": 50})"),
            "");
}
