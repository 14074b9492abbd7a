// The writer: byte layout as the format's reference writer produces it (expected bytes derived by
// hand from the format description), round trips of every dtype, atomic replacement, sharding.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>

#include <nlohmann/json.hpp>

#include "support/fixtures.h"
#include "transformers/core/error.h"
#include "transformers/io/checkpoint.h"
#include "transformers/io/json.h"
#include "transformers/io/safetensors.h"

namespace transformers::io {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

std::string le64(uint64_t v) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[i] = char((v >> (8 * i)) & 0xff);
  return s;
}

std::string raw(const void* p, size_t n) { return std::string(static_cast<const char*>(p), n); }

// "t" + index, spelled out to avoid a GCC 12 false -Wrestrict warning on const char* + string&&.
std::string tensor_name(size_t i) {
  std::string s = "t";
  s += std::to_string(i);
  return s;
}

std::vector<std::string> files_in(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

TEST(SafetensorsWriter, ExactBytesOfASmallFile) {
  auto dir = testing::temp_dir("io_writer_exact");
  const float values[6] = {0, 1, 2, 3, 4, 5};
  save_safetensors(dir / "a.safetensors", {{"attn.0", DType::Float32, {1, 2, 3}, values}});
  // The header below is 64 characters: already a multiple of 8, so no padding.
  std::string header = R"({"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}})";
  ASSERT_EQ(header.size(), 64u);
  EXPECT_EQ(testing::read_file(dir / "a.safetensors"), le64(64) + header + raw(values, 24));

  // "attn0" with shape [1,1,2,3]: 65 characters, padded with 7 spaces to 72.
  save_safetensors(dir / "b.safetensors", {{"attn0", DType::Float32, {1, 1, 2, 3}, values}});
  std::string header_b = R"({"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}})";
  ASSERT_EQ(header_b.size(), 65u);
  EXPECT_EQ(testing::read_file(dir / "b.safetensors"),
            le64(72) + header_b + std::string(7, ' ') + raw(values, 24));

  // No tensors, metadata only: {"__metadata__":{"format":"pt"}} is 32 characters.
  save_safetensors(dir / "c.safetensors", {}, {{"format", "pt"}});
  EXPECT_EQ(testing::read_file(dir / "c.safetensors"),
            le64(32) + R"({"__metadata__":{"format":"pt"}})");
  // Nothing at all: "{}" and six spaces.
  save_safetensors(dir / "d.safetensors", {});
  EXPECT_EQ(testing::read_file(dir / "d.safetensors"), le64(8) + "{}      ");
  EXPECT_EQ(files_in(dir), (std::vector<std::string>{"a.safetensors", "b.safetensors",
                                                      "c.safetensors", "d.safetensors"}))
      << "no temporary files may be left behind";
}

TEST(SafetensorsWriter, OrdersByAlignmentThenNameAndKeepsEveryTensorAligned) {
  auto dir = testing::temp_dir("io_writer_order");
  const uint8_t b[3] = {1, 0, 1};
  const int16_t h[3] = {-1, 2, -3};
  const double d[2] = {1.5, -2.25};
  const int64_t l[1] = {-7};
  const uint16_t bf[2] = {0x3f80, 0xc000};  // 1.0, -2.0 in bfloat16
  save_safetensors(dir / "m.safetensors", {{"z_bool", DType::Bool, {3}, b},
                                           {"a_i16", DType::Int16, {3}, h},
                                           {"b_f64", DType::Float64, {2}, d},
                                           {"c_i64", DType::Int64, {1}, l},
                                           {"bf", DType::BFloat16, {2}, bf},
                                           {"a_bf", DType::BFloat16, {1, 2}, bf}});
  auto f = SafetensorsFile::open(dir / "m.safetensors");
  std::vector<std::string> order;
  for (const auto& t : f.tensors()) {
    order.push_back(t.name);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(t.data) % dtype_size(t.dtype), 0u) << t.name;
  }
  // The reference writer's order: I64, F64, BF16, I16, BOOL (its dtype enum, descending), then name.
  EXPECT_EQ(order, (std::vector<std::string>{"c_i64", "b_f64", "a_bf", "bf", "a_i16", "z_bool"}));
  EXPECT_EQ(raw(f.find("b_f64")->data, 16), raw(d, 16));
  EXPECT_EQ(raw(f.find("a_i16")->data, 6), raw(h, 6));
  EXPECT_EQ(raw(f.find("z_bool")->data, 3), raw(b, 3));
  EXPECT_EQ(f.find("a_bf")->shape, (std::vector<int64_t>{1, 2}));
  EXPECT_TRUE(f.metadata().empty());
}

