// transformers bench MODEL | --config config.json: prefill and decode speed and memory, next to
// the machine's limits (read bandwidth, sgemm) measured in the same run.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <limits>
#include <optional>

#include <CLI/CLI.hpp>

#include "transformers/cli/commands.h"
#include "transformers/cli/model_args.h"
#include "transformers/core/autograd.h"
#include "transformers/core/error.h"
#include "transformers/core/limits.h"
#include "transformers/core/ops.h"
#include "transformers/core/random.h"
#include "transformers/core/runtime.h"
#include "transformers/io/safetensors.h"
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
// File pages mapped with 2 MiB entries (Note [Huge pages for weights]); -1 where the kernel does
// not say. Read while the model is mapped: weights in 4 KiB pages decode measurably slower.
int64_t file_pmd_mapped_bytes() {
  std::ifstream in("/proc/self/smaps_rollup");
  std::string key;
  int64_t kb = 0;
  while (in >> key) {
    if (key == "FilePmdMapped:" && in >> kb) return kb * 1024;
    in.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
  }
  return -1;
}
// The 1-minute load average: the machine may be shared, and every number is read next to it.
double load_average() {
  double one = -1;
  std::ifstream("/proc/loadavg") >> one;
  return one;
}

// What a decoded token reads and what prefill computes, from the parameter shapes: every
// parameter is read once per token except an input embedding that is not also the lm_head (one
// row of it is gathered); prefill's matmul work is 2 FLOPs per weight of each linear layer per
// prompt token, plus the lm_head for the last position only (logits_to_keep = 1).
struct WorkModel {
  int64_t bytes_per_token = 0;
  double prefill_flops = 0;
};
WorkModel work_model(const std::vector<std::pair<std::string, Tensor>>& params, int64_t vocab,
                     int64_t tokens, int64_t batch) {
  WorkModel w;
  int64_t vocab_matrices = 0, vocab_bytes = 0, vocab_numel = 0, linear_numel = 0;
  for (const auto& [name, t] : params) {
    w.bytes_per_token += int64_t(t.nbytes());
    if (t.dim() == 2 && t.size(0) == vocab) {
      ++vocab_matrices;
      vocab_bytes = int64_t(t.nbytes());
      vocab_numel = t.numel();
    } else if (t.dim() == 2) {
      linear_numel += t.numel();
    }
  }
  if (vocab_matrices == 2) w.bytes_per_token -= vocab_bytes;  // untied: the embedding is gathered
  w.prefill_flops = 2.0 * double(linear_numel) * double(tokens * batch) + 2.0 * double(vocab_numel * batch);
  return w;
}

struct Timed {
  double wall = 1e300, cpu = 1e300;  // best of the repeats
};
}  // namespace

