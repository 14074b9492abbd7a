// transformers run MODEL "prompt": a pipeline on one input, printed as text or HF-shaped JSON.
#include <cstdio>
#include <iostream>
#include <optional>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "transformers/cli/commands.h"
#include "transformers/cli/model_args.h"
#include "transformers/core/error.h"
#include "transformers/pipelines/text_generation.h"

namespace transformers::cli {

int cmd_run(int argc, char** argv) {
  CLI::App app{"Run a pipeline on one input. The task is inferred from the model (text-generation "
               "for causal language models) unless --task names it.",
               "transformers run"};
  std::string model, prompt, task = "text-generation", dtype = "float32", revision = "main";
  std::optional<int64_t> max_new_tokens, top_k, num_beams;
  std::optional<double> temperature, top_p, repetition_penalty;
  std::optional<uint64_t> seed;
  bool json = false, do_sample = false, no_full_text = false, stream = false;
  app.add_option("model", model, "model folder or Hub id")->required();
  app.add_option("input", prompt, "the prompt text")->required();
  app.add_option("--task", task, "pipeline task (text-generation)");
  app.add_option("--max-new-tokens", max_new_tokens, "new tokens to generate");
  app.add_flag("--do-sample", do_sample, "sample instead of greedy search");
  app.add_option("--temperature", temperature);
  app.add_option("--top-k", top_k);
  app.add_option("--top-p", top_p);
  app.add_option("--repetition-penalty", repetition_penalty);
  app.add_option("--num-beams", num_beams);
  app.add_option("--seed", seed, "random seed for sampling");
  std::vector<std::string> stop;
  app.add_option("--stop", stop, "stop once the text ends with this string (repeatable)");
  app.add_flag("--no-full-text", no_full_text, "print only the completion (return_full_text=False)");
  app.add_flag("--stream", stream, "print text as it is generated");
  app.add_flag("--json", json, "print [{\"generated_text\": ...}] as Hugging Face's pipeline returns");
  app.add_option("--dtype", dtype, "weight/compute dtype: float32, float16, bfloat16");
  app.add_option("--revision", revision, "Hub revision (branch, tag or commit)");
  CLI11_PARSE(app, argc, argv);
  TFM_CHECK(task == "text-generation", "--task '", task, "' is not available yet (supported: text-generation)");

  models::LoadOptions load;
  load.dtype = parse_dtype_flag(dtype);
  auto pipe = pipelines::TextGenerationPipeline::from_pretrained(resolve_model_dir(model, revision), load);
  pipelines::TextGenerationOptions options;
  options.max_new_tokens = max_new_tokens;
  if (do_sample) options.do_sample = true;
  options.temperature = temperature;
  options.top_k = top_k;
  options.top_p = top_p;
  options.repetition_penalty = repetition_penalty;
  options.num_beams = num_beams;
  options.seed = seed;
  options.return_full_text = !no_full_text;
  options.stop_strings = stop;
  if (stream && !json) {
    if (options.return_full_text) std::cout << prompt;
    options.streamer = [](const std::string& piece) { std::cout << piece << std::flush; };
  }
  std::vector<pipelines::GeneratedText> results = (*pipe)(prompt, options);
  if (json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : results) out.push_back({{"generated_text", r.generated_text}});
    // Invalid UTF-8 from a model's byte tokens is replaced, never a crash.
    std::cout << out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  } else if (stream) {
    std::cout << "\n";
  } else {
    for (const auto& r : results) std::cout << r.generated_text << "\n";
  }
  return 0;
}

}  // namespace transformers::cli
