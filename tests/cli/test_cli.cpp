// The `transformers` command end to end: exit codes, one-line errors, forward and generate
// output against the Hugging Face fixtures.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <fstream>

#include <nlohmann/json.hpp>

#include "cli/cli_runner.h"
#include "support/compare.h"
#include "support/fixtures.h"
#include "transformers/generation/utils.h"
#include "transformers/io/json.h"
#include "transformers/io/safetensors.h"
#include "transformers/models/auto/modeling_auto.h"
#include "transformers/pipelines/text_generation.h"

using namespace transformers;
using transformers::testing::shared_path;
using transformers::testing::temp_dir;

namespace {

// Runs the command; stdout and stderr together.
using RunResult = transformers::testing::CliResult;

RunResult run(const std::string& args) { return transformers::testing::run_cli(args); }

// Copies the named tensors of reference.safetensors into a new file (the command's --inputs).
std::filesystem::path write_inputs(const std::filesystem::path& reference, const std::vector<std::string>& names,
                                   const std::filesystem::path& out) {
  io::SafetensorsFile file = io::SafetensorsFile::open(reference);
  std::vector<io::TensorToWrite> entries;
  for (const auto& n : names) {
    const io::TensorView* v = file.find(n);
    entries.push_back({n, v->dtype, v->shape, v->data});
  }
  io::save_safetensors(out, entries);
  return out;
}

}  // namespace

TEST(CliTest, HelpAndUnknownVerb) {
  EXPECT_EQ(run("--help").code, 0);
  RunResult r = run("frobnicate");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.out.find("unknown verb"), std::string::npos);
  EXPECT_EQ(run("forward --help").code, 0);
  EXPECT_EQ(run("generate --help").code, 0);
  EXPECT_EQ(run("env").code, 0);
}

TEST(CliTest, ForwardWritesHuggingFaceOutputs) {
  TFM_SKIP_WITHOUT_SHARED();
  auto dir = shared_path("fixtures/models/llama");
  auto tmp = temp_dir("cli_forward");
  auto in = write_inputs(dir / "reference.safetensors", {"input_ids", "attention_mask"}, tmp / "in.safetensors");
  RunResult r = run("forward " + dir.string() + " --inputs " + in.string() + " --output " +
                    (tmp / "out.safetensors").string());
  ASSERT_EQ(r.code, 0) << r.out;
  io::SafetensorsFile ours = io::SafetensorsFile::open(tmp / "out.safetensors");
  io::SafetensorsFile ref = io::SafetensorsFile::open(dir / "reference.safetensors");
  for (const char* name : {"logits", "hidden_states.0", "hidden_states.1", "hidden_states.2"}) {
    const io::TensorView* a = ours.find(name);
    const io::TensorView* b = ref.find(name);
    ASSERT_NE(a, nullptr) << name;
    Tensor ta = Tensor::from_blob(a->data, a->shape, a->dtype, ours.keep_alive());
    Tensor tb = Tensor::from_blob(b->data, b->shape, b->dtype, ref.keep_alive());
    EXPECT_TRUE(transformers::testing::tensors_close(ta, tb, 1e-4, 1e-4, name));
  }
}

TEST(CliTest, GeneratePrintsSequences) {
  TFM_SKIP_WITHOUT_SHARED();
  auto dir = shared_path("fixtures/models/llama");
  nlohmann::json ref = io::read_json(dir / "reference.json");
  auto tmp = temp_dir("cli_generate");
  for (const auto& c : ref["generate"]) {
    std::vector<int64_t> ids, mask;
    for (const auto& row : c["prompt_ids"])
      for (const auto& v : row) ids.push_back(v);
    for (const auto& row : c["attention_mask"])
      for (const auto& v : row) mask.push_back(v);
    std::vector<int64_t> shape = {int64_t(c["prompt_ids"].size()), int64_t(c["prompt_ids"][0].size())};
    io::save_safetensors(tmp / "in.safetensors", {{"input_ids", DType::Int64, shape, ids.data()},
                                                  {"attention_mask", DType::Int64, shape, mask.data()}});
    const auto& kw = c["kwargs"];
    std::string flags = " --max-new-tokens " + std::to_string(kw["max_new_tokens"].get<int>()) + " --num-beams " +
                        std::to_string(kw["num_beams"].get<int>()) + " --pad-token-id " +
                        std::to_string(kw["pad_token_id"].get<int>()) + (kw["use_cache"] ? "" : " --no-cache");
    RunResult r = run("generate " + dir.string() + " --inputs " + (tmp / "in.safetensors").string() + flags);
    ASSERT_EQ(r.code, 0) << r.out;
    nlohmann::json got = nlohmann::json::parse(r.out);
    EXPECT_EQ(got["sequences"], c["sequences"]) << c["name"];
  }
}

