#pragma once
// Shared by the encoder tests (test_bert/roberta/distilbert/modernbert.cpp): fixture parity of
// forward_named against Hugging Face's reference.safetensors, and the padded-batch invariant.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support/compare.h"
#include "support/fixtures.h"
#include "support/reference.h"
#include "transformers/core/autograd.h"
#include "transformers/io/json.h"
#include "transformers/io/safetensors.h"
#include "transformers/models/auto/modeling_auto.h"

namespace transformers::testing {

// A fixture folder with its reference.json and reference.safetensors, opened once.
struct ReferenceFixture {
  std::filesystem::path dir;
  nlohmann::json ref;
  io::SafetensorsFile tensors;

  explicit ReferenceFixture(const std::string& case_name)
      : dir(shared_path("fixtures/models/" + case_name)),
        ref(io::read_json(dir / "reference.json")),
        tensors(io::SafetensorsFile::open(dir / "reference.safetensors")) {}

  // The inputs, as reference.json lists them.
  models::NamedTensors inputs() const {
    models::NamedTensors named;
    for (const auto& name : ref["inputs"]) named.emplace_back(name, load_reference(tensors, name));
    return named;
  }
};

// The fixture's inputs, as reference.json lists them.
inline models::NamedTensors fixture_inputs(const std::string& case_name) {
  return ReferenceFixture(case_name).inputs();
}

// Every output of reference.json (all positions, padded ones included) within its atol/rtol.
inline void check_encoder_parity(const std::string& case_name) {
  const ReferenceFixture fixture(case_name);
  const nlohmann::json& ref = fixture.ref;
  const io::SafetensorsFile& tensors = fixture.tensors;
  autograd::NoGradGuard no_grad;
  auto model = models::AutoModel::from_pretrained(fixture.dir);
  models::NamedTensors outputs = model->forward_named(fixture.inputs(), /*output_hidden_states=*/true);
  const double atol = ref["atol"], rtol = ref["rtol"];
  size_t checked = 0;
  for (const auto& name : ref["outputs"]) {
    Tensor ours = models::find_named(outputs, name);
    ASSERT_TRUE(ours.defined()) << case_name << ": no output named " << name;
    EXPECT_TRUE(tensors_close(ours, load_reference(tensors, name), atol, rtol, case_name + " " + std::string(name)));
    ++checked;
  }
  EXPECT_EQ(checked, ref["outputs"].size());
  EXPECT_EQ(outputs.size(), ref["outputs"].size()) << case_name << ": outputs beyond reference.json's list";
}

// Hugging Face's AutoModel on a task head's folder: the base model, the head's weights unused. Its
// hidden states are the head fixture's (the head only reads them), and it has no head output.
inline void check_base_model_of_head_checkpoint(const std::string& case_name) {
  const ReferenceFixture fixture(case_name);
  const nlohmann::json& ref = fixture.ref;
  const io::SafetensorsFile& tensors = fixture.tensors;
  autograd::NoGradGuard no_grad;
  auto model = models::AutoModel::base_model_from_pretrained(fixture.dir);
  models::NamedTensors outputs = model->forward_named(fixture.inputs(), /*output_hidden_states=*/true);
  ASSERT_TRUE(models::find_named(outputs, "last_hidden_state").defined()) << case_name;
  EXPECT_FALSE(models::find_named(outputs, "logits").defined()) << case_name;
  const double atol = ref["atol"], rtol = ref["rtol"];
  int64_t checked = 0;
  for (const auto& name : ref["outputs"]) {
    if (!std::string(name).starts_with("hidden_states.")) continue;
    Tensor ours = models::find_named(outputs, name);
    ASSERT_TRUE(ours.defined()) << case_name << ": no " << name;
    EXPECT_TRUE(tensors_close(ours, load_reference(tensors, name), atol, rtol,
                              case_name + " base " + std::string(name)));
    ++checked;
  }
  EXPECT_EQ(checked, ref["num_hidden_states"].get<int64_t>()) << case_name;
}

// Row 1 of the fixture batch is right padded: its real tokens, run alone without padding, must
// give the same `output` at those positions (padding must not leak into real tokens).
inline void check_padding_invariance(const std::string& case_name, const std::string& output) {
  autograd::NoGradGuard no_grad;
  auto model = models::AutoModel::from_pretrained(shared_path("fixtures/models/" + case_name));
  models::NamedTensors batch = fixture_inputs(case_name);
  Tensor mask = models::find_named(batch, "attention_mask");
  std::vector<int64_t> row = mask.select(0, 1).contiguous().to_vector<int64_t>();
  int64_t real = 0;
  while (real < int64_t(row.size()) && row[size_t(real)] == 1) ++real;
  ASSERT_GT(real, 0);
  ASSERT_LT(real, int64_t(row.size())) << "fixture row 1 is expected to be padded";
  models::NamedTensors single;
  for (const auto& [name, t] : batch) single.emplace_back(name, t.narrow(0, 1, 1).narrow(1, 0, real).contiguous());
  Tensor full = models::find_named(model->forward_named(batch, false), output);
  Tensor alone = models::find_named(model->forward_named(single, false), output);
  ASSERT_TRUE(full.defined() && alone.defined()) << output;
  Tensor full_row = full.narrow(0, 1, 1);
  if (full_row.dim() >= 2 && alone.dim() >= 2 && alone.size(1) == real) full_row = full_row.narrow(1, 0, real);
  // Rounding differs with the batch shape (GEMM blocking); leaked padding would be far larger.
  EXPECT_TRUE(tensors_close(full_row.contiguous(), alone, 1e-4, 1e-4, case_name + " padded vs alone " + output));
}

}  // namespace transformers::testing
