// transformers bench MODEL | --config config.json: prefill and decode speed, and memory.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <optional>

#include <CLI/CLI.hpp>

#include "transformers/cli/commands.h"
#include "transformers/cli/model_args.h"
#include "transformers/core/autograd.h"
#include "transformers/core/error.h"
#include "transformers/core/ops.h"
#include "transformers/core/random.h"
#include "transformers/core/runtime.h"
#include "transformers/models/auto/modeling_auto.h"

namespace transformers::cli {

namespace {
double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}
int64_t peak_rss_bytes() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return int64_t(usage.ru_maxrss) * 1024;
}
}  // namespace

int cmd_bench(int argc, char** argv) {
  CLI::App app{"Measure prefill and decode speed and memory of a causal language model. With --config, "
               "the model has random weights with the config's real dimensions (nothing is downloaded).",
               "transformers bench"};
  std::string model, config_path, dtype = "float32", revision = "main";
  int64_t prompt_tokens = 512, new_tokens = 128, batch = 1;
  std::optional<int> threads;
  bool json = false;
  app.add_option("model", model, "model folder or Hub id");
  app.add_option("--config", config_path, "config.json: random weights with these dimensions");
  app.add_option("--prompt-tokens", prompt_tokens, "prompt length (prefill)")->check(CLI::PositiveNumber);
  app.add_option("--new-tokens", new_tokens, "tokens to decode")->check(CLI::NonNegativeNumber);
  app.add_option("--batch", batch, "batch size")->check(CLI::PositiveNumber);
  app.add_option("--threads", threads, "threads (default: all cores)")->check(CLI::PositiveNumber);
  app.add_option("--dtype", dtype, "weight dtype: float32, float16, bfloat16");
  app.add_option("--revision", revision, "Hub revision");
  app.add_flag("--json", json, "print one JSON line");
  CLI11_PARSE(app, argc, argv);
  TFM_CHECK(model.empty() != config_path.empty(), "give either MODEL or --config config.json");
  if (threads) runtime::set_num_threads(*threads);

  models::LoadOptions options;
  options.dtype = parse_dtype_flag(dtype);
  std::filesystem::path dir;
  if (!config_path.empty()) {
    std::filesystem::path p(config_path);
    TFM_CHECK(std::filesystem::is_regular_file(p), "--config ", config_path, " is not a file");
    TFM_CHECK(p.filename() == "config.json", "--config must name a file called config.json");
    dir = p.parent_path().empty() ? std::filesystem::path(".") : p.parent_path();
    options.random_weights = true;
  } else {
    dir = resolve_model_dir(model, revision);
  }
  autograd::NoGradGuard no_grad;
  auto start = std::chrono::steady_clock::now();
  std::unique_ptr<models::CausalLM> lm = models::AutoModelForCausalLM::from_pretrained(dir, options);
  const double load_s = seconds_since(start);
  int64_t weights_bytes = 0;
  for (const auto& [name, t] : lm->named_parameters()) weights_bytes += int64_t(t.nbytes());

  Generator gen(0);
  Tensor ids = ops::rand({batch, prompt_tokens}, gen, DType::Float32);
  ids = ops::mul(ids, double(lm->vocab_size() - 1)).to(DType::Int64);
  auto cache = lm->make_cache(prompt_tokens + new_tokens);
  models::CausalLMInputs in;
  in.input_ids = ids;
  in.past_key_values = cache.get();
  in.logits_to_keep = 1;
  start = std::chrono::steady_clock::now();
  Tensor next = ops::argmax(lm->forward(in).logits.select(1, -1), -1, true);  // [batch, 1]
  const double prefill_s = seconds_since(start);
  start = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < new_tokens; ++i) {
    in.input_ids = next;
    next = ops::argmax(lm->forward(in).logits.select(1, -1), -1, true);
  }
  const double decode_s = seconds_since(start);

  const double prefill_tps = double(batch * prompt_tokens) / prefill_s;
  const double decode_tps = new_tokens > 0 ? double(batch * new_tokens) / decode_s : 0.0;
  const int nthreads = runtime::num_threads();
  if (json) {
    std::printf("{\"prefill_tokens_per_s\": %.3f, \"decode_tokens_per_s\": %.3f, \"time_to_first_token_s\": %.6f, "
                "\"load_s\": %.6f, \"peak_rss_bytes\": %lld, \"weights_bytes\": %lld, \"threads\": %d, "
                "\"dtype\": \"%s\"}\n",
                prefill_tps, decode_tps, prefill_s, load_s, (long long)peak_rss_bytes(), (long long)weights_bytes,
                nthreads, std::string(dtype_name(options.dtype)).c_str());
  } else {
    std::printf("%s%s, %s, %d threads, batch %lld\n", options.random_weights ? "random weights from " : "",
                options.random_weights ? config_path.c_str() : dir.string().c_str(),
                std::string(dtype_name(options.dtype)).c_str(), nthreads, (long long)batch);
    std::printf("  load           %8.3f s   (weights %.1f MB)\n", load_s, double(weights_bytes) / 1e6);
    std::printf("  prefill        %8.1f tokens/s  (%lld tokens, first token after %.3f s)\n", prefill_tps,
                (long long)(batch * prompt_tokens), prefill_s);
    std::printf("  decode         %8.1f tokens/s  (%lld tokens)\n", decode_tps, (long long)(batch * new_tokens));
    std::printf("  peak RSS       %8.1f MB\n", double(peak_rss_bytes()) / 1e6);
  }
  return 0;
}

}  // namespace transformers::cli
