// Mistral parity with Hugging Face transformers' outputs (../shared/fixtures/models/mistral:
// sliding_window 8, shorter than the 16-token forward input and than every generation), and
// self-consistency: cached decoding == full forward.
#include <gtest/gtest.h>

#include <fstream>

#include "models/decoder_checks.h"
#include "transformers/io/json.h"

using namespace transformers;
using namespace transformers::testing::decoder;
using transformers::testing::shared_path;
using transformers::testing::tensors_close;

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