TEST(SafetensorsWriter, RoundTripsEveryDtypeAndMetadata) {
  auto dir = testing::temp_dir("io_writer_roundtrip");
  std::vector<DType> all = {DType::Float64, DType::Float32, DType::Float16, DType::BFloat16,
                            DType::Int64,   DType::Int32,   DType::Int16,   DType::Int8,
                            DType::UInt8,   DType::Bool,    DType::Float8E4M3, DType::Float8E5M2};
  std::vector<std::vector<uint8_t>> buffers;
  std::vector<TensorToWrite> tensors;
  for (size_t i = 0; i < all.size(); ++i) {
    std::vector<uint8_t> bytes(dtype_size(all[i]) * 6);
    for (size_t k = 0; k < bytes.size(); ++k) bytes[k] = uint8_t(17 * i + 3 * k + 1);
    buffers.push_back(std::move(bytes));
  }
  for (size_t i = 0; i < all.size(); ++i)
    tensors.push_back({tensor_name(i), all[i], {2, 3}, buffers[i].data()});
  std::map<std::string, std::string> meta{{"format", "pt"}, {"quote\"d", "ü\n"}};
  save_safetensors(dir / "all.safetensors", tensors, meta);
  auto f = SafetensorsFile::open(dir / "all.safetensors");
  EXPECT_EQ(f.metadata(), meta);
  ASSERT_EQ(f.tensors().size(), all.size());
  for (size_t i = 0; i < all.size(); ++i) {
    const TensorView* t = f.find(tensor_name(i));
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->dtype, all[i]);
    EXPECT_EQ(t->shape, (std::vector<int64_t>{2, 3}));
    EXPECT_EQ(raw(t->data, t->nbytes), raw(buffers[i].data(), buffers[i].size()));
  }
  // The header text is padded to a multiple of 8 with spaces only.
  std::string file = testing::read_file(dir / "all.safetensors");
  uint64_t n;
  std::memcpy(&n, file.data(), 8);
  EXPECT_EQ(n % 8, 0u);
  EXPECT_NO_THROW(nlohmann::json::parse(file.substr(8, n)));
}

TEST(SafetensorsWriter, ReplacesAnExistingFileAtomically) {
  auto dir = testing::temp_dir("io_writer_replace");
  const int32_t one[1] = {1}, two[2] = {2, 3};
  save_safetensors(dir / "x.safetensors", {{"a", DType::Int32, {1}, one}});
  auto before = SafetensorsFile::open(dir / "x.safetensors");  // maps the old file
  save_safetensors(dir / "x.safetensors", {{"b", DType::Int32, {2}, two}});
  // The old mapping still reads the old contents (rename replaced the directory entry only).
  ASSERT_NE(before.find("a"), nullptr);
  EXPECT_EQ(raw(before.find("a")->data, 4), raw(one, 4));
  auto after = SafetensorsFile::open(dir / "x.safetensors");
  EXPECT_EQ(after.find("a"), nullptr);
  EXPECT_EQ(raw(after.find("b")->data, 8), raw(two, 8));
  EXPECT_EQ(files_in(dir), std::vector<std::string>{"x.safetensors"});
}

TEST(SafetensorsWriter, RejectsBadInput) {
  auto dir = testing::temp_dir("io_writer_bad");
  const float v[2] = {1, 2};
  EXPECT_THROW(save_safetensors(dir / "d.safetensors",
                                {{"w", DType::Float32, {1}, v}, {"w", DType::Float32, {1}, v}}),
               Error);
  EXPECT_THROW(save_safetensors(dir / "m.safetensors", {{"__metadata__", DType::Float32, {1}, v}}),
               Error);
  EXPECT_THROW(save_safetensors(dir / "n.safetensors", {{"w", DType::Float32, {-1}, v}}), Error);
  EXPECT_THROW(save_safetensors(dir / "p.safetensors", {{"w", DType::Float32, {2}, nullptr}}),
               Error);
  EXPECT_THROW(save_safetensors(dir / "no_such_dir" / "x.safetensors", {}), Error);
  EXPECT_TRUE(files_in(dir).empty());
}

// ---- sharding ----

