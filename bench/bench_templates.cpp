// Chat-template speed: parsing the largest fixture template, and rendering a 20-turn conversation
// with a compiled template (what a server does per request).
//   ./bench_templates --benchmark_filter=Render
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "transformers/templates/chat_template.h"
#include "transformers/templates/json_value.h"

namespace tt = transformers::templates;
namespace fs = std::filesystem;

namespace {

// ../shared beside the repository (or $TRANSFORMERS_SHARED), as the tests find it.
fs::path fixture_dir(const std::string& name) {
  fs::path root;
  if (const char* env = std::getenv("TRANSFORMERS_SHARED"); env && *env) {
    root = env;
  } else {
    root = fs::path(__FILE__).parent_path().parent_path().parent_path() / "shared";
  }
  return root / "fixtures" / "chat_templates" / name;
}

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// 20 turns: a system prompt, then user/assistant pairs of realistic length, the assistant turns
// with <think> reasoning (which the Qwen 3 template splits out).
tt::Value conversation(int turns) {
  std::string json = R"([{"role": "system", "content": "You are a helpful assistant. Answer briefly and cite sources when you can."})";
  for (int i = 0; i < turns; ++i) {
    bool user = i % 2 == 0;
    json += ",{\"role\": \"";
    json += user ? "user" : "assistant";
    json += "\", \"content\": \"";
    json += user ? "Question " + std::to_string(i) +
                       ": how does the tokenizer handle whitespace, Unicode (日本語, émoji 😀) and "
                       "code blocks like ```print(1)```?"
                 : "<think>\\nThe user asks about tokenization details; recall the pre-tokenizer.\\n</think>\\n\\n"
                   "Answer " + std::to_string(i) +
                       ": whitespace is kept as Ġ-prefixed pieces, Unicode is split into bytes, "
                       "and code is tokenized like any other text.";
    json += "\"}";
  }
  return tt::parse_json(json + "]");
}

void BM_ParseLargestTemplate(benchmark::State& state) {
  std::string src = read(fixture_dir("qwen3") / "template.jinja");
  if (src.empty()) {
    state.SkipWithError("fixture qwen3/template.jinja not found (set TRANSFORMERS_SHARED)");
    return;
  }
  for (auto _ : state) {
    tt::Template t(src);
    benchmark::DoNotOptimize(&t);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * src.size()));
}
BENCHMARK(BM_ParseLargestTemplate)->Unit(benchmark::kMicrosecond);

void render_bench(benchmark::State& state, const std::string& name, bool with_tools) {
  fs::path dir = fixture_dir(name);
  std::string src = read(dir / "template.jinja");
  if (src.empty()) {
    state.SkipWithError("chat-template fixture not found (set TRANSFORMERS_SHARED)");
    return;
  }
  tt::ChatTemplate chat(src, tt::parse_json(read(dir / "context.json")));  // parsed once
  tt::Value messages = conversation(static_cast<int>(state.range(0)));
  tt::ChatTemplateOptions o;
  o.add_generation_prompt = true;
  if (with_tools)
    o.tools = tt::parse_json(R"([{"type": "function", "function": {"name": "get_weather",
        "description": "Get the weather", "parameters": {"type": "object", "properties":
        {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["c", "f"]}}, "required": ["city"]}}}])");
  size_t bytes = 0;
  for (auto _ : state) {
    tt::ChatTemplateResult r = chat.apply(messages, o);
    bytes = r.rendered.size();
    benchmark::DoNotOptimize(r.rendered.data());
  }
  state.counters["output_bytes"] = static_cast<double>(bytes);
}

void BM_RenderQwen3(benchmark::State& s) { render_bench(s, "qwen3", false); }
void BM_RenderQwen3WithTools(benchmark::State& s) { render_bench(s, "qwen3", true); }
void BM_RenderLlama3(benchmark::State& s) { render_bench(s, "llama3", false); }
void BM_RenderDeepSeekV3(benchmark::State& s) { render_bench(s, "deepseek_v3", false); }
BENCHMARK(BM_RenderQwen3)->Arg(20)->Arg(200)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_RenderQwen3WithTools)->Arg(20)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_RenderLlama3)->Arg(20)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_RenderDeepSeekV3)->Arg(20)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