int cmd_bench(int argc, char** argv) {
  CLI::App app{"Measure prefill and decode speed and memory of a causal language model, next to the "
               "machine's read bandwidth and sgemm rate measured in the same run. With --config, the model "
               "has random weights with the config's real dimensions (nothing is downloaded).",
               "transformers bench"};
  std::string model, config_path, dtype = "float32", revision = "main", save_dir, matmul_precision = "highest";
  int64_t prompt_tokens = 512, new_tokens = 128, batch = 1;
  int repeat = 3;
  std::optional<int> threads;
  bool json = false, no_limits = false;
  app.add_option("model", model, "model folder or Hub id");
  app.add_option("--config", config_path, "config.json: random weights with these dimensions");
  // Integer ranges (CLI11's PositiveNumber would print its bound as a 300-digit double), small
  // enough that sums and products of the counts cannot overflow.
  const CLI::Range positive(int64_t(1), int64_t(1) << 30);
  const CLI::Range non_negative(int64_t(0), int64_t(1) << 30);
  app.add_option("--prompt-tokens", prompt_tokens, "prompt length (prefill)")->check(positive);
  app.add_option("--new-tokens", new_tokens, "tokens to decode")->check(non_negative);
  app.add_option("--batch", batch, "batch size")->check(positive);
  app.add_option("--threads", threads, "threads (default: all cores)")->check(positive);
  app.add_option("--dtype", dtype, "weight dtype: float32, float16, bfloat16");
  app.add_option("--revision", revision, "Hub revision");
  add_matmul_precision_option(app, matmul_precision);
  app.add_option("--repeat", repeat, "runs of prefill + decode; the best of each is reported")->check(positive);
  app.add_flag("--no-limits", no_limits, "skip measuring read bandwidth and sgemm");
  app.add_option("--save", save_dir,
                 "write the model (config.json + model.safetensors) to this folder and exit, e.g. to "
                 "convert random weights for another runtime");
  app.add_flag("--json", json, "print one JSON line");
  CLI11_PARSE(app, argc, argv);
  TFM_CHECK(model.empty() != config_path.empty(), "give either MODEL or --config config.json");
  if (threads) runtime::set_num_threads(*threads);
  runtime::set_float32_matmul_precision(matmul_precision);

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
  const auto& params = lm->named_parameters();
  int64_t weights_bytes = 0;
  for (const auto& [name, t] : params) weights_bytes += int64_t(t.nbytes());

  if (!save_dir.empty()) {
    std::filesystem::create_directories(save_dir);
    // write_tensors keeps contiguous copies alive until the file is written.
    write_tensors(std::filesystem::path(save_dir) / "model.safetensors", params);
    std::filesystem::copy_file(dir / "config.json", std::filesystem::path(save_dir) / "config.json",
                               std::filesystem::copy_options::overwrite_existing);
    std::printf("wrote %s (%zu tensors, %.1f MB)\n", save_dir.c_str(), params.size(), double(weights_bytes) / 1e6);
    return 0;
  }

  const int nthreads = runtime::num_threads();
  runtime::Rate bandwidth, sgemm;
  if (!no_limits) {
    bandwidth = runtime::read_bandwidth(nthreads);
    sgemm = runtime::sgemm_flops();
  }

  Generator gen(0);
  Tensor ids = ops::rand({batch, prompt_tokens}, gen, DType::Float32);
  ids = ops::mul(ids, double(lm->vocab_size() - 1)).to(DType::Int64);
  Timed prefill, decode;
  int64_t kv_bytes = 0;
  for (int r = 0; r < repeat; ++r) {
    auto cache = lm->make_cache(prompt_tokens + new_tokens);
    models::CausalLMInputs in;
    in.input_ids = ids;
    in.past_key_values = cache.get();
    in.logits_to_keep = 1;
    start = std::chrono::steady_clock::now();
    double cpu0 = runtime::process_cpu_seconds();
    Tensor next = ops::argmax(lm->forward(in).logits.select(1, -1), -1, true);  // [batch, 1]
    prefill.wall = std::min(prefill.wall, seconds_since(start));
    prefill.cpu = std::min(prefill.cpu, runtime::process_cpu_seconds() - cpu0);
    start = std::chrono::steady_clock::now();
    cpu0 = runtime::process_cpu_seconds();
    for (int64_t i = 0; i < new_tokens; ++i) {
      in.input_ids = next;
      next = ops::argmax(lm->forward(in).logits.select(1, -1), -1, true);
    }
    decode.wall = std::min(decode.wall, seconds_since(start));
    decode.cpu = std::min(decode.cpu, runtime::process_cpu_seconds() - cpu0);
    kv_bytes = cache->nbytes();
  }

  // Read before the limits are measured again: their 256 MiB read buffer is not the model's memory.
  const int64_t peak_rss = peak_rss_bytes();
  if (!no_limits) {
    // Measured again after the model ran and the best kept: on a shared machine one measurement
    // can read low (host steal), which would flatter the ratios below.
    const runtime::Rate bandwidth_after = runtime::read_bandwidth(nthreads), sgemm_after = runtime::sgemm_flops();
    bandwidth = {std::max(bandwidth.wall, bandwidth_after.wall), std::max(bandwidth.busy, bandwidth_after.busy)};
    sgemm = {std::max(sgemm.wall, sgemm_after.wall), std::max(sgemm.busy, sgemm_after.busy)};
  }
  const WorkModel work = work_model(params, lm->vocab_size(), prompt_tokens, batch);
  const double prefill_tps = double(batch * prompt_tokens) / prefill.wall;
  const double decode_tps = new_tokens > 0 ? double(batch * new_tokens) / decode.wall : 0.0;
  // Decoding reads the weights once per step and, on average, the K/V of half the decoded tokens
  // on top of the prompt's.
  const double total_positions = double(prompt_tokens + new_tokens);
  const double kv_read = total_positions > 0 ? double(kv_bytes) * (double(prompt_tokens) + double(new_tokens) / 2) /
                                                   total_positions
                                             : 0.0;
  const double step_bytes = double(work.bytes_per_token) + kv_read;
  const double roofline_tps = bandwidth.wall > 0 ? double(batch) * bandwidth.wall / step_bytes : 0.0;
  const double prefill_flops = work.prefill_flops / prefill.wall;
  const double load = load_average();
  const int64_t huge_bytes = file_pmd_mapped_bytes();
  if (json) {
    std::printf(
        "{\"prefill_tokens_per_s\": %.3f, \"decode_tokens_per_s\": %.3f, "
        "\"time_to_first_token_s\": %.6f, \"load_s\": %.6f, \"peak_rss_bytes\": %lld, "
        "\"weights_bytes\": %lld, \"kv_cache_bytes\": %lld, \"threads\": %d, \"dtype\": \"%s\", "
        "\"read_bandwidth_gbps\": %.3f, \"sgemm_gflops\": %.3f, "
        "\"decode_roofline_tokens_per_s\": %.3f, \"prefill_matmul_gflops\": %.3f, "
        "\"prefill_cpu_s\": %.6f, \"decode_cpu_s\": %.6f, \"load_average\": %.2f, "
        "\"matmul_precision\": \"%s\", \"file_pmd_mapped_bytes\": %lld}\n",
        prefill_tps, decode_tps, prefill.wall, load_s, (long long)peak_rss,
        (long long)weights_bytes, (long long)kv_bytes, nthreads,
        std::string(dtype_name(options.dtype)).c_str(), bandwidth.wall / 1e9, sgemm.wall / 1e9,
        roofline_tps, prefill_flops / 1e9, prefill.cpu, decode.cpu, load, matmul_precision.c_str(),
        (long long)huge_bytes);
    return 0;
  }
  std::printf("%s%s, %s, %d threads, batch %lld, best of %d, load average %.2f%s\n",
              options.random_weights ? "random weights from " : "",
              options.random_weights ? config_path.c_str() : dir.string().c_str(),
              std::string(dtype_name(options.dtype)).c_str(), nthreads, (long long)batch, repeat, load,
              matmul_precision == "medium" ? ", matmul precision medium" : "");
  if (!no_limits)
    std::printf("  machine        read %.1f GB/s (busy %.1f), sgemm %.1f GFLOP/s (busy %.1f)\n", bandwidth.wall / 1e9,
                bandwidth.busy / 1e9, sgemm.wall / 1e9, sgemm.busy / 1e9);
  std::printf("  load           %8.3f s   (weights %.1f MB", load_s, double(weights_bytes) / 1e6);
  if (huge_bytes >= 0 && !options.random_weights)
    std::printf(", %.1f MB of files in 2 MiB pages", double(huge_bytes) / 1e6);
  std::printf(")\n");
  std::printf("  prefill        %8.1f tokens/s  (%lld tokens, first token after %.3f s, %.1f CPU s)\n", prefill_tps,
              (long long)(batch * prompt_tokens), prefill.wall, prefill.cpu);
  if (!no_limits)
    std::printf("                 %8.1f GFLOP/s on the matmul work, %.2f of sgemm\n", prefill_flops / 1e9,
                prefill_flops / sgemm.wall);
  std::printf("  decode         %8.1f tokens/s  (%lld tokens, %.1f CPU s)\n", decode_tps,
              (long long)(batch * new_tokens), decode.cpu);
  if (!no_limits)
    std::printf("                 roofline %.1f tokens/s (%.1f MB read per step), %.2f of it\n", roofline_tps,
                step_bytes / 1e6, decode_tps / roofline_tps);
  std::printf("  peak RSS       %8.1f MB  (weights + KV cache %.1f MB)\n", double(peak_rss) / 1e6,
              double(weights_bytes + kv_bytes) / 1e6);
  return 0;
}

}  // namespace transformers::cli
