// Llama parity with Hugging Face transformers' outputs (../shared/fixtures/models/llama*), and
// self-consistency: cached decoding == full forward.
#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "support/compare.h"
#include "support/fixtures.h"
#include "transformers/core/autograd.h"
#include "transformers/core/error.h"
#include "transformers/io/json.h"
#include "transformers/io/safetensors.h"
#include "transformers/models/auto/modeling_auto.h"

using namespace transformers;
using transformers::testing::shared_path;
using transformers::testing::tensors_close;

namespace {

Tensor load_tensor(const io::SafetensorsFile& file, const std::string& name) {
  const io::TensorView* v = file.find(name);
  if (!v) throw std::runtime_error("reference tensor missing: " + name);
  return Tensor::from_blob(v->data, v->shape, v->dtype, file.keep_alive()).clone();
}

void check_forward_parity(const std::string& case_name) {
  auto dir = shared_path("fixtures/models/" + case_name);
  nlohmann::json ref = io::read_json(dir / "reference.json");
  io::SafetensorsFile tensors = io::SafetensorsFile::open(dir / "reference.safetensors");
  autograd::NoGradGuard no_grad;
  auto model = models::AutoModel::from_pretrained(dir);
  models::NamedTensors inputs;
  for (const auto& name : ref["inputs"]) inputs.emplace_back(name, load_tensor(tensors, name));
  models::NamedTensors outputs = model->forward_named(inputs, /*output_hidden_states=*/true);
  const double atol = ref["atol"], rtol = ref["rtol"];
  for (const auto& name : ref["outputs"]) {
    Tensor ours = models::find_named(outputs, name);
    ASSERT_TRUE(ours.defined()) << case_name << ": no output named " << name;
    EXPECT_TRUE(tensors_close(ours, load_tensor(tensors, name), atol, rtol, case_name + " " + std::string(name)));
  }
}

}  // namespace

TEST(LlamaParityTest, ForwardMatchesTransformers) {
  TFM_SKIP_WITHOUT_SHARED();
  check_forward_parity("llama");
}

TEST(LlamaParityTest, Llama3RopeScalingForwardMatchesTransformers) {
  TFM_SKIP_WITHOUT_SHARED();
  check_forward_parity("llama_rope_llama3");
}

TEST(LlamaModelTest, CachedDecodeMatchesFullForward) {
  TFM_SKIP_WITHOUT_SHARED();
  autograd::NoGradGuard no_grad;
  auto model = models::AutoModelForCausalLM::from_pretrained(shared_path("fixtures/models/llama"));
  std::vector<int64_t> ids = {1, 17, 42, 99, 3, 250, 7, 8};
  Tensor input = Tensor::from_vector(ids, {1, 8});
  models::CausalLMInputs full;
  full.input_ids = input;
  Tensor full_logits = model->forward(full).logits;
  auto cache = model->make_cache();
  models::CausalLMInputs prefill;
  prefill.input_ids = input.narrow(1, 0, 5);
  prefill.past_key_values = cache.get();
  Tensor first = model->forward(prefill).logits;
  EXPECT_TRUE(tensors_close(first, full_logits.narrow(1, 0, 5), 1e-5, 1e-5, "prefill"));
  for (int64_t t = 5; t < 8; ++t) {
    models::CausalLMInputs step;
    step.input_ids = input.narrow(1, t, 1);
    step.past_key_values = cache.get();
    Tensor logits = model->forward(step).logits;
    EXPECT_TRUE(tensors_close(logits, full_logits.narrow(1, t, 1), 1e-5, 1e-5, "step " + std::to_string(t)));
  }
}

TEST(LlamaModelTest, StrictLoadingNamesTheTensor) {
  TFM_SKIP_WITHOUT_SHARED();
  // A config whose hidden size disagrees with the checkpoint: the error names the key and shapes.
  auto dir = transformers::testing::temp_dir("llama_bad_shape");
  auto src = shared_path("fixtures/models/llama");
  nlohmann::json config = io::read_json(src / "config.json");
  config["intermediate_size"] = 96;
  io::write_json(dir / "config.json", config);
  std::filesystem::create_symlink(src / "model.safetensors", dir / "model.safetensors");
  try {
    models::AutoModel::from_pretrained(dir);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("model.layers.0.mlp.gate_proj.weight: expected [96, 64], file has [128, 64]"),
              std::string::npos)
        << e.what();
  }
}

TEST(LlamaModelTest, ConfigErrorsNameTheField) {
  auto dir = transformers::testing::temp_dir("llama_bad_config");
  auto write = [&](const std::string& text) {
    std::ofstream(dir / "config.json") << text;
  };
  auto message = [&]() -> std::string {
    try {
      models::AutoModel::from_pretrained(dir, {.random_weights = true});
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  };
  write("{not json");
  EXPECT_NE(message().find("config.json"), std::string::npos);
  write(R"({"architectures": ["LlamaForCausalLM"], "hidden_size": "big"})");
  EXPECT_NE(message().find("'hidden_size' must be an integer"), std::string::npos) << message();
  write(R"({"architectures": ["NopeForCausalLM"]})");
  EXPECT_NE(message().find("architecture 'NopeForCausalLM' is not supported"), std::string::npos);
  write(R"({"architectures": ["LlamaForCausalLM"], "hidden_size": 30, "num_attention_heads": 4})");
  EXPECT_NE(message().find("'hidden_size' (30) must be divisible by num_attention_heads (4)"), std::string::npos)
      << message();
  write(R"({"architectures": ["LlamaForCausalLM"], "hidden_act": "swoosh"})");
  EXPECT_NE(message().find("'hidden_act'"), std::string::npos) << message();
}
