#pragma once
// Helpers shared by the verbs that take a MODEL argument and tensor files.
#include <filesystem>
#include <optional>
#include <string>

#include "transformers/core/dtype.h"
#include "transformers/models/modeling_utils.h"

namespace CLI {
class App;
}

namespace transformers::cli {

// MODEL: a local folder, or a Hub id resolved through the Hugging Face cache (downloading what is
// missing unless HF_HUB_OFFLINE=1).
std::filesystem::path resolve_model_dir(const std::string& model, const std::string& revision = "main");

// Every tensor of a safetensors file, copied out of the mapping, in file order.
models::NamedTensors read_tensors(const std::filesystem::path& path);

// Writes named tensors (contiguous copies) to a safetensors file.
void write_tensors(const std::filesystem::path& path, const models::NamedTensors& tensors);

// "float32" | "float16" | "bfloat16" (and PyTorch's aliases) for --dtype.
DType parse_dtype_flag(const std::string& name);

// Adds --matmul-precision (PyTorch's torch.set_float32_matmul_precision), read into `precision`;
// apply it with runtime::set_float32_matmul_precision after parsing (it rejects unknown names).
void add_matmul_precision_option(CLI::App& app, std::string& precision);

// Adds --cache-implementation (GenerationConfig::cache_implementation; generate() rejects unknown names).
void add_cache_implementation_option(CLI::App& app, std::optional<std::string>& cache_implementation);

// Adds --do-sample and --no-do-sample (unset: generation_config.json decides, as in HF, where a
// model such as Llama-3-Instruct samples by default).
void add_do_sample_option(CLI::App& app, std::optional<bool>& do_sample);

}  // namespace transformers::cli
