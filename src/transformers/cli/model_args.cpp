#include "transformers/cli/model_args.h"

#include <CLI/CLI.hpp>

#include "transformers/core/error.h"
#include "transformers/hub/hub.h"
#include "transformers/io/safetensors.h"

namespace transformers::cli {

std::filesystem::path resolve_model_dir(const std::string& model, const std::string& revision) {
  hub::ResolveOptions options;
  options.revision = revision;
  return hub::resolve_model(model, options);
}

models::NamedTensors read_tensors(const std::filesystem::path& path) {
  io::SafetensorsFile file = io::SafetensorsFile::open(path);
  models::NamedTensors out;
  for (const io::TensorView& v : file.tensors())
    out.emplace_back(v.name, Tensor::from_blob(v.data, v.shape, v.dtype, file.keep_alive()).clone());
  return out;
}

void write_tensors(const std::filesystem::path& path, const models::NamedTensors& tensors) {
  std::vector<Tensor> keep;
  std::vector<io::TensorToWrite> entries;
  for (const auto& [name, t] : tensors) {
    Tensor c = t.contiguous();
    keep.push_back(c);
    entries.push_back({name, c.dtype(), c.shape(), c.raw_data()});
  }
  io::save_safetensors(path, entries, {{"format", "pt"}});
}

DType parse_dtype_flag(const std::string& name) {
  DType d = dtype_from_name(name);
  TFM_CHECK(d == DType::Float32 || d == DType::Float16 || d == DType::BFloat16,
            "--dtype must be float32, float16 or bfloat16, got '", name, "'");
  return d;
}

void add_matmul_precision_option(CLI::App& app, std::string& precision) {
  app.add_option("--matmul-precision", precision,
                 "float32 matmul precision as in PyTorch: highest (default) or high keep f32 products; "
                 "medium lets linears over many rows (prompts, encoders) round inputs and weights to bf16 "
                 "and multiply in bf16 with f32 sums (AVX512-BF16 where the CPU has it)");
}

void add_cache_implementation_option(CLI::App& app, std::optional<std::string>& cache_implementation) {
  app.add_option("--cache-implementation", cache_implementation,
                 "text generation's KV cache, by Hugging Face's names: dynamic, static, sliding_window, hybrid, "
                 "offloaded, offloaded_static (default: generation_config.json's, else the model's own)");
}

void add_do_sample_option(CLI::App& app, std::optional<bool>& do_sample) {
  // Callbacks: a flag bound to an optional would set it to false when absent.
  // The callbacks run in definition order, not command-line order: the flags exclude each other.
  CLI::Option* yes = app.add_flag_callback("--do-sample", [&do_sample] { do_sample = true; },
                                           "sample (default: generation_config.json's do_sample)");
  CLI::Option* no = app.add_flag_callback("--no-do-sample", [&do_sample] { do_sample = false; },
                                          "search greedily even where generation_config.json samples");
  yes->excludes(no);
}

}  // namespace transformers::cli