struct Weights {
  // Sizes chosen so the split is easy to derive by hand with a 100-byte limit:
  // a 40, b 40 -> shard 1 (80); c 40 would make 120, so c starts a new shard, d 60 fills it to 100;
  // big 160 > limit -> its own shard, appended at once (shard 2), before the one being filled;
  // e 4 does not fit with c+d (104): c+d close as shard 3, e is shard 4. Total 40*3+60+160+4 = 344.
  std::vector<float> a = std::vector<float>(10, 1.f), b = std::vector<float>(10, 2.f),
                     c = std::vector<float>(10, 3.f), d = std::vector<float>(15, 4.f),
                     big = std::vector<float>(40, 5.f), e = std::vector<float>(1, 6.f);
  std::vector<TensorToWrite> list() const {
    return {{"a", DType::Float32, {10}, a.data()},       {"b", DType::Float32, {10}, b.data()},
            {"c", DType::Float32, {2, 5}, c.data()},     {"d", DType::Float32, {15}, d.data()},
            {"big", DType::Float32, {4, 10}, big.data()}, {"e", DType::Float32, {1}, e.data()}};
  }
};

TEST(SafetensorsSharded, SplitsLikeHuggingFaceAndWritesTheIndex) {
  auto dir = testing::temp_dir("io_sharded");
  Weights w;
  save_safetensors_sharded(dir, w.list(), 100);
  EXPECT_EQ(files_in(dir), (std::vector<std::string>{
                               "model-00001-of-00004.safetensors", "model-00002-of-00004.safetensors",
                               "model-00003-of-00004.safetensors", "model-00004-of-00004.safetensors",
                               "model.safetensors.index.json"}));
  nlohmann::json index = read_json(dir / "model.safetensors.index.json");
  nlohmann::json expected = nlohmann::json::parse(R"({
    "metadata": {"total_size": 344},
    "weight_map": {"a": "model-00001-of-00004.safetensors", "b": "model-00001-of-00004.safetensors",
                   "c": "model-00003-of-00004.safetensors", "d": "model-00003-of-00004.safetensors",
                   "big": "model-00002-of-00004.safetensors", "e": "model-00004-of-00004.safetensors"}})");
  EXPECT_EQ(index, expected);
  // Formatted as Python's json.dumps(indent=2, sort_keys=True) + "\n".
  std::string text = testing::read_file(dir / "model.safetensors.index.json");
  EXPECT_EQ(text.substr(0, 40), "{\n  \"metadata\": {\n    \"total_size\": 344\n");
  EXPECT_EQ(text.back(), '\n');

  auto shard1 = SafetensorsFile::open(dir / "model-00001-of-00004.safetensors");
  EXPECT_EQ(shard1.metadata().at("format"), "pt");
  EXPECT_EQ(shard1.tensors().size(), 2u);

  Checkpoint ckpt = Checkpoint::open(dir);
  EXPECT_EQ(ckpt.files().size(), 4u);
  EXPECT_EQ(ckpt.names(), (std::vector<std::string>{"a", "b", "big", "c", "d", "e"}));
  const TensorView* c = ckpt.find("c");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->shape, (std::vector<int64_t>{2, 5}));
  EXPECT_EQ(raw(c->data, 40), raw(w.c.data(), 40));
  EXPECT_EQ(raw(ckpt.find("big")->data, 160), raw(w.big.data(), 160));
  EXPECT_NE(ckpt.keep_alive("e"), nullptr);
  EXPECT_EQ(ckpt.keep_alive("nope"), nullptr);
  EXPECT_EQ(ckpt.find("nope"), nullptr);
}

TEST(SafetensorsSharded, OneShardIsAPlainModelFileAndStaleShardsGo) {
  auto dir = testing::temp_dir("io_sharded_one");
  Weights w;
  save_safetensors_sharded(dir, w.list(), 100);
  save_safetensors_sharded(dir, w.list(), 1000);  // now everything fits in one file
  EXPECT_EQ(files_in(dir), std::vector<std::string>{"model.safetensors"});
  EXPECT_EQ(Checkpoint::open(dir).names().size(), 6u);
  save_safetensors_sharded(dir, w.list(), 200);  // and back to shards: model.safetensors must go,
  Checkpoint ckpt = Checkpoint::open(dir);        // or it would shadow the index
  EXPECT_GT(ckpt.files().size(), 1u);
  EXPECT_EQ(ckpt.names().size(), 6u);
  EXPECT_FALSE(fs::exists(dir / "model.safetensors"));
}

// ---- Checkpoint folder rules ----

