// Tokenizer benchmarks: load time of each fixture tokenizer.json, single-thread encode throughput
// on a generated ≥5 MB mixed-language text, batch encode scaling, and BPE on long words without
// spaces (must grow linearly). Needs ../shared (set TRANSFORMERS_SHARED); see docs/performance.md.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>

#include "transformers/tokenizers/auto_tokenizer.h"

namespace fs = std::filesystem;
using transformers::tok::Tokenizer;

namespace {

fs::path fixtures() {
  const char* env = std::getenv("TRANSFORMERS_SHARED");
  fs::path root = env && *env ? fs::path(env) : fs::path(__FILE__).parent_path().parent_path().parent_path() / "shared";
  return root / "fixtures" / "tokenizers";
}

// The benchmark corpus: TFM_BENCH_TEXT if set (the npm peers read the same file), else the
// fixture texts repeated to ≥5 MB.
const std::string& corpus() {
  static const std::string text = [] {
    if (const char* p = std::getenv("TFM_BENCH_TEXT"); p && *p) {
      std::ifstream in(p, std::ios::binary);
      std::ostringstream ss;
      ss << in.rdbuf();
      return ss.str();
    }
    std::string base;
    for (auto& e : fs::directory_iterator(fixtures())) {
      std::ifstream in(e.path() / "cases.jsonl");
      std::string line;
      while (std::getline(in, line)) {
        auto k = line.find("\"text\":\"");
        if (k == std::string::npos) continue;
        auto end = line.find("\",\"", k + 8);
        base += line.substr(k + 8, end - k - 8);
        base += '\n';
      }
      break;
    }
    std::string out;
    while (out.size() < 5u << 20) out += base;
    return out;
  }();
  return text;
}

Tokenizer& tokenizer(const std::string& name) {
  static std::map<std::string, std::unique_ptr<Tokenizer>> cache;
  auto& t = cache[name];
  if (!t) t = std::make_unique<Tokenizer>(Tokenizer::from_file(fixtures() / name / "tokenizer.json"));
  return *t;
}

void BM_Load(benchmark::State& state, std::string name) {
  fs::path p = fixtures() / name / "tokenizer.json";
  for (auto _ : state) benchmark::DoNotOptimize(Tokenizer::from_file(p));
  state.counters["file_MB"] = static_cast<double>(fs::file_size(p)) / 1e6;
}

void BM_Encode(benchmark::State& state, std::string name) {
  Tokenizer& t = tokenizer(name);
  const std::string& text = corpus();
  size_t n = 0;
  for (auto _ : state) n = t.encode(text, false).size();
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
  state.counters["tokens"] = static_cast<double>(n);
}

void BM_EncodeBatch(benchmark::State& state, std::string name) {
  Tokenizer& t = tokenizer(name);
  std::vector<std::string> lines;
  std::istringstream in(corpus());
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  for (auto _ : state) benchmark::DoNotOptimize(t.encode_batch(lines, false, static_cast<int>(state.range(0))));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * corpus().size()));
}

// HF-style call with truncation and padding on a batch of 32 lines: per-call settings must cost
// nothing beyond the encoding itself (no re-parse of tokenizer.json, no copy of the vocabulary).
void BM_EncodeOptions(benchmark::State& state, std::string name) {
  static std::map<std::string, std::unique_ptr<transformers::tok::PreTrainedTokenizer>> cache;
  auto& t = cache[name];
  if (!t)
    t = std::make_unique<transformers::tok::PreTrainedTokenizer>(
        transformers::tok::AutoTokenizer::from_pretrained(fixtures() / name));
  std::vector<std::string> lines;
  std::istringstream in(corpus());
  size_t bytes = 0;
  for (std::string line; lines.size() < 32 && std::getline(in, line);) {
    bytes += line.size();
    lines.push_back(line);
  }
  transformers::tok::EncodeOptions o;
  o.truncation = true;
  o.max_length = 128;
  o.padding = transformers::tok::EncodeOptions::Padding::Longest;
  o.num_threads = 1;
  if (!t->pad_token) t->pad_token = t->tokenizer().id_to_token(0);
  for (auto _ : state) benchmark::DoNotOptimize(t->encode_batch(lines, o));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
}

// One word of `range(0)` bytes without spaces: time per byte must stay flat.
void BM_LongWord(benchmark::State& state) {
  Tokenizer& t = tokenizer("gpt2");
  std::string word;
  const char* letters = "abcdefghijklmnopqrstuvwxyz";
  uint32_t x = 12345;
  while (word.size() < static_cast<size_t>(state.range(0))) {
    x = x * 1103515245 + 12345;
    word += letters[(x >> 16) % 26];
  }
  for (auto _ : state) benchmark::DoNotOptimize(t.encode(word, false));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * word.size()));
}

const char* kNames[] = {"gpt2", "gpt35turbo", "llama3", "gemma3", "gpt4o", "qwen3", "deepseek_v3",
                        "claude", "llama2", "mistral_7b", "bert_base_uncased", "albert_base_v2"};

int register_all = [] {
  for (const char* n : kNames) benchmark::RegisterBenchmark((std::string("Load/") + n).c_str(), BM_Load, n)->Unit(benchmark::kMillisecond);
  for (const char* n : kNames)
    benchmark::RegisterBenchmark((std::string("Encode/") + n).c_str(), BM_Encode, n)->Unit(benchmark::kMillisecond)->MinTime(2);
  for (const char* n : {"gpt2", "llama3"})
    benchmark::RegisterBenchmark((std::string("EncodeBatch/") + n).c_str(), BM_EncodeBatch, n)
        ->Arg(1)->Arg(2)->Arg(4)->Arg(8)->Unit(benchmark::kMillisecond)->UseRealTime();
  for (const char* n : {"bert_base_uncased", "llama3", "gemma3"})
    benchmark::RegisterBenchmark((std::string("EncodeOptions/") + n).c_str(), BM_EncodeOptions, n)
        ->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark("LongWord/gpt2", BM_LongWord)->RangeMultiplier(4)->Range(1 << 10, 1 << 18)->Unit(benchmark::kMillisecond);
  return 0;
}();

}  // namespace

BENCHMARK_MAIN();
