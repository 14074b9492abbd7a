// Reads the shared fixtures' safetensors files and checks them against facts that do not come from
// the reader: the config's dimensions, the fixture README's description of the inputs and of how the
// random weights were drawn, and the raw bytes read back with plain file reads.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "support/fixtures.h"
#include "transformers/io/checkpoint.h"
#include "transformers/io/json.h"
#include "transformers/io/safetensors.h"

namespace transformers::io {
namespace {

using Shape = std::vector<int64_t>;

// Shapes of every Llama parameter derived from config.json alone (HF LlamaForCausalLM layout).
std::map<std::string, Shape> llama_expected_shapes(const nlohmann::json& c) {
  int64_t hidden = c["hidden_size"], inter = c["intermediate_size"], vocab = c["vocab_size"];
  int64_t heads = c["num_attention_heads"], kv = c["num_key_value_heads"], hd = c["head_dim"];
  std::map<std::string, Shape> shapes{{"model.embed_tokens.weight", {vocab, hidden}},
                                      {"model.norm.weight", {hidden}}};
  if (!c.value("tie_word_embeddings", true)) shapes["lm_head.weight"] = {vocab, hidden};
  for (int i = 0; i < c["num_hidden_layers"].get<int>(); ++i) {
    std::string p = "model.layers." + std::to_string(i) + ".";
    shapes[p + "input_layernorm.weight"] = {hidden};
    shapes[p + "post_attention_layernorm.weight"] = {hidden};
    shapes[p + "self_attn.q_proj.weight"] = {heads * hd, hidden};
    shapes[p + "self_attn.k_proj.weight"] = {kv * hd, hidden};
    shapes[p + "self_attn.v_proj.weight"] = {kv * hd, hidden};
    shapes[p + "self_attn.o_proj.weight"] = {hidden, heads * hd};
    shapes[p + "mlp.gate_proj.weight"] = {inter, hidden};
    shapes[p + "mlp.up_proj.weight"] = {inter, hidden};
    shapes[p + "mlp.down_proj.weight"] = {hidden, inter};
  }
  return shapes;
}

void expect_llama_checkpoint_matches_config(const std::filesystem::path& dir) {
  nlohmann::json config = read_json(dir / "config.json");
  Checkpoint ckpt = Checkpoint::open(dir);
  auto expected = llama_expected_shapes(config);
  std::vector<std::string> expected_names;
  for (const auto& [name, shape] : expected) expected_names.push_back(name);
  EXPECT_EQ(ckpt.names(), expected_names) << dir;
  for (const auto& [name, shape] : expected) {
    const TensorView* t = ckpt.find(name);
    ASSERT_NE(t, nullptr) << name;
    EXPECT_EQ(t->dtype, DType::Float32) << name;
    EXPECT_EQ(t->shape, shape) << name;
    EXPECT_EQ(t->nbytes, size_t(t->numel()) * 4) << name;
  }
}

const float* as_f32(const TensorView& t) { return reinterpret_cast<const float*>(t.data); }

TEST(SafetensorsFixtures, LlamaShapesFollowConfig) {
  TFM_SKIP_WITHOUT_SHARED();
  expect_llama_checkpoint_matches_config(testing::shared_path("fixtures/models/llama"));
}

TEST(SafetensorsFixtures, Stories260KShapesFollowConfig) {
  TFM_SKIP_WITHOUT_SHARED();
  // tie_word_embeddings is true there: no lm_head.weight in the file.
  expect_llama_checkpoint_matches_config(testing::shared_path("models/stories260K"));
}

TEST(SafetensorsFixtures, LlamaValuesLookLikeTheDocumentedInit) {
  TFM_SKIP_WITHOUT_SHARED();
  // README: norm weights ~ 1 + N(0, 0.1^2), embeddings ~ N(0, 1).
  SafetensorsFile f = SafetensorsFile::open(testing::shared_path("fixtures/models/llama/model.safetensors"));
  EXPECT_EQ(f.metadata().at("format"), "pt");
  const TensorView* norm = f.find("model.layers.0.input_layernorm.weight");
  ASSERT_NE(norm, nullptr);
  double mean = 0;
  for (int64_t i = 0; i < norm->numel(); ++i) mean += as_f32(*norm)[i];
  mean /= double(norm->numel());
  EXPECT_NEAR(mean, 1.0, 0.1);
  const TensorView* emb = f.find("model.embed_tokens.weight");
  ASSERT_NE(emb, nullptr);
  double sum = 0, sq = 0;
  for (int64_t i = 0; i < emb->numel(); ++i) {
    sum += as_f32(*emb)[i];
    sq += double(as_f32(*emb)[i]) * as_f32(*emb)[i];
  }
  double n = double(emb->numel());
  double var = sq / n - (sum / n) * (sum / n);
  EXPECT_NEAR(sum / n, 0.0, 0.05);
  EXPECT_NEAR(std::sqrt(var), 1.0, 0.1);
}

TEST(SafetensorsFixtures, ViewsPointAtTheBytesOnDisk) {
  TFM_SKIP_WITHOUT_SHARED();
  auto path = testing::shared_path("fixtures/models/llama/model.safetensors");
  std::string raw = testing::read_file(path);
  uint64_t header_len = 0;
  std::memcpy(&header_len, raw.data(), 8);  // the test machine is little-endian (x86-64)
  nlohmann::json header = nlohmann::json::parse(raw.substr(8, header_len));
  SafetensorsFile f = SafetensorsFile::open(path);
  ASSERT_EQ(f.tensors().size() + 1, header.size());  // + __metadata__
  size_t previous_end = 0;
  for (const TensorView& t : f.tensors()) {
    auto offsets = header.at(t.name).at("data_offsets");
    size_t begin = offsets[0], end = offsets[1];
    EXPECT_EQ(begin, previous_end) << "tensors() must be in offset order: " << t.name;
    previous_end = end;
    ASSERT_EQ(t.nbytes, end - begin);
    EXPECT_EQ(std::memcmp(t.data, raw.data() + 8 + header_len + begin, t.nbytes), 0) << t.name;
  }
}

TEST(SafetensorsFixtures, ReferenceInputsAreUnpaddedTokenIds) {
  TFM_SKIP_WITHOUT_SHARED();
  // README: decoder-only inputs are batch 2 x 16 tokens, attention_mask all ones.
  auto dir = testing::shared_path("fixtures/models/llama");
  int64_t vocab = read_json(dir / "config.json")["vocab_size"];
  SafetensorsFile f = SafetensorsFile::open(dir / "reference.safetensors");
  const TensorView* ids = f.find("input_ids");
  const TensorView* mask = f.find("attention_mask");
  ASSERT_NE(ids, nullptr);
  ASSERT_NE(mask, nullptr);
  EXPECT_EQ(ids->dtype, DType::Int64);
  EXPECT_EQ(ids->shape, (Shape{2, 16}));
  EXPECT_EQ(mask->shape, (Shape{2, 16}));
  for (int64_t i = 0; i < 32; ++i) {
    int64_t id, m;
    std::memcpy(&id, ids->data + 8 * i, 8);
    std::memcpy(&m, mask->data + 8 * i, 8);
    EXPECT_GE(id, 0);
    EXPECT_LT(id, vocab);
    EXPECT_EQ(m, 1);
  }
  const TensorView* logits = f.find("logits");
  ASSERT_NE(logits, nullptr);
  EXPECT_EQ(logits->shape, (Shape{2, 16, vocab}));
  EXPECT_EQ(f.find("no_such_tensor"), nullptr);
}

TEST(SafetensorsFixtures, EveryFixtureCheckpointOpens) {
  TFM_SKIP_WITHOUT_SHARED();
  // README: every model.safetensors is float32 with {"format": "pt"} metadata.
  int opened = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(testing::shared_path("fixtures/models"))) {
    if (!entry.is_directory()) continue;
    SCOPED_TRACE(entry.path().string());
    Checkpoint ckpt = Checkpoint::open(entry.path());
    ASSERT_EQ(ckpt.files().size(), 1u);
    EXPECT_EQ(ckpt.files()[0].path().filename(), "model.safetensors");
    EXPECT_EQ(ckpt.files()[0].metadata().at("format"), "pt");
    EXPECT_FALSE(ckpt.names().empty());
    for (const auto& name : ckpt.names()) {
      EXPECT_EQ(ckpt.find(name)->dtype, DType::Float32) << name;
      EXPECT_NE(ckpt.keep_alive(name), nullptr);
    }
    ++opened;
  }
  EXPECT_GE(opened, 25);
}

TEST(SafetensorsFixtures, ViewsOutliveTheFileObjectThroughKeepAlive) {
  TFM_SKIP_WITHOUT_SHARED();
  std::shared_ptr<const void> owner;
  const std::byte* data = nullptr;
  float first = 0;
  {
    auto f = SafetensorsFile::open(testing::shared_path("fixtures/models/llama/model.safetensors"));
    const TensorView* t = f.find("model.norm.weight");
    ASSERT_NE(t, nullptr);
    owner = f.keep_alive();
    data = t->data;
    std::memcpy(&first, data, 4);
  }
  float again;
  std::memcpy(&again, data, 4);  // the mapping is still alive: ASan would flag a dead one
  EXPECT_EQ(first, again);
}

}  // namespace
}  // namespace transformers::io