TEST(CheckpointOpen, FolderOfLooseFilesAndDuplicates) {
  auto dir = testing::temp_dir("io_ckpt_loose");
  const float v[1] = {1};
  save_safetensors(dir / "part_a.safetensors", {{"x", DType::Float32, {1}, v}});
  save_safetensors(dir / "part_b.safetensors", {{"y", DType::Float32, {1}, v}});
  EXPECT_EQ(Checkpoint::open(dir).names(), (std::vector<std::string>{"x", "y"}));
  save_safetensors(dir / "part_c.safetensors", {{"x", DType::Float32, {1}, v}});
  try {
    Checkpoint::open(dir);
    FAIL() << "a name in two files must be an error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("'x'"));
    EXPECT_THAT(e.what(), HasSubstr("part_a.safetensors"));
    EXPECT_THAT(e.what(), HasSubstr("part_c.safetensors"));
  }
  // model.safetensors, when present, is the checkpoint and the loose files are not read.
  save_safetensors(dir / "model.safetensors", {{"only", DType::Float32, {1}, v}});
  EXPECT_EQ(Checkpoint::open(dir).names(), std::vector<std::string>{"only"});
}

TEST(CheckpointOpen, BadIndexes) {
  auto dir = testing::temp_dir("io_ckpt_index");
  const float v[1] = {1};
  save_safetensors(dir / "s1.safetensors", {{"x", DType::Float32, {1}, v}});
  auto write_index = [&](const std::string& text) {
    std::ofstream(dir / "model.safetensors.index.json") << text;
  };
  auto error_of = [&]() -> std::string {
    try {
      Checkpoint::open(dir);
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  };
  write_index(R"({"weight_map": {"x": "s1.safetensors"}})");
  EXPECT_EQ(error_of(), "");
  write_index(R"({"weight_map": {"x": "s1.safetensors", "y": "s1.safetensors"}})");
  EXPECT_THAT(error_of(), HasSubstr("tensor 'y' is listed in shard s1.safetensors but not stored"));
  write_index(R"({"weight_map": {"x": "s2.safetensors"}})");
  EXPECT_THAT(error_of(), HasSubstr("shard s2.safetensors (holding 'x') is missing"));
  write_index(R"({"weight_map": {"x": "../s1.safetensors"}})");
  EXPECT_THAT(error_of(), HasSubstr("not a file name inside the model folder"));
  write_index(R"({"weight_map": {"x": "/etc/passwd"}})");
  EXPECT_THAT(error_of(), HasSubstr("not a file name inside the model folder"));
  write_index(R"({"metadata": {}})");
  EXPECT_THAT(error_of(), HasSubstr("no \"weight_map\""));
  write_index(R"({"weight_map": {"x": 3}})");
  EXPECT_THAT(error_of(), HasSubstr("must be a file name"));
  write_index("{\n  \"weight_map\": {\n    \"x\": oops\n");
  EXPECT_THAT(error_of(), HasSubstr("line 3"));
  EXPECT_THAT(error_of(), HasSubstr("model.safetensors.index.json"));
}

TEST(CheckpointOpen, NoWeights) {
  auto dir = testing::temp_dir("io_ckpt_empty");
  EXPECT_THROW(Checkpoint::open(dir), Error);
  std::ofstream(dir / "pytorch_model.bin") << "x";
  try {
    Checkpoint::open(dir);
    FAIL();
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("pytorch_model.bin is not supported"));
  }
  EXPECT_THROW(Checkpoint::open(dir / "absent"), Error);
}

TEST(ReadJson, ErrorsNameFileLineAndColumn) {
  auto dir = testing::temp_dir("io_json");
  std::ofstream(dir / "config.json") << "{\n  \"a\": 1,\n  \"b\": [1, 2,, 3]\n}\n";
  try {
    read_json(dir / "config.json");
    FAIL();
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("config.json"));
    EXPECT_THAT(e.what(), HasSubstr("line 3, column 14"));
  }
  EXPECT_THROW(read_json(dir / "absent.json"), Error);
  std::ofstream(dir / "ok.json") << R"({"hidden_size": 64})";
  EXPECT_EQ(read_json(dir / "ok.json")["hidden_size"], 64);
  write_json(dir / "out.json", {{"b", 1}, {"a", {1, 2}}});
  EXPECT_EQ(testing::read_file(dir / "out.json"),
            "{\n  \"a\": [\n    1,\n    2\n  ],\n  \"b\": 1\n}\n");
}

}  // namespace
}  // namespace transformers::io
