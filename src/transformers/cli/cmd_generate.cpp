// transformers generate MODEL --inputs IN.safetensors [flags]: prints {"sequences": [[...], ...]}
#include <cstdio>
#include <optional>

#include <CLI/CLI.hpp>

#include "transformers/cli/commands.h"
#include "transformers/cli/model_args.h"
#include "transformers/core/error.h"
#include "transformers/generation/utils.h"
#include "transformers/models/auto/modeling_auto.h"

namespace transformers::cli {

int cmd_generate(int argc, char** argv) {
  CLI::App app{"Generate from input_ids (and attention_mask) in a safetensors file. "
               "generation_config.json is applied first; flags override it.",
               "transformers generate"};
  std::string model, inputs, dtype = "float32", revision = "main";
  std::optional<int64_t> max_new_tokens, num_beams, pad_token_id, top_k, seed, num_return_sequences,
      prompt_lookup_num_tokens;
  std::optional<double> temperature, top_p, repetition_penalty, length_penalty;
  std::optional<std::string> cache_implementation;
  bool no_cache = false;
  std::optional<bool> do_sample;
  app.add_option("model", model, "model folder or Hub id")->required();
  app.add_option("--inputs", inputs, "safetensors file with input_ids [batch, seq] and optional attention_mask")
      ->required();
  app.add_option("--max-new-tokens", max_new_tokens, "new tokens to generate");
  app.add_option("--num-beams", num_beams, "beam search width");
  app.add_option("--num-return-sequences", num_return_sequences, "sequences returned per prompt");
  app.add_option("--pad-token-id", pad_token_id, "token that fills finished rows");
  app.add_flag("--no-cache", no_cache, "recompute the whole sequence each step (use_cache=False)");
  add_cache_implementation_option(app, cache_implementation);
  add_do_sample_option(app, do_sample);
  app.add_option("--seed", seed, "random seed for sampling");
  app.add_option("--prompt-lookup-num-tokens", prompt_lookup_num_tokens,
                 "assisted decoding by prompt lookup (greedy; same output, fewer forward passes)");
  app.add_option("--temperature", temperature);
  app.add_option("--top-k", top_k);
  app.add_option("--top-p", top_p);
  app.add_option("--repetition-penalty", repetition_penalty);
  app.add_option("--length-penalty", length_penalty);
  app.add_option("--dtype", dtype, "weight/compute dtype: float32, float16, bfloat16");
  app.add_option("--revision", revision, "Hub revision (branch, tag or commit)");
  CLI11_PARSE(app, argc, argv);

  std::filesystem::path dir = resolve_model_dir(model, revision);
  models::LoadOptions options;
  options.dtype = parse_dtype_flag(dtype);
  std::unique_ptr<models::CausalLM> lm = models::AutoModelForCausalLM::from_pretrained(dir, options);
  generation::GenerationConfig config = generation::GenerationConfig::from_model_dir(dir, lm->config());
  if (max_new_tokens) config.max_new_tokens = *max_new_tokens;
  if (num_beams) config.num_beams = *num_beams;
  if (num_return_sequences) config.num_return_sequences = *num_return_sequences;
  if (pad_token_id) config.pad_token_id = *pad_token_id;
  if (no_cache) config.use_cache = false;
  if (cache_implementation) config.cache_implementation = *cache_implementation;
  if (do_sample) config.do_sample = *do_sample;
  if (seed) config.seed = uint64_t(*seed);
  if (temperature) config.temperature = *temperature;
  if (prompt_lookup_num_tokens) config.prompt_lookup_num_tokens = *prompt_lookup_num_tokens;
  if (top_k) config.top_k = *top_k;
  if (top_p) config.top_p = *top_p;
  if (repetition_penalty) config.repetition_penalty = *repetition_penalty;
  if (length_penalty) config.length_penalty = *length_penalty;

  models::NamedTensors in = read_tensors(inputs);
  Tensor input_ids = models::find_named(in, "input_ids");
  TFM_CHECK(input_ids.defined(), "[generate] ", inputs, " has no input_ids tensor");
  generation::GenerateOutput out =
      generation::generate(*lm, input_ids, models::find_named(in, "attention_mask"), config);
  std::string line = "{\"sequences\": [";
  for (size_t r = 0; r < out.sequences.size(); ++r) {
    line += r ? ", [" : "[";
    for (size_t i = 0; i < out.sequences[r].size(); ++i)
      line += (i ? ", " : "") + std::to_string(out.sequences[r][i]);
    line += "]";
  }
  line += "]}\n";
  std::fputs(line.c_str(), stdout);
  return 0;
}

}  // namespace transformers::cli
