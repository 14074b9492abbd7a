// `transformers bench`: the JSON report, sizes derived by hand from the config, and --save.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "cli/cli_runner.h"
#include "support/fixtures.h"
#include "transformers/io/safetensors.h"

using namespace transformers;
using transformers::testing::shared_path;
using transformers::testing::temp_dir;

namespace {
std::string run_ok(const std::string& args) {
  transformers::testing::CliResult r = transformers::testing::run_cli(args);
  EXPECT_EQ(r.code, 0) << args << "\n" << r.out;
  return r.out;
}
}  // namespace

TEST(BenchTest, RandomWeightsReportAndSavedFolder) {
  TFM_SKIP_WITHOUT_SHARED();
  // The tiny llama fixture's dimensions: hidden 64, intermediate 128, 2 layers, 4 heads of 16,
  // 2 KV heads, vocabulary 256, untied lm_head.
  const std::filesystem::path dir = temp_dir("bench_random");
  std::filesystem::copy_file(shared_path("fixtures/models/llama/config.json"), dir / "config.json",
                             std::filesystem::copy_options::overwrite_existing);
  const std::string common = " --prompt-tokens 8 --new-tokens 4 --repeat 2 --threads 2 --no-limits --json";
  nlohmann::json r = nlohmann::json::parse(run_ok("bench --config " + (dir / "config.json").string() + common));
  // Parameters: 2 x 256 x 64 (embedding, lm_head) + 64 (norm) + 2 layers x (64x64 q + 2 x 32x64 k, v
  // + 64x64 o + 3 x 128x64 MLP + 2 x 64 norms) = 106816 floats.
  EXPECT_EQ(r["weights_bytes"].get<int64_t>(), 106816 * 4);
  // K and V for 12 positions: 2 layers x 2 x 2 heads x 12 x 16 floats.
  EXPECT_EQ(r["kv_cache_bytes"].get<int64_t>(), 2 * 2 * 2 * 12 * 16 * 4);
  EXPECT_EQ(r["threads"].get<int>(), 2);
  EXPECT_EQ(r["dtype"].get<std::string>(), "float32");
  EXPECT_GT(r["prefill_tokens_per_s"].get<double>(), 0);
  EXPECT_GT(r["decode_tokens_per_s"].get<double>(), 0);
  EXPECT_GE(r["peak_rss_bytes"].get<int64_t>(), r["weights_bytes"].get<int64_t>());

  // --save writes a folder under Hugging Face's names that bench (and everything else) loads.
  const std::filesystem::path saved = temp_dir("bench_saved");
  run_ok("bench --config " + (dir / "config.json").string() + " --dtype bfloat16 --save " + saved.string());
  io::SafetensorsFile file = io::SafetensorsFile::open(saved / "model.safetensors");
  io::SafetensorsFile reference = io::SafetensorsFile::open(shared_path("fixtures/models/llama/model.safetensors"));
  EXPECT_EQ(file.tensors().size(), reference.tensors().size());
  for (const io::TensorView& want : reference.tensors()) {
    const io::TensorView* v = file.find(want.name);
    ASSERT_NE(v, nullptr) << want.name;
    EXPECT_EQ(v->shape, want.shape) << want.name;
    EXPECT_EQ(v->dtype, DType::BFloat16) << want.name;
  }
  nlohmann::json s = nlohmann::json::parse(run_ok("bench " + saved.string() + " --dtype bfloat16" + common));
  EXPECT_EQ(s["weights_bytes"].get<int64_t>(), 106816 * 2);  // bf16 stays 2 bytes
  EXPECT_EQ(s["matmul_precision"].get<std::string>(), "highest");
  // Bytes of mapped files (weights, libraries) in 2 MiB pages, -1 where the kernel does not say:
  // resident, so at most the peak RSS.
  const int64_t huge = s["file_pmd_mapped_bytes"].get<int64_t>();
  EXPECT_GE(huge, -1);
  EXPECT_LE(huge, s["peak_rss_bytes"].get<int64_t>());
  nlohmann::json m = nlohmann::json::parse(
      run_ok("bench " + saved.string() + " --dtype bfloat16 --matmul-precision medium" + common));
  EXPECT_EQ(m["matmul_precision"].get<std::string>(), "medium");
  EXPECT_GT(m["prefill_tokens_per_s"].get<double>(), 0);
  // A name PyTorch does not have is an error, not a silent default.
  transformers::testing::CliResult bad =
      transformers::testing::run_cli("bench " + saved.string() + " --matmul-precision low" + common);
  EXPECT_EQ(bad.code, 1);
  EXPECT_NE(bad.out.find("highest, high or medium"), std::string::npos) << bad.out;
}