TEST(CliTest, GenerateTakesACacheImplementation) {
  TFM_SKIP_WITHOUT_SHARED();
  // The same sequences as generate() with that cache; a name generate() does not know fails in one line.
  auto dir = shared_path("fixtures/models/mistral");
  auto tmp = temp_dir("cli_generate_cache");
  std::vector<int64_t> ids = {1, 159, 216};
  io::save_safetensors(tmp / "in.safetensors", {{"input_ids", DType::Int64, {1, 3}, ids.data()}});
  auto model = models::AutoModelForCausalLM::from_pretrained(dir);
  for (const std::string name : {"sliding_window", "static"}) {
    generation::GenerationConfig config = generation::GenerationConfig::from_model_dir(dir, model->config());
    config.max_new_tokens = 12;
    config.cache_implementation = name;
    auto expected = generation::generate(*model, Tensor::from_vector(ids, {1, 3}), Tensor(), config).sequences;
    RunResult r = run("generate " + dir.string() + " --inputs " + (tmp / "in.safetensors").string() +
                      " --max-new-tokens 12 --cache-implementation " + name);
    ASSERT_EQ(r.code, 0) << r.out;
    EXPECT_EQ(nlohmann::json::parse(r.out)["sequences"], nlohmann::json(expected)) << name;
  }
  RunResult r = run("generate " + dir.string() + " --inputs " + (tmp / "in.safetensors").string() +
                    " --cache-implementation rolling");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("error: [generate] cache_implementation \"rolling\" is not supported"), std::string::npos)
      << r.out;
}

TEST(CliTest, BadInputsExitWithOneLine) {
  auto tmp = temp_dir("cli_errors");
  RunResult r = run("forward " + tmp.string() + " --inputs x --output y");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("error: "), std::string::npos);
  EXPECT_NE(r.out.find("config.json"), std::string::npos) << r.out;
  std::ofstream(tmp / "config.json") << R"({"architectures": ["MysteryForCausalLM"]})";
  r = run("generate " + tmp.string() + " --inputs x");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("MysteryForCausalLM"), std::string::npos) << r.out;
  r = run("forward --inputs a");
  EXPECT_NE(r.code, 0);
}

TEST(CliTest, RunTextGenerationPrintsThePipelinesText) {
  TFM_SKIP_WITHOUT_SHARED();
  // `transformers run` prints what pipeline("text-generation") returns, streamed or not.
  const std::filesystem::path dir = shared_path("models/stories260K");
  auto pipe = pipelines::TextGenerationPipeline::from_pretrained(dir);
  pipelines::TextGenerationOptions options;
  options.max_new_tokens = 12;
  const std::string full = pipe->operator()("Once upon a time", options)[0].generated_text;
  options.return_full_text = false;
  const std::string completion = pipe->operator()("Once upon a time", options)[0].generated_text;
  ASSERT_EQ(full, "Once upon a time" + completion);

  const std::string base = "run " + dir.string() + " 'Once upon a time' --max-new-tokens 12";
  RunResult r = run(base);
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(r.out, full + "\n");
  r = run(base + " --stream");
  EXPECT_EQ(r.out, full + "\n");
  r = run(base + " --stream --no-full-text");
  EXPECT_EQ(r.out, completion + "\n");
  r = run(base + " --json");
  EXPECT_EQ(nlohmann::json::parse(r.out), nlohmann::json::parse(R"([{"generated_text": )" +
                                                                 nlohmann::json(full).dump() + "}]"));
  // Beams: one result per returned sequence, best first, as the pipeline gives them.
  options.return_full_text = true;
  options.num_beams = 3;
  options.num_return_sequences = 2;
  nlohmann::json beams = nlohmann::json::array();
  for (const auto& g : pipe->operator()("Once upon a time", options))
    beams.push_back({{"generated_text", g.generated_text}});
  r = run(base + " --num-beams 3 --num-return-sequences 2 --json");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(nlohmann::json::parse(r.out), beams);
  // --no-do-sample searches greedily where generation_config.json samples.
  const std::filesystem::path sampling = temp_dir("run_sampling_config");
  for (const char* f : {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"})
    std::filesystem::create_symlink(dir / f, sampling / f);
  std::ofstream(sampling / "generation_config.json") << R"({"do_sample": true, "temperature": 1.5, "top_k": 0})";
  r = run("run " + sampling.string() + " 'Once upon a time' --max-new-tokens 12 --no-do-sample");
  EXPECT_EQ(r.out, full + "\n");
  int differ = 0;
  for (int seed = 0; seed < 3; ++seed)
    differ += run("run " + sampling.string() + " 'Once upon a time' --max-new-tokens 12 --seed " +
                  std::to_string(seed)).out != full + "\n";
  EXPECT_GT(differ, 0) << "the folder's generation_config.json should sample";
  // As HF: no streamer with beam search (rather than print only the prompt).
  r = run(base + " --stream --num-beams 2");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("a streamer cannot be used with beam search"), std::string::npos) << r.out;
  r = run(base + " --num-beams 2 --num-return-sequences 3");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("error: [generate] num_return_sequences (3) must be between 1 and num_beams (2)"),
            std::string::npos)
      << r.out;
}
