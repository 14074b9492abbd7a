// GPT-2 parity with Hugging Face transformers' outputs (../shared/fixtures/models/gpt2), its
// generate cases, cached decoding, Conv1D layout and loading rules, config errors.
#include <gtest/gtest.h>

#include <fstream>

#include "models/decoder_checks.h"
#include "transformers/core/error.h"
#include "transformers/io/checkpoint.h"
#include "transformers/models/gpt2/modeling_gpt2.h"

using namespace transformers;
using namespace transformers::testing::decoder;
using transformers::testing::shared_path;
using transformers::testing::temp_dir;
using transformers::testing::tensors_close;

TEST(GPT2ParityTest, ForwardMatchesTransformers) {
  TFM_SKIP_WITHOUT_SHARED();
  EXPECT_EQ(check_forward_parity("gpt2"), 4);  // logits + hidden_states.0..2
}

TEST(GPT2ParityTest, GenerateCasesMatchTransformers) {
  TFM_SKIP_WITHOUT_SHARED();
  EXPECT_EQ(check_generate_cases("gpt2"), 4);  // greedy, left-padded batch, beam3, no cache
}

TEST(GPT2ModelTest, CachedDecodeMatchesFullForward) {
  TFM_SKIP_WITHOUT_SHARED();
  check_cached_decode("gpt2");
}

TEST(GPT2ModelTest, Conv1DWeightsAreBoundAsInOut) {
  TFM_SKIP_WITHOUT_SHARED();
  // The fixture stores mlp.c_fc.weight as [n_embd, 4 * n_embd] = [64, 256]; a config asking for
  // n_inner = 96 must name that key with the [in, out] shapes.
  auto dir = temp_dir("gpt2_bad_shape");
  auto src = shared_path("fixtures/models/gpt2");
  nlohmann::json config = io::read_json(src / "config.json");
  config["n_inner"] = 96;
  io::write_json(dir / "config.json", config);
  std::filesystem::create_symlink(src / "model.safetensors", dir / "model.safetensors");
  EXPECT_NE(load_error(dir, false).find("transformer.h.0.mlp.c_fc.weight: expected [64, 96], file has [64, 256]"),
            std::string::npos)
      << load_error(dir, false);
}

TEST(GPT2ModelTest, Conv1DWeightsAreHeldOnce) {
  TFM_SKIP_WITHOUT_SHARED();
  // Note [Conv1D layout]: linear() runs on a transposed view of the [in, out] weight, which shares
  // its storage (no second copy), so a loaded model holds each projection once.
  auto model = models::gpt2::GPT2LMHeadModel::from_pretrained(shared_path("fixtures/models/gpt2"));
  const models::gpt2::Conv1D& c_fc = model->transformer.h[0].mlp.c_fc;
  EXPECT_EQ(c_fc.weight_t.shape(), (Shape{c_fc.weight.size(1), c_fc.weight.size(0)}));
  EXPECT_EQ(c_fc.weight_t.raw_data(), c_fc.weight.raw_data());
  EXPECT_EQ(c_fc.weight_t.stride(0), 1);
}

TEST(GPT2ModelTest, LoadsBaseModelCheckpointWithMaskBuffers) {
  TFM_SKIP_WITHOUT_SHARED();
  // OpenAI's converted checkpoints were saved from GPT2Model: no "transformer." prefix, and they
  // carry the causal-mask buffers h.N.attn.bias / h.N.attn.masked_bias, which HF ignores.
  auto src = shared_path("fixtures/models/gpt2");
  auto dir = temp_dir("gpt2_base_prefix");
  std::filesystem::copy_file(src / "config.json", dir / "config.json");
  io::Checkpoint checkpoint = io::Checkpoint::open(src);
  std::vector<io::TensorToWrite> tensors;
  std::vector<std::string> names;
  for (const std::string& name : checkpoint.names()) names.push_back(name.substr(std::string("transformer.").size()));
  size_t i = 0;
  for (const std::string& name : checkpoint.names()) {
    const io::TensorView* v = checkpoint.find(name);
    tensors.push_back({names[i++], v->dtype, v->shape, v->data});
  }
  std::vector<float> causal(64 * 64, 0.0f);
  for (int r = 0; r < 64; ++r)
    for (int c = 0; c <= r; ++c) causal[r * 64 + c] = 1.0f;
  float masked_bias = -1e4f;
  for (const char* layer : {"h.0", "h.1"}) {
    tensors.push_back({std::string(layer) + ".attn.bias", DType::Float32, {1, 1, 64, 64}, causal.data()});
    tensors.push_back({std::string(layer) + ".attn.masked_bias", DType::Float32, {}, &masked_bias});
  }
  io::save_safetensors(dir / "model.safetensors", tensors);

  autograd::NoGradGuard no_grad;
  auto reference = models::AutoModelForCausalLM::from_pretrained(src);
  auto stripped = models::AutoModelForCausalLM::from_pretrained(dir);
  models::CausalLMInputs in;
  in.input_ids = Tensor::from_vector(std::vector<int64_t>{1, 9, 200, 31, 4}, {1, 5});
  EXPECT_TRUE(tensors_close(stripped->forward(in).logits, reference->forward(in).logits, 0, 0, "logits"));
}

TEST(GPT2ModelTest, PositionsPastNPositionsAreAnError) {
  TFM_SKIP_WITHOUT_SHARED();
  // Learned positions: the table has n_positions (64) rows, as HF's wpe.
  autograd::NoGradGuard no_grad;
  auto model = models::AutoModelForCausalLM::from_pretrained(shared_path("fixtures/models/gpt2"));
  models::CausalLMInputs in;
  in.input_ids = Tensor::zeros({1, 65}, DType::Int64);
  EXPECT_THROW(model->forward(in), Error);
  in.input_ids = Tensor::zeros({1, 64}, DType::Int64);
  EXPECT_EQ(model->forward(in).logits.shape(), (Shape{1, 64, 256}));
}

TEST(GPT2ModelTest, ConfigErrorsNameTheField) {
  auto dir = temp_dir("gpt2_bad_config");
  auto write = [&](const std::string& text) { std::ofstream(dir / "config.json") << text; };
  write(R"({"architectures": ["GPT2LMHeadModel"], "n_embd": "big"})");
  EXPECT_NE(load_error(dir, true).find("'n_embd' must be an integer, got a string"), std::string::npos)
      << load_error(dir, true);
  write(R"({"architectures": ["GPT2LMHeadModel"], "n_embd": 30, "n_head": 4})");
  EXPECT_NE(load_error(dir, true).find("'n_embd' (30) must be divisible by n_head (4)"), std::string::npos)
      << load_error(dir, true);
  write(R"({"architectures": ["GPT2LMHeadModel"], "activation_function": "swoosh"})");
  EXPECT_NE(load_error(dir, true).find("'activation_function'"), std::string::npos) << load_error(dir, true);
  write(R"({"architectures": ["GPT2LMHeadModel"], "layer_norm_epsilon": [1e-5]})");
  EXPECT_NE(load_error(dir, true).find("'layer_norm_epsilon' must be a number, got a list"), std::string::npos)
      << load_error(dir, true);
  write(R"({"architectures": ["GPT2LMHeadModel"], "n_layer": 1, "n_embd": 8, "n_head": 2, "n_positions": 8,
            "vocab_size": 16})");
  EXPECT_EQ(load_error(dir, true), "");
}
